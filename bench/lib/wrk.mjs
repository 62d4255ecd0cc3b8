// Runs Debian's wrk with one of the bench's Lua scripts and returns the merged per-client stats.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cpuSampler } from './proc-stats.mjs';
import { track } from './procs.mjs';
import { addHistogram } from './stats.mjs';

const LUA_DIR = join(dirname(dirname(fileURLToPath(import.meta.url))), 'lua');
const WORK_DIR = join(tmpdir(), `eleme-bench-${process.pid}`);
let runs = 0;

/** Makes sure `wrk` is installed: installs Debian's package when root, else explains. */
export function ensureWrk(log) {
  if (spawnSync('wrk', ['-v']).error === undefined) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      'wrk not found: install it (sudo apt-get install -y wrk) and run the bench again',
    );
  }
  log('wrk not found, installing the Debian package');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'wrk']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
}

export function cleanupWorkDir() {
  rmSync(WORK_DIR, { recursive: true, force: true });
}

/**
 * Writes per-client input files: `lines` are dealt round-robin over `clients` files (disjoint
 * slices), or every client gets all of them with `shared`.
 */
function writeInputs(dir, clients, lines, shared) {
  mkdirSync(dir, { recursive: true });
  const slices = Array.from({ length: clients }, () => []);
  if (shared) slices.forEach((s) => s.push(...lines));
  else lines.forEach((line, i) => slices[i % clients].push(line));
  slices.forEach((s, i) => writeFileSync(join(dir, `${i + 1}.txt`), s.join('\n') + '\n'));
}

/**
 * Runs `script` (a file of bench/lua) with `connections` clients, one connection and one wrk
 * thread each. With `warmupSeconds`, the load first runs unmeasured until a whole second
 * (`measureFrom`) at least that far away: the app's JIT compiles its hot paths then, not in the
 * measured window. New mutations stop at a whole-second deadline `seconds` after that; wrk then
 * runs `drainSeconds` more so that every answer arrives (or, `untilDone`, until every client has
 * drained). `cpuGroups` ({name: pids}) are sampled along with wrk itself ("generator") over the
 * measured window; `atStart` and `atDeadline` are called when it starts and ends.
 */
export async function runWrk({
  url,
  script,
  connections,
  seconds,
  drainSeconds = 2,
  lines = [],
  shared = false,
  env = {},
  cpuGroups = {},
  untilDone = false,
  warmupSeconds = 0,
  atStart,
  atDeadline,
}) {
  const dir = join(WORK_DIR, `run-${++runs}`);
  writeInputs(join(dir, 'input'), connections, lines, shared);
  const out = join(dir, 'out');
  mkdirSync(out);
  const measureFrom = warmupSeconds ? Math.ceil(Date.now() / 1000 + warmupSeconds) : undefined;
  const deadline = Math.ceil((measureFrom ?? Date.now() / 1000) + seconds);
  const duration = Math.ceil(deadline - Date.now() / 1000 + drainSeconds);
  const args = [
    '-t',
    String(connections),
    '-c',
    String(connections),
    '-d',
    `${duration}s`,
    '--timeout',
    '10s',
    '-s',
    join(LUA_DIR, script),
    url,
  ];
  // At a lower priority: with one thread per connection, the kernel's per-thread fairness would
  // otherwise hand 1000 wrk threads most of the CPU the server needs (H at 1000 connections
  // halves). BENCH_WRK_NICE=0 turns this off.
  //
  // BENCH_WRK_GROUP=own runs wrk in a session, hence (with autogroup scheduling, on by default)
  // a scheduling group, of its own: the kernel then shares the CPU between wrk and the servers
  // first, and a response no longer makes the woken wrk thread preempt the server at once.
  // It is not the default because it moves the baseline too: on this 2-core machine H fell from
  // 37-40k to 26-28k req/s while the sale flow rose from 7.0-7.4k to 9.8-10.4k (two runs each),
  // so the ratio to H roughly doubles; the default keeps the higher, stricter ceiling. With the
  // default, runs at 1000 connections can starve the app's workers for seconds: in several such
  // runs a live node's stock lease expired (its in-flight orders were then voided and answered
  // 503, correctly, but the generator caused it); none did in the full run with its own group.
  const nice = process.env.BENCH_WRK_NICE ?? '10';
  const command = nice === '0' ? ['wrk', ...args] : ['nice', '-n', nice, 'wrk', ...args];
  const child = spawn(command[0], command.slice(1), {
    detached: process.env.BENCH_WRK_GROUP === 'own',
    env: {
      ...process.env,
      ...env,
      BENCH_OUT: out,
      BENCH_DEADLINE: String(deadline),
      BENCH_MEASURE_FROM: String(measureFrom ?? 0),
      BENCH_INPUT: join(dir, 'input'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  // CPU shares cover the measured window (after the warm-up, up to the deadline), not the drain.
  const sampler = cpuSampler({ generator: [child.pid], ...cpuGroups });
  const start = () => {
    sampler.start();
    atStart?.();
  };
  const startTimer = measureFrom ? setTimeout(start, measureFrom * 1000 - Date.now()) : start();
  let cpu;
  const deadlineTimer = setTimeout(
    () => {
      cpu = sampler.stop();
      atDeadline?.();
    },
    deadline * 1000 - Date.now(),
  );
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  // Once every client has drained (after the deadline, or at once with untilDone), the rest of
  // the drain time is waste: SIGINT makes wrk end the run and report.
  const poll = setInterval(() => {
    if ((untilDone || Date.now() / 1000 >= deadline) && doneCount(out) >= connections)
      child.kill('SIGINT');
  }, 200);
  // wrk stops by itself after `duration`; this bounds a hung run.
  const status = await Promise.race([exited, sleep((duration + 30) * 1000).then(() => 'hung')]);
  clearInterval(poll);
  clearTimeout(startTimer);
  clearTimeout(deadlineTimer);
  cpu ??= sampler.stop();
  if (status === 'hung') {
    child.kill('SIGKILL');
    throw new Error(`wrk ${script} did not stop within ${duration + 30} s`);
  }
  const wrkFile = join(out, 'wrk.json');
  if (status !== 0 || !existsSync(wrkFile))
    throw new Error(`wrk ${script} failed (${status}):\n${output.trim()}`);
  const wrk = JSON.parse(readFileSync(wrkFile, 'utf8'));
  const result = {
    ...readClients(out, connections),
    measureFrom,
    deadline,
    connections,
    cpu,
    wrk,
  };
  if (!process.env.BENCH_KEEP_RUNS) rmSync(dir, { recursive: true, force: true });
  return result;
}

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // being rewritten
  }
};

const doneCount = (out) => readdirSync(out).filter((f) => f.endsWith('.done')).length;

/**
 * Reads what each client wrote: <tid>.json (stats; not final when the client never reached its
 * drain, i.e. its last request was still unanswered: its last second may be missing) and
 * <tid>.events (acknowledged orders "o <id>", votes "v <name>...", tokens "t <index> <token>").
 */
function readClients(out, connections) {
  const files = new Set(readdirSync(out));
  const threads = [];
  const ids = [];
  const tally = new Map();
  const tokens = new Map();
  const used = [];
  let stuck = 0;
  for (let tid = 1; tid <= connections; tid++) {
    const stats = files.has(`${tid}.json`) ? readJson(join(out, `${tid}.json`)) : undefined;
    if (stats) threads.push(stats);
    if (!stats?.final) stuck++;
    // Input lines a client started (flows that consume users); all of them when in doubt.
    used.push(stats?.final && stats.used !== undefined ? stats.used : Infinity);
    if (!files.has(`${tid}.events`)) continue;
    for (const line of readFileSync(join(out, `${tid}.events`), 'utf8').split('\n')) {
      const [kind, ...rest] = line.split(' ');
      if (kind === 'o') ids.push(rest[0]);
      else if (kind === 'v') for (const name of rest) tally.set(name, (tally.get(name) ?? 0) + 1);
      else if (kind === 't') tokens.set(Number(rest[0]), rest[1]);
    }
  }
  const merged = merge(threads);
  // A client that never drained has one request whose outcome is unknown.
  return { ...merged, ids, tally, tokens, used, stuck, unknown: merged.unknown + stuck };
}

/** Sums the per-client stats of all wrk threads. */
function merge(threads) {
  const steps = {};
  const perSecond = {};
  let sent = 0;
  let answered = 0;
  let drained = 0;
  let exhausted = 0;
  for (const t of threads) {
    for (const [name, s] of Object.entries(t.steps ?? {})) {
      const into = (steps[name] ??= { count: 0, codes: {}, errors: {}, hist: {} });
      for (const [code, n] of Object.entries(s.codes ?? {})) {
        into.codes[code] = (into.codes[code] ?? 0) + n;
        into.count += n;
      }
      for (const [code, n] of Object.entries(s.errors ?? {}))
        into.errors[code] = (into.errors[code] ?? 0) + n;
      addHistogram(into.hist, s.hist);
    }
    for (const [sec, row] of Object.entries(t.sec ?? {})) {
      const into = (perSecond[sec] ??= {});
      for (const [what, n] of Object.entries(row)) into[what] = (into[what] ?? 0) + n;
    }
    sent += t.sent ?? 0;
    answered += t.answered ?? 0;
    drained += t.drained ?? 0;
    if (t.exhausted) exhausted++;
  }
  return { steps, perSecond, unknown: sent - answered, drained, exhausted };
}
