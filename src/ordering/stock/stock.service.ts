import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InDoubtRegistry } from '../../cluster/in-doubt/in-doubt-registry';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { Labels, Metrics } from '../../platform/metrics/metrics.service';
import { mayHaveRun } from '../../platform/redis/redis-errors';
import { askUntilAnswered } from '../../platform/resilience/ask-until-answered';
import { RetryLater } from '../../platform/resilience/retry-later';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { REDIS } from '../../platform/redis/redis.constants';
import { IN_DOUBT_SCOPE, OrderingKeys } from '../ordering-keys';
import { CartItem, parseCart } from './cart-items';
import { StockLeases, Taken } from './stock-leases.service';

/** How long a marker Redis could not take is written again (a Redis restart takes seconds). */
const MARK_AGAIN_FOR_MS = 60_000;

/** Stock taken for an order: the cart as it was when the order read it, from one lease. */
export interface Reservation {
  userId: number;
  orderId: string;
  items: CartItem[];
  /** The lease the units came from: the commit names it, and MySQL refuses it once revoked. */
  taken: Taken;
}

/**
 * An order's stock: one Redis command on the user's slot (the one-order marker and the cart, read
 * together), then the units taken from this node's lease in memory, all or nothing. MySQL's unique
 * `user_id` decides one order per user; the marker, written once an order committed, lets a
 * second order be refused without taking stock.
 */
@Injectable()
export class StockService implements OnApplicationShutdown {
  private readonly logger = new Logger(StockService.name);
  private readonly marksLeft = new RetryLater<{ userId: number; id: string; leaseId?: string }>({
    everyMs: 500,
    forMs: MARK_AGAIN_FOR_MS,
    attempt: async (order) => {
      if (order.leaseId === this.leases.leaseId) await this.mark(order);
    },
    onGiveUp: (order, error) =>
      this.logger.error(
        `User ${order.userId} has order ${order.id} but no one-order marker (${(error as Error).message}): a second order is refused by MySQL instead`,
      ),
  });

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly leases: StockLeases,
    private readonly inDoubt: InDoubtRegistry,
    metrics: Metrics,
  ) {
    const byFood = (units: Iterable<[number, number]>): Array<[Labels, number]> =>
      [...units].map(([food, n]) => [{ food: String(food) }, n]);
    metrics.gaugeFamily(
      'stock_pool_units',
      "Units of each food in its pool, as of this node's last read or exchange with it",
      ['food'],
      () => byFood(this.leases.pools),
      // The workers' views are taken at different moments; the lowest is the one that has seen
      // the latest top-ups, so pool + leased never counts a leased unit twice.
      'min',
    );
    metrics.gaugeFamily(
      'stock_leased_units',
      "Units of each food held unsold by this node's stock lease",
      ['food'],
      () => byFood([...this.leases.holdings()].map(([food, h]) => [food, h.unsold])),
      'sum',
    );
  }

  /** Reads the cart, checks the user has not ordered, takes the units; the contract's refusal otherwise. */
  async reserve(userId: number, orderId: string, cartId: string): Promise<Reservation> {
    const read = () =>
      this.redis.mget(OrderingKeys.orderMarker(userId), OrderingKeys.cart(userId, cartId));
    let marker: string | null;
    let cart: string | null;
    try {
      [marker, cart] = await read();
    } catch (error) {
      // A read changes nothing: with its answer lost on the way (the connection died), it is
      // asked again for a while; refused at once (not connected), the order is a prompt 503.
      if (!mayHaveRun(error)) throw new ServiceUnavailableError(error);
      [marker, cart] = await askUntilAnswered(read).catch((e: unknown) => {
        throw new ServiceUnavailableError(e);
      });
    }
    if (marker !== null) throw DomainError.of(ErrorCode.ORDER_OUT_OF_LIMIT);
    const items = parseCart(cart ?? '');
    if (items.length === 0) throw DomainError.of(ErrorCode.EMPTY_CART);
    const taken = await this.leases.take(items);
    if (taken === 'FOOD_OUT_OF_STOCK') throw DomainError.of(ErrorCode.FOOD_OUT_OF_STOCK);
    if (taken === 'NOT_READY') throw new ServiceUnavailableError('no stock lease to sell from');
    return { userId, orderId, items, taken };
  }

  /** The units of an order that will not commit go back to the lease they came from. */
  untake(reservation: Reservation): void {
    this.leases.untake(reservation.taken);
  }

  /**
   * Marks the users of committed orders. MySQL's unique key is the arbiter, so a marker Redis could
   * not take does not hold the answer up: it is written again once Redis answers (MARK_AGAIN_FOR_MS),
   * while this node still sells from the lease the order came from (a new lease means a new
   * dataset, whose markers the rebuild wrote from MySQL).
   */
  async markOrdered(orders: readonly { userId: number; id: string }[]): Promise<void> {
    const leaseId = this.leases.leaseId;
    await Promise.all(
      orders.map((o) =>
        this.mark(o).catch((e: Error) => {
          this.logger.warn(
            `Could not mark user ${o.userId} as ordered (${e.message}): trying again`,
          );
          this.marksLeft.add(o.id, { ...o, leaseId });
        }),
      ),
    );
  }

  onApplicationShutdown(): void {
    this.marksLeft.stop();
  }

  private async mark(order: { userId: number; id: string }): Promise<void> {
    await this.redis.set(OrderingKeys.orderMarker(order.userId), order.id);
  }

  /**
   * Records, before its client is answered SERVICE_UNAVAILABLE, that an order's commit is in doubt,
   * so that whoever settles it (this node, or the reclaimer of its lease once the node died) takes
   * it back even if it had committed. False if the lease's reclaimer has already read the record.
   */
  markRefusedInDoubt(reservation: Reservation): Promise<boolean> {
    const { taken, orderId } = reservation;
    return this.inDoubt.record(IN_DOUBT_SCOPE, taken.leaseId, orderId);
  }

  /** For the reclaimer of a revoked lease: its orders in doubt, the record closed to additions. */
  async closeInDoubt(leaseId: string): Promise<string[]> {
    return [...(await this.inDoubt.close(IN_DOUBT_SCOPE, leaseId)).keys()];
  }

  settledInDoubt(leaseId: string, orderIds: readonly string[]): Promise<void> {
    return this.inDoubt.settled(IN_DOUBT_SCOPE, leaseId, orderIds);
  }
}
