// The bench runs a private copy of dist/: other work in the same tree may rebuild dist/ (which
// `nest build` deletes first) while the bench still has app processes and data loads to start.
// The copy lives one level below the project root, as dist/ does, so that node_modules resolve
// and the app's own paths (relative to its files) keep working.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REQUIRED = ['main.js', 'cli/data.js', 'cli/migrate.js'];

export async function snapshotDist(root, log) {
  const source = join(root, 'dist');
  const target = join(root, 'bench', '.dist');
  for (let attempt = 0; attempt < 60; attempt++) {
    if (REQUIRED.every((f) => existsSync(join(source, f)))) {
      rmSync(target, { recursive: true, force: true });
      try {
        cpSync(source, target, { recursive: true });
        if (REQUIRED.every((f) => existsSync(join(target, f)))) return target;
      } catch {
        // dist/ changed under us: try again
      }
    }
    if (attempt === 0) log('dist/ is incomplete (a build is running?): waiting for it');
    await sleep(1000);
  }
  throw new Error('dist/ stayed incomplete for 60 s: run `npm run build` and try again');
}
