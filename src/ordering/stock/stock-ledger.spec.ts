import type { AdjustReply, LeaseAdjustment } from '../ordering-scripts';
import type { CartItem } from './cart-items';
import { StockLedger } from './stock-ledger';

/** `food:count,...` as cart items. */
function cart(encoded: string): CartItem[] {
  return encoded.split(',').map((line) => {
    const [food, count] = line.split(':').map(Number);
    return { food_id: food, count };
  });
}

/** A lease granted `units` of each food by one answered top-up. */
function granted(grants: Record<number, number>): StockLedger {
  const ledger = new StockLedger('lease-a', 3);
  for (const [food, units] of Object.entries(grants)) {
    const sent = ledger.beginAdjust(Number(food), units)!;
    ledger.endAdjust(Number(food), sent, ['OK', units, 100, 0]);
  }
  return ledger;
}

describe('StockLedger.take and untake', () => {
  it('takes nothing from a new lease: every unit is short', () => {
    const ledger = new StockLedger('lease-a', 3);
    expect(ledger.take(cart('1:2,2:1'))).toEqual(cart('1:2,2:1'));
    expect(ledger.available(1)).toBe(0);
  });

  it('takes every item or none, and returns the items short with the units they miss', () => {
    const ledger = granted({ 1: 3, 2: 4 });
    expect(ledger.take(cart('1:2,2:5'))).toEqual(cart('2:1'));
    expect([ledger.available(1), ledger.available(2)]).toEqual([3, 4]);
    expect(ledger.take(cart('1:2,2:4'))).toEqual([]);
    expect([ledger.available(1), ledger.available(2)]).toEqual([1, 0]);
    expect(ledger.take(cart('1:2,2:1'))).toEqual(cart('1:1,2:1'));
    expect(ledger.holdings()).toEqual(
      new Map([
        [1, { taken: 2, unsold: 1 }],
        [2, { taken: 4, unsold: 0 }],
      ]),
    );
  });

  it('gives back the units of an order that will not commit, never more than were taken', () => {
    const ledger = granted({ 1: 3 });
    ledger.take(cart('1:2'));
    ledger.untake(cart('1:2'));
    expect(ledger.available(1)).toBe(3);
    ledger.untake(cart('1:5'));
    expect(ledger.available(1)).toBe(3);
    expect(ledger.holdings().get(1)).toEqual({ taken: 0, unsold: 3 });
  });

  it('knows which foods have units taken or given back since they were last reported', () => {
    const ledger = granted({ 1: 3 });
    expect(ledger.unreported(1)).toBe(false);
    ledger.take(cart('1:2'));
    expect(ledger.unreported(1)).toBe(true);
    const sent = ledger.beginAdjust(1, 0)!;
    expect(sent.taken).toBe(2);
    ledger.endAdjust(1, sent, ['OK', 3, 100, 0]);
    expect(ledger.unreported(1)).toBe(false);
    ledger.untake(cart('1:1'));
    expect(ledger.unreported(1)).toBe(true);
    expect(ledger.unreported(9)).toBe(false);
  });
});

describe('StockLedger exchanges with a food stock', () => {
  it('counts a top-up only once it is answered, with the grant Redis holds', () => {
    const ledger = granted({ 1: 2 });
    const sent = ledger.beginAdjust(1, 5)!;
    expect(sent).toEqual({
      leaseId: 'lease-a',
      generation: 3,
      believedGrant: 2,
      change: 5,
      taken: 0,
    });
    expect(ledger.available(1)).toBe(2);
    ledger.endAdjust(1, sent, ['OK', 6, 0, 0]);
    expect(ledger.available(1)).toBe(6);
  });

  it('lowers availability for a give-back before it is answered, never below the units taken', () => {
    const ledger = granted({ 1: 5 });
    ledger.take(cart('1:2'));
    const sent = ledger.beginAdjust(1, -10)!;
    expect(sent).toEqual({
      leaseId: 'lease-a',
      generation: 3,
      believedGrant: 5,
      change: -3,
      taken: 2,
    });
    expect(ledger.available(1)).toBe(0);
    expect(ledger.take(cart('1:1'))).toEqual(cart('1:1'));
    ledger.endAdjust(1, sent, ['OK', 2, 103, 0]);
    expect(ledger.holdings().get(1)).toEqual({ taken: 2, unsold: 0 });
  });

  it('keeps the units an order took while a top-up was away', () => {
    const ledger = granted({ 1: 2 });
    const sent = ledger.beginAdjust(1, 3)!;
    expect(ledger.take(cart('1:2'))).toEqual([]);
    ledger.endAdjust(1, sent, ['OK', 5, 95, 0]);
    expect(ledger.holdings().get(1)).toEqual({ taken: 2, unsold: 3 });
    expect(ledger.unreported(1)).toBe(true);
  });

  it('does not know its grant after a lost answer: the next exchange sends -1, STALE resyncs', () => {
    const ledger = granted({ 1: 5 });
    const lost = ledger.beginAdjust(1, 4)!;
    ledger.endAdjust(1, lost, undefined);
    expect(ledger.available(1)).toBe(5);
    const next = ledger.beginAdjust(1, 4)!;
    expect(next.believedGrant).toBe(-1);
    ledger.endAdjust(1, next, ['STALE', 9, 91, 0]);
    expect(ledger.available(1)).toBe(9);
    expect(ledger.beginAdjust(1, 0)!.believedGrant).toBe(9);
  });

  it('keeps a give-back whose answer was lost unavailable until Redis tells the grant', () => {
    const ledger = granted({ 1: 5 });
    const lost = ledger.beginAdjust(1, -2)!;
    ledger.endAdjust(1, lost, undefined);
    expect(ledger.available(1)).toBe(3);
    const next = ledger.beginAdjust(1, -1)!;
    expect(next).toMatchObject({ believedGrant: -1, change: -1 });
    expect(ledger.available(1)).toBe(2);
    // Redis never got the give-back (nor this one, STALE): the five units are the lease's again.
    ledger.endAdjust(1, next, ['STALE', 5, 95, 0]);
    expect(ledger.available(1)).toBe(5);
  });

  it('takes a STALE answer for the grant but not for a report of the units taken', () => {
    const ledger = granted({ 1: 5 });
    ledger.take(cart('1:1'));
    ledger.endAdjust(1, ledger.beginAdjust(1, 0)!, undefined);
    ledger.endAdjust(1, ledger.beginAdjust(1, 0)!, ['STALE', 5, 95, 0]);
    expect(ledger.unreported(1)).toBe(true);
    ledger.endAdjust(1, ledger.beginAdjust(1, 0)!, ['OK', 5, 95, 0]);
    expect(ledger.unreported(1)).toBe(false);
  });

  for (const reply of [['REVOKED'], ['NOT_READY'], ['STALE_GENERATION']] as AdjustReply[]) {
    it(`does not know its grant after ${reply[0]}, and keeps what it had`, () => {
      const ledger = granted({ 1: 5 });
      ledger.endAdjust(1, ledger.beginAdjust(1, 3)!, reply);
      expect(ledger.available(1)).toBe(5);
      expect(ledger.beginAdjust(1, 0)!.believedGrant).toBe(-1);
    });
  }

  it('lets one exchange per food be in flight at a time', () => {
    const ledger = granted({ 1: 5, 2: 5 });
    const sent = ledger.beginAdjust(1, 3)!;
    expect(ledger.isBusy(1)).toBe(true);
    expect(ledger.beginAdjust(1, -2)).toBeUndefined();
    expect(ledger.available(1)).toBe(5);
    expect(ledger.beginAdjust(2, 1)).toBeDefined();
    ledger.endAdjust(1, sent, undefined);
    expect(ledger.isBusy(1)).toBe(false);
    expect(ledger.beginAdjust(1, 1)).toBeDefined();
  });
});

/** One food's stock hash as lease-adjust.lua keeps it, for one lease. */
class FoodStockModel {
  pool = 20;
  grant = 0;
  adjust(a: LeaseAdjustment): AdjustReply {
    if (a.believedGrant !== this.grant) return ['STALE', this.grant, this.pool, 0];
    let change = a.change;
    if (change > 0) change = Math.min(change, this.pool);
    else if (change < 0) change = -Math.min(-change, Math.max(0, this.grant - a.taken));
    this.pool -= change;
    this.grant += change;
    return ['OK', this.grant, this.pool, 0];
  }
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

describe('StockLedger against a model of the food stock', () => {
  it('never takes more than Redis grants, whatever answers are lost and whenever orders come', () => {
    const broken: string[] = [];
    for (let seed = 1; seed <= 300; seed++) {
      const pick = random(seed);
      const redis = new FoodStockModel();
      const ledger = new StockLedger('lease-a', 3);
      const orders: CartItem[][] = [];
      let inFlight: { sent: LeaseAdjustment; reply: AdjustReply | undefined } | undefined;
      for (let step = 0; step < 300 && broken.length === 0; step++) {
        const op = pick(5);
        if (op === 0) {
          const items = cart(`1:${1 + pick(3)}`);
          if (ledger.take(items).length === 0) orders.push(items);
        } else if (op === 1 && orders.length > 0) {
          ledger.untake(orders.splice(pick(orders.length), 1)[0]);
        } else if (op === 2 && !inFlight) {
          const sent = ledger.beginAdjust(1, pick(11) - 5)!;
          // Redis applies it now (its answer may still be lost), or never gets it.
          inFlight = { sent, reply: pick(4) === 0 ? undefined : redis.adjust(sent) };
        } else if (op === 3 && inFlight) {
          ledger.endAdjust(1, inFlight.sent, pick(3) === 0 ? undefined : inFlight.reply);
          inFlight = undefined;
        }
        const { taken, unsold } = ledger.holdings().get(1) ?? { taken: 0, unsold: 0 };
        const ordered = orders.flat().reduce((sum, i) => sum + i.count, 0);
        // What the node may sell (taken + unsold) never exceeds the grant Redis holds for it.
        if (taken !== ordered || taken + unsold > redis.grant || redis.pool + redis.grant !== 20)
          broken.push(`seed ${seed} step ${step}: taken ${taken}/${ordered} unsold ${unsold}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
