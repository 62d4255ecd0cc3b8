import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { StockLeaseService } from '../../cluster/leases/stock-lease.service';
import { DatasetService } from '../../platform/dataset/dataset.service';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { recordOfLostCall } from '../../platform/resilience/lost-answer';
import { ErrorCode } from '../../platform/errors/error-codes';
import { mayHaveRun, pipelineReplies } from '../../platform/redis/redis-errors';
import { REDIS } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';
import { OrderPlacer, OrderingScripts, PlaceReply } from '../ordering-scripts';
import { Labels, Metrics } from '../../platform/metrics/metrics.service';
import { parseCart } from './cart-items';

const REFUSALS: Readonly<Record<string, ErrorCode>> = {
  ORDER_OUT_OF_LIMIT: ErrorCode.ORDER_OUT_OF_LIMIT,
  EMPTY_CART: ErrorCode.EMPTY_CART,
  FOOD_OUT_OF_STOCK: ErrorCode.FOOD_OUT_OF_STOCK,
};

/** Stock taken for an order: the cart as it was when the order took it. */
export interface Reservation {
  userId: number;
  orderId: string;
  cart: string;
  /** Generation of the ordering state the stock was taken from: the commit must carry it. */
  generation: number;
}

/** Takes and gives back stock in the shared pool, atomically with the one-order-per-user marker. */
@Injectable()
export class StockService {
  /** This node, as every order it places names it (fixed for the process). */
  private readonly placer: OrderPlacer;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly dataset: DatasetService,
    private readonly leases: StockLeaseService,
    private readonly scripts: OrderingScripts,
    metrics: Metrics,
  ) {
    this.placer = {
      nodeId: leases.id,
      leaseRegistry: leases.keys.registry,
      ownLease: leases.keys.own,
    };
    const byFood = (units: ReadonlyMap<number, number>): Array<[Labels, number]> =>
      [...units].map(([food, n]) => [{ food: String(food) }, n]);
    metrics.gaugeFamily(
      'stock_pool_units',
      "Units of each food in the shared pool, as of this node's last lease renewal",
      ['food'],
      () => byFood(this.leases.holdings().pool),
      'max',
    );
    metrics.gaugeFamily(
      'stock_leased_units',
      "Units of each food held unsold by this node's leases, as of their last renewal",
      ['food'],
      () => byFood(this.leases.holdings().unsold),
      'sum',
    );
  }

  /**
   * One Redis round trip in the common case: checks the user has not ordered and that every food
   * in the cart is covered (this node's lease first, then the pool), then takes it all, records
   * the sale against the lease and marks the user. Only when the pool is dry and other nodes hold
   * leases does a second call let the script take their unsold units, so no unit is stranded.
   * Throws the contract's refusal otherwise.
   */
  async reserve(userId: number, orderId: string, cartKey: string): Promise<Reservation> {
    const version = this.dataset.current?.version;
    if (version === undefined) throw new ServiceUnavailableError();
    const order = { version, userId, orderId, cartKey };
    let result: PlaceReply;
    try {
      result = await this.scripts.place(this.placer, order);
      if (result[0] === 'RETRY_WITH_LEASES')
        result = await this.scripts.place(this.placer, order, await this.leases.allLeaseKeys());
    } catch (err) {
      result = await this.resultOfLost(orderId, err);
    }
    const [status, cart, generation] = result;
    if (status === 'OK' && cart !== undefined) {
      for (const item of parseCart(cart)) this.leases.recordSale(item.food_id, item.count);
      return { userId, orderId, cart, generation: Number(generation ?? 0) };
    }
    const refusal = REFUSALS[status];
    // NOT_READY: RedisClient lost its state and the catalog refresh is rebuilding it; RETRY_WITH_LEASES
    // cannot come back from a call that passed every lease.
    throw refusal ? DomainError.of(refusal) : new ServiceUnavailableError(status);
  }

  /**
   * The order script's answer was lost with the connection. If it took the stock, it left the
   * order among this node's pending ones, with its cart: then the order goes on to its commit.
   * If it did not (or refused, which changes nothing), the client gets a 503 with nothing applied.
   * If Redis stays unreachable, a 503 too, and this node's reconciler settles the order later.
   */
  private async resultOfLost(orderId: string, error: unknown): Promise<PlaceReply> {
    // Read together: a state that still holds the entry is the one the stock was taken from.
    const [entry, generation] = await recordOfLostCall(error, {
      mayHaveRun: mayHaveRun(error),
      lookup: async () => {
        const [pending, current] = pipelineReplies(
          await this.redis
            .multi()
            .hget(this.pendingKey, orderId)
            .get(OrderingKeys.orderGeneration)
            .exec(),
        ) as [string | null, string | null];
        return pending === null ? null : ([pending, current] as const);
      },
    });
    // "userId|cart", as order-place.lua wrote it.
    return ['OK', entry.slice(entry.indexOf('|') + 1), generation ?? '0'];
  }

  /**
   * Gives back the stock of an order that will not commit, to the pool (wherever it came from: the
   * total is what must be conserved). `keepMarker` when MySQL turned out to hold another order of
   * the user. `nodeId` names the node that took it (another one when reconciling a dead node).
   * Safe to call twice: returns false if the order was no longer pending. Clears the order's
   * refused-in-doubt flag in the same step (see markRefusedInDoubt).
   */
  release(orderId: string, keepMarker: boolean, nodeId = this.leases.id): Promise<boolean> {
    return this.scripts.release(nodeId, orderId, keepMarker);
  }

  /** Orders known committed need no reconciling any more. */
  async settle(orderIds: readonly string[], nodeId = this.leases.id): Promise<void> {
    if (orderIds.length > 0) await this.redis.hdel(OrderingKeys.pendingOrders(nodeId), ...orderIds);
  }

  /**
   * Records, before its client is answered SERVICE_UNAVAILABLE, that an order's commit is in doubt,
   * so that the order is taken back (not kept) by whoever settles it, this node or another one
   * after this node died. Only while the order is pending (atomically checked), so no flag outlives
   * its order; returns false if another node settled it already (this one had stalled).
   */
  markRefusedInDoubt(orderId: string): Promise<boolean> {
    return this.scripts.refuseInDoubt(this.leases.id, orderId);
  }

  /** Which of `orderIds` were answered SERVICE_UNAVAILABLE in doubt (see markRefusedInDoubt). */
  async refusedInDoubt(orderIds: readonly string[]): Promise<Set<string>> {
    if (orderIds.length === 0) return new Set();
    const flags = await this.redis.smismember(OrderingKeys.ordersRefusedInDoubt, ...orderIds);
    return new Set(orderIds.filter((_, i) => flags[i] === 1));
  }

  /** Ids of the orders a node took in Redis without (yet) seeing them committed. */
  async pendingOf(nodeId: string): Promise<string[]> {
    return this.redis.hkeys(OrderingKeys.pendingOrders(nodeId));
  }

  /** Nodes that may have pending orders. */
  async nodesWithPending(): Promise<string[]> {
    return this.redis.smembers(OrderingKeys.pendingNodes);
  }

  /** Drops a node from {@link nodesWithPending} once it has none left (atomically checked). */
  forgetNode(nodeId: string): Promise<void> {
    return this.scripts.forgetPendingNode(nodeId);
  }

  private get pendingKey(): string {
    return OrderingKeys.pendingOrders(this.leases.id);
  }
}
