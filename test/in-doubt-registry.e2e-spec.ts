import type Redis from 'ioredis';
import { ClusterKeys } from '../src/cluster/cluster-keys';
import { runScript } from '../src/platform/redis/redis-scripts';
import { scriptRedis } from './utils/script-redis';
import { deletePrefixedKeys } from './utils/suite-redis';

/**
 * The registry of operations in doubt as its scripts keep it (src/cluster/scripts/in-doubt-*.lua,
 * called by InDoubtRegistry), against a real Redis (logical database 24, or a Redis Cluster) under
 * the suite's key prefix: an owner records before it answers, its successor closes the record as
 * it reads it, and nothing recorded after the close goes unseen.
 */

const REDIS_DB = 24;
const RECORD = ClusterKeys.inDoubt('ord', 'lease-a');
let redis: Redis;

const add = (id: string, payload = ''): Promise<number> =>
  runScript(redis, 'in-doubt-add', [RECORD], [id, payload]);
const close = (): Promise<string[]> => runScript(redis, 'in-doubt-close', [RECORD], []);

beforeAll(async () => {
  redis = await scriptRedis(REDIS_DB, 'in-doubt-registry-e2e');
});

afterAll(() => redis?.disconnect());

beforeEach(() => deletePrefixedKeys(redis));

it("records an owner's operations with their payloads, on the owner's slot", async () => {
  expect(RECORD).toBe('ord:{dlease-a}:in-doubt');
  expect([await add('o1', 'p1'), await add('o2')]).toEqual([1, 1]);
  expect(await redis.hgetall(RECORD)).toEqual({ o1: 'p1', o2: '' });
  expect(await redis.pttl(RECORD)).toBe(-1);
});

it('closes the record as the successor reads it: later additions are refused, not lost', async () => {
  await add('o1', 'p1');
  await add('o2', 'p2');
  expect(await close()).toEqual(['o1', 'p1', 'o2', 'p2']);
  // A paused owner that comes back is told: it settles the operation itself.
  expect(await add('o3', 'p3')).toBe(0);
  expect(await redis.hexists(RECORD, 'o3')).toBe(0);
  // Closing again (a successor that died half-way, the next one) returns what is still unsettled.
  await redis.hdel(RECORD, 'o1');
  expect(await close()).toEqual(['o2', 'p2']);
});

it('keeps a closed record for a day, then lets it go', async () => {
  await add('o1');
  await close();
  const ttl = await redis.pttl(RECORD);
  expect(ttl).toBeGreaterThan(86_400_000 - 60_000);
  expect(ttl).toBeLessThanOrEqual(86_400_000);
});

it('closes an owner that never recorded anything, so that nothing can be added unseen', async () => {
  expect(await close()).toEqual([]);
  expect(await add('late')).toBe(0);
});
