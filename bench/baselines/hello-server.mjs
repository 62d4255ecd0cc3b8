// Baseline H: the smallest Fastify server, with the app's process layout (a cluster of WORKERS
// processes, SCHED_NONE), so that its figure is the HTTP ceiling of this machine for the generator.
// Env: APP_PORT, WORKERS. Every request, any method and path, gets a small JSON body.
import cluster from 'node:cluster';
import Fastify from 'fastify';
import { forkWorkers } from './cluster.mjs';

const port = Number(process.env.APP_PORT ?? 8090);
const workers = Number(process.env.WORKERS ?? 1);

if (cluster.isPrimary && workers > 1) {
  forkWorkers(workers);
} else {
  const app = Fastify({ logger: false });
  // Contest clients send `{}` with every request: accept and ignore bodies like the app does.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.all('/*', async () => ({ hello: 'world' }));
  await app.listen({ port, host: '127.0.0.1' });
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
}
