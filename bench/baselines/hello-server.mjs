// Baseline H: the smallest Fastify server, with the app's process layout (a cluster of WORKERS
// processes, SCHED_NONE), so that its figure is the HTTP ceiling of this machine for the generator.
// Env: APP_PORT, WORKERS. Every request, any method and path, gets a small JSON body.
import Fastify from 'fastify';
import { serveOnWorkers } from './cluster.mjs';

await serveOnWorkers(8090, () => {
  const app = Fastify({ logger: false });
  // Contest clients send `{}` with every request: accept and ignore bodies like the app does.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.all('/*', async () => ({ hello: 'world' }));
  return app;
});
