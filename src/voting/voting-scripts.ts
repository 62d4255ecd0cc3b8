import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '../platform/redis/redis.constants';
import { ClusterKeys } from '../cluster/cluster-keys';
import { REDIS } from '../platform/redis/redis.constants';
import { runScript } from '../platform/redis/redis-scripts';
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
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

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

  /** Marks the vote `token` in flight on the user's slot (safe to resend). */
  mark(userId: number, token: string): Promise<unknown> {
    return runScript(this.redis, 'vote-mark', [VotingKeys.userVotes(userId)], [token]);
  }

  /** Ends the user's votes `tokens` of one commit group with `outcome`. */
  settle(userId: number, outcome: string, tokens: readonly string[]): Promise<unknown> {
    return runScript(
      this.redis,
      'vote-settle',
      [VotingKeys.userVotes(userId)],
      [outcome, ...tokens],
    );
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
