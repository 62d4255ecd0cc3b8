// Baseline C: a canned contest server. A bare Fastify with the app's process layout (a cluster of
// WORKERS processes, SCHED_NONE) answering the contest's six routes with fixed bodies of the
// right shape and status, no I/O and no checks, so that the contest flow against it is what this
// machine and generator allow for the contest's requests. Any request body is parsed as JSON
// (and dropped), as the app parses every body. Ids and tokens have the app's lengths (contest.lua
// reads access_token, cart_id and id from the answers). Env: APP_PORT, WORKERS, BENCH_FOODS (as
// many foods as the bench's dataset, default 100).
import Fastify from 'fastify';
import { serveOnWorkers } from './cluster.mjs';

const FOODS = Number(process.env.BENCH_FOODS ?? 100);
// The app's sizes: tokens and cart ids are 28 bytes in base64url, order ids 12.
const TOKEN = 'T'.repeat(38);
const CART_ID = 'C'.repeat(38);
const ORDER_ID = 'O'.repeat(16);
const ITEMS = [{ food_id: 1, count: 2 }];

const foods = Array.from({ length: FOODS }, (_, i) => ({ id: i + 1, price: 10 + i, stock: 1000 }));
const ROUTES = [
  ['POST', '/login', 200, { user_id: 2, username: 'user2', access_token: TOKEN }],
  ['GET', '/foods', 200, foods],
  ['POST', '/carts', 200, { cart_id: CART_ID }],
  ['PATCH', '/carts/:cart_id', 204, undefined],
  ['POST', '/orders', 200, { id: ORDER_ID }],
  ['GET', '/orders', 200, [{ id: ORDER_ID, items: ITEMS, total: 20 }]],
  ['GET', '/admin/orders', 200, [{ id: ORDER_ID, user_id: 2, items: ITEMS, total: 20 }]],
  // The bench's readiness probe and the contest script's drain request.
  ['GET', '/health/live', 200, { status: 'ok' }],
];

function parseJson(_request, body, done) {
  try {
    done(null, body === '' ? undefined : JSON.parse(body));
  } catch (error) {
    error.statusCode = 400;
    done(error, undefined);
  }
}

await serveOnWorkers(8092, () => {
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);
  for (const [method, url, status, body] of ROUTES) {
    // Serialised once: the answer is the same bytes every time.
    const text = body === undefined ? undefined : JSON.stringify(body);
    app.route({
      method,
      url,
      handler: (_request, reply) => {
        reply.code(status);
        if (text === undefined) return reply.send();
        return reply.type('application/json; charset=utf-8').send(text);
      },
    });
  }
  return app;
});
