import { Module } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { SchedulerModule } from '../../cluster/leadership/scheduler.module';
import { AuthModule } from '../../identity/auth.module';
import { TicketModule } from '../ticket/ticket.module';
import { InDoubtVoteGroups } from './in-doubt-vote-groups.service';
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
    VoteGroupPruneJob,
    VoteGroupAdoptJob,
  ],
})
export class VoteModule {}
