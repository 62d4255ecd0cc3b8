import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';

/**
 * One definition of a MySQL connection, in mysql2's terms: TypeORM's data source below (the app,
 * the migration runner, the data command) and the group commits' own pool (one-trip-transaction.ts)
 * both build on it.
 */
export function mysqlConnectionOptions(
  config: AppConfig,
  overrides: Partial<{ database: string }> = {},
) {
  return {
    host: config.DB_HOST,
    port: config.DB_PORT,
    user: config.DB_USER,
    password: config.DB_PASS,
    database: overrides.database ?? config.DB_NAME,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    // Fail fast when MySQL is gone so the request gets its 503 instead of waiting in the pool.
    connectTimeout: 3000,
    enableKeepAlive: true,
  } as const;
}

export function dataSourceOptions(
  config: AppConfig,
  overrides: Partial<{ database: string }> = {},
): DataSourceOptions {
  const {
    host,
    port,
    user,
    password,
    database,
    charset,
    timezone,
    connectTimeout,
    enableKeepAlive,
  } = mysqlConnectionOptions(config, overrides);
  return {
    type: 'mysql',
    host,
    port,
    username: user,
    password,
    database,
    charset,
    timezone,
    // The schema comes from migrations only; never let the ORM alter tables.
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    logging: ['error'],
    extra: { connectionLimit: config.DB_POOL_SIZE, connectTimeout, enableKeepAlive },
  };
}
