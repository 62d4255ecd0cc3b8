import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { REDIS } from '../../platform/redis/redis.constants';
import { runScript } from '../../platform/redis/redis-scripts';
import { ClusterKeys } from '../cluster-keys';

/**
 * Operations whose outcome is unknown: a write answered SERVICE_UNAVAILABLE because its store could
 * not say whether it landed, which must therefore be undone if it did. Each is recorded in Redis
 * under its owner (the node, or the stock lease, whose work it was) before its client is answered,
 * settled by the owner once the store answers, and, should the owner die first, by whoever takes
 * over from it: that successor closes the owner's record as it reads it, so a paused owner that
 * comes back cannot add one it would not see. Knows owners and opaque payloads, not products;
 * `scope` (a product's key namespace, e.g. `ord`) keeps each product's records under its own keys.
 */
@Injectable()
export class InDoubtRegistry {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /** Records an operation; false if the owner's successor has closed the record (settle it yourself). */
  async record(scope: string, owner: string, id: string, payload = ''): Promise<boolean> {
    const key = ClusterKeys.inDoubt(scope, owner);
    return (await runScript<number>(this.redis, 'in-doubt-add', [key], [id, payload])) === 1;
  }

  /** For the successor of a dead owner: its operations (id -> payload), the record closed. */
  async close(scope: string, owner: string): Promise<Map<string, string>> {
    const key = ClusterKeys.inDoubt(scope, owner);
    const flat = await runScript<string[]>(this.redis, 'in-doubt-close', [key], []);
    const entries = new Map<string, string>();
    for (let i = 0; i < flat.length; i += 2) entries.set(flat[i], flat[i + 1]);
    return entries;
  }

  /** Settled operations leave the owner's record. */
  async settled(scope: string, owner: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.hdel(ClusterKeys.inDoubt(scope, owner), ...ids);
  }
}
