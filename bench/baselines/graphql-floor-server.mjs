// Baseline for the GraphQL floor: mercurius (with graphql-jit, as the app configures it) on a bare
// Fastify, without Nest, in the app's process layout. `{ __typename }` against it next to the
// same call against the app separates what the GraphQL library costs from what Nest's adapter and
// the app's own set-up add. Env: APP_PORT, WORKERS.
import Fastify from 'fastify';
import mercurius from 'mercurius';
import { serveOnWorkers } from './cluster.mjs';

await serveOnWorkers(8091, async () => {
  const app = Fastify({ logger: false });
  await app.register(mercurius, {
    schema: 'type Query { ok: Boolean }',
    resolvers: { Query: { ok: () => true } },
    jit: 1,
  });
  app.get('/', async () => ({ ok: true })); // the bench's readiness probe
  return app;
});
