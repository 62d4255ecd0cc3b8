import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { DataSource } from 'typeorm';
import { randomBase64url } from '../../platform/random/random-pool';
import { REDIS } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';
import { OrderingScripts } from '../ordering-scripts';
import { parseItems } from './cart-items';
import { isWhole, readFoodStocks } from './food-stock';

/**
 * How long a rebuild claim holds: past it, another node may rebuild (this one stalled or died).
 * Covers the fence (which waits for the commits in flight) and the reads, each bounded by
 * DB_QUERY_TIMEOUT_MS; a claim that runs out only costs a second rebuild, never a wrong one.
 */
const REBUILD_CLAIM_MS = 30_000;

/**
 * The `order_void` row that fences a generation of the ordering state: written by the rebuild that
 * replaces it, after which no order whose stock was taken from it commits.
 */
export const generationFence = (generation: number): string => `state:${generation}`;

/**
 * Builds the ordering state in Redis from MySQL, the system of record: each food's pool = initial
 * stock minus what committed orders hold, and one marker per user who ordered. One node at a time
 * (a claim in Redis) and first-wins, so every node may call it and none overwrites a live sale.
 * Returns true if this call built it, false if it was already built for this version (or another
 * node is building it, or `version` is not MySQL's dataset any more). `force` rebuilds although
 * the version is in place: a food's stock is missing (a Redis Cluster shard lost its data), or its
 * generation is fenced (see isBuilt).
 *
 * Orders whose stock was taken from the state being replaced may still be on their way to MySQL:
 * read before they land, they would not be subtracted, and their units would be sold twice. So
 * the rebuild first fences that state's generation in MySQL (an `order_void` row, which waits for
 * the commits in flight and refuses the later ones: OrderRepository.insertMany), then reads, and
 * installs the next generation; every lease granted under the old one is void with it. The
 * generations of a dataset are numbered by their fences: with fences 0..n-1 in MySQL, the live
 * state is generation n, the next rebuild fences n.
 */
export async function buildOrderState(
  db: DataSource,
  redis: RedisClient,
  version: string,
  scripts = new OrderingScripts(redis),
  force = false,
): Promise<boolean> {
  if (!force && (await redis.get(OrderingKeys.orderDataset)) === version) return false;
  const token = randomBase64url(12);
  if (!(await scripts.claimRebuild(version, token, REBUILD_CLAIM_MS, force))) return false;
  try {
    const foods: { id: number; stock: number }[] = await db.query('SELECT id, stock FROM food');
    // A node still on a replaced dataset must not build it from the new tables: it would fence
    // the new state's generation and install its own under the old version.
    const stale = (await datasetVersion(db)) !== version;
    if (
      stale ||
      (force &&
        (await isBuilt(
          db,
          redis,
          version,
          foods.map((f) => Number(f.id)),
        )))
    ) {
      await scripts.unclaimRebuild(token);
      return false;
    }
    const fenced: { n: number | string }[] = await db.query(
      "SELECT COUNT(*) AS n FROM order_void WHERE id LIKE 'state:%'",
    );
    const replaced = Number(fenced[0].n);
    await db.query('INSERT IGNORE INTO order_void (id) VALUES (?)', [generationFence(replaced)]);
    const orders: { id: string; user_id: number; items: string }[] = await db.query(
      'SELECT id, user_id, items FROM `order`',
    );
    const left = new Map(foods.map((f) => [Number(f.id), Number(f.stock)]));
    for (const order of orders) {
      for (const item of parseItems(order.items))
        left.set(item.food_id, (left.get(item.food_id) ?? 0) - item.count);
    }
    const generation = replaced + 1;
    await Promise.all(
      [...left].map(([id, units]) => scripts.foodStockInit(id, generation, Math.max(0, units))),
    );
    await Promise.all(
      orders.map((o) => redis.set(OrderingKeys.orderMarker(Number(o.user_id)), o.id)),
    );
    return await scripts.installState(version, generation, token);
  } catch (error) {
    // Retried on the next catalog refresh, by any node.
    await scripts.unclaimRebuild(token).catch(() => undefined);
    throw error;
  }
}

async function datasetVersion(db: DataSource): Promise<string | undefined> {
  const rows: { version: string }[] = await db.query('SELECT version FROM dataset WHERE id = 1');
  return rows[0]?.version;
}

/**
 * Whether the state of `version` is in Redis with every food's stock of its generation, and that
 * generation is not fenced in MySQL (a rebuilder that fenced it and failed before installing the
 * next would leave every order of it refused).
 */
async function isBuilt(
  db: DataSource,
  redis: RedisClient,
  version: string,
  foodIds: number[],
): Promise<boolean> {
  const [built, generation] = await redis.mget(
    OrderingKeys.orderDataset,
    OrderingKeys.orderGeneration,
  );
  if (built !== version || generation === null) return false;
  if (!isWhole(await readFoodStocks(redis, foodIds), Number(generation))) return false;
  const fenced: unknown[] = await db.query('SELECT 1 FROM order_void WHERE id = ?', [
    generationFence(Number(generation)),
  ]);
  return fenced.length === 0;
}

@Injectable()
export class OrderStateBuilder {
  private readonly logger = new Logger(OrderStateBuilder.name);

  constructor(
    private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly scripts: OrderingScripts,
  ) {}

  async ensure(version: string, force = false): Promise<void> {
    if (await buildOrderState(this.db, this.redis, version, this.scripts, force))
      this.logger.log(`Built the ordering state in Redis for dataset ${version}`);
  }
}
