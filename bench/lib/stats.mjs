// Arithmetic on what the wrk scripts record: latency histograms, per-second counts, the score.

/** Latency histogram buckets are 4 % wide: bucket b holds [1.04^b, 1.04^(b+1)) microseconds. */
const BASE = 1.04;

/** Adds histogram `from` ({bucket: n}) into `into`. */
export function addHistogram(into, from) {
  for (const [bucket, n] of Object.entries(from ?? {})) into[bucket] = (into[bucket] ?? 0) + n;
  return into;
}

/** The p-th percentile (0-100) of a histogram, in milliseconds (bucket midpoint), or null. */
export function percentile(hist, p) {
  const buckets = Object.entries(hist ?? {})
    .map(([b, n]) => [Number(b), n])
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const rank = (p / 100) * total;
  let seen = 0;
  for (const [b, n] of buckets) {
    seen += n;
    if (seen >= rank) return BASE ** (b + 0.5) / 1000;
  }
  return BASE ** (buckets.at(-1)[0] + 0.5) / 1000;
}

export function latencySummary(hist) {
  return { p50: percentile(hist, 50), p90: percentile(hist, 90), p99: percentile(hist, 99) };
}

export const sum = (values) => values.reduce((a, b) => a + b, 0);

/**
 * Per-second counts of `counter` over the measured window: every whole second from `from` (the
 * end of a warm-up) or else from the one after the first second with any answer (a partial
 * second: clients were still connecting), up to the one before the deadline (the drain phase is
 * never counted).
 */
export function secondsOf(perSecond, counter, deadline, from) {
  const seconds = Object.keys(perSecond)
    .map(Number)
    .sort((a, b) => a - b);
  if (seconds.length === 0) return [];
  const out = [];
  for (let s = from ?? seconds[0] + 1; s < deadline; s++) out.push(perSecond[s]?.[counter] ?? 0);
  return out;
}

/** Mean per second over the measured window. */
export function ratePerSecond(perSecond, counter, deadline, from) {
  const counts = secondsOf(perSecond, counter, deadline, from);
  return counts.length ? sum(counts) / counts.length : 0;
}

/**
 * The 2015 contest's score: successful orders per second, averaged over the best 5 seconds after
 * dropping the single best and the single worst second. With fewer than 7 seconds measured it
 * averages what is left after the drops (and says so).
 */
export function contestScore(counts) {
  const sorted = [...counts].sort((a, b) => b - a);
  const kept = sorted.length > 2 ? sorted.slice(1, -1) : sorted;
  const best = kept.slice(0, 5);
  return {
    score: best.length ? sum(best) / best.length : 0,
    seconds: counts.length,
    complete: counts.length >= 7,
  };
}
