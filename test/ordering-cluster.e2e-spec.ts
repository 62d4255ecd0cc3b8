import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { AppNode, TestEnv, createTestEnv, mysqlOf, redisOf, startNode } from './utils/app-cluster';
import {
  Client,
  expectConsistent,
  loginClient,
  readOrderingState,
  runLimited,
} from './utils/ordering';
import { redisCommandStats, resetRedisCommandStats } from './utils/redis-stats';

/**
 * A sale through two nodes on a real 3-master Redis Cluster (the local one of
 * scripts/services.mjs, whatever Redis the other suites of this run use): the ordering keys are
 * sharded by user and food, so the sale's commands spread over the masters, none serving more
 * than half of them, and every order costs a bounded number of commands.
 */

const CLUSTER_NODES =
  process.env.REDIS_CLUSTER_NODES ??
  process.env.E2E_CLUSTER_NODES ??
  '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003';
const BUYERS = 400;
const FOODS = 10;

let env: TestEnv;
let redis: Redis;
let mysql: Connection;
let nodes: AppNode[] = [];
let buyers: Client[] = [];

beforeAll(async () => {
  env = await createTestEnv(
    'ordering_cluster',
    23,
    { users: BUYERS + 10, foods: FOODS, stock: 1000 },
    { REDIS_CLUSTER_NODES: CLUSTER_NODES, REDIS_DB: '0' },
  );
  nodes = await Promise.all([startNode(env), startNode(env)]);
  redis = redisOf(env);
  mysql = await mysqlOf(env);
  buyers = await runLimited(
    env.users
      .filter((u) => u.name !== 'root')
      .slice(0, BUYERS)
      .map((user, i) => () => loginClient(nodes[i % 2].url, user)),
    16,
  );
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  redis?.disconnect();
  await mysql?.end();
});

it('spreads a sale over the masters: none serves more than half of its commands', async () => {
  const stats = await redisCommandStats(env);
  expect(stats.size).toBe(3);
  // A warm-up round, so that the leases hold units before the measured window.
  const warm = buyers.slice(0, 40);
  for (const [i, client] of warm.entries()) {
    const cart = await client.cartWith([[(i % FOODS) + 1, 1]]);
    expect((await client.order(cart)).status).toBe(200);
  }
  const sale = buyers.slice(40);
  await resetRedisCommandStats(env);
  const started = Date.now();
  const replies = await runLimited(
    sale.map((client, i) => async () => {
      const cart = await client.cartWith([
        [(i % FOODS) + 1, 1],
        [((i + 3) % FOODS) + 1, 1],
      ]);
      return client.order(cart);
    }),
    32,
  );
  const seconds = (Date.now() - started) / 1000;
  const served = await redisCommandStats(env);
  expect(replies.map((r) => r.status)).toEqual(sale.map(() => 200));

  const total = [...served.values()].reduce((a, b) => a + b, 0);
  const busiest = Math.max(...served.values());
  const report = [...served].map(
    ([master, n]) => `${master} ${n} (${((100 * n) / total).toFixed(0)} %)`,
  );
  // Reported in the test's output: commands per order and per master. INFO commandstats counts
  // what Redis executed, the commands inside the scripts included, and the nodes' background work
  // (stock reads and reports, heartbeats) over the window.
  process.stdout.write(
    `[ordering-cluster] ${sale.length} orders (each with two cart changes) in ${seconds.toFixed(1)} s: ` +
      `${(total / sale.length).toFixed(1)} Redis commands executed per order (scripts' own included), ` +
      `by master: ${report.join(', ')}\n`,
  );
  expect({ busiestShare: busiest / total <= 0.5, masters: report }).toEqual({
    busiestShare: true,
    masters: report,
  });
  expect([...served.values()].every((n) => n > 0)).toBe(true);
  expectConsistent(await readOrderingState(redis, mysql));
});
