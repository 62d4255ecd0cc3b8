import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { REDIS } from '../../platform/redis/redis.constants';
import { RecallChannel } from '../../cluster/leases/recall-channel';
import { OrderingKeys } from '../ordering-keys';

/**
 * Recalls of a food's last units (see RecallChannel): one channel per dataset version, so that a
 * node never gives back units of a dataset it no longer sells, as the holder of its lease.
 */
@Injectable()
export class StockRecalls implements OnApplicationShutdown {
  private readonly channel: RecallChannel;

  constructor(@Inject(REDIS) redis: RedisClient) {
    this.channel = new RecallChannel(redis, 'stock');
  }

  onRecall(handler: (food: number) => void): void {
    this.channel.onRecall((item) => {
      if (/^\d+$/.test(item)) handler(Number(item));
    });
  }

  /** Listens to the dataset's recalls, as the holder of `leaseId` (its own are not for it). */
  listen(version: string, leaseId: string): void {
    this.channel.listen(OrderingKeys.recallChannel(version), leaseId);
  }

  /** Asks the other nodes for their idle units of these foods. */
  ask(foods: readonly number[]): void {
    this.channel.ask(foods);
  }

  onApplicationShutdown(): void {
    this.channel.close();
  }
}
