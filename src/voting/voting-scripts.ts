import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '../platform/redis/redis.constants';
import { ClusterKeys } from '../cluster/cluster-keys';
import { REDIS } from '../platform/redis/redis.constants';
import { runScript } from '../platform/redis/redis-scripts';
import { TICKET_STATE_KEYS } from './ticket/ticket-keys';
import { VOTE_KEYS } from './vote/vote-keys';
import { VotingKeys } from './voting-keys';

/** vote-take.lua's answer: the use was taken, or why not (nothing was written then). */
export type TakeStatus = 'OK' | 'TICKET_INVALID' | 'TICKET_EXHAUSTED';

/** ticket-rotate.lua's answer: {'OK', at} | {'TOO_SOON', ms to wait} | {'FENCED'}. */
export type RotateReply = [status: 'OK' | 'TOO_SOON' | 'FENCED', value?: number];

/**
 * The voting context's Lua scripts as typed calls: each method owns its script's key list and the
 * type of its reply, so callers pass only what varies. See each script's header for its steps.
 */
@Injectable()
export class VotingScripts {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /** Checks `ticket` is in force and has a use left, takes it, and marks `token` in flight. */
  async take(
    token: string,
    ticket: string,
    maxUses: number,
    userIds: readonly number[],
  ): Promise<TakeStatus> {
    const [status] = await runScript<[TakeStatus]>(this.redis, 'vote-take', VOTE_KEYS.take, [
      token,
      ticket,
      maxUses,
      ...userIds,
    ]);
    return status;
  }

  /** Records a commit group's outcome: `args` is the outcome, then token, ticket, n, user ids per vote. */
  settle(args: readonly (string | number)[]): Promise<unknown> {
    return runScript(this.redis, 'vote-settle', VOTE_KEYS.settle, args);
  }

  /** Ends votes in flight for longer than `abandonedAfterMs`; resolves to how many. */
  async heal(abandonedAfterMs: number): Promise<number> {
    return Number(
      await runScript(this.redis, 'vote-cache-heal', VOTE_KEYS.heal, [abandonedAfterMs]),
    );
  }

  /** A user's cached count, or null when not cached or a vote for them is pending. */
  cachedCount(userField: string): Promise<string | null> {
    return runScript<string | null>(
      this.redis,
      'vote-cache-read',
      [VotingKeys.voteCounts, VotingKeys.votePending],
      [userField],
    );
  }

  /** Caches `count` read at `version`, unless a vote moved the version since: 1 if stored. */
  fillCount(userField: string, count: number, version: string): Promise<number> {
    const keys = [VotingKeys.voteCounts, VotingKeys.voteVersions, VotingKeys.votePending];
    return runScript<number>(this.redis, 'vote-cache-fill', keys, [userField, count, version]);
  }

  /** Writes a new ticket, fenced by the leader term `owner`/`epoch` and one interval on Redis' clock. */
  rotateTicket(
    owner: string,
    epoch: number,
    ticket: string,
    intervalMs: number,
    graceMs: number,
    nodeId: string,
  ): Promise<RotateReply> {
    const keys = [ClusterKeys.leader, ...TICKET_STATE_KEYS];
    return runScript<RotateReply>(this.redis, 'ticket-rotate', keys, [
      owner,
      epoch,
      ticket,
      intervalMs,
      graceMs,
      nodeId,
    ]);
  }
}
