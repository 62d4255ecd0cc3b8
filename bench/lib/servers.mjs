// The servers under load: the app (node dist/main.js) and the two baselines, each a cluster of
// WORKERS processes on a free loopback port, stopped by procs.mjs's cleanup whatever happens.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { request } from './client.mjs';
import { childPids } from './proc-stats.mjs';
import { freePort, spawnManaged, waitFor } from './procs.mjs';

async function startServer(ctx, { name, args, env = {}, readyPath, timeoutMs = 90_000 }) {
  const port = await freePort();
  const proc = spawnManaged(name, process.execPath, args, {
    cwd: ctx.root,
    logFile: ctx.logDir && join(ctx.logDir, `${name}.log`),
    env: { ...ctx.env, ...env, APP_HOST: '127.0.0.1', APP_PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  const workers = ctx.workers;
  const workerPids = () => (workers > 1 ? childPids(proc.pid) : [proc.pid]);
  try {
    await waitFor(
      `${name} answering ${readyPath}`,
      async () =>
        (await request('GET', url + readyPath, { fresh: true, timeoutMs: 2000 })).status === 200,
      {
        timeoutMs,
        alive: () => proc.running,
      },
    );
    await waitFor(`${name}: ${workers} workers`, async () => workerPids().length === workers, {
      timeoutMs: 30_000,
      alive: () => proc.running,
    });
  } catch (error) {
    throw new Error(`${error.message}\n--- ${name} output ---\n${proc.output()}`, { cause: error });
  }
  // Every process of the server: the primary and its workers (for CPU accounting).
  const pids = () => (workers > 1 ? [proc.pid, ...workerPids()] : [proc.pid]);
  return { name, url, port, process: proc, workerPids, pids };
}

/** The app, on the bench's database; with `profileDir`, preloaded with the CPU-profile hook. */
export function startApp(ctx, { profileDir } = {}) {
  const preload = profileDir
    ? ['--import', pathToFileURL(join(ctx.root, 'bench', 'lib', 'cpu-profile.mjs')).href]
    : [];
  return startServer(ctx, {
    name: 'app',
    args: [...preload, join(ctx.dist, 'main.js')],
    env: profileDir ? { BENCH_PROFILE_DIR: profileDir } : {},
    readyPath: '/health/ready',
  });
}

export function startHello(ctx) {
  return startServer(ctx, {
    name: 'hello',
    args: ['bench/baselines/hello-server.mjs'],
    readyPath: '/',
  });
}

export function startLockVote(ctx) {
  return startServer(ctx, {
    name: 'lock-vote',
    args: ['bench/baselines/lock-vote-server.mjs'],
    readyPath: '/health/live',
  });
}

/**
 * The GraphQL floor's baselines, for the floor group: `bare` is mercurius on a bare Fastify (the
 * library's own cost), `nest` the smallest Nest application with the app's GraphQL stack.
 */
export function startGraphqlFloor(ctx, kind) {
  return startServer(ctx, {
    name: `graphql-floor-${kind}`,
    args: [
      `bench/baselines/${kind === 'bare' ? 'graphql-floor-server.mjs' : 'nest-graphql-floor-server.mjs'}`,
    ],
    readyPath: '/',
  });
}
