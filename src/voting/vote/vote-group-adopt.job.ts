import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../platform/config/app-config';
import { LeaderJob, LeaderOnly } from '../../cluster/leadership/leader-job';
import { InDoubtVoteGroups } from './in-doubt-vote-groups.service';

/**
 * Leader-only: settles the in-doubt vote groups of nodes that died before settling them
 * (InDoubtVoteGroups.adoptOrphans). As often as a dead node is noticed (a third of its lease),
 * and the common case costs one HGETALL of an empty hash.
 */
@Injectable()
@LeaderOnly()
export class VoteGroupAdoptJob implements LeaderJob {
  readonly name = 'vote-group-adopt';
  readonly retryMs: number;

  constructor(
    private readonly groups: InDoubtVoteGroups,
    config: AppConfig,
  ) {
    this.retryMs = Math.max(250, Math.floor(config.LEASE_TTL_MS / 3));
  }

  async run(): Promise<number> {
    await this.groups.adoptOrphans();
    return this.retryMs;
  }
}
