// `npm run bench [-- --quick]`: the set-up of `npm start` (dependencies, build, Redis + MariaDB),
// then the benchmark (bench/main.mjs) on its own database. Exits non-zero when an audit fails.
import { loadEnv, projectRoot } from './env.mjs';
import { prepare } from './prepare.mjs';

const argv = process.argv.slice(2);
if (!argv.includes('--help') && !argv.includes('-h')) {
  try {
    await prepare();
  } catch (error) {
    console.error(`[bench] ${error.message}`);
    process.exit(1);
  }
}
// Imported after prepare(): bench/ uses dependencies (ioredis, mysql2, fastify) it installs.
const { runBench } = await import('../bench/main.mjs');
process.exit(await runBench(argv, { root: projectRoot, env: loadEnv() }));
