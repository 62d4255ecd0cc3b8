/**
 * Whether an error means that Redis or MySQL could not be reached or did not answer in time, as
 * opposed to a bug: the one place such an error becomes SERVICE_UNAVAILABLE when it escapes a
 * service (both transports' mappers ask here), so no route answers an outage with a 500.
 */
export function isStoreFailure(error: unknown): boolean {
  const e = (error ?? {}) as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    driverError?: { code?: unknown };
  };
  const code = typeof e.code === 'string' ? e.code : e.driverError?.code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (typeof e.name === 'string' && REDIS_CLIENT_ERRORS.has(e.name)) return true;
  return typeof e.message === 'string' && REDIS_MESSAGES.test(e.message);
}

/** Network and driver codes of a connection that failed, was refused or timed out (mysql2, node). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'POOL_CLOSED',
  'POOL_ENQUEUELIMIT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
]);

/** ioredis' own error classes for a server or cluster it cannot use. */
const REDIS_CLIENT_ERRORS = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);

/** ioredis' messages for a command it could not send or whose answer never came. */
const REDIS_MESSAGES =
  /Stream isn't writeable|Connection is closed|Command timed out|Cluster isn't ready|Failed to refresh slots cache/;
