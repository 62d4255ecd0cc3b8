import type { CartItem } from './cart-items';
import type { AdjustReply, LeaseAdjustment } from '../ordering-scripts';

interface Line {
  /**
   * A lower bound of the units the food's stock hash grants this lease, exact when `exact`: a
   * give-back lowers it before it is sent, a top-up raises it only once answered, so a lost answer
   * never leaves the node believing it holds a unit it may not.
   */
  grant: number;
  exact: boolean;
  /** Units taken by this node's orders, committed or on their way: never more than `grant`. */
  taken: number;
  /** `taken` as last reported to the food's stock hash. */
  reported: number;
  /** An exchange with the food's stock is in flight: one at a time per food. */
  busy: boolean;
}

/**
 * One stock lease in the node's memory: per food, the units granted and the units taken. An
 * order's stock is decided here, synchronously, so all or nothing across its items needs no lock
 * and no round trip. Pure: the lease service does the Redis side.
 */
export class StockLedger {
  private readonly lines = new Map<number, Line>();

  constructor(
    readonly leaseId: string,
    readonly generation: number,
  ) {}

  /** Units this node may still sell of a food. */
  available(food: number): number {
    const line = this.lines.get(food);
    return line ? Math.max(0, line.grant - line.taken) : 0;
  }

  /** Takes every item or nothing; returns the items short (with the units missing), [] if taken. */
  take(cart: readonly CartItem[]): CartItem[] {
    // One line per food (a cart has that already; a caller that repeats a food is not oversold).
    const units = new Map<number, number>();
    for (const item of cart) units.set(item.food_id, (units.get(item.food_id) ?? 0) + item.count);
    const items = [...units].map(([food_id, count]) => ({ food_id, count }));
    const short = items
      .map((item) => ({ food_id: item.food_id, count: item.count - this.available(item.food_id) }))
      .filter((item) => item.count > 0);
    if (short.length > 0) return short;
    for (const item of items) this.line(item.food_id).taken += item.count;
    return [];
  }

  /** Gives back the units of an order that will not commit. */
  untake(items: readonly CartItem[]): void {
    for (const item of items) {
      const line = this.line(item.food_id);
      line.taken = Math.max(0, line.taken - item.count);
    }
  }

  foods(): number[] {
    return [...this.lines.keys()];
  }

  /** Units taken since the last report (for the stock others see), per food. */
  unreported(food: number): boolean {
    const line = this.lines.get(food);
    return line !== undefined && line.taken !== line.reported;
  }

  isBusy(food: number): boolean {
    return this.lines.get(food)?.busy ?? false;
  }

  /**
   * Starts an exchange with a food's stock: `change` > 0 asks for units, < 0 gives back (at most
   * what is available, which stops being available at once). Undefined if one is in flight.
   */
  beginAdjust(food: number, change: number): LeaseAdjustment | undefined {
    const line = this.line(food);
    if (line.busy) return undefined;
    line.busy = true;
    if (change < 0) {
      change = -Math.min(-change, this.available(food));
      line.grant += change;
    }
    return {
      leaseId: this.leaseId,
      generation: this.generation,
      believedGrant: line.exact ? line.grant - Math.min(0, change) : -1,
      change,
      taken: line.taken,
    };
  }

  /** Ends an exchange: the answer, or undefined if it was lost (then the grant is not known). */
  endAdjust(food: number, sent: LeaseAdjustment, reply: AdjustReply | undefined): void {
    const line = this.line(food);
    line.busy = false;
    if (reply === undefined || (reply[0] !== 'OK' && reply[0] !== 'STALE')) {
      line.exact = false;
      return;
    }
    // The grant as Redis holds it; an order may have taken units while the exchange was away.
    line.grant = reply[1];
    line.exact = true;
    if (reply[0] === 'OK') line.reported = sent.taken;
  }

  /** Units taken and unsold per food, for metrics and the give-back when the node stops. */
  holdings(): Map<number, { taken: number; unsold: number }> {
    const held = new Map<number, { taken: number; unsold: number }>();
    for (const [food, line] of this.lines)
      held.set(food, { taken: line.taken, unsold: Math.max(0, line.grant - line.taken) });
    return held;
  }

  private line(food: number): Line {
    let line = this.lines.get(food);
    if (!line) {
      line = { grant: 0, exact: true, taken: 0, reported: 0, busy: false };
      this.lines.set(food, line);
    }
    return line;
  }
}
