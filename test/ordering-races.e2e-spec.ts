import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { OrderingKeys } from '../src/ordering/ordering-keys';
import { AppNode, TestEnv, createTestEnv, mysqlOf, redisOf, startNode } from './utils/app-cluster';
import { Reply } from './utils/http';
import {
  Client,
  OrderView,
  eventually,
  expectConsistent,
  expectError,
  expectJson,
  loginClient,
  readOrderingState,
  cartKey,
  runLimited,
  sleep,
  stockLeft,
} from './utils/ordering';

/**
 * The ordering rules under real concurrency: one node running two worker processes plus a second
 * node, all selling from the same Redis and MySQL, every racing request on its own TCP connection
 * and spread over the nodes. What must hold is checked on the wire, in MySQL and in Redis.
 */

const STOCK = 50;
const FOODS = 4;
const REFRESH_MS = 100;
// Food roles: 1 sold out by 100 single-unit orders; 2 and 3 for mixed carts; 4 for the one-user race.
const SOLD_OUT_FOOD = 1;
const [X, Y] = [2, 3];
const ONE_USER_FOOD = 4;

let env: TestEnv;
let nodeA: AppNode; // WORKERS=2
let nodeB: AppNode; // WORKERS=1
let redis: Redis;
let mysql: Connection;
let clients: Client[] = [];
let nextClient = 0;
/** Every 200 of the suite: order id -> user id and the items ordered. */
const acknowledged = new Map<
  string,
  { userId: number; items: { food_id: number; count: number }[] }
>();

const nodes = (): AppNode[] => [nodeA, nodeB];

function takeClients(n: number): Client[] {
  const taken = clients.slice(nextClient, nextClient + n);
  nextClient += n;
  if (taken.length < n) throw new Error('the suite needs more users in its dataset');
  return taken;
}

/** Fires every order at once, each on a new TCP connection, alternating between the nodes. */
async function raceOrders(
  entries: { client: Client; cartId: string }[],
): Promise<Reply<{ id: string }>[]> {
  return Promise.all(
    entries.map(({ client, cartId }, i) =>
      client.on(nodes()[i % 2].url, { newConnection: true, timeoutMs: 30_000 }).order(cartId),
    ),
  );
}

function record(reply: Reply<{ id: string }>, client: Client, items: [number, number][]): void {
  acknowledged.set(expectJson(reply).id, {
    userId: client.userId,
    items: items.map(([food_id, count]) => ({ food_id, count })),
  });
}

/** Splits replies into 200s and the contract's errors (anything else fails the test). */
function tally(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) {
    const key =
      reply.status === 200 || reply.status === 204
        ? String(reply.status)
        : `${reply.status} ${(reply.body as { code?: string })?.code ?? reply.text.slice(0, 80)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function foodsOn(node: AppNode): Promise<Map<number, number>> {
  const foods = await clients[0].on(node.url).foods();
  return new Map(foods.map((f) => [f.id, f.stock]));
}

beforeAll(async () => {
  env = await createTestEnv(
    'ordering_races',
    2,
    { users: 200, foods: FOODS, stock: STOCK },
    { FOODS_REFRESH_MS: String(REFRESH_MS) },
  );
  // Started side by side; each one that did start is kept, so afterAll stops it even if the other failed.
  const [a, b] = await Promise.allSettled([
    startNode(env, { workers: 2 }),
    startNode(env, { workers: 1 }),
  ]);
  if (a.status === 'fulfilled') nodeA = a.value;
  if (b.status === 'fulfilled') nodeB = b.value;
  for (const result of [a, b]) if (result.status === 'rejected') throw result.reason;
  redis = redisOf(env);
  mysql = await mysqlOf(env);
  const users = env.users.filter((u) => u.name !== 'root');
  clients = await runLimited(
    users.map((user, i) => () => loginClient(nodes()[i % 2].url, user)),
    16,
  );
}, 90_000);

/** Units left per food once the nodes reported what their leases took (every 250 ms). */
async function leftNow(): Promise<Map<number, number>> {
  await sleep(750);
  return stockLeft(redis, mysql);
}

/** The one-order markers of these users (user id -> order id). */
async function markersOf(userIds: number[]): Promise<Record<number, string | undefined>> {
  const values = await Promise.all(userIds.map((id) => redis.get(OrderingKeys.orderMarker(id))));
  return Object.fromEntries(userIds.map((id, i) => [id, values[i] ?? undefined]));
}

afterAll(async () => {
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  redis?.disconnect();
  await mysql?.end();
});

it('never lets racing PATCHes over both nodes put more than 3 units in one cart', async () => {
  const [client] = takeClients(1);
  const cartId = await client.newCart();
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      client.on(nodes()[i % 2].url, { newConnection: true }).patch(cartId, (i % 3) + 2, 1),
    ),
  );
  expect(tally(replies)).toEqual({ '204': 3, '403 FOOD_OUT_OF_LIMIT': 17 });
  for (const reply of replies.filter((r) => r.status !== 204))
    expectError(reply, 'FOOD_OUT_OF_LIMIT');
  const cart = (await redis.get(cartKey(cartId))) ?? '';
  expect(cart.split(',').reduce((sum, pair) => sum + Number(pair.split(':')[1]), 0)).toBe(3);
  // Removals race too and never go below empty.
  const removals = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      client.on(nodes()[i % 2].url, { newConnection: true }).patch(cartId, (i % 3) + 2, -1),
    ),
  );
  expect(tally(removals)).toEqual({ '204': 10 });
  expect(await redis.exists(cartKey(cartId))).toBe(0);
  expectError(await client.order(cartId), 'EMPTY_CART');
});

it('lets one user order exactly once when 20 orders of theirs race over both nodes and three processes', async () => {
  const [client] = takeClients(1);
  const carts = await runLimited(
    Array.from(
      { length: 20 },
      (_, i) => () => client.on(nodes()[i % 2].url).cartWith([[ONE_USER_FOOD, 1]]),
    ),
    5,
  );
  const replies = await raceOrders(carts.map((cartId) => ({ client, cartId })));
  expect(tally(replies)).toEqual({ '200': 1, '403 ORDER_OUT_OF_LIMIT': 19 });
  const winner = replies.find((r) => r.status === 200)!;
  record(winner, client, [[ONE_USER_FOOD, 1]]);
  for (const reply of replies.filter((r) => r.status !== 200))
    expectError(reply, 'ORDER_OUT_OF_LIMIT');
  const [rows] = await mysql.query('SELECT id FROM `order` WHERE user_id = ?', [client.userId]);
  expect(rows).toEqual([{ id: winner.body.id }]);
  expect(await redis.get(OrderingKeys.orderMarker(client.userId))).toBe(winner.body.id);
  for (const node of nodes())
    expect((await client.on(node.url).orders()).map((o) => o.id)).toEqual([winner.body.id]);
  expect((await leftNow()).get(ONE_USER_FOOD)).toBe(STOCK - 1);
});

it('sells a food out exactly under twice its stock in concurrent demand: 50 sold, 50 refused, none oversold', async () => {
  const buyers = takeClients(2 * STOCK);
  const carts = await runLimited(
    buyers.map((client) => () => client.cartWith([[SOLD_OUT_FOOD, 1]])),
    16,
  );
  const replies = await raceOrders(buyers.map((client, i) => ({ client, cartId: carts[i] })));
  expect(tally(replies)).toEqual({ '200': STOCK, '403 FOOD_OUT_OF_STOCK': STOCK });
  const winners = new Set<number>();
  replies.forEach((reply, i) => {
    if (reply.status === 200) {
      record(reply, buyers[i], [[SOLD_OUT_FOOD, 1]]);
      winners.add(buyers[i].userId);
    } else expectError(reply, 'FOOD_OUT_OF_STOCK');
  });
  const [rows] = await mysql.query('SELECT user_id, items FROM `order` WHERE user_id IN (?)', [
    buyers.map((b) => b.userId),
  ]);
  const committed = rows as { user_id: number; items: string }[];
  expect(committed.map((r) => Number(r.user_id)).sort((a, b) => a - b)).toEqual(
    [...winners].sort((a, b) => a - b),
  );
  expect(
    committed.reduce((sum, r) => sum + (JSON.parse(r.items) as { count: number }[])[0].count, 0),
  ).toBe(STOCK);
  // The losers were not marked as having ordered.
  const markers = await markersOf(buyers.map((b) => b.userId));
  expect(buyers.filter((b) => !winners.has(b.userId) && markers[b.userId] !== undefined)).toEqual(
    [],
  );
  expect((await leftNow()).get(SOLD_OUT_FOOD)).toBe(0);
  expect(
    Number(await redis.hget(OrderingKeys.foodStock(SOLD_OUT_FOOD), 'pool')),
  ).toBeGreaterThanOrEqual(0);
  for (const node of nodes()) {
    const shown = await eventually(
      () => foodsOn(node),
      (foods) => foods.get(SOLD_OUT_FOOD) === 0,
      3000,
    );
    expect({ node: node.url, stock: shown.get(SOLD_OUT_FOOD) }).toEqual({
      node: node.url,
      stock: 0,
    });
  }
});

it('keeps orders all-or-nothing under concurrency when one food of a two-food cart runs out', async () => {
  // 40 carts of {Y:2} and 40 of {X:1, Y:1}: 120 units of Y wanted, 50 exist; X (50) suffices for all.
  const buyers = takeClients(80);
  const plans = buyers.map((client, i) => ({
    client,
    items: (i % 2 === 0
      ? [[Y, 2]]
      : [
          [X, 1],
          [Y, 1],
        ]) as [number, number][],
  }));
  const carts = await runLimited(
    plans.map(
      ({ client, items }) =>
        () =>
          client.cartWith(items),
    ),
    16,
  );
  const replies = await raceOrders(plans.map(({ client }, i) => ({ client, cartId: carts[i] })));
  const counts = tally(replies);
  expect(Object.keys(counts).sort()).toEqual(['200', '403 FOOD_OUT_OF_STOCK']);
  const wanted = new Map<number, [number, number][]>();
  replies.forEach((reply, i) => {
    if (reply.status === 200) {
      record(reply, plans[i].client, plans[i].items);
      wanted.set(plans[i].client.userId, plans[i].items);
    } else expectError(reply, 'FOOD_OUT_OF_STOCK');
  });
  // Every committed order holds exactly its cart; nobody else has a row or a marker.
  const [rows] = await mysql.query('SELECT user_id, items FROM `order` WHERE user_id IN (?)', [
    buyers.map((b) => b.userId),
  ]);
  const committed = (rows as { user_id: number; items: string }[]).map((r) => ({
    userId: Number(r.user_id),
    items: JSON.parse(r.items),
  }));
  expect(committed.map((o) => o.userId).sort((a, b) => a - b)).toEqual(
    [...wanted.keys()].sort((a, b) => a - b),
  );
  for (const order of committed)
    expect(order.items).toEqual(
      wanted.get(order.userId)!.map(([food_id, count]) => ({ food_id, count })),
    );
  const markers = await markersOf(buyers.map((b) => b.userId));
  expect(
    buyers
      .filter((b) => !wanted.has(b.userId) && markers[b.userId] !== undefined)
      .map((b) => b.userId),
  ).toEqual([]);
  // Units taken per food = what MySQL orders hold = initial − what is left: no partial takes.
  const sold = (food: number): number =>
    committed.reduce(
      (sum, o) =>
        sum +
        o.items
          .filter((it: { food_id: number }) => it.food_id === food)
          .reduce((s: number, it: { count: number }) => s + it.count, 0),
      0,
    );
  const left = await leftNow();
  const mixedWins = plans.filter(
    (p, i) => replies[i].status === 200 && p.items.length === 2,
  ).length;
  expect({ X: sold(X), Y: sold(Y) }).toEqual({ X: STOCK - left.get(X)!, Y: STOCK - left.get(Y)! });
  expect(sold(X)).toBe(mixedWins);
  expect(sold(Y)).toBeLessThanOrEqual(STOCK);
  // None refused while their cart could still be served: stock only falls, so at the time of any
  // refusal some food of that cart had less than it asked for at the end too.
  const wronglyRefused = plans.filter(
    (p, i) =>
      replies[i].status !== 200 && p.items.every(([food, count]) => left.get(food)! >= count),
  );
  expect(wronglyRefused.map((p) => ({ user: p.client.userId, items: p.items }))).toEqual([]);
  expect(left.get(Y)).toBeLessThan(2);
});

it('shows in /admin/orders, from every node, exactly the orders that got a 200, with their users and items', async () => {
  const root = await loginClient(nodeA.url, env.users[0]);
  const expected = [...acknowledged]
    .map(([id, { userId, items }]) => ({ id, user_id: userId, items }))
    .sort((a, b) => a.id.localeCompare(b.id));
  expect(new Set(expected.map((o) => o.id)).size).toBe(acknowledged.size);
  for (const node of nodes()) {
    const all = expectJson(await root.on(node.url).call<OrderView[]>('GET', '/admin/orders'));
    expect(
      all
        .map(({ id, user_id, items }) => ({ id, user_id, items }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual(expected);
  }
  const state = await readOrderingState(redis, mysql);
  expect(
    state.orders
      .map((o) => ({ id: o.id, user_id: o.userId, items: o.items }))
      .sort((a, b) => a.id.localeCompare(b.id)),
  ).toEqual(expected);
  expectConsistent(state);
});

it('leaves the pool itself equal to initial − sold once every node has stopped', async () => {
  await Promise.all([nodeA.stop(), nodeB.stop()]);
  const state = await readOrderingState(redis, mysql);
  expectConsistent(state);
  const pool = [...state.foods].map(([id, food]) => ({
    food: id,
    pool: state.pool.get(id),
    expected: food.stock - (state.sold.get(id) ?? 0),
  }));
  expect(pool).toEqual(pool.map((row) => ({ ...row, pool: row.expected })));
});
