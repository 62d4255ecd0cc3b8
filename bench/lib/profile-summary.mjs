// Summarises V8 .cpuprofile files: self time per function and per package, heaviest first.
// Standalone: node bench/lib/profile-summary.mjs <file.cpuprofile>... [--top N] [--by-count]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function where(url) {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  // The bench runs a copy of dist/ (bench/.dist): name it dist/ in reports.
  return path.startsWith(ROOT) ? relative(ROOT, path).replace(/^bench\/\.dist\//, 'dist/') : path;
}

function packageOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = where(url);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  if (path.startsWith('node:')) return 'node core';
  if (path.startsWith('dist/')) return 'app (dist/)';
  return path;
}

const isLibraryOrApp = (pkg) => !pkg.startsWith('(') && pkg !== 'node core';

/**
 * The package responsible for a frame: its own when it is a library or the app, else (node core,
 * native code such as writev) that of the nearest library or app frame above it.
 */
function ownerOf(id, nodes, parents, cache) {
  if (cache.has(id)) return cache.get(id);
  const { url, functionName } = nodes.get(id).callFrame;
  const pkg = packageOf(url, functionName || '(anonymous)');
  const parent = parents.get(id);
  const owner =
    isLibraryOrApp(pkg) || parent === undefined ? pkg : ownerOf(parent, nodes, parents, cache);
  cache.set(id, owner);
  return owner;
}

/**
 * Self time (ms) per function, per package, and per responsible package (core and native time
 * charged to the library or app code that called it), over all `files`; shares of busy time.
 */
export function summariseProfiles(files, top = 20, { byCount = false } = {}) {
  const byFunction = new Map();
  const byPackage = new Map();
  const byOwner = new Map();
  let total = 0;
  let idle = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8'));
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parents = new Map();
    for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
    const owners = new Map();
    const self = new Map();
    // By time, a sample carries the wall time since the one before it, so a stretch the thread
    // spent preempted lands on the frame it resumed in (often a write that woke another process).
    // By count, every sample weighs one sampling interval: closer to CPU time on a busy machine.
    const interval = profile.timeDeltas.length
      ? (profile.endTime - profile.startTime) / 1000 / profile.timeDeltas.length
      : 0;
    profile.samples.forEach((id, i) =>
      self.set(
        id,
        (self.get(id) ?? 0) + (byCount ? interval : (profile.timeDeltas[i] ?? 0) / 1000),
      ),
    );
    for (const [id, ms] of self) {
      const { functionName, url, lineNumber } = nodes.get(id).callFrame;
      const name = functionName || '(anonymous)';
      if (name === '(idle)') {
        idle += ms;
        continue;
      }
      const owner = ownerOf(id, nodes, parents, owners);
      // The profiler's own work when it stops (serialising the profile) is not the app's.
      if (owner.endsWith('cpu-profile.mjs')) continue;
      const key = url ? `${name} ${where(url)}:${lineNumber + 1}` : `${name} (from ${owner})`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
      const pkg = packageOf(url, name);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
      total += ms;
    }
  }
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: total ? ms / total : 0 }));
  return {
    busyMs: Math.round(total),
    idleMs: Math.round(idle),
    functions: rank(byFunction),
    packages: rank(byPackage),
    owners: rank(byOwner),
  };
}

export function formatSummary({ busyMs, idleMs, functions, packages, owners }) {
  const pct = (s) => `${(s * 100).toFixed(1).padStart(5)} %`;
  return [
    `${(busyMs / 1000).toFixed(1)} s busy, ${(idleMs / 1000).toFixed(1)} s idle (all profiled processes); self time by function:`,
    ...functions.map((f) => `  ${pct(f.share)}  ${f.name}`),
    'self time by package:',
    ...packages.map((p) => `  ${pct(p.share)}  ${p.name}`),
    'time by responsible package (node core and native time charged to the library or app frame that called it):',
    ...owners.map((p) => `  ${pct(p.share)}  ${p.name}`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
  const countAt = args.indexOf('--by-count');
  if (countAt >= 0) args.splice(countAt, 1);
  console.log(formatSummary(summariseProfiles(args, top, { byCount: countAt >= 0 })));
}
