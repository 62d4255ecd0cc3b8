import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { AppConfig } from '../../platform/config/app-config';
import { DomainError, ServiceUnavailableError } from '../../platform/errors/domain-error';
import { recordOfLostCall } from '../../platform/resilience/lost-answer';
import { ErrorCode } from '../../platform/errors/error-codes';
import { randomBase64url } from '../../platform/random/random-pool';
import { mayHaveRun } from '../../platform/redis/redis-errors';
import { REDIS } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';
import { OrderingScripts } from '../ordering-scripts';
import { FoodCatalog } from '../catalog/food-catalog.service';
import { CartIds } from './cart-ids.service';

/** The contest's rule: at most three items in a cart, counting every unit. */
export const CART_ITEM_LIMIT = 3;

/**
 * How far the nodes' clocks and Redis' may disagree (NTP keeps them far closer): a change's
 * deadline is set on the node's clock and checked on Redis'.
 */
const CLOCK_SKEW_MS = 500;

/** cart-patch.lua's answer for a change that reached Redis after its deadline: nothing applied. */
const TOO_LATE = -1;

@Injectable()
export class CartService {
  constructor(
    private readonly ids: CartIds,
    private readonly foods: FoodCatalog,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly scripts: OrderingScripts,
  ) {}

  /** A new, empty cart. It exists from its id alone: nothing is stored until it is filled. */
  create(userId: number): string {
    return this.ids.issue(userId);
  }

  /** Passes for a cart the user owns; CART_NOT_FOUND or NOT_AUTHORIZED_TO_ACCESS_CART otherwise. */
  checkOwned(userId: number, cartId: string): void {
    const owner = this.ids.open(cartId);
    if (owner === undefined) throw DomainError.of(ErrorCode.CART_NOT_FOUND);
    if (owner !== userId) throw DomainError.of(ErrorCode.NOT_AUTHORIZED_TO_ACCESS_CART);
  }

  /** Checks in the contract's order: cart exists, cart owned, food exists, limit. */
  async addItem(userId: number, cartId: string, foodId: number, count: number): Promise<void> {
    this.checkOwned(userId, cartId);
    if (!this.foods.find(foodId)) throw DomainError.of(ErrorCode.FOOD_NOT_FOUND);
    if (count === 0) return;
    const token = randomBase64url(9);
    // The command's own timeout: past it, the client is answered without the script's word.
    const deadline = Date.now() + this.config.REDIS_COMMAND_TIMEOUT_MS;
    const change = { foodId, count, limit: CART_ITEM_LIMIT, ttlS: this.config.CART_TTL_S };
    let accepted: number;
    try {
      accepted = await this.scripts.cartPatch({ userId, cartId }, change, token, deadline);
    } catch (err) {
      accepted = await this.resultOfLost({ userId, cartId }, token, deadline, err);
    }
    if (accepted === TOO_LATE)
      throw new ServiceUnavailableError('the cart change reached Redis after its deadline');
    if (accepted !== 1) throw DomainError.of(ErrorCode.FOOD_OUT_OF_LIMIT);
  }

  /**
   * The change's answer was lost (the connection died, or Redis did not answer in time): if it may
   * have run, reads what it recorded, so the client is told what happened and a 503 means nothing
   * was applied. It asks only once the change's deadline has passed on Redis' clock too: a change
   * not recorded by then never will be (a late one records TOO_LATE). 503 if it did not run, or if
   * Redis stays unreachable (then a change that ran in time, unseen, may be in the cart).
   */
  private async resultOfLost(
    cart: { userId: number; cartId: string },
    token: string,
    deadline: number,
    error: unknown,
  ): Promise<number> {
    if (!mayHaveRun(error)) throw new ServiceUnavailableError(error);
    await sleep(Math.max(0, deadline + CLOCK_SKEW_MS - Date.now()));
    const record = await recordOfLostCall(error, {
      mayHaveRun: true,
      lookup: () => this.redis.hget(OrderingKeys.cartChange(cart.userId, cart.cartId), token),
    });
    return Number(record);
  }
}
