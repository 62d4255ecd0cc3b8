/** What {@link RetryLater} needs to know about its work. */
export interface RetryLaterOptions<T> {
  /** Pause between rounds. */
  everyMs: number;
  /** How long an item is retried before it is given up. */
  forMs: number;
  /** Does the work for one item; a throw means "not yet", and the item is tried again next round. */
  attempt: (item: T) => Promise<void>;
  /** Told of an item whose time ran out before an attempt succeeded. */
  onGiveUp: (item: T, lastError: unknown) => void;
}

/**
 * Work that must be done once a store answers again (undo a step whose answer was lost, revert a
 * commit answered as failed): each item is attempted at once (or in the next round, when one is
 * under way), then every `everyMs` until it succeeds or `forMs` has passed. Rounds never overlap,
 * so a store that answers slowly is not asked twice about the same item at once. In memory: a
 * process that dies forgets its items, and the callers say what covers that case.
 */
export class RetryLater<T> {
  private readonly items = new Map<string, { item: T; until: number }>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(private readonly options: RetryLaterOptions<T>) {}

  /** Items still waiting for a successful attempt. */
  get size(): number {
    return this.items.size;
  }

  /** Whether an item is waiting under `key`. */
  has(key: string): boolean {
    return this.items.has(key);
  }

  /** Attempts `item` at once and then every round, for `forMs` (the options' unless given). */
  add(key: string, item: T, forMs = this.options.forMs): void {
    this.items.set(key, { item, until: Date.now() + forMs });
    this.timer ??= setInterval(() => void this.run(), this.options.everyMs).unref();
    void this.run();
  }

  /** Runs a round now (or waits for the one under way); resolves when it is over. */
  run(): Promise<void> {
    this.round ??= this.attemptAll().finally(() => (this.round = undefined));
    return this.round;
  }

  /** Stops the timer; the items left are not attempted again. Returns them. */
  stop(): T[] {
    clearInterval(this.timer);
    this.timer = undefined;
    return [...this.items.values()].map((entry) => entry.item);
  }

  private async attemptAll(): Promise<void> {
    for (const [key, entry] of [...this.items]) {
      try {
        await this.options.attempt(entry.item);
        this.items.delete(key);
      } catch (error) {
        if (Date.now() >= entry.until) {
          this.items.delete(key);
          this.options.onGiveUp(entry.item, error);
        }
      }
    }
    if (this.items.size === 0) this.stop();
  }
}
