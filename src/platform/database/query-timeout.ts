import type { Connection } from 'mysql2';
import { EventSubscriber, type AfterQueryEvent, type EntitySubscriberInterface } from 'typeorm';
import type { MysqlDataSourceOptions } from 'typeorm/driver/mysql/MysqlDataSourceOptions';
import type { AppConfig } from '../config/app-config';
import { isQueryTimeout } from './mysql-errors';

/**
 * Closes a connection whose TypeORM query timed out, before the query runner releases it. mysql2
 * stops waiting but keeps the query as the connection's current command: back in the pool as it
 * is, the connection would make the next query wait behind an answer that may never come (MySQL
 * hung, or the connection silently dropped) with no timer of its own, since a query's timer starts
 * when the query is sent. Closed, it leaves the pool, and the server rolls back whatever
 * transaction it held. (runOneTrip does the same for its own pool.)
 */
@EventSubscriber()
export class CloseTimedOutConnections implements EntitySubscriberInterface {
  async afterQuery(event: AfterQueryEvent): Promise<void> {
    if (event.success || !isQueryTimeout(event.error)) return;
    // connect() hands back the query runner's own connection, the one the query ran on.
    const connection = (await event.queryRunner.connect()) as Connection;
    connection.destroy();
  }
}

/** TypeORM options that give each of the app's queries DB_QUERY_TIMEOUT_MS (mysql2's per-query `timeout`). */
export function queryTimeoutOptions(
  config: AppConfig,
): Pick<MysqlDataSourceOptions, 'enableQueryTimeout' | 'maxQueryExecutionTime' | 'subscribers'> {
  return {
    enableQueryTimeout: true,
    maxQueryExecutionTime: config.DB_QUERY_TIMEOUT_MS,
    subscribers: [CloseTimedOutConnections],
  };
}
