// `npm test`: the same set-up as `npm start`, then the habits (lint, format, dependency rules, file
// size), type check, unit, provider and e2e suites against real Redis and MariaDB. Exits non-zero on any failure.
import { ensureTestTools } from './browser.mjs';
import { run } from './env.mjs';
import { prepare } from './prepare.mjs';

const SOURCES = '{src,test,bench,scripts}/**/*.{ts,mjs}';

const steps = [
  ['lint', 'npx', ['eslint', SOURCES]],
  ['format check', 'npx', ['prettier', '--check', SOURCES]],
  ['dependency rules', 'npx', ['depcruise', 'src', '--config', '.dependency-cruiser.cjs']],
  ['file size', process.execPath, ['scripts/check-size.mjs']],
  ['type check', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']],
  ['unit tests', 'npx', ['jest', '--ci']],
  ['provider tests', process.execPath, ['scripts/provider-tests.mjs']],
  ['e2e tests', 'npx', ['jest', '--ci', '--config', 'test/jest-e2e.json', '--runInBand']],
];

try {
  await prepare();
  // Debian's Chromium and docker-compose for the browser and compose suites (installed as root).
  await ensureTestTools();
  for (const [name, cmd, args] of steps) {
    console.log(`[test] ${name}`);
    await run(cmd, args);
  }
  console.log('[test] all green');
} catch (error) {
  console.error(`[test] ${error.message}`);
  process.exit(1);
}
