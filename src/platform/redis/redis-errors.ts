import { ReplyError } from 'ioredis';

/**
 * Whether a failed Redis command may still have run. Redis answered with an error: it ran and
 * failed (our scripts check before they write, so a refusal changes nothing). The client refused
 * to send it (not connected, no offline queue): it never ran. Anything else (the connection died
 * with the command in flight, or it timed out: it may run when Redis wakes) leaves the outcome
 * unknown.
 */
export function mayHaveRun(error: unknown): boolean {
  if (error instanceof ReplyError) return false;
  return !/Stream isn't writeable/.test((error as Error | null)?.message ?? '');
}

/**
 * The replies of an executed pipeline, in order, or the first command's error. ioredis reports
 * each command's failure in place (`[error, undefined]`), which a destructuring read would take
 * for an empty reply: a timed-out `HGETALL` of a stock lease would count as no stock at all.
 */
export function pipelineReplies(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('Redis pipeline was not executed');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** Redis' `TIME` reply ([seconds, microseconds]) in ms: the clock every node's expiries are read on. */
export function redisTimeMs(time: readonly [string, string]): number {
  return Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
}
