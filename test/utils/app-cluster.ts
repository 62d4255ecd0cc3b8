import { ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { request } from './http';
import { redisClientOf, suiteDatabase, suiteKeyPrefix } from './suite-redis';

const ROOT = join(__dirname, '..', '..');
/**
 * The compiled app the suites run: `dist/`, or `E2E_DIST` (relative to the project root), e.g. a
 * copy of dist/ that a concurrent `nest build` (which empties dist/ first) cannot pull away mid-run.
 */
const DIST = resolve(ROOT, process.env.E2E_DIST ?? 'dist');
const run = promisify(execFile);

/**
 * Each e2e suite gets its own MySQL database, Redis key prefix and, on a single Redis, logical
 * database, so suites (and a dev server on the defaults) never see each other's data: the prefix
 * (`e2e:<name>:`, test/utils/suite-redis.ts) is what keeps them apart on a Redis Cluster, which
 * has database 0 only. With REDIS_CLUSTER_NODES in the environment the suites run on that cluster
 * and `redisDb` is not used. E2E_NAMESPACE goes into every database name and prefix, so that two
 * people can run suites at once on one MariaDB and Redis. Allocation of REDIS_DB:
 *   1 ordering-contract  2 ordering-races  3 ordering-durability  4 cart-rules
 *   5 voting-api  6 voting-leader  7 voting-races  8-10 stock leasing  11 voting-outages
 *   12 vote-settle  13 one-trip-transaction  14 query-timeout  15 the bench (npm run bench)
 *   16 fuzz  17 abuse-limits  18 process-signals  19 browser-pages  20 operations
 *   21 openapi-document  22 redis-prefix  23 ordering-cluster (on the cluster)
 *   24 in-doubt-registry  25 voting-cluster (on the cluster)  26 ticket-scripts
 *   (Redis runs with 64 databases: scripts/services.mjs)
 */
export interface TestEnv {
  name: string;
  /** Environment for app processes and CLI runs of this suite. */
  env: Record<string, string>;
  /** Users of the generated dataset with their plain passwords (user 1 is root/toor). */
  users: { id: number; name: string; password: string }[];
}

export interface DatasetOptions {
  users?: number;
  foods?: number;
  stock?: number;
}

/** Creates (or resets) the suite's database and loads a small dataset with the load-test hash cost. */
export async function createTestEnv(
  name: string,
  redisDb: number,
  dataset: DatasetOptions = {},
  extraEnv: Record<string, string> = {},
): Promise<TestEnv> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'test',
    DB_NAME: suiteDatabase(name),
    REDIS_DB: process.env.REDIS_CLUSTER_NODES ? '0' : String(redisDb),
    REDIS_KEY_PREFIX: suiteKeyPrefix(name),
    TOKEN_SECRET: 'e2e-token-secret-0123456789abcdef',
    LOG_LEVEL: 'warn',
    WORKERS: '1',
    ...extraEnv,
  };
  const testEnv: TestEnv = { name, env, users: [] };
  await generateDataset(testEnv, dataset);
  return testEnv;
}

/** Replaces the suite's dataset (`npm run data -- generate`) and re-reads the credentials. */
export async function generateDataset(
  testEnv: TestEnv,
  { users = 200, foods = 10, stock = 100 }: DatasetOptions = {},
): Promise<void> {
  const credentials = join(tmpdir(), `eleme-${testEnv.name}-${process.pid}.csv`);
  const args = [
    join(DIST, 'cli', 'data.js'),
    'generate',
    '--users',
    String(users),
    '--foods',
    String(foods),
    '--stock',
    String(stock),
    '--hash-cost',
    '4',
    '--credentials',
    credentials,
  ];
  await run(process.execPath, args, { cwd: ROOT, env: testEnv.env });
  testEnv.users = readFileSync(credentials, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [id, name, password] = line.split(',');
      return { id: Number(id), name, password };
    });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface AppNode {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Sends a signal and waits until the process has exited (bounded). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

export interface NodeOptions {
  workers?: number;
  port?: number;
  env?: Record<string, string>;
  /** Wait until /health/ready answers 200 (default) or only until the port is open. */
  waitReady?: boolean;
}

/** Starts `node dist/main.js` as a real process of the suite's environment. */
export async function startNode(testEnv: TestEnv, options: NodeOptions = {}): Promise<AppNode> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [join(DIST, 'main.js')], {
    cwd: ROOT,
    env: {
      ...testEnv.env,
      APP_HOST: '127.0.0.1',
      APP_PORT: String(port),
      WORKERS: String(options.workers ?? 1),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const node: AppNode = {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    output: () => output,
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node exited during start-up:\n${output}`);
    const reply = await request(
      'GET',
      `${node.url}/health/${options.waitReady === false ? 'live' : 'ready'}`,
    ).catch(() => undefined);
    if (reply?.status === 200) return node;
    if (Date.now() > deadline) {
      await node.stop('SIGKILL');
      throw new Error(`node did not become ready in 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Direct access to the suite's MySQL database, to check what was really committed. */
export async function mysqlOf(testEnv: TestEnv) {
  return createConnection({
    host: testEnv.env.DB_HOST ?? '127.0.0.1',
    port: Number(testEnv.env.DB_PORT ?? 3306),
    user: testEnv.env.DB_USER ?? 'eleme',
    password: testEnv.env.DB_PASS ?? 'eleme',
    database: testEnv.env.DB_NAME,
  });
}

/**
 * Direct access to the suite's Redis keys, with its prefix: a Cluster client when
 * REDIS_CLUSTER_NODES is set (see redisClientOf), else the suite's logical database.
 */
export function redisOf(testEnv: TestEnv): Redis {
  return redisClientOf(testEnv.env, `e2e-${testEnv.name}`);
}

/** Logs a user in and returns the access token. */
export async function login(
  node: { url: string },
  user: { name: string; password: string },
): Promise<string> {
  const reply = await request<{ access_token: string }>('POST', `${node.url}/login`, {
    body: { username: user.name, password: user.password },
  });
  if (reply.status !== 200)
    throw new Error(`login of ${user.name} failed: ${reply.status} ${reply.text}`);
  return reply.body.access_token;
}
