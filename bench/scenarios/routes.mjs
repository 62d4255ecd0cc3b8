// Server CPU per request, route by route, on the app and on baseline C: a short keep-alive run of
// each contest route on its own (lua/route.lua), its server CPU time over the measured window
// divided by the requests answered in it. POST /orders cannot run on its own (each user orders
// once, with a filled cart): its cost is what is left of a whole contest order's CPU once the
// four measured routes are taken out, and it carries the order's new connection with it.
import { request } from '../lib/client.mjs';
import { runLoad, serverMicros } from '../lib/load.mjs';

/** Route, its name, and how many times a contest order calls it. */
const ROUTES = [
  ['login', 'POST /login', 1],
  ['foods', 'GET /foods', 1],
  ['cart', 'POST /carts', 1],
  ['patch', 'PATCH /carts/:id', 2],
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
    for (const [key, server, lines] of servers) {
      const { summary } = await runLoad(ctx, server, {
        label: `${key === 'C' ? 'C' : 'app'} ${name} alone, c=${connections}`,
        script: 'route.lua',
        connections,
        seconds,
        lines,
        shared: true,
        env: { BENCH_ROUTE: route, BENCH_FOODS: String(ctx.dataset.foods) },
        counter: 'ok',
        warmup: ctx.plan.startSeconds,
      });
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
