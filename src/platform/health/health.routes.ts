import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { RedisClient } from '../redis/redis.constants';
import { DatasetService } from '../dataset/dataset.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';
import { Type } from '@sinclair/typebox';
import { RestRoute, RestRouteSource, defineRoute } from '../http/rest-route';
import { RestRoutes } from '../http/rest-router';
import { REDIS } from '../redis/redis.constants';
import { pingEveryServer } from '../redis/redis-topology';

const PROBE_TIMEOUT_MS = 1000;

/** Terminus' answer: `status` and, per check, what it found. */
const HEALTH = Type.Object(
  {
    status: Type.String({ examples: ['ok'] }),
    info: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    error: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

/** Probes for an orchestrator: live = the process serves HTTP; ready = MySQL, Redis and data are there. */
@RestRoutes()
@Injectable()
export class HealthRoutes implements RestRouteSource {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly mysql: TypeOrmHealthIndicator,
    private readonly dataset: DatasetService,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  routes(): RestRoute[] {
    return [
      defineRoute({
        method: 'GET',
        url: '/health/live',
        summary: 'Liveness: the process serves HTTP',
        tags: ['health'],
        reply: HEALTH,
        handler: () => this.health.check([]),
      }),
      defineRoute({
        method: 'GET',
        url: '/health/ready',
        summary: 'Readiness: MySQL and Redis answer and a dataset is loaded',
        tags: ['health'],
        reply: HEALTH,
        errors: [ErrorCode.SERVICE_UNAVAILABLE],
        handler: () => this.ready(),
      }),
    ];
  }

  private async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.mysql.pingCheck('mysql', { timeout: PROBE_TIMEOUT_MS }),
        () =>
          this.indicators
            .check('redis')
            .attempt(() => pingEveryServer(this.redis))
            .withTimeout(PROBE_TIMEOUT_MS),
        () => {
          const loaded = this.dataset.current;
          const check = this.indicators.check('dataset');
          return loaded
            ? check.up({ version: loaded.version, users: loaded.users, foods: loaded.foods })
            : check.down('no dataset loaded');
        },
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const down = Object.keys(result.error ?? {}).join(', ');
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `Not ready: ${down} down`);
    }
  }
}
