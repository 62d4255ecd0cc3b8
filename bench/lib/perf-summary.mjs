// Summarises Linux `perf` samples of the app's workers: CPU time (not wall time) by responsible
// package and by JavaScript function, kernel and V8 builtins included.
//
//   NODE_OPTIONS=--perf-basic-prof npm run bench -- --only sale     # JIT symbols in /tmp/perf-<pid>.map
//   perf record -F 997 -g -p <worker pids> -o /tmp/app.perf -- sleep 8   # during the measured window
//   perf script -i /tmp/app.perf -F tid,ip,sym > /tmp/app.txt
//   node bench/lib/perf-summary.mjs /tmp/app.txt [--top N] [--threads TID,...]
//
// Each sample is charged to the innermost JavaScript frame of its call chain (so the kernel's
// socket writes count for the JS that wrote, and a builtin for the JS that called it); samples
// with no JavaScript frame are the event loop itself (libuv, HTTP parsing in C) or, on V8's
// helper threads, garbage collection and optimising compilation. --threads keeps the given thread
// ids only (the workers' main threads: the first thread of each worker has the worker's pid).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Samples of `perf script -F tid,ip,sym` output: [{ tid, frames: [symbol, ...] }], leaf first. */
export function parsePerfScript(text) {
  const samples = [];
  let current;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) {
      current = undefined;
      continue;
    }
    if (!current) {
      current = { tid: Number(line), frames: [] };
      samples.push(current);
      continue;
    }
    // "<address> <symbol>"
    const space = line.indexOf(' ');
    current.frames.push(space < 0 ? line : line.slice(space + 1));
  }
  return samples;
}

const tidy = (js) =>
  js
    .slice(3)
    .replace(/file:\/\//g, '')
    .replace(/\S*\/node_modules\//, '')
    .replace(/\S*\/bench\/\.dist\//, 'dist/');

function packageOf(js) {
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(js);
  if (module) return module[1];
  const core = /node:([^:]+)/.exec(js);
  if (core) return `node:${core[1]}`;
  const app = /dist\/([^:]+)/.exec(js);
  return app ? `app: ${app[1]}` : '(other JS)';
}

const V8_HELPERS = [
  [/compiler::|Compil|Turbofan|Maglev/, '(no JS: optimising compiler)'],
  [/Scaveng|Marking|Sweep|Heap|Evacuat|MemoryChunk|FreeList/, '(no JS: garbage collector)'],
];

export function summarisePerf(samples, { threads } = {}) {
  const byPackage = new Map();
  const byFunction = new Map();
  let total = 0;
  const add = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const { tid, frames } of samples) {
    if (threads && !threads.has(tid)) continue;
    total++;
    const js = frames.find((f) => f.startsWith('JS:'));
    if (js) {
      add(byPackage, packageOf(js));
      add(byFunction, tidy(js));
      continue;
    }
    const all = frames.join(' ');
    const helper = V8_HELPERS.find(([pattern]) => pattern.test(all));
    add(byPackage, helper ? helper[1] : '(no JS: event loop, I/O, HTTP parsing in C)');
  }
  const rank = (map, top) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, n]) => ({ name, share: n / total }));
  return {
    total,
    rank: (top) => ({ packages: rank(byPackage, top), functions: rank(byFunction, top) }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name) => {
    const at = args.indexOf(name);
    return at < 0 ? undefined : args.splice(at, 2)[1];
  };
  const top = Number(option('--top') ?? 30);
  const threads = option('--threads');
  const samples = args.flatMap((file) => parsePerfScript(readFileSync(file, 'utf8')));
  const summary = summarisePerf(samples, {
    threads: threads ? new Set(threads.split(',').map(Number)) : undefined,
  });
  const { packages, functions } = summary.rank(top);
  const pct = (s) => `${(s * 100).toFixed(1).padStart(5)} %`;
  console.log(`${summary.total} samples; CPU by responsible package (innermost JS frame):`);
  for (const p of packages) console.log(`  ${pct(p.share)}  ${p.name}`);
  console.log(
    'by JavaScript function (innermost JS frame, kernel and builtins under it included):',
  );
  for (const f of functions) console.log(`  ${pct(f.share)}  ${f.name}`);
}
