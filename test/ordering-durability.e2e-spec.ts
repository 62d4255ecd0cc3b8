import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { OrderingKeys } from '../src/ordering/ordering-keys';
import {
  AppNode,
  NodeOptions,
  TestEnv,
  createTestEnv,
  mysqlOf,
  redisOf,
  startNode,
} from './utils/app-cluster';
import { metricsOf, Reply, request } from './utils/http';
import {
  eventually,
  expectConsistentSince,
  expectError,
  expectJson,
  expectNoContent,
  loginClient,
  readOrderingState,
  reconciled,
  runLimited,
  cartKey,
  sleep,
  stockLeft,
} from './utils/ordering';
import { TcpProxy } from './utils/tcp-proxy';

/**
 * What the ordering service promises when things break: a crashed or stopped node loses no
 * acknowledged order, a stopping node finishes what it started, and a Redis or MySQL outage gives
 * prompt 503s with nothing half-applied. The app reaches Redis and MySQL through TCP proxies the
 * suite can cut; the suite itself checks Redis and MySQL directly.
 */

const STOCK = 1000;
const FOODS = 4;
/** "Promptly": an outage must be answered well before a client would give up. */
const PROMPT_MS = 3000;
/** How long the Redis outage test keeps sending requests into the outage. */
const OUTAGE_MS = 6000;

let env: TestEnv;
let redis: Redis;
let mysql: Connection;
let redisProxy: TcpProxy;
let mysqlProxy: TcpProxy;
const started: AppNode[] = [];
let nextUser = 1; // users[0] is root

function takeUsers(n: number): TestEnv['users'] {
  const taken = env.users.slice(nextUser, nextUser + n);
  nextUser += n;
  if (taken.length < n) throw new Error('the suite needs more users in its dataset');
  return taken;
}

/** A node whose Redis and MySQL connections go through the suite's proxies. */
async function startProxiedNode(options: NodeOptions = {}): Promise<AppNode> {
  const node = await startNode(env, {
    ...options,
    env: { REDIS_PORT: String(redisProxy.port), DB_PORT: String(mysqlProxy.port), ...options.env },
  });
  started.push(node);
  return node;
}

function exited(node: AppNode): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = node.process;
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

type Outcome = { kind: 'reply'; reply: Reply<{ id: string }> } | { kind: 'lost'; error: string };

async function attempt(send: () => Promise<Reply<{ id: string }>>): Promise<Outcome> {
  try {
    return { kind: 'reply', reply: await send() };
  } catch (error) {
    return { kind: 'lost', error: (error as Error).message };
  }
}

/** Times one request: its reply and how long it took. */
async function timed<T>(send: () => Promise<Reply<T>>): Promise<{ reply: Reply<T>; ms: number }> {
  const t0 = Date.now();
  const reply = await send();
  return { reply, ms: Date.now() - t0 };
}

async function committedOrders(): Promise<Map<string, number>> {
  const [rows] = await mysql.query('SELECT id, user_id FROM `order`');
  return new Map((rows as { id: string; user_id: number }[]).map((r) => [r.id, Number(r.user_id)]));
}

/** Ids of the user's orders that MySQL holds. */
async function committedOrdersOf(userId: number): Promise<string[]> {
  return [...(await committedOrders())].filter(([, u]) => u === userId).map(([id]) => id);
}

/** The units every lease has taken, as their nodes report them (every FOODS_REFRESH_MS). */
async function unitsTaken(redis: Redis): Promise<number> {
  let sum = 0;
  for (let food = 1; food <= FOODS; food++) {
    const stock = await redis.hgetall(OrderingKeys.foodStock(food));
    for (const [field, value] of Object.entries(stock))
      if (field.startsWith('s:')) sum += Number(value);
  }
  return sum;
}

/** The stock lease a committed order drew on. */
async function leaseOfOrder(orderId: string): Promise<string> {
  const [rows] = await mysql.query('SELECT lease_id FROM `order` WHERE id = ?', [orderId]);
  return (rows as { lease_id: string }[])[0].lease_id;
}

async function waitReady(node: AppNode, timeoutMs = 15_000): Promise<number> {
  const reply = await eventually(
    () =>
      request('GET', `${node.url}/health/ready`, { timeoutMs: 3000 }).catch(
        () => ({ status: 0 }) as Reply,
      ),
    (r) => r.status === 200,
    timeoutMs,
    100,
  );
  return reply.status;
}

beforeAll(async () => {
  env = await createTestEnv(
    'ordering_durability',
    3,
    { users: 400, foods: FOODS, stock: STOCK },
    // 2 s command and query timeouts (the defaults are 5): the hung-Redis and hung-MySQL tests
    // get their answers sooner.
    { FOODS_REFRESH_MS: '100', REDIS_COMMAND_TIMEOUT_MS: '2000', DB_QUERY_TIMEOUT_MS: '2000' },
  );
  redisProxy = await TcpProxy.start(
    Number(env.env.REDIS_PORT ?? 6379),
    env.env.REDIS_HOST ?? '127.0.0.1',
  );
  mysqlProxy = await TcpProxy.start(
    Number(env.env.DB_PORT ?? 3306),
    env.env.DB_HOST ?? '127.0.0.1',
  );
  redis = redisOf(env);
  mysql = await mysqlOf(env);
}, 60_000);

afterAll(async () => {
  redisProxy?.resume();
  mysqlProxy?.resume();
  await redisProxy?.restore();
  await mysqlProxy?.restore();
  await Promise.all(started.map((node) => node.stop('SIGTERM', 5000)));
  await redisProxy?.close();
  await mysqlProxy?.close();
  redis?.disconnect();
  await mysql?.end();
});

describe('a crash (SIGKILL) in the middle of a sale', () => {
  const acked = new Map<string, number>();
  let restarted: AppNode;

  it('loses no acknowledged order: every 200 is in MySQL and /admin/orders after a restart', async () => {
    const node = await startProxiedNode();
    const users = takeUsers(200);
    const clients = await runLimited(
      users.map((user) => () => loginClient(node.url, user)),
      16,
    );
    const carts = await runLimited(
      clients.map((client, i) => () => client.cartWith([[(i % FOODS) + 1, 1 + (i % 3)]])),
      16,
    );
    let killed = false;
    const outcomes = await runLimited(
      clients.map((client, i) => async () => {
        const outcome = await attempt(() =>
          client.order(carts[i], { newConnection: true, timeoutMs: 10_000 }),
        );
        if (outcome.kind === 'reply' && outcome.reply.status === 200)
          acked.set(outcome.reply.body.id, client.userId);
        if (!killed && acked.size >= 40) {
          killed = true;
          node.process.kill('SIGKILL');
        }
        return outcome;
      }),
      30,
    );
    expect(killed).toBe(true);
    expect((await exited(node)).signal).toBe('SIGKILL');
    const answers = outcomes.filter((o) => o.kind === 'reply').map((o) => o.reply.status);
    expect(answers.filter((status) => status !== 200)).toEqual([]);
    expect(outcomes.some((o) => o.kind === 'lost')).toBe(true);

    restarted = await startProxiedNode();
    const root = await loginClient(restarted.url, env.users[0]);
    const listed = expectJson(
      await root.call<{ id: string; user_id: number }[]>('GET', '/admin/orders'),
    );
    const listedById = new Map(listed.map((o) => [o.id, o.user_id]));
    const committed = await committedOrders();
    const missing = [...acked].filter(
      ([id, userId]) => listedById.get(id) !== userId || committed.get(id) !== userId,
    );
    expect({ acknowledged: acked.size, missing }).toEqual({
      acknowledged: acked.size,
      missing: [],
    });
    // And each user sees their own acknowledged order.
    for (const [id, userId] of [...acked].slice(0, 10)) {
      const client = clients.find((c) => c.userId === userId)!.on(restarted.url);
      expect((await client.orders()).map((o) => o.id)).toEqual([id]);
    }
  });

  it('gives back, within seconds, the stock of orders a crash caught before their commit; their users can order', async () => {
    expect(restarted).toBeDefined();
    const node = await startProxiedNode();
    const clients = await Promise.all(takeUsers(10).map((user) => loginClient(node.url, user)));
    const carts = await Promise.all(
      clients.map((client, i) => client.cartWith([[(i % FOODS) + 1, 2]])),
    );
    const userIds = clients.map((c) => c.userId);
    // The node killed by the previous test has its lease reclaimed a lease TTL later; then the two
    // live nodes' leases alone are registered.
    await reconciled(redis, 2);
    const before = await readOrderingState(redis, mysql);
    // Hold MySQL so the orders have certainly taken their units and not committed when the node dies.
    const takenBefore = await unitsTaken(redis);
    mysqlProxy.pause();
    let outcomes: Promise<Outcome[]> | undefined;
    try {
      outcomes = Promise.all(
        clients.map((client, i) => attempt(() => client.order(carts[i], { timeoutMs: 10_000 }))),
      );
      const taken = await eventually(
        async () => (await unitsTaken(redis)) - takenBefore,
        (n) => n === 2 * clients.length,
        5000,
      );
      expect(taken).toBe(2 * clients.length);
      node.process.kill('SIGKILL');
      expect((await exited(node)).signal).toBe('SIGKILL');
      // Drop what the dead node had sent towards MySQL but the held proxy never passed on: those
      // commits never happen (deterministically none, whatever the batching did).
      await mysqlProxy.cut();
    } finally {
      mysqlProxy.resume();
      await mysqlProxy.restore();
    }
    expect((await outcomes!).map((o) => o.kind)).toEqual(clients.map(() => 'lost'));
    const [committed] = await mysql.query('SELECT id FROM `order` WHERE user_id IN (?)', [userIds]);
    expect(committed).toEqual([]);
    // Stock is never lost (spec, Guarantees): within seconds what left sale equals what MySQL
    // holds, and only users with a committed order are marked, so the others can order again.
    const after = await eventually(
      () => readOrderingState(redis, mysql),
      (state) => {
        try {
          expectConsistentSince(before, state, userIds);
          return true;
        } catch {
          return false;
        }
      },
      10_000,
      250,
    );
    expectConsistentSince(before, after, userIds);
    for (const [i, client] of clients.entries()) {
      if (after.orders.some((o) => o.userId === client.userId)) continue;
      expectJson(
        await client
          .on(restarted.url)
          .order(await client.on(restarted.url).cartWith([[(i % FOODS) + 1, 2]])),
      );
    }
  });
});

describe('a graceful stop (SIGTERM)', () => {
  it.each([1, 2])(
    'with WORKERS=%i: finishes the requests in flight, keeps every acknowledged order, exits 0 promptly',
    async (workers) => {
      const node = await startProxiedNode({ workers });
      const users = takeUsers(20);
      const clients = await runLimited(
        users.map((user) => () => loginClient(node.url, user)),
        10,
      );
      const carts = await Promise.all(clients.map((client) => client.cartWith([[2, 1]])));
      const before = await readOrderingState(redis, mysql);
      const takenBefore = await unitsTaken(redis);
      // Hold MySQL so every order is certainly in flight (reserved, waiting for its commit) at SIGTERM.
      mysqlProxy.pause();
      let replies: Promise<Outcome[]> | undefined;
      try {
        replies = Promise.all(
          clients.map((client, i) => attempt(() => client.order(carts[i], { timeoutMs: 20_000 }))),
        );
        const taken = await eventually(
          async () => (await unitsTaken(redis)) - takenBefore,
          (n) => n === clients.length,
          5000,
        );
        expect(taken).toBe(clients.length);
        const exit = exited(node);
        node.process.kill('SIGTERM');
        await sleep(300);
        // Stopping: no new connection is served (refused, or 503 while closing).
        const late = await request('GET', `${node.url}/health/live`, {
          newConnection: true,
          timeoutMs: 3000,
        }).then(
          (r) => r.status,
          () => 'refused',
        );
        expect([503, 'refused']).toContain(late);
        mysqlProxy.resume();
        const outcomes = await replies;
        expect(outcomes.map((o) => (o.kind === 'reply' ? o.reply.status : o.error))).toEqual(
          clients.map(() => 200),
        );
        const t0 = Date.now();
        const { code, signal } = await Promise.race([
          exit,
          sleep(6000).then(() => ({ code: -1, signal: null })),
        ]);
        expect({ code, signal, promptly: Date.now() - t0 < 5000 }).toEqual({
          code: 0,
          signal: null,
          promptly: true,
        });
        const committed = await committedOrders();
        for (const [i, outcome] of outcomes.entries()) {
          if (outcome.kind !== 'reply') continue;
          expect(committed.get(outcome.reply.body.id)).toBe(clients[i].userId);
        }
        expectConsistentSince(
          before,
          await readOrderingState(redis, mysql),
          clients.map((c) => c.userId),
        );
      } finally {
        mysqlProxy.resume();
        await replies?.catch(() => undefined);
      }
    },
  );
});

/**
 * After an order answered 503: within a few reconciler sweeps the user is free again, the stock
 * is as it was `before`, MySQL holds no order of the user, and the user orders with the same cart.
 */
async function expectFreedThenOrdersAgain(
  client: Awaited<ReturnType<typeof loginClient>>,
  cartId: string,
  before: Awaited<ReturnType<typeof readOrderingState>>,
): Promise<void> {
  const freed = await eventually(
    () => redis.get(OrderingKeys.orderMarker(client.userId)),
    (marker) => marker === null,
    10_000,
    200,
  );
  expect(freed).toBeNull();
  const after = await readOrderingState(redis, mysql);
  expect(Object.fromEntries(after.left)).toEqual(Object.fromEntries(before.left));
  expect(after.orders.filter((o) => o.userId === client.userId)).toEqual([]);
  expectConsistentSince(before, after, [client.userId]);
  const order = expectJson(await client.order(cartId));
  expect((await committedOrders()).get(order.id)).toBe(client.userId);
}

/**
 * Places an order whose Redis read (the user's marker and cart) reaches Redis but whose answer
 * never comes back: the connection dies with it. Redis is reachable again at once (`redisBack`)
 * or only once the order has been answered.
 */
async function orderWithLostAnswer(
  client: Awaited<ReturnType<typeof loginClient>>,
  cartId: string,
  { redisBack }: { redisBack: boolean },
): Promise<Reply> {
  // From the order's script on (its keys name the cart).
  redisProxy.pauseRepliesAfter(cartId);
  try {
    const pending = client.order(cartId, { timeoutMs: 15_000 });
    await sleep(300);
    await redisProxy.cut();
    redisProxy.resume();
    if (redisBack) await redisProxy.restore();
    return await pending;
  } finally {
    redisProxy.resume();
    await redisProxy.restore();
  }
}

describe('outages of Redis and of MySQL', () => {
  let node: AppNode;

  beforeAll(async () => {
    node = await startProxiedNode();
  }, 60_000);

  beforeEach(async () => {
    expect(await waitReady(node)).toBe(200);
  });

  it('answers PATCH and POST /orders with a prompt 503 all through it, applies nothing, and works again after', async () => {
    const [user] = takeUsers(1);
    const client = await loginClient(node.url, user);
    const cartId = await client.cartWith([[3, 1]]);
    const other = await client.newCart();
    const before = await readOrderingState(redis, mysql);
    await redisProxy.cut();
    const answers: { what: string; at: number; status: number; code?: string; ms: number }[] = [];
    try {
      // Keep asking for a while: the first answers after a cut are the easy ones.
      const sends: [string, () => Promise<Reply>][] = [
        ['PATCH filled cart', () => client.patch(cartId, 4, 1, { timeoutMs: 15_000 })],
        ['PATCH empty cart', () => client.patch(other, 4, 1, { timeoutMs: 15_000 })],
        ['POST /orders filled cart', () => client.order(cartId, { timeoutMs: 15_000 })],
        ['POST /orders empty cart', () => client.order(other, { timeoutMs: 15_000 })],
      ];
      const t0 = Date.now();
      for (let i = 0; i < 24 && Date.now() - t0 < OUTAGE_MS; i++) {
        const [what, send] = sends[i % sends.length];
        const { reply, ms } = await timed(send);
        answers.push({
          what,
          at: Date.now() - t0,
          status: reply.status,
          code: (reply.body as { code?: string })?.code,
          ms,
        });
        expectError(reply, 'SERVICE_UNAVAILABLE');
        await sleep(200);
      }
      const { reply: ready, ms } = await timed(() =>
        request('GET', `${node.url}/health/ready`, { timeoutMs: 10_000 }),
      );
      expectError(ready, 'SERVICE_UNAVAILABLE');
      expect(ms).toBeLessThan(PROMPT_MS);
      expectJson(await request('GET', `${node.url}/health/live`));
    } finally {
      await redisProxy.restore();
    }
    expect(answers.length).toBeGreaterThanOrEqual(4);
    expect(answers.filter((a) => a.ms >= PROMPT_MS)).toEqual([]);
    expect(await waitReady(node)).toBe(200);
    // Nothing of the refused requests was applied: same cart, same stock, same markers, no rows.
    expect(await redis.get(cartKey(cartId))).toBe('3:1');
    expect(await redis.exists(cartKey(other))).toBe(0);
    const after = await readOrderingState(redis, mysql);
    expect(Object.fromEntries(after.left)).toEqual(Object.fromEntries(before.left));
    expect(after.markers.has(client.userId)).toBe(false);
    expect(after.orders.filter((o) => o.userId === client.userId)).toEqual([]);
    expectConsistentSince(before, after, [client.userId]);
    // Everything works again, with the cart as it was.
    expectNoContent(await client.patch(cartId, 4, 1));
    const order = expectJson(await client.order(cartId));
    expect(await client.orders()).toEqual([
      {
        id: order.id,
        items: [
          { food_id: 3, count: 1 },
          { food_id: 4, count: 1 },
        ],
        total: expect.any(Number),
      },
    ]);
    expectConsistentSince(before, await readOrderingState(redis, mysql), [client.userId]);
  });

  it('answers POST /orders with a prompt 503, gives the stock back, leaves no marker; ready is 503, live 200', async () => {
    const clients = await Promise.all(takeUsers(3).map((user) => loginClient(node.url, user)));
    const items: [number, number][] = [
      [1, 2],
      [4, 1],
    ];
    const carts = await Promise.all(clients.map((client) => client.cartWith(items)));
    const before = await readOrderingState(redis, mysql);
    const leftBefore = Object.fromEntries(before.left);
    await mysqlProxy.cut();
    const answers: { user: number; status: number; code?: string; ms: number }[] = [];
    try {
      // One order per user, spread over the outage.
      for (const [i, client] of clients.entries()) {
        const { reply, ms } = await timed(() => client.order(carts[i], { timeoutMs: 15_000 }));
        answers.push({
          user: client.userId,
          status: reply.status,
          code: (reply.body as { code?: string })?.code,
          ms,
        });
        expectError(reply, 'SERVICE_UNAVAILABLE');
        await sleep(700);
      }
      const { reply: ready, ms: readyMs } = await timed(() =>
        request('GET', `${node.url}/health/ready`, { timeoutMs: 10_000 }),
      );
      expectError(ready, 'SERVICE_UNAVAILABLE');
      expect(readyMs).toBeLessThan(PROMPT_MS);
      expectJson(await request('GET', `${node.url}/health/live`));
      // What needs no MySQL keeps working.
      expectNoContent(await clients[0].patch(await clients[0].newCart(), 2, 1));
    } finally {
      await mysqlProxy.restore();
    }
    expect(answers.filter((a) => a.ms >= PROMPT_MS)).toEqual([]);
    expect(await waitReady(node)).toBe(200);
    const markers = await Promise.all(
      clients.map((c) => redis.get(OrderingKeys.orderMarker(c.userId))),
    );
    await sleep(500);
    expect({ left: Object.fromEntries(await stockLeft(redis, mysql)), markers }).toEqual({
      left: leftBefore,
      markers: clients.map(() => null),
    });
    expectConsistentSince(
      before,
      await readOrderingState(redis, mysql),
      clients.map((c) => c.userId),
    );
    // After the outage the users can order, with the very carts that failed, and the orders are durable.
    for (const [i, client] of clients.entries()) {
      const order = expectJson(await client.order(carts[i]));
      expect((await committedOrders()).get(order.id)).toBe(client.userId);
    }
    expectConsistentSince(
      before,
      await readOrderingState(redis, mysql),
      clients.map((c) => c.userId),
    );
  });
  it('acknowledges every order of a group that committed while its reply was lost, and gives back only what MySQL lacks', async () => {
    const clients = await Promise.all(takeUsers(4).map((user) => loginClient(node.url, user)));
    const carts = await Promise.all(
      clients.map((client) =>
        client.cartWith([
          [1, 1],
          [3, 1],
        ]),
      ),
    );
    const userIds = clients.map((c) => c.userId);
    const before = await readOrderingState(redis, mysql);
    const ordersOf = async (): Promise<string[]> =>
      [...(await committedOrders())].filter(([, u]) => userIds.includes(u)).map(([id]) => id);
    // The INSERTs reach MySQL and commit; their answers never come back.
    mysqlProxy.pauseReplies();
    let replies: Reply[];
    let committedInTheDark: string[];
    try {
      const pending = Promise.all(
        clients.map((client, i) => client.order(carts[i], { timeoutMs: 15_000 })),
      );
      // Until MySQL holds what was sent (orders the node holds back for a free commit slot may
      // never be sent while the answers are held).
      let last = -1;
      committedInTheDark = await eventually(
        ordersOf,
        (ids) => {
          const stable = ids.length > 0 && ids.length === last;
          last = ids.length;
          return stable || ids.length === clients.length;
        },
        5000,
        300,
      );
      // Then the connection dies: the node cannot tell from it whether the group committed.
      await mysqlProxy.cut();
      mysqlProxy.resume();
      await sleep(300);
      await mysqlProxy.restore();
      replies = await pending;
    } finally {
      mysqlProxy.resume();
      await mysqlProxy.restore();
    }
    expect(committedInTheDark.length).toBeGreaterThan(0);
    // Every order MySQL holds was answered 200 with its id; every other one 503, stock given back.
    const held = new Map([...(await committedOrders())].filter(([, u]) => userIds.includes(u)));
    const answers = clients.map((client, i) => ({
      user: client.userId,
      status: replies[i].status,
      id: replies[i].status === 200 ? (replies[i].body as { id: string }).id : null,
    }));
    expect(answers).toEqual(
      clients.map((client) => {
        const id = [...held].find(([, u]) => u === client.userId)?.[0] ?? null;
        return { user: client.userId, status: id ? 200 : 503, id };
      }),
    );
    for (const id of committedInTheDark) expect(held.has(id)).toBe(true);
    expect(await waitReady(node)).toBe(200);
    expectConsistentSince(before, await readOrderingState(redis, mysql), userIds);
  });

  it('takes back an order that committed though it was answered 503 (MySQL away longer than the node asks): stock and user freed', async () => {
    const client = await loginClient(node.url, takeUsers(1)[0]);
    const cartId = await client.cartWith([
      [1, 1],
      [3, 1],
    ]);
    const before = await readOrderingState(redis, mysql);
    const ownOrders = (): Promise<string[]> => committedOrdersOf(client.userId);
    // The INSERT reaches MySQL and commits; its answer never comes back.
    mysqlProxy.pauseReplies();
    let reply: Reply;
    let committedInTheDark: string[];
    try {
      const pending = client.order(cartId, { timeoutMs: 15_000 });
      committedInTheDark = await eventually(ownOrders, (ids) => ids.length === 1, 5000, 100);
      // Then MySQL stays unreachable longer than the node keeps asking (3 s).
      await mysqlProxy.cut();
      mysqlProxy.resume();
      reply = await pending;
    } finally {
      mysqlProxy.resume();
      await mysqlProxy.restore();
    }
    expectError(reply, 'SERVICE_UNAVAILABLE');
    expect(committedInTheDark).toHaveLength(1);
    expect(await waitReady(node)).toBe(200);
    // Once MySQL answers, the node's reconciler takes the order back: deleted and voided, its
    // stock given back, its user free to order again.
    await eventually(ownOrders, (ids) => ids.length === 0, 10_000, 200);
    const [voided] = await mysql.query('SELECT id FROM order_void WHERE id = ?', [
      committedInTheDark[0],
    ]);
    expect(voided).toHaveLength(1);
    await expectFreedThenOrdersAgain(client, cartId, before);
  });

  it('answers POST /orders with a 503 while MySQL hangs (no answer, no reset), then takes the order back once MySQL answers: stock and user freed', async () => {
    const client = await loginClient(node.url, takeUsers(1)[0]);
    const cartId = await client.cartWith([
      [2, 1],
      [3, 1],
    ]);
    const before = await readOrderingState(redis, mysql);
    // Nothing moves between the node and MySQL: the commit is sent and neither answered nor refused.
    mysqlProxy.pause();
    let outcome: { reply: Reply; ms: number };
    try {
      outcome = await timed(() => client.order(cartId, { timeoutMs: 30_000 }));
      // In doubt: the units stay taken while MySQL cannot say (never sold twice).
      await sleep(500);
      const left = await stockLeft(redis, mysql);
      expect([left.get(2), left.get(3)]).toEqual([
        before.left.get(2)! - 1,
        before.left.get(3)! - 1,
      ]);
    } finally {
      mysqlProxy.resume();
    }
    expectError(outcome.reply, 'SERVICE_UNAVAILABLE');
    // DB_QUERY_TIMEOUT_MS (2 s here) for the commit, then up to 3 s of asking whether it landed.
    expect(outcome.ms).toBeLessThan(12_000);
    expect(await waitReady(node)).toBe(200);
    // The held INSERT may land when the proxy lets it through; either way the order is taken back.
    await expectFreedThenOrdersAgain(client, cartId, before);
  });

  it('takes back, when the node dies after answering 503 in doubt, an order that had committed: another node reconciles it', async () => {
    const doomed = await startProxiedNode();
    const client = await loginClient(doomed.url, takeUsers(1)[0]);
    const cartId = await client.cartWith([
      [1, 1],
      [4, 1],
    ]);
    const before = await readOrderingState(redis, mysql);
    const ownOrders = (): Promise<string[]> => committedOrdersOf(client.userId);
    // The order's INSERT reaches MySQL and commits; from then on no answer of MySQL comes back
    // (to any node), so the commit times out and asking whether it landed does too: 503 in doubt.
    mysqlProxy.pauseRepliesAfter('INSERT INTO `order`');
    let reply: Reply;
    try {
      reply = await client.order(cartId, { timeoutMs: 30_000 });
      expectError(reply, 'SERVICE_UNAVAILABLE');
      expect(await ownOrders()).toHaveLength(1);
      // The node dies before its own reconciler could take the order back.
      doomed.process.kill('SIGKILL');
      expect((await exited(doomed)).signal).toBe('SIGKILL');
    } finally {
      mysqlProxy.resume();
      await mysqlProxy.restore();
    }
    const [orderId] = await ownOrders();
    // Once the dead node's lease expires, a live node settles its pending orders: this one was
    // answered 503, so it is taken back (deleted and voided), not kept.
    await eventually(ownOrders, (ids) => ids.length === 0, 15_000, 200);
    const [voided] = await mysql.query('SELECT id FROM order_void WHERE id = ?', [orderId]);
    expect(voided).toHaveLength(1);
    await expectFreedThenOrdersAgain(client.on(node.url), cartId, before);
  });

  it('forgets an order it answered 503 in doubt once another node took it back while it was paused past its lease', async () => {
    const paused = await startProxiedNode();
    const witness = await startNode(env); // straight to MySQL: it must reconcile while the proxy is cut
    started.push(witness);
    const client = await loginClient(paused.url, takeUsers(1)[0]);
    const cartId = await client.cartWith([
      [2, 1],
      [4, 1],
    ]);
    const before = await readOrderingState(redis, mysql);
    const ownOrders = (): Promise<string[]> => committedOrdersOf(client.userId);
    const inDoubtOn = async (n: AppNode): Promise<number> =>
      Number((await metricsOf(n.url))['orders.inDoubt']);
    mysqlProxy.pauseRepliesAfter('INSERT INTO `order`');
    let orderId: string;
    let inDoubtKey: string;
    try {
      expectError(await client.order(cartId, { timeoutMs: 30_000 }), 'SERVICE_UNAVAILABLE');
      [orderId] = await ownOrders();
      inDoubtKey = OrderingKeys.leaseInDoubt(await leaseOfOrder(orderId));
      expect(await redis.hexists(inDoubtKey, orderId)).toBe(1);
      expect(await inDoubtOn(paused)).toBe(1);
      // Paused before its own reconciler could reach MySQL; what it had sent dies with the cut.
      paused.process.kill('SIGSTOP');
      await mysqlProxy.cut();
    } finally {
      mysqlProxy.resume();
    }
    try {
      // Its lease expires and the witness takes the order back: deleted, voided, the lease's
      // units back in the pools, and its record of orders in doubt closed to later additions.
      await eventually(ownOrders, (ids) => ids.length === 0, 15_000, 200);
      await reconciled(redis);
      expect(await redis.hmget(inDoubtKey!, orderId, '#closed')).toEqual(['', '1']);
      paused.process.kill('SIGCONT');
      // Back, it finds the order no longer pending and stops holding it as its own, MySQL or not.
      expect(
        await eventually(
          () => inDoubtOn(paused),
          (n) => n === 0,
          10_000,
          200,
        ),
      ).toBe(0);
    } finally {
      paused.process.kill('SIGCONT');
      await mysqlProxy.restore();
    }
    const [voided] = await mysql.query('SELECT id FROM order_void WHERE id = ?', [orderId]);
    expect(voided).toHaveLength(1);
    await expectFreedThenOrdersAgain(client.on(witness.url), cartId, before);
    // Not left running into the next tests, which count on the suite's own node alone.
    await Promise.all([paused.stop('SIGTERM', 5000), witness.stop('SIGTERM', 5000)]);
  });

  it('completes an order whose Redis read was answered into a dead connection: it asks again and commits', async () => {
    const client = await loginClient(node.url, takeUsers(1)[0]);
    const cartId = await client.cartWith([
      [2, 1],
      [4, 1],
    ]);
    const before = await readOrderingState(redis, mysql);
    const reply = await orderWithLostAnswer(client, cartId, { redisBack: true });
    const order = expectJson(reply) as { id: string };
    expect((await committedOrders()).get(order.id)).toBe(client.userId);
    expectConsistentSince(before, await readOrderingState(redis, mysql), [client.userId]);
  });

  it('answers 503, with nothing taken, an order whose Redis read was lost while Redis stayed away', async () => {
    const client = await loginClient(node.url, takeUsers(1)[0]);
    const cartId = await client.cartWith([
      [2, 1],
      [4, 1],
    ]);
    const before = await readOrderingState(redis, mysql);
    // Redis stays unreachable longer than the node keeps asking (3 s): the answer is a 503.
    const reply = await orderWithLostAnswer(client, cartId, { redisBack: false });
    expectError(reply, 'SERVICE_UNAVAILABLE');
    expect(await waitReady(node)).toBe(200);
    // Nothing was taken: the stock is as it was and the user orders with the same cart.
    await expectFreedThenOrdersAgain(client, cartId, before);
  });

  it('answers a PATCH whose reply was lost with what happened: 204 if applied, 503 (nothing applied) if not', async () => {
    const client = await loginClient(node.url, takeUsers(1)[0]);
    const cartId = await client.newCart();
    // Applied unseen: the script runs, its answer is lost with the connection.
    // From the change's script on (its keys name the cart).
    redisProxy.pauseRepliesAfter(cartId);
    let applied: Reply;
    try {
      const pending = client.patch(cartId, 1, 1, { timeoutMs: 15_000 });
      await eventually(
        () => redis.get(cartKey(cartId)),
        (cart) => cart !== null,
        5000,
      );
      await redisProxy.cut();
      redisProxy.resume();
      await redisProxy.restore();
      applied = await pending;
    } finally {
      redisProxy.resume();
      await redisProxy.restore();
    }
    expectNoContent(applied);
    expect(await redis.get(cartKey(cartId))).toBe('1:1');
    expect(await waitReady(node)).toBe(200);

    // Never ran: the command is held before Redis, then its connection dies.
    redisProxy.pause();
    let refused: Reply;
    try {
      const pending = client.patch(cartId, 3, 1, { timeoutMs: 15_000 });
      await sleep(300);
      await redisProxy.cut();
      redisProxy.resume();
      await redisProxy.restore();
      refused = await pending;
    } finally {
      redisProxy.resume();
      await redisProxy.restore();
    }
    expectError(refused, 'SERVICE_UNAVAILABLE');
    expect(await redis.get(cartKey(cartId))).toBe('1:1');
    expect(await waitReady(node)).toBe(200);
    expectNoContent(await client.patch(cartId, 3, 1));
    expect(await redis.get(cartKey(cartId))).toBe('1:1,3:1');
  });

  it('answers a PATCH with a 503 while Redis hangs, and the change does nothing when it reaches Redis late', async () => {
    const client = await loginClient(node.url, takeUsers(1)[0]);
    const cartId = await client.cartWith([[1, 1]]);
    // Redis hangs: the connection stays open, nothing answers (no reset, no refusal), and what the
    // node sends is held on the way.
    redisProxy.pause();
    const started = Date.now();
    let reply: Reply;
    try {
      reply = await client.patch(cartId, 2, 1, { timeoutMs: 20_000 });
    } finally {
      redisProxy.resume();
    }
    const waited = Date.now() - started;
    expectError(reply, 'SERVICE_UNAVAILABLE');
    // The command timeout (2 s), the deadline's clock margin, one more round of asking: well under
    // 10 s. Without a timeout the request waited until the client gave up.
    expect(waited).toBeLessThan(10_000);
    // Resumed: the held change reaches Redis past its deadline, records -1 and changes nothing.
    const results = await eventually(
      () => redis.hvals(cartKey(cartId).replace(':cart:', ':cart-change:')),
      (values) => values.includes('-1'),
      5000,
    );
    expect(results).toContain('-1');
    expect(await redis.get(cartKey(cartId))).toBe('1:1');
    expect(await waitReady(node)).toBe(200);
    expectNoContent(await client.patch(cartId, 2, 1));
    expect(await redis.get(cartKey(cartId))).toBe('1:1,2:1');
  });
});
