// Command line and the two plans (full and --quick): durations, connection counts, dataset sizes.
import { parseArgs } from 'node:util';
import { cores } from './proc-stats.mjs';

/**
 * The groups, in the order they run (few dataset reloads): growth first on the dataset the bench
 * starts with, the 100k load after the rest; logging after the groups that read the main
 * dataset's figures (it loads one of its own).
 */
export const GROUPS = [
  'sale',
  'votes',
  'lock',
  'query',
  'floor',
  'logging',
  'growth',
  'contest',
  'routes',
  'login',
];
/** Left out of --quick unless named in --only: the short plan has no time to spare. */
const FULL_PLAN_ONLY = ['floor', 'logging', 'routes'];

export const USAGE = `Usage: npm run bench -- [options]

  --quick              the short plan (about 2.5 minutes): 20k-user flows, shorter runs and warm-ups
  --only LIST          comma-separated groups to run: ${GROUPS.join(', ')}
                       (H, the ceiling, is measured wherever a figure needs it; --quick
                       leaves out ${FULL_PLAN_ONLY.join(', ')} unless named here)
  --workers N          app and baseline worker processes (default: CPU cores, ${cores}); the full
                       plan runs the contest again on 1 worker
  --connections N      the main concurrency level (default 200)
  --log-requests on|off  LOG_REQUESTS of the app (default: not set, the app's own default);
                       the group logging runs the sale flow with both whatever this says
  --redis-cluster      the app (and the data CLI) on the local Redis Cluster of
                       scripts/services.mjs, under key prefix bench: (BENCH_REDIS_PREFIX); the
                       sale and contest runs then report Redis commands per order, per master
  --profile GROUP      CPU-profile the app workers during GROUP's first load run; the profiles
                       go to bench/results/profiles/ and their top self time is printed
  -h, --help           this text

Env: BENCH_DB_NAME (default eleme_bench) and BENCH_REDIS_DB (default 15) keep the bench's data
apart from development and e2e data. Redis and MySQL addresses come from .env / the environment.`;

const FULL = {
  connections: 200,
  // Unmeasured load before the first run of each flow on each server. In a 4 s run on a cold app,
  // V8's optimising compiler took 18 % of the app's CPU (perf, background threads); the quick
  // plan's growth runs, on the warm app, showed 25-29 % more than its first sale and vote runs.
  warmupSeconds: 3,
  helloSeconds: 10,
  saleSeconds: 15,
  voteSeconds: 10,
  lockSeconds: 10,
  querySeconds: 10,
  floorSeconds: 5,
  contestSeconds: 20,
  contestUsers: 100_000,
  contestLevels: [200, 1000],
  // The contest flow also runs on 1 worker (app and C), after the main worker count.
  contestOneWorker: true,
  // Baseline C checks nothing, so its users are made up: enough for this many orders a second,
  // and for this many orders per client (the fastest of 1000 clients get far more than 1/1000).
  cannedOrderRateGuess: 8000,
  cannedOrdersPerClient: 1000,
  // Server CPU per request by route: a keep-alive run per route on the app and on C.
  routeSeconds: 5,
  // POST /orders alone: users prepared for this many orders a second (the app's; C's), over the
  // warm-up and the window. A client that runs out ends early; the CPU per order stays right.
  routeOrderRateGuess: 6000,
  cannedRouteOrderRate: 30000,
  // The unmeasured start of the runs not otherwise warmed up whose window must be whole seconds
  // of load: per route (requests and CPU over the same window) and contest runs (1000 clients
  // may take more than the first partial second to connect: the score needs 7 whole seconds).
  startSeconds: 1,
  // Request logging on and off: the sale flow on an app started with each, a warm-up round and
  // then turns (off on, on off, ...: an even number of rounds puts both at the same mean
  // position, so a drift cancels), on one dataset: each run orders about 1,500 x (seconds + 1).
  loggingRounds: 4,
  loggingSeconds: 4,
  loggingUsers: 120_000,
  loginUsers: 1000,
  loginConnections: 50,
  loginSeconds: 10,
  // Users of the main runs; each orders once, so the full plan's 15 s sale flow needs 100k.
  mainUsers: 100_000,
  // Growth: the sale flow and 1-name votes per dataset size and concurrency; H at each level.
  growth: [
    { users: 10_000, levels: [50, 200, 1000] },
    { users: 100_000, levels: [50, 200, 1000] },
  ],
  helloAtEveryLevel: true,
  growthSeconds: 10,
  burstSize: 1000,
  voteNames: 1000,
  queryNames: 1000,
  // Longer than any answer takes: the audits need every answer (runs stop early once all are in).
  drainSeconds: 5,
  orderRateGuess: 2000,
  loadTestHashCost: 4,
};

const QUICK = {
  ...FULL,
  // The warm-up ends at a whole second: 1-2 s.
  warmupSeconds: 1,
  helloSeconds: 3,
  saleSeconds: 4,
  voteSeconds: 3,
  lockSeconds: 3,
  querySeconds: 3,
  floorSeconds: 3,
  contestSeconds: 7,
  // Every user orders once: these last the warm-up plus the measured seconds.
  contestUsers: 14_000,
  contestOneWorker: false,
  routeSeconds: 1,
  startSeconds: 0.5,
  loggingSeconds: 3,
  loggingUsers: 80_000,
  mainUsers: 20_000,
  loginUsers: 50,
  loginSeconds: 3,
  // Two levels at 20k users (200 is the main run's), 100k users at the main level only (and
  // for the RSS target).
  growth: [
    { users: 20_000, levels: [200, 1000] },
    { users: 100_000, levels: [200] },
  ],
  helloAtEveryLevel: false,
  growthSeconds: 3,
  // Finished clients stop at once; this only bounds the wait for the slowest answers (c=1000)
  // and for clients wrk lost to a failed connect, which never finish.
  drainSeconds: 1,
};

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      workers: { type: 'string' },
      connections: { type: 'string' },
      profile: { type: 'string' },
      'log-requests': { type: 'string' },
      'redis-cluster': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true };
  const groups = values.only
    ? values.only.split(',').map((g) => g.trim())
    : GROUPS.filter((g) => !(values.quick && FULL_PLAN_ONLY.includes(g)));
  const unknown = [...groups, values.profile].filter((g) => g && !GROUPS.includes(g));
  if (unknown.length) throw new Error(`unknown group(s): ${unknown.join(', ')}\n\n${USAGE}`);
  const int = (name, raw, fallback) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--${name} must be a positive whole number\n\n${USAGE}`);
    return n;
  };
  const logRequests = values['log-requests'];
  if (logRequests !== undefined && !['on', 'off'].includes(logRequests))
    throw new Error(`--log-requests must be on or off\n\n${USAGE}`);
  const plan = { ...(values.quick ? QUICK : FULL) };
  plan.connections = int('connections', values.connections, plan.connections);
  const workers = int('workers', values.workers, cores);
  plan.contestWorkers = [...new Set([workers, ...(plan.contestOneWorker ? [1] : [])])];
  return {
    quick: values.quick,
    only: values.only !== undefined,
    groups: new Set(groups),
    workers,
    logRequests,
    redisCluster: values['redis-cluster'],
    profile: values.profile,
    plan,
  };
}

/** A rough duration of the plan in seconds, for the progress line. */
export function estimateSeconds({ plan, groups }) {
  const run = (s) => s + 1.5;
  // A script's first run on a server is warmed up first, to a whole second.
  const warmup = plan.warmupSeconds + 0.5;
  const login = 4; // pre-login of the sale flow's users, dataset reloads
  let total = 8 + run(plan.helloSeconds) + warmup;
  if (groups.has('sale')) total += run(plan.saleSeconds) + warmup + login;
  if (groups.has('votes')) total += 2 * run(plan.voteSeconds) + warmup;
  if (groups.has('lock')) total += 2 * run(plan.lockSeconds);
  if (groups.has('query')) total += run(plan.querySeconds) + warmup + 4;
  if (groups.has('floor')) total += 2 * (run(plan.floorSeconds) + warmup);
  const restart = 6; // an app stopped, another started and serving the dataset
  if (groups.has('logging'))
    total += 2 * (plan.loggingRounds + 1) * (run(plan.loggingSeconds) + 3) + 2 * restart + 15;
  if (groups.has('contest')) {
    const reload = plan.contestUsers > 20_000 ? 10 : 3;
    // The app and C at each level, per worker count.
    const perWorkers = plan.contestLevels.length * (2 * run(plan.contestSeconds) + reload);
    total += plan.contestWorkers.length * (perWorkers + 2 * warmup + restart);
  }
  // Five routes on two servers, and the order route's users prepared (logins and carts).
  if (groups.has('routes'))
    total +=
      10 * (run(plan.routeSeconds) + plan.startSeconds + 0.5) +
      (plan.routeOrderRateGuess * (plan.routeSeconds + plan.startSeconds + 1)) / 1500;
  if (groups.has('login')) total += run(plan.loginSeconds) + 4;
  if (groups.has('growth')) {
    for (const { users, levels } of plan.growth) {
      // The main runs (main dataset, main connections) are reused when sale and votes ran.
      const reused = users === plan.mainUsers && groups.has('sale') && groups.has('votes');
      const runs = levels.filter((c) => !(reused && c === plan.connections)).length;
      total += (users > 20_000 ? 12 : 0) + runs * (2 * run(plan.growthSeconds) + login);
      if (plan.helloAtEveryLevel) total += runs * run(plan.helloSeconds);
    }
  }
  return Math.round(total);
}
