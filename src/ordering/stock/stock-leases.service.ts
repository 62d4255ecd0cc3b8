import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../../platform/config/app-config';
import { randomBase64url } from '../../platform/random/random-pool';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { REDIS } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';
import { OrderingScripts } from '../ordering-scripts';
import type { CartItem } from './cart-items';
import { StockExchanges } from './stock-exchanges';
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
  private readonly exchanges: StockExchanges;
  private ledger: StockLedger | undefined;
  private validSince = -Infinity;
  private timers: NodeJS.Timeout[] = [];
  private version: string | undefined;
  private starting: Promise<void> | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: AppConfig,
    private readonly scripts: OrderingScripts,
    private readonly recalls: StockRecalls,
  ) {
    this.exchanges = new StockExchanges(scripts, (ledger) => void this.restart(ledger));
    recalls.onRecall((food) => void this.giveBackIdle(food));
  }

  /** Pool of each food as of the last exchange or stock read (for chunk sizing and metrics). */
  get pools(): Map<number, number> {
    return this.exchanges.pools;
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
        this.exchanges.sold(items);
        return { leaseId: ledger.leaseId, generation: ledger.generation, items };
      }
      if (round > RECALL_WAITS_MS.length) return 'FOOD_OUT_OF_STOCK';
      const replies = await this.exchanges.topUp(ledger, short);
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
      this.recalls.ask(dry.map((item) => item.food_id));
      await sleep(RECALL_WAITS_MS[Math.min(round, RECALL_WAITS_MS.length - 1)]);
    }
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
        ledger.foods().map((food) => this.exchanges.giveBack(ledger, food)),
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

  private async tick(): Promise<void> {
    const ledger = this.current;
    if (ledger) await this.exchanges.tick(ledger);
  }

  /** A recall from another node: units of the food not taken here go back to the pool. */
  private async giveBackIdle(food: number): Promise<void> {
    const ledger = this.current;
    if (ledger && ledger.available(food) > 0) await this.exchanges.giveBack(ledger, food);
  }
}
