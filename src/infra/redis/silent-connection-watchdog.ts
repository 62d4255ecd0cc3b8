import type { Redis } from 'ioredis';

/**
 * Replaces a connection that went silent. A Redis that vanished without a reset (its host died,
 * a partition, a firewall that forgot the flow) leaves the socket open: each command fails at
 * its timeout, but nothing ever closes the connection (TCP keep-alive would, hours later), so the
 * node answers 503 long after Redis is reachable again. When commands have been waiting for
 * `silentMs` and not a byte came back in that time, the connection is closed and ioredis
 * reconnects (its retryStrategy); the commands still waiting fail at once, as with any dropped
 * connection (see mayHaveRun).
 *
 * A merely slow Redis costs the same: its waiting commands fail, which their timeouts would have
 * done anyway. An event loop that stalled is not taken for a silent Redis: the check is made
 * again after the loop has read what arrived meanwhile (setImmediate runs after the I/O poll).
 */
export function watchForSilence(redis: Redis, silentMs: number, onClose: (silentForMs: number) => void): () => void {
  let lastData = performance.now();
  let waitingSince: number | undefined;
  const heard = (): void => {
    lastData = performance.now();
    waitingSince = undefined;
  };
  const attach = (): void => {
    heard();
    redis.stream?.on('data', heard);
  };
  // Each reconnect makes a new socket: listen on that one too.
  redis.on('connect', attach);
  if (redis.stream) attach();

  const silent = (now: number): boolean =>
    redis.status === 'ready' && waitingSince !== undefined && now - waitingSince >= silentMs && now - lastData >= silentMs;
  const check = (): void => {
    if (redis.status !== 'ready' || redis.commandQueue.length === 0) {
      waitingSince = undefined;
      return;
    }
    const now = performance.now();
    waitingSince ??= now;
    if (!silent(now)) return;
    setImmediate(() => {
      const later = performance.now();
      if (!silent(later) || redis.commandQueue.length === 0) return;
      onClose(Math.round(later - lastData));
      waitingSince = undefined;
      redis.disconnect(true);
    });
  };
  const timer = setInterval(check, Math.max(100, Math.floor(silentMs / 4))).unref();
  const stop = (): void => clearInterval(timer);
  redis.once('end', stop);
  return stop;
}
