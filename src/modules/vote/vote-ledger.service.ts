import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../infra/config/app-config';
import { DomainError, ServiceUnavailableError } from '../../infra/errors/domain-error';
import { ErrorCode } from '../../infra/errors/error-codes';
import { randomBase64url } from '../../infra/random/random-pool';
import { REDIS } from '../../infra/redis/redis.constants';
import { RedisKeys } from '../../infra/redis/redis-keys';
import { runScript } from '../../infra/redis/redis-scripts';
import { TICKET_USE_KEYS } from '../ticket/ticket-keys';
import type { CommitOutcome } from './commit-outcome';

/**
 * A vote still in flight this long after its Redis step is taken for abandoned (its node died):
 * the heal job then ends it. Far above any real commit (milliseconds); healing a live vote would
 * only cost a cache miss, never a wrong count (see vote-settle.lua).
 */
export const ABANDONED_AFTER_MS = 30_000;

const TAKE_KEYS = [
  ...TICKET_USE_KEYS,
  RedisKeys.voteVersions,
  RedisKeys.votePending,
  RedisKeys.voteInflight,
];
const SETTLE_KEYS = [
  RedisKeys.voteCounts,
  RedisKeys.voteVersions,
  RedisKeys.votePending,
  RedisKeys.voteInflight,
  ...TICKET_USE_KEYS,
];

/** A ticket use taken for a vote: what settling it needs. */
export interface TakenUse {
  /** Names the vote in Redis while it is in flight; makes both steps safe to resend. */
  readonly token: string;
  readonly ticket: string;
  readonly userIds: readonly number[];
}

/** The vote's Redis steps around its MySQL commit: take a ticket use, then settle. */
@Injectable()
export class VoteLedger {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  /** One round trip: checks the ticket and takes one use, or throws the contract's refusal. */
  async take(ticket: string, userIds: readonly number[]): Promise<TakenUse> {
    const token = randomBase64url(12);
    let status: string;
    try {
      [status] = await runScript<[string]>(this.redis, 'vote-take', TAKE_KEYS, [
        token,
        ticket,
        this.config.TICKET_MAX_USES,
        ...userIds,
      ]);
    } catch (error) {
      // The script may have run before the connection failed: undo it if so (a no-op if not).
      await this.settle([{ token, ticket, userIds }], { status: 'failed', error }).catch(
        () => undefined,
      );
      throw new ServiceUnavailableError(error);
    }
    if (status === 'OK') return { token, ticket, userIds };
    if (status === 'TICKET_EXHAUSTED') throw DomainError.of(ErrorCode.TICKET_EXHAUSTED);
    throw DomainError.of(ErrorCode.TICKET_INVALID);
  }

  /**
   * Records a commit group's outcome in Redis (cached counts, pending marks, the ticket uses):
   * one round trip for the whole group, however many votes it holds.
   */
  async settle(uses: readonly TakenUse[], outcome: CommitOutcome): Promise<void> {
    const args: (string | number)[] = [outcome.status];
    for (const use of uses) args.push(use.token, use.ticket, use.userIds.length, ...use.userIds);
    await runScript(this.redis, 'vote-settle', SETTLE_KEYS, args);
  }
}
