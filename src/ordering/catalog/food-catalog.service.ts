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
import { StockLeaseService } from '../../cluster/leases/stock-lease.service';
import {
  DatasetInfo,
  DatasetLoader,
  DatasetService,
  LoadsDataset,
} from '../../platform/dataset/dataset.service';
import { REDIS } from '../../platform/redis/redis.constants';
import { OrderingKeys } from '../ordering-keys';
import { OrderStateBuilder } from '../stock/order-state.builder';

export interface Food {
  readonly id: number;
  readonly price: number;
  /** Initial stock, from MySQL. */
  readonly stock: number;
}

/**
 * Foods held in memory, and the `GET /foods` body as a ready buffer of JSON refreshed in the
 * background from Redis (the pool plus the unsold part of every node's lease): serving the list
 * costs no round trip and no serialisation. The refresh also notices a Redis that lost its
 * ordering state and rebuilds it.
 */
@DatasetLoader('foods')
@Injectable()
export class FoodCatalog implements LoadsDataset, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FoodCatalog.name);
  private foods = new Map<number, Food>();
  private ordered: Food[] = [];
  private snapshot = Buffer.from('[]');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: AppConfig,
    private readonly dataset: DatasetService,
    private readonly stateBuilder: OrderStateBuilder,
    private readonly leases: StockLeaseService,
  ) {}

  async loadDataset({ version }: DatasetInfo): Promise<void> {
    await this.load();
    await this.stateBuilder.ensure(version);
    await this.refresh();
  }

  find(id: number): Food | undefined {
    return this.foods.get(id);
  }

  /** The `GET /foods` body, ready to write: every food by id with what is left across the cluster. */
  get json(): Buffer {
    return this.snapshot;
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

  private async refresh(): Promise<void> {
    const version = this.dataset.current?.version;
    if (version === undefined && this.ordered.length === 0) return;
    const [built, left] = await Promise.all([
      this.redis.get(OrderingKeys.orderDataset),
      this.leases.available(),
    ]);
    if (version !== undefined && built !== version) {
      // Redis lost the ordering state (flushed, or restarted without persistence): rebuild it.
      this.logger.warn('Ordering state missing in Redis; rebuilding it from MySQL');
      await this.stateBuilder.ensure(version);
      return;
    }
    this.snapshot = Buffer.from(
      JSON.stringify(
        this.ordered.map((f) => ({ id: f.id, price: f.price, stock: left.get(f.id) ?? 0 })),
      ),
    );
  }
}
