import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { OrderingKeys } from '../src/ordering/ordering-keys';
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
  expectError,
  loginClient,
  readOrderingState,
  stockLeft,
} from './utils/ordering';
import { TcpProxy } from './utils/tcp-proxy';
import { eventually } from './utils/wait';

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

  /** The leases in the registry now. */
  const leaseIds = async (): Promise<Set<string>> =>
    new Set(await redis.zrange(OrderingKeys.leases, 0, -1));

  /** The lease a node just started registered: the one not in `before` (waits, bounded). */
  const newLease = async (before: Set<string>): Promise<string> => {
    const deadline = Date.now() + 4000;
    for (;;) {
      const fresh = [...(await leaseIds())].filter((id) => !before.has(id));
      if (fresh.length === 1) return fresh[0];
      if (Date.now() > deadline) throw new Error(`expected one new lease, found ${fresh.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  /** Starts a node and returns it with the lease it registered. */
  const startWithLease = async (): Promise<{ node: AppNode; lease: string }> => {
    const before = await leaseIds();
    const node = await start();
    return { node, lease: await newLease(before) };
  };

  /** Units a lease holds unsold across the foods: Σ (granted − taken as its node reported). */
  const unsoldIn = async (leaseId: string): Promise<number> => {
    let sum = 0;
    for (let food = 1; food <= FOODS; food++) {
      const [grant, taken] = await redis.hmget(
        OrderingKeys.foodStock(food),
        `g:${leaseId}`,
        `s:${leaseId}`,
      );
      if (Number(grant) > 0) sum += Number(grant) - Number(taken ?? 0);
    }
    return sum;
  };

  /** Waits (bounded) until the lease holds unsold units: it tops up with its sales. */
  const heldLease = async (leaseId: string): Promise<number> => {
    const deadline = Date.now() + 4000;
    for (;;) {
      const held = await unsoldIn(leaseId);
      if (held > 0 || Date.now() > deadline) return held;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  /** Whether the lease is gone for good: out of the registry, reclaimed from every food. */
  const reclaimed = async (leaseId: string): Promise<boolean> => {
    if ((await redis.zscore(OrderingKeys.leases, leaseId)) !== null) return false;
    if ((await redis.sismember(OrderingKeys.leasesRevoked, leaseId)) === 1) return false;
    for (let food = 1; food <= FOODS; food++) {
      const grant = await redis.hget(OrderingKeys.foodStock(food), `g:${leaseId}`);
      if (grant !== null && grant !== '-1') return false;
    }
    return true;
  };

  /** Units left per food once the nodes reported what their leases took (every 100 ms here). */
  const left = async (): Promise<Map<number, number>> => {
    await new Promise((r) => setTimeout(r, 400));
    return stockLeft(redis, mysql);
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

  it('kill -9 of a node holding leases mid-sale (demand above supply): every unit sold exactly once, its lease back within LEASE_TTL', async () => {
    await generateDataset(env, { users: 700, foods: FOODS, stock: 40 });
    const { node: a } = await startWithLease();
    const { node: b, lease } = await startWithLease();
    // Warm up node b so that it leases chunks: steady single-unit sales through it for a while.
    const warm = await clients([b], 1, 40);
    for (const [i, client] of warm.entries()) {
      const cart = await client.cartWith([[(i % FOODS) + 1, 1]]);
      expect((await client.order(cart)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(await heldLease(lease)).toBeGreaterThan(0);
    // The sale goes on through both nodes, demand above supply, and b dies in the middle of it.
    const rest = await clients([a, b], 41, 300);
    const carts = await Promise.all(rest.map((c, i) => c.cartWith([[(i % FOODS) + 1, 1]])));
    const sale = Promise.all(rest.map((c, i) => c.order(carts[i]).catch(() => undefined)));
    await new Promise((r) => setTimeout(r, 30));
    await b.stop('SIGKILL');
    const killedAt = Date.now();
    const replies = await sale;
    // b's unsold units are back in the pools within LEASE_TTL (plus a sweep of the live node).
    while (!(await reclaimed(lease))) {
      expect(Date.now() - killedAt).toBeLessThan(LEASE_TTL_MS + 1500);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Demand above supply through the survivor (60 orders per food, more than any food has)
    // sells every unit left exactly once, even if orders were refused before the reclaim.
    const last = await clients([a], 341, 300);
    const lastReplies = await Promise.all(
      last.map(async (client, i) => client.order(await client.cartWith([[(i % FOODS) + 1, 1]]))),
    );
    expect(lastReplies.filter((r) => r.status !== 200 && r.status !== 403)).toEqual([]);
    const state = await readOrderingState(redis, mysql);
    expectConsistent(state);
    for (const food of state.foods.keys())
      expect({ food, sold: state.sold.get(food) }).toEqual({ food, sold: 40 });
    // Every order acknowledged before or after the kill is in MySQL.
    const acknowledged = [...replies, ...lastReplies]
      .filter((r) => r?.status === 200)
      .map((r) => r!.body.id as string);
    const inMysql = new Set(state.orders.map((o) => o.id));
    expect(acknowledged.filter((id) => !inMysql.has(id))).toEqual([]);
  });

  it("SIGSTOP past the lease: another node reclaims it, and none of the paused node's late orders commits", async () => {
    await generateDataset(env, { users: 400, foods: FOODS, stock: 40 });
    const { node: a } = await startWithLease();
    const mysqlProxy = await TcpProxy.start(Number(env.env.DB_PORT ?? 3306));
    try {
      const before = await leaseIds();
      const b = await startNode(env, {
        env: {
          LEASE_TTL_MS: String(LEASE_TTL_MS),
          FOODS_REFRESH_MS: '100',
          DB_PORT: String(mysqlProxy.port),
        },
      });
      nodes.push(b);
      const lease = await newLease(before);
      const buyers = await clients([b], 1, 10);
      const carts = await Promise.all(buyers.map((c, i) => c.cartWith([[(i % FOODS) + 1, 1]])));
      // b takes the units from its lease, and its commits wait on the way to MySQL.
      mysqlProxy.pause();
      const late = Promise.all(buyers.map((c, i) => c.order(carts[i])));
      await new Promise((r) => setTimeout(r, 300));
      b.process.kill('SIGSTOP');
      const stoppedAt = Date.now();
      while (!(await reclaimed(lease))) {
        expect(Date.now() - stoppedAt).toBeLessThan(LEASE_TTL_MS + 3000);
        await new Promise((r) => setTimeout(r, 50));
      }
      b.process.kill('SIGCONT');
      mysqlProxy.resume();
      const replies = await late;
      expect(replies.map((r) => r.status)).toEqual(Array(buyers.length).fill(503));
      const [rows] = await mysql.query('SELECT id FROM `order` WHERE lease_id = ?', [lease]);
      expect(rows).toEqual([]);
      // b sells again, from a new lease, and the stock adds up.
      const again = await clients([b, a], 11, 20);
      for (const [i, c] of again.entries())
        expect((await c.order(await c.cartWith([[(i % FOODS) + 1, 1]]))).status).toBe(200);
      expectConsistent(await readOrderingState(redis, mysql));
    } finally {
      mysqlProxy.resume();
      await mysqlProxy.close();
    }
  });

  it('SIGTERM: the stopping node hands its lease back at once', async () => {
    await generateDataset(env, { users: 400, foods: FOODS, stock: 40 });
    await startWithLease();
    const { node: b, lease } = await startWithLease();
    const warm = await clients([b], 1, 30);
    for (const [i, client] of warm.entries()) {
      expect((await client.order(await client.cartWith([[(i % FOODS) + 1, 1]]))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(await heldLease(lease)).toBeGreaterThan(0);
    const before = await left();
    await b.stop('SIGTERM');
    expect(await redis.zscore(OrderingKeys.leases, lease)).toBeNull();
    expect(await unsoldIn(lease)).toBe(0);
    expect(await left()).toEqual(before);
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
    const { node: late, lease } = await startWithLease();
    const joiners = await clients([late], 61, 60);
    for (const [i, c] of joiners.entries()) {
      expect((await c.order(await c.cartWith([[(i % FOODS) + 1, 1]]))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 40));
    }
    // It sold from a lease of its own, as MySQL records.
    const [rows] = await mysql.query('SELECT COUNT(*) AS n FROM `order` WHERE lease_id = ?', [
      lease,
    ]);
    expect(Number((rows as { n: number }[])[0].n)).toBeGreaterThan(0);
    expectConsistent(await readOrderingState(redis, mysql));
  });

  it('a live generation left fenced in MySQL (its rebuilder failed before installing the next): one 503, then a new generation sells on every node', async () => {
    await generateDataset(env, { users: 400, foods: FOODS, stock: 40 });
    const [a, b] = [await start(), await start()];
    const [first, second] = await clients([a], 1, 2);
    const [third] = await clients([b], 3, 1);
    expect((await first.order(await first.cartWith([[1, 1]]))).status).toBe(200);
    const generation = Number(await redis.get(OrderingKeys.orderGeneration));
    await mysql.query('INSERT INTO order_void (id) VALUES (?)', [`state:${generation}`]);

    // The order that finds the fence is refused with nothing applied, and has the state replaced.
    const cart = await second.cartWith([[2, 1]]);
    expectError(await second.order(cart), 'SERVICE_UNAVAILABLE');
    const again = await eventually(
      () => second.order(cart),
      (reply) => reply.status !== 503,
      5000,
      200,
    );
    expect(again.status).toBe(200);
    expect(Number(await redis.get(OrderingKeys.orderGeneration))).toBeGreaterThan(generation);
    // The other node moved to the new generation too.
    const other = await eventually(
      async () => third.order(await third.cartWith([[3, 1]])),
      (reply) => reply.status !== 503,
      5000,
      200,
    );
    expect(other.status).toBe(200);
    expect(await left()).toEqual(
      new Map([...Array(FOODS).keys()].map((i) => [i + 1, [1, 2, 3].includes(i + 1) ? 39 : 40])),
    );
    expectConsistent(await readOrderingState(redis, mysql));
  });

  it('a dataset replaced under two selling nodes: both sell the new one within seconds, its live generation unfenced', async () => {
    await generateDataset(env, { users: 400, foods: FOODS, stock: 40 });
    const [a, b] = [await start(), await start()];
    for (const client of [...(await clients([a], 1, 1)), ...(await clients([b], 2, 1))])
      expect((await client.order(await client.cartWith([[1, 1]]))).status).toBe(200);
    const versionOf = async (node: AppNode): Promise<string | undefined> => {
      const reply = await fetch(`${node.url}/health/ready`);
      return ((await reply.json()) as { info?: { dataset?: { version?: string } } }).info?.dataset
        ?.version;
    };
    await generateDataset(env, { users: 400, foods: FOODS, stock: 40 });
    const [[row]] = (await mysql.query('SELECT version FROM dataset WHERE id = 1')) as unknown as [
      { version: string }[],
    ];
    for (const node of [a, b])
      await eventually(
        () => versionOf(node),
        (v) => v === row.version,
        10_000,
      );
    for (const [node, user] of [
      [a, 10],
      [b, 11],
    ] as const) {
      const [client] = await clients([node], user, 1);
      const reply = await eventually(
        async () => client.order(await client.cartWith([[2, 1]])),
        (r) => r.status !== 503,
        5000,
        200,
      );
      expect(reply.status).toBe(200);
    }
    const generation = await redis.get(OrderingKeys.orderGeneration);
    const [fenced] = await mysql.query('SELECT id FROM order_void WHERE id = ?', [
      `state:${generation}`,
    ]);
    expect(fenced).toEqual([]);
    expect(await redis.get(OrderingKeys.orderDataset)).toBe(row.version);
    expect(await left()).toEqual(
      new Map([
        [1, 40],
        [2, 38],
        [3, 40],
        [4, 40],
        [5, 40],
      ]),
    );
    expectConsistent(await readOrderingState(redis, mysql));
  });
});
