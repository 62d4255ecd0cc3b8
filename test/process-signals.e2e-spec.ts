import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { TestEnv, createTestEnv, freePort, startNode } from './utils/app-cluster';
import { request } from './utils/http';
import { waitUntil } from './utils/wait';

/**
 * How a node stops and restarts: SIGTERM/SIGINT to `npm run serve` and `npm start` (what a
 * process manager sends to the npm process) stop every process of the node, a worker that does not
 * stop in SHUTDOWN_TIMEOUT_MS is killed, and workers that keep dying at boot are restarted with a
 * growing delay.
 */

const ROOT = join(__dirname, '..');

let env: TestEnv;

beforeAll(async () => {
  // At `log`: the primary's "SIGTERM: stopping N workers" line is what the suite reads.
  env = await createTestEnv('process_signals', 18, { users: 20 }, { LOG_LEVEL: 'log' });
}, 60_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `pid` (children, grandchildren, ...). */
function descendants(pid: number): number[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none
  }
  const children = out
    .split('\n')
    .map(Number)
    .filter((n) => n > 0);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** Waits for `check` to hold, every 100 ms; fails naming `what` after `timeoutMs`. */
const until = async (
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> => {
  await waitUntil(async () => ((await check()) ? true : undefined), timeoutMs, what, 100);
};

const answers = async (port: number): Promise<boolean> =>
  (
    await request('GET', `http://127.0.0.1:${port}/health/live`, { timeoutMs: 1000 }).catch(
      () => undefined,
    )
  )?.status === 200;

/** Starts `command` as a two-worker node of the suite on `port`, keeping what it prints. */
function spawnNode(
  command: string,
  args: string[],
  port: number,
): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...env.env, APP_HOST: '127.0.0.1', APP_PORT: String(port), WORKERS: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

describe.each([
  ['serve', 'SIGTERM'],
  ['serve', 'SIGINT'],
  ['start', 'SIGTERM'],
] as const)('npm run %s, sent %s', (script, signal) => {
  it('stops every process of the node and frees the port', async () => {
    const port = await freePort();
    const { child, output } = spawnNode('npm', ['run', script], port);
    try {
      await until('the node to answer', () => answers(port), 90_000);
      const tree = descendants(child.pid!);
      expect(tree.length).toBeGreaterThanOrEqual(3); // node's primary and two workers at least
      child.kill(signal);
      await until(
        'every process of the node to exit',
        () => tree.every((pid) => !alive(pid)),
        20_000,
      );
      expect(await answers(port)).toBe(false);
      expect(output()).toContain(`${signal}: stopping 2 workers`);
    } finally {
      for (const pid of descendants(child.pid!)) process.kill(pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  }, 120_000);
});

it('kills a worker that has not stopped SHUTDOWN_TIMEOUT_MS after SIGTERM, then exits 1', async () => {
  const node = await startNode(env, { workers: 2, env: { SHUTDOWN_TIMEOUT_MS: '1500' } });
  const workers = descendants(node.process.pid!);
  expect(workers).toHaveLength(2);
  process.kill(workers[0], 'SIGSTOP'); // a worker that cannot run its shutdown
  const exited = new Promise<number | null>((resolve) =>
    node.process.once('exit', (code) => resolve(code)),
  );
  const started = Date.now();
  node.process.kill('SIGTERM');
  expect(await exited).toBe(1);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  await until('the stopped worker to be killed', () => !alive(workers[0]), 5000);
  expect(node.output()).toMatch(/1 worker\(s\) still running after SHUTDOWN_TIMEOUT_MS/);
}, 60_000);

it('restarts workers that keep dying at boot with a growing delay', async () => {
  // Another process holds the port: every worker fails to listen and exits.
  const blocker: Server = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  const main = join(ROOT, process.env.E2E_DIST ?? 'dist', 'main.js');
  const { child, output } = spawnNode(process.execPath, [main], port);
  try {
    await until(
      'four workers to die',
      () => (output().match(/starting another in/g) ?? []).length >= 4,
      60_000,
    );
    const delays = [...output().matchAll(/starting another in (\d+) ms/g)].map((m) => Number(m[1]));
    expect(delays.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    blocker.close();
  }
}, 90_000);
