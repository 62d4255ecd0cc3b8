import { Controller, Get, Header, Headers } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { DomainError, ServiceUnavailableError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';
import { Metrics, MetricsSnapshot } from './metrics.service';
import { NodeScrape } from './node-scrape';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  private readonly node: NodeScrape;

  constructor(private readonly metrics: Metrics) {
    this.node = new NodeScrape(metrics.registry);
  }

  /** Prometheus text of the whole node: every worker's metrics, combined by the primary. */
  @Get()
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOkResponse({
    description: "Prometheus text exposition of the node (all its workers' metrics combined)",
  })
  async scrape(
    @Headers('content-length') length?: string,
    @Headers('transfer-encoding') encoding?: string,
  ): Promise<string> {
    // A GET body is never read here; answering ~100 KB and closing with it unread in the socket
    // makes the kernel reset the connection, and the client loses the answer. Refused instead.
    if ((length !== undefined && length !== '0') || encoding !== undefined)
      throw new DomainError(ErrorCode.BAD_REQUEST, 'GET /metrics takes no body');
    try {
      return await this.node.scrape();
    } catch (error) {
      throw new ServiceUnavailableError(error);
    }
  }

  /**
   * This process's counters as flat JSON by dotted name. Behind WORKERS > 1 successive calls may
   * reach different workers; `pid` and `node.id` say which one answered.
   */
  @Get('json')
  @ApiOkResponse({ description: 'Flat JSON of counters and gauges of the answering process' })
  read(): MetricsSnapshot {
    return { pid: process.pid, ...this.metrics.snapshot() };
  }
}
