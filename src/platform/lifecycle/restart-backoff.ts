/**
 * Delays before a dead worker is replaced: 500 ms after one that had been serving, doubling (up to
 * 30 s) for each worker in a row that died before it listened, so a node that cannot boot (a port
 * taken, a database refusing it) retries at a calm pace instead of forking twice a second forever.
 */
export class RestartBackoff {
  private readonly serving = new Set<number>();
  private failedBoots = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
  ) {}

  up(workerId: number): void {
    this.serving.add(workerId);
    this.failedBoots = 0;
  }

  /** The delay before the replacement of a worker that just exited. */
  down(workerId: number): number {
    const wasServing = this.serving.delete(workerId);
    if (!wasServing) this.failedBoots++;
    return Math.min(this.baseMs * 2 ** (wasServing ? 0 : this.failedBoots - 1), this.maxMs);
  }
}
