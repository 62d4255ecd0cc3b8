import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppNode, TestEnv, createTestEnv, startNode } from './utils/app-cluster';
import { Metrics, request } from './utils/http';
import { Client, expectError, expectJson, loginClient } from './utils/ordering';
import { cas, vote } from './utils/voting';
import { eventually, waitUntil } from './utils/wait';

/**
 * What an operator scrapes and reads: Prometheus text at /metrics summed over a node's workers,
 * the metrics the Grafana dashboard queries, and JSON log lines carrying request ids.
 */

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const DASHBOARD = join(__dirname, '..', 'deploy', 'grafana', 'eleme-vote-dashboard.json');

/** One sample of a scrape: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (format 0.0.4) into samples, `# TYPE`s by family. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , family, type] = line.split(' ');
      types.set(family, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return { samples, types };
}

/** The sum of a metric's samples whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function scrape(node: AppNode): Promise<Sample[]> {
  const reply = await request('GET', `${node.url}/metrics`, { headers: { accept: 'text/plain' } });
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toBe(PROMETHEUS_TEXT);
  return parseExposition(reply.text).samples;
}

/** Each worker's `/metrics/json`, by pid: new connections until `workers` pids have answered. */
async function perWorker(node: AppNode, workers: number): Promise<Map<number, Metrics>> {
  const seen = new Map<number, Metrics>();
  for (let i = 0; i < 200 && seen.size < workers; i++) {
    const reply = await request<Metrics>('GET', `${node.url}/metrics/json`, {
      newConnection: true,
    });
    seen.set(Number(reply.body.pid), reply.body);
  }
  expect(seen.size).toBe(workers);
  return seen;
}

/** Metric names a PromQL expression reads (functions, keywords and label matchers left out). */
function metricsIn(expr: string): string[] {
  const words = new Set([
    'sum',
    'max',
    'min',
    'rate',
    'increase',
    'histogram_quantile',
    'by',
    'on',
  ]);
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\bby\s*\([^)]*\)/g, ' ')
    .replace(/\bon\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/[a-z_][a-z0-9_]*/g)].map((m) => m[0]).filter((w) => !words.has(w));
}

interface JsonLine {
  level: string;
  msg: string;
  context?: string;
  reqId?: string;
  path?: string;
  status?: number;
  [key: string]: unknown;
}

function jsonLines(node: AppNode): JsonLine[] {
  return node
    .output()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JsonLine);
}

describe('Prometheus metrics of a two-worker node', () => {
  const ORDERS = 16;
  let env: TestEnv;
  let node: AppNode;
  let placed = 0;
  let refused = 0;

  beforeAll(async () => {
    env = await createTestEnv('operations', 20, { users: 60, foods: 4, stock: 100 });
    node = await startNode(env, { workers: 2 });
    // Every order on its own connection, so both workers take some (the kernel picks one each).
    const clients: Client[] = [];
    for (const user of env.users.slice(1, 1 + ORDERS))
      clients.push(await loginClient(node.url, user, { newConnection: true }));
    for (const client of clients) {
      const cartId = await client.cartWith([[1 + (client.userId % 4), 1]]);
      expectJson(await client.order(cartId));
      placed++;
      if (client.userId % 4 === 0) {
        expectError(await client.order(cartId), 'ORDER_OUT_OF_LIMIT');
        refused++;
      }
    }
    expect(await vote(node.url, [env.users[1].name], await cas(node.url))).toBe('成功');
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
  });

  test('orders_placed_total is the orders placed through both workers', async () => {
    const workers = await perWorker(node, 2);
    const counts = [...workers.values()].map((m) => Number(m['orders.placed']));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(placed);
    const samples = await scrape(node);
    expect(total(samples, 'orders_placed_total')).toBe(placed);
    expect(total(samples, 'orders_refused_total', { code: 'ORDER_OUT_OF_LIMIT' })).toBe(refused);
    expect(total(samples, 'votes_total', { result: 'acknowledged' })).toBe(1);
  });

  test('request durations by route, method and status, as histograms', async () => {
    const samples = await scrape(node);
    const count = (route: string, method: string, status: string): number =>
      total(samples, 'http_request_duration_seconds_count', { route, method, status });
    expect(count('/orders', 'POST', '200')).toBe(placed);
    expect(count('/orders', 'POST', '403')).toBe(refused);
    expect(count('/carts/:cartId', 'PATCH', '204')).toBe(placed);
    const infinite = total(samples, 'http_request_duration_seconds_bucket', {
      route: '/orders',
      method: 'POST',
      status: '200',
      le: '+Inf',
    });
    expect(infinite).toBe(placed);
    await request('GET', `${node.url}/no/such/path/${Date.now()}`);
    const after = await scrape(node);
    const unmatched = after.filter(
      (s) => s.name === 'http_request_duration_seconds_count' && s.labels.route === 'unmatched',
    );
    expect(unmatched.map((s) => s.labels.status)).toContain('404');
    // A path no route serves is not a series of its own: the label set stays bounded.
    expect(after.some((s) => String(s.labels.route).startsWith('/no/such'))).toBe(false);
  });

  test('leader, rotations, stock, in-doubt, store latencies and process metrics', async () => {
    const samples = await eventually(
      () => scrape(node),
      (s) => total(s, 'ticket_rotations_total', { outcome: 'rotated' }) > 0,
    );
    expect(total(samples, 'ticket_rotations_total', { outcome: 'rotated' })).toBeGreaterThan(0);
    // The node is alone: one of its workers leads.
    expect(total(samples, 'leader')).toBe(1);
    expect(total(samples, 'leader_epoch')).toBeGreaterThan(0);
    expect(total(samples, 'orders_in_doubt')).toBe(0);
    expect(total(samples, 'vote_groups_unsettled')).toBe(0);
    for (let food = 1; food <= 4; food++) {
      const pool = samples.find(
        (s) => s.name === 'stock_pool_units' && s.labels.food === String(food),
      );
      expect(pool).toBeDefined();
      const left = pool!.value + total(samples, 'stock_leased_units', { food: String(food) });
      expect(left).toBeGreaterThanOrEqual(0);
      expect(left).toBeLessThanOrEqual(100);
    }
    // The order, cart and vote scripts.
    expect(
      total(samples, 'redis_command_duration_seconds_count', { command: 'evalsha' }),
    ).toBeGreaterThan(placed);
    expect(total(samples, 'mysql_query_duration_seconds_count')).toBeGreaterThan(0);
    // Default process metrics, summed over the workers.
    expect(total(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(total(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });

  test('a scrape with a body is refused with a code (the answer would be lost to a reset)', async () => {
    const reply = await request('GET', `${node.url}/metrics`, {
      body: { a: 'x'.repeat(1000) },
      contentType: null,
      newConnection: true,
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ code: 'BAD_REQUEST', message: 'GET /metrics takes no body' });
  });

  test('every metric the Grafana dashboard queries is in the scrape', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      uid: string;
      panels: { id: number; targets: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('eleme-vote');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const scraped = new Set((await scrape(node)).map((s) => s.name));
    const queried = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsIn(t.expr)));
    expect(queried.length).toBeGreaterThan(10);
    expect(queried.filter((name) => !scraped.has(name))).toEqual([]);
  });
});

describe('logs', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv(
      'operations_logs',
      20,
      { users: 10, foods: 2 },
      {
        LOGIN_MAX_FAILURES: '3',
      },
    );
  }, 60_000);

  test('a production node writes JSON lines, one boot summary, request lines with ids', async () => {
    const node = await startNode(env, {
      workers: 2,
      env: { NODE_ENV: 'production', LOG_LEVEL: 'log', LOG_REQUESTS: 'all' },
    });
    try {
      const given = await request('GET', `${node.url}/foods`, {
        headers: { 'x-request-id': 'ops-e2e-given' },
        token: 'a-token-that-must-not-be-logged',
      });
      expect(given.headers['x-request-id']).toBe('ops-e2e-given');
      const fresh = await request('GET', `${node.url}/health/live`);
      const freshId = String(fresh.headers['x-request-id']);
      expect(freshId).toMatch(/^[0-9a-f-]{36}$/);
      // A caller's id that is not short and plain is replaced, not logged.
      const odd = await request('GET', `${node.url}/health/live`, {
        headers: { 'x-request-id': 'x'.repeat(65) },
      });
      expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

      const lines = await waitUntil(
        async () => {
          const all = jsonLines(node);
          // The primary writes its boot line once both workers listen, maybe after the first answers.
          const booted = all.some((l) => l.msg.startsWith('Serving with 2 worker(s)'));
          return booted && all.some((l) => l.reqId === freshId) ? all : undefined;
        },
        5000,
        'the request lines',
      );
      const line = lines.find((l) => l.reqId === 'ops-e2e-given');
      expect(line).toMatchObject({
        level: 'info',
        context: 'Http',
        msg: 'request',
        path: '/foods',
        route: '/foods',
        method: 'GET',
        status: 401,
      });
      expect(typeof line!.ms).toBe('number');
      expect(node.output()).not.toContain('a-token-that-must-not-be-logged');
      // Boot: one summary from the primary, no route table from each worker.
      expect(lines.filter((l) => l.msg.startsWith('Serving with 2 worker(s)'))).toHaveLength(1);
      expect(lines.some((l) => /Mapped \{|RouterExplorer|RoutesResolver/.test(l.msg))).toBe(false);
      expect(lines.some((l) => l.context === 'InstanceLoader')).toBe(false);
    } finally {
      await node.stop();
    }
  }, 60_000);

  test('a line written while serving a request carries its id', async () => {
    const node = await startNode(env, {
      env: { LOG_FORMAT: 'json', LOG_LEVEL: 'warn', LOG_REQUESTS: 'all' },
    });
    try {
      const name = env.users[2].name;
      for (let i = 1; i <= 3; i++) {
        const reply = await request('POST', `${node.url}/login`, {
          body: { username: name, password: 'wrong' },
          headers: { 'x-request-id': `ops-login-${i}` },
        });
        expectError(reply, 'USER_AUTH_FAIL');
      }
      const warned = await waitUntil(
        async () => jsonLines(node).find((l) => l.context === 'LoginThrottle'),
        5000,
        "the throttle's warning",
      );
      expect(warned).toMatchObject({ level: 'warn', reqId: 'ops-login-3' });
      expect(warned.msg).toContain(JSON.stringify(name));
      // At LOG_LEVEL=warn the request lines (info) are not written.
      expect(jsonLines(node).some((l) => l.context === 'Http')).toBe(false);
    } finally {
      await node.stop();
    }
  }, 60_000);

  test('LOG_REQUESTS=errors: request lines only for answers of status 400 and above', async () => {
    const node = await startNode(env, {
      env: { NODE_ENV: 'production', LOG_LEVEL: 'log', LOG_REQUESTS: 'errors' },
    });
    try {
      const ok = await request('GET', `${node.url}/health/live`, {
        headers: { 'x-request-id': 'ops-errors-ok' },
      });
      expect(ok.status).toBe(200);
      expect(ok.headers['x-request-id']).toBe('ops-errors-ok');
      const refused = await request('GET', `${node.url}/foods`, {
        headers: { 'x-request-id': 'ops-errors-401' },
      });
      expectError(refused, 'INVALID_ACCESS_TOKEN');
      const line = await waitUntil(
        async () => jsonLines(node).find((l) => l.reqId === 'ops-errors-401'),
        5000,
        'the 401 request line',
      );
      expect(line).toMatchObject({ context: 'Http', msg: 'request', status: 401 });
      expect(jsonLines(node).some((l) => l.reqId === 'ops-errors-ok')).toBe(false);
    } finally {
      await node.stop();
    }
  }, 60_000);

  test('LOG_REQUESTS=false: no request lines and no request ids; pretty text on request', async () => {
    const node = await startNode(env, {
      env: { LOG_FORMAT: 'pretty', LOG_LEVEL: 'log', LOG_REQUESTS: 'false' },
    });
    try {
      const reply = await request('GET', `${node.url}/health/live`);
      expect(reply.status).toBe(200);
      expect(reply.headers['x-request-id']).toBeUndefined();
      await waitUntil(
        async () => (node.output().includes('[Main] Serving with 1 worker(s)') ? true : undefined),
        5000,
        'the boot line',
      );
      expect(node.output()).not.toContain('{"level"');
      expect(node.output()).not.toContain('[Http]');
    } finally {
      await node.stop();
    }
  }, 60_000);
});
