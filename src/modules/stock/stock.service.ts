import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DatasetService } from '../../infra/dataset/dataset.service';
import { DomainError, ServiceUnavailableError } from '../../infra/errors/domain-error';
import { ErrorCode } from '../../infra/errors/error-codes';
import { REDIS } from '../../infra/redis/redis.constants';
import { RedisKeys } from '../../infra/redis/redis-keys';
import { runScript } from '../../infra/redis/redis-scripts';

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
}

/** Takes and gives back stock in the shared pool, atomically with the one-order-per-user marker. */
@Injectable()
export class StockService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly dataset: DatasetService,
  ) {}

  /**
   * One Redis round trip: checks the user has not ordered, that every food in the cart has the
   * stock, then takes it all and marks the user. Throws the contract's refusal otherwise.
   */
  async reserve(userId: number, orderId: string, cartKey: string): Promise<Reservation> {
    const version = this.dataset.current?.version;
    if (version === undefined) throw new ServiceUnavailableError();
    let result: [string, string?];
    try {
      result = await runScript(this.redis, 'order-place', [RedisKeys.orderDataset, RedisKeys.stockPool, RedisKeys.orderMarkers, cartKey], [version, userId, orderId]);
    } catch (err) {
      throw new ServiceUnavailableError(err);
    }
    const [status, cart] = result;
    if (status === 'OK' && cart !== undefined) return { userId, orderId, cart };
    const refusal = REFUSALS[status];
    // NOT_READY: Redis lost its state and the catalog refresh is rebuilding it.
    throw refusal ? DomainError.of(refusal) : new ServiceUnavailableError(status);
  }

  /**
   * Gives back what {@link reserve} took. `keepMarker` when MySQL turned out to hold another order
   * of the user already (the user has ordered; only the stock returns). Safe to call twice.
   */
  async release(reservation: Reservation, keepMarker: boolean): Promise<void> {
    await runScript(this.redis, 'order-undo', [RedisKeys.stockPool, RedisKeys.orderMarkers], [reservation.userId, reservation.orderId, keepMarker ? '1' : '0', reservation.cart]);
  }
}
