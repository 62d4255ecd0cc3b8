import type { RedisClient } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';

/** One food's stock hash as Redis holds it (see OrderingKeys.foodStock). */
export interface FoodStock {
  /** Generation the stock was counted in; undefined if Redis holds no stock for the food. */
  generation: number | undefined;
  pool: number;
  /** Units held unsold by live leases: Σ (grant - taken) over grants not reclaimed. */
  leasedUnsold: number;
}

export function parseFoodStock(hash: Record<string, string>): FoodStock {
  const grants = new Map<string, number>();
  const taken = new Map<string, number>();
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith('g:')) grants.set(field.slice(2), Number(value));
    else if (field.startsWith('s:')) taken.set(field.slice(2), Number(value));
  }
  let leasedUnsold = 0;
  for (const [lease, grant] of grants)
    if (grant > 0) leasedUnsold += Math.max(0, grant - (taken.get(lease) ?? 0));
  return {
    generation: hash.gen === undefined ? undefined : Number(hash.gen),
    pool: Math.max(0, Number(hash.pool ?? 0)),
    leasedUnsold,
  };
}

/** The stock of each food, read on each food's slot (one command per food, pipelined by the client). */
export async function readFoodStocks(
  redis: RedisClient,
  foodIds: readonly number[],
): Promise<Map<number, FoodStock>> {
  const hashes = await Promise.all(foodIds.map((id) => redis.hgetall(OrderingKeys.foodStock(id))));
  return new Map(foodIds.map((id, i) => [id, parseFoodStock(hashes[i])]));
}

/** Whether every food's stock is in Redis for the given generation (none lost with a shard). */
export function isWhole(stocks: ReadonlyMap<number, FoodStock>, generation: number): boolean {
  return [...stocks.values()].every((s) => s.generation === generation);
}
