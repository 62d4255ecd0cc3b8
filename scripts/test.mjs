// `npm test`: the same set-up as `npm start`, then type check, unit and e2e suites against real
// Redis and MariaDB. Exits non-zero on any failure.
import { run } from './env.mjs';
import { prepare } from './prepare.mjs';

const steps = [
  ['type check', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']],
  ['unit tests', 'npx', ['jest', '--ci']],
  ['e2e tests', 'npx', ['jest', '--ci', '--config', 'test/jest-e2e.json', '--runInBand']],
];

try {
  await prepare();
  for (const [name, cmd, args] of steps) {
    console.log(`[test] ${name}`);
    await run(cmd, args);
  }
  console.log('[test] all green');
} catch (error) {
  console.error(`[test] ${error.message}`);
  process.exit(1);
}
