import { Inject, Injectable, Logger } from '@nestjs/common';
import { InDoubtRegistry } from '../../cluster/in-doubt/in-doubt-registry';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { ErrorCode } from '../../platform/errors/error-codes';
import { Labels, Metrics } from '../../platform/metrics/metrics.service';
import { mayHaveRun } from '../../platform/redis/redis-errors';
import { askUntilAnswered } from '../../platform/resilience/ask-until-answered';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { REDIS } from '../../platform/redis/redis.constants';
import { IN_DOUBT_SCOPE, OrderingKeys } from '../ordering-keys';
import { CartItem, parseCart } from './cart-items';
import { StockLeases, Taken } from './stock-leases.service';

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
export class StockService {
  private readonly logger = new Logger(StockService.name);

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

  /** Marks the users of committed orders (best effort: MySQL's unique key is the arbiter). */
  async markOrdered(orders: readonly { userId: number; id: string }[]): Promise<void> {
    await Promise.all(
      orders.map((o) =>
        this.redis
          .set(OrderingKeys.orderMarker(o.userId), o.id)
          .catch((e: Error) => this.logger.warn(`Could not mark user ${o.userId}: ${e.message}`)),
      ),
    );
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
