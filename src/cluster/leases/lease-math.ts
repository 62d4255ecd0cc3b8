/**
 * The arithmetic of stock leases, kept pure so it can be tested on its own. A node holds, per
 * item, a lease of `leased` units of which it has `sold` some; what it still holds for the
 * cluster is `leased - sold`, and that is exactly what returns to the pool if the node dies.
 */

export interface LeaseLine {
  leased: number;
  sold: number;
}

export interface ChunkPolicy {
  /** Seconds of recent sales a lease should cover. */
  horizonS: number;
  /** Smallest chunk worth a round trip once an item sells at all. */
  minChunk: number;
  /** Never hold more than this share of what is left in the pool per top-up (0..1]. */
  maxPoolShare: number;
}

export const DEFAULT_CHUNK_POLICY: ChunkPolicy = { horizonS: 2, minChunk: 2, maxPoolShare: 0.25 };

/** Units a lease still holds: what returns to the pool when it is given back or reclaimed. */
export function unsold(line: LeaseLine): number {
  return Math.max(0, line.leased - line.sold);
}

/** Parses a lease hash (`l:<item>` leased, `s:<item>` sold) as Redis returns it. */
export function parseLease(hash: Record<string, string>): Map<number, LeaseLine> {
  const lines = new Map<number, LeaseLine>();
  for (const [field, value] of Object.entries(hash)) {
    const kind = field[0];
    const item = Number(field.slice(2));
    if ((kind !== 'l' && kind !== 's') || field[1] !== ':' || !Number.isInteger(item)) continue;
    const line = lines.get(item) ?? { leased: 0, sold: 0 };
    if (kind === 'l') line.leased = Number(value);
    else line.sold = Number(value);
    lines.set(item, line);
  }
  return lines;
}

/** How many units a node should hold for an item selling at `ratePerS`. */
export function targetChunk(ratePerS: number, policy: ChunkPolicy = DEFAULT_CHUNK_POLICY): number {
  if (!(ratePerS > 0)) return 0;
  return Math.max(policy.minChunk, Math.ceil(ratePerS * policy.horizonS));
}

/**
 * The change to request for one item: positive to take more from the pool (when the lease is
 * below half its target, up to the target and a fair share of the pool), negative to give back
 * what a lease holds beyond twice its target (a node whose sales stopped keeps nothing idle).
 */
export function plannedChange(
  held: number,
  target: number,
  poolLeft: number,
  policy: ChunkPolicy = DEFAULT_CHUNK_POLICY,
): number {
  if (held < target / 2 && poolLeft > 0) {
    const share = Math.max(1, Math.floor(poolLeft * policy.maxPoolShare));
    return Math.min(target - held, share, poolLeft);
  }
  if (held > 2 * target) return -(held - target);
  return 0;
}

/**
 * Exponentially weighted sales rate: each tick folds the units sold since the last one into the
 * estimate, so a lease follows demand within a few ticks and decays to zero when sales stop.
 */
export class RateEstimator {
  private readonly rates = new Map<number, number>();
  private readonly counts = new Map<number, number>();

  constructor(private readonly weight = 0.5) {}

  /** The rate of an item as of the last tick (units/s). */
  rate(item: number): number {
    return this.rates.get(item) ?? 0;
  }

  record(item: number, units: number): void {
    this.counts.set(item, (this.counts.get(item) ?? 0) + units);
  }

  /** Folds the counts of the last `elapsedS` seconds in and returns the rates (units/s). */
  tick(elapsedS: number): Map<number, number> {
    const items = new Set([...this.rates.keys(), ...this.counts.keys()]);
    for (const item of items) {
      const observed = (this.counts.get(item) ?? 0) / Math.max(elapsedS, 1e-3);
      const rate = this.weight * observed + (1 - this.weight) * (this.rates.get(item) ?? 0);
      if (rate < 0.01) this.rates.delete(item);
      else this.rates.set(item, rate);
    }
    this.counts.clear();
    return new Map(this.rates);
  }
}
