import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * e2e suites run the built app (`dist/`) as real processes against real Redis and MariaDB:
 * make sure both exist before any suite starts. `npm test` has already built and started them;
 * this makes `npm run test:e2e` on its own work too.
 */
export default function globalSetup(): void {
  if (!existsSync(join(ROOT, 'dist', 'main.js')))
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'services.mjs'), 'start'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
