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
export function watchForSilence(
  redis: Redis,
  silentMs: number,
  onClose: (silentForMs: number) => void,
): () => void {
  /** Since when commands have been waiting with nothing received; undefined while data flows. */
  let waitingSince: number | undefined;
  const heard = (): void => {
    waitingSince = undefined;
  };
  // Each reconnect makes a new socket: listen on that one too.
  redis.on('connect', () => {
    heard();
    redis.stream?.on('data', heard);
  });
  redis.stream?.on('data', heard);

  const silentFor = (): number =>
    redis.status === 'ready' && redis.commandQueue.length > 0 && waitingSince !== undefined
      ? performance.now() - waitingSince
      : 0;
  const check = (): void => {
    if (redis.status !== 'ready' || redis.commandQueue.length === 0) {
      waitingSince = undefined;
      return;
    }
    waitingSince ??= performance.now();
    if (silentFor() < silentMs) return;
    setImmediate(() => {
      const ms = silentFor();
      if (ms < silentMs) return;
      onClose(Math.round(ms));
      waitingSince = undefined;
      redis.disconnect(true);
    });
  };
  const timer = setInterval(check, Math.max(100, Math.floor(silentMs / 4))).unref();
  const stop = (): void => clearInterval(timer);
  redis.once('end', stop);
  return stop;
}
