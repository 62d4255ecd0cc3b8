// Ordering scenarios: the HTTP ceiling H, the keep-alive sale flow, the contest's procedure, and
// logins at the production hash cost.
import { auditOrders } from '../lib/audit.mjs';
import { freshUsers, loadDataset, returnUnused } from '../lib/dataset.mjs';
import { runLoad, warmupFor, workerMemory } from '../lib/load.mjs';
import { commandWindow, ordersInWindow } from '../lib/redis-stats.mjs';
import { contestScore, secondsOf } from '../lib/stats.mjs';

const k = (users) => `${Math.round(users / 1000)}k`;

/** H at `connections`, measured once per run and connection count. */
export async function helloCeiling(ctx, connections) {
  const key = `hello@${connections}`;
  if (!ctx.raw[key]) {
    const result = await runLoad(ctx, ctx.hello, {
      label: `H hello, c=${connections}`,
      script: 'hello.lua',
      connections,
      seconds: ctx.plan.helloSeconds,
      counter: 'ok',
    });
    ctx.raw[key] = result.summary;
  }
  return ctx.raw[key];
}

function recordOrders(ctx, result) {
  for (const id of result.ids) ctx.ledger.orders.add(id);
  ctx.ledger.unknownOrders += result.unknown;
}

/**
 * Pre-logged-in users, keep-alive: GET /foods, POST /carts, 2 x PATCH, POST /orders each. Kept in
 * ctx.raw under `key` (default: by dataset and connections), with `label` after the run's name.
 */
export async function saleFlow(ctx, { connections, seconds: planned, key: given, label: extra }) {
  const key = given ?? `sale@${k(ctx.dataset.size)}@${connections}`;
  if (ctx.raw[key]) return ctx.raw[key];
  // Enough users not to run out (the first second is partial, so seconds + 1), whatever the
  // last run managed on a noisy machine; the unused ones go back to the pool with their tokens.
  // Each user orders once, so a small dataset shortens the run (3 s at least).
  const guess = Math.max(ctx.plan.orderRateGuess, ctx.estimates.ordersPerSecond ?? 0);
  // A warm-up (the first sale run on this app) orders too.
  const warmup = warmupFor(ctx, ctx.app, 'sale.lua');
  const affordable =
    Math.floor((ctx.dataset.size - 1 - 2 * connections) / (guess * 1.2)) - 1 - warmup;
  const seconds = Math.max(3, Math.min(planned, affordable));
  const ordering = seconds + 1 + warmup;
  const users = await freshUsers(ctx, Math.ceil(guess * 1.25 * ordering) + 2 * connections, {
    login: true,
  });
  const label = `sale flow, c=${connections}, ${k(ctx.dataset.size)} users${extra ?? ''}`;
  const window = ctx.store.cluster ? commandWindow(ctx.store.cluster) : undefined;
  const result = await runLoad(ctx, ctx.app, {
    window,
    label,
    script: 'sale.lua',
    connections,
    seconds,
    lines: users.map((u) => u.token),
    env: { BENCH_FOODS: String(ctx.dataset.foods) },
    counter: 'orders',
  });
  recordOrders(ctx, result);
  returnUnused(ctx, users, result.used);
  const audit = await auditOrders(ctx, label);
  const s = result.summary;
  ctx.estimates.ordersPerSecond = Math.max(ctx.estimates.ordersPerSecond ?? 0, s.rate);
  return (ctx.raw[key] = {
    ...s,
    plannedSeconds: planned,
    dataset: ctx.dataset.size,
    users: users.length,
    ordersPerSecond: s.rate,
    audit,
    memory: workerMemory(ctx),
    redis: window && (await window.figures(ordersInWindow(result))),
  });
}

const workersLabel = (n) => `${n} worker${n > 1 ? 's' : ''}`;

/**
 * The contest's procedure, per order login, foods, cart, 2 x patch, order; new connection per
 * order; each user once. Score as the contest computed it. On the app: a fresh dataset at the
 * tiny hash cost, the orders audited. On baseline C (`server`): made-up users (C checks nothing)
 * and no audit (C stores nothing).
 */
export async function contestFlow(ctx, { server = ctx.app, connections, seconds, users }) {
  const canned = server !== ctx.app;
  let creds;
  if (canned) {
    const orders = Math.max(
      (seconds + Math.max(ctx.plan.warmupSeconds, ctx.plan.startSeconds) + 2) *
        ctx.plan.cannedOrderRateGuess,
      connections * ctx.plan.cannedOrdersPerClient,
    );
    creds = Array.from({ length: orders }, (_, i) => `c${i} p`);
  } else {
    await loadDataset(ctx, { users, hashCost: ctx.plan.loadTestHashCost });
    creds = ctx.dataset.fresh.splice(0).map((u) => `${u.name} ${u.password}`);
  }
  const label = canned
    ? `C canned contest, c=${connections}, ${workersLabel(server.workers)}`
    : `contest flow, c=${connections}, ${k(users)} users, ${workersLabel(server.workers)}`;
  const window = canned || !ctx.store.cluster ? undefined : commandWindow(ctx.store.cluster);
  const result = await runLoad(ctx, server, {
    window,
    label,
    script: 'contest.lua',
    connections,
    seconds,
    lines: creds,
    env: { BENCH_FOODS: String(ctx.dataset.foods) },
    counter: 'orders',
    // The first run on a server warms it up; the others still start unmeasured (startSeconds).
    warmup: warmupFor(ctx, server, 'contest.lua') || ctx.plan.startSeconds,
  });
  let audit = { skipped: 'baseline C stores nothing' };
  if (!canned) {
    recordOrders(ctx, result);
    audit = await auditOrders(ctx, label);
  }
  const s = result.summary;
  const perSecond = secondsOf(result.perSecond, 'orders', result.deadline, result.measureFrom);
  const total = (counter) =>
    Object.values(result.perSecond).reduce((n, row) => n + (row[counter] ?? 0), 0);
  const failed = total('failed');
  const answered = Object.values(s.steps).reduce((sum, step) => sum + step.count, 0);
  const ok = Object.values(s.steps).reduce(
    (sum, step) =>
      sum +
      Object.entries(step.codes)
        .filter(([c]) => Number(c) < 300)
        .reduce((a, [, n]) => a + n, 0),
    0,
  );
  return {
    ...s,
    server: canned ? 'C' : 'app',
    workers: server.workers,
    dataset: canned ? undefined : users,
    ...contestScore(perSecond),
    ordersPerSecondSeries: perSecond,
    orders: result.ids.length,
    // Of the users whose flow ended before the deadline (flows cut by it are not counted).
    flowsEnded: result.ids.length + failed,
    successRate: result.ids.length + failed ? result.ids.length / (result.ids.length + failed) : 0,
    requestSuccessRate: answered ? ok / answered : 0,
    flowLatency: s.steps.flow?.latency,
    audit,
    redis: window && (await window.figures(ordersInWindow(result))),
  };
}

/** Logins per second at the production (default) hash cost, on a small dataset. */
export async function loginCost(ctx, { users, connections, seconds }) {
  await loadDataset(ctx, { users });
  const creds = ctx.dataset.users.map((u) => `${u.name} ${u.password}`);
  const result = await runLoad(ctx, ctx.app, {
    label: `logins at the default hash cost, c=${connections}`,
    script: 'login.lua',
    connections,
    seconds,
    lines: creds,
    counter: 'logins',
    // The password hash sets this figure.
    warmup: false,
  });
  return { ...result.summary, dataset: users, loginsPerSecond: result.summary.rate };
}
