import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { expect } from 'expect';
import { beforeEach, describe, it } from 'node:test';
import { StockLeaseService } from '../../cluster/leases/stock-lease.service';
import { DatasetService } from '../../platform/dataset/dataset.service';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { Metrics } from '../../platform/metrics/metrics.service';
import { REDIS } from '../../platform/redis/redis.constants';
import { CartService } from '../cart/cart.service';
import { FoodCatalog } from '../catalog/food-catalog.service';
import { OrderingScripts, PlaceReply } from '../ordering-scripts';
import { StockService } from '../stock/stock.service';
import { OrderCommitter } from './order-committer.service';
import { OrderRepository, OrderVoidedError } from './order.repository';
import { OrderService } from './order.service';

/**
 * Order placement's decisions, on the real OrderService and StockService with fakes of the typed
 * scripts, the lease, the committer and the repository: what is committed, given back, refused,
 * or left in doubt, for each answer the stores can give.
 */

const PRICES = new Map([
  [1, 10],
  [3, 7],
]);
const DUPLICATE_USER = Object.assign(new Error("Duplicate entry '2' for key 'uq_order_user'"), {
  code: 'ER_DUP_ENTRY',
  sqlState: '23000',
});
const REFUSED = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const CONNECTION_LOST = Object.assign(new Error('Connection lost'), {
  code: 'PROTOCOL_CONNECTION_LOST',
});

class FakeScripts {
  replies: PlaceReply[] = [];
  placed: { otherLeases: readonly string[] }[] = [];
  released: { orderId: string; keepMarker: boolean }[] = [];
  refusedInDoubt: string[] = [];
  place(_placer: unknown, _order: unknown, otherLeases: readonly string[] = []) {
    this.placed.push({ otherLeases });
    return Promise.resolve(this.replies.shift() ?? ['OK', '1:2,3:1', '4']);
  }
  release(_node: string, orderId: string, keepMarker: boolean) {
    this.released.push({ orderId, keepMarker });
    return Promise.resolve(true);
  }
  refuseInDoubt(_node: string, orderId: string) {
    this.refusedInDoubt.push(orderId);
    return Promise.resolve(true);
  }
}

let scripts: FakeScripts;
let sold: [number, number][];
let committed: { id: string; userId: number; items: unknown; total: number; generation: number }[];
let commitFailure: unknown;
let voidAnswer: () => Promise<boolean>;
let settled: string[];
let orders: OrderService;
let metrics: Metrics;

beforeEach(async () => {
  scripts = new FakeScripts();
  sold = [];
  committed = [];
  commitFailure = undefined;
  settled = [];
  voidAnswer = () => Promise.resolve(false);
  const lease = {
    id: 'node-a',
    keys: { registry: 'registry', own: 'own' },
    recordSale: (food: number, units: number) => sold.push([food, units]),
    allLeaseKeys: () => Promise.resolve(['lease:b', 'lease:c']),
    holdings: () => ({ pool: new Map(), unsold: new Map() }),
  };
  const moduleRef = await Test.createTestingModule({
    providers: [
      OrderService,
      StockService,
      Metrics,
      { provide: OrderingScripts, useValue: scripts },
      { provide: StockLeaseService, useValue: lease },
      { provide: DatasetService, useValue: { current: { version: 'v1' } } },
      { provide: REDIS, useValue: {} },
      { provide: CartService, useValue: { keyOfOwned: () => 'cart-key' } },
      { provide: FoodCatalog, useValue: { find: (id: number) => ({ price: PRICES.get(id) }) } },
      {
        provide: OrderCommitter,
        useValue: {
          commit: (order: (typeof committed)[number]) => {
            if (commitFailure) return Promise.reject(commitFailure);
            committed.push(order);
            return Promise.resolve();
          },
        },
      },
      { provide: OrderRepository, useValue: { voidUnlessCommitted: () => voidAnswer() } },
    ],
  }).compile();
  // The in-doubt case logs an error by design (compile() installs the logger, so after it).
  Logger.overrideLogger(false);
  // Settling after a commit is the stock's best-effort step; recorded here, not sent anywhere.
  moduleRef.get(StockService).settle = (ids: readonly string[]) => {
    settled.push(...ids);
    return Promise.resolve();
  };
  orders = moduleRef.get(OrderService);
  metrics = moduleRef.get(Metrics);
});

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('OrderService.place', () => {
  it('commits the cart the script took, priced from the catalog, and records the sale on the lease', async () => {
    const id = await orders.place(2, 'cart');
    expect(committed).toEqual([
      {
        id,
        userId: 2,
        items: [
          { food_id: 1, count: 2 },
          { food_id: 3, count: 1 },
        ],
        total: 2 * 10 + 7,
        generation: 4,
      },
    ]);
    expect(sold).toEqual([
      [1, 2],
      [3, 1],
    ]);
    expect(scripts.placed).toHaveLength(1);
    expect(metrics.snapshot()['orders.placed']).toBe(1);
    expect(orders.isPlacing(id)).toBe(false);
  });

  for (const code of ['FOOD_OUT_OF_STOCK', 'ORDER_OUT_OF_LIMIT', 'EMPTY_CART'] as const) {
    it(`answers the script's ${code} with that code and commits nothing`, async () => {
      scripts.replies = [[code]];
      expect((await refusal(orders.place(2, 'cart'))).code).toBe(ErrorCode[code]);
      expect(committed).toEqual([]);
      expect(sold).toEqual([]);
    });
  }

  it("asks again with every other node's lease when the pool is dry, and sells from them", async () => {
    scripts.replies = [['RETRY_WITH_LEASES'], ['OK', '1:1', '4']];
    await orders.place(2, 'cart');
    expect(scripts.placed.map((p) => p.otherLeases)).toEqual([[], ['lease:b', 'lease:c']]);
    expect(committed).toHaveLength(1);
  });

  it('is unavailable while the ordering state is rebuilt, and takes nothing', async () => {
    scripts.replies = [['NOT_READY']];
    expect(await refusal(orders.place(2, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expect(committed).toEqual([]);
  });

  it("gives the stock back but keeps the user's marker when MySQL already holds their order", async () => {
    commitFailure = DUPLICATE_USER;
    expect((await refusal(orders.place(2, 'cart'))).code).toBe(ErrorCode.ORDER_OUT_OF_LIMIT);
    expect(scripts.released).toEqual([{ orderId: expect.any(String), keepMarker: true }]);
  });

  it('gives everything back when the commit never reached MySQL', async () => {
    commitFailure = REFUSED;
    expect(await refusal(orders.place(2, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expect(scripts.released).toEqual([{ orderId: expect.any(String), keepMarker: false }]);
  });

  it('acknowledges an order whose lost commit turns out to be in MySQL', async () => {
    commitFailure = CONNECTION_LOST;
    voidAnswer = () => Promise.resolve(true);
    const id = await orders.place(2, 'cart');
    expect(scripts.released).toEqual([]);
    expect(settled).toEqual([id]);
  });

  it('gives back an order whose lost commit is not in MySQL, once it is fenced there', async () => {
    commitFailure = CONNECTION_LOST;
    voidAnswer = () => Promise.resolve(false);
    expect(await refusal(orders.place(2, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expect(scripts.released).toEqual([{ orderId: expect.any(String), keepMarker: false }]);
  });

  it('gives nothing back for an order voided by a reconciler (it gave the stock back itself)', async () => {
    commitFailure = new OrderVoidedError('x');
    expect(await refusal(orders.place(2, 'cart'))).toBeInstanceOf(ServiceUnavailableError);
    expect(scripts.released).toEqual([]);
  });

  it('leaves an order in doubt, stock kept and flagged in Redis, when MySQL cannot say', async () => {
    commitFailure = CONNECTION_LOST;
    voidAnswer = () => Promise.reject(CONNECTION_LOST);
    const error = await refusal(orders.place(2, 'cart'));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(scripts.released).toEqual([]);
    expect(scripts.refusedInDoubt).toHaveLength(1);
    const [id] = scripts.refusedInDoubt;
    expect(orders.isInDoubt(id)).toBe(true);
    expect(orders.inDoubtNow()).toEqual([id]);
    expect(metrics.snapshot()['orders.inDoubt']).toBe(1);
  });
});
