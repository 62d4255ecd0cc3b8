import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InDoubtRegistry } from '../../cluster/in-doubt/in-doubt-registry';
import { NodeIdentity } from '../../cluster/membership/node-identity';
import { NodeRegistry } from '../../cluster/membership/node-registry.service';
import { RetryLater } from '../../platform/resilience/retry-later';
import { Metrics } from '../../platform/metrics/metrics.service';
import type { SettleOutcome } from './commit-outcome';
import {
  InDoubtGroup,
  InDoubtGroupRecord,
  decodeInDoubtGroup,
  encodeInDoubtGroup,
} from './in-doubt-group-record';
import { VoteCountRepository } from './vote-count.repository';
import { VoteLedger } from './vote-ledger.service';

export type { InDoubtGroup } from './in-doubt-group-record';

/** A group being settled: whose record holds it, and how it settles once MySQL said. */
type Unsettled = InDoubtGroup & { owner: string; settleAs?: SettleOutcome };

const EVERY_MS = 500;
/** The voting context's namespace in the registry of operations in doubt (InDoubtRegistry). */
export const IN_DOUBT_SCOPE = 'vote';
/** Half the hour vote_group rows are kept (VoteGroupPruneJob): a pruned group cannot be told apart. */
const FOR_MS = 30 * 60_000;

/**
 * The votes of a group whose commit outcome MySQL could not be asked about in time were answered
 * SERVICE_UNAVAILABLE, so they must not count. Once MySQL answers again, the group is voided if it
 * never committed, or its votes are taken back if it did (VoteCountRepository.revertUnlessVoid);
 * then it is settled in Redis. Until then its votes stay in flight there, so their users' queries
 * read MySQL instead of a cached count.
 *
 * Each group is also recorded in the registry of operations in doubt (InDoubtRegistry, under
 * its node) before its votes are answered, and its entry is dropped once the group is settled.
 * Should its node die first (or stop with it unsettled), the leader adopts it ({@link
 * adoptOrphans}) once that node's heartbeat has expired, closing the node's record as it reads
 * it, and settles it the same way. Settling is safe to repeat and to run on two nodes at once (a paused node that comes back):
 * MySQL serialises the two reverts on the group's row, and a second Redis settle only drops
 * cached counts again.
 */
@Injectable()
export class InDoubtVoteGroups implements OnApplicationShutdown {
  private readonly logger = new Logger(InDoubtVoteGroups.name);
  private readonly groups = new RetryLater<Unsettled>({
    everyMs: EVERY_MS,
    forMs: FOR_MS,
    attempt: (group) => this.settle(group),
    onGiveUp: (group, error) =>
      this.logger.error(
        `Vote group ${group.groupId}, answered SERVICE_UNAVAILABLE, is still not settled after ${FOR_MS / 60_000} min (${(error as Error).message}): if it committed, its votes count`,
      ),
  });

  constructor(
    private readonly records: InDoubtRegistry,
    private readonly repository: VoteCountRepository,
    private readonly ledger: VoteLedger,
    private readonly registry: NodeRegistry,
    private readonly node: NodeIdentity,
    private readonly metrics: Metrics,
  ) {
    metrics.declare('vote.groupsVoidedLate', 'vote.groupsReverted', 'vote.groupsAdopted');
    metrics.gauge('vote.groupsUnsettled', () => this.groups.size, {
      metric: 'vote_groups_unsettled',
      help: 'Vote groups of this node whose commit outcome is not yet settled',
    });
  }

  /**
   * Takes on a group before its votes are answered: recorded in Redis first, so that it outlives
   * this node. If Redis cannot take the record, or the leader already closed this node's record
   * (it stalled past its heartbeat), only this node knows of the group (logged).
   */
  async add(group: InDoubtGroup): Promise<void> {
    const record = encodeInDoubtGroup({ group, nodeId: this.node.id, at: Date.now() });
    const recorded = await this.records
      .record(IN_DOUBT_SCOPE, this.node.id, group.groupId, record)
      .catch((e: Error) => e);
    if (recorded !== true)
      this.logger.error(
        `Could not record vote group ${group.groupId} as in doubt (${recorded === false ? "the leader already took over this node's record" : recorded.message}): should this node die before settling it, it counts if it committed`,
      );
    this.groups.add(group.groupId, { ...group, owner: this.node.id });
  }

  /**
   * For the leader: takes on the recorded groups of nodes that are no longer alive (their
   * heartbeat expired: NodeRegistry). Returns how many it adopted now.
   */
  async adoptOrphans(): Promise<number> {
    const orphans: InDoubtGroupRecord[] = [];
    for (const owner of await this.registry.dead()) {
      if (owner === this.node.id) continue;
      for (const [groupId, value] of await this.records.close(IN_DOUBT_SCOPE, owner)) {
        const record = decodeInDoubtGroup(groupId, value);
        if (!record) {
          this.logger.error(
            `Dropping an unreadable in-doubt vote group record ${groupId}: ${value.slice(0, 200)}`,
          );
          await this.records.settled(IN_DOUBT_SCOPE, owner, [groupId]);
        } else if (!this.groups.has(groupId)) orphans.push({ ...record, nodeId: owner });
      }
    }
    let adopted = 0;
    for (const { group, nodeId, at } of orphans) {
      const left = at + FOR_MS - Date.now();
      if (left <= 0) {
        // Its vote_group row may be pruned soon, after which a revert could not tell it committed.
        this.logger.error(
          `Vote group ${group.groupId} of dead node ${nodeId} has waited over ${FOR_MS / 60_000} min: given up; if it committed, its votes count`,
        );
        await this.records.settled(IN_DOUBT_SCOPE, nodeId, [group.groupId]);
        continue;
      }
      this.logger.warn(
        `Adopting vote group ${group.groupId} (${group.uses.length} vote(s) answered SERVICE_UNAVAILABLE) of dead node ${nodeId}`,
      );
      this.metrics.inc('vote.groupsAdopted');
      this.groups.add(group.groupId, { ...group, owner: nodeId }, left);
      adopted++;
    }
    return adopted;
  }

  /** One last round on SIGTERM; what is left stays recorded for the leader to adopt. */
  async onApplicationShutdown(): Promise<void> {
    await this.groups.run();
    const left = this.groups.stop();
    if (left.length > 0)
      this.logger.error(
        `${left.length} vote group(s) answered SERVICE_UNAVAILABLE are not settled at shutdown: left to the leader, which settles them once MySQL answers`,
      );
  }

  /** MySQL first (once), then Redis, then the record goes; a throw means "try again next round". */
  private async settle(group: Unsettled): Promise<void> {
    if (group.settleAs === undefined) {
      const found = await this.repository.revertUnlessVoid(group.groupId, group.totals);
      // 'was-void': someone settled it before (another node, or an attempt whose answer was lost),
      // maybe by reverting it; settling as reverted is right either way, since dropping cached
      // counts only costs a cache miss.
      group.settleAs = found === 'voided' ? 'failed' : 'reverted';
      if (found === 'reverted') {
        this.metrics.inc('vote.groupsReverted');
        this.logger.warn(
          `Vote group ${group.groupId} had committed though answered SERVICE_UNAVAILABLE: its ${group.uses.length} vote(s) are taken back`,
        );
      } else {
        this.metrics.inc('vote.groupsVoidedLate');
        this.logger.warn(
          `Vote group ${group.groupId} ${found === 'voided' ? 'never committed; it is void now' : 'was void already'}`,
        );
      }
    }
    await this.ledger.settle(group.uses, group.settleAs);
    await this.records.settled(IN_DOUBT_SCOPE, group.owner, [group.groupId]);
  }
}
