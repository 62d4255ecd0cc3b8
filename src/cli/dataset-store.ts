// The storage steps of `npm run data -- generate`: hashing, bulk inserts, clearing Redis.
import type { Redis } from 'ioredis';
import type { RedisClient } from '../platform/redis/redis.constants';
import { pipelineReplies } from '../platform/redis/redis-errors';
import { globLiteral, isCluster, keyPrefixOf, mastersOf } from '../platform/redis/redis-topology';
import { DataSource } from 'typeorm';
import { costOf, hashPassword } from '../identity/password-hasher';
import { TICKET_STATE_KEYS } from '../voting/ticket/ticket-keys';
import { PlainUser } from './dataset-generator';

/** Key prefixes `generate` clears (the leader lease, under `cluster:`, is not among them). */
const RESETTABLE_PREFIXES = ['ord:', 'vote:', 'auth:'] as const;

export async function hashAll(
  users: PlainUser[],
  hashCost: number,
  log: (line: string) => void,
): Promise<string[]> {
  const cost = costOf(hashCost);
  const hashes = new Array<string>(users.length);
  let next = 0;
  let done = 0;
  let lastReport = Date.now();
  // scrypt runs on libuv's thread pool (4 threads): keep it busy, not flooded.
  const worker = async (): Promise<void> => {
    while (next < users.length) {
      const i = next++;
      hashes[i] = await hashPassword(users[i].password, cost);
      done++;
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        log(`[data] hashed ${done}/${users.length} passwords`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return hashes;
}

export async function insertChunked(
  db: DataSource,
  table: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  const CHUNK = 2000;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const placeholders = chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
    await db.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders}`,
      chunk.flat(),
    );
  }
}

/**
 * Deletes every key of the dataset's prefixes but the ticket state, on every server: the single
 * Redis, or each master of a cluster (SCAN sees one server's keys only). SCAN, not KEYS: never
 * blocks Redis for long. REDIS_KEY_PREFIX is honoured by hand, as ioredis puts it in front of
 * keys but not of a MATCH pattern, and strips it from no reply.
 */
export async function clearRedis(redis: RedisClient): Promise<number> {
  if (isCluster(redis) && redis.status !== 'ready')
    throw new Error(`Redis Cluster client ${redis.status}: cannot reach every master`);
  const prefix = keyPrefixOf(redis);
  const kept = new Set(TICKET_STATE_KEYS);
  let removed = 0;
  for (const server of mastersOf(redis)) {
    // The single client puts the prefix in front of what it sends; a cluster's node connections
    // put nothing (redis-topology.ts). What is sent must not carry that part twice.
    const sentAs = (stored: string): string => stored.slice(keyPrefixOf(server).length);
    for (const product of RESETTABLE_PREFIXES) {
      let cursor = '0';
      do {
        const [next, found] = await server.scan(
          cursor,
          'MATCH',
          `${globLiteral(prefix + product)}*`,
          'COUNT',
          1000,
        );
        cursor = next;
        const doomed = found.filter((stored) => !kept.has(stored.slice(prefix.length)));
        removed += await unlinkEach(server, doomed.map(sentAs));
      } while (cursor !== '0');
    }
  }
  return removed;
}

/**
 * UNLINK of each key apart, pipelined: a cluster refuses one UNLINK of keys in different slots
 * (CROSSSLOT) even on the one master that holds them all, and `auth:` keys have no hash tag.
 */
async function unlinkEach(server: Redis, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const replies = pipelineReplies(
    await keys.reduce((pipeline, key) => pipeline.unlink(key), server.pipeline()).exec(),
  );
  return replies.reduce<number>((sum, n) => sum + Number(n), 0);
}
