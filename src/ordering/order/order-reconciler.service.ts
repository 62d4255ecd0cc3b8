import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { AppConfig } from '../../platform/config/app-config';
import { pipelineReplies, redisTimeMs } from '../../platform/redis/redis-errors';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { REDIS } from '../../platform/redis/redis.constants';
import { FoodCatalog } from '../catalog/food-catalog.service';
import { OrderingKeys } from '../ordering-keys';
import { OrderingScripts } from '../ordering-scripts';
import { StockLeases } from '../stock/stock-leases.service';
import { StockService } from '../stock/stock.service';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';

/**
 * Settles what orders leave behind when their node cannot:
 * - This node's orders answered 503 while their commit was in doubt: once MySQL answers, each is
 *   taken back (voided, and deleted if it had committed, since its client was told it failed) and
 *   its units go back to the lease.
 * - Stock leases whose heartbeat expired on Redis' clock (their node died, or stalled past
 *   LEASE_TTL_MS): revoked, their orders in doubt taken back, fenced in MySQL so that a paused
 *   node's late commit on them inserts nothing, and then every food gets back the lease's grant
 *   minus what MySQL holds in committed orders of that lease. Every step is idempotent and a
 *   revoked lease stays listed until it is done, so two sweepers, or one that dies half-way, do
 *   no harm.
 * Every node sweeps every third of LEASE_TTL_MS.
 */
@Injectable()
export class OrderReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrderReconciler.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly stock: StockService,
    private readonly leases: StockLeases,
    private readonly scripts: OrderingScripts,
    private readonly foods: FoodCatalog,
    private readonly repository: OrderRepository,
    private readonly orders: OrderService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.sweep(),
      Math.max(250, Math.floor(this.config.LEASE_TTL_MS / 3)),
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.settleOwnInDoubt();
      for (const leaseId of await this.revokedLeases()) await this.reclaim(leaseId);
    } catch (error) {
      this.logger.warn(`Reconciling failed (retried shortly): ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  private async settleOwnInDoubt(): Promise<void> {
    for (const reservation of this.orders.inDoubtNow()) {
      // This node stalled past its lease and another node reclaimed it, taking back its orders
      // in doubt on the way: nothing is left to do, with MySQL or without.
      if (await this.wasReclaimed(reservation.taken.leaseId)) {
        this.orders.settledInDoubt(reservation);
        continue;
      }
      await this.takeBack(reservation.orderId);
      await this.stock.settledInDoubt(reservation.taken.leaseId, [reservation.orderId]);
      this.orders.settledInDoubt(reservation);
    }
  }

  /** Whether a lease of this node's was revoked and reclaimed by another node. */
  private async wasReclaimed(leaseId: string): Promise<boolean> {
    if (leaseId === this.leases.leaseId) return false;
    const [expiry, revoked] = pipelineReplies(
      await this.redis
        .multi()
        .zscore(OrderingKeys.leases, leaseId)
        .sismember(OrderingKeys.leasesRevoked, leaseId)
        .exec(),
    ) as [string | null, number];
    return expiry === null && revoked === 0;
  }

  /**
   * Leases revoked before, and those whose expiry passed, revoked now; this node's current lease
   * is never revoked here (it may only be stale for a moment: its own heartbeat decides).
   */
  private async revokedLeases(): Promise<string[]> {
    const [time, registry, revoked] = pipelineReplies(
      await this.redis
        .multi()
        .time()
        .zrange(OrderingKeys.leases, 0, -1, 'WITHSCORES')
        .smembers(OrderingKeys.leasesRevoked)
        .exec(),
    ) as [[string, string], string[], string[]];
    const now = redisTimeMs(time);
    const own = this.leases.leaseId;
    const expired: string[] = [];
    for (let i = 0; i < registry.length; i += 2)
      if (Number(registry[i + 1]) < now && registry[i] !== own) expired.push(registry[i]);
    for (const leaseId of expired)
      if (await this.scripts.leaseRevoke(leaseId)) revoked.push(leaseId);
    return [...new Set(revoked)];
  }

  private async reclaim(leaseId: string): Promise<void> {
    // Fenced first: no commit of the lease lands after this, so no order of it can be put in
    // doubt later than the record is read (and closed) below.
    await this.repository.fenceLease(leaseId);
    const inDoubt = await this.stock.closeInDoubt(leaseId);
    for (const orderId of inDoubt) await this.takeBack(orderId);
    const sold = await this.repository.soldOnLease(leaseId);
    let returned = 0;
    for (const food of this.foods.all())
      returned += await this.scripts.leaseReclaim(food.id, leaseId, sold.units.get(food.id) ?? 0);
    // Its node may have died between a commit and the user's marker (a cache, written after).
    await this.stock.markOrdered(sold.orders);
    await this.redis.srem(OrderingKeys.leasesRevoked, leaseId);
    this.logger.warn(
      `Reclaimed the expired stock lease ${leaseId}: ${returned} units back in the pools` +
        (inDoubt.length > 0 ? `, ${inDoubt.length} orders in doubt taken back` : ''),
    );
  }

  /** An order answered 503 in doubt: voided, deleted if it had committed. */
  private async takeBack(orderId: string): Promise<void> {
    if (await this.repository.takeBack(orderId))
      this.logger.warn(
        `Order ${orderId} had committed though answered SERVICE_UNAVAILABLE: taken back`,
      );
  }
}
