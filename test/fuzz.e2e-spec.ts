import { AppNode, TestEnv, createTestEnv, startNode } from './utils/app-cluster';
import { gatherContext, startTicketPoller } from './fuzz/context';
import { DEATH_LINES, NodeWatch, watchNode } from './fuzz/liveness';
import {
  Channel,
  FuzzTarget,
  assertChannel,
  channels,
  formatStats,
  formatSurvey,
  surveyChannel,
} from './fuzz/runner';
import { closeWirePool } from './fuzz/wire';

/**
 * Property-based fuzzing (fast-check) of both APIs on one real node with two workers, Redis and
 * MySQL up. For every input: status < 500, a JSON body, errors in the contract's shape
 * (`{code, message}` as `application/json; charset=utf-8` on REST, `errors[].extensions.code`
 * on GraphQL), no worker exits; and at the end no 'out of memory' or 'died' line in the output.
 *
 * Four properties, run at the same time (each is sequential; together they keep both workers
 * busy): REST and GraphQL over node:http (FUZZ_RUNS inputs each), and malformed HTTP over raw
 * sockets to each API (FUZZ_RUNS / 20 runs of up to 4 connections each). A failure is shrunk by
 * fast-check and reported with its seed, path and counterexample; each property has a time
 * budget, and not reaching its runs within it fails too.
 *
 *   FUZZ_RUNS      inputs per API over HTTP (default 10000)
 *   FUZZ_API       rest | graphql | all (default all)
 *   FUZZ_SEED      the seed of every property (fast-check prints the seed and path of a failure)
 *   FUZZ_ONLY      one property: rest | restRaw | graphql | graphqlRaw
 *   FUZZ_PATH      with FUZZ_SEED and FUZZ_ONLY: replay exactly the counterexample printed
 *   FUZZ_SURVEY=1  do not stop at the first failure: group every violation by kind and shrink
 *                  one counterexample of each (FUZZ_SHRINK_MS each, default 15000)
 *
 * Uses Redis logical database 16 (nobody else does).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const RAW_RUNS = Math.max(50, Math.ceil(RUNS / 20));
const API = process.env.FUZZ_API ?? 'all';
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const SURVEY = process.env.FUZZ_SURVEY === '1';

/** Per property: runs, and the time it may take (about `perRunMs` a run, at least 30 s). */
const PLAN: Record<string, { runs: number; perRunMs: number }> = {
  rest: { runs: RUNS, perRunMs: 15 },
  restRaw: { runs: RAW_RUNS, perRunMs: 200 },
  graphql: { runs: RUNS, perRunMs: 15 },
  graphqlRaw: { runs: RAW_RUNS, perRunMs: 200 },
};
const budgetMs = (name: string): number => Math.max(30_000, PLAN[name].runs * PLAN[name].perRunMs);
/** Jest's timeout of a test that waits for a property: its budget plus shrinking and slack. */
const testTimeoutMs = (name: string): number => budgetMs(name) * (SURVEY ? 10 : 1) + 60_000;

const ONLY = process.env.FUZZ_ONLY;
const PATH = process.env.FUZZ_PATH;
const ACTIVE = Object.keys(PLAN).filter((name) =>
  ONLY !== undefined
    ? name === ONLY
    : API === 'all' || (API === 'rest' ? name.startsWith('rest') : name.startsWith('graphql')),
);

let env: TestEnv;
let node: AppNode;
let watch: NodeWatch;
let poller: ReturnType<typeof startTicketPoller>;
let all: Record<string, Channel<unknown>>;
/** A started property: settles with its error (or undefined), never rejects. */
const runs: Record<string, Promise<unknown>> = {};

async function fuzz(name: string): Promise<void> {
  const channel = all[name];
  const { runs: numRuns } = PLAN[name];
  const timeLimitMs = budgetMs(name);
  const started = Date.now();
  const stats = (): void => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`${formatStats(channel)} (${seconds} s)\n`);
  };
  if (!SURVEY) {
    try {
      await assertChannel(channel, { numRuns, timeLimitMs, seed: SEED, path: PATH });
    } finally {
      stats();
    }
    return;
  }
  const entries = await surveyChannel(channel, {
    numRuns,
    timeLimitMs,
    seed: SEED,
    shrinkTimeLimitMs: Number(process.env.FUZZ_SHRINK_MS ?? 15_000),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  stats();
  const report = formatSurvey(channel.name, numRuns, entries);
  process.stdout.write(`\n${report}\n`);
  if (entries.length > 0) throw new Error(report);
}

function start(name: string): Promise<unknown> {
  runs[name] ??= fuzz(name).then(
    () => undefined,
    (error: unknown) => error,
  );
  return runs[name];
}

async function expectPropertyHolds(name: string): Promise<void> {
  const error = await start(name);
  if (error) throw error;
}

beforeAll(async () => {
  env = await createTestEnv('fuzz', 16, { users: 60, foods: 10, stock: 1000 });
  node = await startNode(env, { workers: 2 });
  // startNode returns once one worker answers: wait until the primary has forked both.
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      watch = watchNode(node, 2);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // Tokens first, before any fuzzed login (which may be throttled) can touch these users.
  const ctx = await gatherContext(node.url, env.users, { tokenUsers: 4 });
  poller = startTicketPoller(node.url);
  const target: FuzzTarget = {
    url: node.url,
    ctx,
    ticket: poller.current,
    liveness: () => watch.problem(),
    requestTimeoutMs: 10_000,
  };
  all = channels(target);
  for (const name of ACTIVE) void start(name);
}, 90_000);

afterAll(async () => {
  // The node's unexpected errors (logged with their stacks) say where a violation comes from.
  const errors = new Map<string, number>();
  for (const line of (node?.output() ?? '').split('\n')) {
    // eslint-disable-next-line no-control-regex
    const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
    const m = /\bERROR\s+\[(\w+)\]\s+(.*)$/.exec(plain);
    if (m) {
      const key = `[${m[1]}] ${m[2].replace(/\d+/g, 'N').slice(0, 140)}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
  }
  if (errors.size > 0) {
    const lines = [...errors].sort((a, b) => b[1] - a[1]).slice(0, 15);
    process.stdout.write(
      `the node logged ${errors.size} kind(s) of ERROR:\n${lines.map(([k, n]) => `  ${n}× ${k}`).join('\n')}\n`,
    );
  }
  // Let properties still running (after a failure elsewhere) end before the node goes.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(Object.values(runs)),
    new Promise((r) => (timer = setTimeout(r, 5000))),
  ]);
  clearTimeout(timer);
  poller?.stop();
  closeWirePool();
  await node?.stop('SIGTERM', 10_000);
  watch?.killLeftovers();
}, 60_000);

/** A test per property; properties left out (FUZZ_API, FUZZ_ONLY) are skipped. */
const itFor = (name: string) => (ACTIVE.includes(name) ? it : it.skip);

describe('REST (ordering API)', () => {
  itFor('rest')(
    `${RUNS} well-formed HTTP requests: status < 500, JSON bodies, errors {code, message}`,
    () => expectPropertyHolds('rest'),
    testTimeoutMs('rest'),
  );

  itFor('restRaw')(
    `${RAW_RUNS} raw-socket runs of malformed HTTP: any answer is < 500 and JSON with a code`,
    () => expectPropertyHolds('restRaw'),
    testTimeoutMs('restRaw'),
  );
});

describe('GraphQL (voting API)', () => {
  itFor('graphql')(
    `${RUNS} documents over POST and GET: status < 500, JSON, every error has extensions.code`,
    () => expectPropertyHolds('graphql'),
    testTimeoutMs('graphql'),
  );

  itFor('graphqlRaw')(
    `${RAW_RUNS} raw-socket runs of malformed HTTP to /graphql: any answer is < 500 and JSON with a code`,
    () => expectPropertyHolds('graphqlRaw'),
    testTimeoutMs('graphqlRaw'),
  );
});

describe('the node after the fuzzing', () => {
  it('still has its two workers, and its output has no out-of-memory or died lines', async () => {
    await Promise.all(Object.values(runs));
    expect(watch.problem()).toBeUndefined();
    expect(
      node
        .output()
        .split('\n')
        .filter((l) => DEATH_LINES.test(l)),
    ).toEqual([]);
  }, 600_000);
});
