import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { AppConfig } from '../platform/config/app-config';
import { dataSourceOptions } from '../platform/database/data-source-options';
import { runCli } from './run-cli';

/** Creates the database if it is missing, then applies pending migrations. */
export async function migrate(
  config: AppConfig,
  log: (line: string) => void = console.log,
): Promise<void> {
  const server = await createConnection({
    host: config.DB_HOST,
    port: config.DB_PORT,
    user: config.DB_USER,
    password: config.DB_PASS,
  });
  try {
    await server.query(
      `CREATE DATABASE IF NOT EXISTS \`${config.DB_NAME.replace(/`/g, '``')}\` CHARACTER SET utf8mb4`,
    );
  } finally {
    await server.end();
  }
  const db = await new DataSource(dataSourceOptions(config)).initialize();
  try {
    const applied = await db.runMigrations({ transaction: 'each' });
    log(
      applied.length
        ? `[migrate] applied ${applied.map((m) => m.name).join(', ')}`
        : `[migrate] ${config.DB_NAME} is up to date`,
    );
  } finally {
    await db.destroy();
  }
}

if (require.main === module) runCli(async (config) => migrate(config));
