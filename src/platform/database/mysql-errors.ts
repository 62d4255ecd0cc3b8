interface DriverError {
  code?: string;
  errno?: number;
  sqlState?: string;
  driverError?: DriverError;
}

function driverErrorOf(error: unknown): DriverError {
  const e = (error ?? {}) as DriverError;
  // TypeORM's QueryFailedError copies the driver's fields; be safe with either shape.
  return { ...e.driverError, ...e };
}

/** A duplicate-key error on the named unique key (MySQL and MariaDB both name it in the message). */
export function isDuplicateKey(error: unknown, key: string): boolean {
  const { code } = driverErrorOf(error);
  return (
    code === 'ER_DUP_ENTRY' && ((error as { message?: string } | null)?.message ?? '').includes(key)
  );
}

/** InnoDB rolled the statement back to break a deadlock or a lock wait: safe to run it again. */
export function isRetryableLockError(error: unknown): boolean {
  const { code } = driverErrorOf(error);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}

/** Failures that happen before a statement reaches the server: nothing can have been written. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'POOL_CLOSED',
  'POOL_ENQUEUELIMIT',
]);

/** The server answered with an SQL error (it has an SQLSTATE): the connection itself is sound. */
export function isServerError(error: unknown): boolean {
  const { sqlState } = driverErrorOf(error);
  return typeof sqlState === 'string' && sqlState.length === 5;
}

/** mysql2 stopped waiting for the answer (the query's `timeout`); the query may still run. */
export function isQueryTimeout(error: unknown): boolean {
  return driverErrorOf(error).code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

/**
 * Whether a failed write may still have committed. The server answered with an SQL error: the
 * statement was rolled back. The connection was refused: it never ran. Anything else (the
 * connection died mid-statement, a timeout) leaves the outcome unknown.
 */
export function mayHaveCommitted(error: unknown): boolean {
  if (isServerError(error)) return false;
  const { code } = driverErrorOf(error);
  return !(code !== undefined && NOT_SENT.has(code));
}
