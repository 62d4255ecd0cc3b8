// Server CPU per request, route by route, on the app and on baseline C: a short keep-alive run of
// each contest route on its own (lua/route.lua), its server CPU time over the measured window
// divided by the requests answered in it. POST /orders runs on users prepared before the window
// (logged in, a cart with one unit each), each ordering once; what is left of a whole contest
// order's CPU once the five routes are taken out is the order's new connection.
import { auditOrders } from '../lib/audit.mjs';
import { request } from '../lib/client.mjs';
import { freshUsers, loadDataset } from '../lib/dataset.mjs';
import { runLoad, serverMicros } from '../lib/load.mjs';
import { runWrk } from '../lib/wrk.mjs';

/** Route, its name, and how many times a contest order calls it. */
const ROUTES = [
  ['login', 'POST /login', 1],
  ['foods', 'GET /foods', 1],
  ['cart', 'POST /carts', 1],
  ['patch', 'PATCH /carts/:id', 2],
  ['order', 'POST /orders', 1],
];

/** Input lines of route.lua for the app: a token, then users at the dataset's (load-test) cost. */
async function appLines(ctx) {
  const users = ctx.dataset.users.slice(1, 201);
  const reply = await request('POST', `${ctx.app.url}/login`, {
    body: { username: users[0].name, password: users[0].password },
  });
  if (reply.status !== 200)
    throw new Error(`per-route runs: login answered ${reply.status} ${reply.text}`);
  return [reply.body.access_token, ...users.map((u) => `${u.name} ${u.password}`)];
}

/**
 * Input lines of route.lua's order route for the app: `count` users of a fresh dataset, logged in,
 * each with a cart holding one unit of a food (made with wrk, as the pre-login: a Node client would
 * take a core from the app), "token cart_id" each.
 */
async function orderLines(ctx, count) {
  const { foods } = ctx.dataset;
  const { stock } = ctx.dataset;
  await loadDataset(ctx, { users: count + 1, hashCost: ctx.plan.loadTestHashCost, foods, stock });
  const users = await freshUsers(ctx, count, { login: true });
  const started = performance.now();
  ctx.progress.note(`filling ${users.length} carts`);
  const { tokens: carts } = await runWrk({
    url: ctx.app.url,
    script: 'precart.lua',
    connections: 64,
    seconds: 300,
    untilDone: true,
    lines: users.map((u, i) => `${i} ${u.token} ${(i % foods) + 1}`),
  });
  if (carts.size !== users.length)
    throw new Error(`per-route runs: ${carts.size} of ${users.length} carts filled`);
  ctx.progress.note(
    `filled ${users.length} carts in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return users.map((u, i) => `${u.token} ${carts.get(i)}`);
}

/** Users enough for the order route's warm-up and window at `perSecond` orders a second. */
const orderUsers = (ctx, perSecond) =>
  Math.ceil(perSecond * (ctx.plan.routeSeconds + ctx.plan.startSeconds + 1));

/**
 * Each route of ROUTES on the app, then on C (`canned`), keep-alive at `connections`. Returns a
 * list of { route, name, perOrder, app, C }, each side with req/s, its 2xx share and server µs
 * per request.
 */
export async function routeCosts(ctx, canned, { connections, seconds }) {
  const servers = [
    ['app', ctx.app, await appLines(ctx)],
    ['C', canned, ['canned', 'c1 p']],
  ];
  const out = [];
  for (const [route, name, perOrder] of ROUTES) {
    const entry = { route, name, perOrder };
    out.push(entry);
    for (const [key, server, shared] of servers) {
      // Orders: each client its own users, each used once; C checks nothing, so made-up ones.
      const order = route === 'order';
      const lines = !order
        ? shared
        : key === 'C'
          ? Array.from({ length: orderUsers(ctx, ctx.plan.cannedRouteOrderRate) }, () => 'c o')
          : await orderLines(ctx, orderUsers(ctx, ctx.plan.routeOrderRateGuess));
      const result = await runLoad(ctx, server, {
        label: `${key === 'C' ? 'C' : 'app'} ${name} alone, c=${connections}`,
        script: 'route.lua',
        connections,
        seconds,
        lines,
        shared: !order,
        env: { BENCH_ROUTE: route, BENCH_FOODS: String(ctx.dataset.foods) },
        counter: 'ok',
        warmup: ctx.plan.startSeconds,
      });
      const { summary } = result;
      if (order && key === 'app') {
        for (const id of result.ids) ctx.ledger.orders.add(id);
        ctx.ledger.unknownOrders += result.unknown;
        entry.audit = await auditOrders(ctx, `app ${name} alone`);
      }
      entry[key] = {
        rps: summary.rps,
        okShare: summary.rps ? summary.rate / summary.rps : 0,
        micros: serverMicros(summary),
        codes: summary.steps[route]?.codes,
      };
    }
  }
  return out;
}
