// Preloaded into the app (`node --import ./bench/lib/cpu-profile.mjs dist/main.js`, inherited by
// the cluster's workers) when the bench profiles a scenario. SIGWINCH starts V8's CPU profiler (the one
// behind --cpu-prof); the next SIGWINCH stops it and writes BENCH_PROFILE_DIR/<pid>.cpuprofile.
// SIGWINCH because its default action is to ignore it, and Nest's shutdown hooks take SIGUSR2.
// Same profiler and file format as --cpu-prof, but limited to one load run: --cpu-prof covers the
// whole life of the process (start-up, data loads, logins, every scenario).
import { mkdirSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  let running = false;
  // Session.post on the main thread's own session answers synchronously.
  process.on('SIGWINCH', () => {
    if (!running) {
      session.post('Profiler.enable');
      session.post('Profiler.start');
      running = true;
      return;
    }
    session.post('Profiler.stop', (error, result) => {
      running = false;
      if (error) return console.error(`[cpu-profile] ${error.message}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
