// Datasets of the bench: generated with the project's own CLI into the bench's database, then
// waited for until every app worker serves them. Users are handed out once (fresh users for the
// order flows) and the dataset is regenerated when they run out.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { resetPeakRss } from './proc-stats.mjs';
import { waitFor } from './procs.mjs';
import { runWrk } from './wrk.mjs';

const execFileAsync = promisify(execFile);

/**
 * `npm run data -- generate` into the bench's database; returns the users with their plain
 * passwords (user 1 is root/toor) and the dataset's version.
 */
export async function generateDataset(ctx, { users, hashCost, foods = 100, stock = 1000 }) {
  const credentials = join(tmpdir(), `eleme-bench-${process.pid}-credentials.csv`);
  const args = [
    join(ctx.dist, 'cli', 'data.js'),
    'generate',
    '--users',
    String(users),
    '--foods',
    String(foods),
    '--stock',
    String(stock),
    '--credentials',
    credentials,
  ];
  // No --hash-cost: the CLI's default, production-grade cost.
  if (hashCost !== undefined) args.push('--hash-cost', String(hashCost));
  try {
    await execFileAsync(process.execPath, args, {
      cwd: ctx.root,
      env: ctx.env,
      maxBuffer: 16 << 20,
    });
  } catch (error) {
    throw new Error(
      `generating the dataset failed: ${error.stderr || error.stdout || error.message}`,
      { cause: error },
    );
  }
  const list = readFileSync(credentials, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [id, name, password] = line.split(',');
      return { id: Number(id), name, password };
    });
  rmSync(credentials, { force: true });
  const [row] = await ctx.store.rows('SELECT version FROM dataset WHERE id = 1');
  return {
    version: row.version,
    users: list,
    fresh: list.slice(1),
    size: users,
    hashCost,
    foods,
    stock,
  };
}

/**
 * Resolves when every app worker answers /health/ready with `version`. Each probe asks one
 * keep-alive connection for /metrics/json (which worker: pid) and then /health/ready (which dataset).
 * Without /metrics/json it settles for 20 fresh connections in a row plus two poll periods.
 */
export async function waitForDataset(ctx, version) {
  const seen = new Set();
  let streak = 0;
  await waitFor(
    `app workers serving dataset ${version}`,
    async () => {
      const { pid, current } = await probe(ctx.app.url);
      if (current !== version) {
        streak = 0;
        return false;
      }
      streak++;
      if (pid) seen.add(pid);
      const workers = ctx.app.workerPids();
      return pid ? workers.every((p) => seen.has(p)) : streak >= 20;
    },
    { timeoutMs: 60_000, intervalMs: 50, alive: () => ctx.app.process.running },
  );
  if (seen.size === 0) await sleep(2 * ctx.datasetPollMs);
}

async function probe(baseUrl) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path) =>
    new Promise((resolve) => {
      http
        .get(`${baseUrl}${path}`, { agent, timeout: 5000 }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode, text }));
        })
        .on('error', () => resolve({ status: 0, text: '' }));
    });
  try {
    const metrics = await get('/metrics/json');
    const ready = await get('/health/ready');
    const pid = metrics.status === 200 ? JSON.parse(metrics.text).pid : undefined;
    const current =
      ready.status === 200 ? JSON.parse(ready.text).info?.dataset?.version : undefined;
    return { pid, current };
  } finally {
    agent.destroy();
  }
}

/** Loads a dataset and waits for the app; the audit ledger starts again from nothing. */
export async function loadDataset(ctx, spec) {
  const started = performance.now();
  const what = `${spec.users} users, hash cost ${spec.hashCost === undefined ? 'default' : `2^${spec.hashCost}`}`;
  ctx.progress.note(`dataset: ${what}`);
  // The next run's peak RSS includes the workers loading this dataset.
  resetPeakRss(ctx.app.workerPids());
  ctx.app.peakFromLoad = true;
  ctx.dataset = await generateDataset(ctx, spec);
  ctx.ledger = newLedger();
  await waitForDataset(ctx, ctx.dataset.version);
  ctx.progress.note(
    `dataset of ${what} served in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return ctx.dataset;
}

export function newLedger() {
  return { orders: new Set(), unknownOrders: 0, votes: new Map(), unknownVotes: 0 };
}

/**
 * Up to `wanted` users who never ordered (root excluded), with an access token when `login`
 * (tokens are kept: a user logs in once per dataset). Regenerates a dataset of the same kind first
 * when fewer are left. Hand back the ones a run did not use with `returnUnused`.
 */
export async function freshUsers(ctx, wanted, { login = false } = {}) {
  let ds = ctx.dataset;
  const count = Math.min(wanted, ds.users.length - 1);
  if (ds.fresh.length < count) {
    ds = await loadDataset(ctx, {
      users: ds.size,
      hashCost: ds.hashCost,
      foods: ds.foods,
      stock: ds.stock,
    });
  }
  const users = ds.fresh.splice(0, count);
  const missing = users.filter((u) => !u.token);
  if (login && missing.length) {
    const started = performance.now();
    ctx.progress.note(`logging in ${missing.length} users`);
    // With wrk: a Node client would itself take a core away from the app.
    const { tokens } = await runWrk({
      url: ctx.app.url,
      script: 'prelogin.lua',
      connections: Math.min(64, missing.length),
      seconds: 120,
      untilDone: true,
      lines: missing.map((u, i) => `${i} ${u.name} ${u.password}`),
    });
    if (tokens.size !== missing.length)
      throw new Error(`pre-login: ${tokens.size} of ${missing.length} users logged in`);
    missing.forEach((u, i) => (u.token = tokens.get(i)));
    ctx.progress.note(
      `logged in ${missing.length} users in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  return users;
}

/**
 * Gives back the users a run never started: `users` were dealt round-robin over the clients
 * (user j to client j % clients, as its (j / clients)-th), and client c started `used[c]`.
 */
export function returnUnused(ctx, users, used) {
  const clients = used.length;
  const unused = users.filter((_, j) => Math.floor(j / clients) >= used[j % clients]);
  ctx.dataset.fresh.unshift(...unused);
  return unused.length;
}
