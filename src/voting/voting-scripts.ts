import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '../platform/redis/redis.constants';
import { ClusterKeys } from '../cluster/cluster-keys';
import { REDIS } from '../platform/redis/redis.constants';
import { runScript } from '../platform/redis/redis-scripts';
import { isCluster } from '../platform/redis/redis-topology';
import { TICKET_STATE_KEYS, TICKET_USE_KEYS } from './ticket/ticket-keys';
import { VotingKeys } from './voting-keys';

/** ticket-allow.lua's answer (see its header). */
export type AllowReply =
  | [status: 'OK' | 'TICKET_EXHAUSTED', granted: number, validForMs: number, inForce: 0 | 1]
  | [status: 'TICKET_INVALID'];

/** ticket-rotate.lua's answer: {'OK', at} | {'TOO_SOON', ms to wait} | {'FENCED'}. */
export type RotateReply = [status: 'OK' | 'TOO_SOON' | 'FENCED', value?: number];

/** vote-cache-read.lua's answer: the count that may be served (or null), and the user's version. */
export type CachedCount = [count: string | null, version: string];

/** The ticket's keys but the rotation hash: what ticket-return.lua takes. */
const RETURN_KEYS = TICKET_USE_KEYS.slice(0, 4);

/**
 * The voting context's Lua scripts as typed calls: each method owns its script's key list and the
 * type of its reply, so callers pass only what varies. See each script's header for its steps.
 */
@Injectable()
export class VotingScripts {
  private readonly perUser: boolean;

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {
    this.perUser = isCluster(redis);
  }

  /** Grants up to `wanted` uses of `ticket` (on the ticket's slot). */
  allow(ticket: string, wanted: number, maxUses: number, intervalMs: number): Promise<AllowReply> {
    return runScript<AllowReply>(this.redis, 'ticket-allow', TICKET_USE_KEYS, [
      ticket,
      wanted,
      maxUses,
      intervalMs,
    ]);
  }

  /** The ticket in force (null before the first rotation) and how long it surely stays so. */
  peekTicket(intervalMs: number): Promise<[ticket: string | null, validForMs: number]> {
    const keys = [VotingKeys.ticket, VotingKeys.ticketRotation];
    return runScript(this.redis, 'ticket-peek', keys, [intervalMs]);
  }

  /** Gives `uses` unspent uses of `ticket` back; resolves to how many were taken back. */
  async giveBack(ticket: string, uses: number): Promise<number> {
    return Number(await runScript(this.redis, 'ticket-return', RETURN_KEYS, [ticket, uses]));
  }

  /**
   * Marks the vote `token` in flight on its users (safe to resend): one call on a single Redis,
   * one per user's slot on a cluster, all sent at once.
   */
  async mark(userIds: readonly number[], token: string): Promise<void> {
    await Promise.all(
      this.bySlot(userIds).map((ids) =>
        runScript(this.redis, 'vote-mark', ids.map(VotingKeys.userVotes), [token]),
      ),
    );
  }

  /** Ends each user's votes (`tokens` per user id) of one commit group with `outcome`. */
  async settle(tokens: ReadonlyMap<number, readonly string[]>, outcome: string): Promise<void> {
    await Promise.all(
      this.bySlot([...tokens.keys()]).map((ids) => {
        const args: string[] = [outcome];
        for (const id of ids) args.push(String(tokens.get(id)!.length), ...tokens.get(id)!);
        return runScript(this.redis, 'vote-settle', ids.map(VotingKeys.userVotes), args);
      }),
    );
  }

  /**
   * Users' keys grouped so that each group is one script call: all together on a single Redis,
   * each user alone on a cluster (a user's keys are the user's slot; two users rarely share one).
   */
  private bySlot(userIds: readonly number[]): (readonly number[])[] {
    return this.perUser ? userIds.map((id) => [id]) : [userIds];
  }

  /** A user's cached count (null when not cached or a vote for them is in flight) and version. */
  cachedCount(userId: number): Promise<CachedCount> {
    return runScript<CachedCount>(
      this.redis,
      'vote-cache-read',
      [VotingKeys.userVotes(userId)],
      [],
    );
  }

  /**
   * Caches `count` read at `version`, unless a vote moved the version since or is in flight; heals
   * marks older than `abandonedAfterMs` on the way. Resolves to [1 if stored, marks healed].
   */
  fillCount(
    userId: number,
    count: number,
    version: string,
    abandonedAfterMs: number,
  ): Promise<[stored: 0 | 1, healed: number]> {
    return runScript<[0 | 1, number]>(
      this.redis,
      'vote-cache-fill',
      [VotingKeys.userVotes(userId)],
      [count, version, abandonedAfterMs],
    );
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
