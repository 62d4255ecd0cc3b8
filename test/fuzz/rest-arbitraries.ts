import fc from 'fast-check';
import type { FuzzContext } from './context';
import { CONTENT_TYPES, ODD_METHODS, REAL_METHODS, headerPair, tokenPlacement } from './http-parts';
import { BROKEN_JSON, anyFieldValue, deepJson, jsonText, mangledJson } from './json';
import {
  KEEP_ALIVE_MOSTLY,
  encodeAny,
  headerSafe,
  junkString,
  pathSafe,
  printCompact,
  rarely,
  segment,
} from './text';

/** Requests to the ordering REST API, well-formed HTTP (they go through node:http). */
export interface RestInput {
  method: string;
  /** Path and query string as sent. */
  path: string;
  headers: [string, string][];
  /** `count` more headers `x-bulk-<i>: v…` of `length` characters each (a big head). */
  bulk?: [count: number, length: number];
  /** JSON-ish text, or raw bytes; absent: no body at all. */
  body?: string | Uint8Array;
  framing: 'length' | 'chunked';
  connection: 'keep-alive' | 'close';
}

export const REST_ROUTES = [
  '/login',
  '/foods',
  '/carts',
  '/orders',
  '/admin/orders',
  '/health/ready',
  '/health/live',
  '/metrics',
  '/metrics/json',
];

function cartId(ctx: FuzzContext): fc.Arbitrary<string> {
  const real = fc.constantFrom(...ctx.cartIds);
  return fc.oneof(
    { arbitrary: real, weight: 4 },
    {
      arbitrary: fc
        .tuple(real, fc.nat(), fc.constantFrom('cut', 'flip', 'grow', 'upper'))
        .map(([id, at, how]) => {
          const i = at % id.length;
          if (how === 'cut') return id.slice(0, i);
          if (how === 'flip') return id.slice(0, i) + (id[i] === 'a' ? 'b' : 'a') + id.slice(i + 1);
          if (how === 'grow') return `${id}0`;
          return id.toUpperCase();
        }),
      weight: 2,
    },
    { arbitrary: segment(), weight: 3 },
    { arbitrary: fc.uuid(), weight: 1 },
    { arbitrary: fc.integer().map(String), weight: 1 },
  );
}

/** A path: a real route (maybe bent), a cart of any id, or random segments. */
function path(ctx: FuzzContext): fc.Arbitrary<string> {
  const route = fc.oneof(
    { arbitrary: fc.constantFrom(...REST_ROUTES), weight: 6 },
    { arbitrary: cartId(ctx).map((id) => `/carts/${id}`), weight: 4 },
  );
  const bent = fc
    .tuple(
      route,
      fc.constantFrom(
        'as-is',
        'as-is',
        'as-is',
        'as-is',
        'trailing-slash',
        'double-slash',
        'upper',
        'dot-segment',
        'dot-dot',
        'child',
        'matrix',
        'encoded-slash',
        'fragment',
      ),
      segment(),
    )
    .map(([p, how, seg]) => {
      switch (how) {
        case 'trailing-slash':
          return `${p}/`;
        case 'double-slash':
          return `/${p}`;
        case 'upper':
          return p.toUpperCase();
        case 'dot-segment':
          return `/.${p}`;
        case 'dot-dot':
          return `/x/..${p}`;
        case 'child':
          return `${p}/${seg}`;
        case 'matrix':
          return `${p};${seg}`;
        case 'encoded-slash':
          return p.replace(/(?<=.)\/(?=[^/]*$)/, '%2F'); // never the leading one
        case 'fragment':
          return `${p}#${seg}`;
        default:
          return p;
      }
    });
  const random = fc.array(segment(), { maxLength: 4 }).map((segs) => `/${segs.join('/')}`);
  return fc.oneof({ arbitrary: bent, weight: 8 }, { arbitrary: random, weight: 2 }).map(pathSafe);
}

function queryPart(): fc.Arbitrary<string> {
  const key = fc.oneof(
    fc.constantFrom(
      'access_token',
      'cart_id',
      'food_id',
      'a',
      '__proto__',
      'a[b]',
      'access_token[]',
    ),
    segment(),
  );
  const pair = fc.oneof(
    fc.tuple(key, segment()).map(([k, v]) => `${k}=${v}`),
    key,
    fc.constantFrom('=', '&', '=x', '&&', '?', 'a=1=2', '%=%'),
  );
  return fc.array(pair, { maxLength: 4 }).map((pairs) => pairs.join('&'));
}

/** Bodies: nothing, valid ones, the right keys with wrong types, any JSON, broken JSON, bytes. */
function body(ctx: FuzzContext): fc.Arbitrary<string | Uint8Array | undefined> {
  const victim = fc.constantFrom(...ctx.loginUsers);
  const food = fc.oneof(fc.constantFrom(...ctx.foodIds), fc.integer({ min: -3, max: 1000 }));
  const validish = fc.oneof(
    fc
      .tuple(
        victim,
        fc.oneof(
          victim.map((v) => v.password),
          junkString(20),
        ),
      )
      .map(([v, password]) => JSON.stringify({ username: v.name, password })),
    fc
      .tuple(food, fc.integer({ min: -4, max: 4 }))
      .map(([food_id, count]) => JSON.stringify({ food_id, count })),
    fc
      .oneof(fc.constantFrom(...ctx.cartIds), junkString(20))
      .map((cart_id) => JSON.stringify({ cart_id })),
  );
  const wrongTypes = fc
    .tuple(
      fc.constantFrom(['username', 'password'], ['food_id', 'count'], ['cart_id']),
      fc.array(fc.option(anyFieldValue(), { nil: undefined }), { minLength: 2, maxLength: 2 }),
      fc.array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('__proto__', 'constructor', 'food_id', 'count', 'cart_id', 'username'),
            junkString(8),
          ),
          anyFieldValue(),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([keys, values, extra]) => {
      const pairs: [string, string][] = keys.flatMap((k, i) =>
        values[i] === undefined ? [] : [[k, values[i]] as [string, string]],
      );
      return `{${[...pairs, ...extra].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    });
  const oversized = fc
    .constantFrom(65_535, 65_536, 65_537, 70_000, 200_000)
    .map((n) => `{"a":"${'x'.repeat(Math.max(0, n - 8))}"}`);
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 6 },
    { arbitrary: validish, weight: 5 },
    { arbitrary: wrongTypes, weight: 6 },
    { arbitrary: jsonText, weight: 3 },
    { arbitrary: fc.constantFrom(...BROKEN_JSON), weight: 3 },
    { arbitrary: mangledJson(fc.oneof(validish, wrongTypes)), weight: 3 },
    { arbitrary: deepJson(), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 2 },
    { arbitrary: junkString(200), weight: 1 },
    { arbitrary: oversized, weight: 1 },
  );
}

/** Anything goes: random method, path, query, token placement, headers and body. */
function anyRestInput(ctx: FuzzContext): fc.Arbitrary<RestInput> {
  const method = fc.oneof(
    { arbitrary: fc.constantFrom(...REAL_METHODS), weight: 12 },
    { arbitrary: fc.constantFrom('GET', 'POST', 'PATCH'), weight: 8 },
    { arbitrary: fc.constantFrom(...ODD_METHODS), weight: 2 },
  );
  const contentType = fc.option(
    fc.oneof(fc.constantFrom(...CONTENT_TYPES), junkString(20).map(headerSafe)),
    { nil: undefined, freq: 4 },
  );
  const headers = fc.array(headerPair(), { maxLength: 4 });
  // Many headers, or a big head: a count and a length (shrinks fast, unlike 300 random pairs).
  const bulk = rarely(
    fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 200 })),
    40,
  );
  return fc
    .record({
      method,
      path: path(ctx),
      query: fc.option(queryPart(), { nil: undefined }),
      token: tokenPlacement(ctx),
      contentType,
      headers,
      bulk,
      body: body(ctx),
      framing: fc.constantFrom('length' as const, 'length' as const, 'chunked' as const),
      connection: fc.constantFrom(...KEEP_ALIVE_MOSTLY),
    })
    .map((r) => {
      let query = r.query;
      const headerList: [string, string][] = [];
      const tokenQuery = (v: string): string => `access_token=${encodeAny(v)}`;
      switch (r.token.in) {
        case 'header':
          headerList.push(['access-token', headerSafe(r.token.value)]);
          break;
        case 'query':
          query = [tokenQuery(r.token.value), query].filter((q) => q !== undefined).join('&');
          break;
        case 'query-array':
          query = `access_token[]=${encodeAny(r.token.value)}&access_token=x`;
          break;
        case 'both':
          headerList.push(['access-token', headerSafe(r.token.other)]);
          query = tokenQuery(r.token.value);
          break;
        case 'header-twice':
          headerList.push(['access-token', headerSafe(r.token.value)]);
          headerList.push(['Access-Token', headerSafe(r.token.other)]);
          break;
      }
      if (r.contentType !== undefined) headerList.push(['content-type', r.contentType]);
      headerList.push(...r.headers);
      return printCompact({
        method: r.method,
        path: query === undefined ? r.path : `${r.path}?${pathSafe(query)}`,
        headers: headerList,
        ...(r.bulk === undefined ? {} : { bulk: r.bulk }),
        ...(r.body === undefined ? {} : { body: r.body }),
        framing: r.framing,
        connection: r.connection,
      });
    });
}

/**
 * Requests that make sense (a real user's token, a route and method that exist, a body of the
 * right shape) with a field that may be bent: these get past the guards and the validators, into
 * the carts and orders logic (Redis scripts, the group commit to MySQL).
 */
function coherentRestInput(ctx: FuzzContext): fc.Arbitrary<RestInput> {
  const field = (right: fc.Arbitrary<string>): fc.Arbitrary<string> =>
    fc.oneof({ arbitrary: right, weight: 8 }, { arbitrary: anyFieldValue(), weight: 2 });
  return fc
    .record({
      user: fc.nat(ctx.tokens.length - 1),
      action: fc.constantFrom(
        'foods',
        'new-cart',
        'patch',
        'patch',
        'patch',
        'order',
        'order',
        'orders',
        'admin',
        'login',
      ),
      cart: fc.tuple(fc.constantFrom('own', 'own', 'own', 'other', 'bent'), fc.nat()),
      food: field(fc.constantFrom(...ctx.foodIds).map(String)),
      count: field(fc.integer({ min: -3, max: 4 }).map(String)),
      victim: fc.nat(ctx.loginUsers.length - 1),
      rightPassword: fc.boolean(),
      tokenIn: fc.constantFrom('header', 'query'),
      contentType: fc.option(
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain'),
        { nil: undefined, freq: 3 },
      ),
      connection: fc.constantFrom(...KEEP_ALIVE_MOSTLY),
    })
    .map((r): RestInput => {
      const own = ctx.carts.filter((c) => c.owner === r.user);
      const [which, pick] = r.cart;
      const cart =
        which === 'own'
          ? own[pick % own.length].id
          : which === 'other'
            ? ctx.carts[pick % ctx.carts.length].id
            : `${ctx.carts[pick % ctx.carts.length].id.slice(0, -1)}A`;
      const victim = ctx.loginUsers[r.victim];
      const [method, route, body] = {
        foods: ['GET', '/foods', undefined],
        'new-cart': ['POST', '/carts', '{}'],
        patch: ['PATCH', `/carts/${cart}`, `{"food_id":${r.food},"count":${r.count}}`],
        order: ['POST', '/orders', `{"cart_id":${JSON.stringify(cart)}}`],
        orders: ['GET', '/orders', undefined],
        admin: ['GET', '/admin/orders', undefined],
        login: [
          'POST',
          '/login',
          JSON.stringify({
            username: victim.name,
            password: r.rightPassword ? victim.password : `${victim.password}x`,
          }),
        ],
      }[r.action] as [string, string, string | undefined];
      const token = ctx.tokens[r.action === 'admin' && r.rightPassword ? 0 : r.user].token;
      const headers: [string, string][] = [];
      if (r.tokenIn === 'header') headers.push(['access-token', token]);
      if (r.contentType !== undefined) headers.push(['content-type', r.contentType]);
      return printCompact({
        method,
        path: r.tokenIn === 'query' ? `${route}?access_token=${token}` : route,
        headers,
        ...(body === undefined ? {} : { body }),
        framing: 'length',
        connection: r.connection,
      });
    });
}

/** Two in three requests anything at all, one in three a coherent one. */
export function restInput(ctx: FuzzContext): fc.Arbitrary<RestInput> {
  return fc.oneof(
    { arbitrary: anyRestInput(ctx), weight: 2 },
    { arbitrary: coherentRestInput(ctx), weight: 1 },
  );
}
