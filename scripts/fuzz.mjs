// `npm run fuzz -- [--runs N] [--api rest|graphql|all] [--seed S] [--survey]`: the property-based
// fuzz suite (test/fuzz.e2e-spec.ts) for a long run. It prepares what `npm test` does (dependencies,
// build, Redis and MariaDB), then runs the suite, which starts its own two-worker node on Redis
// database 16: N inputs per API over HTTP (default 10000) plus N / 20 raw-socket runs.
// --survey does not stop at the first failure: it groups every violation by kind and shrinks one
// counterexample of each. With E2E_DIST set (a build of one's own), the build step is skipped.
import { parseArgs } from 'node:util';
import { run } from './env.mjs';
import { ensureBuild, ensureDependencies, ensureServices } from './prepare.mjs';

const usage = 'usage: npm run fuzz -- [--runs N] [--api rest|graphql|all] [--seed S] [--survey]';

let values;
try {
  ({ values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10000' },
      api: { type: 'string', default: 'all' },
      seed: { type: 'string' },
      survey: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || !['rest', 'graphql', 'all'].includes(values.api)) {
  console.error(usage);
  process.exit(2);
}
if (values.seed !== undefined && !Number.isInteger(Number(values.seed))) {
  console.error(`--seed must be an integer\n${usage}`);
  process.exit(2);
}

const env = {
  ...process.env,
  FUZZ_RUNS: String(runs),
  FUZZ_API: values.api,
  ...(values.seed === undefined ? {} : { FUZZ_SEED: values.seed }),
  ...(values.survey ? { FUZZ_SURVEY: '1' } : {}),
};

try {
  await ensureDependencies();
  if (!process.env.E2E_DIST) await ensureBuild();
  await ensureServices();
  await run(
    'npx',
    ['jest', '--config', 'test/jest-e2e.json', '--runInBand', 'test/fuzz.e2e-spec.ts'],
    { env },
  );
} catch (error) {
  console.error(`[fuzz] ${error.message}`);
  process.exit(1);
}
