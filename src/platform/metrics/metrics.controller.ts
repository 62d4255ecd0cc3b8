import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Metrics, MetricsSnapshot } from './metrics.service';

/**
 * `GET /metrics`: this process's counters as flat JSON. Each worker is its own node, so behind
 * WORKERS > 1 successive calls may reach different workers; `node.id` says which one answered.
 */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @ApiOkResponse({ description: 'Flat JSON of counters and gauges of the answering process' })
  read(): MetricsSnapshot {
    return { pid: process.pid, ...this.metrics.snapshot() };
  }
}
