import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { expect } from 'expect';
import { beforeEach, describe, it } from 'node:test';
import { AppConfig } from '../../platform/config/app-config';
import { REDIS } from '../../platform/redis/redis.constants';
import { FoodCatalog } from '../catalog/food-catalog.service';
import { OrderingKeys } from '../ordering-keys';
import { OrderingScripts } from '../ordering-scripts';
import type { CartItem } from '../stock/cart-items';
import { StockLeases } from '../stock/stock-leases.service';
import { StockService } from '../stock/stock.service';
import { OrderReconciler } from './order-reconciler.service';
import { OrderRepository, leaseFence } from './order.repository';
import { OrderService } from './order.service';
import { FakeRedis, NOW, OWN } from './reconciler-redis.provider-fake';

/**
 * The reconciler's decisions on the real OrderReconciler, over an in-memory picture of Redis (the
 * lease registry, the revoked set, the in-doubt sets, each food's pool and grants) and of MySQL
 * (orders by lease, the void rows): which leases are reclaimed, when, and with how many units.
 * This node's own orders in doubt: order-reconciler.in-doubt.provider-spec.ts.
 */

const DEAD = 'lease-dead';

/** Each food's stock hash: its pool and the grant of each lease (-1 once reclaimed). */
class FakeScripts {
  stock = new Map<number, { pool: number; grants: Map<string, number> }>();
  constructor(private readonly redis: FakeRedis) {}
  leaseRevoke(leaseId: string) {
    const expiry = this.redis.leases.get(leaseId);
    if (expiry !== undefined && expiry >= this.redis.now) return Promise.resolve(false);
    this.redis.leases.delete(leaseId);
    this.redis.add(OrderingKeys.leasesRevoked, leaseId);
    return Promise.resolve(true);
  }
  leaseReclaim(food: number, leaseId: string, sold: number) {
    const stock = this.stock.get(food);
    if (!stock) return Promise.resolve(0);
    const grant = stock.grants.get(leaseId) ?? 0;
    if (grant < 0) return Promise.resolve(0);
    const back = Math.max(0, grant - sold);
    stock.pool += back;
    stock.grants.set(leaseId, -1);
    return Promise.resolve(back);
  }
  grant(food: number, leaseId: string, units: number) {
    if (!this.stock.has(food)) this.stock.set(food, { pool: 0, grants: new Map() });
    this.stock.get(food)!.grants.set(leaseId, units);
  }
  /** Per food: `pool/grant of the lease`. */
  of(leaseId: string) {
    return [...this.stock].map(([food, s]) => `${food}: ${s.pool}/${s.grants.get(leaseId)}`);
  }
}

/** MySQL: committed orders with their lease, and `order_void`. Unreachable while `down`. */
class FakeMySql {
  orders = new Map<string, { leaseId: string; items: CartItem[] }>();
  voids = new Set<string>();
  down = false;
  takeBack(id: string) {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    this.voids.add(id);
    return Promise.resolve(this.orders.delete(id));
  }
  fenceLease(leaseId: string) {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    this.voids.add(leaseFence(leaseId));
    return Promise.resolve();
  }
  soldOnLease(leaseId: string) {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    if (!this.voids.has(leaseFence(leaseId))) throw new Error('counted before the fence');
    const units = new Map<number, number>();
    const mine = [...this.orders].filter(([, order]) => order.leaseId === leaseId);
    for (const [, order] of mine)
      for (const i of order.items) units.set(i.food_id, (units.get(i.food_id) ?? 0) + i.count);
    return Promise.resolve({ units, orders: mine.map(([id]) => ({ id, userId: 0 })) });
  }
}

let redis: FakeRedis;
let scripts: FakeScripts;
let mysql: FakeMySql;
let reconciler: OrderReconciler;

beforeEach(async () => {
  redis = new FakeRedis();
  scripts = new FakeScripts(redis);
  mysql = new FakeMySql();
  const stock = {
    // lease-in-doubt-close.lua: the record's ids, and the record closed to later additions.
    closeInDoubt: (leaseId: string) => {
      const key = OrderingKeys.leaseInDoubt(leaseId);
      const ids = redis.members(key).filter((id) => id !== '#closed');
      redis.add(key, '#closed');
      return Promise.resolve(ids);
    },
    settledInDoubt: (leaseId: string, ids: readonly string[]) =>
      redis.srem(OrderingKeys.leaseInDoubt(leaseId), ...ids).then(() => undefined),
    markOrdered: () => Promise.resolve(),
  };
  const moduleRef = await Test.createTestingModule({
    providers: [
      OrderReconciler,
      { provide: REDIS, useValue: redis },
      { provide: StockService, useValue: stock },
      { provide: StockLeases, useValue: { leaseId: OWN } },
      { provide: OrderingScripts, useValue: scripts },
      { provide: FoodCatalog, useValue: { all: () => [{ id: 1 }, { id: 2 }] } },
      { provide: OrderRepository, useValue: mysql },
      { provide: OrderService, useValue: { inDoubtNow: () => [] } },
      { provide: AppConfig, useValue: { LEASE_TTL_MS: 3000 } },
    ],
  }).compile();
  Logger.overrideLogger(false);
  reconciler = moduleRef.get(OrderReconciler);
});

/** A committed order of a lease, `foodId:count,...`; in doubt (its client answered 503) if flagged. */
function order(id: string, leaseId: string, cart: string, inDoubt = false): void {
  const items = cart.split(',').map((line) => {
    const [food, count] = line.split(':').map(Number);
    return { food_id: food, count };
  });
  mysql.orders.set(id, { leaseId, items });
  if (inDoubt) redis.add(OrderingKeys.leaseInDoubt(leaseId), id);
}

describe("OrderReconciler: other nodes' expired leases", () => {
  beforeEach(() => {
    redis.leases.set(DEAD, NOW - 1);
    scripts.grant(1, DEAD, 5);
    scripts.grant(2, DEAD, 3);
    order('sold', DEAD, '1:2');
    order('doubt', DEAD, '1:1,2:1', true);
  });

  it('revokes one, takes its orders in doubt back before counting, reclaims each food, drops it', async () => {
    await reconciler.sweep();
    // Counted after 'doubt' was taken back: 5 - 2 and 3 - 0 units back in the pools.
    expect(scripts.of(DEAD)).toEqual(['1: 3/-1', '2: 3/-1']);
    expect([...mysql.orders.keys()]).toEqual(['sold']);
    expect(mysql.voids).toEqual(new Set(['doubt', leaseFence(DEAD)]));
    expect(redis.leases.has(DEAD)).toBe(false);
    expect(redis.members(OrderingKeys.leaseInDoubt(DEAD))).toContain('#closed');
    expect(redis.members(OrderingKeys.leasesRevoked)).toEqual([]);
    await reconciler.sweep();
    expect(scripts.of(DEAD)).toEqual(['1: 3/-1', '2: 3/-1']);
  });

  it('leaves a lease alone until its expiry has passed on Redis’ clock', async () => {
    redis.leases.set(DEAD, NOW);
    await reconciler.sweep();
    expect(scripts.of(DEAD)).toEqual(['1: 0/5', '2: 0/3']);
    expect(redis.leases.get(DEAD)).toBe(NOW);
    expect(mysql.voids.size).toBe(0);
    expect(mysql.orders.has('doubt')).toBe(true);
  });

  it('finishes a lease a reclaimer left revoked when it died half-way, never a food twice', async () => {
    redis.leases.delete(DEAD);
    redis.add(OrderingKeys.leasesRevoked, DEAD);
    mysql.orders.delete('doubt');
    mysql.voids.add(leaseFence(DEAD));
    scripts.stock.set(1, { pool: 3, grants: new Map([[DEAD, -1]]) });
    await reconciler.sweep();
    expect(scripts.of(DEAD)).toEqual(['1: 3/-1', '2: 3/-1']);
    expect(redis.members(OrderingKeys.leasesRevoked)).toEqual([]);
  });

  it('keeps a revoked lease listed while MySQL is away, and finishes it on a later sweep', async () => {
    mysql.down = true;
    await reconciler.sweep();
    expect(redis.members(OrderingKeys.leasesRevoked)).toEqual([DEAD]);
    expect(scripts.of(DEAD)).toEqual(['1: 0/5', '2: 0/3']);
    mysql.down = false;
    await reconciler.sweep();
    expect(scripts.of(DEAD)).toEqual(['1: 3/-1', '2: 3/-1']);
    expect(redis.members(OrderingKeys.leasesRevoked)).toEqual([]);
  });
});

describe("OrderReconciler: this node's own lease", () => {
  it('never reclaims its own current lease, even once expired on Redis’ clock', async () => {
    redis.leases.set(OWN, NOW - 5000);
    scripts.grant(1, OWN, 4);
    order('mine', OWN, '1:1', true);
    await reconciler.sweep();
    expect(redis.leases.get(OWN)).toBe(NOW - 5000);
    expect(scripts.of(OWN)).toEqual(['1: 0/4']);
    expect(mysql.voids.size).toBe(0);
    expect(redis.members(OrderingKeys.leasesRevoked)).toEqual([]);
  });
});
