import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { DatasetService } from '../dataset/dataset.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';
import { REDIS } from '../redis/redis.constants';

const PROBE_TIMEOUT_MS = 1000;

/** Probes for an orchestrator: live = the process serves HTTP; ready = MySQL, Redis and data are there. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly mysql: TypeOrmHealthIndicator,
    private readonly dataset: DatasetService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.mysql.pingCheck('mysql', { timeout: PROBE_TIMEOUT_MS }),
        () =>
          this.indicators
            .check('redis')
            .attempt(async () => void (await this.redis.ping()))
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
