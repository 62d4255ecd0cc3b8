import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthRoutes } from './health.routes';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [HealthRoutes],
})
export class HealthModule {}
