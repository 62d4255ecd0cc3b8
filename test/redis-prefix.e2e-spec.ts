import type Redis from 'ioredis';
import { ClusterKeys } from '../src/cluster/cluster-keys';
import { OrderingKeys } from '../src/ordering/ordering-keys';
import { globLiteral, mastersOf } from '../src/platform/redis/redis-topology';
import { VotingKeys } from '../src/voting/voting-keys';
import { TestEnv, createTestEnv, generateDataset, redisOf } from './utils/app-cluster';
import { parseCommandStats, redisCommandStats, resetRedisCommandStats } from './utils/redis-stats';
import { clientReady, deletePrefixedKeys, e2eNamespace, redisClientOf } from './utils/suite-redis';

/**
 * REDIS_KEY_PREFIX end to end, on a single Redis (logical database 22) or, with
 * REDIS_CLUSTER_NODES, on every master of a Redis Cluster: `npm run data -- generate` clears the
 * dataset's keys under its own prefix and nothing else (SCAN MATCH gets no prefix from ioredis, and
 * UNLINK through a prefixed client would add it twice); the suites' own helpers do the same; the
 * command counters of test/utils/redis-stats.ts count what was sent.
 * The prefix holds glob characters on purpose: unescaped, `*` would match the sibling prefix.
 */

const ns = e2eNamespace();
const PREFIX = `e2e:redis_prefix*[x]:${ns ? `${ns}:` : ''}`;
const SIBLING = `e2e:redis_prefixY[x]:${ns ? `${ns}:` : ''}`;
const onCluster = !!process.env.REDIS_CLUSTER_NODES;

let env: TestEnv;
let redis: Redis;
let sibling: Redis;
let raw: Redis;
/** Unprefixed keys this suite wrote, named after the prefix so no other suite has them. */
const rawKeys = [OrderingKeys.cart(1, `raw-${PREFIX}`), `auth:login-failures:raw-${PREFIX}`];

/** Login-failure keys have no hash tag: 30 of them land on every master of a 3-master cluster. */
const authKeys = Array.from({ length: 30 }, (_, i) => `auth:login-failures:digest-${i}`);
const datasetKeys = [
  OrderingKeys.cart(1, 'a'),
  OrderingKeys.foodStock(99),
  OrderingKeys.orderMarker(3),
  VotingKeys.userVotes(3),
  ...authKeys,
];
const keptKeys = [VotingKeys.ticket, VotingKeys.ticketRotationLog, ClusterKeys.nodes];

async function seed(client: Redis, keys: string[]): Promise<void> {
  for (const key of keys) await client.set(key, '1');
}

async function existing(client: Redis, keys: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const key of keys) if ((await client.exists(key)) === 1) found.push(key);
  return found;
}

/** How many keys under `prefix` one server holds (SCAN, as stored). */
async function keysUnder(server: Redis, prefix: string): Promise<number> {
  let count = 0;
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
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

beforeAll(async () => {
  env = await createTestEnv(
    'redis_prefix',
    22,
    { users: 5, foods: 2 },
    { REDIS_KEY_PREFIX: PREFIX },
  );
  redis = redisOf(env);
  sibling = redisClientOf({ ...env.env, REDIS_KEY_PREFIX: SIBLING });
  raw = redisClientOf({ ...env.env, REDIS_KEY_PREFIX: '' });
  await Promise.all([clientReady(redis), clientReady(sibling), clientReady(raw)]);
});

afterAll(async () => {
  await deletePrefixedKeys(sibling).catch(() => undefined);
  for (const key of rawKeys) await raw?.unlink(key).catch(() => undefined);
  for (const client of [redis, sibling, raw]) client?.disconnect();
});

test('the app and the data CLI write their keys under the prefix only', async () => {
  expect(await redis.get(OrderingKeys.orderDataset)).toBeTruthy();
  expect(await raw.get(`${PREFIX}${OrderingKeys.orderDataset}`)).toBeTruthy();
});

test("generate clears the dataset's keys under its prefix on every master, and nothing else", async () => {
  await seed(redis, [...datasetKeys, ...keptKeys]);
  await seed(sibling, datasetKeys);
  await seed(raw, rawKeys);
  if (onCluster) {
    // The case that needs a SCAN of every master: the suite's keys are on all of them.
    const perMaster = await Promise.all(mastersOf(raw).map((master) => keysUnder(master, PREFIX)));
    expect(perMaster.length).toBeGreaterThan(1);
    for (const count of perMaster) expect(count).toBeGreaterThan(0);
  }

  await generateDataset(env, { users: 5, foods: 2 });

  expect(await existing(redis, datasetKeys)).toEqual([]);
  expect(await existing(redis, keptKeys)).toEqual(keptKeys);
  expect(await existing(sibling, datasetKeys)).toEqual(datasetKeys);
  expect(await existing(raw, rawKeys)).toEqual(rawKeys);
  // The dataset is there again, under the prefix.
  expect(await redis.get(OrderingKeys.orderDataset)).toBeTruthy();
});

test('deletePrefixedKeys deletes every key of its prefix, on every master, and no other', async () => {
  await seed(redis, datasetKeys);
  expect(await deletePrefixedKeys(redis)).toBeGreaterThanOrEqual(datasetKeys.length);
  expect(await existing(redis, [...datasetKeys, ...keptKeys])).toEqual([]);
  expect(await existing(sibling, datasetKeys)).toEqual(datasetKeys);
  expect(await existing(raw, rawKeys)).toEqual(rawKeys);
  // Put the dataset back for whoever runs next on this prefix.
  await generateDataset(env, { users: 5, foods: 2 });
});

test('redisCommandStats counts the commands served per master, INFO and CONFIG left out', async () => {
  expect(
    parseCommandStats(
      'cmdstat_get:calls=5,usec=1\r\ncmdstat_info:calls=2,usec=1\r\n' +
        'cmdstat_config|resetstat:calls=1,usec=1\r\ncmdstat_client|setname:calls=3,usec=1\r\n',
    ),
  ).toEqual(
    new Map([
      ['get', 5],
      ['info', 2],
      ['config', 1],
      ['client', 3],
    ]),
  );

  // Only on a cluster of our own: a RESETSTAT of the shared single Redis would wipe the figures
  // of whoever else is measuring on it. Deltas work either way.
  if (onCluster) {
    await resetRedisCommandStats(env);
    for (const calls of (await redisCommandStats(env)).values()) expect(calls).toBeLessThan(50);
  }
  const before = await redisCommandStats(env);
  expect(before.size).toBe(mastersOf(raw).length);
  for (const key of authKeys) await redis.get(key);
  const after = await redisCommandStats(env);
  let served = 0;
  for (const [master, calls] of after) served += calls - (before.get(master) ?? 0);
  // Other clients of a shared Redis may add theirs; never fewer than ours.
  expect(served).toBeGreaterThanOrEqual(authKeys.length);
  if (onCluster) {
    const busy = [...after].filter(([master, calls]) => calls > (before.get(master) ?? 0));
    expect(busy.length).toBe(after.size);
  }
});
