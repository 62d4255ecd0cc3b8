import Redis from 'ioredis';
import { validateConfig } from '../../src/platform/config/app-config';
import { defineScripts } from '../../src/platform/redis/redis-scripts';

/**
 * A Redis client on logical database `db` with the app's scripts registered, for suites that run
 * the scripts themselves. Built from the app's validated config the way the app builds its own
 * (`new Redis(...)` + `defineScripts`): `createRedisClient` lives in a Nest module file, and Nest 12
 * is ESM that Jest's CommonJS runtime cannot load.
 */
export async function scriptRedis(db: number, connectionName: string): Promise<Redis> {
  const config = validateConfig({
    ...(process.env as Record<string, string>),
    REDIS_DB: String(db),
    NODE_ENV: 'test',
  });
  const redis = new Redis({
    host: config.REDIS_HOST,
    port: config.REDIS_PORT,
    db: config.REDIS_DB,
    connectionName,
  });
  defineScripts(redis);
  await redis.ping();
  return redis;
}
