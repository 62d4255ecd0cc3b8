import { IsNotEmpty, IsString } from 'class-validator';
import { IntSetting } from './setting-decorators';

/** One seed node of a Redis Cluster (REDIS_CLUSTER_NODES). */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** Most seed nodes REDIS_CLUSTER_NODES may list: a handful is enough to find the rest. */
const MAX_SEED_NODES = 64;

/** Longest REDIS_KEY_PREFIX: it is paid on every key of every command. */
export const MAX_KEY_PREFIX_LENGTH = 64;

/**
 * REDIS_CLUSTER_NODES (`host:port,host:port,...`, IPv6 hosts in brackets: `[::1]:7001`) as
 * addresses, or the problems found in it. Blanks around entries are ignored; an empty entry, a
 * missing or bad port, or the same node twice is an error, so that a typo fails at boot instead
 * of leaving the client without the seed it was meant to have.
 */
export function parseClusterNodes(raw: string): { nodes: RedisNodeAddress[]; problems: string[] } {
  const nodes: RedisNodeAddress[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.length > MAX_SEED_NODES) {
    problems.push(`REDIS_CLUSTER_NODES lists ${entries.length} nodes, at most ${MAX_SEED_NODES}`);
    return { nodes, problems };
  }
  for (const entry of entries) {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) {
      problems.push(
        `REDIS_CLUSTER_NODES entry "${entry}" is not host:port (port 1-65535; IPv6 as [addr]:port)`,
      );
      continue;
    }
    const host = match[1] ?? match[2];
    const key = `${host.toLowerCase()}:${port}`;
    if (seen.has(key)) problems.push(`REDIS_CLUSTER_NODES lists ${entry} twice`);
    seen.add(key);
    nodes.push({ host, port });
  }
  return { nodes, problems };
}

/**
 * What is wrong with a REDIS_KEY_PREFIX, or undefined. Braces are refused because Redis Cluster
 * hashes the first `{...}` of a key: a brace in the prefix would move every key's hash tag into
 * the prefix and break the one-slot-per-product layout the scripts rely on (design.md). Blanks
 * and control characters are refused as never intended.
 */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (prefix.length > MAX_KEY_PREFIX_LENGTH)
    return `REDIS_KEY_PREFIX is ${prefix.length} characters, at most ${MAX_KEY_PREFIX_LENGTH}`;
  if (/[{}]/.test(prefix))
    return 'REDIS_KEY_PREFIX must not contain { or } (Redis Cluster hash tags live in the keys)';
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(prefix))
    return 'REDIS_KEY_PREFIX must not contain blanks or control characters';
  return undefined;
}

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
