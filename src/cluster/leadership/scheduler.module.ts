import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ClusterModule } from '../cluster.module';
import { LeaderScheduler } from './leader-scheduler.service';

@Module({
  imports: [ClusterModule, DiscoveryModule],
  providers: [LeaderScheduler],
  exports: [LeaderScheduler],
})
export class SchedulerModule {}
