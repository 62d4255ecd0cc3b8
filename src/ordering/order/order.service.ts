import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { askUntilAnswered } from '../../platform/resilience/ask-until-answered';
import { isDuplicateKey, mayHaveCommitted } from '../../platform/database/mysql-errors';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { Metrics } from '../../platform/metrics/metrics.service';
import { CartService } from '../cart/cart.service';
import { FoodCatalog } from '../catalog/food-catalog.service';
import { StockLeases } from '../stock/stock-leases.service';
import { Reservation, StockService } from '../stock/stock.service';
import { OrderCommitter } from './order-committer.service';
import { newOrderId } from './order-id';
import { OrderRepository, OrderRow, OrderVoidedError } from './order.repository';

@Injectable()
export class OrderService implements OnApplicationShutdown {
  private readonly logger = new Logger(OrderService.name);
  /**
   * Orders answered SERVICE_UNAVAILABLE whose commit outcome stayed unknown, with the units they
   * hold (see OrderReconciler); also recorded in Redis for other nodes (StockService.markRefusedInDoubt).
   */
  private readonly inDoubt = new Map<string, Reservation>();

  constructor(
    private readonly carts: CartService,
    private readonly stock: StockService,
    private readonly leases: StockLeases,
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
   * Reserve (one Redis command on the user's slot, the units from this node's lease in memory),
   * then commit to MySQL (group commit) and only then acknowledge. A failed commit gives the
   * units back to the lease.
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
    this.carts.checkOwned(userId, cartId);
    const orderId = newOrderId();
    const reservation = await this.stock.reserve(userId, orderId, cartId);
    const { items, taken } = reservation;
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
        generation: taken.generation,
        leaseId: taken.leaseId,
      });
    } catch (error) {
      await this.recover(reservation, error);
    }
    return orderId;
  }

  /** The orders in doubt right now, with what they hold (a copy: see OrderReconciler). */
  inDoubtNow(): Reservation[] {
    return [...this.inDoubt.values()];
  }

  /** An order in doubt was taken back in MySQL: its units go back to the lease. */
  settledInDoubt(reservation: Reservation): void {
    if (this.inDoubt.delete(reservation.orderId)) this.stock.untake(reservation);
  }

  /**
   * On SIGTERM, once the HTTP server has stopped: the last groups commit, then the lease's unsold
   * units go back to the pools (unless orders are still in doubt: then the lease expires and is
   * reclaimed from what MySQL holds).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.committer.drain();
    await this.leases.retire(this.inDoubt.size > 0);
  }

  async listOwn(userId: number): Promise<OrderRow[]> {
    return this.read(() => this.repository.findByUser(userId));
  }

  async listAll(): Promise<OrderRow[]> {
    return this.read(() => this.repository.findAll());
  }

  /** Decides what a failed commit means; returns only if the order did commit after all. */
  private async recover(reservation: Reservation, error: unknown): Promise<void> {
    // A reconciler fenced its lease (this node had stalled past it) or voided it, or a rebuild
    // fenced its generation (Redis had lost the state its stock was taken from).
    if (error instanceof OrderVoidedError) {
      this.logger.warn(`${error.message}: answered 503`);
      this.stock.untake(reservation);
      // The state the lease sells from is dead in MySQL: should it still be the live one in
      // Redis (its rebuilder fenced it, then failed to install the next), every order would be
      // refused until it is replaced.
      if (error.by === 'generation') this.foods.repairFenced(reservation.taken.generation);
      throw new ServiceUnavailableError(error);
    }
    // Unless the error proves the statement never ran (a refused connection, an SQL error), the
    // order may be in MySQL: the connection may have died after the commit, or (a duplicate of
    // its own id) the group it was in committed before. Ask, fencing it if it is not there.
    if (mayHaveCommitted(error) || isDuplicateKey(error, 'PRIMARY')) {
      let committed: boolean;
      try {
        // Whether the order is in MySQL; if not, it is voided so that a statement of it still on
        // its way can insert nothing, and only then may its units go back on sale.
        committed = await askUntilAnswered(() =>
          this.repository.voidUnlessCommitted(reservation.orderId),
        );
      } catch {
        // In doubt: keep the units taken (never oversell); the order is answered 503 and this
        // node's reconciler takes it back (voided, and deleted if it had committed) once MySQL
        // answers again. Logged for the operator.
        this.inDoubt.set(reservation.orderId, reservation);
        this.logger.error(
          `Order ${reservation.orderId} of user ${reservation.userId} is in doubt: ${(error as Error).message}`,
        );
        // Recorded in Redis too, before the answer: should this node die first, the reconciler
        // of its lease must take this one back as well. If Redis cannot take the record, only
        // this node knows (the map above).
        await this.recordRefusedInDoubt(reservation);
        throw new ServiceUnavailableError(error);
      }
      if (committed) {
        await this.stock.markOrdered([{ userId: reservation.userId, id: reservation.orderId }]);
        return;
      }
    }
    this.stock.untake(reservation);
    // The unique key on order.user_id is the arbiter of one order per user.
    if (isDuplicateKey(error, 'uq_order_user')) throw DomainError.of(ErrorCode.ORDER_OUT_OF_LIMIT);
    // MySQL refused the statement (or was unreachable): nothing of the order was written.
    this.logger.error(`Order ${reservation.orderId} failed to commit: ${(error as Error).message}`);
    throw new ServiceUnavailableError(error);
  }

  private async recordRefusedInDoubt(reservation: Reservation): Promise<void> {
    const { orderId } = reservation;
    try {
      if (!(await this.stock.markRefusedInDoubt(reservation)))
        // This node stalled past its lease and another node reclaimed it first, which kept the
        // order if it had committed: then its client's 503 is wrong, and nothing here can mend it.
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
