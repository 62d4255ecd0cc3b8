import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { OrderingKeys } from '../src/ordering/ordering-keys';
import { runScript } from '../src/platform/redis/redis-scripts';
import { scriptRedis } from './utils/script-redis';

/**
 * The cart rules as the app's own Redis script applies them (src/ordering/scripts/cart-patch.lua,
 * registered and run by the app's `defineScripts`/`runScript`), against a real Redis on the suite's
 * logical database 4 (client: test/utils/script-redis.ts).
 * The script's contract: ARGV = food id, change (may be negative), limit, TTL seconds; returns 1
 * when applied, 0 when refused (the cart would hold more than `limit` units), and a refused
 * change leaves the cart exactly as it was.
 */

const REDIS_DB = 4;
const LIMIT = 3;
const TTL_S = 600;

let redis: Redis;
const touched: string[] = [];

function newCartKey(): string {
  const key = OrderingKeys.cart(1, `cart-rules-${randomBytes(8).toString('hex')}`);
  touched.push(key, changeKeyOf(key));
  return key;
}

/** A change with a deadline (ms since the epoch) a minute ahead unless given. */
function patch(
  key: string,
  food: number,
  count: number,
  limit = LIMIT,
  ttl = TTL_S,
  deadline = Date.now() + 60_000,
): Promise<number> {
  return runScript<number>(
    redis,
    'cart-patch',
    [key, changeKeyOf(key)],
    [food, count, limit, ttl, `t${++changes}`, deadline],
  );
}

let changes = 0;
const changeKeyOf = (key: string): string => `${key}:change`;

/** Applies a list of changes and returns each answer. */
async function patches(key: string, changes: [food: number, count: number][]): Promise<number[]> {
  const answers: number[] = [];
  for (const [food, count] of changes) answers.push(await patch(key, food, count));
  return answers;
}

beforeAll(async () => {
  redis = await scriptRedis(REDIS_DB, 'cart-rules-e2e');
});

afterAll(async () => {
  if (touched.length > 0) await redis?.del(...touched);
  redis?.disconnect();
});

describe('cart-patch.lua', () => {
  it('records the result of each change under its token for a minute, refusals included', async () => {
    const key = newCartKey();
    expect(await patch(key, 1, 2)).toBe(1);
    const first = `t${changes}`;
    expect(await patch(key, 2, 2)).toBe(0);
    expect(await redis.hgetall(changeKeyOf(key))).toEqual({ [first]: '1', [`t${changes}`]: '0' });
    const ttl = await redis.ttl(changeKeyOf(key));
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it("changes nothing once past its deadline on Redis' clock, and records -1 for the caller to read", async () => {
    const key = newCartKey();
    expect(await patch(key, 1, 1)).toBe(1);
    const [seconds, micros] = await redis.time();
    const redisNowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    expect(await patch(key, 2, 1, LIMIT, TTL_S, redisNowMs - 1)).toBe(-1);
    expect(await redis.get(key)).toBe('1:1');
    expect(await redis.hget(changeKeyOf(key), `t${changes}`)).toBe('-1');
    // A removal past its deadline does nothing either.
    expect(await patch(key, 1, -1, LIMIT, TTL_S, redisNowMs - 1)).toBe(-1);
    expect(await redis.get(key)).toBe('1:1');
    // In time, the same change applies.
    expect(await patch(key, 2, 1, LIMIT, TTL_S, redisNowMs + 60_000)).toBe(1);
    expect(await redis.get(key)).toBe('1:1,2:1');
  });

  it('adds foods in the order they first enter the cart, summing repeated adds', async () => {
    const key = newCartKey();
    expect(
      await patches(key, [
        [7, 1],
        [3, 1],
        [7, 1],
      ]),
    ).toEqual([1, 1, 1]);
    expect(await redis.get(key)).toBe('7:2,3:1');
  });

  it('removes with negative counts, and a food at 0 or below leaves the cart', async () => {
    const key = newCartKey();
    expect(
      await patches(key, [
        [1, 2],
        [2, 1],
        [1, -1],
      ]),
    ).toEqual([1, 1, 1]);
    expect(await redis.get(key)).toBe('1:1,2:1');
    expect(await patch(key, 1, -1)).toBe(1);
    expect(await redis.get(key)).toBe('2:1');
    expect(await patch(key, 2, -5)).toBe(1);
    expect(await redis.exists(key)).toBe(0);
  });

  it('treats removing a food that is not in the cart as an applied no-op', async () => {
    const key = newCartKey();
    expect(await patch(key, 5, -1)).toBe(1);
    expect(await redis.exists(key)).toBe(0);
    expect(await patch(key, 4, 1)).toBe(1);
    expect(await patch(key, 5, -3)).toBe(1);
    expect(await redis.get(key)).toBe('4:1');
  });

  it('puts a food that left and comes back at the end', async () => {
    const key = newCartKey();
    expect(
      await patches(key, [
        [1, 1],
        [2, 1],
        [1, -1],
        [1, 1],
      ]),
    ).toEqual([1, 1, 1, 1]);
    expect(await redis.get(key)).toBe('2:1,1:1');
  });

  it('allows at most 3 units in total, counting every unit of every food', async () => {
    const key = newCartKey();
    expect(
      await patches(key, [
        [1, 1],
        [2, 1],
        [3, 1],
      ]),
    ).toEqual([1, 1, 1]);
    expect(await patch(key, 4, 1)).toBe(0);
    expect(await patch(key, 1, 1)).toBe(0);
    expect(await redis.get(key)).toBe('1:1,2:1,3:1');
    const single = newCartKey();
    expect(await patch(single, 9, 3)).toBe(1);
    expect(await patch(single, 9, 1)).toBe(0);
    expect(await redis.get(single)).toBe('9:3');
    const tooMany = newCartKey();
    expect(await patch(tooMany, 9, 4)).toBe(0);
    expect(await redis.exists(tooMany)).toBe(0);
  });

  it('always lets a removal through, and the room it frees can be used by another food', async () => {
    const key = newCartKey();
    expect(
      await patches(key, [
        [1, 2],
        [2, 1],
      ]),
    ).toEqual([1, 1]);
    // Removing always fits; after it, the freed unit can be used by another food.
    expect(await patch(key, 1, -1)).toBe(1);
    expect(await patch(key, 3, 1)).toBe(1);
    expect(await redis.get(key)).toBe('1:1,2:1,3:1');
  });

  it('leaves a refused cart exactly as it was, content and TTL', async () => {
    const key = newCartKey();
    expect(await patch(key, 1, 2, LIMIT, 1000)).toBe(1);
    const ttlBefore = await redis.pttl(key);
    expect(await patch(key, 2, 2, LIMIT, 50)).toBe(0);
    expect(await patch(key, 1, 2, LIMIT, 50)).toBe(0);
    expect(await redis.get(key)).toBe('1:2');
    const ttlAfter = await redis.pttl(key);
    expect(ttlAfter).toBeGreaterThan(900_000);
    expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
  });

  it('handles huge counts: a huge add is refused, a huge removal drops the food, nothing is corrupted', async () => {
    const key = newCartKey();
    expect(await patch(key, 1, 1)).toBe(1);
    expect(await patch(key, 1, Number.MAX_SAFE_INTEGER)).toBe(0);
    expect(await patch(key, 2, Number.MAX_SAFE_INTEGER)).toBe(0);
    expect(await redis.get(key)).toBe('1:1');
    expect(await patch(key, 2, -Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(await redis.get(key)).toBe('1:1');
    expect(await patch(key, 3, 2)).toBe(1);
    expect(await patch(key, 1, -Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(await redis.get(key)).toBe('3:2');
    expect(await patch(key, 3, -Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(await redis.exists(key)).toBe(0);
  });

  it('tells food ids apart by value, not by prefix (1 vs 11 vs 111)', async () => {
    const key = newCartKey();
    expect(
      await patches(key, [
        [11, 1],
        [1, 1],
        [111, 1],
      ]),
    ).toEqual([1, 1, 1]);
    expect(await patch(key, 1, -1)).toBe(1);
    expect(await redis.get(key)).toBe('11:1,111:1');
    expect(await patch(key, 11, -1)).toBe(1);
    expect(await redis.get(key)).toBe('111:1');
  });

  it('sets the TTL on every applied change (sliding expiry) and drops the key when the cart empties', async () => {
    const key = newCartKey();
    expect(await patch(key, 1, 1, LIMIT, 100)).toBe(1);
    const first = await redis.ttl(key);
    expect(first).toBeGreaterThan(95);
    expect(first).toBeLessThanOrEqual(100);
    expect(await patch(key, 2, 1, LIMIT, 5000)).toBe(1);
    const second = await redis.ttl(key);
    expect(second).toBeGreaterThan(4990);
    expect(second).toBeLessThanOrEqual(5000);
    expect(await patch(key, 2, -1, LIMIT, 200)).toBe(1);
    const third = await redis.ttl(key);
    expect(third).toBeGreaterThan(190);
    expect(third).toBeLessThanOrEqual(200);
    expect(await patches(key, [[1, -1]])).toEqual([1]);
    expect(await redis.exists(key)).toBe(0);
  });

  it('expires a cart after its TTL', async () => {
    const key = newCartKey();
    expect(await patch(key, 1, 1, LIMIT, 1)).toBe(1);
    expect(await redis.get(key)).toBe('1:1');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await redis.exists(key)).toBe(0);
  });

  it('keeps concurrent changes to one cart atomic: never more than 3 units whatever the interleaving', async () => {
    const key = newCartKey();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => patch(key, (i % 4) + 1, 1)),
    );
    expect(answers.filter((a) => a === 1)).toHaveLength(3);
    const cart = (await redis.get(key)) ?? '';
    const units = cart.split(',').reduce((sum, pair) => sum + Number(pair.split(':')[1]), 0);
    expect(units).toBe(3);
  });
});
