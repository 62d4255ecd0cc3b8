import type { RedisClient } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';
import { FoodStock, isWhole, parseFoodStock, readFoodStocks } from './food-stock';

/** Foods 1, 2, ... with their stock counted in these generations (undefined: none in Redis). */
const stocks = (...generations: (number | undefined)[]): Map<number, FoodStock> =>
  new Map(generations.map((generation, i) => [i + 1, { generation, pool: 0, leasedUnsold: 0 }]));

describe('parseFoodStock', () => {
  it('reads a food Redis holds no stock of as no generation and no units', () => {
    expect(parseFoodStock({})).toEqual({ generation: undefined, pool: 0, leasedUnsold: 0 });
  });

  it("sums each live lease's grant minus the units it reported taken", () => {
    const hash = { gen: '3', pool: '10', 'g:a': '5', 's:a': '2', 'g:b': '4' };
    expect(parseFoodStock(hash)).toEqual({ generation: 3, pool: 10, leasedUnsold: 3 + 4 });
  });

  it('counts nothing for a lease that reported more taken than granted, or was reclaimed', () => {
    const hash = { gen: '1', pool: '0', 'g:a': '2', 's:a': '6', 'g:b': '-1', 's:b': '3' };
    expect(parseFoodStock(hash).leasedUnsold).toBe(0);
  });

  it('ignores units reported taken by a lease with no grant, and fields it does not know', () => {
    const hash = { gen: '2', pool: '7', 's:a': '3', 'x:a': '9', 'g:b': '0', other: '1' };
    expect(parseFoodStock(hash)).toEqual({ generation: 2, pool: 7, leasedUnsold: 0 });
  });

  it('never reads a negative pool', () => {
    expect(parseFoodStock({ gen: '1', pool: '-4' }).pool).toBe(0);
  });

  it('keeps lease ids whole, whatever they contain after the prefix', () => {
    const hash = { gen: '1', 'g:a:b': '5', 's:a:b': '1', 's:a': '5' };
    expect(parseFoodStock(hash).leasedUnsold).toBe(4);
  });
});

describe('readFoodStocks', () => {
  it("reads each food's own stock hash and parses it by food", async () => {
    const hashes: Record<string, Record<string, string>> = {
      [OrderingKeys.foodStock(1)]: { gen: '2', pool: '5', 'g:a': '3', 's:a': '1' },
    };
    const redis = { hgetall: (key: string) => Promise.resolve(hashes[key] ?? {}) };
    const stocks = await readFoodStocks(redis as unknown as RedisClient, [1, 2]);
    expect([...stocks]).toEqual([
      [1, { generation: 2, pool: 5, leasedUnsold: 2 }],
      [2, { generation: undefined, pool: 0, leasedUnsold: 0 }],
    ]);
  });
});

describe('isWhole', () => {
  it("is true when every food's stock was counted in the generation", () => {
    expect(isWhole(stocks(4, 4, 4), 4)).toBe(true);
  });

  it('is false when a food has no stock in Redis (lost with a shard) or one of another generation', () => {
    for (const other of [undefined, 3, 5]) expect(isWhole(stocks(4, other, 4), 4)).toBe(false);
  });

  it('is true for no foods at all (nothing can be missing)', () => {
    expect(isWhole(stocks(), 4)).toBe(true);
  });
});
