import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { RedisClient } from '../../platform/redis/redis.constants';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../platform/config/app-config';
import {
  DatasetInfo,
  DatasetLoader,
  DatasetService,
  LoadsDataset,
} from '../../platform/dataset/dataset.service';
import { REDIS } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';
import { isWhole, readFoodStocks } from '../stock/food-stock';
import { OrderStateBuilder } from '../stock/order-state.builder';
import { StockLeases } from '../stock/stock-leases.service';

export interface Food {
  readonly id: number;
  readonly price: number;
  /** Initial stock, from MySQL. */
  readonly stock: number;
}

/**
 * Foods held in memory, and the `GET /foods` body as a ready buffer of JSON refreshed in the
 * background from Redis (each food's pool plus the unsold part of every lease drawn on it): serving
 * the list costs no round trip and no serialisation. The refresh also notices a Redis that lost
 * the ordering state, or a food's stock (a shard lost its data), and rebuilds it, and keeps this
 * node's stock lease on the state's generation.
 */
@DatasetLoader('foods')
@Injectable()
export class FoodCatalog implements LoadsDataset, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FoodCatalog.name);
  private foods = new Map<number, Food>();
  private ordered: Food[] = [];
  private snapshot = Buffer.from('[]');
  private timer: NodeJS.Timeout | undefined;
  private repairing: Promise<void> | undefined;

  constructor(
    private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: AppConfig,
    private readonly dataset: DatasetService,
    private readonly stateBuilder: OrderStateBuilder,
    private readonly leases: StockLeases,
  ) {}

  async loadDataset({ version }: DatasetInfo): Promise<void> {
    await this.load();
    await this.stateBuilder.ensure(version);
    // With the version being loaded (not yet the current one): the stock lease starts before the
    // node reports ready.
    await this.refresh(version);
  }

  find(id: number): Food | undefined {
    return this.foods.get(id);
  }

  all(): readonly Food[] {
    return this.ordered;
  }

  /** The `GET /foods` body, ready to write: every food by id with what is left across the cluster. */
  get json(): Buffer {
    return this.snapshot;
  }

  /**
   * An order was refused because `generation`, the one this node's lease sells from, is fenced in
   * MySQL. Normally a rebuild replaced it and the next refresh moves the lease on; but should it
   * still be the live generation (its rebuilder fenced it, then failed to install the next), every
   * order would be refused until something replaced it: a forced rebuild does, if the builder
   * finds the live generation fenced. One at a time.
   */
  repairFenced(generation: number): void {
    const version = this.dataset.current?.version;
    if (version === undefined || this.repairing || this.leases.current?.generation !== generation)
      return;
    this.repairing = this.stateBuilder
      .ensure(version, true)
      .then(() => this.refresh(version))
      .catch((err: Error) =>
        this.logger.warn(`Repairing a fenced ordering state failed: ${err.message}`),
      )
      .finally(() => (this.repairing = undefined));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () =>
        void this.refresh().catch((err: Error) =>
          this.logger.warn(`Stock refresh failed: ${err.message}`),
        ),
      this.config.FOODS_REFRESH_MS,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    const rows: { id: number; price: number; stock: number }[] = await this.db.query(
      'SELECT id, price, stock FROM food ORDER BY id',
    );
    const ordered = rows.map((r) => ({
      id: Number(r.id),
      price: Number(r.price),
      stock: Number(r.stock),
    }));
    this.ordered = ordered;
    this.foods = new Map(ordered.map((f) => [f.id, f]));
  }

  private async refresh(version = this.dataset.current?.version): Promise<void> {
    if (version === undefined) return;
    const ids = this.ordered.map((f) => f.id);
    const [[built, generation], stocks] = await Promise.all([
      this.redis.mget(OrderingKeys.orderDataset, OrderingKeys.orderGeneration),
      readFoodStocks(this.redis, ids),
    ]);
    if (built !== version || generation === null) {
      // Redis lost the ordering state (flushed, or restarted without persistence): rebuild it.
      this.logger.warn('Ordering state missing in Redis; rebuilding it from MySQL');
      await this.stateBuilder.ensure(version);
      return;
    }
    if (!isWhole(stocks, Number(generation))) {
      this.logger.warn(
        "A food's stock is missing in Redis; rebuilding the ordering state from MySQL",
      );
      await this.stateBuilder.ensure(version, true);
      return;
    }
    await this.leases.sync(version, Number(generation));
    for (const [id, stock] of stocks) this.leases.pools.set(id, stock.pool);
    this.snapshot = Buffer.from(
      JSON.stringify(
        this.ordered.map((f) => {
          const stock = stocks.get(f.id);
          return { id: f.id, price: f.price, stock: stock ? stock.pool + stock.leasedUnsold : 0 };
        }),
      ),
    );
  }
}
