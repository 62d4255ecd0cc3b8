import { ReplyError } from 'ioredis';

/**
 * Whether a failed Redis command may still have run. Redis answered with an error: it ran and
 * failed (our scripts check before they write, so a refusal changes nothing). The client refused
 * to send it (not connected, no offline queue): it never ran. Anything else (the connection died
 * with the command in flight, or it timed out: it may run when Redis wakes) leaves the outcome
 * unknown. A Redis Cluster client refuses with messages of its own while it is not ready or has
 * been ended; its "Connection is closed." is left unknown, as a node connection that drops fails
 * the commands in flight with the same words.
 */
export function mayHaveRun(error: unknown): boolean {
  if (error instanceof ReplyError) return false;
  return !NEVER_SENT.test((error as Error | null)?.message ?? '');
}

const NEVER_SENT = /^(Stream isn't writeable|Cluster isn't ready|Cluster is ended)/;

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
