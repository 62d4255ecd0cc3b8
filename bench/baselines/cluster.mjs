// The app's process layout for the baselines: WORKERS processes sharing the port with SCHED_NONE
// (the kernel spreads connections), the primary stopping them all on SIGTERM / SIGINT.
import cluster from 'node:cluster';

export function forkWorkers(workers) {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  for (let i = 0; i < workers; i++) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker?.process.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * Runs a baseline in that layout: the primary forks WORKERS workers (or serves itself when there
 * is one), and each server process listens on APP_PORT (`defaultPort` without it) on loopback and
 * closes on SIGTERM. `build` returns the server, not yet listening (Fastify or Nest).
 */
export async function serveOnWorkers(defaultPort, build) {
  const workers = Number(process.env.WORKERS ?? 1);
  if (cluster.isPrimary && workers > 1) return forkWorkers(workers);
  const app = await build();
  await app.listen({ port: Number(process.env.APP_PORT ?? defaultPort), host: '127.0.0.1' });
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
}
