import { IsNotEmpty, IsString } from 'class-validator';
import { RedisNodeAddress, keyPrefixProblem, parseClusterNodes } from './redis-values';
import { IntSetting } from './setting-decorators';

/** The Redis settings of {@link AppConfig} (which extends this class), validated with the rest. */
export class RedisSettings {
  @IsString()
  @IsNotEmpty()
  REDIS_HOST = '127.0.0.1';

  @IntSetting(1, 65535)
  REDIS_PORT = 6379;

  /**
   * Logical Redis database of a single Redis; e2e suites use their own so they can run beside a
   * dev server. Must be 0 with REDIS_CLUSTER_NODES: a Redis Cluster has database 0 only.
   */
  @IntSetting(0, 63)
  REDIS_DB = 0;

  /**
   * Seed nodes of a Redis Cluster, `host:port,host:port,...`: when set, the app talks to the
   * cluster (ioredis' Cluster client, which finds the other nodes itself) and REDIS_HOST/PORT are
   * not used. Empty: a single Redis. Checked in `validateConfig`.
   */
  @IsString()
  REDIS_CLUSTER_NODES = '';

  /**
   * Put in front of every key the app uses, script keys included (ioredis' keyPrefix), so that
   * several deployments or test suites can share one Redis or cluster. At most 64 characters, no
   * braces (they would move the hash tag), no blanks. Checked in `validateConfig`.
   */
  @IsString()
  REDIS_KEY_PREFIX = '';

  /**
   * How long a Redis command may go unanswered before its caller gets a 503 (a hung Redis). Cart
   * changes carry the same deadline. Not much lower: a stalled event loop fires the timer too.
   */
  @IntSetting(100, 60_000)
  REDIS_COMMAND_TIMEOUT_MS = 5000;

  /** The cluster's seed nodes, or undefined for a single Redis (REDIS_CLUSTER_NODES empty). */
  get redisClusterNodes(): RedisNodeAddress[] | undefined {
    return this.REDIS_CLUSTER_NODES === ''
      ? undefined
      : parseClusterNodes(this.REDIS_CLUSTER_NODES).nodes;
  }
}

/** The Redis settings that depend on each other or need more than one decorator can say. */
export function redisProblems(config: RedisSettings): string[] {
  const problems: string[] = [];
  const prefix = keyPrefixProblem(config.REDIS_KEY_PREFIX);
  if (prefix) problems.push(prefix);
  if (config.REDIS_CLUSTER_NODES !== '') {
    problems.push(...parseClusterNodes(config.REDIS_CLUSTER_NODES).problems);
    if (config.REDIS_DB !== 0)
      problems.push(
        `REDIS_DB=${config.REDIS_DB} with REDIS_CLUSTER_NODES: a Redis Cluster has database 0 ` +
          'only; unset REDIS_DB (or set it to 0) and use REDIS_KEY_PREFIX to keep deployments apart',
      );
  }
  return problems;
}
