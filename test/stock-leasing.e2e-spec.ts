import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { ClusterKeys } from '../src/cluster/cluster-keys';
import {
  AppNode,
  TestEnv,
  createTestEnv,
  generateDataset,
  mysqlOf,
  redisOf,
  startNode,
} from './utils/app-cluster';
import {
  Client,
  expectConsistent,
  loginClient,
  readOrderingState,
  stockLeft,
} from './utils/ordering';

const LEASE_TTL_MS = 3000;
const FOODS = 5;
const STOCK = 10;

/** Several real nodes on one Redis and one MariaDB, selling through stock leases. */
describe('stock leasing across nodes', () => {
  let env: TestEnv;
  let redis: Redis;
  let mysql: Connection;
  let nodes: AppNode[] = [];

  const start = async (): Promise<AppNode> => {
    const node = await startNode(env, {
      env: { LEASE_TTL_MS: String(LEASE_TTL_MS), FOODS_REFRESH_MS: '100' },
    });
    nodes.push(node);
    return node;
  };

  /** The lease registry entry of a node process (node ids are "<host>-<pid>-<random>"). */
  const leaseOf = async (node: AppNode): Promise<{ id: string; expiry: number } | undefined> => {
    const entries = await redis.zrange(ClusterKeys.stockLeases, 0, -1, 'WITHSCORES');
    for (let i = 0; i < entries.length; i += 2) {
      if (entries[i].includes(`-${node.process.pid}-`))
        return { id: entries[i], expiry: Number(entries[i + 1]) };
    }
    return undefined;
  };

  /** Waits (bounded) until the node's lease holds unsold units: it tops up on its next renewal. */
  const heldLease = async (node: AppNode): Promise<{ id: string; held: number }> => {
    const deadline = Date.now() + 4000;
    for (;;) {
      const lease = await leaseOf(node);
      const held = lease ? await unsoldIn(lease.id) : 0;
      if (lease && (held > 0 || Date.now() > deadline)) return { id: lease.id, held };
      if (Date.now() > deadline) throw new Error('node never registered a lease');
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const unsoldIn = async (nodeId: string): Promise<number> => {
    const lease = await redis.hgetall(ClusterKeys.stockLease(nodeId));
    return Object.entries(lease)
      .filter(([field]) => field.startsWith('l:'))
      .reduce(
        (sum, [field, leased]) => sum + Number(leased) - Number(lease[`s:${field.slice(2)}`] ?? 0),
        0,
      );
  };

  beforeAll(async () => {
    env = await createTestEnv('stock_leasing', 8, { users: 400, foods: FOODS, stock: STOCK });
    redis = redisOf(env);
    mysql = await mysqlOf(env);
  });

  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
    nodes = [];
  });

  afterAll(async () => {
    redis?.disconnect();
    await mysql?.end();
  });

  /** Users `from..from+count-1` log in on the given nodes (round robin). */
  const clients = (targets: AppNode[], from: number, count: number): Promise<Client[]> =>
    Promise.all(
      env.users
        .slice(from, from + count)
        .map((user, i) => loginClient(targets[i % targets.length].url, user)),
    );

  it('three nodes: 100 carts of two units race for 50 units; exactly 50 sold, 200s equal /admin/orders, /foods settles at 0 everywhere', async () => {
    await generateDataset(env, { users: 400, foods: FOODS, stock: STOCK });
    const three = [await start(), await start(), await start()];
    const buyers = await clients(three, 1, 100);
    // Two units of one food per cart (food by user), so exactly 50 units can be sold in full orders.
    const carts = await Promise.all(buyers.map((c, i) => c.cartWith([[(i % FOODS) + 1, 2]])));
    const replies = await Promise.all(
      buyers.map((c, i) => c.on(three[(i + 1) % 3].url).order(carts[i], { newConnection: true })),
    );

    const okIds = replies.filter((r) => r.status === 200).map((r) => r.body.id);
    expect(
      replies
        .filter((r) => r.status !== 200)
        .map((r) => (r.body as unknown as { code: string }).code),
    ).toEqual(Array(75).fill('FOOD_OUT_OF_STOCK'));
    expect(okIds).toHaveLength(25);

    const state = await readOrderingState(redis, mysql);
    expect([...state.sold.values()].reduce((a, b) => a + b, 0)).toBe(50);
    expectConsistent(state);
    const root = await loginClient(three[0].url, env.users[0]);
    const admin = (await root.call<{ id: string }[]>('GET', '/admin/orders')).body
      .map((o) => o.id)
      .sort();
    expect(admin).toEqual([...okIds].sort());

    await new Promise((r) => setTimeout(r, 1500));
    for (const node of three) {
      const foods = await buyers[0].on(node.url).foods();
      expect(foods.map((f) => f.stock)).toEqual(Array(FOODS).fill(0));
    }
  });

  it('kill -9 of a node holding leases mid-sale: every unit is sold exactly once and its lease comes back within LEASE_TTL', async () => {
    await generateDataset(env, { users: 400, foods: FOODS, stock: 40 });
    const [a, b] = [await start(), await start()];
    // Warm up node b so that it leases chunks: steady single-unit sales through it for a while.
    const warm = await clients([b], 1, 40);
    for (const [i, client] of warm.entries()) {
      const cart = await client.cartWith([[(i % FOODS) + 1, 1]]);
      expect((await client.order(cart)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 60));
    }
    const lease = await heldLease(b);
    expect(lease.held).toBeGreaterThan(0);

    const before = await stockLeft(redis);
    await b.stop('SIGKILL');
    const killedAt = Date.now();
    // The dead node's units still count as for sale while its lease runs out...
    expect(await stockLeft(redis)).toEqual(before);
    // ...and are back in the pool within LEASE_TTL (plus a refresh tick of the live node).
    while ((await redis.zscore(ClusterKeys.stockLeases, lease.id)) !== null) {
      expect(Date.now() - killedAt).toBeLessThan(LEASE_TTL_MS + 1000);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await redis.exists(ClusterKeys.stockLease(lease.id))).toBe(0);
    expect(await stockLeft(redis)).toEqual(before);

    // Demand above supply through the surviving node sells every remaining unit exactly once.
    const rest = await clients([a], 41, 300);
    const replies = await Promise.all(
      rest.map(async (client, i) => client.order(await client.cartWith([[(i % FOODS) + 1, 1]]))),
    );
    expect(replies.filter((r) => r.status !== 200 && r.status !== 403)).toEqual([]);
    const state = await readOrderingState(redis, mysql);
    expectConsistent(state);
    for (const food of state.foods.keys())
      expect({ food, sold: state.sold.get(food) }).toEqual({ food, sold: 40 });
    expect(state.orders.length).toBe(40 + replies.filter((r) => r.status === 200).length);
  });

  it('SIGTERM: the stopping node hands its lease back at once', async () => {
    await generateDataset(env, { users: 400, foods: FOODS, stock: 40 });
    const [, b] = [await start(), await start()];
    const warm = await clients([b], 1, 30);
    for (const [i, client] of warm.entries()) {
      expect((await client.order(await client.cartWith([[(i % FOODS) + 1, 1]]))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 60));
    }
    const lease = await heldLease(b);
    expect(lease.held).toBeGreaterThan(0);
    const before = await stockLeft(redis);
    await b.stop('SIGTERM');
    expect(await redis.zscore(ClusterKeys.stockLeases, lease.id)).toBeNull();
    expect(await redis.exists(ClusterKeys.stockLease(lease.id))).toBe(0);
    expect(await stockLeft(redis)).toEqual(before);
    expectConsistent(await readOrderingState(redis, mysql));
  });

  it('a node that joins in the middle of a sale takes part in it', async () => {
    await generateDataset(env, { users: 400, foods: FOODS, stock: 60 });
    const first = [await start(), await start()];
    const early = await clients(first, 1, 60);
    await Promise.all(
      early.map(async (c, i) =>
        expect((await c.order(await c.cartWith([[(i % FOODS) + 1, 1]]))).status).toBe(200),
      ),
    );
    const late = await start();
    const joiners = await clients([late], 61, 60);
    for (const [i, c] of joiners.entries()) {
      expect((await c.order(await c.cartWith([[(i % FOODS) + 1, 1]]))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 40));
    }
    // It registered a lease of its own and sold from it.
    const lease = await leaseOf(late);
    expect(lease).toBeDefined();
    const soldFromLease = Object.entries(await redis.hgetall(ClusterKeys.stockLease(lease!.id)))
      .filter(([field]) => field.startsWith('s:'))
      .reduce((sum, [, units]) => sum + Number(units), 0);
    expect(soldFromLease).toBeGreaterThan(0);
    expectConsistent(await readOrderingState(redis, mysql));
  });
});
