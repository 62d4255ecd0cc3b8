import type Redis from 'ioredis';
import { validateConfig } from '../../src/platform/config/app-config';
import { defineScripts } from '../../src/platform/redis/redis-scripts';
import { clientReady, redisClientOf, suiteKeyPrefix } from './suite-redis';

/**
 * A Redis client with the app's scripts registered, for suites that run the scripts themselves:
 * on logical database `db` of a single Redis, or on the Redis Cluster of REDIS_CLUSTER_NODES;
 * either way under the suite's own key prefix (`e2e:<connectionName>:`, see suite-redis.ts), which
 * the scripts' keys get too. Built from the app's validated config the way the app builds its own
 * (a client + `defineScripts`): `createRedisClient` lives in a Nest module file, and Nest 12 is
 * ESM that Jest's CommonJS runtime cannot load.
 */
export async function scriptRedis(db: number, connectionName: string): Promise<Redis> {
  const config = validateConfig({
    ...(process.env as Record<string, string>),
    REDIS_DB: process.env.REDIS_CLUSTER_NODES ? '0' : String(db),
    REDIS_KEY_PREFIX: suiteKeyPrefix(connectionName),
    NODE_ENV: 'test',
  });
  const redis = redisClientOf(
    {
      REDIS_HOST: config.REDIS_HOST,
      REDIS_PORT: String(config.REDIS_PORT),
      REDIS_DB: String(config.REDIS_DB),
      REDIS_CLUSTER_NODES: config.REDIS_CLUSTER_NODES,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    },
    connectionName,
  );
  defineScripts(redis);
  await clientReady(redis);
  await redis.ping();
  return redis;
}
