import { Global, Module } from '@nestjs/common';
import { MetricsRoutes } from './metrics.routes';
import { Metrics } from './metrics.service';

@Global()
@Module({ providers: [Metrics, MetricsRoutes], exports: [Metrics] })
export class MetricsModule {}
