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
