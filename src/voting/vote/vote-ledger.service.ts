import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ServiceUnavailableError } from '../../platform/errors/domain-error';
import { recordOfLostCall } from '../../platform/resilience/lost-answer';
import { RetryLater } from '../../platform/resilience/retry-later';
import { randomBase64url } from '../../platform/random/random-pool';
import { mayHaveRun } from '../../platform/redis/redis-errors';
import { VotingScripts } from '../voting-scripts';
import type { SettleOutcome } from './commit-outcome';

/**
 * A vote still marked this long after its mark is taken for abandoned (its node died): the next
 * cache fill for its user heals it (vote-cache-fill.lua). Far above any real commit (milliseconds);
 * healing a live vote would only cost a cache miss, never a wrong count (see vote-settle.lua).
 */
export const ABANDONED_AFTER_MS = 30_000;

/** A vote between its ticket use and its settle: what settling it needs. */
export interface TakenUse {
  /** Names the vote in its users' hashes while it is in flight; makes every step safe to resend. */
  readonly token: string;
  readonly ticket: string;
  readonly userIds: readonly number[];
}

/** How often, and for how long, a node retries undoing marks whose vote did not go on. */
const UNDO_EVERY_MS = 500;
const UNDO_FOR_MS = 2 * ABANDONED_AFTER_MS;

/**
 * The vote's Redis steps around its MySQL commit, each on the users' own slots: mark the vote in
 * flight on every named user (one round trip: see VotingScripts.mark), then settle each user's
 * votes of a commit group (one round trip for the group).
 */
@Injectable()
export class VoteLedger implements OnApplicationShutdown {
  private readonly logger = new Logger(VoteLedger.name);
  /**
   * Marks of votes answered SERVICE_UNAVAILABLE before their commit, undone once Redis answers
   * again. Undoing is safe at any time (a token not marked is left as it is). Left alone, the marks
   * would only send the users' queries to MySQL until healed, which is also what covers a node
   * that dies meanwhile.
   */
  private readonly undos = new RetryLater<TakenUse>({
    everyMs: UNDO_EVERY_MS,
    forMs: UNDO_FOR_MS,
    attempt: (use) => this.settle([use], 'failed'),
    onGiveUp: (use, error) =>
      this.logger.error(
        `Could not undo the marks of vote ${use.token}: ${(error as Error).message}; they heal at the next query`,
      ),
  });

  constructor(private readonly scripts: VotingScripts) {}

  onApplicationShutdown(): void {
    this.undos.stop();
  }

  /**
   * Marks a vote in flight on each of its users. A lost answer is asked again (a mark is safe to
   * resend); if Redis stays away, the vote gets SERVICE_UNAVAILABLE and its marks are undone later.
   */
  async mark(ticket: string, userIds: readonly number[]): Promise<TakenUse> {
    const use: TakenUse = { token: randomBase64url(12), ticket, userIds };
    const markAll = (): Promise<void> => this.scripts.mark(userIds, use.token);
    try {
      await markAll();
    } catch (error) {
      // Some marks may have run either way; undoing one that did not is a no-op.
      if (!mayHaveRun(error)) {
        this.undos.add(use.token, use);
        throw new ServiceUnavailableError(error);
      }
      await recordOfLostCall(error, {
        mayHaveRun: true,
        lookup: async () => {
          await markAll();
          return true;
        },
        onUnreachable: () => this.undos.add(use.token, use),
      });
    }
    return use;
  }

  /** Records a commit group's outcome on its users' slots: one call per user, all sent at once. */
  async settle(uses: readonly TakenUse[], outcome: SettleOutcome): Promise<void> {
    const tokens = new Map<number, string[]>();
    for (const use of uses)
      for (const id of use.userIds) {
        const list = tokens.get(id);
        if (list) list.push(use.token);
        else tokens.set(id, [use.token]);
      }
    await this.scripts.settle(tokens, outcome);
  }
}
