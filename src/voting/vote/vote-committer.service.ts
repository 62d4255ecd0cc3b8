import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../platform/config/app-config';
import { BatchWriter } from '../../platform/database/batch-writer';
import { RESOLVE_FOR_MS, askUntilAnswered } from '../../platform/resilience/ask-until-answered';
import { mayHaveCommitted } from '../../platform/database/mysql-errors';
import { Metrics } from '../../platform/metrics/metrics.service';
import { randomBase64url } from '../../platform/random/random-pool';
import type { CommitOutcome } from './commit-outcome';
import { InDoubtVoteGroups } from './in-doubt-vote-groups.service';
import { VoteCountRepository } from './vote-count.repository';
import { TakenUse, VoteLedger } from './vote-ledger.service';

/** A vote after its group's commit and settle. */
export interface SettledVote {
  readonly outcome: CommitOutcome;
  /**
   * Set when Redis could not record the outcome. The outcome stands (a committed vote counts);
   * the users' in-flight marks stay behind, so their queries read MySQL until the heal job.
   */
  readonly settleError?: unknown;
}

interface PendingVote {
  readonly use: TakenUse;
  settled?: SettledVote;
}

/**
 * Group commit of votes: every vote that arrives while a commit is in flight goes into the next
 * one, summed per user into a single `INSERT ... ON DUPLICATE KEY UPDATE`, and the group's
 * outcome is then recorded in Redis with one script call (see vote-settle.lua) before any of its
 * votes is answered. The write never throws to the BatchWriter: its item-by-item retry would
 * apply a group twice if the group's outcome was in doubt. Each vote learns its group's outcome.
 */
@Injectable()
export class VoteCommitter implements OnApplicationShutdown {
  private readonly logger = new Logger(VoteCommitter.name);
  private readonly writer: BatchWriter<PendingVote>;

  constructor(
    private readonly repository: VoteCountRepository,
    private readonly ledger: VoteLedger,
    private readonly inDoubt: InDoubtVoteGroups,
    private readonly metrics: Metrics,
    config: AppConfig,
  ) {
    metrics.declare('vote.commitGroups', 'vote.commitFailures', 'vote.groupsInDoubt');
    this.writer = new BatchWriter((votes) => this.write(votes), {
      maxBatch: config.COMMIT_BATCH_MAX,
      concurrency: 2,
    });
  }

  async commit(use: TakenUse): Promise<SettledVote> {
    const vote: PendingVote = { use };
    await this.writer.submit(vote);
    return vote.settled ?? { outcome: { status: 'committed' } };
  }

  /** On SIGTERM the HTTP server has let its requests finish; this is the safety net. */
  async onApplicationShutdown(): Promise<void> {
    await this.writer.drain();
  }

  private async write(votes: PendingVote[]): Promise<void> {
    const totals = new Map<number, number>();
    for (const vote of votes)
      for (const id of vote.use.userIds) totals.set(id, (totals.get(id) ?? 0) + 1);
    this.metrics.inc('vote.commitGroups');
    const groupId = randomBase64url(12);
    let outcome: CommitOutcome = { status: 'committed' };
    try {
      await this.repository.addVotes(groupId, totals);
    } catch (error) {
      this.metrics.inc('vote.commitFailures');
      outcome = mayHaveCommitted(error)
        ? await this.resolve(groupId, error)
        : { status: 'failed', error };
    }
    const uses = votes.map((v) => v.use);
    if (outcome.status === 'in-doubt') {
      // Answered SERVICE_UNAVAILABLE, so the group must not count: it is voided or reverted once
      // MySQL answers, and settled in Redis only then (its votes stay in flight meanwhile). It is
      // recorded in Redis before the answer, so that it is settled even if this node dies.
      await this.inDoubt.add({ groupId, totals, uses });
      for (const vote of votes) vote.settled = { outcome };
      return;
    }
    let settled: SettledVote = { outcome };
    try {
      await this.ledger.settle(uses, outcome.status);
    } catch (settleError) {
      settled = { outcome, settleError };
    }
    for (const vote of votes) vote.settled = settled;
  }

  /**
   * The connection died during the commit: asks MySQL whether the group committed, voiding it if
   * not (VoteCountRepository.voidUnlessCommitted), so the votes are answered truthfully either way.
   * Only if MySQL cannot be asked for RESOLVE_FOR_MS does the group stay in doubt: its votes are
   * then answered as failed, and InDoubtVoteGroups makes that true once MySQL answers.
   */
  private async resolve(groupId: string, error: unknown): Promise<CommitOutcome> {
    let committed: boolean;
    try {
      committed = await askUntilAnswered(() => this.repository.voidUnlessCommitted(groupId));
    } catch (askError) {
      this.metrics.inc('vote.groupsInDoubt');
      this.logger.error(
        `Vote group ${groupId}: commit outcome unknown, MySQL unanswered for ${RESOLVE_FOR_MS} ms (${(askError as Error).message}); answered as failed, to be voided or reverted once MySQL answers`,
      );
      return { status: 'in-doubt', error };
    }
    this.logger.warn(
      `Vote group ${groupId}: commit outcome was unknown; it ${committed ? 'committed' : 'did not commit and is now void'}`,
    );
    return committed ? { status: 'committed' } : { status: 'failed', error };
  }
}
