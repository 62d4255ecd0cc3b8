import { Module } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { SchedulerModule } from '../../cluster/leadership/scheduler.module';
import { TicketRotationJob } from './ticket-rotation.job';
import { TicketRotator } from './ticket-rotator.service';
import { TicketResolver } from './ticket.resolver';
import { TicketService } from './ticket.service';
import { TicketAllowances } from './ticket-allowances.service';
import { VotingScripts } from '../voting-scripts';

@Module({
  imports: [ClusterModule, SchedulerModule],
  providers: [
    TicketService,
    TicketAllowances,
    TicketRotator,
    TicketRotationJob,
    TicketResolver,
    VotingScripts,
  ],
  exports: [TicketService, TicketAllowances, VotingScripts],
})
export class TicketModule {}
