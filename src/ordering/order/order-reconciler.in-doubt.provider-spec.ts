import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { expect } from 'expect';
import { beforeEach, describe, it } from 'node:test';
import { AppConfig } from '../../platform/config/app-config';
import { REDIS } from '../../platform/redis/redis.constants';
import { FoodCatalog } from '../catalog/food-catalog.service';
import { OrderingKeys } from '../ordering-keys';
import { OrderingScripts } from '../ordering-scripts';
import { StockLeases } from '../stock/stock-leases.service';
import { Reservation, StockService } from '../stock/stock.service';
import { OrderReconciler } from './order-reconciler.service';
import { OrderRepository, leaseFence } from './order.repository';
import { OrderService } from './order.service';
import { FakeRedis, NOW, OWN } from './reconciler-redis.provider-fake';

/**
 * This node's orders answered 503 while their commit was in doubt, on the real OrderReconciler
 * over in-memory pictures of Redis (lease registry, revoked set, in-doubt sets) and MySQL (orders,
 * void rows): each is taken back in MySQL and its units given back to the lease once MySQL
 * answers, or forgotten when the lease it was sold from was reclaimed by another node (which took
 * it back then). Other nodes' leases: order-reconciler.provider-spec.ts.
 */

const OLD = 'lease-old';

/** The scripts on the lease registry; no food holds stock of the leases here. */
class FakeScripts {
  constructor(private readonly redis: FakeRedis) {}
  leaseRevoke(leaseId: string) {
    const expiry = this.redis.leases.get(leaseId);
    if (expiry !== undefined && expiry >= this.redis.now) return Promise.resolve(false);
    this.redis.leases.delete(leaseId);
    this.redis.add(OrderingKeys.leasesRevoked, leaseId);
    return Promise.resolve(true);
  }
  leaseReclaim = () => Promise.resolve(0);
}

/** MySQL: the committed orders and `order_void`. Unreachable while `down`. */
class FakeMySql {
  orders = new Set<string>();
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
    return Promise.resolve({ units: new Map<number, number>(), orders: [] });
  }
}

/** OrderService's orders in doubt, and those settled (their units given back to the lease). */
class FakeOrders {
  inDoubt = new Map<string, Reservation>();
  untaken: string[] = [];
  inDoubtNow = () => [...this.inDoubt.values()];
  settledInDoubt = (r: Reservation) =>
    void (this.inDoubt.delete(r.orderId) && this.untaken.push(r.orderId));
}

let redis: FakeRedis;
let mysql: FakeMySql;
let orders: FakeOrders;
let reconciler: OrderReconciler;

beforeEach(async () => {
  redis = new FakeRedis();
  mysql = new FakeMySql();
  orders = new FakeOrders();
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
      { provide: OrderingScripts, useValue: new FakeScripts(redis) },
      { provide: FoodCatalog, useValue: { all: () => [{ id: 1 }] } },
      { provide: OrderRepository, useValue: mysql },
      { provide: OrderService, useValue: orders },
      { provide: AppConfig, useValue: { LEASE_TTL_MS: 3000 } },
    ],
  }).compile();
  Logger.overrideLogger(false);
  reconciler = moduleRef.get(OrderReconciler);
});

/** An order of this node's in doubt on `leaseId`, recorded in Redis; `committed` if MySQL has it. */
function inDoubt(id: string, leaseId: string, committed: boolean): Reservation {
  const items = [{ food_id: 1, count: 1 }];
  const reservation = { userId: 7, orderId: id, items, taken: { leaseId, generation: 1, items } };
  orders.inDoubt.set(id, reservation);
  redis.add(OrderingKeys.leaseInDoubt(leaseId), id);
  if (committed) mysql.orders.add(id);
  return reservation;
}

describe("OrderReconciler: this node's orders in doubt", () => {
  it('takes them back once MySQL answers, and only then gives their units back', async () => {
    inDoubt('committed', OWN, true);
    inDoubt('never-landed', OWN, false);
    mysql.down = true;
    await reconciler.sweep();
    expect(orders.inDoubtNow()).toHaveLength(2);
    expect(orders.untaken).toEqual([]);
    expect(redis.members(OrderingKeys.leaseInDoubt(OWN))).toEqual(['committed', 'never-landed']);
    mysql.down = false;
    await reconciler.sweep();
    expect(mysql.orders.size).toBe(0);
    expect(mysql.voids).toEqual(new Set(['committed', 'never-landed']));
    expect(orders.untaken).toEqual(['committed', 'never-landed']);
    expect(redis.members(OrderingKeys.leaseInDoubt(OWN))).toEqual([]);
  });

  it('never takes one of the current lease for reclaimed, even missing from the registry', async () => {
    redis.leases.delete(OWN);
    inDoubt('mine', OWN, true);
    mysql.down = true;
    await reconciler.sweep();
    expect(orders.inDoubtNow()).toHaveLength(1);
    expect(orders.untaken).toEqual([]);
  });

  it('forgets, without MySQL, one whose old lease another node reclaimed (and took it back)', async () => {
    inDoubt('gone', OLD, false);
    mysql.down = true;
    await reconciler.sweep();
    expect(orders.inDoubtNow()).toEqual([]);
    expect(orders.untaken).toEqual(['gone']);
  });

  for (const [state, setUp] of [
    ['revoked, not yet reclaimed', () => redis.add(OrderingKeys.leasesRevoked, OLD)],
    ['expired, not yet revoked', () => redis.leases.set(OLD, NOW - 1)],
  ] as const) {
    it(`takes back itself one whose old lease is ${state}, then reclaims that lease`, async () => {
      inDoubt('pending', OLD, true);
      setUp();
      mysql.down = true;
      await reconciler.sweep();
      expect(orders.inDoubtNow()).toHaveLength(1);
      mysql.down = false;
      await reconciler.sweep();
      expect(mysql.orders.size).toBe(0);
      expect(orders.untaken).toEqual(['pending']);
      expect(mysql.voids).toEqual(new Set(['pending', leaseFence(OLD)]));
      expect(redis.members(OrderingKeys.leasesRevoked)).toEqual([]);
    });
  }
});
