import { expect } from 'expect';
import { OrderingKeys } from '../ordering-keys';

/** Redis' clock in the reconciler's provider specs, and this node's own lease there. */
export const NOW = 1_700_000_000_000;
export const OWN = 'lease-own';

/** Just what the reconciler asks of Redis, with Redis' clock at `now`. */
export class FakeRedis {
  now = NOW;
  sets = new Map<string, Set<string>>();
  zsets = new Map<string, Map<string, number>>([
    [OrderingKeys.leases, new Map([[OWN, NOW + 2000]])],
  ]);
  /** The lease registry: lease id -> expiry. */
  get leases(): Map<string, number> {
    return this.zsets.get(OrderingKeys.leases)!;
  }
  members = (key: string) => [...(this.sets.get(key) ?? [])];
  multi = () => new FakeMulti(this);
  del(key: string) {
    return Promise.resolve(Number(this.sets.delete(key)));
  }
  srem(key: string, ...ids: string[]) {
    for (const id of ids) this.sets.get(key)?.delete(id);
    return Promise.resolve(ids.length);
  }
  add(key: string, ...ids: string[]) {
    this.sets.set(key, new Set([...this.members(key), ...ids]));
  }
}

export class FakeMulti {
  private readonly replies: unknown[] = [];
  constructor(private readonly redis: FakeRedis) {}
  time() {
    const now = this.redis.now;
    return this.push([String(Math.floor(now / 1000)), String((now % 1000) * 1000)]);
  }
  zrange(key: string, start: 0, stop: -1, withScores: 'WITHSCORES') {
    expect([start, stop, withScores]).toEqual([0, -1, 'WITHSCORES']);
    const byScore = [...(this.redis.zsets.get(key) ?? [])].sort((a, b) => a[1] - b[1]);
    return this.push(byScore.flatMap(([id, score]) => [id, String(score)]));
  }
  zscore(key: string, id: string) {
    const score = this.redis.zsets.get(key)?.get(id);
    return this.push(score === undefined ? null : String(score));
  }
  smembers = (key: string) => this.push(this.redis.members(key));
  sismember = (key: string, id: string) => this.push(this.redis.sets.get(key)?.has(id) ? 1 : 0);
  exec = () => Promise.resolve(this.replies.map((reply) => [null, reply]));
  private push(reply: unknown): this {
    this.replies.push(reply);
    return this;
  }
}
