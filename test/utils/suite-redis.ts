import Redis, { Cluster } from 'ioredis';
import { parseClusterNodes } from '../../src/platform/config/redis-values';
import { pipelineReplies } from '../../src/platform/redis/redis-errors';
import { globLiteral, keyPrefixOf, mastersOf } from '../../src/platform/redis/redis-topology';

/**
 * How e2e suites keep apart on one Redis, a cluster included (it has database 0 only): each suite
 * puts its own REDIS_KEY_PREFIX in front of every key (`e2e:<suite>:`), app processes and the
 * suite's direct clients alike. E2E_NAMESPACE, when set, goes into every suite's prefix and MySQL
 * database name, so that two people can run the same suites at once on one MariaDB and Redis.
 */
export function e2eNamespace(): string | undefined {
  const namespace = process.env.E2E_NAMESPACE;
  if (namespace === undefined || namespace === '') return undefined;
  if (!/^[A-Za-z0-9_]{1,16}$/.test(namespace))
    throw new Error(
      `E2E_NAMESPACE=${namespace}: use 1 to 16 letters, digits or _ (it ends MySQL database names)`,
    );
  return namespace;
}

/** The suite's REDIS_KEY_PREFIX: `e2e:<name>:`, then `<namespace>:` with E2E_NAMESPACE. */
export function suiteKeyPrefix(name: string): string {
  const namespace = e2eNamespace();
  return `e2e:${name}:${namespace ? `${namespace}:` : ''}`;
}

/** The suite's MySQL database: `eleme_e2e_<name>`, then `_<namespace>` with E2E_NAMESPACE. */
export function suiteDatabase(name: string): string {
  const namespace = e2eNamespace();
  return `eleme_e2e_${name.replace(/[^a-z0-9_]/gi, '_')}${namespace ? `_${namespace}` : ''}`;
}

/**
 * A direct client on what an app process of `env` uses: the Redis Cluster when REDIS_CLUSTER_NODES
 * is set, else REDIS_HOST/PORT and logical database REDIS_DB; REDIS_KEY_PREFIX either way. Typed
 * `Redis` for the suites' sake (their declarations predate clusters); a `Cluster` takes the same
 * commands, and every key a suite reads in one command shares a hash tag.
 */
export function redisClientOf(
  env: Record<string, string | undefined>,
  connectionName?: string,
): Redis {
  const keyPrefix = env.REDIS_KEY_PREFIX || undefined;
  if (env.REDIS_CLUSTER_NODES) {
    const { nodes, problems } = parseClusterNodes(env.REDIS_CLUSTER_NODES);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const cluster = new Cluster(nodes, {
      keyPrefix,
      scaleReads: 'master',
      redisOptions: { connectionName },
    });
    return cluster as unknown as Redis;
  }
  return new Redis({
    host: env.REDIS_HOST ?? '127.0.0.1',
    port: Number(env.REDIS_PORT ?? 6379),
    db: Number(env.REDIS_DB ?? 0),
    keyPrefix,
    connectionName,
  });
}

/** Resolves once the client can take commands (a cluster client: its slots are known). */
export async function clientReady(redis: Redis | Cluster): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Redis not ready in 10 s: ${redis.status}`)),
      10_000,
    );
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Every record of operations in doubt of a product (`scope`: `ord`, `vote`) on every server, owner
 * -> its entries (id -> payload), the `#closed` mark left out: what the InDoubtRegistry holds.
 */
export async function inDoubtRecords(
  redis: Redis | Cluster,
  scope: string,
): Promise<Map<string, Record<string, string>>> {
  const prefix = keyPrefixOf(redis);
  await clientReady(redis);
  const records = new Map<string, Record<string, string>>();
  for (const server of mastersOf(redis)) {
    let cursor = '0';
    do {
      const pattern = `${globLiteral(`${prefix}${scope}:{d`)}*}:in-doubt`;
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const own = key.slice(prefix.length);
        const entries = await redis.hgetall(own);
        delete entries['#closed'];
        records.set(own.slice(`${scope}:{d`.length, -'}:in-doubt'.length), entries);
      }
    } while (cursor !== '0');
  }
  return records;
}

/**
 * Deletes every key under the client's prefix on every server (each master of a cluster), and
 * nothing else: what a suite's FLUSHDB meant before suites shared databases. Returns how many.
 */
export async function deletePrefixedKeys(redis: Redis | Cluster): Promise<number> {
  const prefix = keyPrefixOf(redis);
  if (prefix === '') throw new Error('deletePrefixedKeys needs a client with a key prefix');
  await clientReady(redis);
  let removed = 0;
  for (const server of mastersOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(
        cursor,
        'MATCH',
        `${globLiteral(prefix)}*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length === 0) continue;
      // Sent as stored: a single client would prefix them again, a cluster's nodes do not.
      const own = keyPrefixOf(server).length;
      const replies = pipelineReplies(
        await keys.reduce((p, key) => p.unlink(key.slice(own)), server.pipeline()).exec(),
      );
      removed += replies.reduce<number>((sum, n) => sum + Number(n), 0);
    } while (cursor !== '0');
  }
  return removed;
}
