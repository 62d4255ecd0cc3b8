import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RedisClient } from '../platform/redis/redis.constants';
import { DataSource } from 'typeorm';
import { AppConfig } from '../platform/config/app-config';
import { PROJECT_ROOT } from '../platform/config/load-config';
import { dataSourceOptions } from '../platform/database/data-source-options';
import { connectRedis } from '../platform/redis/redis.module';
import { DEFAULT_COST } from '../identity/password-hasher';
import { buildOrderState } from '../ordering/stock/order-state.builder';
import { DatasetSpec, generateFoods, generateUsers, newDatasetVersion } from './dataset-generator';
import { clearRedis, hashAll, insertChunked } from './dataset-store';
import { migrate } from './migrate';
import { UsageError, runCli } from './run-cli';

const USAGE = `Usage: npm run data -- <command> [options]

Commands:
  generate   Replace the dataset: new users and foods; clears orders, votes, carts and Redis state.
  ensure     Generate only if no dataset is loaded yet (what npm start does).
  status     Print the loaded dataset.

Options (generate, ensure):
  --users N         users, root/toor included (default 10000)
  --foods N         foods (default 100)
  --stock N         initial stock of each food (default 1000)
  --hash-cost N     scrypt cost as a power of two, 2^N (default ${Math.log2(DEFAULT_COST.N)}, production grade,
                    ~40 ms a hash). Use a tiny cost such as 4 ONLY for load-test datasets, so that
                    benchmarks measure the service rather than the password hash.
  --credentials F   also write the users' plain credentials as id,name,password CSV to F
                    (ensure: default .data/credentials.csv). The database never holds them.
  -h, --help        this text`;

interface Options extends DatasetSpec {
  hashCost: number;
  credentials?: string;
}

function parseOptions(argv: string[]): { command: string; options: Options } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        users: { type: 'string' },
        foods: { type: 'string' },
        stock: { type: 'string' },
        'hash-cost': { type: 'string' },
        credentials: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) throw new UsageError(USAGE);
  if (!['generate', 'ensure', 'status'].includes(command) || positionals.length > 1) {
    throw new UsageError(`Unknown command: ${positionals.join(' ')}\n\n${USAGE}`);
  }
  const int = (
    name: string,
    raw: string | undefined,
    fallback: number,
    min: number,
    max: number,
  ): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(
        `--${name} must be a whole number from ${min} to ${max}, got "${raw}"\n\n${USAGE}`,
      );
    return n;
  };
  return {
    command,
    options: {
      users: int('users', values.users, 10_000, 1, 10_000_000),
      foods: int('foods', values.foods, 100, 1, 100_000),
      stock: int('stock', values.stock, 1000, 0, 1_000_000_000),
      hashCost: int('hash-cost', values['hash-cost'], Math.log2(DEFAULT_COST.N), 1, 20),
      credentials:
        values.credentials ??
        (command === 'ensure' ? join(PROJECT_ROOT, '.data', 'credentials.csv') : undefined),
    },
  };
}

async function generate(
  db: DataSource,
  redis: RedisClient,
  options: Options,
  log: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  log(
    `[data] generating ${options.users} users, ${options.foods} foods with stock ${options.stock}, scrypt cost 2^${options.hashCost}`,
  );
  const users = generateUsers(options.users);
  const foods = generateFoods(options.foods, options.stock);
  const hashes = await hashAll(users, options.hashCost, log);
  const version = newDatasetVersion();

  // Redis first, so no node keeps selling against the old stock while MySQL is rewritten.
  log(`[data] cleared ${await clearRedis(redis)} Redis keys`);
  for (const table of [
    '`order`',
    'order_void',
    'vote_count',
    'vote_group',
    'food',
    '`user`',
    'dataset',
  ])
    await db.query(`TRUNCATE TABLE ${table}`);
  await insertChunked(
    db,
    '`user`',
    ['id', 'name', 'password_hash'],
    users.map((u, i) => [u.id, u.name, hashes[i]]),
  );
  await insertChunked(
    db,
    'food',
    ['id', 'price', 'stock'],
    foods.map((f) => [f.id, f.price, f.stock]),
  );
  // Written last: running nodes reload when they see the new version.
  await db.query('INSERT INTO dataset (id, version, users, foods) VALUES (1, ?, ?, ?)', [
    version,
    users.length,
    foods.length,
  ]);
  // Again: a running node may have rebuilt its old dataset's state (stock, users' markers) from
  // the old tables between the first clear and the truncation. From here on it cannot: the
  // rebuild refuses a version that is not MySQL's.
  await clearRedis(redis);
  await buildOrderState(db, redis, version);

  if (options.credentials) {
    mkdirSync(dirname(options.credentials), { recursive: true });
    writeFileSync(
      options.credentials,
      `id,name,password\n${users.map((u) => `${u.id},${u.name},${u.password}`).join('\n')}\n`,
      { mode: 0o600 },
    );
    log(`[data] wrote credentials to ${options.credentials}`);
  }
  log(
    `[data] dataset ${version} loaded in ${((Date.now() - started) / 1000).toFixed(1)} s; running nodes pick it up within a second`,
  );
}

async function currentDataset(
  db: DataSource,
): Promise<{ version: string; users: number; foods: number } | undefined> {
  const rows: { version: string; users: number; foods: number }[] = await db.query(
    'SELECT version, users, foods FROM dataset WHERE id = 1',
  );
  return rows[0];
}

export async function dataCommand(
  config: AppConfig,
  argv: string[],
  log: (line: string) => void = console.log,
): Promise<void> {
  const { command, options } = parseOptions(argv);
  await migrate(config, log);
  const db = await new DataSource(dataSourceOptions(config)).initialize();
  const redis = await connectRedis(config, 'data-cli');
  try {
    const existing = await currentDataset(db);
    if (command === 'status') {
      log(
        existing
          ? `[data] dataset ${existing.version}: ${existing.users} users, ${existing.foods} foods`
          : '[data] no dataset loaded',
      );
    } else if (command === 'ensure' && existing) {
      log(
        `[data] dataset ${existing.version} already loaded (${existing.users} users, ${existing.foods} foods)`,
      );
    } else {
      await generate(db, redis, options, log);
    }
  } finally {
    await db.destroy();
    redis.disconnect();
  }
}

if (require.main === module) runCli((config) => dataCommand(config, process.argv.slice(2)));
