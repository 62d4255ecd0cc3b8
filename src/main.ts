import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import { AppConfig, ConfigError } from './platform/config/app-config';
import { loadConfig } from './platform/config/load-config';
import { aggregateWorkerMetrics } from './platform/metrics/node-scrape';
import { RestartBackoff } from './platform/lifecycle/restart-backoff';
import { PinoLoggerService, createLogger } from './platform/logging/app-logger';
import type { Logger as PinoLogger } from 'pino';

const logger = new Logger('Main');

async function serveWorker(config: AppConfig, log: PinoLogger): Promise<void> {
  // Loaded here, not at the top: the primary only forks and watches, and need not hold the app.
  const { createApp } = await import('./app.factory');
  const app = await createApp(config, log);
  // Nest's shutdown hooks close the app on SIGTERM/SIGINT; this bounds how long that may take.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () =>
      setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS).unref(),
    );
  }
  await app.listen({ port: config.APP_PORT, host: config.APP_HOST, backlog: config.APP_BACKLOG });
  if (!cluster.isWorker) printUrls(config);
}

/**
 * One worker per core, each a full, independent node. The OS spreads connections over the workers
 * (SCHED_NONE): with round-robin the primary would accept every connection itself, a bottleneck
 * for clients that open one connection per request.
 */
function runPrimary(config: AppConfig): void {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  aggregateWorkerMetrics();
  const otherFlags = process.execArgv.filter((arg) => !arg.startsWith('--max-old-space-size'));
  cluster.setupPrimary({
    execArgv: [...otherFlags, `--max-old-space-size=${config.WORKER_HEAP_MB}`],
  });
  let stopping = false;
  let listening = 0;
  const restarts = new RestartBackoff();
  const fork = (): void => void cluster.fork();
  for (let i = 0; i < config.WORKERS; i++) fork();

  cluster.on('listening', (worker) => {
    restarts.up(worker.id);
    if (++listening === config.WORKERS) printUrls(config);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const delay = restarts.down(worker.id);
    logger.error(
      `Worker ${worker.process.pid} died (${signal ?? code}); starting another in ${delay} ms`,
    );
    setTimeout(fork, delay);
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
    logger.log(`${signal}: stopping ${workers.length} workers`);
    for (const worker of workers) worker.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      const left = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
      logger.error(
        `${left.length} worker(s) still running after SHUTDOWN_TIMEOUT_MS (${config.SHUTDOWN_TIMEOUT_MS} ms): killed`,
      );
      for (const worker of left) worker.process.kill('SIGKILL');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length > 0) return;
      clearInterval(check);
      clearTimeout(deadline);
      process.exit(0);
    }, 50);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function printUrls(config: AppConfig): void {
  const host =
    config.APP_HOST === '0.0.0.0' || config.APP_HOST === '::' ? '127.0.0.1' : config.APP_HOST;
  const base = `http://${host}:${config.APP_PORT}`;
  logger.log(
    `Serving with ${config.WORKERS} worker(s): REST ${base}/  docs ${base}/docs  health ${base}/health/ready`,
  );
}

function main(): void {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const log = createLogger(config);
  Logger.overrideLogger(new PinoLoggerService(log));
  if (cluster.isPrimary && config.WORKERS > 1) return runPrimary(config);
  serveWorker(config, log).catch((error: Error) => {
    logger.error(`Start-up failed: ${error.stack ?? error.message}`);
    process.exit(1);
  });
}

main();
