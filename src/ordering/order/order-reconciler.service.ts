import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NodeIdentity } from '../../cluster/membership/node-identity';
import { NodeRegistry } from '../../cluster/membership/node-registry.service';
import { AppConfig } from '../../platform/config/app-config';
import { StockService } from '../stock/stock.service';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';

/**
 * Settles the orders a dead node left between taking stock in Redis and seeing its commit: each
 * one either committed (kept) or is voided in MySQL, which fences a commit that might still come
 * from a node that was only paused, and its stock goes back to sale with its user free to order.
 * Every node sweeps; a node counts as dead once its heartbeat expired (NodeRegistry, LEASE_TTL_MS), and every
 * step is idempotent, so two nodes sweeping the same dead node do no harm.
 *
 * A live node also leaves orphans of its own: an order whose Redis step ran but whose answer was
 * lost and could not be looked up (StockService.reserve), or whose commit stayed in doubt while
 * MySQL could not be asked. Its request was answered 503, yet its stock and its user's marker are
 * taken. A pending order of this node that it is not placing, seen in two sweeps in a row, is
 * settled the same way, except that one whose commit was in doubt is taken back even if it had
 * committed (its client was told it failed). Its node records such an order in Redis before the
 * answer, so a reconciler of a node that died takes it back too; only one whose record Redis
 * could not take is kept by them, as they cannot tell it from one whose answer was a 200.
 */
@Injectable()
export class OrderReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrderReconciler.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  /** Own pending orders not being placed at the last sweep. */
  private suspects = new Set<string>();

  constructor(
    private readonly stock: StockService,
    private readonly repository: OrderRepository,
    private readonly node: NodeIdentity,
    private readonly registry: NodeRegistry,
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
      await this.settleOwnOrphans();
      const nodes = (await this.stock.nodesWithPending()).filter((id) => id !== this.node.id);
      if (nodes.length === 0) return;
      const alive = await this.registry.alive(nodes);
      for (const nodeId of nodes.filter((id) => !alive.has(id))) await this.reconcile(nodeId);
    } catch (error) {
      this.logger.warn(
        `Reconciling pending orders failed (retried shortly): ${(error as Error).message}`,
      );
    } finally {
      this.sweeping = false;
    }
  }

  private async reconcile(nodeId: string): Promise<void> {
    const pending = await this.stock.pendingOf(nodeId);
    const refused = await this.stock.refusedInDoubt(pending);
    let voided = 0;
    for (const orderId of pending) {
      if (refused.has(orderId)) {
        await this.takeBack(orderId, nodeId);
        voided++;
      } else if (await this.settleOrder(orderId, nodeId)) voided++;
    }
    await this.stock.forgetNode(nodeId);
    if (pending.length > 0)
      this.logger.warn(
        `Reconciled ${pending.length} pending orders of ${nodeId}: ${voided} voided, their stock back on sale`,
      );
  }

  private async settleOwnOrphans(): Promise<void> {
    const own = this.node.id;
    // Taken before reading the pending orders: an order in doubt stays pending until it is
    // released, so one of these that is no longer pending was settled elsewhere (another node
    // reconciled this one while it was paused past its lease) and is forgotten here too. One
    // put in doubt after this line may not be in `pending` yet, hence not the live set.
    const inDoubt = this.orders.inDoubtNow();
    const pending = await this.stock.pendingOf(own);
    const stillPending = new Set(pending);
    for (const orderId of inDoubt)
      if (!stillPending.has(orderId)) this.orders.settledInDoubt(orderId);
    const orphans = pending.filter((orderId) => !this.orders.isPlacing(orderId));
    const ripe = orphans.filter((orderId) => this.suspects.has(orderId));
    this.suspects = new Set(orphans);
    const refused = await this.stock.refusedInDoubt(ripe);
    let voided = 0;
    for (const orderId of ripe) {
      if (this.orders.isInDoubt(orderId) || refused.has(orderId)) {
        await this.takeBack(orderId);
        voided++;
      } else if (await this.settleOrder(orderId, own)) voided++;
      this.suspects.delete(orderId);
    }
    if (ripe.length > 0)
      this.logger.warn(
        `Settled ${ripe.length} orphaned orders of this node: ${voided} voided, their stock back on sale`,
      );
  }

  /** An order answered 503 in doubt: voided, deleted if it had committed, its stock given back. */
  private async takeBack(orderId: string, nodeId = this.node.id): Promise<void> {
    if (await this.repository.takeBack(orderId))
      this.logger.warn(
        `Order ${orderId} had committed though answered SERVICE_UNAVAILABLE: taken back`,
      );
    // Clears its refused-in-doubt record in the same step.
    await this.stock.release(orderId, false, nodeId);
    this.orders.settledInDoubt(orderId);
  }

  /** Keeps a committed order, or voids it and gives its stock back; true if it was voided now. */
  private async settleOrder(orderId: string, nodeId: string): Promise<boolean> {
    if (await this.repository.voidUnlessCommitted(orderId)) {
      await this.stock.settle([orderId], nodeId);
      return false;
    }
    return this.stock.release(orderId, false, nodeId);
  }
}
