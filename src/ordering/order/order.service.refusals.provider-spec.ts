import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InDoubtRegistry } from '../../cluster/in-doubt/in-doubt-registry';
import { expect } from 'expect';
import { beforeEach, describe, it } from 'node:test';
import { AppConfig } from '../../platform/config/app-config';
import type { WriteOutcome } from '../../platform/database/batch-writer';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { Metrics } from '../../platform/metrics/metrics.service';
import { REDIS } from '../../platform/redis/redis.constants';
import { CartService } from '../cart/cart.service';
import { FoodCatalog } from '../catalog/food-catalog.service';
import { OrderingKeys } from '../ordering-keys';
import type { CartItem } from '../stock/cart-items';
import { StockLeases, Taken } from '../stock/stock-leases.service';
import { StockService } from '../stock/stock.service';
import { OrderCommitter } from './order-committer.service';
import { NewOrder, OrderRepository, OrderVoidedError, leaseFence } from './order.repository';
import { OrderService } from './order.service';

/**
 * A commit that fails, on the real OrderService, StockService and OrderCommitter over fakes of
 * Redis, this node's lease in memory and MySQL: what each failure means for the order (refused,
 * acknowledged after all, or in doubt) and for its units (back on the lease, or kept).
 */

const USER = 2;
const LEASE = 'lease-a';
const ITEMS = [
  { food_id: 1, count: 2 },
  { food_id: 3, count: 1 },
];
/** The lease's units unsold per food, `food:units,...`: all of them, and less one order's cart. */
const FULL = '1:5,3:5';
const TAKEN = '1:3,3:4';
const sqlError = (message: string, code = 'ER_DUP_ENTRY', sqlState = '23000') =>
  Object.assign(new Error(message), { code, sqlState });
const DUPLICATE_USER = sqlError("Duplicate entry '2' for key 'uq_order_user'");
const DUPLICATE_ID = sqlError("Duplicate entry 'x' for key 'PRIMARY'");
const DEADLOCK = sqlError('Deadlock found', 'ER_LOCK_DEADLOCK', '40001');
const REFUSED = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const LOST = Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' });

class FakeRedis {
  strings = new Map<string, string>([[OrderingKeys.cart(USER, 'cart'), '1:2,3:1']]);
  sets = new Map<string, Set<string>>();
  refuseWrites = false;
  mget(...keys: string[]) {
    return Promise.resolve(keys.map((key) => this.strings.get(key) ?? null));
  }
  set(key: string, value: string) {
    if (this.refuseWrites) return Promise.reject(new Error("Stream isn't writeable"));
    this.strings.set(key, value);
    return Promise.resolve('OK');
  }
  record(_scope: string, lease: string, id: string) {
    if (this.refuseWrites) return Promise.reject(new Error("Stream isn't writeable"));
    const key = OrderingKeys.leaseInDoubt(lease);
    this.sets.set(key, new Set([...(this.sets.get(key) ?? []), id]));
    return Promise.resolve(true);
  }
}

class FakeLeases {
  unsold = new Map<number, number>().set(1, 5).set(3, 5);
  retired: boolean[] = [];
  readonly pools = new Map<number, number>();
  take(items: CartItem[]): Promise<Taken> {
    for (const i of items) this.unsold.set(i.food_id, this.unsold.get(i.food_id)! - i.count);
    return Promise.resolve({ leaseId: LEASE, generation: 4, items });
  }
  untake(taken: Taken) {
    for (const i of taken.items) this.unsold.set(i.food_id, this.unsold.get(i.food_id)! + i.count);
  }
  holdings = () => new Map<number, { taken: number; unsold: number }>();
  retire(orphans: boolean) {
    this.retired.push(orphans);
    return Promise.resolve();
  }
}

/** How the next statement fails: before it ran, with an SQL error, or its answer lost after it ran. */
type Fault = 'refused' | 'sql-error' | 'lost-before' | 'lost-after' | 'duplicate-id';

/** MySQL's `order` and `order_void` tables, with the unique keys and fences insertMany honours. */
class FakeMySql {
  rows = new Map<string, NewOrder>();
  voids = new Set<string>();
  fault: Fault | undefined;
  /** MySQL stops answering once the statement failed. */
  downAfter = false;
  down = false;
  insertMany([order]: readonly NewOrder[]): Promise<WriteOutcome> {
    if (this.fault === 'refused') return Promise.reject(REFUSED);
    if (this.fault === 'sql-error') return Promise.reject(DEADLOCK);
    if (this.voids.has(order.id)) return Promise.resolve([new OrderVoidedError(order.id, 'order')]);
    if (this.voids.has(leaseFence(order.leaseId)))
      return Promise.resolve([new OrderVoidedError(order.id, 'lease')]);
    if ([...this.rows.values()].some((r) => r.userId === order.userId))
      return Promise.reject(DUPLICATE_USER);
    if (this.fault !== 'lost-before') this.rows.set(order.id, order);
    this.down = this.downAfter;
    if (this.fault === 'duplicate-id') return Promise.reject(DUPLICATE_ID);
    if (this.fault !== undefined) return Promise.reject(LOST);
    return Promise.resolve();
  }
  voidUnlessCommitted(id: string) {
    if (this.down) return Promise.reject(REFUSED);
    this.voids.add(id);
    return Promise.resolve(this.rows.has(id));
  }
}

let redis: FakeRedis;
let leases: FakeLeases;
let mysql: FakeMySql;
let orders: OrderService;
let metrics: Metrics;

beforeEach(async () => {
  redis = new FakeRedis();
  leases = new FakeLeases();
  mysql = new FakeMySql();
  const moduleRef = await Test.createTestingModule({
    providers: [
      OrderService,
      StockService,
      OrderCommitter,
      Metrics,
      { provide: REDIS, useValue: redis },
      { provide: InDoubtRegistry, useValue: redis }, // its record()
      { provide: StockLeases, useValue: leases },
      { provide: OrderRepository, useValue: mysql },
      { provide: AppConfig, useValue: { COMMIT_BATCH_MAX: 64 } },
      { provide: CartService, useValue: { checkOwned: () => undefined } },
      {
        provide: FoodCatalog,
        useValue: { find: () => ({ price: 10 }), repairFenced: () => undefined },
      },
    ],
  }).compile();
  // A failed commit and an order in doubt are logged by design (after compile(), which installs the logger).
  Logger.overrideLogger(false);
  orders = moduleRef.get(OrderService);
  metrics = moduleRef.get(Metrics);
});

const unsold = () => [...leases.unsold].map(([food, n]) => `${food}:${n}`).join(',');

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

const marker = () => redis.strings.get(OrderingKeys.orderMarker(USER));

describe('OrderService.place: a commit that fails', () => {
  it('answers ORDER_OUT_OF_LIMIT when MySQL holds an order of the user, its units untaken', async () => {
    mysql.rows.set('earlier', { id: 'earlier', userId: USER, items: [], total: 0 } as never);
    expect((await refusal(orders.place(USER, 'cart'))).code).toBe(ErrorCode.ORDER_OUT_OF_LIMIT);
    expect(unsold()).toBe(FULL);
    expect([...mysql.rows.keys()]).toEqual(['earlier']);
    expect(mysql.voids.size).toBe(0);
  });

  for (const fault of ['refused', 'sql-error'] as const) {
    it(`gives the units back at once when the statement never ran (${fault})`, async () => {
      mysql.fault = fault;
      expect(await refusal(orders.place(USER, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
      expect(unsold()).toBe(FULL);
      expect(mysql.voids.size).toBe(0);
      expect(metrics.count('orders.refused')).toBe(1);
    });
  }

  for (const fault of ['lost-after', 'duplicate-id'] as const) {
    it(`acknowledges an order MySQL turns out to hold (${fault}), and marks the user`, async () => {
      mysql.fault = fault;
      const id = await orders.place(USER, 'cart');
      expect([...mysql.rows.keys()]).toEqual([id]);
      expect(marker()).toBe(id);
      expect(unsold()).toBe(TAKEN);
      expect(metrics.count('orders.placed')).toBe(1);
    });
  }

  it('acknowledges an order found in MySQL even if the marker cannot be written', async () => {
    mysql.fault = 'lost-after';
    redis.refuseWrites = true;
    const id = await orders.place(USER, 'cart');
    expect([...mysql.rows.keys()]).toEqual([id]);
    expect(marker()).toBeUndefined();
  });

  it('fences an order whose lost commit is not in MySQL, then gives its units back', async () => {
    mysql.fault = 'lost-before';
    expect(await refusal(orders.place(USER, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expect(mysql.rows.size).toBe(0);
    expect(mysql.voids.size).toBe(1);
    expect(unsold()).toBe(FULL);
    expect(marker()).toBeUndefined();
  });

  it("answers 503 and gives the units back when the order's lease was fenced in MySQL", async () => {
    mysql.voids.add(leaseFence(LEASE));
    expect(await refusal(orders.place(USER, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expect(mysql.rows.size).toBe(0);
    expect(unsold()).toBe(FULL);
  });
});

describe('OrderService.place: a commit left in doubt', () => {
  it('keeps the units, records the order in Redis and in memory, and keeps the lease on shutdown', async () => {
    mysql.fault = 'lost-after';
    mysql.downAfter = true;
    expect(await refusal(orders.place(USER, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expect(unsold()).toBe(TAKEN);
    const [id] = mysql.rows.keys();
    expect(redis.sets.get(OrderingKeys.leaseInDoubt(LEASE))).toEqual(new Set([id]));
    const taken = { leaseId: LEASE, generation: 4, items: ITEMS };
    expect(orders.inDoubtNow()).toEqual([{ userId: USER, orderId: id, items: ITEMS, taken }]);
    expect(metrics.snapshot()['orders.inDoubt']).toBe(1);
    expect(marker()).toBeUndefined();
    await orders.onApplicationShutdown();
    expect(leases.retired).toEqual([true]);
  });

  it('still answers 503 when Redis cannot take the record; settling gives the units back once', async () => {
    mysql.fault = 'lost-before';
    mysql.downAfter = true;
    redis.refuseWrites = true;
    expect(await refusal(orders.place(USER, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expect(redis.sets.size).toBe(0);
    const [reservation] = orders.inDoubtNow();
    expect(reservation.items).toEqual(ITEMS);
    orders.settledInDoubt(reservation);
    orders.settledInDoubt(reservation);
    expect(unsold()).toBe(FULL);
    expect(metrics.snapshot()['orders.inDoubt']).toBe(0);
    await orders.onApplicationShutdown();
    expect(leases.retired).toEqual([false]);
  });
});
