interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface BatchWriterOptions {
  /** Most items in one write. */
  maxBatch: number;
  /** Writes allowed in flight at once. */
  concurrency: number;
}

/**
 * What a write reports: nothing when every item was written, or per item (same order) an Error
 * for the items it refused while writing the others.
 */
export type WriteOutcome = void | (Error | undefined)[];

/**
 * Group commit: callers submit one item each and wait for it to be durable; items that arrive
 * while a write is in flight go together in the next one, so under load each commit (and its
 * fsync) carries many items, and under no load an item is written at once. If a batch fails as a
 * whole, its items are retried one by one so a single bad item (say, a duplicate key) fails alone.
 */
export class BatchWriter<T> {
  private queue: Pending<T>[] = [];
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly write: (items: T[]) => Promise<WriteOutcome>,
    private readonly options: BatchWriterOptions,
  ) {}

  /** Resolves once the item is written; rejects with the write's error for this item. */
  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Gather what else arrives in this turn of the event loop before writing.
      if (this.queue.length === 1 && this.inFlight < this.options.concurrency)
        setImmediate(() => this.pump());
    });
  }

  /** Resolves when nothing is queued or in flight (used on shutdown). */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.concurrency) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.pump();
        if (this.queue.length === 0 && this.inFlight === 0)
          this.idle.splice(0).forEach((resolve) => resolve());
      });
    }
  }

  private async commit(batch: Pending<T>[]): Promise<void> {
    try {
      settle(batch, await this.write(batch.map((p) => p.item)));
      return;
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
    }
    for (const pending of batch) {
      try {
        settle([pending], await this.write([pending.item]));
      } catch (error) {
        pending.reject(error);
      }
    }
  }
}

function settle<T>(batch: Pending<T>[], outcome: WriteOutcome): void {
  batch.forEach((pending, i) => {
    const error = outcome?.[i];
    if (error) pending.reject(error);
    else pending.resolve();
  });
}
