// The servers under load: the app (node dist/main.js) and the baselines, each a cluster of
// WORKERS processes on a free loopback port, stopped by procs.mjs's cleanup whatever happens.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { request } from './client.mjs';
import { waitForDataset } from './dataset.mjs';
import { childPids } from './proc-stats.mjs';
import { freePort, spawnManaged, waitFor } from './procs.mjs';

async function startServer(
  ctx,
  { name, args, env = {}, workers = ctx.workers, readyPath, timeoutMs = 90_000 },
) {
  const port = await freePort();
  const proc = spawnManaged(name, process.execPath, args, {
    cwd: ctx.root,
    logFile: ctx.logDir && join(ctx.logDir, `${name}.log`),
    env: {
      ...ctx.env,
      ...env,
      WORKERS: String(workers),
      APP_HOST: '127.0.0.1',
      APP_PORT: String(port),
    },
  });
  const url = `http://127.0.0.1:${port}`;
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
  return { name, url, port, workers, process: proc, workerPids, pids };
}

/**
 * The app, on the bench's database. `spec`: `workers` (default: the bench's), `logRequests`
 * ('on' / 'off': LOG_REQUESTS=true / false; unset: the app's own default), `profileDir` (preloads
 * the CPU-profile hook). Its stdout (the JSON log lines) goes to a file of bench/results/logs/.
 * `logsRequests` says what the running app does: it answers with `x-request-id` only when it logs
 * requests.
 */
export async function startApp(ctx, spec = {}) {
  const { workers = ctx.workers, logRequests, profileDir } = spec;
  const preload = profileDir
    ? ['--import', pathToFileURL(join(ctx.root, 'bench', 'lib', 'cpu-profile.mjs')).href]
    : [];
  const env = {
    ...(profileDir ? { BENCH_PROFILE_DIR: profileDir } : {}),
    ...(logRequests ? { LOG_REQUESTS: String(logRequests === 'on') } : {}),
  };
  const suffix = [
    workers === ctx.workers ? '' : `-${workers}w`,
    logRequests ? `-logs-${logRequests}` : '',
  ].join('');
  const app = await startServer(ctx, {
    name: `app${suffix}`,
    args: [...preload, join(ctx.dist, 'main.js')],
    env,
    workers,
    readyPath: '/health/ready',
  });
  const probe = await request('GET', `${app.url}/health/live`, { fresh: true });
  return { ...app, spec: { ...spec, workers }, logsRequests: 'x-request-id' in probe.headers };
}

/**
 * Makes ctx.app an app started with `spec` over the main app's (ctx.appSpec), on the current
 * dataset: the running one if it matches, else a new one in its place.
 */
export async function useApp(ctx, spec = {}) {
  const want = { ...ctx.appSpec, ...spec };
  want.workers ??= ctx.workers;
  const running = ctx.app?.spec;
  if (running?.workers === want.workers && running?.logRequests === want.logRequests)
    return ctx.app;
  ctx.progress.note(
    `starting the app (${want.workers} workers, LOG_REQUESTS ${want.logRequests ?? 'default'})`,
  );
  await ctx.app?.process.stop();
  ctx.app = await startApp(ctx, want);
  await waitForDataset(ctx, ctx.dataset.version);
  return ctx.app;
}

export function startHello(ctx) {
  return startServer(ctx, {
    name: 'hello',
    args: ['bench/baselines/hello-server.mjs'],
    readyPath: '/',
  });
}

/** Baseline C: the contest's six routes with canned answers (baselines/contest-server.mjs). */
export function startContestBaseline(ctx, { workers = ctx.workers } = {}) {
  return startServer(ctx, {
    name: `contest-c${workers === ctx.workers ? '' : `-${workers}w`}`,
    args: ['bench/baselines/contest-server.mjs'],
    env: { BENCH_FOODS: String(ctx.dataset.foods) },
    workers,
    readyPath: '/health/live',
  });
}

export function startLockVote(ctx) {
  return startServer(ctx, {
    name: 'lock-vote',
    args: ['bench/baselines/lock-vote-server.mjs'],
    // L is a single-Redis design: with --redis-cluster it stays on the bench's logical database.
    env: ctx.singleRedisEnv,
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
