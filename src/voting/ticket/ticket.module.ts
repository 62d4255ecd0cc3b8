import { Module } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { SchedulerModule } from '../../cluster/leadership/scheduler.module';
import { TicketRotationJob } from './ticket-rotation.job';
import { TicketRotator } from './ticket-rotator.service';
import { TicketResolver } from './ticket.resolver';
import { TicketService } from './ticket.service';
import { VotingScripts } from '../voting-scripts';

@Module({
  imports: [ClusterModule, SchedulerModule],
  providers: [TicketService, TicketRotator, TicketRotationJob, TicketResolver, VotingScripts],
  exports: [TicketService, VotingScripts],
})
export class TicketModule {}
