import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../platform/config/app-config';
import { BatchWriter, WriteOutcome } from '../../platform/database/batch-writer';
import { mayHaveCommitted } from '../../platform/database/mysql-errors';
import { StockService } from '../stock/stock.service';
import { NewOrder, OrderRepository } from './order.repository';

/** Commits orders to MySQL in groups; an order is acknowledged only once its group is committed. */
@Injectable()
export class OrderCommitter {
  private readonly writer: BatchWriter<NewOrder>;

  constructor(
    private readonly repository: OrderRepository,
    private readonly stock: StockService,
    config: AppConfig,
  ) {
    this.writer = new BatchWriter((orders) => this.write(orders), {
      maxBatch: config.COMMIT_BATCH_MAX,
      concurrency: 2,
    });
  }

  commit(order: NewOrder): Promise<void> {
    return this.writer.submit(order);
  }

  /** Resolves once every order submitted so far has its outcome (OrderService, on SIGTERM). */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  private async write(orders: NewOrder[]): Promise<WriteOutcome> {
    let outcome: WriteOutcome;
    try {
      outcome = await this.repository.insertMany(orders);
    } catch (error) {
      // The group may have committed: each order must learn that, not be written again one by one
      // (the BatchWriter's retry after a failed group), which would fail on its own committed row
      // or be refused by a dead connection and read as "never written". Each order's caller asks
      // MySQL instead (OrderService.recover).
      if (orders.length > 1 && mayHaveCommitted(error)) return orders.map(() => error as Error);
      throw error;
    }
    // Before the orders are acknowledged, so that a second order of the user is refused at once.
    await this.stock.markOrdered(orders.filter((_, i) => !outcome?.[i]));
    return outcome;
  }
}
