import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';

/** One definition of the MySQL connection for the app, the migration runner and the data command. */
export function dataSourceOptions(config: AppConfig, overrides: Partial<{ database: string }> = {}): DataSourceOptions {
  return {
    type: 'mysql',
    host: config.DB_HOST,
    port: config.DB_PORT,
    username: config.DB_USER,
    password: config.DB_PASS,
    database: overrides.database ?? config.DB_NAME,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    // The schema comes from migrations only; never let the ORM alter tables.
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    logging: ['error'],
    extra: {
      connectionLimit: config.DB_POOL_SIZE,
      // Fail fast when MySQL is gone so the request gets its 503 instead of waiting in the pool.
      connectTimeout: 3000,
      enableKeepAlive: true,
    },
  };
}
