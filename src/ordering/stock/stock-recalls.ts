import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Cluster } from 'ioredis';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { REDIS } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';

/**
 * The last units of a food: a node whose pool answer came back dry while other leases hold units
 * publishes a recall, and every other node gives back what it holds of that food and is not
 * selling right now. Pub/sub reaches every node of a Redis Cluster; a recall lost on the way costs
 * only a refusal that a later order would not get.
 */
@Injectable()
export class StockRecalls implements OnApplicationShutdown {
  private readonly logger = new Logger(StockRecalls.name);
  private subscriber: RedisClient | undefined;
  private channel: string | undefined;
  private leaseId: string | undefined;
  private handler: (food: number) => void = () => undefined;

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  onRecall(handler: (food: number) => void): void {
    this.handler = handler;
  }

  /** Listens to the dataset's recalls, as the holder of `leaseId` (its own are not for it). */
  listen(version: string, leaseId: string): void {
    this.leaseId = leaseId;
    const channel = OrderingKeys.recallChannel(version);
    if (channel === this.channel) return;
    const previous = this.channel;
    this.channel = channel;
    if (!this.subscriber) {
      // A connection of its own: a subscribed connection takes no other command. It queues the
      // subscription until it is connected and subscribes again after a reconnect.
      this.subscriber =
        this.redis instanceof Cluster
          ? this.redis.duplicate(undefined, { enableOfflineQueue: true })
          : this.redis.duplicate({ enableOfflineQueue: true });
      this.subscriber.on('error', () => undefined);
      this.subscriber.on('message', (_channel: string, message: string) => this.received(message));
    }
    if (previous) void this.subscriber.unsubscribe(previous).catch(() => undefined);
    this.subscriber
      .subscribe(channel)
      .catch((e: Error) => this.logger.warn(`Cannot listen to stock recalls: ${e.message}`));
  }

  /** Asks the other nodes for their idle units of these foods. */
  ask(leaseId: string, foods: readonly number[]): void {
    if (!this.channel) return;
    this.redis
      .publish(this.channel, `${leaseId}|${foods.join(',')}`)
      .catch((e: Error) => this.logger.warn(`Cannot send a stock recall: ${e.message}`));
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  private received(message: string): void {
    const [from, foods] = message.split('|');
    if (from === this.leaseId || foods === undefined) return;
    for (const food of foods.split(',')) if (/^\d+$/.test(food)) this.handler(Number(food));
  }
}
