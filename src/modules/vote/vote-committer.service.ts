import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../infra/config/app-config';
import { BatchWriter } from '../../infra/database/batch-writer';
import { Metrics } from '../../infra/metrics/metrics.service';
import { mayHaveCommitted } from '../../infra/database/mysql-errors';
import { VoteCountRepository } from './vote-count.repository';

/** What became of a vote's MySQL commit. `in-doubt`: the connection died, it may have committed. */
export type CommitOutcome =
  { status: 'committed' } | { status: 'failed' | 'in-doubt'; error: unknown };

interface PendingVote {
  readonly userIds: readonly number[];
  outcome?: CommitOutcome;
}

/**
 * Group commit of votes: every vote that arrives while a commit is in flight goes into the next
 * one, summed per user into a single `INSERT ... ON DUPLICATE KEY UPDATE`. The write never
 * throws to the BatchWriter: its item-by-item retry would apply a group twice if the group's
 * outcome was in doubt. Each vote learns its group's outcome instead.
 */
@Injectable()
export class VoteCommitter implements OnApplicationShutdown {
  private readonly writer: BatchWriter<PendingVote>;

  constructor(
    private readonly repository: VoteCountRepository,
    private readonly metrics: Metrics,
    config: AppConfig,
  ) {
    metrics.declare('vote.commitGroups', 'vote.commitFailures');
    this.writer = new BatchWriter((votes) => this.write(votes), {
      maxBatch: config.COMMIT_BATCH_MAX,
      concurrency: 2,
    });
  }

  async commit(userIds: readonly number[]): Promise<CommitOutcome> {
    const vote: PendingVote = { userIds };
    await this.writer.submit(vote);
    return vote.outcome ?? { status: 'committed' };
  }

  /** On SIGTERM the HTTP server has let its requests finish; this is the safety net. */
  async onApplicationShutdown(): Promise<void> {
    await this.writer.drain();
  }

  private async write(votes: PendingVote[]): Promise<void> {
    const totals = new Map<number, number>();
    for (const vote of votes)
      for (const id of vote.userIds) totals.set(id, (totals.get(id) ?? 0) + 1);
    this.metrics.inc('vote.commitGroups');
    try {
      await this.repository.addVotes(totals);
    } catch (error) {
      this.metrics.inc('vote.commitFailures');
      const outcome: CommitOutcome = {
        status: mayHaveCommitted(error) ? 'in-doubt' : 'failed',
        error,
      };
      for (const vote of votes) vote.outcome = outcome;
    }
  }
}
