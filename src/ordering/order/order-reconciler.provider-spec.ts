import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { expect } from 'expect';
import { beforeEach, describe, it } from 'node:test';
import { NodeIdentity } from '../../cluster/membership/node-identity';
import { NodeRegistry } from '../../cluster/membership/node-registry.service';
import { AppConfig } from '../../platform/config/app-config';
import { StockService } from '../stock/stock.service';
import { OrderReconciler } from './order-reconciler.service';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';

/**
 * The reconciler's decisions on the real OrderReconciler, over an in-memory picture of Redis'
 * pending orders and MySQL's committed ones: which orders are kept, voided or taken back, whose,
 * and when.
 */

const ME = 'node-me';

class FakeStock {
  pending = new Map<string, Set<string>>();
  refused = new Set<string>();
  released: string[] = [];
  settled: string[] = [];
  forgotten: string[] = [];
  pendingOf(node: string) {
    return Promise.resolve([...(this.pending.get(node) ?? [])]);
  }
  nodesWithPending() {
    return Promise.resolve([...this.pending.keys()]);
  }
  refusedInDoubt(ids: readonly string[]) {
    return Promise.resolve(new Set(ids.filter((id) => this.refused.has(id))));
  }
  release(id: string, _keepMarker: boolean, node = ME) {
    const had = this.pending.get(node)?.delete(id) ?? false;
    this.refused.delete(id);
    if (had) this.released.push(id);
    return Promise.resolve(had);
  }
  settle(ids: readonly string[], node = ME) {
    for (const id of ids) if (this.pending.get(node)?.delete(id)) this.settled.push(id);
    return Promise.resolve();
  }
  forgetNode(node: string) {
    if (this.pending.get(node)?.size === 0) this.pending.delete(node);
    this.forgotten.push(node);
    return Promise.resolve();
  }
}

class FakeRepository {
  committed = new Set<string>();
  voided = new Set<string>();
  takenBack: string[] = [];
  voidUnlessCommitted(id: string) {
    if (this.committed.has(id)) return Promise.resolve(true);
    this.voided.add(id);
    return Promise.resolve(false);
  }
  takeBack(id: string) {
    this.voided.add(id);
    const had = this.committed.delete(id);
    if (had) this.takenBack.push(id);
    return Promise.resolve(had);
  }
}

class FakeOrders {
  placing = new Set<string>();
  inDoubt = new Set<string>();
  isPlacing = (id: string) => this.placing.has(id);
  isInDoubt = (id: string) => this.inDoubt.has(id);
  inDoubtNow = () => [...this.inDoubt];
  settledInDoubt = (id: string) => void this.inDoubt.delete(id);
}

let stock: FakeStock;
let repository: FakeRepository;
let orders: FakeOrders;
let alive: Set<string>;
let reconciler: OrderReconciler;

beforeEach(async () => {
  stock = new FakeStock();
  repository = new FakeRepository();
  orders = new FakeOrders();
  alive = new Set([ME]);
  const registry = {
    alive: (nodes: string[]) => Promise.resolve(new Set(nodes.filter((n) => alive.has(n)))),
  };
  const moduleRef = await Test.createTestingModule({
    providers: [
      OrderReconciler,
      { provide: StockService, useValue: stock },
      { provide: OrderRepository, useValue: repository },
      { provide: OrderService, useValue: orders },
      { provide: NodeIdentity, useValue: new NodeIdentity(ME) },
      { provide: NodeRegistry, useValue: registry },
      { provide: AppConfig, useValue: { LEASE_TTL_MS: 3000 } },
    ],
  }).compile();
  Logger.overrideLogger(false);
  reconciler = moduleRef.get(OrderReconciler);
});

describe("OrderReconciler: a dead node's pending orders", () => {
  it('keeps the committed ones, voids and gives back the others, then forgets the node', async () => {
    stock.pending.set('dead', new Set(['kept', 'lost']));
    repository.committed.add('kept');
    await reconciler.sweep();
    expect(stock.settled).toEqual(['kept']);
    expect(stock.released).toEqual(['lost']);
    expect([...repository.voided]).toEqual(['lost']);
    expect(repository.committed.has('kept')).toBe(true);
    expect(stock.forgotten).toEqual(['dead']);
  });

  it('takes back an order its node answered SERVICE_UNAVAILABLE in doubt, even if it committed', async () => {
    stock.pending.set('dead', new Set(['refused']));
    stock.refused.add('refused');
    repository.committed.add('refused');
    await reconciler.sweep();
    expect(repository.takenBack).toEqual(['refused']);
    expect(stock.released).toEqual(['refused']);
    expect(stock.refused.size).toBe(0);
  });

  it("leaves a live node's pending orders alone", async () => {
    alive.add('busy');
    stock.pending.set('busy', new Set(['in-flight']));
    await reconciler.sweep();
    expect(stock.pending.get('busy')).toEqual(new Set(['in-flight']));
    expect(repository.voided.size).toBe(0);
    expect(stock.forgotten).toEqual([]);
  });
});

describe("OrderReconciler: this node's own orphans", () => {
  it('settles an orphan only when a second sweep still finds it, and never one being placed', async () => {
    stock.pending.set(ME, new Set(['orphan', 'placing']));
    orders.placing.add('placing');
    await reconciler.sweep();
    expect(stock.released).toEqual([]);
    await reconciler.sweep();
    expect(stock.released).toEqual(['orphan']);
    expect(stock.pending.get(ME)).toEqual(new Set(['placing']));
  });

  it('takes back an own order in doubt that had committed, and forgets it', async () => {
    stock.pending.set(ME, new Set(['doubt']));
    orders.inDoubt.add('doubt');
    repository.committed.add('doubt');
    await reconciler.sweep();
    await reconciler.sweep();
    expect(repository.takenBack).toEqual(['doubt']);
    expect(stock.released).toEqual(['doubt']);
    expect(orders.inDoubt.size).toBe(0);
  });

  it('forgets an order in doubt that another node already settled (no longer pending)', async () => {
    stock.pending.set(ME, new Set());
    orders.inDoubt.add('settled-elsewhere');
    await reconciler.sweep();
    expect(orders.inDoubt.size).toBe(0);
    expect(repository.takenBack).toEqual([]);
  });
});
