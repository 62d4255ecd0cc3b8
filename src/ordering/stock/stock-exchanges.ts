import { Logger } from '@nestjs/common';
import { RateEstimator, plannedChange, targetChunk } from '../../cluster/leases/lease-math';
import { AdjustReply, OrderingScripts } from '../ordering-scripts';
import type { CartItem } from './cart-items';
import { StockLedger } from './stock-ledger';

/**
 * A lease's exchanges with the foods' stock (lease-adjust.lua on each food's slot): top-ups sized
 * to recent sales and to the orders waiting, give-backs, and the units taken reported for what
 * others see. One exchange per food at a time; orders that arrive meanwhile share it.
 */
export class StockExchanges {
  private readonly logger = new Logger('StockLeases');
  private readonly rates = new RateEstimator();
  private readonly inflight = new Map<number, Promise<AdjustReply | undefined>>();
  /** Units that orders short of a food wait for, summed until the next top-up asks for them. */
  private readonly demand = new Map<number, number>();
  private lastTick = performance.now();
  /** Pool of each food as of the last exchange or stock read (for chunk sizing and metrics). */
  readonly pools = new Map<number, number>();

  constructor(
    private readonly scripts: OrderingScripts,
    private readonly onRevoked: (ledger: StockLedger) => void,
  ) {}

  /** Feeds the chunk sizing: units an order just took. */
  sold(items: readonly CartItem[]): void {
    for (const item of items) this.rates.record(item.food_id, item.count);
  }

  /**
   * Asks each food's pool for what the orders waiting on it lack, or a chunk of recent sales if
   * more (a fair share of the pool at most, so the last units go in small chunks).
   */
  topUp(ledger: StockLedger, short: readonly CartItem[]): Promise<(AdjustReply | undefined)[]> {
    for (const item of short)
      this.demand.set(item.food_id, (this.demand.get(item.food_id) ?? 0) + item.count);
    return Promise.all(
      short.map(({ food_id: food }) => {
        const inflight = this.inflight.get(food);
        if (inflight) return inflight;
        const pool = this.pools.get(food) ?? 0;
        const chunk = Math.min(targetChunk(this.rates.rate(food)), Math.floor(pool / 4));
        const wanted = this.demand.get(food) ?? 0;
        this.demand.delete(food);
        return this.adjust(ledger, food, Math.max(wanted - ledger.available(food), chunk, 1));
      }),
    );
  }

  /** Top-ups and give-backs by recent sales, and the units taken reported for GET /foods. */
  async tick(ledger: StockLedger): Promise<void> {
    const now = performance.now();
    const rates = this.rates.tick((now - this.lastTick) / 1000);
    this.lastTick = now;
    const foods = new Set([...rates.keys(), ...ledger.foods()]);
    await Promise.all(
      [...foods].map(async (food) => {
        const change = plannedChange(
          ledger.available(food),
          targetChunk(rates.get(food) ?? 0),
          this.pools.get(food) ?? 0,
        );
        if (change !== 0 || ledger.unreported(food)) await this.adjust(ledger, food, change);
      }),
    );
  }

  /** Gives back what the lease holds unsold of a food (a recall, or the node stopping). */
  async giveBack(ledger: StockLedger, food: number): Promise<AdjustReply | undefined> {
    await this.inflight.get(food);
    return this.adjust(ledger, food, -ledger.available(food));
  }

  /** One exchange with a food's stock (one at a time per food); undefined if its answer was lost. */
  private adjust(
    ledger: StockLedger,
    food: number,
    change: number,
  ): Promise<AdjustReply | undefined> {
    const inflight = this.inflight.get(food);
    if (inflight) return inflight;
    const exchange = this.exchange(ledger, food, change).finally(() => {
      if (this.inflight.get(food) === exchange) this.inflight.delete(food);
    });
    this.inflight.set(food, exchange);
    return exchange;
  }

  private async exchange(
    ledger: StockLedger,
    food: number,
    change: number,
  ): Promise<AdjustReply | undefined> {
    const sent = ledger.beginAdjust(food, change);
    if (!sent) return undefined;
    let reply: AdjustReply | undefined;
    try {
      reply = await this.scripts.leaseAdjust(food, sent);
      if (reply[0] === 'OK' || reply[0] === 'STALE') this.pools.set(food, reply[2]);
      else if (reply[0] === 'REVOKED') this.onRevoked(ledger);
      return reply;
    } catch (error) {
      this.logger.warn(`Stock exchange for food ${food} failed: ${(error as Error).message}`);
      return undefined;
    } finally {
      ledger.endAdjust(food, sent, reply);
    }
  }
}
