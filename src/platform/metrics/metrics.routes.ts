import { Injectable } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import { Registry } from 'prom-client';
import { DomainError, ServiceUnavailableError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';
import { RestRoute, RestRouteSource, defineRoute } from '../http/rest-route';
import { RestRoutes } from '../http/rest-router';
import { Metrics } from './metrics.service';
import { NodeScrape } from './node-scrape';

@RestRoutes()
@Injectable()
export class MetricsRoutes implements RestRouteSource {
  private readonly node: NodeScrape;

  constructor(private readonly metrics: Metrics) {
    this.node = new NodeScrape(metrics.registry);
  }

  routes(): RestRoute[] {
    return [
      defineRoute({
        method: 'GET',
        url: '/metrics',
        summary: "Prometheus text exposition of the node (all its workers' metrics combined)",
        tags: ['operations'],
        produces: Registry.PROMETHEUS_CONTENT_TYPE,
        reply: Type.String(),
        errors: [ErrorCode.BAD_REQUEST, ErrorCode.SERVICE_UNAVAILABLE],
        handler: async (request, reply) => {
          const { 'content-length': length, 'transfer-encoding': encoding } = request.headers;
          // A GET body is never read here; answering ~100 KB and closing with it unread in the
          // socket makes the kernel reset the connection, and the client loses the answer.
          if ((length !== undefined && length !== '0') || encoding !== undefined)
            throw new DomainError(ErrorCode.BAD_REQUEST, 'GET /metrics takes no body');
          let text: string;
          try {
            text = await this.node.scrape();
          } catch (error) {
            throw new ServiceUnavailableError(error);
          }
          return reply.header('content-type', Registry.PROMETHEUS_CONTENT_TYPE).send(text);
        },
      }),
      defineRoute({
        method: 'GET',
        url: '/metrics/json',
        summary:
          "This process's counters and gauges as flat JSON by dotted name; behind WORKERS > 1 " +
          'successive calls may reach different workers (`pid` and `node.id` say which answered)',
        tags: ['operations'],
        reply: Type.Object(
          { pid: Type.Integer() },
          {
            additionalProperties: Type.Union([
              Type.Number(),
              Type.String(),
              Type.Boolean(),
              Type.Null(),
            ]),
          },
        ),
        handler: () => ({ pid: process.pid, ...this.metrics.snapshot() }),
      }),
    ];
  }
}
