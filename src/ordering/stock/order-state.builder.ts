import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { DataSource } from 'typeorm';
import { randomBase64url } from '../../platform/random/random-pool';
import { REDIS } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';
import { OrderingScripts } from '../ordering-scripts';
import { parseItems } from './cart-items';

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
 * Builds the ordering state in Redis from MySQL, the system of record: stock left = initial stock
 * minus what committed orders hold, and one marker per user who ordered. One node at a time (a
 * claim in Redis) and first-wins (see order-state-init.lua), so every node may call it and none
 * overwrites a live sale. Returns true if this call built it, false if it was already built for
 * this version (or another node is building it).
 *
 * Orders whose stock was taken from the state being replaced (Redis lost it) may still be on their
 * way to MySQL: read before they land, they would not be subtracted, and their units would be sold
 * twice. So the rebuild first fences that state's generation in MySQL (an `order_void` row, which
 * waits for the commits in flight and refuses the later ones: OrderRepository.insertMany), then
 * reads, and installs the next generation. The generations of a dataset are numbered by their
 * fences: with fences 0..n-1 in MySQL, the live state is generation n, the next rebuild fences n.
 */
export async function buildOrderState(
  db: DataSource,
  redis: RedisClient,
  version: string,
  scripts = new OrderingScripts(redis),
): Promise<boolean> {
  if ((await redis.get(OrderingKeys.orderDataset)) === version) return false;
  const token = randomBase64url(12);
  if (!(await scripts.claimRebuild(version, token, REBUILD_CLAIM_MS))) return false;
  try {
    const fenced: { n: number | string }[] = await db.query(
      "SELECT COUNT(*) AS n FROM order_void WHERE id LIKE 'state:%'",
    );
    const replaced = Number(fenced[0].n);
    await db.query('INSERT IGNORE INTO order_void (id) VALUES (?)', [generationFence(replaced)]);
    const foods: { id: number; stock: number }[] = await db.query('SELECT id, stock FROM food');
    const orders: { id: string; user_id: number; items: string }[] = await db.query(
      'SELECT id, user_id, items FROM `order`',
    );
    const left = new Map(foods.map((f) => [Number(f.id), Number(f.stock)]));
    for (const order of orders) {
      for (const item of parseItems(order.items))
        left.set(item.food_id, (left.get(item.food_id) ?? 0) - item.count);
    }
    const args: (string | number)[] = [version, replaced + 1, token, left.size];
    for (const [id, stock] of left) args.push(id, Math.max(0, stock));
    for (const order of orders) args.push(order.user_id, order.id);
    return await scripts.installState(args);
  } catch (error) {
    // Retried on the next catalog refresh, by any node.
    await scripts.unclaimRebuild(token).catch(() => undefined);
    throw error;
  }
}

@Injectable()
export class OrderStateBuilder {
  private readonly logger = new Logger(OrderStateBuilder.name);

  constructor(
    private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly scripts: OrderingScripts,
  ) {}

  async ensure(version: string): Promise<void> {
    if (await buildOrderState(this.db, this.redis, version, this.scripts))
      this.logger.log(`Built the ordering state in Redis for dataset ${version}`);
  }
}
