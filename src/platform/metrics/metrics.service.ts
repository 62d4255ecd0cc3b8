import { Injectable } from '@nestjs/common';

export type MetricsSnapshot = Record<string, number | string | boolean | null>;

/**
 * Per-process counters and gauges, read by `GET /metrics` (operations, and the e2e suites that
 * count what a node did: MySQL reads caused by `query`, ticket rotations, ...). Counters only go
 * up; a gauge is read when the snapshot is taken. Names are dotted: `<area>.<what>`.
 */
@Injectable()
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, () => number | string | boolean | null>();

  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  /** Declares a counter so it shows as 0 before its first increment. */
  declare(...names: string[]): void {
    for (const name of names) if (!this.counters.has(name)) this.counters.set(name, 0);
  }

  gauge(name: string, read: () => number | string | boolean | null): void {
    this.gauges.set(name, read);
  }

  count(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  snapshot(): MetricsSnapshot {
    const out: MetricsSnapshot = {};
    for (const [name, value] of this.counters) out[name] = value;
    for (const [name, read] of this.gauges) out[name] = read();
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }
}
