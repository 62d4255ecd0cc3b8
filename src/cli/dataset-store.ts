// The storage steps of `npm run data -- generate`: hashing, bulk inserts, clearing Redis.
import type { RedisClient } from '../platform/redis/redis.constants';
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
 * Deletes every key of the dataset's prefixes but the ticket state (SCAN, not KEYS: never blocks
 * Redis for long).
 */
export async function clearRedis(redis: RedisClient): Promise<number> {
  const kept = new Set(TICKET_STATE_KEYS);
  let removed = 0;
  for (const prefix of RESETTABLE_PREFIXES) {
    let cursor = '0';
    do {
      const [nextCursor, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = nextCursor;
      const keys = found.filter((key) => !kept.has(key));
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  }
  return removed;
}
