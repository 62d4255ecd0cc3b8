// The set-up shared by `npm start`, `npm test` and `npm run bench`: dependencies, build, services.
// Node builtins only: the first step installs everything else.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, run } from './env.mjs';

const log = (message) => console.log(`[prepare] ${message}`);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** `npm ci` when node_modules is missing or older than the lock file. */
export async function ensureDependencies() {
  const marker = join(projectRoot, 'node_modules', '.package-lock.json');
  const lock = join(projectRoot, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  log('installing dependencies (npm ci)');
  // Exactly the locked versions. package.json overrides unrs-resolver (jest's) to 1.12.2, the newest
  // release whose native bindings for every platform the registry serves: with 1.13.0 npm 11 left
  // bindings out of the lock file and `npm ci` refused it.
  await run('npm', ['ci', '--no-audit', '--no-fund']);
}

/** `nest build` when dist/ is missing or older than any source file. */
export async function ensureBuild() {
  const main = join(projectRoot, 'dist', 'main.js');
  const sources = Math.max(
    newestMtime(join(projectRoot, 'src')),
    statSync(join(projectRoot, 'package-lock.json')).mtimeMs,
  );
  if (existsSync(main) && statSync(main).mtimeMs >= sources) return;
  log('building (nest build)');
  await run('npm', ['run', '--silent', 'build']);
}

/** Reuses Redis and MySQL that answer on the configured addresses, or starts project-local ones. */
export async function ensureServices() {
  await run(process.execPath, [join(projectRoot, 'scripts', 'services.mjs'), 'start']);
}

export async function prepare() {
  await ensureDependencies();
  await ensureBuild();
  await ensureServices();
}
