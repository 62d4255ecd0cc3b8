import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { validateConfig } from '../src/platform/config/app-config';
import { dataSourceOptions } from '../src/platform/database/data-source-options';
import { isQueryTimeout, mayHaveCommitted } from '../src/platform/database/mysql-errors';
import { queryTimeoutOptions } from '../src/platform/database/query-timeout';
import { TestEnv, createTestEnv } from './utils/app-cluster';

/**
 * The app's TypeORM queries under DB_QUERY_TIMEOUT_MS (src/platform/database/query-timeout.ts),
 * against a real MySQL: a query that outlives the timeout fails, and its connection is closed,
 * not handed back to the pool. (The API-level hung-MySQL tests are in ordering-durability and
 * voting-outages; the group commits' own pool is tested in one-trip-transaction.)
 */

const TIMEOUT_MS = 300;
const POOL_SIZE = 2;

let testEnv: TestEnv;
let db: DataSource;

beforeAll(async () => {
  testEnv = await createTestEnv('query_timeout', 14, { users: 5, foods: 2 });
  const config = validateConfig({
    ...testEnv.env,
    DB_QUERY_TIMEOUT_MS: String(TIMEOUT_MS),
    DB_POOL_SIZE: String(POOL_SIZE),
  });
  db = await new DataSource({
    ...dataSourceOptions(config),
    ...queryTimeoutOptions(config),
  }).initialize();
}, 60_000);

afterAll(async () => {
  await db?.destroy();
});

it('fails a query unanswered within the timeout (outcome unknown) and closes its connection instead of reusing it', async () => {
  const sleepMs = 1500;
  const started = Date.now();
  const error = await db.query('SELECT SLEEP(?)', [sleepMs / 1000]).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeLessThan(sleepMs - 500);
  expect(isQueryTimeout(error)).toBe(true);
  expect(mayHaveCommitted(error)).toBe(true);
  // Every connection of the pool at once, while the server still sleeps: had the timed-out
  // connection gone back to the pool, one of these would wait behind the SLEEP (and, its timer
  // starting only when it is sent, not even time out).
  const next = Date.now();
  const answers = await Promise.all(
    Array.from({ length: POOL_SIZE }, (_, i) => db.query('SELECT ? AS n', [i])),
  );
  expect(Date.now() - next).toBeLessThan(sleepMs - 500);
  expect(answers.map((rows: { n: number }[]) => Number(rows[0].n))).toEqual([0, 1]);
  // Let the abandoned statement end before the pool closes.
  await sleep(Math.max(0, started + sleepMs + 200 - Date.now()));
});

it('leaves queries that answer in time alone', async () => {
  const rows: { n: number }[] = await db.query('SELECT SLEEP(?) AS n', [TIMEOUT_MS / 3000]);
  expect(rows.map((r) => Number(r.n))).toEqual([0]);
});
