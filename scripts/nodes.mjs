// `npm run nodes -- [N]`: N separate single-worker nodes of the built app on APP_PORT+1..APP_PORT+N
// behind a small round-robin TCP load balancer on APP_PORT, as an orchestrator would run them.
// Uses what `npm start` prepared (build, services, data); Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { loadEnv, projectRoot } from './env.mjs';

const count = Number(process.argv[2] ?? 3);
if (!Number.isInteger(count) || count < 1 || count > 64) {
  console.error('usage: npm run nodes -- [N]   (1..64 nodes, default 3)');
  process.exit(2);
}
const env = loadEnv();
const port = Number(env.APP_PORT);
const host = env.APP_HOST === '0.0.0.0' ? '127.0.0.1' : env.APP_HOST;

const nodes = Array.from({ length: count }, (_, i) => {
  const nodePort = port + 1 + i;
  // A single-worker node is not forked by a primary, so it takes the worker heap budget here.
  const heap = `--max-old-space-size=${env.WORKER_HEAP_MB || 160}`;
  const child = spawn(process.execPath, [heap, join(projectRoot, 'dist', 'main.js')], {
    cwd: projectRoot,
    env: { ...env, WORKERS: '1', APP_PORT: String(nodePort) },
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) =>
    console.log(`[nodes] node on :${nodePort} exited (${signal ?? code})`),
  );
  return { port: nodePort, child };
});

// Layer-4 round robin: each new connection goes to the next node (keep-alive stays on its node).
let next = 0;
const balancer = createServer((client) => {
  const target = nodes[next++ % nodes.length];
  const upstream = connect(target.port, '127.0.0.1');
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
});
balancer.listen({ port, host: env.APP_HOST, backlog: 4096 }, () =>
  console.log(
    `[nodes] ${count} nodes on :${port + 1}..:${port + count}, balanced on http://${host}:${port}/`,
  ),
);

const stop = (signal) => {
  balancer.close();
  for (const node of nodes) node.child.kill(signal);
  Promise.all(
    nodes.map(
      (n) => new Promise((r) => (n.child.exitCode !== null ? r() : n.child.once('exit', r))),
    ),
  ).then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));
