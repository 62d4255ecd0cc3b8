import { Module, OnModuleInit } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { LeaderScheduler } from '../../cluster/leadership/leader-scheduler.service';
import { SchedulerModule } from '../../cluster/leadership/scheduler.module';
import { AuthModule } from '../../identity/auth.module';
import { TicketModule } from '../ticket/ticket.module';
import { InDoubtVoteGroups } from './in-doubt-vote-groups.service';
import { VoteCacheHealJob } from './vote-cache-heal.job';
import { VoteCommitter } from './vote-committer.service';
import { VoteCountQuery } from './vote-count.query';
import { VoteCountRepository } from './vote-count.repository';
import { VoteGroupAdoptJob } from './vote-group-adopt.job';
import { VoteGroupPruneJob } from './vote-group-prune.job';
import { VoteLedger } from './vote-ledger.service';
import { VoteResolver } from './vote.resolver';
import { VoteService } from './vote.service';

@Module({
  imports: [AuthModule, TicketModule, SchedulerModule, ClusterModule],
  providers: [
    VoteResolver,
    VoteService,
    VoteLedger,
    VoteCommitter,
    InDoubtVoteGroups,
    VoteCountRepository,
    VoteCountQuery,
    VoteCacheHealJob,
    VoteGroupPruneJob,
    VoteGroupAdoptJob,
  ],
})
export class VoteModule implements OnModuleInit {
  constructor(
    private readonly scheduler: LeaderScheduler,
    private readonly heal: VoteCacheHealJob,
    private readonly prune: VoteGroupPruneJob,
    private readonly adopt: VoteGroupAdoptJob,
  ) {}

  onModuleInit(): void {
    this.scheduler.register(this.heal);
    this.scheduler.register(this.prune);
    this.scheduler.register(this.adopt);
  }
}
