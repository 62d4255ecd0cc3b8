interface Flight<V> {
  promise: Promise<V>;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
  callers: number;
}

/**
 * Request coalescing (singleflight) that never answers a caller with a value read before it
 * arrived: a caller joins a flight only while that flight has not started loading; one that
 * arrives later waits for the next flight, which starts when the running one ends. So per key at
 * most one load runs at a time (plus one gathering callers), and an answer is always at least as
 * fresh as the caller's own request.
 *
 * A new flight starts on the next macrotask, so everything that misses in the same turn of the
 * event loop (a burst of replies parsed from one socket read) shares one load.
 */
export class Coalescer<K, V> {
  private readonly gathering = new Map<K, Flight<V>>();
  private readonly running = new Map<K, Promise<unknown>>();
  private joinedCount = 0;

  constructor(private readonly load: (key: K) => Promise<V>) {}

  get(key: K): Promise<V> {
    const open = this.gathering.get(key);
    if (open) {
      open.callers++;
      return open.promise;
    }
    const flight = this.open(key);
    const previous = this.running.get(key);
    if (previous) void previous.then(() => this.start(key, flight));
    else setImmediate(() => this.start(key, flight));
    return flight.promise;
  }

  /** Callers that shared a flight with an earlier caller instead of loading themselves. */
  get joined(): number {
    return this.joinedCount;
  }

  private open(key: K): Flight<V> {
    let resolve!: (value: V) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<V>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const flight: Flight<V> = { promise, resolve, reject, callers: 1 };
    this.gathering.set(key, flight);
    return flight;
  }

  private start(key: K, flight: Flight<V>): void {
    // Closed to new callers before the load begins: later ones form the next flight.
    this.gathering.delete(key);
    this.joinedCount += flight.callers - 1;
    // Async wrapper: a load that throws synchronously still rejects only this flight.
    const done = this.runLoad(key).then(flight.resolve, flight.reject);
    this.running.set(key, done);
    void done.then(() => {
      if (this.running.get(key) === done) this.running.delete(key);
    });
  }

  private async runLoad(key: K): Promise<V> {
    return this.load(key);
  }
}
