import { Injectable, Logger } from '@nestjs/common';
import { askUntilAnswered } from '../../platform/resilience/ask-until-answered';
import { isDuplicateKey, mayHaveCommitted } from '../../platform/database/mysql-errors';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { Metrics } from '../../platform/metrics/metrics.service';
import { CartService } from '../cart/cart.service';
import { parseCart } from '../stock/cart-items';
import { FoodCatalog } from '../catalog/food-catalog.service';
import { Reservation, StockService } from '../stock/stock.service';
import { OrderCommitter } from './order-committer.service';
import { newOrderId } from './order-id';
import { OrderRepository, OrderRow, OrderVoidedError } from './order.repository';

@Injectable()
export class OrderService {
  private readonly logger = new Logger(OrderService.name);
  private readonly placing = new Set<string>();
  /**
   * Orders answered SERVICE_UNAVAILABLE whose commit outcome stayed unknown (see OrderReconciler);
   * also recorded in Redis for other nodes (StockService.markRefusedInDoubt).
   */
  private readonly inDoubt = new Set<string>();

  constructor(
    private readonly carts: CartService,
    private readonly stock: StockService,
    private readonly foods: FoodCatalog,
    private readonly committer: OrderCommitter,
    private readonly repository: OrderRepository,
    private readonly metrics: Metrics,
  ) {
    metrics.gauge('orders.inDoubt', () => this.inDoubt.size, {
      metric: 'orders_in_doubt',
      help: 'Orders of this node answered 503 whose commit outcome is not yet settled',
    });
    metrics.counters('orders_placed_total', 'Orders acknowledged (committed in MySQL)', {
      'orders.placed': {},
    });
    metrics.counters(
      'orders_refused_total',
      'POST /orders answered with an error, by code',
      { 'orders.refused': {} },
      ['code'],
    );
  }

  /**
   * Reserve in Redis (one round trip: stock and the one-order marker together), then commit to
   * MySQL (group commit) and only then acknowledge. A failed commit gives the stock back.
   */
  async place(userId: number, cartId: string): Promise<string> {
    try {
      const orderId = await this.placeOnce(userId, cartId);
      this.metrics.inc('orders.placed');
      return orderId;
    } catch (error) {
      const code = error instanceof DomainError ? error.code : ErrorCode.INTERNAL_ERROR;
      this.metrics.inc('orders.refused', 1, { code });
      throw error;
    }
  }

  private async placeOnce(userId: number, cartId: string): Promise<string> {
    const cartKey = this.carts.keyOfOwned(userId, cartId);
    const orderId = newOrderId();
    // From before its Redis step until it is settled one way or the other: a pending order of
    // this node that is not here was orphaned (see OrderReconciler).
    this.placing.add(orderId);
    try {
      const reservation = await this.stock.reserve(userId, orderId, cartKey);
      const items = parseCart(reservation.cart);
      const total = items.reduce(
        (sum, item) => sum + (this.foods.find(item.food_id)?.price ?? 0) * item.count,
        0,
      );
      try {
        await this.committer.commit({
          id: orderId,
          userId,
          items,
          total,
          generation: reservation.generation,
        });
      } catch (error) {
        await this.recover(reservation, error);
      }
      return orderId;
    } finally {
      this.placing.delete(orderId);
    }
  }

  /** Whether this node is still placing the order (its request has not been answered yet). */
  isPlacing(orderId: string): boolean {
    return this.placing.has(orderId);
  }

  /**
   * Whether the order was answered SERVICE_UNAVAILABLE while it may have committed: settling it
   * must then take it back, not keep it. `settledInDoubt` once that is done.
   */
  isInDoubt(orderId: string): boolean {
    return this.inDoubt.has(orderId);
  }

  settledInDoubt(orderId: string): void {
    this.inDoubt.delete(orderId);
  }

  /** The orders in doubt right now (a copy: see OrderReconciler.settleOwnOrphans). */
  inDoubtNow(): string[] {
    return [...this.inDoubt];
  }

  async listOwn(userId: number): Promise<OrderRow[]> {
    return this.read(() => this.repository.findByUser(userId));
  }

  async listAll(): Promise<OrderRow[]> {
    return this.read(() => this.repository.findAll());
  }

  /** Decides what a failed commit means; returns only if the order did commit after all. */
  private async recover(reservation: Reservation, error: unknown): Promise<void> {
    // A reconciler voided it (this node had stalled past its lease) and already gave the stock back,
    // or a rebuild fenced its generation (Redis had lost the state its stock was taken from).
    if (error instanceof OrderVoidedError) {
      this.logger.warn(`Order ${reservation.orderId} was voided before it committed: answered 503`);
      throw new ServiceUnavailableError(error);
    }
    // Unless the error proves the statement never ran (a refused connection, an SQL error), the
    // order may be in MySQL: the connection may have died after the commit, or (a duplicate of
    // its own id) the group it was in committed before. Ask, fencing it if it is not there.
    if (mayHaveCommitted(error) || isDuplicateKey(error, 'PRIMARY')) {
      let committed: boolean;
      try {
        // Whether the order is in MySQL; if not, it is voided so that a statement of it still on
        // its way can insert nothing, and only then may its stock go back on sale.
        committed = await askUntilAnswered(() =>
          this.repository.voidUnlessCommitted(reservation.orderId),
        );
      } catch {
        // In doubt: keep the stock taken (never oversell) and the user marked; the order is
        // answered 503 and stays pending, and this node's reconciler takes it back (voided, and
        // deleted if it had committed) once MySQL answers again. Logged for the operator.
        this.inDoubt.add(reservation.orderId);
        this.logger.error(
          `Order ${reservation.orderId} of user ${reservation.userId} is in doubt: ${(error as Error).message}`,
        );
        // Recorded in Redis too, before the answer: should this node die first, the reconciler
        // that settles its orders must take this one back as well. If Redis cannot take the
        // record, only this node knows (the memory set above), as it did before.
        await this.recordRefusedInDoubt(reservation.orderId);
        throw new ServiceUnavailableError(error);
      }
      if (committed) {
        // Best effort, as after any commit: a pending entry left behind costs one look-up later.
        await this.stock.settle([reservation.orderId]).catch(() => undefined);
        return;
      }
    }
    // The unique key on order.user_id is the database's own backstop for one order per user.
    if (isDuplicateKey(error, 'uq_order_user')) {
      // MySQL already holds an order of this user that Redis did not know of (Redis lost state).
      await this.stock
        .release(reservation.orderId, true)
        .catch((e: Error) => this.logger.error(`Stock release failed: ${e.message}`));
      throw DomainError.of(ErrorCode.ORDER_OUT_OF_LIMIT);
    }
    // MySQL refused the statement (or was unreachable): nothing of the order was written.
    this.logger.error(`Order ${reservation.orderId} failed to commit: ${(error as Error).message}`);
    await this.stock
      .release(reservation.orderId, false)
      .catch((e: Error) => this.logger.error(`Stock release failed: ${e.message}`));
    throw new ServiceUnavailableError(error);
  }

  private async recordRefusedInDoubt(orderId: string): Promise<void> {
    try {
      if (!(await this.stock.markRefusedInDoubt(orderId)))
        // This node stalled past its lease and another node reconciled the order first, which kept
        // it if it had committed: then its client's 503 is wrong, and nothing here can mend that.
        this.logger.error(
          `Order ${orderId} was settled by another node before it was answered SERVICE_UNAVAILABLE in doubt`,
        );
    } catch (e) {
      this.logger.error(
        `Could not record order ${orderId} as refused in doubt: ${(e as Error).message}`,
      );
    }
  }

  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw new ServiceUnavailableError(error);
    }
  }
}
