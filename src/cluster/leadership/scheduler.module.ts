import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster.module';
import { LeaderScheduler } from './leader-scheduler.service';

@Module({
  imports: [ClusterModule],
  providers: [LeaderScheduler],
  exports: [LeaderScheduler],
})
export class SchedulerModule {}
