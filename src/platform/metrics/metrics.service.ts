import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type MetricsSnapshot = Record<string, number | string | boolean | null>;
export type Labels = Record<string, string>;
type Reading = number | string | boolean | null;
/** How a gauge's per-worker values combine into the node's (prom-client's cluster aggregators). */
export type Aggregation = 'sum' | 'max' | 'min' | 'first';

interface CounterEntry {
  total: number;
  family: Counter<string>;
  fixed: Labels;
  /** The child for the fixed labels, bound once: an increment is then one addition. */
  bound: Counter.Internal | undefined;
}

/** Latency buckets (seconds) from 100 µs to 10 s: store round trips and whole requests alike. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * This process's counters and gauges, in two views of the same values: Prometheus metrics in
 * `registry` (summed over a node's workers by `GET /metrics`), and flat JSON by dotted name
 * (`<area>.<what>`, `GET /metrics/json`) for the e2e suites and the bench, which count what one
 * process did. A counter is declared once with its Prometheus family and labels and then bumped
 * by its dotted name; a counter declared with `declare` gets a family named after it.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly entries = new Map<string, CounterEntry>();
  private readonly families = new Map<string, Counter<string>>();
  private readonly gauges = new Map<string, () => Reading>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Declares counters of one Prometheus family: `series` maps each dotted name to its labels
   * (`{}` for none). `open` names labels given at each increment (e.g. an error code).
   */
  counters(metric: string, help: string, series: Record<string, Labels>, open: string[] = []) {
    const fixedNames = [...new Set(Object.values(series).flatMap((labels) => Object.keys(labels)))];
    let family = this.families.get(metric);
    if (!family) {
      family = new Counter({
        name: metric,
        help,
        labelNames: [...fixedNames, ...open],
        registers: [this.registry],
      });
      this.families.set(metric, family);
    }
    for (const [name, fixed] of Object.entries(series)) {
      if (this.entries.has(name)) continue;
      // A counter with no open label shows as 0 before its first increment.
      const bound = open.length === 0 ? family.labels(fixed) : undefined;
      if (bound) bound.inc(0);
      this.entries.set(name, { total: 0, family, fixed, bound });
    }
  }

  /** Declares counters whose Prometheus family is named after them (`vote.groupsAdopted` → `vote_groups_adopted_total`). */
  declare(...names: string[]): void {
    for (const name of names) {
      this.counters(`${promName(name)}_total`, `Count of ${name} in this node`, { [name]: {} });
    }
  }

  inc(name: string, by = 1, labels?: Labels): void {
    let entry = this.entries.get(name);
    if (!entry) {
      this.declare(name);
      entry = this.entries.get(name)!;
    }
    entry.total += by;
    if (entry.bound) entry.bound.inc(by);
    else entry.family.inc({ ...entry.fixed, ...labels }, by);
  }

  /**
   * A value read when a snapshot or a scrape is taken. Unless `prom` is false, it is also a
   * Prometheus gauge (`metric`, or one named after the dotted name; booleans as 0 and 1, anything
   * but a number as 0), combined over workers by `aggregation`.
   */
  gauge(
    name: string,
    read: () => Reading,
    prom: { metric?: string; help?: string; aggregation?: Aggregation } | false = {},
  ): void {
    this.gauges.set(name, read);
    if (prom === false) return;
    new Gauge({
      name: prom.metric ?? promName(name),
      help: prom.help ?? `${name} in this node`,
      aggregator: prom.aggregation ?? 'sum',
      registers: [this.registry],
      collect() {
        const value = read();
        if (typeof value === 'number' || typeof value === 'boolean') this.set(Number(value));
        else this.reset();
      },
    });
  }

  /** A gauge of several series, all read at once: `read` gives each series' labels and value. */
  gaugeFamily(
    metric: string,
    help: string,
    labelNames: string[],
    read: () => Iterable<[Labels, number]>,
    aggregation: Aggregation,
  ): void {
    new Gauge({
      name: metric,
      help,
      labelNames,
      aggregator: aggregation,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  }

  /** A latency histogram in seconds over `labelNames` (see LATENCY_BUCKETS). */
  histogram(metric: string, help: string, labelNames: string[]): Histogram<string> {
    return new Histogram({
      name: metric,
      help,
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
  }

  count(name: string): number {
    return this.entries.get(name)?.total ?? 0;
  }

  snapshot(): MetricsSnapshot {
    const out: MetricsSnapshot = {};
    for (const [name, entry] of this.entries) out[name] = entry.total;
    for (const [name, read] of this.gauges) out[name] = read();
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** `vote.groupsAdopted` → `vote_groups_adopted`; `scheduler.ticket-rotation.runs` → `scheduler_ticket_rotation_runs`. */
export function promName(dotted: string): string {
  return dotted
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .toLowerCase();
}
