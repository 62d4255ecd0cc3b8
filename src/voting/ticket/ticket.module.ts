import { Module } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { SchedulerModule } from '../../cluster/leadership/scheduler.module';
import { TicketRotationJob } from './ticket-rotation.job';
import { TicketRotator } from './ticket-rotator.service';
import { TicketResolver } from './ticket.resolver';
import { TicketService } from './ticket.service';

@Module({
  imports: [ClusterModule, SchedulerModule],
  providers: [TicketService, TicketRotator, TicketRotationJob, TicketResolver],
  exports: [TicketService],
})
export class TicketModule {}
