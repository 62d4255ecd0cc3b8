import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
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
import { Reply } from './utils/http';
import {
  Client,
  Food,
  JSON_UTF8,
  OrderView,
  eventually,
  expectConsistent,
  expectError,
  expectJson,
  expectNoContent,
  loginClient,
  readOrderingState,
  replyObservers,
  send,
  sleep,
  stockLeft,
  cartKey,
} from './utils/ordering';

/**
 * The ordering API's contract (test/../spec/ordering-api.md) row by row, on the wire of one real
 * node process, with what Redis and MySQL hold checked directly where the contract promises
 * something about state (all-or-nothing, cart unchanged, nothing taken).
 */

const FOODS = 12;
const STOCK = 6;
const REFRESH_MS = 100;
const USERS = 60;

let env: TestEnv;
let node: AppNode;
let redis: Redis;
let mysql: Connection;
let base: string;
let root: Client;
let nextUser = 1; // users[0] is root
/** Every order that got a 200 in this suite, by order id. */
const acknowledged = new Map<string, { userId: number; items: [number, number][] }>();
/** Every reply of the suite, for the content-type rule. */
const replies: { what: string; reply: Reply }[] = [];

const url = (path: string): string => `${base}${path}`;

/** A fresh user of the dataset, logged in (each test uses its own so tests stay independent). */
async function freshClient(): Promise<Client> {
  const user = env.users[nextUser++];
  if (!user) throw new Error('the suite needs more users in its dataset');
  return loginClient(base, user);
}

async function orderOk(client: Client, items: [number, number][]): Promise<string> {
  const cartId = await client.cartWith(items);
  const body = expectJson(await client.order(cartId));
  expect(typeof body.id).toBe('string');
  expect(body.id.length).toBeGreaterThan(0);
  acknowledged.set(body.id, { userId: client.userId, items });
  return body.id;
}

async function cartInRedis(cartId: string): Promise<string | null> {
  return redis.get(cartKey(cartId));
}

/**
 * Units of a food for sale across the cluster according to Redis (pool plus unsold leases), once
 * the node has reported what its lease took (every REFRESH_MS).
 */
async function leftOf(foodId: number): Promise<number> {
  return (await allLeft())[foodId] ?? 0;
}

async function allLeft(): Promise<Record<number, number>> {
  await sleep(REFRESH_MS * 4);
  return Object.fromEntries(await stockLeft(redis, mysql));
}

/** The /foods snapshot once it has caught up with the Redis pool (it refreshes every REFRESH_MS). */
async function foodsAfterRefresh(client: Client): Promise<Food[]> {
  await sleep(REFRESH_MS * 4);
  return client.foods();
}

beforeAll(async () => {
  replyObservers.push((method, target, reply) =>
    replies.push({ what: `${method} ${target}`, reply }),
  );
  env = await createTestEnv(
    'ordering_contract',
    1,
    { users: USERS, foods: FOODS, stock: STOCK },
    { FOODS_REFRESH_MS: String(REFRESH_MS) },
  );
  node = await startNode(env);
  base = node.url;
  redis = redisOf(env);
  mysql = await mysqlOf(env);
  root = await loginClient(base, env.users[0]);
}, 60_000);

afterAll(async () => {
  replyObservers.length = 0;
  await node?.stop();
  redis?.disconnect();
  await mysql?.end();
});

describe('POST /login', () => {
  it('answers 200 with user_id, username and access_token for good credentials', async () => {
    const user = env.users[1];
    const body = expectJson(
      await send('POST', url('/login'), { body: { username: user.name, password: user.password } }),
    );
    expect(Object.keys(body).sort()).toEqual(['access_token', 'user_id', 'username']);
    expect(body).toEqual({
      user_id: user.id,
      username: user.name,
      access_token: expect.any(String),
    });
    expect(body.access_token.length).toBeGreaterThan(16);
    const rootBody = expectJson(
      await send('POST', url('/login'), { body: { username: 'root', password: 'toor' } }),
    );
    expect(rootBody).toMatchObject({ user_id: 1, username: 'root' });
  });

  it('answers 403 USER_AUTH_FAIL for a wrong password, an unknown name, or a name in another case', async () => {
    const user = env.users[1];
    expectError(
      await send('POST', url('/login'), {
        body: { username: user.name, password: `${user.password}x` },
      }),
      'USER_AUTH_FAIL',
    );
    expectError(
      await send('POST', url('/login'), { body: { username: user.name, password: '' } }),
      'USER_AUTH_FAIL',
    );
    expectError(
      await send('POST', url('/login'), { body: { username: 'no-such-user', password: 'toor' } }),
      'USER_AUTH_FAIL',
    );
    expectError(
      await send('POST', url('/login'), { body: { username: 'ROOT', password: 'toor' } }),
      'USER_AUTH_FAIL',
    );
    expectError(
      await send('POST', url('/login'), { body: { username: '', password: '' } }),
      'USER_AUTH_FAIL',
    );
  });

  it('answers 400 EMPTY_REQUEST for an empty body, with or without a JSON content type', async () => {
    expectError(await send('POST', url('/login')), 'EMPTY_REQUEST');
    expectError(await send('POST', url('/login'), { body: '' }), 'EMPTY_REQUEST');
    expectError(
      await send('POST', url('/login'), { body: '', contentType: null }),
      'EMPTY_REQUEST',
    );
    expectError(
      await send('POST', url('/login'), { headers: { 'content-type': 'application/json' } }),
      'EMPTY_REQUEST',
    );
  });

  it('answers 400 MALFORMED_JSON for bodies that are not a JSON object with two strings', async () => {
    const bad: [string, string, string?][] = [
      ['not JSON', '{"username": "root", "password": '],
      ['not JSON at all', 'hello'],
      ['form-encoded with a JSON content type', 'username=root&password=toor'],
      [
        'form-encoded with a form content type',
        'username=root&password=toor',
        'application/x-www-form-urlencoded',
      ],
      ['an array', '[{"username": "root", "password": "toor"}]'],
      ['a string', '"root"'],
      ['a number', '42'],
      ['null', 'null'],
      ['a number username', '{"username": 1, "password": "toor"}'],
      ['a null password', '{"username": "root", "password": null}'],
      ['an object password', '{"username": "root", "password": {"p": "toor"}}'],
      ['an array username', '{"username": ["root"], "password": "toor"}'],
      ['a missing password', '{"username": "root"}'],
      ['a missing username', '{"password": "toor"}'],
      ['an empty object', '{}'],
    ];
    for (const [what, body, contentType] of bad) {
      const reply = await send('POST', url('/login'), {
        body,
        contentType: contentType ?? 'application/json',
      });
      expect({ what, status: reply.status }).toEqual({ what, status: 400 });
      expectError(reply, 'MALFORMED_JSON');
    }
  });

  it('accepts a JSON body sent with no content type or a text content type, as contest clients do', async () => {
    const body = JSON.stringify({ username: 'root', password: 'toor' });
    expect(expectJson(await send('POST', url('/login'), { body, contentType: null })).user_id).toBe(
      1,
    );
    expect(
      expectJson(await send('POST', url('/login'), { body, contentType: 'text/plain' })).user_id,
    ).toBe(1);
    expect(
      expectJson(
        await send('POST', url('/login'), { body, contentType: 'application/json; charset=utf-8' }),
      ).user_id,
    ).toBe(1);
  });
});

describe('access tokens', () => {
  const authenticated: [method: string, path: () => string, body?: () => unknown][] = [];
  let cartId: string;

  beforeAll(async () => {
    cartId = await root.newCart();
    authenticated.push(
      ['GET', () => '/foods'],
      ['POST', () => '/carts'],
      ['PATCH', () => `/carts/${cartId}`, () => ({ food_id: 1, count: 1 })],
      ['POST', () => '/orders', () => ({ cart_id: cartId })],
      ['GET', () => '/orders'],
      ['GET', () => '/admin/orders'],
    );
  });

  it('refuses a missing token on every authenticated endpoint with 401 INVALID_ACCESS_TOKEN', async () => {
    for (const [method, path, body] of authenticated) {
      expectError(await send(method, url(path()), { body: body?.() }), 'INVALID_ACCESS_TOKEN');
      expectError(
        await send(method, url(`${path()}?access_token=`), { body: body?.() }),
        'INVALID_ACCESS_TOKEN',
      );
    }
  });

  it('refuses malformed tokens on every endpoint, in the query and in the header', async () => {
    const malformed = [
      'abc',
      'null',
      'undefined',
      '0',
      '1',
      'root',
      `${'A'.repeat(38)}`,
      'x'.repeat(2000),
      '我的令牌',
      '%00%ff',
      'a b c',
    ];
    for (const [method, path, body] of authenticated) {
      for (const token of malformed) {
        expectError(
          await send(method, url(path()), { body: body?.(), token }),
          'INVALID_ACCESS_TOKEN',
        );
        if (/^[\x21-\x7e]*$/.test(token))
          expectError(
            await send(method, url(path()), { body: body?.(), token, tokenIn: 'header' }),
            'INVALID_ACCESS_TOKEN',
          );
      }
    }
  });

  it('refuses a token with any one character changed (it never names another user)', async () => {
    const user = await freshClient();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < user.token.length; i++) {
      const original = user.token[i];
      const replacement = alphabet[(alphabet.indexOf(original) + 1 + (i % 63)) % 64];
      const forged = user.token.slice(0, i) + replacement + user.token.slice(i + 1);
      expect(forged).not.toBe(user.token);
      expectError(await send('GET', url('/orders'), { token: forged }), 'INVALID_ACCESS_TOKEN');
    }
    // Same length, digits shifted: the classic "edit the user id in the token" attack.
    const shifted = user.token.replace(/\d/g, (d) => String((Number(d) + 1) % 10));
    if (shifted !== user.token)
      expectError(await send('GET', url('/orders'), { token: shifted }), 'INVALID_ACCESS_TOKEN');
    expect(await user.orders()).toEqual([]);
  });

  it('accepts a token only in the exact form it was issued (no padding, case, alphabet or trailing-bit variants)', async () => {
    // Log in until a token holds a base64url-only character, so the standard-alphabet variant differs.
    const user = env.users[nextUser++];
    let client = await loginClient(base, user);
    for (let i = 0; i < 30 && !/[-_]/.test(client.token); i++)
      client = await loginClient(base, user);
    const token = client.token;
    const bytes = Buffer.from(token, 'base64url');
    const variants: [string, string][] = [
      ['one padding character', `${token}=`],
      ['two padding characters', `${token}==`],
      ['upper case', token.toUpperCase()],
      ['lower case', token.toLowerCase()],
      ['doubled', token + token],
      ['truncated', token.slice(0, -1)],
    ];
    if (/[-_]/.test(token))
      variants.push(['standard base64 alphabet', token.replace(/-/g, '+').replace(/_/g, '/')]);
    // Unused low bits of the last character: another string, the very same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token[token.length - 1]);
    const sameBytes = token.slice(0, -1) + alphabet[last ^ 1];
    if (Buffer.from(sameBytes, 'base64url').equals(bytes))
      variants.push(['non-canonical trailing bits', sameBytes]);
    expect(variants.length).toBeGreaterThanOrEqual(7);
    for (const [what, variant] of variants) {
      expect({ what, same: variant === token }).toEqual({ what, same: false });
      expectError(
        await send('GET', url('/orders'), { token: variant, tokenIn: 'header' }),
        'INVALID_ACCESS_TOKEN',
      );
      expectError(
        await send('GET', url(`/orders?access_token=${encodeURIComponent(variant)}`)),
        'INVALID_ACCESS_TOKEN',
      );
    }
    // In the query, where no HTTP rule trims it, surrounding whitespace is another string too.
    for (const variant of [` ${token}`, `${token} `, `${token}\n`]) {
      expectError(
        await send('GET', url(`/orders?access_token=${encodeURIComponent(variant)}`)),
        'INVALID_ACCESS_TOKEN',
      );
    }
    expect(expectJson(await client.call('GET', '/orders'))).toEqual([]);
  });

  it('accepts a good token in the query and in the Access-Token header on every endpoint', async () => {
    const [a, b] = [await freshClient(), await freshClient()];
    for (const [client, tokenIn] of [
      [a, 'query'],
      [b, 'header'],
    ] as const) {
      const foods = expectJson(await client.call('GET', '/foods', { tokenIn }));
      expect(foods).toHaveLength(FOODS);
      const cart = expectJson(
        await client.call<{ cart_id: string }>('POST', '/carts', { tokenIn }),
      ).cart_id;
      expectNoContent(
        await client.call('PATCH', `/carts/${cart}`, { tokenIn, body: { food_id: 12, count: 1 } }),
      );
      const order = expectJson(
        await client.call<{ id: string }>('POST', '/orders', { tokenIn, body: { cart_id: cart } }),
      );
      acknowledged.set(order.id, { userId: client.userId, items: [[12, 1]] });
      expect(
        expectJson(await client.call<OrderView[]>('GET', '/orders', { tokenIn })).map((o) => o.id),
      ).toEqual([order.id]);
      expectError(await client.call('GET', '/admin/orders', { tokenIn }), 'INVALID_ACCESS_TOKEN');
      const all = expectJson(await root.call<OrderView[]>('GET', '/admin/orders', { tokenIn }));
      expect(all.map((o) => o.id)).toContain(order.id);
    }
  });
});

describe('GET /foods', () => {
  it('lists every food ordered by id with int id, price and stock, matching MySQL', async () => {
    const client = await freshClient();
    const foods = await client.foods();
    const [rows] = await mysql.query('SELECT id, price, stock FROM food ORDER BY id');
    const initial = rows as { id: number; price: number; stock: number }[];
    expect(foods.map((f) => f.id)).toEqual(initial.map((f) => Number(f.id)));
    expect(foods.map((f) => f.id)).toEqual([...foods.map((f) => f.id)].sort((x, y) => x - y));
    for (const food of foods) {
      expect(Object.keys(food).sort()).toEqual(['id', 'price', 'stock']);
      expect(
        Number.isInteger(food.id) && Number.isInteger(food.price) && Number.isInteger(food.stock),
      ).toBe(true);
      expect(food.price).toBe(Number(initial.find((f) => Number(f.id) === food.id)?.price));
      expect(food.price).toBeGreaterThan(0);
      expect(food.stock).toBeGreaterThanOrEqual(0);
      expect(food.stock).toBeLessThanOrEqual(STOCK);
    }
  });

  it("accepts the contest clients' `{}` body on GET, with and without a content type", async () => {
    const client = await freshClient();
    for (const path of ['/foods', '/orders']) {
      expectJson(await client.call('GET', path, { body: {} }));
      expectJson(await client.call('GET', path, { body: '{}', contentType: null }));
    }
    expectJson(await root.call('GET', '/admin/orders', { body: {} }));
  });
});

describe('POST /carts', () => {
  it('answers 200 {cart_id} with no body, with `{}`, with or without a content type', async () => {
    const client = await freshClient();
    for (const options of [{}, { body: {} }, { body: '{}', contentType: null }, { body: '' }]) {
      const body = expectJson(await client.call<{ cart_id: string }>('POST', '/carts', options));
      expect(Object.keys(body)).toEqual(['cart_id']);
      expect(typeof body.cart_id).toBe('string');
      expect(body.cart_id.length).toBeGreaterThan(0);
    }
  });

  it('never repeats an id, for one user or several', async () => {
    const clients = [await freshClient(), await freshClient(), await freshClient()];
    const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => clients[i % 3].newCart()));
    expect(new Set(ids).size).toBe(300);
    for (const client of clients) expect(ids).not.toContain(client.token);
  });
});

describe('PATCH /carts/:cart_id', () => {
  it('answers 204 with no body and adds to the cart; negative counts remove; at 0 the food leaves', async () => {
    const client = await freshClient();
    const cartId = await client.newCart();
    expectNoContent(await client.patch(cartId, 9, 2));
    expect(await cartInRedis(cartId)).toBe('9:2');
    expectNoContent(await client.patch(cartId, 10, 1));
    expect(await cartInRedis(cartId)).toBe('9:2,10:1');
    expectNoContent(await client.patch(cartId, 9, -1));
    expect(await cartInRedis(cartId)).toBe('9:1,10:1');
    expectNoContent(await client.patch(cartId, 10, -5));
    expect(await cartInRedis(cartId)).toBe('9:1');
    expectNoContent(await client.patch(cartId, 9, 0));
    expect(await cartInRedis(cartId)).toBe('9:1');
    // Removing a food that is not in the cart is a no-op, still 204.
    expectNoContent(await client.patch(cartId, 11, -1));
    expect(await cartInRedis(cartId)).toBe('9:1');
    expectNoContent(await client.patch(cartId, 9, 1));
    const order = expectJson(await client.order(cartId));
    acknowledged.set(order.id, { userId: client.userId, items: [[9, 2]] });
    expect((await client.orders()).map((o) => o.items)).toEqual([[{ food_id: 9, count: 2 }]]);
  });

  it('removing from an empty or never-filled cart is a no-op 204', async () => {
    const client = await freshClient();
    const cartId = await client.newCart();
    expectNoContent(await client.patch(cartId, 1, -1));
    expectNoContent(await client.patch(cartId, 1, -3));
    expect(await cartInRedis(cartId)).toBeNull();
    expectError(await client.order(cartId), 'EMPTY_CART');
  });

  it('refuses with 403 FOOD_OUT_OF_LIMIT when the cart would hold more than 3 units, leaving it unchanged', async () => {
    const client = await freshClient();
    const cartId = await client.newCart();
    expectNoContent(await client.patch(cartId, 2, 2));
    expectError(await client.patch(cartId, 3, 2), 'FOOD_OUT_OF_LIMIT');
    expectError(await client.patch(cartId, 2, 2), 'FOOD_OUT_OF_LIMIT');
    expectError(await client.patch(cartId, 3, 4), 'FOOD_OUT_OF_LIMIT');
    expect(await cartInRedis(cartId)).toBe('2:2');
    expectNoContent(await client.patch(cartId, 3, 1));
    expectError(await client.patch(cartId, 4, 1), 'FOOD_OUT_OF_LIMIT');
    expectError(await client.patch(cartId, 2, 1), 'FOOD_OUT_OF_LIMIT');
    expect(await cartInRedis(cartId)).toBe('2:2,3:1');
    // An over-limit first PATCH on a new cart leaves it empty.
    const other = await client.newCart();
    expectError(await client.patch(other, 5, 4), 'FOOD_OUT_OF_LIMIT');
    expect(await cartInRedis(other)).toBeNull();
    // The cart really is unchanged: ordering it yields exactly its three units.
    const order = expectJson(await client.order(cartId));
    acknowledged.set(order.id, {
      userId: client.userId,
      items: [
        [2, 2],
        [3, 1],
      ],
    });
    const [mine] = await client.orders();
    expect(mine.items).toEqual([
      { food_id: 2, count: 2 },
      { food_id: 3, count: 1 },
    ]);
  });

  it('answers 404 CART_NOT_FOUND for cart ids of any shape that were never issued', async () => {
    const client = await freshClient();
    const mine = await client.newCart();
    const flip = (s: string, i: number): string =>
      s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const ids: [string, string][] = [
      ['a short string', 'abc'],
      ['a number', '42'],
      ['random base64url of the right length', randomBytes(28).toString('base64url')],
      ['a valid id with its first character changed', flip(mine, 0)],
      ['a valid id with a middle character changed', flip(mine, Math.floor(mine.length / 2))],
      ['a valid id with its last character changed', flip(mine, mine.length - 1)],
      ['a valid id with padding', `${mine}=`],
      ['a valid id upper-cased', mine.toUpperCase()],
      ['a valid id doubled', mine + mine],
      ['the access token', client.token],
      ['a 600-character string', 'a'.repeat(600)],
      ['a 5000-character string', 'b'.repeat(5000)],
      ['URL-encoded junk', '%25%00%2F..%2Fetc%2Fpasswd'],
      ['URL-encoded unicode', encodeURIComponent('购物车')],
      ['encoded spaces and quotes', encodeURIComponent('" OR 1=1 --')],
      ['invalid percent-encoding', '%E0%A4%A'],
      ['a lone percent sign', '%'],
    ];
    const cartNotFound = {
      status: 404,
      contentType: JSON_UTF8,
      body: { code: 'CART_NOT_FOUND', message: '篮子不存在' },
    };
    const answers: {
      what: string;
      via: string;
      status: number;
      contentType?: string;
      body: unknown;
    }[] = [];
    for (const [what, id] of ids) {
      // In the path as given (some already encoded, some deliberately broken) ...
      const patch = await client.call('PATCH', `/carts/${id}`, { body: { food_id: 1, count: 1 } });
      answers.push({
        what,
        via: 'PATCH',
        status: patch.status,
        contentType: patch.headers['content-type'],
        body: patch.body,
      });
      // ... and as the decoded string in an order's body.
      if (id.length > 1000) continue;
      const order = await client.order(decodeURIComponentSafe(id));
      answers.push({
        what,
        via: 'POST /orders',
        status: order.status,
        contentType: order.headers['content-type'],
        body: order.body,
      });
    }
    expect(answers).toEqual(answers.map(({ what, via }) => ({ what, via, ...cartNotFound })));
    expect(await redis.exists(OrderingKeys.orderMarker(client.userId))).toBe(0);
  });

  it("answers 401 NOT_AUTHORIZED_TO_ACCESS_CART for another user's cart and leaves it alone", async () => {
    const [owner, intruder] = [await freshClient(), await freshClient()];
    const cartId = await owner.cartWith([[4, 1]]);
    const leftBefore = await allLeft();
    expectError(await intruder.patch(cartId, 4, 1), 'NOT_AUTHORIZED_TO_ACCESS_CART');
    expectError(await intruder.patch(cartId, 4, -1), 'NOT_AUTHORIZED_TO_ACCESS_CART');
    expectError(await root.patch(cartId, 4, 1), 'NOT_AUTHORIZED_TO_ACCESS_CART');
    expectError(await intruder.order(cartId), 'NOT_AUTHORIZED_TO_ACCESS_CART');
    expectError(await root.order(cartId), 'NOT_AUTHORIZED_TO_ACCESS_CART');
    expect(await cartInRedis(cartId)).toBe('4:1');
    expect(await redis.exists(OrderingKeys.orderMarker(intruder.userId))).toBe(0);
    expect(await allLeft()).toEqual(leftBefore);
  });

  it('answers 404 FOOD_NOT_FOUND for a food that does not exist', async () => {
    const client = await freshClient();
    const cartId = await client.newCart();
    for (const foodId of [0, -1, FOODS + 1, 999_999, Number.MAX_SAFE_INTEGER]) {
      expectError(await client.patch(cartId, foodId, 1), 'FOOD_NOT_FOUND');
      expectError(await client.patch(cartId, foodId, -1), 'FOOD_NOT_FOUND');
    }
    expect(await cartInRedis(cartId)).toBeNull();
  });

  it("applies the checks in the contract's order: token, cart exists, cart owned, food exists, limit", async () => {
    const [client, other] = [await freshClient(), await freshClient()];
    const mine = await client.newCart();
    const theirs = await other.newCart();
    const bad = { food_id: 999, count: 10 };
    expectError(
      await send('PATCH', url('/carts/nope'), { body: bad, token: 'nope' }),
      'INVALID_ACCESS_TOKEN',
    );
    expectError(await client.call('PATCH', '/carts/nope', { body: bad }), 'CART_NOT_FOUND');
    expectError(
      await client.call('PATCH', `/carts/${theirs}`, { body: bad }),
      'NOT_AUTHORIZED_TO_ACCESS_CART',
    );
    expectError(await client.call('PATCH', `/carts/${mine}`, { body: bad }), 'FOOD_NOT_FOUND');
    expectError(
      await client.call('PATCH', `/carts/${mine}`, { body: { food_id: 1, count: 10 } }),
      'FOOD_OUT_OF_LIMIT',
    );
  });

  it('answers bad bodies with EMPTY_REQUEST or MALFORMED_JSON (never 500) and leaves the cart unchanged', async () => {
    const client = await freshClient();
    const cartId = await client.cartWith([[5, 1]]);
    expectError(await client.call('PATCH', `/carts/${cartId}`), 'EMPTY_REQUEST');
    expectError(await client.call('PATCH', `/carts/${cartId}`, { body: '' }), 'EMPTY_REQUEST');
    const malformed: [string, string][] = [
      ['not JSON', '{"food_id": 1, "count": '],
      ['form-encoded', 'food_id=1&count=1'],
      ['an array', '[{"food_id": 1, "count": 1}]'],
      ['a number', '1'],
      ['null', 'null'],
      ['an empty object', '{}'],
      ['a missing count', '{"food_id": 1}'],
      ['a missing food_id', '{"count": 1}'],
      ['a string food_id', '{"food_id": "1", "count": 1}'],
      ['a string count', '{"food_id": 1, "count": "1"}'],
      ['a float count', '{"food_id": 1, "count": 1.5}'],
      ['a float food_id', '{"food_id": 1.5, "count": 1}'],
      ['a null count', '{"food_id": 1, "count": null}'],
      ['a boolean count', '{"food_id": 1, "count": true}'],
      ['an object count', '{"food_id": 1, "count": {"n": 1}}'],
      ['an array food_id', '{"food_id": [1], "count": 1}'],
      ['a huge count', '{"food_id": 1, "count": 1e300}'],
      ['a count past 2^53', '{"food_id": 1, "count": 9007199254740993}'],
      ['a huge negative count', '{"food_id": 1, "count": -99999999999999999999}'],
      ['a huge food_id', '{"food_id": 1e300, "count": 1}'],
    ];
    for (const [what, body] of malformed) {
      const reply = await client.call('PATCH', `/carts/${cartId}`, { body });
      expect({ what, status: reply.status }).toEqual({ what, status: 400 });
      expectError(reply, 'MALFORMED_JSON');
    }
    // The largest well-formed counts get the documented answers, not an error of the server.
    expectError(await client.patch(cartId, 5, Number.MAX_SAFE_INTEGER), 'FOOD_OUT_OF_LIMIT');
    expect(await cartInRedis(cartId)).toBe('5:1');
    expectNoContent(await client.patch(cartId, 6, -Number.MAX_SAFE_INTEGER));
    expect(await cartInRedis(cartId)).toBe('5:1');
    expectNoContent(await client.patch(cartId, 5, -Number.MAX_SAFE_INTEGER));
    expect(await cartInRedis(cartId)).toBeNull();
  });
});

describe('POST /orders', () => {
  it('answers 200 {id}; the order is in MySQL, in GET /orders and in /admin/orders at once', async () => {
    const client = await freshClient();
    const orderId = await orderOk(client, [[7, 1]]);
    const [rows] = await mysql.query('SELECT user_id, items FROM `order` WHERE id = ?', [orderId]);
    expect(rows).toEqual([
      { user_id: client.userId, items: JSON.stringify([{ food_id: 7, count: 1 }]) },
    ]);
    expect(await redis.get(OrderingKeys.orderMarker(client.userId))).toBe(orderId);
    expect((await client.orders()).map((o) => o.id)).toEqual([orderId]);
    const all = expectJson(await root.call<OrderView[]>('GET', '/admin/orders'));
    expect(all.find((o) => o.id === orderId)).toMatchObject({
      id: orderId,
      user_id: client.userId,
    });
  });

  it('answers EMPTY_REQUEST / MALFORMED_JSON for bad bodies, and nothing is taken', async () => {
    const client = await freshClient();
    const cartId = await client.cartWith([[8, 1]]);
    expectError(await client.call('POST', '/orders'), 'EMPTY_REQUEST');
    for (const body of [
      '{}',
      '[]',
      'null',
      `["${cartId}"]`,
      '{"cart_id": 1}',
      '{"cart_id": null}',
      `{"cart_id": ["${cartId}"]}`,
      `cart_id=${cartId}`,
      '{"cart_id": ',
    ]) {
      const reply = await client.call('POST', '/orders', { body });
      expect({ body, status: reply.status }).toEqual({ body, status: 400 });
      expectError(reply, 'MALFORMED_JSON');
    }
    expect(await cartInRedis(cartId)).toBe('8:1');
    expect(await redis.exists(OrderingKeys.orderMarker(client.userId))).toBe(0);
    // The body without a content type is fine too.
    const order = expectJson(
      await client.call<{ id: string }>('POST', '/orders', {
        body: JSON.stringify({ cart_id: cartId }),
        contentType: null,
      }),
    );
    acknowledged.set(order.id, { userId: client.userId, items: [[8, 1]] });
  });

  it('refuses with FOOD_OUT_OF_STOCK when any food lacks stock and takes nothing at all', async () => {
    const [first, second, loser] = [await freshClient(), await freshClient(), await freshClient()];
    await orderOk(first, [[1, 3]]);
    await orderOk(second, [[1, 2]]);
    expect(await leftOf(1)).toBe(1);
    const leftBefore = await allLeft();
    // Food 4 comes first in the cart: a partial implementation would have taken it already.
    const cartId = await loser.cartWith([
      [4, 1],
      [1, 2],
    ]);
    expectError(await loser.order(cartId), 'FOOD_OUT_OF_STOCK');
    expect(await allLeft()).toEqual(leftBefore);
    expect(await redis.exists(OrderingKeys.orderMarker(loser.userId))).toBe(0);
    const [rows] = await mysql.query('SELECT id FROM `order` WHERE user_id = ?', [loser.userId]);
    expect(rows).toEqual([]);
    expect(await cartInRedis(cartId)).toBe('4:1,1:2');
    const foods = await foodsAfterRefresh(loser);
    expect(foods.find((f) => f.id === 4)?.stock).toBe(leftBefore[4]);
    expect(foods.find((f) => f.id === 1)?.stock).toBe(1);
    // The same cart, once it fits the stock, orders fine: the failure consumed nothing.
    expectNoContent(await loser.patch(cartId, 1, -1));
    const order = expectJson(await loser.order(cartId));
    acknowledged.set(order.id, {
      userId: loser.userId,
      items: [
        [4, 1],
        [1, 1],
      ],
    });
    expect(await leftOf(1)).toBe(0);
    expect(await leftOf(4)).toBe(leftBefore[4] - 1);
    const after = await foodsAfterRefresh(loser);
    expect(after.find((f) => f.id === 1)?.stock).toBe(0);
    // Sold out now: one more unit is refused too.
    const late = await freshClient();
    expectError(await late.order(await late.cartWith([[1, 1]])), 'FOOD_OUT_OF_STOCK');
    expect(await leftOf(1)).toBe(0);
  });

  it('refuses a second order of the same user with ORDER_OUT_OF_LIMIT, with another cart, taking nothing', async () => {
    const client = await freshClient();
    const firstId = await orderOk(client, [[5, 1]]);
    const leftBefore = await allLeft();
    const again = await client.cartWith([
      [5, 1],
      [6, 1],
    ]);
    expectError(await client.order(again), 'ORDER_OUT_OF_LIMIT');
    expectError(await client.order(again), 'ORDER_OUT_OF_LIMIT');
    expect(await allLeft()).toEqual(leftBefore);
    expect(await redis.get(OrderingKeys.orderMarker(client.userId))).toBe(firstId);
    const [rows] = await mysql.query('SELECT id FROM `order` WHERE user_id = ?', [client.userId]);
    expect(rows).toEqual([{ id: firstId }]);
    expect((await client.orders()).map((o) => o.id)).toEqual([firstId]);
  });

  it('refuses an empty cart with EMPTY_CART, takes nothing, and the user can still order later', async () => {
    const client = await freshClient();
    const fresh = await client.newCart();
    expectError(await client.order(fresh), 'EMPTY_CART');
    const emptied = await client.cartWith([[6, 2]]);
    expectNoContent(await client.patch(emptied, 6, -2));
    expectError(await client.order(emptied), 'EMPTY_CART');
    expect(await redis.exists(OrderingKeys.orderMarker(client.userId))).toBe(0);
    expect(await client.orders()).toEqual([]);
    await orderOk(client, [[6, 1]]);
  });
});

describe('GET /orders and GET /admin/orders', () => {
  it("lists the caller's order: items once each, in first-entry order, total = Σ price × count", async () => {
    const client = await freshClient();
    const prices = new Map((await client.foods()).map((f) => [f.id, f.price]));
    const cartId = await client.newCart();
    for (const [food, count] of [
      [11, 1],
      [10, 1],
      [11, 1],
      [10, -1],
      [10, 1],
    ]) {
      expectNoContent(await client.patch(cartId, food, count));
    }
    const order = expectJson(await client.order(cartId));
    acknowledged.set(order.id, {
      userId: client.userId,
      items: [
        [11, 2],
        [10, 1],
      ],
    });
    const orders = await client.orders();
    expect(orders).toEqual([
      {
        id: order.id,
        items: [
          { food_id: 11, count: 2 },
          { food_id: 10, count: 1 },
        ],
        total: 2 * prices.get(11)! + prices.get(10)!,
      },
    ]);
    expect(Object.keys(orders[0]).sort()).toEqual(['id', 'items', 'total']);
  });

  it('shows a user only their own order', async () => {
    const [a, b] = [await freshClient(), await freshClient()];
    const orderId = await orderOk(a, [[10, 1]]);
    expect((await a.orders()).map((o) => o.id)).toEqual([orderId]);
    expect(await b.orders()).toEqual([]);
  });

  it('lets only root list every order, with user_id, exactly what MySQL holds', async () => {
    const client = await freshClient();
    for (const tokenIn of ['query', 'header'] as const) {
      expectError(await client.call('GET', '/admin/orders', { tokenIn }), 'INVALID_ACCESS_TOKEN');
    }
    expectError(await send('GET', url('/admin/orders')), 'INVALID_ACCESS_TOKEN');
    const all = expectJson(await root.call<OrderView[]>('GET', '/admin/orders'));
    const [rows] = await mysql.query('SELECT id, user_id, items, total FROM `order`');
    const expected = (rows as { id: string; user_id: number; items: string; total: number }[]).map(
      (r) => ({
        id: r.id,
        user_id: Number(r.user_id),
        items: JSON.parse(r.items),
        total: Number(r.total),
      }),
    );
    const byId = (x: { id: string }, y: { id: string }): number => x.id.localeCompare(y.id);
    expect([...all].sort(byId)).toEqual(expected.sort(byId));
    for (const order of all)
      expect(Object.keys(order).sort()).toEqual(['id', 'items', 'total', 'user_id']);
    expect(all.map((o) => o.id).sort()).toEqual([...acknowledged.keys()].sort());
    for (const order of all) {
      const ack = acknowledged.get(order.id)!;
      expect(order.user_id).toBe(ack.userId);
      expect(order.items).toEqual(ack.items.map(([food_id, count]) => ({ food_id, count })));
    }
    const prices = new Map((await root.foods()).map((f) => [f.id, f.price]));
    for (const order of all)
      expect(order.total).toBe(
        order.items.reduce((sum, item) => sum + prices.get(item.food_id)! * item.count, 0),
      );
  });
});

describe('beyond the contest', () => {
  it('answers an unknown route with 404 NOT_FOUND JSON, token or not', async () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/nothing'],
      ['GET', '/foods/1'],
      ['POST', '/carts/x/y'],
      ['GET', '/orders/abc'],
      ['DELETE', '/admin'],
    ]) {
      expectError(await send(method, url(path)), 'NOT_FOUND');
      expectError(await root.call(method, path), 'NOT_FOUND');
    }
  });

  it('answers a wrong method on a known path with 405 METHOD_NOT_ALLOWED JSON', async () => {
    for (const [method, path] of [
      ['DELETE', '/foods'],
      ['POST', '/foods'],
      ['GET', '/login'],
      ['PUT', '/orders'],
      ['GET', '/carts'],
      ['PATCH', '/carts'],
      ['GET', '/carts/abc'],
      ['DELETE', '/carts/abc'],
      ['POST', '/admin/orders'],
    ]) {
      const reply = await root.call(method, path, { body: {} });
      expect({ method, path, status: reply.status }).toEqual({ method, path, status: 405 });
      expectError(reply, 'METHOD_NOT_ALLOWED');
    }
  });

  it('answers a body over 64 KiB with 413 PAYLOAD_TOO_LARGE; 64 KiB itself is fine', async () => {
    const padded = (size: number): string => {
      const head = '{"username":"root","password":"toor","pad":"';
      return `${head}${'x'.repeat(size - head.length - 2)}"}`;
    };
    expect(Buffer.byteLength(padded(64 * 1024))).toBe(64 * 1024);
    expect(expectJson(await send('POST', url('/login'), { body: padded(64 * 1024) })).user_id).toBe(
      1,
    );
    expectError(
      await send('POST', url('/login'), { body: padded(64 * 1024 + 1) }),
      'PAYLOAD_TOO_LARGE',
    );
    expectError(
      await send('POST', url('/login'), { body: padded(1024 * 1024) }),
      'PAYLOAD_TOO_LARGE',
    );
    const cartId = await root.newCart();
    expectError(
      await root.call('PATCH', `/carts/${cartId}`, {
        body: `{"food_id":1,"count":1,"pad":"${'x'.repeat(70_000)}"}`,
      }),
      'PAYLOAD_TOO_LARGE',
    );
    expectError(
      await root.call('POST', '/orders', { body: `{"cart_id":"${'x'.repeat(70_000)}"}` }),
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('answers 413 without reading the rest of an announced huge body', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(node.port, '127.0.0.1');
      let received = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer while the body was still being announced; got: ${received}`));
      }, 5000);
      socket.on('connect', () => {
        socket.write(
          `POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
        );
        socket.write(`{"username":"${'x'.repeat(80 * 1024)}`);
      });
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
        if (/\r\n\r\n/.test(received) && received.includes('}')) {
          clearTimeout(timer);
          socket.destroy();
          resolve(received);
        }
      });
      socket.on('error', () => undefined);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply.toLowerCase()).toContain(`content-type: ${JSON_UTF8}`);
    expect(reply).toContain('"code":"PAYLOAD_TOO_LARGE"');
  });

  it('serves the whole contest flow with a new TCP connection per request', async () => {
    const user = env.users[nextUser++];
    const fresh = { newConnection: true } as const;
    const login = await send<{ access_token: string; user_id: number }>('POST', url('/login'), {
      ...fresh,
      body: { username: user.name, password: user.password },
    });
    const token = expectJson(login).access_token;
    expect(login.headers.connection).toBe('close');
    const client = new Client(base, token, user.id, fresh);
    const foods = await client.foods();
    expect(foods).toHaveLength(FOODS);
    const cartReply = await client.call<{ cart_id: string }>('POST', '/carts', { body: {} });
    const cartId = expectJson(cartReply).cart_id;
    expect(cartReply.headers.connection).toBe('close');
    const patch = await client.patch(cartId, 3, 1);
    expectNoContent(patch);
    expect(patch.headers.connection).toBe('close');
    const order = expectJson(await client.order(cartId));
    acknowledged.set(order.id, { userId: user.id, items: [[3, 1]] });
    const orders = await client.orders();
    expect(orders).toEqual([
      {
        id: order.id,
        items: [{ food_id: 3, count: 1 }],
        total: foods.find((f) => f.id === 3)!.price,
      },
    ]);
    const all = expectJson(
      await new Client(base, root.token, 1, fresh).call<OrderView[]>('GET', '/admin/orders'),
    );
    expect(all.map((o) => o.id)).toContain(order.id);
  });

  it('answers /health/live and /health/ready with 200 JSON', async () => {
    expectJson(await send('GET', url('/health/live')));
    const ready = expectJson(await send<{ status: string }>('GET', url('/health/ready')));
    expect(ready.status).toBe('ok');
  });

  it('serves Swagger UI at /docs with its assets from the app itself', async () => {
    const page = await send('GET', url('/docs'));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui');
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.filter((a) => /^(https?:)?\/\//.test(a))).toEqual([]);
    const scripts = assets.filter((a) => a.endsWith('.js'));
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets.filter((a) => /\.(js|css)$/.test(a))) {
      const reply = await send('GET', new URL(asset, `${base}/docs`).toString());
      expect({ asset, status: reply.status }).toEqual({ asset, status: 200 });
      expect(reply.text.length).toBeGreaterThan(100);
      expect(reply.headers['content-type']).toMatch(
        asset.endsWith('.css') ? /text\/css/ : /javascript/,
      );
    }
    const spec = expectJson(
      await send<{ paths: Record<string, unknown> }>('GET', url('/docs-json')),
    );
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/login',
        '/foods',
        '/carts',
        '/carts/{cartId}',
        '/orders',
        '/admin/orders',
      ]),
    );
  });
});

describe('state and wire invariants of the whole suite', () => {
  it('left Redis and MySQL consistent: pool = initial − sold, one marker per committed order', async () => {
    const state = await readOrderingState(redis, mysql);
    expectConsistent(state);
    expect(state.orders.map((o) => o.id).sort()).toEqual([...acknowledged.keys()].sort());
  });

  it('sent every body as application/json; charset=utf-8 and every 204 with no body', () => {
    const offending = replies
      .filter(({ what }) => !/\/docs/.test(what))
      .filter(({ reply }) =>
        reply.status === 204
          ? reply.text !== '' || reply.headers['content-type'] !== undefined
          : reply.headers['content-type'] !== JSON_UTF8,
      )
      .map(
        ({ what, reply }) =>
          `${what.slice(0, 120)} -> ${reply.status} ${reply.headers['content-type']}`,
      );
    expect(replies.length).toBeGreaterThan(300);
    expect(offending).toEqual([]);
  });

  it('printed no process warning (Node prints them as "(node:PID) [CODE] ..."), e.g. FSTWRN004 at boot', () => {
    expect(node.output()).not.toMatch(/\(node:\d+\)/);
  });

  it('refuses tokens and cart ids of a replaced dataset, even for user ids that exist again', async () => {
    const client = await freshClient();
    const oldCart = await client.newCart();
    const oldRoot = root.token;
    const loadedVersion = async (): Promise<string | undefined> =>
      (await send<{ info?: { dataset?: { version?: string } } }>('GET', url('/health/ready'))).body
        .info?.dataset?.version;
    const before = await loadedVersion();
    await generateDataset(env, { users: USERS, foods: FOODS, stock: STOCK });
    const again = env.users.find((u) => u.id === client.userId)!;
    // Nodes pick the new dataset up within a second or so; until then the old credentials work.
    // Waiting on the node's dataset, not retrying the login: failed logins would trip the throttle.
    const after = await eventually(loadedVersion, (version) => version !== before, 10_000);
    expect(after).not.toBe(before);
    const relogged = await send<{ access_token: string }>('POST', url('/login'), {
      body: { username: again.name, password: again.password },
    });
    const fresh = new Client(base, expectJson(relogged).access_token, again.id);
    expectError(await send('GET', url('/foods'), { token: client.token }), 'INVALID_ACCESS_TOKEN');
    expectError(
      await send('GET', url('/orders'), { token: client.token, tokenIn: 'header' }),
      'INVALID_ACCESS_TOKEN',
    );
    expectError(
      await send('GET', url('/admin/orders'), { token: oldRoot }),
      'INVALID_ACCESS_TOKEN',
    );
    expectError(await fresh.patch(oldCart, 1, 1), 'CART_NOT_FOUND');
    expectError(await fresh.order(oldCart), 'CART_NOT_FOUND');
    expect(await fresh.orders()).toEqual([]);
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
