import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';
import type { RedisNodeAddress } from '../config/redis-values';
import { Metrics } from '../metrics/metrics.service';
import { timeRedisCommands } from '../metrics/request-timing';
import { REDIS, RedisClient } from './redis.constants';
import { defineScripts, loadScriptsOn, scriptCommandNames } from './redis-scripts';
import { isCluster, mastersOf, onEachConnection } from './redis-topology';
import { watchForSilence } from './silent-connection-watchdog';

const retryStrategy = (times: number): number => Math.min(times * 100, 2000);

/** How every connection to a Redis server behaves, a single one's or each cluster node's. */
function connectionOptions(config: AppConfig, name: string): RedisOptions {
  return {
    connectionName: `${name}:${process.pid}`,
    // 0: a command whose connection is lost is rejected at once. With autoResendUnfulfilledCommands
    // off, ioredis otherwise drops such commands without settling them once it reconnects, and
    // the request waiting on one hangs until its client gives up.
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    // A hung Redis (no answer, no reset) would otherwise hold every command until the OS gives up
    // on the connection, hours later. A command that times out may still run: see mayHaveRun.
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy,
    // Never re-send a command whose answer was lost with the connection: a script such as
    // order-place or cart-patch would apply twice. The caller gets an error (503) instead.
    autoResendUnfulfilledCommands: false,
  };
}

function singleClient(config: AppConfig, name: string): Redis {
  return new Redis({
    ...connectionOptions(config, name),
    host: config.REDIS_HOST,
    port: config.REDIS_PORT,
    db: config.REDIS_DB,
    keyPrefix: config.REDIS_KEY_PREFIX || undefined,
    // While disconnected, fail commands at once instead of queueing them: a request during an
    // outage gets its 503 in milliseconds. Start-up work that runs before the first connect
    // (dataset load, lease renewal) retries on its own timer.
    enableOfflineQueue: false,
    enableAutoPipelining: true,
  });
}

function clusterClient(config: AppConfig, nodes: RedisNodeAddress[], name: string): Cluster {
  return new Cluster(nodes, {
    // On the cluster client, not in redisOptions: the node connections stay unprefixed, so what
    // is sent on them directly (SCAN, UNLINK, SCRIPT LOAD) names keys as they are stored.
    keyPrefix: config.REDIS_KEY_PREFIX || undefined,
    // ioredis makes each node connection with its own offline queue on and no reconnects (a lost
    // node is found again through MOVED and slot refreshes); these options are the rest.
    redisOptions: connectionOptions(config, name),
    // As for a single Redis: no queue while the cluster is not ready (or a node's connection is
    // down), so an outage costs a prompt 503.
    enableOfflineQueue: false,
    // Plain commands only: see scriptCommandNames for why the scripts are sent as they come.
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: scriptCommandNames(),
    // Replicas may lag: a read there could miss the write a script just made.
    scaleReads: 'master',
    // ioredis re-sends a command that failed with "Connection is closed." after this delay,
    // commands that were in flight when the connection dropped included: a script would apply
    // twice. 0 turns that off; MOVED, ASK, TRYAGAIN and CLUSTERDOWN (answers proving the command
    // did not run) are still followed.
    retryDelayOnFailover: 0,
    clusterRetryStrategy: retryStrategy,
    slotsRefreshTimeout: 2000,
  });
}

export function createRedisClient(config: AppConfig, name = 'app'): RedisClient {
  const nodes = config.redisClusterNodes;
  const redis = nodes ? clusterClient(config, nodes, name) : singleClient(config, name);
  defineScripts(redis);
  const logger = new Logger('Redis');
  onEachConnection(redis, (connection) => {
    // The command timeout fails commands on a connection that went silent; this replaces it.
    watchForSilence(connection, config.REDIS_COMMAND_TIMEOUT_MS, (ms) =>
      logger.warn(
        `No reply from Redis ${connection.options.host}:${connection.options.port} for ${ms} ms ` +
          'with commands waiting: reconnecting',
      ),
    );
    // Every master gets every script once its connection is up. Not sooner: a load sent on a
    // node connection not yet opened would open it, and the cluster's own ready check, which
    // refuses a node that is connecting (no offline queue), would fail and start over.
    if (connection !== redis && !connection.options.readOnly)
      connection.on('ready', () =>
        loadScriptsOn(connection).catch((error: Error) =>
          logger.warn(`Loading the scripts on a Redis Cluster master failed: ${error.message}`),
        ),
      );
  });
  return redis;
}

/**
 * A client that has connected (or given up waiting after `timeoutMs`): with the offline queue off,
 * commands sent before the first connect would fail. On a cluster: once it is ready, and the
 * scripts are loaded on every master (or that failed or timed out: EVALSHA falls back to EVAL).
 * A Redis that is down at boot does not stop the process; readiness stays false and the periodic
 * jobs retry.
 */
export async function connectRedis(
  config: AppConfig,
  name = 'app',
  timeoutMs = 10_000,
): Promise<RedisClient> {
  const redis = createRedisClient(config, name);
  const deadline = Date.now() + timeoutMs;
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  if (isCluster(redis) && redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(mastersOf(redis).map(loadScriptsOn)).catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline - Date.now()))),
    ]);
    clearTimeout(timer);
  }
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

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {
    redis.on('error', (err: Error) => this.logger.warn(`Redis: ${err.message}`));
    // A cluster reports its node connections' errors apart; unheard they would go unlogged.
    if (isCluster(redis))
      redis.on('node error', (err: Error, node: string) =>
        this.logger.warn(`Redis ${node}: ${err.message}`),
      );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
