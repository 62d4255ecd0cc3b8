// Baseline for the GraphQL floor: mercurius (with graphql-jit, as the app configures it) on a bare
// Fastify, without Nest, in the app's process layout. `{ __typename }` against it next to the
// same call against the app separates what the GraphQL library costs from what Nest's adapter and
// the app's own set-up add. Env: APP_PORT, WORKERS.
import cluster from 'node:cluster';
import Fastify from 'fastify';
import mercurius from 'mercurius';
import { forkWorkers } from './cluster.mjs';

const port = Number(process.env.APP_PORT ?? 8091);
const workers = Number(process.env.WORKERS ?? 1);

if (cluster.isPrimary && workers > 1) {
  forkWorkers(workers);
} else {
  const app = Fastify({ logger: false });
  await app.register(mercurius, {
    schema: 'type Query { ok: Boolean }',
    resolvers: { Query: { ok: () => true } },
    jit: 1,
  });
  app.get('/', async () => ({ ok: true })); // the bench's readiness probe
  await app.listen({ port, host: '127.0.0.1' });
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
}
