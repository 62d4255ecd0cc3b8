import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../infra/config/app-config';
import { BatchWriter } from '../../infra/database/batch-writer';
import { OrderRepository, OrderRow } from './order.repository';

/** Commits orders to MySQL in groups; an order is acknowledged only once its group is committed. */
@Injectable()
export class OrderCommitter implements OnApplicationShutdown {
  private readonly writer: BatchWriter<OrderRow>;

  constructor(repository: OrderRepository, config: AppConfig) {
    this.writer = new BatchWriter((orders) => repository.insertMany(orders), { maxBatch: config.COMMIT_BATCH_MAX, concurrency: 2 });
  }

  commit(order: OrderRow): Promise<void> {
    return this.writer.submit(order);
  }

  /** On SIGTERM: the HTTP server has stopped taking requests; let the last groups commit. */
  async onApplicationShutdown(): Promise<void> {
    await this.writer.drain();
  }
}
