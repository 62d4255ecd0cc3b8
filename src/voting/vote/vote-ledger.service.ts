import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { AppConfig } from '../../platform/config/app-config';
import { DomainError } from '../../platform/errors/domain-error';
import { recordOfLostCall } from '../../platform/resilience/lost-answer';
import { ErrorCode } from '../../platform/errors/error-codes';
import { RetryLater } from '../../platform/resilience/retry-later';
import { randomBase64url } from '../../platform/random/random-pool';
import { mayHaveRun } from '../../platform/redis/redis-errors';
import { REDIS } from '../../platform/redis/redis.constants';
import { VotingKeys } from '../voting-keys';
import { VotingScripts } from '../voting-scripts';
import type { SettleOutcome } from './commit-outcome';

/**
 * A vote still in flight this long after its Redis step is taken for abandoned (its node died):
 * the heal job then ends it. Far above any real commit (milliseconds); healing a live vote would
 * only cost a cache miss, never a wrong count (see vote-settle.lua).
 */
export const ABANDONED_AFTER_MS = 30_000;

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
  /**
   * Takes whose answer was lost with the connection, undone once Redis answers again. Undoing is
   * safe at any time: a token no longer in flight is left as it is (vote-settle.lua). Left alone,
   * the use would stay taken and the pending marks would send the users' queries to MySQL until
   * the heal job ended the vote, which is also what covers a node that dies meanwhile.
   */
  private readonly undos = new RetryLater<TakenUse>({
    everyMs: UNDO_EVERY_MS,
    forMs: UNDO_FOR_MS,
    attempt: async (use) => {
      await this.settle([use], 'failed');
      this.logger.warn(`Undid a vote take whose answer was lost with the connection`);
    },
    onGiveUp: (use, error) =>
      this.logger.error(
        `Could not undo vote take ${use.token}: ${(error as Error).message}; the heal job ends it`,
      ),
  });

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly scripts: VotingScripts,
    private readonly config: AppConfig,
  ) {}

  onApplicationShutdown(): void {
    this.undos.stop();
  }

  /** One round trip: checks the ticket and takes one use, or throws the contract's refusal. */
  async take(ticket: string, userIds: readonly number[]): Promise<TakenUse> {
    const token = randomBase64url(12);
    let status: string;
    try {
      status = await this.scripts.take(token, ticket, this.config.TICKET_MAX_USES, userIds);
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
  async settle(uses: readonly TakenUse[], outcome: SettleOutcome): Promise<void> {
    const args: (string | number)[] = [outcome];
    for (const use of uses) args.push(use.token, use.ticket, use.userIds.length, ...use.userIds);
    await this.scripts.settle(args);
  }

  /**
   * The take's answer was lost with the connection. If it ran and took the use, its token is in
   * flight: the vote goes on. If it did not run, or refused (which writes nothing), the client
   * gets a 503 with nothing applied. A 503 as well if Redis cannot be asked, and the step is
   * undone later.
   */
  private async statusOfLost(use: TakenUse, error: unknown): Promise<string> {
    return recordOfLostCall(error, {
      mayHaveRun: mayHaveRun(error),
      lookup: async () =>
        (await this.redis.hexists(VotingKeys.voteInflight, use.token)) === 1 ? 'OK' : null,
      // Redis stays away: undo the step (a no-op if it never ran) as soon as it answers again.
      onUnreachable: () => this.undos.add(use.token, use),
    });
  }
}
