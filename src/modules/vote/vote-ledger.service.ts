import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../infra/config/app-config';
import { DomainError, ServiceUnavailableError } from '../../infra/errors/domain-error';
import { ErrorCode } from '../../infra/errors/error-codes';
import { askUntilAnswered } from '../../infra/in-doubt/ask-until-answered';
import { randomBase64url } from '../../infra/random/random-pool';
import { mayHaveRun } from '../../infra/redis/redis-errors';
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

/** How often, and for how long, a node retries undoing a take whose answer it lost. */
const UNDO_EVERY_MS = 500;
const UNDO_FOR_MS = 2 * ABANDONED_AFTER_MS;

/** The vote's Redis steps around its MySQL commit: take a ticket use, then settle. */
@Injectable()
export class VoteLedger implements OnApplicationShutdown {
  private readonly logger = new Logger(VoteLedger.name);
  /** Takes whose answer was lost with the connection, to undo once Redis answers again. */
  private readonly undos = new Map<string, { use: TakenUse; until: number }>();
  private undoTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  onApplicationShutdown(): void {
    clearInterval(this.undoTimer);
  }

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
      status = await this.statusOfLost({ token, ticket, userIds }, error);
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

  /**
   * The take's answer was lost with the connection. If it ran and took the use, its token is in
   * flight: the vote goes on. If it did not run, or refused (which writes nothing), the client
   * gets a 503 with nothing applied. A 503 as well if Redis cannot be asked, and the step is
   * undone later.
   */
  private async statusOfLost(use: TakenUse, error: unknown): Promise<string> {
    if (!mayHaveRun(error)) throw new ServiceUnavailableError(error);
    let taken: number;
    try {
      taken = await askUntilAnswered(() => this.redis.hexists(RedisKeys.voteInflight, use.token));
    } catch {
      // Redis stays away: undo the step (a no-op if it never ran) as soon as it answers again.
      this.undoLater(use);
      throw new ServiceUnavailableError(error);
    }
    if (taken !== 1) throw new ServiceUnavailableError(error);
    return 'OK';
  }

  /**
   * Gives back the use (and the pending marks) of a take that may have run unseen. Retried until
   * Redis answers: left alone, the use would stay taken and the marks would send the users'
   * queries to MySQL until the heal job ended the vote. Undoing is safe at any time: a token no
   * longer in flight is left as it is (vote-settle.lua).
   */
  private undoLater(use: TakenUse): void {
    this.undos.set(use.token, { use, until: Date.now() + UNDO_FOR_MS });
    void this.undoPending();
    this.undoTimer ??= setInterval(() => void this.undoPending(), UNDO_EVERY_MS).unref();
  }

  private async undoPending(): Promise<void> {
    const now = Date.now();
    for (const [token, { until }] of this.undos) if (until < now) this.undos.delete(token);
    const batch = [...this.undos.values()].map((u) => u.use);
    if (batch.length > 0) {
      try {
        await this.settle(batch, { status: 'failed', error: undefined });
        for (const use of batch) this.undos.delete(use.token);
        this.logger.warn(
          `Undid ${batch.length} vote take(s) whose answer was lost with the connection`,
        );
      } catch {
        return; // Redis still unreachable: the timer tries again.
      }
    }
    if (this.undos.size === 0) {
      clearInterval(this.undoTimer);
      this.undoTimer = undefined;
    }
  }
}
