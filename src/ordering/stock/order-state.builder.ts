import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS } from '../../platform/redis/redis.constants';
import { ClusterKeys } from '../../cluster/cluster-keys';
import { OrderingKeys } from '../ordering-keys';
import { runScript } from '../../platform/redis/redis-scripts';
import { parseItems } from './cart-items';

/**
 * Builds the ordering state in Redis from MySQL, the system of record: stock left = initial stock
 * minus what committed orders hold, and one marker per user who ordered. Atomic and first-wins
 * (see order-state-init.lua), so every node may call it and none overwrites a live sale.
 * Returns true if this call built it, false if it was already built for this version.
 */
export async function buildOrderState(
  db: DataSource,
  redis: Redis,
  version: string,
): Promise<boolean> {
  if ((await redis.get(OrderingKeys.orderDataset)) === version) return false;
  const foods: { id: number; stock: number }[] = await db.query('SELECT id, stock FROM food');
  const orders: { id: string; user_id: number; items: string }[] = await db.query(
    'SELECT id, user_id, items FROM `order`',
  );
  const left = new Map(foods.map((f) => [Number(f.id), Number(f.stock)]));
  for (const order of orders) {
    for (const item of parseItems(order.items))
      left.set(item.food_id, (left.get(item.food_id) ?? 0) - item.count);
  }
  const args: (string | number)[] = [version, left.size];
  for (const [id, stock] of left) args.push(id, Math.max(0, stock));
  for (const order of orders) args.push(order.user_id, order.id);
  const keys = [
    OrderingKeys.orderDataset,
    ClusterKeys.stockPool,
    OrderingKeys.orderMarkers,
    ClusterKeys.stockLeases,
  ];
  return (await runScript<number>(redis, 'order-state-init', keys, args)) === 1;
}

@Injectable()
export class OrderStateBuilder {
  private readonly logger = new Logger(OrderStateBuilder.name);

  constructor(
    private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async ensure(version: string): Promise<void> {
    if (await buildOrderState(this.db, this.redis, version))
      this.logger.log(`Built the ordering state in Redis for dataset ${version}`);
  }
}
