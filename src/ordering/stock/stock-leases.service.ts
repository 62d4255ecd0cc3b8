import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateEstimator, plannedChange, targetChunk } from '../../cluster/leases/lease-math';
import { AppConfig } from '../../platform/config/app-config';
import { randomBase64url } from '../../platform/random/random-pool';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { REDIS } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';
import { AdjustReply, OrderingScripts } from '../ordering-scripts';
import type { CartItem } from './cart-items';
import { StockLedger } from './stock-ledger';
import { StockRecalls } from './stock-recalls';

/** Stock taken for an order from this node's lease. */
export interface Taken {
  leaseId: string;
  generation: number;
  items: CartItem[];
}

/** Why stock could not be taken: the lease is not usable now (503), or a food lacks units. */
export type TakeRefusal = 'NOT_READY' | 'FOOD_OUT_OF_STOCK';

/** Waits between top-up attempts while other nodes answer a recall (the last units of a food). */
const RECALL_WAITS_MS = [5, 20, 50, 100];

/**
 * This node's stock lease (see docs/design.md, "Stock leases"): units of each food granted to the
 * node by a script on the food's slot, sold from memory. Top-ups follow recent sales; an order
 * short of units tops up at once, and when the pool is dry it recalls the units other nodes hold
 * idle. The lease lives while its heartbeat does: a node stops selling from it once its own clock
 * says the heartbeat may have expired, and a lease that expired on Redis' clock is reclaimed by
 * others (LeaseReclaimer) from what MySQL says it sold, its late commits fenced there.
 */
@Injectable()
export class StockLeases implements OnApplicationShutdown {
  private readonly logger = new Logger(StockLeases.name);
  private readonly rates = new RateEstimator();
  private readonly inflight = new Map<number, Promise<AdjustReply | undefined>>();
  /** Units that orders short of a food wait for, summed until the next top-up asks for them. */
  private readonly demand = new Map<number, number>();
  private ledger: StockLedger | undefined;
  private lastTick = performance.now();
  private validSince = -Infinity;
  private timers: NodeJS.Timeout[] = [];
  private version: string | undefined;
  private starting: Promise<void> | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;
  /** Pool of each food as of the last exchange or stock read (for chunk sizing and metrics). */
  readonly pools = new Map<number, number>();

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: AppConfig,
    private readonly scripts: OrderingScripts,
    private readonly recalls: StockRecalls,
  ) {
    recalls.onRecall((food) => void this.giveBackIdle(food));
  }

  /** The lease orders draw on now, if it may be sold from. */
  get current(): StockLedger | undefined {
    const fresh = performance.now() - this.validSince < (this.config.LEASE_TTL_MS * 2) / 3;
    return fresh ? this.ledger : undefined;
  }

  /** The lease this node holds, valid or not (its own: never reclaimed by itself). */
  get leaseId(): string | undefined {
    return this.ledger?.leaseId;
  }

  /** Starts a lease for the dataset's state generation, replacing one of an older state. */
  async sync(version: string, generation: number, renew = false): Promise<void> {
    if (this.stopped) return;
    const same = this.ledger?.generation === generation && this.version === version;
    if (same && !renew) return;
    this.starting ??= this.start(version, generation).finally(() => (this.starting = undefined));
    await this.starting;
  }

  /**
   * Takes all the cart's units from the lease or none. A food short of units is topped up first;
   * if the pool is dry while other nodes hold some, they are asked to give theirs back.
   */
  async take(items: CartItem[]): Promise<Taken | TakeRefusal> {
    for (let round = 0; ; round++) {
      const ledger = this.current ?? (await this.refreshed());
      if (!ledger) return 'NOT_READY';
      const short = ledger.take(items);
      if (short.length === 0) {
        for (const item of items) this.rates.record(item.food_id, item.count);
        return { leaseId: ledger.leaseId, generation: ledger.generation, items };
      }
      if (round > RECALL_WAITS_MS.length) return 'FOOD_OUT_OF_STOCK';
      for (const item of short)
        this.demand.set(item.food_id, (this.demand.get(item.food_id) ?? 0) + item.count);
      const replies = await Promise.all(short.map((item) => this.topUp(ledger, item.food_id)));
      if (replies.some((r) => r?.[0] === 'STALE_GENERATION') && (await this.caughtUp(ledger)))
        continue;
      if (replies.some((r) => r?.[0] !== 'OK' && r?.[0] !== 'STALE')) return 'NOT_READY';
      const lacking = short.filter((item) => ledger.available(item.food_id) < item.count);
      // Covered now, or the pool still has units (other orders took this top-up's): again.
      if (lacking.every((item) => (replies[short.indexOf(item)]?.[2] ?? 0) > 0)) continue;
      // The pool is dry: only other leases may still hold the units.
      const dry = lacking.filter((item) => (replies[short.indexOf(item)]?.[2] ?? 0) === 0);
      if (dry.some((item) => (replies[short.indexOf(item)]?.[3] ?? 0) === 0))
        return 'FOOD_OUT_OF_STOCK';
      this.recalls.ask(
        ledger.leaseId,
        dry.map((item) => item.food_id),
      );
      await sleep(RECALL_WAITS_MS[Math.min(round, RECALL_WAITS_MS.length - 1)]);
    }
  }

  /**
   * Asks the food's pool for what the orders waiting on it lack, or a chunk of recent sales if
   * more (a fair share of the pool at most, so the last units go in small chunks); an exchange in
   * flight is shared, and the orders it does not cover ask again.
   */
  private topUp(ledger: StockLedger, food: number): Promise<AdjustReply | undefined> {
    const inflight = this.inflight.get(food);
    if (inflight) return inflight;
    const pool = this.pools.get(food) ?? 0;
    const chunk = Math.min(targetChunk(this.rates.rate(food)), Math.floor(pool / 4));
    const wanted = this.demand.get(food) ?? 0;
    this.demand.delete(food);
    return this.adjust(ledger, food, Math.max(wanted - ledger.available(food), chunk, 1));
  }

  /** Gives back to the lease the units of an order that will not commit (if the lease still is). */
  untake(taken: Taken): void {
    if (this.ledger?.leaseId === taken.leaseId) this.ledger.untake(taken.items);
  }

  /** The lease's holdings per food, for metrics. */
  holdings(): Map<number, { taken: number; unsold: number }> {
    return this.ledger?.holdings() ?? new Map();
  }

  /**
   * When the node stops, once its last commits have landed: the unsold units go back to the pools
   * and the lease leaves the registry. With `orphans` (orders still in doubt) it stays registered
   * instead, to expire and be reclaimed from what MySQL holds.
   */
  async retire(orphans: boolean): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    const ledger = this.ledger;
    if (!ledger) return;
    try {
      const given = await Promise.all(
        ledger.foods().map((food) => this.adjust(ledger, food, -ledger.available(food))),
      );
      if (orphans || given.some((r) => r?.[0] !== 'OK')) return;
      await this.redis.zrem(OrderingKeys.leases, ledger.leaseId);
      this.logger.log(`Stock lease ${ledger.leaseId} returned to the pools`);
    } catch (error) {
      this.logger.warn(
        `Could not return the stock lease (others reclaim it after LEASE_TTL_MS): ${(error as Error).message}`,
      );
    }
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  private async start(version: string, generation: number): Promise<void> {
    const leaseId = randomBase64url(12);
    this.ledger = undefined;
    if (!(await this.scripts.leaseHeartbeat(leaseId, this.config.LEASE_TTL_MS, 'join'))) return;
    this.validSince = performance.now();
    this.version = version;
    this.ledger = new StockLedger(leaseId, generation);
    this.recalls.listen(version, leaseId);
    if (this.timers.length === 0) {
      const beat = setInterval(
        () => void this.heartbeat(),
        Math.floor(this.config.LEASE_TTL_MS / 3),
      );
      const tick = setInterval(() => void this.tick(), this.config.FOODS_REFRESH_MS);
      this.timers = [beat, tick];
      for (const timer of this.timers) timer.unref();
    }
  }

  /**
   * The state was rebuilt under this lease (Redis had lost it): a new lease of the new generation,
   * without waiting for the next stock refresh. True if orders may go on.
   */
  private async caughtUp(ledger: StockLedger): Promise<boolean> {
    const generation = Number(await this.redis.get(OrderingKeys.orderGeneration).catch(() => null));
    if (!generation || generation === ledger.generation || this.version === undefined) return false;
    await this.sync(this.version, generation);
    return this.current !== undefined;
  }

  /**
   * A lease whose last heartbeat is too old to sell from (Redis was away): one heartbeat now, and
   * the lease again if it still holds (or a new one if it expired meanwhile).
   */
  private async refreshed(): Promise<StockLedger | undefined> {
    if (!this.ledger || this.stopped) return undefined;
    this.beating ??= this.heartbeat().finally(() => (this.beating = undefined));
    await this.beating;
    return this.current;
  }

  private async heartbeat(): Promise<void> {
    const ledger = this.ledger;
    if (!ledger || this.stopped) return;
    const sent = performance.now();
    try {
      if (await this.scripts.leaseHeartbeat(ledger.leaseId, this.config.LEASE_TTL_MS, 'renew')) {
        if (this.ledger === ledger) this.validSince = sent;
        return;
      }
      await this.restart(ledger);
    } catch (error) {
      this.logger.warn(`Stock lease heartbeat failed: ${(error as Error).message}`);
    }
  }

  /** The lease expired or was revoked: orders draw on a new, empty one. */
  private async restart(ledger: StockLedger): Promise<void> {
    if (this.ledger !== ledger || this.version === undefined || this.stopped) return;
    this.logger.warn(`Stock lease ${ledger.leaseId} expired or was revoked: starting a new one`);
    this.validSince = -Infinity;
    await this.sync(this.version, ledger.generation, true);
  }

  /** Top-ups and give-backs by recent sales, and the units taken reported for GET /foods. */
  private async tick(): Promise<void> {
    const ledger = this.current;
    if (!ledger) return;
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
        return change !== 0 || ledger.unreported(food)
          ? this.adjust(ledger, food, change)
          : undefined;
      }),
    );
  }

  /** A recall from another node: units of the food not taken here go back to the pool. */
  private async giveBackIdle(food: number): Promise<void> {
    const ledger = this.current;
    if (ledger && ledger.available(food) > 0 && !this.inflight.has(food))
      await this.adjust(ledger, food, -ledger.available(food));
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
      else if (reply[0] === 'REVOKED' && this.ledger === ledger) void this.restart(ledger);
      return reply;
    } catch (error) {
      this.logger.warn(`Stock exchange for food ${food} failed: ${(error as Error).message}`);
      return undefined;
    } finally {
      ledger.endAdjust(food, sent, reply);
    }
  }
}
