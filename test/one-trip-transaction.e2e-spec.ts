import type { Connection } from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'mysql2';
import { validateConfig } from '../src/platform/config/app-config';
import {
  isQueryTimeout,
  isServerError,
  mayHaveCommitted,
} from '../src/platform/database/mysql-errors';
import { createOneTripPool, runOneTrip } from '../src/platform/database/one-trip-transaction';
import { TestEnv, createTestEnv, mysqlOf } from './utils/app-cluster';

/**
 * The one-round-trip transactions of the group commits (src/platform/database/one-trip-transaction.ts)
 * against a real MySQL, on the suite's own database (the schema from the migrations, tiny dataset).
 */

let testEnv: TestEnv;
let pool: Pool;
let mysql: Connection;

beforeAll(async () => {
  testEnv = await createTestEnv('one_trip', 13, { users: 5, foods: 2 });
  // Two connections, as the app's pool: reuse after a failure is what the tests below exercise.
  pool = createOneTripPool(validateConfig({ ...testEnv.env }), 2);
  mysql = await mysqlOf(testEnv);
}, 60_000);

afterAll(async () => {
  await mysql?.end();
  await new Promise<void>((resolve) => (pool ? pool.end(() => resolve()) : resolve()));
});

beforeEach(async () => {
  await mysql.query('DELETE FROM vote_group');
  await mysql.query('DELETE FROM vote_count');
});

const groups = async () =>
  ((await mysql.query('SELECT id FROM vote_group ORDER BY id'))[0] as { id: string }[]).map(
    (r) => r.id,
  );
const counts = async () =>
  (
    (await mysql.query('SELECT user_id, votes FROM vote_count ORDER BY user_id'))[0] as {
      user_id: number;
      votes: number;
    }[]
  ).map((r) => [Number(r.user_id), Number(r.votes)]);

const TIMEOUT_MS = 5000;

const addVotes = (group: string, rows: [number, number][]) =>
  runOneTrip(
    pool,
    [
      ['INSERT INTO vote_group (id) VALUES (?)', [group]],
      [
        `INSERT INTO vote_count (user_id, votes) VALUES ${rows.map(() => '(?, ?)').join(', ')} ON DUPLICATE KEY UPDATE votes = votes + VALUES(votes)`,
        rows.flat(),
      ],
    ],
    TIMEOUT_MS,
  );

it('commits every statement of the transaction', async () => {
  await addVotes('g1', [
    [2, 1],
    [3, 2],
  ]);
  await addVotes('g2', [[3, 1]]);
  expect(await groups()).toEqual(['g1', 'g2']);
  expect(await counts()).toEqual([
    [2, 1],
    [3, 3],
  ]);
});

it('escapes values like any parameterised query: a value cannot add a statement', async () => {
  const hostile = "x'); DELETE FROM vote_count; --";
  await addVotes('g0', [[2, 5]]);
  await runOneTrip(pool, [['INSERT INTO vote_group (id) VALUES (?)', [hostile]]], TIMEOUT_MS);
  expect(await groups()).toEqual(['g0', hostile]);
  expect(await counts()).toEqual([[2, 5]]);
});

it('applies nothing of a transaction whose later statement fails, and leaves no transaction open on the connection', async () => {
  await addVotes('taken', [[2, 1]]);
  // The counts go in, then the group's insert fails (duplicate id): the server stops there.
  const failing = runOneTrip(
    pool,
    [
      [
        'INSERT INTO vote_count (user_id, votes) VALUES (?, ?) ON DUPLICATE KEY UPDATE votes = votes + VALUES(votes)',
        [4, 7],
      ],
      ['INSERT INTO vote_group (id) VALUES (?)', ['taken']],
    ],
    TIMEOUT_MS,
  );
  const error = await failing.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((error as { code?: string }).code).toBe('ER_DUP_ENTRY');
  expect(isServerError(error)).toBe(true);
  expect(mayHaveCommitted(error)).toBe(false);
  // Both connections serve again. Had the failed transaction been left open, the next
  // START TRANSACTION on its connection would have committed user 4's 7 votes.
  for (let i = 0; i < 4; i++) await addVotes(`after-${i}`, [[5, 1]]);
  expect(await groups()).toEqual(['after-0', 'after-1', 'after-2', 'after-3', 'taken']);
  expect(await counts()).toEqual([
    [2, 1],
    [5, 4],
  ]);
});

// Last: the timed-out statement may still be running on the server when the test ends.
it('gives up on an answer that does not come in time (outcome unknown) and closes the connection instead of reusing it', async () => {
  const sleepMs = 1500;
  const started = Date.now();
  const error = await runOneTrip(
    pool,
    [
      ['INSERT INTO vote_group (id) VALUES (?)', ['slow']],
      ['SELECT SLEEP(?)', [sleepMs / 1000]],
    ],
    200,
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeLessThan(sleepMs - 300);
  expect(isQueryTimeout(error)).toBe(true);
  expect(mayHaveCommitted(error)).toBe(true);
  // Both connections at once, while the server still sleeps: had the timed-out connection gone
  // back to the pool, one of these would wait behind the SLEEP.
  const next = Date.now();
  await Promise.all([addVotes('next-1', [[2, 1]]), addVotes('next-2', [[3, 1]])]);
  expect(Date.now() - next).toBeLessThan(sleepMs - 500);
  expect(await counts()).toEqual([
    [2, 1],
    [3, 1],
  ]);
  // Let the abandoned statement end before the suite's connections close.
  await sleep(Math.max(0, started + sleepMs + 200 - Date.now()));
});
