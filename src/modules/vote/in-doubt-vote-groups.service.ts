import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RetryLater } from '../../infra/in-doubt/retry-later';
import { Metrics } from '../../infra/metrics/metrics.service';
import type { SettleOutcome } from './commit-outcome';
import { VoteCountRepository } from './vote-count.repository';
import { TakenUse, VoteLedger } from './vote-ledger.service';

/** A commit group whose outcome stayed unknown, answered SERVICE_UNAVAILABLE. */
export interface InDoubtGroup {
  readonly groupId: string;
  /** Votes per user id, as the group wrote them. */
  readonly totals: ReadonlyMap<number, number>;
  readonly uses: readonly TakenUse[];
}

const EVERY_MS = 500;
/** Half the hour vote_group rows are kept (VoteGroupPruneJob): a pruned group cannot be told apart. */
const FOR_MS = 30 * 60_000;

/**
 * The votes of a group whose commit outcome MySQL could not be asked about in time were answered
 * SERVICE_UNAVAILABLE, so they must not count. Once MySQL answers again, the group is voided if it
 * never committed, or its votes are taken back if it did (VoteCountRepository.revertUnlessVoid);
 * then it is settled in Redis. Until then its votes stay in flight there, so their users' queries
 * read MySQL instead of a cached count. In memory only: if this node dies first, a group that had
 * committed keeps counting (the heal job ends its votes in Redis).
 */
@Injectable()
export class InDoubtVoteGroups implements OnApplicationShutdown {
  private readonly logger = new Logger(InDoubtVoteGroups.name);
  private readonly groups = new RetryLater<InDoubtGroup & { settleAs?: SettleOutcome }>({
    everyMs: EVERY_MS,
    forMs: FOR_MS,
    attempt: (group) => this.settle(group),
    onGiveUp: (group, error) =>
      this.logger.error(
        `Vote group ${group.groupId}, answered SERVICE_UNAVAILABLE, is still not settled after ${FOR_MS / 60_000} min (${(error as Error).message}): if it committed, its votes count`,
      ),
  });

  constructor(
    private readonly repository: VoteCountRepository,
    private readonly ledger: VoteLedger,
    private readonly metrics: Metrics,
  ) {
    metrics.declare('vote.groupsVoidedLate', 'vote.groupsReverted');
    metrics.gauge('vote.groupsUnsettled', () => this.groups.size);
  }

  add(group: InDoubtGroup): void {
    this.groups.add(group.groupId, { ...group });
  }

  /** One last round on SIGTERM, then what is left is reported. */
  async onApplicationShutdown(): Promise<void> {
    await this.groups.run();
    const left = this.groups.stop();
    if (left.length > 0)
      this.logger.error(
        `${left.length} vote group(s) answered SERVICE_UNAVAILABLE are not settled at shutdown: if they committed, their votes count`,
      );
  }

  /** MySQL first (once), then Redis; a throw means "try again next round". */
  private async settle(group: InDoubtGroup & { settleAs?: SettleOutcome }): Promise<void> {
    if (group.settleAs === undefined) {
      const found = await this.repository.revertUnlessVoid(group.groupId, group.totals);
      group.settleAs = found === 'reverted' ? 'reverted' : 'failed';
      if (found === 'reverted') {
        this.metrics.inc('vote.groupsReverted');
        this.logger.warn(
          `Vote group ${group.groupId} had committed though answered SERVICE_UNAVAILABLE: its ${group.uses.length} vote(s) are taken back`,
        );
      } else {
        this.metrics.inc('vote.groupsVoidedLate');
        this.logger.warn(`Vote group ${group.groupId} never committed; it is void now`);
      }
    }
    await this.ledger.settle(group.uses, group.settleAs);
  }
}
