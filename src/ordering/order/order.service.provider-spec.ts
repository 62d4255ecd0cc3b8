import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InDoubtRegistry } from '../../cluster/in-doubt/in-doubt-registry';
import { expect } from 'expect';
import { beforeEach, describe, it } from 'node:test';
import { AppConfig } from '../../platform/config/app-config';
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
import { NewOrder, OrderRepository } from './order.repository';
import { OrderService } from './order.service';

/**
 * Placing an order, on the real OrderService, StockService and OrderCommitter, over fakes of
 * Redis (the user's slot), of this node's lease in memory and of MySQL's order table: what is
 * read, taken from the lease, committed and marked, and what the client is answered. The
 * failed commits are in order.service.refusals.provider-spec.ts.
 */

const [USER, LEASE, GENERATION] = [2, 'lease-a', 4];
const PRICES = new Map<number, number>().set(1, 10).set(3, 7);
/** The lease's units unsold per food before any order. */
const FULL = '1:5,3:5';
const REDIS_REFUSED = new Error("Stream isn't writeable and enableOfflineQueue options is false");
const REDIS_LOST = new Error('read ECONNRESET');

/** What reached the stores, in order: `commit <id>` in MySQL, `marker <id>` in Redis. */
let events: string[];

class FakeRedis {
  strings = new Map<string, string>();
  reads = 0;
  readErrors: Error[] = [];
  mget(...keys: string[]) {
    this.reads++;
    const error = this.readErrors.shift();
    if (error) return Promise.reject(error);
    return Promise.resolve(keys.map((key) => this.strings.get(key) ?? null));
  }
  set(key: string, value: string) {
    this.strings.set(key, value);
    events.push(`marker ${value}`);
    return Promise.resolve('OK');
  }
}

/** This node's lease in memory: units unsold per food, taken all or nothing. */
class FakeLeases {
  unsold = new Map<number, number>().set(1, 5).set(3, 5);
  ready = true;
  readonly pools = new Map<number, number>();
  take(items: CartItem[]): Promise<Taken | 'NOT_READY' | 'FOOD_OUT_OF_STOCK'> {
    if (!this.ready) return Promise.resolve('NOT_READY');
    if (items.some((i) => (this.unsold.get(i.food_id) ?? 0) < i.count))
      return Promise.resolve('FOOD_OUT_OF_STOCK');
    for (const i of items) this.unsold.set(i.food_id, this.unsold.get(i.food_id)! - i.count);
    return Promise.resolve({ leaseId: LEASE, generation: GENERATION, items });
  }
  untake(taken: Taken) {
    for (const i of taken.items) this.unsold.set(i.food_id, this.unsold.get(i.food_id)! + i.count);
  }
  holdings = () => new Map<number, { taken: number; unsold: number }>();
  retire(orphans: boolean) {
    events.push(orphans ? 'lease left to expire' : 'lease returned');
    return Promise.resolve();
  }
}

class FakeMySql {
  rows = new Map<string, NewOrder>();
  /** Statements wait for it: a commit on its way. */
  gate = Promise.resolve();
  arrived = 0;
  async insertMany(orders: readonly NewOrder[]) {
    this.arrived++;
    await this.gate;
    for (const order of orders) {
      this.rows.set(order.id, order);
      events.push(`commit ${order.id}`);
    }
  }
}

let redis: FakeRedis;
let leases: FakeLeases;
let mysql: FakeMySql;
let orders: OrderService;
let metrics: Metrics;

beforeEach(async () => {
  events = [];
  redis = new FakeRedis();
  redis.strings.set(OrderingKeys.cart(USER, 'cart'), '1:2,3:1');
  leases = new FakeLeases();
  mysql = new FakeMySql();
  const carts = {
    checkOwned: (userId: number, cartId: string) => {
      if (cartId !== 'cart') throw DomainError.of(ErrorCode.CART_NOT_FOUND);
      if (userId !== USER) throw DomainError.of(ErrorCode.NOT_AUTHORIZED_TO_ACCESS_CART);
    },
  };
  const moduleRef = await Test.createTestingModule({
    providers: [
      OrderService,
      StockService,
      OrderCommitter,
      Metrics,
      { provide: REDIS, useValue: redis },
      { provide: InDoubtRegistry, useValue: {} },
      { provide: StockLeases, useValue: leases },
      { provide: OrderRepository, useValue: mysql },
      { provide: AppConfig, useValue: { COMMIT_BATCH_MAX: 64 } },
      { provide: CartService, useValue: carts },
      { provide: FoodCatalog, useValue: { find: (id: number) => ({ price: PRICES.get(id) }) } },
    ],
  }).compile();
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

/** Nothing of the lease was taken (or all of it was given back) and nothing committed. */
function expectNothingTaken(): void {
  expect(unsold()).toBe(FULL);
  expect(mysql.rows.size).toBe(0);
}

describe('OrderService.place: an order that commits', () => {
  it('commits the cart priced from the catalog with its lease and generation, then marks the user', async () => {
    const id = await orders.place(USER, 'cart');
    expect([...mysql.rows.values()]).toEqual([
      {
        id,
        userId: USER,
        items: [
          { food_id: 1, count: 2 },
          { food_id: 3, count: 1 },
        ],
        total: 2 * 10 + 7,
        leaseId: LEASE,
        generation: GENERATION,
      },
    ]);
    expect(events).toEqual([`commit ${id}`, `marker ${id}`]);
    expect(redis.strings.get(OrderingKeys.orderMarker(USER))).toBe(id);
    expect(redis.reads).toBe(1);
    expect(unsold()).toBe('1:3,3:4');
    expect(metrics.count('orders.placed')).toBe(1);
  });

  it('asks Redis again when the answer of its one read was lost, and then commits', async () => {
    redis.readErrors = [REDIS_LOST];
    const id = await orders.place(USER, 'cart');
    expect(redis.reads).toBe(2);
    expect([...mysql.rows.keys()]).toEqual([id]);
  });

  it('lets the last group commit before the lease is given back on shutdown', async () => {
    let open!: () => void;
    mysql.gate = new Promise((resolve) => (open = resolve));
    const placing = orders.place(USER, 'cart');
    while (mysql.arrived === 0) await new Promise((resolve) => setImmediate(resolve));
    const stopping = orders.onApplicationShutdown();
    open();
    const id = await placing;
    await stopping;
    expect(events).toEqual([`commit ${id}`, `marker ${id}`, 'lease returned']);
  });
});

describe('StockService.reserve: refusals before anything is committed', () => {
  it("refuses a user whose order marker is set, without taking the lease's units", async () => {
    redis.strings.set(OrderingKeys.orderMarker(USER), 'earlier');
    expect((await refusal(orders.place(USER, 'cart'))).code).toBe(ErrorCode.ORDER_OUT_OF_LIMIT);
    expectNothingTaken();
  });

  for (const [what, cart] of [
    ['a cart Redis does not hold', undefined],
    ['an emptied cart', ''],
  ] as const) {
    it(`answers EMPTY_CART for ${what}, taking nothing`, async () => {
      if (cart === undefined) redis.strings.delete(OrderingKeys.cart(USER, 'cart'));
      else redis.strings.set(OrderingKeys.cart(USER, 'cart'), cart);
      expect((await refusal(orders.place(USER, 'cart'))).code).toBe(ErrorCode.EMPTY_CART);
      expectNothingTaken();
    });
  }

  it('answers FOOD_OUT_OF_STOCK when the lease lacks one food, taking none of the others', async () => {
    leases.unsold.set(3, 0);
    expect((await refusal(orders.place(USER, 'cart'))).code).toBe(ErrorCode.FOOD_OUT_OF_STOCK);
    expect(unsold()).toBe('1:5,3:0');
    expect(mysql.rows.size).toBe(0);
    expect(redis.strings.has(OrderingKeys.orderMarker(USER))).toBe(false);
  });

  it('is unavailable while the node has no lease to sell from', async () => {
    leases.ready = false;
    expect(await refusal(orders.place(USER, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expectNothingTaken();
  });

  it('is a prompt 503 when Redis refused the read (never sent), asked once', async () => {
    redis.readErrors = [REDIS_REFUSED];
    expect(await refusal(orders.place(USER, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expect(redis.reads).toBe(1);
    expectNothingTaken();
  });

  for (const [what, userId, cartId, code] of [
    ['an unknown cart', USER, 'other', ErrorCode.CART_NOT_FOUND],
    ["another user's cart", 9, 'cart', ErrorCode.NOT_AUTHORIZED_TO_ACCESS_CART],
  ] as const) {
    it(`refuses ${what} before reading Redis`, async () => {
      expect((await refusal(orders.place(userId, cartId))).code).toBe(code);
      expect(redis.reads).toBe(0);
      expectNothingTaken();
    });
  }

  it('counts each refusal by its code', async () => {
    redis.strings.set(OrderingKeys.orderMarker(USER), 'earlier');
    await refusal(orders.place(USER, 'cart'));
    await refusal(orders.place(USER, 'cart'));
    expect(metrics.count('orders.refused')).toBe(2);
    const scraped = await metrics.registry.getSingleMetricAsString('orders_refused_total');
    expect(scraped).toContain('orders_refused_total{code="ORDER_OUT_OF_LIMIT"} 2');
  });
});
