import { createPool, format, type Pool, type PoolConnection, type SqlValue } from 'mysql2';
import type { AppConfig } from '../config/app-config';
import { mysqlConnectionOptions } from './data-source-options';
import { isServerError } from './mysql-errors';

/** A statement and its `?` parameters, escaped by mysql2 as any parameterised query is. */
export type Statement = readonly [sql: string, params: SqlValue[]];

/**
 * A pool for {@link runOneTrip} only: multi-statement queries get a pool of their own, so that no
 * other query of the app could ever carry a second statement. Every value still goes through
 * mysql2's escaping.
 */
export function createOneTripPool(config: AppConfig, connectionLimit: number): Pool {
  return createPool({
    ...mysqlConnectionOptions(config),
    multipleStatements: true,
    connectionLimit,
  });
}

/**
 * Runs `statements` as one transaction sent in one round trip (`START TRANSACTION; ...; COMMIT`):
 * all of them commit or none does. On an SQL error the server has run none of the statements after
 * the failing one, COMMIT included; the transaction is rolled back (a lock wait timeout only undoes
 * its own statement) before the connection goes back to the pool, where the next START TRANSACTION
 * would otherwise commit what came before the error. Any other failure (the connection died, or no
 * answer came within `timeoutMs`) closes the connection and leaves the outcome unknown, as for any
 * commit: see mayHaveCommitted.
 */
export async function runOneTrip(
  pool: Pool,
  statements: readonly Statement[],
  timeoutMs: number,
): Promise<void> {
  const sql = [
    'START TRANSACTION',
    ...statements.map(([text, params]) => format(text, params)),
    'COMMIT',
  ].join(';\n');
  const connection = await new Promise<PoolConnection>((resolve, reject) =>
    pool.getConnection((error, conn) => (error ? reject(error) : resolve(conn))),
  );
  await new Promise<void>((resolve, reject) =>
    connection.query({ sql, timeout: timeoutMs }, (error) => {
      if (!error) {
        connection.release();
        return resolve();
      }
      if (!isServerError(error)) {
        // A timed-out query is still the connection's current command (see CloseTimedOutConnections).
        connection.destroy();
        return reject(error);
      }
      connection.query({ sql: 'ROLLBACK', timeout: timeoutMs }, (rollbackError) => {
        if (rollbackError) connection.destroy();
        else connection.release();
        reject(error);
      });
    }),
  );
}
