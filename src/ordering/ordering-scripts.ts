import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '../platform/redis/redis.constants';
import { ClusterKeys } from '../cluster/cluster-keys';
import { REDIS } from '../platform/redis/redis.constants';
import { runScript } from '../platform/redis/redis-scripts';
import { OrderingKeys } from './ordering-keys';

/**
 * order-place.lua's answer: `OK` with the cart taken and the state's generation; a refusal
 * (nothing written); `RETRY_WITH_LEASES` when the pool is dry and other nodes' leases must be
 * passed too; `NOT_READY` while the state is being rebuilt.
 */
export type PlaceReply = [status: string, cart?: string, generation?: string];

/** Who is placing an order: the node whose lease and pending orders it uses. */
export interface OrderPlacer {
  readonly nodeId: string;
  readonly leaseRegistry: string;
  readonly ownLease: string;
}

/**
 * The ordering context's Lua scripts as typed calls: each method owns its script's key list and
 * the type of its reply, so callers pass only what varies. See each script's header for its steps.
 */
@Injectable()
export class OrderingScripts {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /**
   * Checks the user has not ordered and every food of the cart is covered (the node's lease, then
   * the pool, then `otherLeases` when given), takes it all and marks the user and the order pending.
   */
  place(
    placer: OrderPlacer,
    order: { version: string; userId: number; orderId: string; cartKey: string },
    otherLeases: readonly string[] = [],
  ): Promise<PlaceReply> {
    const keys = [
      OrderingKeys.orderDataset,
      ClusterKeys.stockPool,
      OrderingKeys.orderMarkers,
      order.cartKey,
      placer.leaseRegistry,
      placer.ownLease,
      OrderingKeys.pendingOrders(placer.nodeId),
      OrderingKeys.pendingNodes,
      OrderingKeys.orderGeneration,
      ...otherLeases,
    ];
    return runScript(this.redis, 'order-place', keys, [
      order.version,
      order.userId,
      order.orderId,
      placer.nodeId,
    ]);
  }

  /** Gives a pending order's stock back to the pool (and its marker unless `keepMarker`): 1 if it was pending. */
  async release(nodeId: string, orderId: string, keepMarker: boolean): Promise<boolean> {
    const keys = [
      ClusterKeys.stockPool,
      OrderingKeys.orderMarkers,
      OrderingKeys.pendingOrders(nodeId),
      OrderingKeys.ordersRefusedInDoubt,
    ];
    const released = await runScript<number>(this.redis, 'order-release', keys, [
      orderId,
      keepMarker ? '1' : '0',
    ]);
    return released === 1;
  }

  /** Flags a pending order as answered SERVICE_UNAVAILABLE in doubt; false if it is no longer pending. */
  async refuseInDoubt(nodeId: string, orderId: string): Promise<boolean> {
    const keys = [OrderingKeys.pendingOrders(nodeId), OrderingKeys.ordersRefusedInDoubt];
    return (await runScript<number>(this.redis, 'order-refuse-in-doubt', keys, [orderId])) === 1;
  }

  /** Drops a node from the nodes with pending orders, if it has none left. */
  async forgetPendingNode(nodeId: string): Promise<void> {
    const keys = [OrderingKeys.pendingNodes, OrderingKeys.pendingOrders(nodeId)];
    await runScript(this.redis, 'pending-forget', keys, [nodeId]);
  }

  /**
   * Adds `count` of a food to a cart within the item limit, recording the result under `token`
   * unless Redis' clock is past `deadline`: 1 applied, 0 over the limit, or the script's TOO_LATE.
   */
  cartPatch(
    cartId: string,
    change: { foodId: number; count: number; limit: number; ttlS: number },
    token: string,
    deadline: number,
  ): Promise<number> {
    const keys = [OrderingKeys.cart(cartId), OrderingKeys.cartChange(cartId)];
    const { foodId, count, limit, ttlS } = change;
    return runScript(this.redis, 'cart-patch', keys, [foodId, count, limit, ttlS, token, deadline]);
  }

  /** Claims the rebuild of the ordering state for `version` for `claimMs`: true if this caller holds it. */
  async claimRebuild(version: string, token: string, claimMs: number): Promise<boolean> {
    const keys = [OrderingKeys.orderDataset, OrderingKeys.orderRebuildClaim];
    return (
      (await runScript<number>(this.redis, 'order-state-claim', keys, [
        version,
        token,
        claimMs,
      ])) === 1
    );
  }

  /**
   * Installs a rebuilt state: generation, stock left per food, users' markers; true if the claim
   * `token` still held. `args` is version, generation, token, n, then n × (food, stock), then
   * (user, order) pairs, as order-state-init.lua reads them.
   */
  async installState(args: readonly (string | number)[]): Promise<boolean> {
    const keys = [
      OrderingKeys.orderDataset,
      ClusterKeys.stockPool,
      OrderingKeys.orderMarkers,
      ClusterKeys.stockLeases,
      OrderingKeys.orderGeneration,
      OrderingKeys.orderRebuildClaim,
    ];
    return (await runScript<number>(this.redis, 'order-state-init', keys, args)) === 1;
  }

  /** Gives up a rebuild claim held with `token`. */
  async unclaimRebuild(token: string): Promise<void> {
    await runScript(this.redis, 'order-state-unclaim', [OrderingKeys.orderRebuildClaim], [token]);
  }
}
