import type Redis from 'ioredis';
import type { Connection } from 'mysql2/promise';
import { ClusterKeys } from '../../src/cluster/cluster-keys';
import { OrderingKeys } from '../../src/ordering/ordering-keys';
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
    return expectJson(await this.call<{ cart_id: string }>('POST', '/carts')).cart_id;
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
 * Units of each food still for sale across the cluster, as Redis holds them: the shared pool plus
 * what node leases hold unsold (leased − sold). Read in one atomic script: a live node moving units
 * between the pool and its lease between two separate reads would otherwise be counted twice.
 * Only leases in the registry count, as in the app's own view (a lease hash outside it is void).
 * Every key the script reads is passed in KEYS (a Redis Cluster requires it, and the key prefix is
 * applied only there): the registry is read first, and the script answers RETRY if it changed.
 */
const STOCK_LEFT_LUA = `
local nodes = redis.call('ZRANGE', KEYS[2], 0, -1)
if #nodes ~= #ARGV then return {'RETRY'} end
for i = 1, #nodes do
  if nodes[i] ~= ARGV[i] then return {'RETRY'} end
end
local left = {}
local pool = redis.call('HGETALL', KEYS[1])
for i = 1, #pool, 2 do left[pool[i]] = tonumber(pool[i + 1]) end
for k = 3, #KEYS do
  local lease = redis.call('HGETALL', KEYS[k])
  local fields = {}
  for i = 1, #lease, 2 do fields[lease[i]] = tonumber(lease[i + 1]) end
  for field, leased in pairs(fields) do
    if string.sub(field, 1, 2) == 'l:' then
      local food = string.sub(field, 3)
      left[food] = (left[food] or 0) + leased - (fields['s:' .. food] or 0)
    end
  end
end
local out = {}
for food, units in pairs(left) do
  out[#out + 1] = food
  out[#out + 1] = tostring(units)
end
return out`;

export async function stockLeft(redis: Redis): Promise<Map<number, number>> {
  for (let attempt = 0; ; attempt++) {
    const nodes = await redis.zrange(ClusterKeys.stockLeases, 0, -1);
    const flat = (await redis.eval(
      STOCK_LEFT_LUA,
      2 + nodes.length,
      ClusterKeys.stockPool,
      ClusterKeys.stockLeases,
      ...nodes.map((node) => ClusterKeys.stockLease(node)),
      ...nodes,
    )) as string[];
    if (flat[0] === 'RETRY') {
      if (attempt >= 100) throw new Error('the stock lease registry kept changing');
      continue;
    }
    const left = new Map<number, number>();
    for (let i = 0; i < flat.length; i += 2) left.set(Number(flat[i]), Number(flat[i + 1]));
    return left;
  }
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
  const pool = new Map(
    Object.entries(await redis.hgetall(ClusterKeys.stockPool)).map(([k, v]) => [
      Number(k),
      Number(v),
    ]),
  );
  const markers = new Map(
    Object.entries(await redis.hgetall(OrderingKeys.orderMarkers)).map(([k, v]) => [Number(k), v]),
  );
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
  return { pool, left: await stockLeft(redis), markers, orders, sold, foods };
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
 * Waits (bounded) until no node but the given live processes has orders pending reconciliation:
 * a node killed by an earlier test gets its in-flight orders settled only once its lease expired
 * (LEASE_TTL_MS), and a snapshot taken before that would see their stock come back later.
 * Node ids are "<host>-<pid>-<random>".
 */
export async function reconciled(
  redis: Redis,
  livePids: number[],
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const live = (node: string) => livePids.some((pid) => node.includes(`-${pid}-`));
  for (;;) {
    let waiting = 0;
    for (const node of await redis.smembers(OrderingKeys.pendingNodes)) {
      if (!live(node) && (await redis.hlen(OrderingKeys.pendingOrders(node))) > 0) waiting++;
    }
    if (waiting === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${waiting} dead node(s) still have pending orders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
