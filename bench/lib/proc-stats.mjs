// Reads CPU time and memory of processes from /proc (Linux), for the generator's CPU share and
// the app workers' peak RSS. Every reader returns null/[] where /proc is not there.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TICKS_PER_S = 100; // USER_HZ on every Linux architecture Node supports

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid) {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return null;
  return {
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    rest: stat.slice(stat.lastIndexOf(')') + 2).split(' '),
  };
}

/** User + system CPU seconds of a process (all its threads), or null if it is gone. */
export function cpuSeconds(pid) {
  const f = statFields(pid);
  if (!f) return null;
  // rest[11], rest[12] are fields 14 and 15 (utime, stime) of proc(5).
  return (Number(f.rest[11]) + Number(f.rest[12])) / TICKS_PER_S;
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpu() {
  const line = read('/proc/stat')?.split('\n')[0];
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_S, total: total / TICKS_PER_S };
}

/** Current and peak resident set size of a process in MB (VmRSS, VmHWM). */
export function memoryMb(pid) {
  const status = read(`/proc/${pid}/status`);
  if (!status) return null;
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/**
 * Resets the peak RSS (VmHWM) of each process to its current RSS (Linux: clear_refs "5"), so
 * that later readings say the peak of what came after. Quietly does nothing where not allowed.
 */
export function resetPeakRss(pids) {
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // not permitted, or no /proc: VmHWM stays the lifetime peak
    }
  }
}

function allPids() {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

/** Direct children of `ppid`. */
export function childPids(ppid) {
  return allPids().filter((pid) => Number(statFields(pid)?.rest[1]) === ppid);
}

/** Pids whose command name is `comm` (e.g. the Redis and MariaDB servers, wherever they run). */
export function pidsByName(comm) {
  return allPids().filter((pid) => statFields(pid)?.comm === comm);
}

export const cores = availableParallelism();

/**
 * Samples the CPU time of named groups of processes while something runs: `start()`, then
 * `stop()` returns each group's share of the machine (1.0 = every core busy for the whole window)
 * and the machine's overall busy share. Processes that exit during the window keep their last
 * reading (sampled every `intervalMs`), so a short-lived generator is still counted.
 */
export function cpuSampler(groups, intervalMs = 200) {
  const first = new Map();
  const last = new Map();
  let timer;
  let t0;
  let m0;
  const sample = () => {
    for (const [name, pids] of Object.entries(groups)) {
      for (const pid of typeof pids === 'function' ? pids() : pids) {
        const cpu = cpuSeconds(pid);
        if (cpu === null) continue;
        const key = `${name}:${pid}`;
        if (!first.has(key)) first.set(key, cpu);
        last.set(key, cpu);
      }
    }
  };
  return {
    start() {
      t0 = performance.now();
      m0 = machineCpu();
      sample();
      timer = setInterval(sample, intervalMs);
    },
    stop() {
      clearInterval(timer);
      sample();
      const wall = (performance.now() - t0) / 1000;
      const m1 = machineCpu();
      const share = {};
      for (const [key, cpu] of last) {
        const name = key.slice(0, key.indexOf(':'));
        share[name] = (share[name] ?? 0) + (cpu - first.get(key)) / (wall * cores);
      }
      if (m0 && m1) share.machine = (m1.busy - m0.busy) / (m1.total - m0.total);
      return share;
    },
  };
}
