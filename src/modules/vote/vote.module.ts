import { Module, OnModuleInit } from '@nestjs/common';
import { LeaderScheduler } from '../../scheduler/leader-scheduler.service';
import { SchedulerModule } from '../../scheduler/scheduler.module';
import { AuthModule } from '../auth/auth.module';
import { TicketModule } from '../ticket/ticket.module';
import { InDoubtVoteGroups } from './in-doubt-vote-groups.service';
import { VoteCacheHealJob } from './vote-cache-heal.job';
import { VoteCommitter } from './vote-committer.service';
import { VoteCountQuery } from './vote-count.query';
import { VoteCountRepository } from './vote-count.repository';
import { VoteGroupPruneJob } from './vote-group-prune.job';
import { VoteLedger } from './vote-ledger.service';
import { VoteResolver } from './vote.resolver';
import { VoteService } from './vote.service';

@Module({
  imports: [AuthModule, TicketModule, SchedulerModule],
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
  ],
})
export class VoteModule implements OnModuleInit {
  constructor(
    private readonly scheduler: LeaderScheduler,
    private readonly heal: VoteCacheHealJob,
    private readonly prune: VoteGroupPruneJob,
  ) {}

  onModuleInit(): void {
    this.scheduler.register(this.heal);
    this.scheduler.register(this.prune);
  }
}
