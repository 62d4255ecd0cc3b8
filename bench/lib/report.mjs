// The report: figures next to their baselines and targets (PASS/MISS), as a text table (stdout),
// Markdown (latest.md, for the READMEs), JSON and an SVG bar chart under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmtInt, fmtMs } from './progress.mjs';
import { renderSvg } from './svg.mjs';
import { microsPerOrder, serverMicros } from './load.mjs';
import { redisRows } from './redis-stats.mjs';

const RSS_LIMIT_MB = 256;
const GO_FINALIST = { 200: 3000, 1000: 2400 };
/** Targets of issue #16, as ratios from one run. */
const SALE_VS_H = 0.6;
const CONTEST_VS_C = 0.75;
/** Targets of issue #18, as ratios to G (the floor on minimal Nest) from one run. */
const VOTES_VS_G = { 1: 0.5, 3: 0.35 };
const QUERY_VS_G = 0.8;
const k = (users) => `${Math.round(users / 1000)}k`;
const workersLabel = (n) => `${n} worker${n > 1 ? 's' : ''}`;
const pct = (x) =>
  x === undefined || x === null ? '–' : `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
const lat = (l) => (l ? `${fmtMs(l.p50)} / ${fmtMs(l.p99)} ms` : '–');
const status = (pass) => (pass === undefined ? '' : pass ? 'PASS' : 'MISS');

/**
 * Builds the rows of the main table and the target verdicts from the raw figures. Each row:
 * scenario, figure, value, baseline, ratio, target, result. `bars` feed the SVG chart.
 */
export function buildTables({ meta, raw }) {
  const c = meta.plan.connections;
  const main = k(meta.plan.mainUsers);
  const H = raw[`hello@${c}`];
  const rows = [];
  const targets = [];
  const bars = [];
  const row = (scenario, figure, value, extra = {}) =>
    rows.push({
      scenario,
      figure,
      value,
      baseline: '',
      ratio: '',
      target: '',
      result: '',
      ...extra,
    });
  const target = (id, text, value, required, pass) => {
    targets.push({ id, text, value, required, pass });
    return status(pass);
  };
  // G: `{ __typename }` on the smallest Nest app with the app's GraphQL stack (floor group).
  const G = raw.floor?.nestGraphql;
  const vsG = (value, factor, id, scenario, figure, bar) => {
    const ratio = value / G.rate;
    row(scenario, figure, fmtInt(value), {
      baseline: `G ${fmtInt(G.rate)}`,
      ratio: ratio.toFixed(2),
      target: `≥ ${factor} × G`,
      result: target(id, `${figure} ≥ ${factor} × G`, value, factor * G.rate, ratio >= factor),
    });
    bars.push({ label: bar, value, mark: factor * G.rate, pass: ratio >= factor });
  };
  const vsH = (value, factor, id, scenario, figure, bar) => {
    if (!H) return row(scenario, figure, fmtInt(value));
    const ratio = value / H.rps;
    row(scenario, figure, fmtInt(value), {
      baseline: `H ${fmtInt(H.rps)}`,
      ratio: ratio.toFixed(2),
      target: `≥ ${factor} × H`,
      result: target(id, `${figure} ≥ ${factor} × H`, value, factor * H.rps, ratio >= factor),
    });
    bars.push({ label: bar, value, mark: factor * H.rps, pass: ratio >= factor });
  };

  if (H) {
    row(`H: Fastify hello, c=${c}`, 'requests/s', fmtInt(H.rps), { baseline: 'the ceiling' });
    row('', 'p50 / p99', lat(H.latency));
    bars.push({ label: `H hello, c=${c}`, value: H.rps, baseline: true });
  }

  const sale = raw[`sale@${main}@${c}`];
  if (sale) {
    vsH(
      sale.rps,
      SALE_VS_H,
      'sale-rps',
      `Sale flow, c=${c}, ${main} users`,
      'requests/s',
      'Sale flow requests/s',
    );
    row('', 'orders/s', fmtInt(sale.ordersPerSecond));
    row('', 'p50 / p99, all requests', lat(sale.latency));
    row('', 'p50 / p99, POST /orders', lat(sale.steps.order?.latency));
    redisRows(row, sale.redis);
  }

  // Request logging (group logging): the sale flow on an app with LOG_REQUESTS on and one with it
  // off, in turns; the means over the counted rounds (not the warm-up), and each round's ratio.
  const logging = raw.logging;
  if (logging?.on.length && logging.off.length) {
    const mean = (runs, f) => runs.reduce((sum, r) => sum + f(r), 0) / runs.length;
    const [on, off] = [logging.on, logging.off].map((runs) => ({
      rps: mean(runs, (r) => r.rps),
      orders: mean(runs, (r) => r.ordersPerSecond),
      micros: mean(runs, (r) => serverMicros(r) ?? 0),
    }));
    const ratio = off.rps ? on.rps / off.rps : 0;
    const rounds = logging.on.map((r, i) => (r.rps / logging.off[i]?.rps).toFixed(2));
    const cpuRounds = logging.on.map((r, i) =>
      (serverMicros(r) / serverMicros(logging.off[i])).toFixed(2),
    );
    const ignored =
      logging.on.some((r) => !r.logsRequests) || logging.off.some((r) => r.logsRequests);
    row(
      `Sale flow, c=${c}, ${k(logging.on[0].dataset)} users, request logs on vs off (mean of ${logging.on.length} turns each, after a warm-up round)`,
      'requests/s, on',
      fmtInt(on.rps),
      {
        baseline: `off ${fmtInt(off.rps)}`,
        ratio: ratio.toFixed(2),
        result: ignored ? 'LOG_REQUESTS ignored?' : '',
      },
    );
    row('', 'on ÷ off by round', rounds.join(', '));
    row('', 'server µs/req, on / off', `${fmtInt(on.micros)} / ${fmtInt(off.micros)}`, {
      ratio: off.micros ? (on.micros / off.micros).toFixed(2) : '',
    });
    row('', 'server µs/req, on ÷ off by round', cpuRounds.join(', '));
    row('', 'orders/s, on / off', `${fmtInt(on.orders)} / ${fmtInt(off.orders)}`);
    bars.push({ label: 'Sale flow, request logs off', value: off.rps, baseline: true });
    bars.push({ label: 'Sale flow, request logs on', value: on.rps });
  }

  for (const workers of meta.plan.contestWorkers ?? [meta.workers]) {
    for (const level of meta.plan.contestLevels) {
      const contest = raw[`contest@${level}@${workers}w`];
      const C = raw[`contestC@${level}@${workers}w`];
      const w = workersLabel(workers);
      const short = (run) => (run.complete ? '' : ' ⚠ <7 s');
      if (C) {
        row(
          `C: canned contest server, c=${level}, ${w}`,
          `score (orders/s)${short(C)}`,
          fmtInt(C.score),
          {
            baseline: 'no I/O, fixed answers',
          },
        );
        bars.push({ label: `C canned contest, c=${level}, ${w}`, value: C.score, baseline: true });
      }
      if (!contest) continue;
      let scenario = `Contest flow, c=${level}, ${k(contest.dataset)} users, ${w}`;
      const figure = `score (orders/s)${short(contest)}`;
      let bar = { label: `Contest score, c=${level}, ${w}`, value: contest.score };
      if (C) {
        const ratio = C.score ? contest.score / C.score : 0;
        const pass = ratio >= CONTEST_VS_C;
        row(scenario, figure, fmtInt(contest.score), {
          baseline: `C ${fmtInt(C.score)}`,
          ratio: ratio.toFixed(2),
          target: `≥ ${CONTEST_VS_C} × C`,
          result: target(
            `contest-C-${level}-${workers}w`,
            `contest score at c=${level}, ${w} ≥ ${CONTEST_VS_C} × C`,
            contest.score,
            CONTEST_VS_C * C.score,
            pass,
          ),
        });
        scenario = '';
        bar = { ...bar, mark: CONTEST_VS_C * C.score, pass };
      }
      // The Go finalist's figures were for the whole machine: judged on the main worker count.
      const ref = GO_FINALIST[level];
      if (ref && workers === meta.workers) {
        const pass = contest.score >= ref;
        row(scenario, figure, fmtInt(contest.score), {
          baseline: `Go finalist ≈ ${fmtInt(ref)}`,
          ratio: (contest.score / ref).toFixed(2),
          target: `≥ ${fmtInt(ref)}`,
          result: target(
            `contest-${level}`,
            `contest score at c=${level} ≥ ${ref}`,
            contest.score,
            ref,
            pass,
          ),
        });
        if (!C) bar = { ...bar, mark: ref, pass };
      } else if (!C) row(scenario, figure, fmtInt(contest.score));
      row(
        '',
        'orders OK / flows ended',
        `${pct(contest.successRate)} (${fmtInt(contest.orders)} / ${fmtInt(contest.flowsEnded)})`,
      );
      row('', 'requests answered 2xx', pct(contest.requestSuccessRate));
      row('', 'p50 / p99, all requests', lat(contest.latency));
      row('', 'p50 / p99, login → order', lat(contest.flowLatency));
      redisRows(row, contest.redis);
      bars.push(bar);
    }
  }
  if (raw.loginDefaultCost)
    row(
      `Logins, default hash cost, c=${raw.loginDefaultCost.connections}`,
      'logins/s',
      fmtInt(raw.loginDefaultCost.loginsPerSecond),
      { baseline: 'CPU-bound by design' },
    );

  if (meta.voting && !meta.voting.available)
    row('Votes, query', 'not available', '–', { baseline: meta.voting.reason.slice(0, 60) });
  for (const names of [1, 3]) {
    const votes = raw[`votes${names}@${main}@${c}`];
    const L = raw[`lock${names}@${main}@${c}`];
    const scenario = `Votes, ${names} name${names > 1 ? 's' : ''}, c=${c}`;
    if (L)
      bars.push({
        label: `L votes/s, ${names} name${names > 1 ? 's' : ''}`,
        value: L.votesPerSecond,
        baseline: true,
      });
    if (!votes) {
      if (L)
        row(
          `L (seed design), ${names} name${names > 1 ? 's' : ''}, c=${c}`,
          'votes/s',
          fmtInt(L.votesPerSecond),
        );
      continue;
    }
    if (L) {
      const ratio = L.votesPerSecond ? votes.votesPerSecond / L.votesPerSecond : Infinity;
      row(scenario, 'votes/s', fmtInt(votes.votesPerSecond), {
        baseline: `L ${fmtInt(L.votesPerSecond)}`,
        ratio: `${ratio.toFixed(1)}×`,
        target: '≥ 10 × L',
        result: target(
          `votes${names}-L`,
          `votes/s (${names}) ≥ 10 × L`,
          votes.votesPerSecond,
          10 * L.votesPerSecond,
          ratio >= 10,
        ),
      });
    }
    // Against G when the floor group ran (the targets of #18), else against H.
    (G ? vsG : vsH)(
      votes.votesPerSecond,
      G ? VOTES_VS_G[names] : 0.3,
      `votes${names}-${G ? 'G' : 'H'}`,
      L ? '' : scenario,
      'votes/s',
      `Votes/s, ${names} name${names > 1 ? 's' : ''}`,
    );
    row('', 'p50 / p99', lat(votes.steps.vote?.latency));
  }
  if (raw.queryCached)
    (G ? vsG : vsH)(
      raw.queryCached.callsPerSecond,
      G ? QUERY_VS_G : 0.6,
      'query-cached',
      `Cached query, c=${c}`,
      'calls/s',
      'Cached query calls/s',
    );
  if (raw.queryCached) row('', 'p50 / p99', lat(raw.queryCached.latency));
  // The stack's floor (bench/scenarios/floor.mjs): a ceiling for every figure above it, no target.
  const floors = [
    ['rest', `Floor: GET /foods, c=${c}`, 'guarded route, no I/O'],
    ['graphql', `Floor: { __typename }, c=${c}`, 'GraphQL, no resolver'],
    ['nestGraphql', `Floor: { __typename } on minimal Nest, c=${c}`, 'Nest + mercurius, no app'],
    [
      'bareGraphql',
      `Floor: { __typename } on bare mercurius, c=${c}`,
      'mercurius on Fastify, no Nest',
    ],
  ];
  for (const [key, scenario, figure] of floors) {
    const floor = raw.floor?.[key];
    if (!floor) continue;
    row(scenario, `${figure}, req/s`, fmtInt(floor.rate), {
      baseline: H ? `H ${fmtInt(H.rps)}` : '',
      ratio: H ? (floor.rate / H.rps).toFixed(2) : '',
    });
    bars.push({ label: scenario, value: floor.rate, baseline: true });
  }
  const burst = raw.queryBurst;
  if (burst && !burst.skipped) {
    const pass = burst.reads <= burst.nodes;
    row(`Cold burst, ${fmtInt(burst.size)} queries`, 'MySQL reads', String(burst.reads), {
      baseline: `${burst.nodes} nodes`,
      target: '≤ 1 per node',
      result: target(
        'cold-burst',
        'cold burst: ≤ 1 MySQL read per node',
        burst.reads,
        burst.nodes,
        pass,
      ),
    });
    row('', 'burst answered in', `${fmtInt(burst.ms)} ms`, {
      baseline: burst.readsSource.slice(0, 60),
    });
  }

  const rss = peakRss(raw);
  if (rss) {
    const pass = rss.dataset >= 100_000 ? rss.peak <= RSS_LIMIT_MB : undefined;
    row(
      `Peak RSS per worker, ${k(rss.dataset)} users`,
      'MB',
      rss.workers.map((w) => fmtInt(w)).join(' / '),
      {
        target: `≤ ${RSS_LIMIT_MB}`,
        result:
          pass === undefined
            ? '(needs 100k)'
            : target(
                'rss',
                `peak RSS per worker ≤ ${RSS_LIMIT_MB} MB with 100k users`,
                rss.peak,
                RSS_LIMIT_MB,
                pass,
              ),
      },
    );
  }
  const runs = raw.runs ?? [];
  if (runs.length) {
    const gen = Math.max(...runs.map((r) => r.cpu.generator ?? 0));
    row('Load generator (wrk)', 'CPU share, max of runs', pct(gen), { baseline: 'of all cores' });
  }
  return {
    rows,
    targets,
    bars,
    growth: growthRows(meta, raw),
    routes: routeRows(meta, raw),
    cpu: runs,
    notes: notes(runs),
  };
}

/**
 * Server CPU µs per request by route, the app next to C (scenarios/routes.mjs), then a whole
 * contest order and what is left of it for POST /orders and the order's new connection.
 */
function routeRows(meta, raw) {
  if (!raw.routes) return [];
  const micros = (x) => (x === undefined ? '–' : fmtInt(x));
  const vs = (a, b) => (a !== undefined && b ? (a / b).toFixed(1) : '–');
  const out = [];
  const sums = { app: 0, C: 0 };
  for (const { name, perOrder, app, C } of raw.routes) {
    sums.app += (app?.micros ?? NaN) * perOrder;
    sums.C += (C?.micros ?? NaN) * perOrder;
    out.push({
      route: name,
      app: micros(app?.micros),
      C: micros(C?.micros),
      ratio: vs(app?.micros, C?.micros),
      appRps: fmtInt(app?.rps),
      cRps: fmtInt(C?.rps),
      ok: `${pct(app?.okShare)} / ${pct(C?.okShare)}`,
    });
  }
  const c = meta.plan.connections;
  const contest = raw[`contest@${c}@${meta.workers}w`];
  const C = raw[`contestC@${c}@${meta.workers}w`];
  if (contest && C) {
    const order = { app: microsPerOrder(contest), C: microsPerOrder(C) };
    const rest = { app: order.app - sums.app, C: order.C - sums.C };
    out.push({
      route: `whole contest order (c=${c} run)`,
      app: micros(order.app),
      C: micros(order.C),
      ratio: vs(order.app, order.C),
      appRps: fmtInt(contest.rate),
      cRps: fmtInt(C.rate),
      ok: `${pct(contest.requestSuccessRate)} / ${pct(C.requestSuccessRate)}`,
    });
    out.push({
      route: 'new connection and the rest',
      app: micros(rest.app),
      C: micros(rest.C),
      ratio: vs(rest.app, rest.C),
      appRps: '',
      cRps: '',
      ok: '',
    });
  }
  return out;
}

/** What may bend a figure: clients left without an answer, clients out of users, socket errors. */
function notes(runs) {
  const out = [];
  for (const r of runs) {
    if (r.stuck)
      out.push(
        `${r.label}: ${r.stuck} clients still awaited an answer when wrk stopped (their outcome is unknown; the audits allow for exactly those)`,
      );
    if (r.exhausted)
      out.push(
        `${r.label}: ${r.exhausted} clients ran out of users before the deadline (figures may be understated)`,
      );
    const errors = Object.entries(r.socketErrors ?? {}).filter(([, n]) => n > 0);
    if (errors.length)
      out.push(`${r.label}: socket errors ${errors.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  return out;
}

/** The highest peak RSS seen, from the largest dataset measured (VmHWM: lifetime peak). */
function peakRss(raw) {
  let best;
  for (const [key, value] of Object.entries(raw)) {
    if (!/^(sale|votes)/.test(key) || !value?.memory?.length) continue;
    const workers = value.memory.map((m) => m.peak);
    const peak = Math.max(...workers);
    if (
      !best ||
      value.dataset > best.dataset ||
      (value.dataset === best.dataset && peak > best.peak)
    )
      best = { dataset: value.dataset, peak, workers };
  }
  return best;
}

function growthRows(meta, raw) {
  const out = [];
  for (const { users, levels } of meta.plan.growth) {
    for (const c of levels) {
      const sale = raw[`sale@${k(users)}@${c}`];
      const votes = raw[`votes1@${k(users)}@${c}`];
      if (!sale && !votes) continue;
      const H = raw[`hello@${c}`];
      out.push({
        dataset: k(users),
        connections: c,
        hello: H ? fmtInt(H.rps) : '–',
        saleRps: sale ? fmtInt(sale.rps) : '–',
        orders: sale ? fmtInt(sale.ordersPerSecond) : '–',
        saleLatency: sale ? lat(sale.latency) : '–',
        votes: votes ? fmtInt(votes.votesPerSecond) : '–',
        voteLatency: votes ? lat(votes.steps.vote?.latency) : '–',
        rss: sale?.memory?.length ? sale.memory.map((m) => fmtInt(m.peak)).join(' / ') : '–',
      });
    }
  }
  return out;
}

const MAIN_COLUMNS = [
  ['scenario', 'Scenario'],
  ['figure', 'Figure'],
  ['value', 'Value'],
  ['baseline', 'Baseline'],
  ['ratio', 'Ratio'],
  ['target', 'Target'],
  ['result', 'Result'],
];
const GROWTH_COLUMNS = [
  ['dataset', 'Users'],
  ['connections', 'Conns'],
  ['hello', 'H req/s'],
  ['saleRps', 'Sale req/s'],
  ['orders', 'Orders/s'],
  ['saleLatency', 'Sale p50/p99'],
  ['votes', 'Votes/s'],
  ['voteLatency', 'Vote p50/p99'],
  ['rss', 'Peak RSS MB/worker'],
];
const ROUTE_COLUMNS = [
  ['route', 'Route'],
  ['app', 'app µs/req'],
  ['C', 'C µs/req'],
  ['ratio', 'app ÷ C'],
  ['appRps', 'app req/s'],
  ['cRps', 'C req/s'],
  ['ok', '2xx app / C'],
];
const ROUTE_TITLE =
  'Server CPU per request by route, the app next to C (keep-alive, one route at a time; orders/s for the whole order; the last row is the whole order minus the routes above: its new connection, and what keep-alive runs of one route batch better)';
const CPU_COLUMNS = [
  ['label', 'Run'],
  ['rps', 'req/s'],
  ['cost', 'server µs/req'],
  ['generator', 'wrk'],
  ['server', 'server'],
  ['redis', 'Redis'],
  ['mysql', 'MySQL'],
  ['other', 'other'],
];

const cpuRows = (runs) =>
  runs.map((r) => ({
    label: r.label,
    rps: fmtInt(r.rps),
    cost: fmtInt(serverMicros(r)),
    generator: pct(r.cpu.generator),
    server: pct(r.cpu.server),
    redis: pct(r.cpu.redis),
    mysql: pct(r.cpu.mysql),
    other: pct(r.cpu.other),
  }));

function textTable(columns, rows) {
  const widths = columns.map(([key, title]) =>
    Math.max(title.length, ...rows.map((r) => String(r[key] ?? '').length)),
  );
  const line = (cells) =>
    cells
      .map((cell, i) => String(cell ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map(([, t]) => t)),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => line(columns.map(([key]) => r[key]))),
  ].join('\n');
}

function markdownTable(columns, rows) {
  const esc = (v) => String(v ?? '').replaceAll('|', '\\|');
  return [
    `| ${columns.map(([, t]) => t).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${columns.map(([key]) => esc(r[key])).join(' | ')} |`),
  ].join('\n');
}

function header(meta) {
  const when = meta.started.slice(0, 16).replace('T', ' ');
  const load =
    meta.neighbourLoad === undefined
      ? ''
      : `, machine ${pct(meta.neighbourLoad)} busy before start`;
  const logs = meta.logRequests ? `, ${requestLogs(meta.logRequests)}` : '';
  const cluster = meta.redisCluster ? `, app on the Redis Cluster ${meta.redisCluster}` : '';
  return `${meta.quick ? 'Quick bench' : 'Bench'} of ${when} UTC, commit ${meta.commit}: ${meta.workers} workers on ${meta.cores} cores, Node ${meta.node}, wrk (one connection per thread)${logs}${cluster}${load}`;
}

/**
 * What the app was told about request lines (`option`: --log-requests, null when not given). Unset,
 * it logs only answers of 400 and above (LOG_REQUESTS=errors), which still tags every answer with
 * `x-request-id`: "on" would overstate it.
 */
function requestLogs({ option, on }) {
  if (option === null) return `request logs as the app's default (LOG_REQUESTS unset)`;
  return `request logs ${on ? 'on' : 'off'} (--log-requests ${option})`;
}

function verdict(targets) {
  const missed = targets.filter((t) => !t.pass);
  return targets.length
    ? `Targets: ${targets.length - missed.length}/${targets.length} met${missed.length ? `; missed: ${missed.map((t) => t.text).join('; ')}` : ''}`
    : 'No targets measured';
}

/** Writes <stamp>.json, <stamp>.svg and latest.md; returns the text report and the paths. */
export function writeReport(dir, stamp, { meta, raw, failure }) {
  mkdirSync(dir, { recursive: true });
  const tables = buildTables({ meta, raw });
  const failed = failure
    ? `\n\n${failure.audit ? 'AUDIT FAILED' : 'FAILED'}: ${failure.message.split('\n')[0]}`
    : '';
  const text = [
    '',
    header(meta),
    '',
    textTable(MAIN_COLUMNS, tables.rows),
    tables.growth.length
      ? `\nGrowth (sale flow and 1-name votes as work grows)\n${textTable(GROWTH_COLUMNS, tables.growth)}`
      : '',
    tables.routes.length ? `\n${ROUTE_TITLE}\n${textTable(ROUTE_COLUMNS, tables.routes)}` : '',
    tables.cpu.length
      ? `\nCPU share of the machine per run, over its measured window (wrk = the load generator; other = not ours; server µs/req = the server's CPU time per answered request)\n${textTable(CPU_COLUMNS, cpuRows(tables.cpu))}`
      : '',
    tables.notes.length ? `\nNotes\n${tables.notes.map((n) => `  - ${n}`).join('\n')}` : '',
    `\n${verdict(tables.targets)}${failed}`,
  ].join('\n');
  const markdown = [
    `<!-- written by npm run bench; ${stamp} -->`,
    `${header(meta)}.`,
    '',
    markdownTable(MAIN_COLUMNS, tables.rows),
    tables.growth.length
      ? `\n**Growth** (sale flow and 1-name votes as work grows)\n\n${markdownTable(GROWTH_COLUMNS, tables.growth)}`
      : '',
    tables.routes.length
      ? `\n**${ROUTE_TITLE.replace(' (', '** (')}\n\n${markdownTable(ROUTE_COLUMNS, tables.routes)}`
      : '',
    tables.cpu.length
      ? `\n**CPU share of the machine per run**, over its measured window (wrk = the load generator; other = not ours; server µs/req = the server's CPU time per answered request)\n\n${markdownTable(CPU_COLUMNS, cpuRows(tables.cpu))}`
      : '',
    tables.notes.length ? `\n**Notes**\n\n${tables.notes.map((n) => `- ${n}`).join('\n')}` : '',
    `\n${verdict(tables.targets)}${failed}`,
    '',
  ].join('\n');
  const paths = [join(dir, `${stamp}.json`), join(dir, `${stamp}.svg`), join(dir, 'latest.md')];
  writeFileSync(paths[0], JSON.stringify({ meta, targets: tables.targets, raw, failure }, null, 2));
  const title = `${meta.quick ? 'Quick bench' : 'Bench'} ${meta.started.slice(0, 16).replace('T', ' ')} UTC, ${meta.workers} workers on ${meta.cores} cores, commit ${meta.commit}`;
  const logs = meta.logRequests ? `; ${requestLogs(meta.logRequests)}` : '';
  const subtitle = `groups: ${meta.groups.join(', ')}${logs}; ${verdict(tables.targets).split(';')[0]}`;
  writeFileSync(paths[1], renderSvg(tables.bars, title, subtitle));
  writeFileSync(paths[2], markdown);
  return { text, paths };
}
