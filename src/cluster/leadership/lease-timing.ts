/**
 * Lease arithmetic, on the node's own monotonic clock (performance.now()); wall clocks decide
 * nothing. The lease in Redis expires `ttl` after Redis *received* a renewal, which is no earlier
 * than when it was sent, so counting from the send is safe; the margin covers clock-rate drift
 * between this machine and Redis and the time it takes to notice.
 */
export function safetyMarginMs(ttlMs: number): number {
  return Math.max(20, Math.ceil(ttlMs * 0.1));
}

/** Until when (monotonic ms) a lease acquired or renewed by a request sent at `sentAt` is ours. */
export function leaseDeadline(sentAt: number, ttlMs: number): number {
  return sentAt + ttlMs - safetyMarginMs(ttlMs);
}

/** How often to renew (leader) or try to acquire (follower): three tries per TTL. */
export function renewIntervalMs(ttlMs: number): number {
  return Math.max(10, Math.floor(ttlMs / 3));
}
