import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '../platform/redis/redis.constants';
import { REDIS } from '../platform/redis/redis.constants';
import { runScript } from '../platform/redis/redis-scripts';
import { OrderingKeys } from './ordering-keys';

/** lease-adjust.lua's answer: see the script's header. */
export type AdjustReply =
  | [status: 'OK' | 'STALE', grant: number, pool: number, othersUnsold: number]
  | [status: 'REVOKED' | 'NOT_READY' | 'STALE_GENERATION'];

/** A node's exchange with one food's stock, as lease-adjust.lua takes it. */
export interface LeaseAdjustment {
  leaseId: string;
  generation: number;
  /** The grant the node believes it holds, or -1 if it does not know (a lost answer). */
  believedGrant: number;
  /** Units to take from the pool (> 0) or give back (< 0). */
  change: number;
  /** Units of the grant taken by the node's orders so far. */
  taken: number;
}

/**
 * The ordering context's Lua scripts as typed calls: each method owns its script's key list and
 * the type of its reply, so callers pass only what varies. See each script's header for its steps.
 * Every script touches the keys of one slot.
 */
@Injectable()
export class OrderingScripts {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  /**
   * Adds `count` of a food to a cart within the item limit, recording the result under `token`
   * unless Redis' clock is past `deadline`: 1 applied, 0 over the limit, or the script's TOO_LATE.
   */
  cartPatch(
    cart: { userId: number; cartId: string },
    change: { foodId: number; count: number; limit: number; ttlS: number },
    token: string,
    deadline: number,
  ): Promise<number> {
    const keys = [
      OrderingKeys.cart(cart.userId, cart.cartId),
      OrderingKeys.cartChange(cart.userId, cart.cartId),
    ];
    const { foodId, count, limit, ttlS } = change;
    return runScript(this.redis, 'cart-patch', keys, [foodId, count, limit, ttlS, token, deadline]);
  }

  /** Reports a lease's units taken of a food and tops the grant up or gives some back. */
  async leaseAdjust(foodId: number, a: LeaseAdjustment): Promise<AdjustReply> {
    const reply = await runScript<(string | number)[]>(
      this.redis,
      'lease-adjust',
      [OrderingKeys.foodStock(foodId)],
      [a.leaseId, a.generation, a.believedGrant, a.change, a.taken],
    );
    return reply.map((v, i) => (i === 0 ? v : Number(v))) as AdjustReply;
  }

  /** Puts back in a food's pool what a revoked lease holds unsold; returns the units put back. */
  leaseReclaim(foodId: number, leaseId: string, sold: number): Promise<number> {
    return runScript(
      this.redis,
      'lease-reclaim',
      [OrderingKeys.foodStock(foodId)],
      [leaseId, sold],
    );
  }

  /** Registers (`join`) or extends (`renew`) a lease; false if it is not valid (any more). */
  async leaseHeartbeat(leaseId: string, ttlMs: number, mode: 'join' | 'renew'): Promise<boolean> {
    const keys = [OrderingKeys.leases, OrderingKeys.leasesRevoked];
    return (
      (await runScript<number>(this.redis, 'lease-heartbeat', keys, [leaseId, ttlMs, mode])) === 1
    );
  }

  /** Revokes a lease whose expiry passed; false if it is still valid. */
  async leaseRevoke(leaseId: string): Promise<boolean> {
    const keys = [OrderingKeys.leases, OrderingKeys.leasesRevoked];
    return (await runScript<number>(this.redis, 'lease-revoke', keys, [leaseId])) === 1;
  }

  /** Installs a food's stock for a generation (never over a newer one's); true if installed. */
  async foodStockInit(foodId: number, generation: number, units: number): Promise<boolean> {
    const keys = [OrderingKeys.foodStock(foodId)];
    return (
      (await runScript<number>(this.redis, 'food-stock-init', keys, [generation, units])) === 1
    );
  }

  /**
   * Claims the rebuild of the ordering state for `version` for `claimMs`: true if this caller
   * holds it. `force` claims it even though the version is in place (a food's stock is missing).
   */
  async claimRebuild(
    version: string,
    token: string,
    claimMs: number,
    force = false,
  ): Promise<boolean> {
    const keys = [OrderingKeys.orderDataset, OrderingKeys.orderRebuildClaim];
    const args = [version, token, claimMs, force ? 'force' : ''];
    return (await runScript<number>(this.redis, 'order-state-claim', keys, args)) === 1;
  }

  /** Completes a rebuild: generation and version, if the claim `token` still holds. */
  async installState(version: string, generation: number, token: string): Promise<boolean> {
    const keys = [
      OrderingKeys.orderDataset,
      OrderingKeys.orderGeneration,
      OrderingKeys.orderRebuildClaim,
    ];
    const args = [version, generation, token];
    return (await runScript<number>(this.redis, 'order-state-install', keys, args)) === 1;
  }

  /** Gives up a rebuild claim held with `token`. */
  async unclaimRebuild(token: string): Promise<void> {
    await runScript(this.redis, 'order-state-unclaim', [OrderingKeys.orderRebuildClaim], [token]);
  }
}
