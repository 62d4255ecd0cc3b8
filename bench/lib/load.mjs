// One measured load run: wrk against a server, with CPU accounting of everything involved, and
// the figures every scenario reports.
import { cores, cpuSampler, memoryMb, pidsByName, resetPeakRss } from './proc-stats.mjs';
import { addHistogram, latencySummary, ratePerSecond, secondsOf } from './stats.mjs';
import { runWrk } from './wrk.mjs';

const servicePids = {
  redis: () => pidsByName('redis-server'),
  mysql: () => [...pidsByName('mariadbd'), ...pidsByName('mysqld')],
};

/**
 * Runs `script` against `server`; returns wrk's merged result plus `summary` (see below). The first
 * run of each script on each server starts with `plan.warmupSeconds` of the same load, unmeasured
 * (see runWrk): a figure then says what the warm code does, for the baselines as for the app.
 * `warmup: false` where compiled code is not what sets the figure (password hashing, polling); a
 * number of seconds for a warm-up on every run (the measured window then leaves out the clients'
 * connecting, and the CPU window is exactly the requests' window).
 */
export async function runLoad(
  ctx,
  server,
  { label, script, connections, seconds, lines, shared, env, counter, warmup = true, window },
) {
  const warmupSeconds =
    typeof warmup === 'number' ? warmup : warmup ? warmupFor(ctx, server, script) : 0;
  (ctx.warmed ??= new Set()).add(`${server.url} ${script}`);
  ctx.progress.step(label, seconds + warmupSeconds);
  // Peak RSS per run: since the run began, or since the dataset load just before it.
  if (server === ctx.app && !ctx.app.peakFromLoad) resetPeakRss(ctx.app.workerPids());
  if (server === ctx.app) ctx.app.peakFromLoad = false;
  // --profile: the app was started with bench/lib/cpu-profile.mjs; SIGWINCH starts it, and stops
  // it when the measured window ends (the drain's requests are not what is measured).
  const profiling = ctx.profile?.armed && server === ctx.app;
  const toggleProfiler = () => ctx.app.workerPids().forEach((pid) => process.kill(pid, 'SIGWINCH'));
  const result = await runWrk({
    url: server.url,
    script,
    connections,
    seconds,
    drainSeconds: ctx.plan.drainSeconds,
    lines,
    shared,
    env,
    cpuGroups: { server: server.pids, ...servicePids },
    warmupSeconds,
    // `window`: hooks of the caller's own at the same two moments (redis-stats.mjs).
    atStart: () => {
      if (profiling) toggleProfiler();
      window?.atStart();
    },
    atDeadline: () => {
      if (profiling) toggleProfiler();
      window?.atDeadline();
    },
  });
  result.warmupSeconds = warmupSeconds;
  if (profiling) Object.assign(ctx.profile, { armed: false, done: true, label });
  result.summary = summarize(result, counter);
  const { rps, rate, latency, cpu, stuck, exhausted, socketErrors } = result.summary;
  (ctx.raw.runs ??= []).push({
    label,
    connections,
    rps,
    rate,
    latency,
    cpu,
    stuck,
    exhausted,
    socketErrors,
  });
  ctx.progress.done(label, result.summary);
  return result;
}

/** Seconds of warm-up the next run of `script` on `server` starts with (see runLoad). */
export function warmupFor(ctx, server, script) {
  return ctx.warmed?.has(`${server.url} ${script}`) ? 0 : ctx.plan.warmupSeconds;
}

/** CPU share of the whole machine taken by the bench's neighbours while nothing of ours runs. */
export async function idleLoad(ms = 1000) {
  const sampler = cpuSampler({});
  sampler.start();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return sampler.stop().machine ?? 0;
}

/**
 * rps: answered flow requests per second; rate: `counter` per second (orders, votes, ...), both
 * over the measured window; latency over every flow request; per step: answers by status and
 * error code, latency; cpu: share of the machine per process group ("other" = the machine's busy
 * time not ours: other engineers' processes on a shared box).
 */
export function summarize(result, counter) {
  const all = {};
  for (const [name, step] of Object.entries(result.steps))
    if (name !== 'flow') addHistogram(all, step.hist);
  const steps = {};
  for (const [name, s] of Object.entries(result.steps))
    steps[name] = {
      count: s.count,
      codes: s.codes,
      errors: s.errors,
      latency: latencySummary(s.hist),
    };
  const cpu = { ...result.cpu };
  const ours = (cpu.generator ?? 0) + (cpu.server ?? 0) + (cpu.redis ?? 0) + (cpu.mysql ?? 0);
  cpu.other = Math.max(0, (cpu.machine ?? ours) - ours);
  return {
    connections: result.connections,
    seconds: secondsOf(result.perSecond, 'req', result.deadline, result.measureFrom).length,
    rps: ratePerSecond(result.perSecond, 'req', result.deadline, result.measureFrom),
    rate: counter
      ? ratePerSecond(result.perSecond, counter, result.deadline, result.measureFrom)
      : undefined,
    warmupSeconds: result.warmupSeconds,
    latency: latencySummary(all),
    steps,
    cpu,
    unknown: result.unknown,
    stuck: result.stuck,
    exhausted: result.exhausted,
    socketErrors: result.wrk.summary?.errors,
  };
}

/** Server CPU µs per answered request of a run (a summary or a `runs` entry), over its window. */
export const serverMicros = (run) =>
  run.rps ? (run.cpu.server * cores * 1e6) / run.rps : undefined;

/** Server CPU µs per order of a contest run: the whole flow's CPU over its orders. */
export const microsPerOrder = (contest) =>
  contest.rate ? (contest.cpu.server * cores * 1e6) / contest.rate : undefined;

/** Current and peak RSS (MB) of each app worker (peak: see resetPeakRss in runLoad). */
export function workerMemory(ctx) {
  return ctx.app.workerPids().map((pid) => ({ pid, ...memoryMb(pid) }));
}
