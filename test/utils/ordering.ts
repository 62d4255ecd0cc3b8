import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { OrderingKeys } from '../../src/ordering/ordering-keys';
import { readFoodStocks } from '../../src/ordering/stock/food-stock';
import { Reply, RequestOptions, request } from './http';

/** The contract's content type for every response with a body. */
export const JSON_UTF8 = 'application/json; charset=utf-8';

/** The contract's errors, exactly as the 2015 contest's clients compare them. */
export const ERRORS = {
  INVALID_ACCESS_TOKEN: [401, '无效的令牌'],
  USER_AUTH_FAIL: [403, '用户名或密码错误'],
  EMPTY_REQUEST: [400, '请求体为空'],
  MALFORMED_JSON: [400, '格式错误'],
  CART_NOT_FOUND: [404, '篮子不存在'],
  NOT_AUTHORIZED_TO_ACCESS_CART: [401, '无权限访问指定的篮子'],
  FOOD_NOT_FOUND: [404, '食物不存在'],
  FOOD_OUT_OF_LIMIT: [403, '篮子中食物数量超过了三个'],
  FOOD_OUT_OF_STOCK: [403, '食物库存不足'],
  ORDER_OUT_OF_LIMIT: [403, '每个用户只能下一单'],
  EMPTY_CART: [403, '篮子为空'],
} as const satisfies Record<string, readonly [number, string]>;

/** Errors beyond the contest: fixed status and code, message free. */
export const SERVICE_ERRORS = {
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ContractError = keyof typeof ERRORS;
export type ServiceError = keyof typeof SERVICE_ERRORS;

function summary(reply: Reply): string {
  return `${reply.status} ${reply.headers['content-type'] ?? '(no content-type)'} ${reply.text.slice(0, 300)}`;
}

/** Asserts a contract error: exact status, body {code, message} and nothing else, JSON content type. */
export function expectError(reply: Reply, code: ContractError | ServiceError): void {
  const context = summary(reply);
  if (code in ERRORS) {
    const [status, message] = ERRORS[code as ContractError];
    expect({ context, status: reply.status, body: reply.body }).toEqual({
      context,
      status,
      body: { code, message },
    });
  } else {
    const status = SERVICE_ERRORS[code as ServiceError];
    expect({
      context,
      status: reply.status,
      code: (reply.body as { code?: unknown })?.code,
    }).toEqual({ context, status, code });
    expect(typeof (reply.body as { message?: unknown }).message).toBe('string');
  }
  expect({ context, contentType: reply.headers['content-type'] }).toEqual({
    context,
    contentType: JSON_UTF8,
  });
}

/** Asserts a success with a JSON body and returns the body. */
export function expectJson<T>(reply: Reply<T>, status = 200): T {
  const context = summary(reply);
  expect({ context, status: reply.status, contentType: reply.headers['content-type'] }).toEqual({
    context,
    status,
    contentType: JSON_UTF8,
  });
  return reply.body;
}

/** Asserts 204 with no body and no content type. */
export function expectNoContent(reply: Reply): void {
  const context = summary(reply);
  expect({
    context,
    status: reply.status,
    text: reply.text,
    contentType: reply.headers['content-type'],
  }).toEqual({
    context,
    status: 204,
    text: '',
    contentType: undefined,
  });
}

export interface Food {
  id: number;
  price: number;
  stock: number;
}

export interface OrderView {
  id: string;
  items: { food_id: number; count: number }[];
  total: number;
  user_id?: number;
}

/** Every reply {@link send} receives is also handed to these (a suite can check them all at the end). */
export const replyObservers: ((method: string, url: string, reply: Reply) => void)[] = [];

/** {@link request}, with the reply shown to {@link replyObservers}. */
export async function send<T = any>(
  method: string,
  url: string,
  options: RequestOptions = {},
): Promise<Reply<T>> {
  const reply = await request<T>(method, url, options);
  for (const observe of replyObservers) observe(method, url, reply);
  return reply;
}

/** A logged-in contest client of one node (keep-alive unless told otherwise). */
/** Owners of the carts test clients created: a cart's Redis key is on its owner's slot. */
const cartOwners = new Map<string, number>();

/** The Redis key of a cart a test client created (see {@link Client.newCart}). */
export function cartKey(cartId: string): string {
  const owner = cartOwners.get(cartId);
  if (owner === undefined) throw new Error(`cart ${cartId} was not created through a test client`);
  return OrderingKeys.cart(owner, cartId);
}

export class Client {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly userId: number,
    private readonly defaults: RequestOptions = {},
  ) {}

  async call<T = any>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<Reply<T>> {
    return send<T>(method, `${this.baseUrl}${path}`, {
      token: this.token,
      ...this.defaults,
      ...options,
    });
  }

  /** A client of the same user talking to another node. */
  on(baseUrl: string, defaults: RequestOptions = this.defaults): Client {
    return new Client(baseUrl, this.token, this.userId, defaults);
  }

  async newCart(): Promise<string> {
    const cartId = expectJson(await this.call<{ cart_id: string }>('POST', '/carts')).cart_id;
    cartOwners.set(cartId, this.userId);
    return cartId;
  }

  patch(
    cartId: string,
    foodId: number,
    count: number,
    options: RequestOptions = {},
  ): Promise<Reply> {
    return this.call('PATCH', `/carts/${encodeURIComponent(cartId)}`, {
      body: { food_id: foodId, count },
      ...options,
    });
  }

  /** A new cart holding `items` (each PATCH must answer 204). */
  async cartWith(items: [foodId: number, count: number][]): Promise<string> {
    const cartId = await this.newCart();
    for (const [foodId, count] of items) expectNoContent(await this.patch(cartId, foodId, count));
    return cartId;
  }

  order(cartId: string, options: RequestOptions = {}): Promise<Reply<{ id: string }>> {
    return this.call('POST', '/orders', { body: { cart_id: cartId }, ...options });
  }

  async orders(): Promise<OrderView[]> {
    return expectJson(await this.call<OrderView[]>('GET', '/orders'));
  }

  async foods(): Promise<Food[]> {
    return expectJson(await this.call<Food[]>('GET', '/foods'));
  }
}

export async function loginClient(
  baseUrl: string,
  user: { id: number; name: string; password: string },
  defaults: RequestOptions = {},
): Promise<Client> {
  const reply = await send<{ user_id: number; access_token: string }>('POST', `${baseUrl}/login`, {
    body: { username: user.name, password: user.password },
    ...defaults,
  });
  const body = expectJson(reply);
  expect(body.user_id).toBe(user.id);
  return new Client(baseUrl, body.access_token, user.id, defaults);
}

/**
 * Units of each food still for sale across the cluster, as Redis holds them: each food's pool plus
 * what live leases hold unsold (granted − taken as their nodes last reported it, every
 * FOODS_REFRESH_MS). Each food is read in one command: its pool and its grants move together.
 */
export async function stockLeft(redis: Redis, mysql: Connection): Promise<Map<number, number>> {
  const [rows] = await mysql.query('SELECT id FROM food ORDER BY id');
  const ids = (rows as { id: number }[]).map((r) => Number(r.id));
  const stocks = await readFoodStocks(redis, ids);
  return new Map(
    ids.map((id) => [id, (stocks.get(id)?.pool ?? 0) + (stocks.get(id)?.leasedUnsold ?? 0)]),
  );
}

/** Everything the ordering state holds, read straight from Redis and MySQL. */
export interface OrderingState {
  /** Food id -> units left in the Redis pool. */
  pool: Map<number, number>;
  /** Food id -> units for sale across the cluster (pool + unsold leases), see {@link stockLeft}. */
  left: Map<number, number>;
  /** User id -> marker value (the order id) in Redis. */
  markers: Map<number, string>;
  /** Orders committed to MySQL. */
  orders: {
    id: string;
    userId: number;
    items: { food_id: number; count: number }[];
    total: number;
  }[];
  /** Food id -> units that committed orders hold. */
  sold: Map<number, number>;
  /** Food id -> initial stock and price (MySQL). */
  foods: Map<number, { stock: number; price: number }>;
}

export async function readOrderingState(redis: Redis, mysql: Connection): Promise<OrderingState> {
  // Nodes report the units their leases took every FOODS_REFRESH_MS (250 ms by default).
  await new Promise((r) => setTimeout(r, 600));
  const [foodIds] = await mysql.query('SELECT id FROM food ORDER BY id');
  const ids = (foodIds as { id: number }[]).map((r) => Number(r.id));
  const pool = new Map(
    [...(await readFoodStocks(redis, ids))].map(([id, stock]) => [id, stock.pool]),
  );
  const [userRows] = await mysql.query('SELECT id FROM user');
  const userIds = (userRows as { id: number }[]).map((r) => Number(r.id));
  const values = await Promise.all(userIds.map((id) => redis.get(OrderingKeys.orderMarker(id))));
  const markers = new Map<number, string>();
  userIds.forEach((id, i) => values[i] !== null && markers.set(id, values[i] as string));
  const [orderRows] = await mysql.query('SELECT id, user_id, items, total FROM `order`');
  const orders = (orderRows as { id: string; user_id: number; items: string; total: number }[]).map(
    (r) => ({
      id: r.id,
      userId: Number(r.user_id),
      items: JSON.parse(r.items) as { food_id: number; count: number }[],
      total: Number(r.total),
    }),
  );
  const [foodRows] = await mysql.query('SELECT id, stock, price FROM food');
  const foods = new Map(
    (foodRows as { id: number; stock: number; price: number }[]).map((f) => [
      Number(f.id),
      { stock: Number(f.stock), price: Number(f.price) },
    ]),
  );
  const sold = new Map<number, number>();
  for (const order of orders)
    for (const item of order.items)
      sold.set(item.food_id, (sold.get(item.food_id) ?? 0) + item.count);
  return { pool, left: await stockLeft(redis, mysql), markers, orders, sold, foods };
}

/**
 * The invariants that tie Redis to MySQL when nothing is in flight: for every food, what is left
 * for sale is its initial stock minus what committed orders hold (nothing oversold, nothing lost),
 * no pool is negative, and exactly the users with a committed order carry the one-order marker,
 * naming that order.
 */
export function expectConsistent(state: OrderingState): void {
  const leftVsMysql = [...state.foods].map(([id, food]) => ({
    food: id,
    left: state.left.get(id),
    expected: food.stock - (state.sold.get(id) ?? 0),
  }));
  expect(leftVsMysql).toEqual(leftVsMysql.map((row) => ({ ...row, left: row.expected })));
  expect([...state.pool.values()].filter((units) => units < 0)).toEqual([]);
  const markerUsers = [...state.markers.keys()].sort((a, b) => a - b);
  const orderUsers = state.orders.map((o) => o.userId).sort((a, b) => a - b);
  expect(markerUsers).toEqual(orderUsers);
  for (const order of state.orders)
    expect([order.userId, state.markers.get(order.userId)]).toEqual([order.userId, order.id]);
}

export { eventually, sleep } from './wait';

/** Runs `tasks` with at most `limit` at once; results in input order. */
export async function runLimited<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/**
 * {@link expectConsistent} for what happened between two snapshots, so a test is not blamed for
 * another's leftovers: per food, the units that left sale equal the units newly committed to
 * MySQL, and each of `userIds` is marked exactly when MySQL holds an order of theirs, naming it.
 */
export function expectConsistentSince(
  before: OrderingState,
  after: OrderingState,
  userIds: number[],
): void {
  const foods = [...after.foods.keys()];
  const moved = foods.map((food) => ({
    food,
    leftSale: (before.left.get(food) ?? 0) - (after.left.get(food) ?? 0),
    committed: (after.sold.get(food) ?? 0) - (before.sold.get(food) ?? 0),
  }));
  expect(moved).toEqual(moved.map((row) => ({ ...row, leftSale: row.committed })));
  expect([...after.pool.values()].filter((units) => units < 0)).toEqual([]);
  const marks = userIds.map((userId) => ({
    userId,
    marker: after.markers.get(userId) ?? null,
    order: after.orders.find((o) => o.userId === userId)?.id ?? null,
  }));
  expect(marks).toEqual(marks.map((row) => ({ ...row, marker: row.order })));
}

/**
 * Waits (bounded) until no stock lease is left to reclaim: a node killed by an earlier test gets
 * its lease's unsold units back in the pools only once the lease expired (LEASE_TTL_MS) and a
 * reclaimer counted its orders in MySQL, and a snapshot taken before that would see them come
 * back later. Live nodes renew theirs, so only dead ones' leases expire; with `liveLeases` (one
 * per live node process), also until a dead node's lease that has not expired yet is gone.
 */
export async function reconciled(
  redis: Redis,
  liveLeases?: number,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [time, registry, revoked] = (await redis
      .multi()
      .time()
      .zrange(OrderingKeys.leases, 0, -1, 'WITHSCORES')
      .scard(OrderingKeys.leasesRevoked)
      .exec()) as [Error | null, unknown][];
    const now = Number((time[1] as string[])[0]) * 1000;
    const scores = registry[1] as string[];
    let waiting = Number(revoked[1]);
    for (let i = 1; i < scores.length; i += 2) if (Number(scores[i]) < now) waiting++;
    if (liveLeases !== undefined) waiting = Math.max(waiting, scores.length / 2 - liveLeases);
    if (waiting === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${waiting} dead stock lease(s) still unreclaimed after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
