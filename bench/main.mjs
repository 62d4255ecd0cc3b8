// `npm run bench`: starts the app and the baselines on the bench's own database, runs every
// scenario (each followed by its audit), and writes the report. scripts/bench.mjs prepares the
// project (install, build, Redis + MariaDB) and then calls runBench().
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { AuditError } from './lib/audit.mjs';
import { closeClient } from './lib/client.mjs';
import { generateDataset, loadDataset, newLedger, waitForDataset } from './lib/dataset.mjs';
import { idleLoad } from './lib/load.mjs';
import { GROUPS, USAGE, estimateSeconds, parseOptions } from './lib/options.mjs';
import { formatSummary, summariseProfiles } from './lib/profile-summary.mjs';
import { cores } from './lib/proc-stats.mjs';
import { dropLines, installCleanup, stopAll } from './lib/procs.mjs';
import { createProgress } from './lib/progress.mjs';
import { writeReport } from './lib/report.mjs';
import {
  startApp,
  startContestBaseline,
  startHello,
  startLockVote,
  useApp,
} from './lib/servers.mjs';
import { snapshotDist } from './lib/snapshot.mjs';
import { openStore } from './lib/store.mjs';
import { cleanupWorkDir, ensureWrk } from './lib/wrk.mjs';
import { localClusterNodes } from '../scripts/env.mjs';
import { contestFlow, helloCeiling, loginCost, saleFlow } from './scenarios/ordering.mjs';
import { stackFloor } from './scenarios/floor.mjs';
import { routeCosts } from './scenarios/routes.mjs';
import { cachedQuery, coldBurst, probeVoting, voteRun } from './scenarios/voting.mjs';

const execFileAsync = promisify(execFile);

/** The bench's own Redis logical database on the single Redis, and nothing of a cluster. */
function singleRedisEnv(base) {
  return { REDIS_DB: base.BENCH_REDIS_DB ?? '15', REDIS_CLUSTER_NODES: '', REDIS_KEY_PREFIX: '' };
}

/** --redis-cluster: the local cluster of scripts/services.mjs, under the bench's key prefix. */
function clusterEnv(base) {
  const nodes = localClusterNodes(base);
  if (!nodes)
    throw new Error('--redis-cluster: REDIS_CLUSTER_PORTS is empty, there is no local cluster');
  return {
    REDIS_CLUSTER_NODES: nodes,
    REDIS_DB: '0',
    REDIS_KEY_PREFIX: base.BENCH_REDIS_PREFIX ?? 'bench:',
  };
}

function benchEnv(base, workers, redisCluster) {
  return {
    ...base,
    DB_NAME: base.BENCH_DB_NAME ?? 'eleme_bench',
    ...(redisCluster ? clusterEnv(base) : singleRedisEnv(base)),
    NODE_ENV: 'production',
    TOKEN_SECRET: `bench-${randomBytes(16).toString('hex')}`,
    // The app's default level, at which it writes its request lines (LOG_REQUESTS: the app's own
    // default, errors only, unless --log-requests says otherwise): what is measured is the app as
    // it runs by default.
    LOG_LEVEL: 'log',
    WORKERS: String(workers),
    // The usage cap out of the way: the bench measures votes, not refusals.
    TICKET_MAX_USES: '1000000000',
    DATASET_POLL_MS: '250',
  };
}

/** The groups (run in the order of GROUPS). Each returns nothing; figures go to ctx.raw. */
const GROUP_RUNNERS = {
  async sale(ctx) {
    await helloCeiling(ctx, ctx.plan.connections);
    await saleFlow(ctx, { connections: ctx.plan.connections, seconds: ctx.plan.saleSeconds });
  },
  async votes(ctx) {
    if (!ctx.voting.available) return;
    await helloCeiling(ctx, ctx.plan.connections);
    for (const names of [1, 3])
      await voteRun(ctx, {
        names,
        connections: ctx.plan.connections,
        seconds: ctx.plan.voteSeconds,
      });
  },
  async lock(ctx) {
    for (const names of [1, 3])
      await voteRun(ctx, {
        server: 'lock',
        names,
        connections: ctx.plan.connections,
        seconds: ctx.plan.lockSeconds,
      });
  },
  async query(ctx) {
    if (!ctx.voting.available) return;
    await helloCeiling(ctx, ctx.plan.connections);
    // The cold burst needs a name with acknowledged votes.
    if (ctx.ledger.votes.size === 0)
      await voteRun(ctx, {
        names: 1,
        connections: ctx.plan.connections,
        seconds: ctx.plan.voteSeconds,
      });
    ctx.raw.queryCached = await cachedQuery(ctx, {
      connections: ctx.plan.connections,
      seconds: ctx.plan.querySeconds,
    });
    ctx.raw.queryBurst = await coldBurst(ctx, { size: ctx.plan.burstSize });
  },
  async floor(ctx) {
    await helloCeiling(ctx, ctx.plan.connections);
    ctx.raw.floor = await stackFloor(ctx, {
      connections: ctx.plan.connections,
      seconds: ctx.plan.floorSeconds,
    });
  },
  // The sale flow on an app with LOG_REQUESTS=true and on one with false, both started for this
  // group (the main app stops meanwhile) and up the whole time, on one dataset of their own. A
  // first round warms both up and is not counted; then they take turns (off on, on off, ...), an
  // even number of rounds, so that a drift on a shared machine falls on both alike.
  async logging(ctx) {
    await loadDataset(ctx, { users: ctx.plan.loggingUsers, hashCost: ctx.plan.loadTestHashCost });
    await ctx.app.process.stop();
    ctx.app = undefined;
    const apps = {};
    const runs = { on: [], off: [], warmup: [] };
    try {
      for (const setting of ['on', 'off']) {
        ctx.progress.note(`starting an app with LOG_REQUESTS ${setting}`);
        ctx.app = apps[setting] = await startApp(ctx, { ...ctx.appSpec, logRequests: setting });
        await waitForDataset(ctx, ctx.dataset.version);
      }
      for (let round = 0; round <= ctx.plan.loggingRounds; round++) {
        for (const setting of round % 2 ? ['off', 'on'] : ['on', 'off']) {
          ctx.app = apps[setting];
          // A dataset reloaded for want of users in the other app's turn.
          await waitForDataset(ctx, ctx.dataset.version);
          const run = await saleFlow(ctx, {
            connections: ctx.plan.connections,
            seconds: ctx.plan.loggingSeconds,
            key: `logging@${setting}@${round}`,
            label: `, request logs ${setting}, ${round ? `round ${round}` : 'warm-up round'}`,
          });
          runs[round ? setting : 'warmup'].push({
            ...run,
            logsRequests: apps[setting].logsRequests,
          });
        }
      }
    } finally {
      await Promise.all(Object.values(apps).map((app) => app.process.stop()));
      // The next group gets the main app back (useApp).
      ctx.app = undefined;
    }
    ctx.raw.logging = runs;
  },
  async growth(ctx) {
    for (const { users, levels } of ctx.plan.growth) {
      if (ctx.dataset.size !== users || ctx.dataset.hashCost !== ctx.plan.loadTestHashCost) {
        await loadDataset(ctx, { users, hashCost: ctx.plan.loadTestHashCost });
      }
      for (const connections of levels) {
        if (ctx.plan.helloAtEveryLevel) await helloCeiling(ctx, connections);
        await saleFlow(ctx, { connections, seconds: ctx.plan.growthSeconds });
        if (ctx.voting.available)
          await voteRun(ctx, { names: 1, connections, seconds: ctx.plan.growthSeconds });
      }
    }
  },
  // The contest flow on the app and on baseline C at each level, per worker count (the main one
  // first, then the full plan's 1 worker).
  async contest(ctx) {
    for (const workers of ctx.plan.contestWorkers) {
      await useApp(ctx, { workers });
      const canned = await startContestBaseline(ctx, { workers });
      try {
        for (const connections of ctx.plan.contestLevels) {
          if (ctx.plan.helloAtEveryLevel && workers === ctx.workers)
            await helloCeiling(ctx, connections);
          const run = { connections, seconds: ctx.plan.contestSeconds };
          ctx.raw[`contest@${connections}@${workers}w`] = await contestFlow(ctx, {
            ...run,
            users: ctx.plan.contestUsers,
          });
          ctx.raw[`contestC@${connections}@${workers}w`] = await contestFlow(ctx, {
            ...run,
            server: canned,
          });
        }
      } finally {
        await canned.process.stop();
      }
    }
  },
  // Each contest route's server CPU per request, on the app and on C (scenarios/routes.mjs).
  async routes(ctx) {
    // POST /login at the load-test hash cost, as in the contest flow.
    if (ctx.dataset.hashCost !== ctx.plan.loadTestHashCost)
      await loadDataset(ctx, { users: 1000, hashCost: ctx.plan.loadTestHashCost });
    const canned = await startContestBaseline(ctx);
    try {
      ctx.raw.routes = await routeCosts(ctx, canned, {
        connections: ctx.plan.connections,
        seconds: ctx.plan.routeSeconds,
      });
    } finally {
      await canned.process.stop();
    }
  },
  async login(ctx) {
    ctx.raw.loginDefaultCost = await loginCost(ctx, {
      users: ctx.plan.loginUsers,
      connections: ctx.plan.loginConnections,
      seconds: ctx.plan.loginSeconds,
    });
  },
};
async function gitCommit(root) {
  try {
    const { stdout } = await execFileAsync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root });
    const { stdout: dirty } = await execFileAsync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: root,
    });
    return `${stdout.trim()}${dirty.trim() ? ' + uncommitted src changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** The apps' request lines would fill the disk over a few plans: only the other lines are kept. */
async function compactAppLogs(dir) {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir).filter((f) => f.startsWith('app') && f.endsWith('.log')))
    await dropLines(join(dir, file), '"msg":"request"').catch(() => undefined);
}

/** Writes the profiles of the armed run (see load.mjs) and returns their summary. */
async function collectProfile(ctx) {
  const { dir } = ctx.profile;
  await sleep(1000);
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(dir, f))
    : [];
  if (!files.length) return { error: 'no profile was written' };
  const summary = summariseProfiles(files, 25);
  ctx.progress.log(
    `CPU profile of the app workers (${ctx.profile.label}):\n${formatSummary(summary)}\nfiles: ${files.join(', ')}`,
  );
  return { label: ctx.profile.label, files, ...summary };
}

export async function runBench(argv, { root, env: baseEnv }) {
  let opts;
  try {
    opts = parseOptions(argv);
  } catch (error) {
    console.error(error.message);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const progress = createProgress(estimateSeconds(opts));
  installCleanup((m) => progress.log(`[bench] ${m}`));
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  let env;
  try {
    env = benchEnv(baseEnv, opts.workers, opts.redisCluster);
  } catch (error) {
    console.error(error.message);
    return 2;
  }
  const ctx = {
    root,
    env,
    singleRedisEnv: singleRedisEnv(baseEnv),
    workers: opts.workers,
    // The main app; a group that stops it (logging) or needs another (contest on 1 worker)
    // gives it back for the next group.
    appSpec: { logRequests: opts.logRequests, profileDir: undefined },
    plan: opts.plan,
    progress,
    raw: {},
    estimates: {},
    queried: new Set(),
    ledger: newLedger(),
    datasetPollMs: 250,
    // The servers' output (the app logs warnings and errors), for a look after the run.
    logDir: join(root, 'bench', 'results', 'logs', stamp),
    profile: opts.profile
      ? {
          group: opts.profile,
          dir: join(root, 'bench', 'results', 'profiles', stamp),
          armed: false,
        }
      : undefined,
  };
  const meta = {
    started: started.toISOString(),
    quick: opts.quick,
    workers: opts.workers,
    cores,
    node: process.version,
    commit: await gitCommit(root),
    database: opts.redisCluster
      ? `${ctx.env.DB_NAME} / Redis Cluster ${ctx.env.REDIS_CLUSTER_NODES}, prefix ${ctx.env.REDIS_KEY_PREFIX}`
      : `${ctx.env.DB_NAME} / Redis db ${ctx.env.REDIS_DB}`,
    redisCluster: opts.redisCluster ? ctx.env.REDIS_CLUSTER_NODES : undefined,
    groups: [...opts.groups],
    plan: opts.plan,
  };
  let failure;
  try {
    ensureWrk((m) => progress.log(`[bench] ${m}`));
    progress.note('measuring the machine idle');
    meta.neighbourLoad = await idleLoad(500);
    ctx.dist = await snapshotDist(root, (m) => progress.log(`[bench] ${m}`));
    progress.note('migrating the bench database');
    await execFileAsync(process.execPath, [join(ctx.dist, 'cli', 'migrate.js')], {
      cwd: root,
      env: ctx.env,
    });
    ctx.store = await openStore(ctx.env);
    progress.note(`dataset: ${opts.plan.mainUsers} users`);
    ctx.dataset = await generateDataset(ctx, {
      users: opts.plan.mainUsers,
      hashCost: opts.plan.loadTestHashCost,
    });
    progress.note('starting the app and the baselines');
    const wantLock = opts.groups.has('lock');
    ctx.appSpec.profileDir = ctx.profile?.dir;
    [ctx.app, ctx.hello, ctx.lock] = await Promise.all([
      startApp(ctx, ctx.appSpec),
      startHello(ctx),
      wantLock ? startLockVote(ctx) : undefined,
    ]);
    await waitForDataset(ctx, ctx.dataset.version);
    meta.logRequests = { option: opts.logRequests ?? null, on: ctx.app.logsRequests };
    ctx.voting = await probeVoting(ctx);
    if (!ctx.voting.available)
      progress.log(
        `[bench] voting API not available, its scenarios are skipped: ${ctx.voting.reason}`,
      );
    for (const group of GROUPS) {
      if (!opts.groups.has(group)) continue;
      await useApp(ctx);
      if (ctx.profile?.group === group && !ctx.profile.done) ctx.profile.armed = true;
      await GROUP_RUNNERS[group](ctx);
      if (ctx.profile?.done && !ctx.raw.profile) ctx.raw.profile = await collectProfile(ctx);
    }
  } catch (error) {
    failure = error;
  } finally {
    progress.note('stopping the servers');
    await stopAll();
    await compactAppLogs(ctx.logDir);
    if (ctx.dist) rmSync(ctx.dist, { recursive: true, force: true });
    await ctx.store?.close();
    closeClient();
    cleanupWorkDir();
    progress.stop();
  }
  meta.finished = new Date().toISOString();
  meta.voting = ctx.voting;
  const files = writeReport(join(root, 'bench', 'results'), stamp, {
    meta,
    raw: ctx.raw,
    failure: failure && { message: failure.message, audit: failure instanceof AuditError },
  });
  console.log(files.text);
  // The chart of a plan, or of a subset with both headline groups, goes to the docs as well.
  // Not a --redis-cluster run's: the chart is the single-Redis figure the docs discuss.
  const published =
    !failure &&
    !opts.redisCluster &&
    (!opts.only || (opts.groups.has('sale') && opts.groups.has('contest')));
  if (published) copyFileSync(files.paths[1], join(root, 'docs', 'bench-latest.svg'));
  console.log(
    `\nwritten: ${[...files.paths, ...(published ? ['docs/bench-latest.svg'] : [])].join(', ')}\nserver logs: ${ctx.logDir}`,
  );
  if (failure) {
    const banner =
      failure instanceof AuditError
        ? 'AUDIT FAILED — the service broke an invariant'
        : 'BENCH FAILED';
    console.error(
      `\n${'!'.repeat(78)}\n!! ${banner}\n${'!'.repeat(78)}\n${failure instanceof AuditError ? failure.message : (failure.stack ?? failure.message)}\n${'!'.repeat(78)}`,
    );
    return 1;
  }
  if (ctx.profile && !ctx.raw.profile) rmSync(ctx.profile.dir, { recursive: true, force: true });
  return 0;
}
