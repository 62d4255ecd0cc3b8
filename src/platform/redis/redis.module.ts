import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import { timeRedisCommands } from '../metrics/request-timing';
import { REDIS } from './redis.constants';
import { defineScripts } from './redis-scripts';
import { watchForSilence } from './silent-connection-watchdog';

export function createRedisClient(config: AppConfig, name = 'app'): Redis {
  const redis = new Redis({
    host: config.REDIS_HOST,
    port: config.REDIS_PORT,
    db: config.REDIS_DB,
    connectionName: `${name}:${process.pid}`,
    // 0: a command whose connection is lost is rejected at once. With autoResendUnfulfilledCommands
    // off, ioredis otherwise drops such commands without settling them once it reconnects, and
    // the request waiting on one hangs until its client gives up.
    maxRetriesPerRequest: 0,
    // While disconnected, fail commands at once instead of queueing them: a request during an
    // outage gets its 503 in milliseconds. Start-up work that runs before the first connect
    // (dataset load, lease renewal) retries on its own timer.
    enableOfflineQueue: false,
    connectTimeout: 2000,
    // A hung Redis (no answer, no reset) would otherwise hold every command until the OS gives up
    // on the connection, hours later. A command that times out may still run: see mayHaveRun.
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    // Never re-send a command whose answer was lost with the connection: a script such as
    // order-place or cart-patch would apply twice. The caller gets an error (503) instead.
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
  });
  defineScripts(redis);
  // The command timeout fails commands on a connection that went silent; this replaces it.
  const logger = new Logger('Redis');
  watchForSilence(redis, config.REDIS_COMMAND_TIMEOUT_MS, (ms) =>
    logger.warn(`No reply from Redis for ${ms} ms with commands waiting: reconnecting`),
  );
  return redis;
}

/**
 * A client that has connected (or given up waiting after `timeoutMs`): with the offline queue off,
 * commands sent before the first connect would fail. A Redis that is down at boot does not stop
 * the process; readiness stays false and the periodic jobs retry.
 */
export async function connectRedis(
  config: AppConfig,
  name = 'app',
  timeoutMs = 10_000,
): Promise<Redis> {
  const redis = createRedisClient(config, name);
  if (redis.status === 'ready') return redis;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig, Metrics],
      useFactory: async (config: AppConfig, metrics: Metrics) => {
        const redis = await connectRedis(config);
        timeRedisCommands(redis, metrics);
        return redis;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisModule.name);

  constructor(@Inject(REDIS) private readonly redis: Redis) {
    redis.on('error', (err: Error) => this.logger.warn(`Redis: ${err.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
