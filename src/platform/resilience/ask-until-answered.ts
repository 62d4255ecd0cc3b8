import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How long a node keeps asking MySQL or Redis about a write whose outcome is unknown (the
 * connection died with the write's answer) before it leaves the write in doubt. The store being
 * unreachable is the usual reason the write failed, so the first asks may fail too.
 */
export const RESOLVE_FOR_MS = 3000;
const RESOLVE_EVERY_MS = 250;

/**
 * Runs `ask` (a question to the store, such as "did this commit, else fence it") until it
 * answers, for up to RESOLVE_FOR_MS; then rethrows its last error.
 */
export async function askUntilAnswered<T>(ask: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RESOLVE_FOR_MS;
  for (;;) {
    try {
      return await ask();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(RESOLVE_EVERY_MS);
    }
  }
}
