import { Logger } from '@nestjs/common';
import { Cluster } from 'ioredis';
import type { RedisClient } from '../../platform/redis/redis.constants';

/**
 * The last units of a pool (stock of a food, uses of a ticket): a node whose ask came back dry
 * while other nodes hold units publishes a recall naming the items, and every other node gives
 * back what it holds of them and is not spending right now. Pub/sub reaches every node of a Redis
 * Cluster; a recall lost on the way costs only a refusal that a later request would not get.
 * Messages are `<sender>|<item>,<item>...`; a node ignores its own.
 */
export class RecallChannel {
  private readonly logger: Logger;
  private subscriber: RedisClient | undefined;
  private channel: string | undefined;
  private self = '';
  private handler: (item: string) => void = () => undefined;

  constructor(
    private readonly redis: RedisClient,
    what: string,
  ) {
    this.logger = new Logger(`RecallChannel(${what})`);
  }

  onRecall(handler: (item: string) => void): void {
    this.handler = handler;
  }

  /** Listens to `channel` as `self` (its own recalls are not for it); moves from an earlier one. */
  listen(channel: string, self: string): void {
    this.self = self;
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
      .catch((e: Error) => this.logger.warn(`Cannot listen to recalls: ${e.message}`));
  }

  /** Asks the other nodes for their idle units of these items. */
  ask(items: readonly (string | number)[]): void {
    if (!this.channel) return;
    this.redis
      .publish(this.channel, `${this.self}|${items.join(',')}`)
      .catch((e: Error) => this.logger.warn(`Cannot send a recall: ${e.message}`));
  }

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private received(message: string): void {
    const bar = message.indexOf('|');
    if (bar < 0 || message.slice(0, bar) === this.self) return;
    for (const item of message.slice(bar + 1).split(',')) if (item !== '') this.handler(item);
  }
}
