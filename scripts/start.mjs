// `npm start`: everything a fresh clone needs, then serve. Run twice, it reuses what is there.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadEnv, projectRoot, run } from './env.mjs';
import { prepare } from './prepare.mjs';

try {
  await prepare();
  // Migrations, then the contest dataset if the database has none (credentials to .data/).
  await run(process.execPath, [join(projectRoot, 'dist', 'cli', 'data.js'), 'ensure']);
} catch (error) {
  console.error(`[start] ${error.message}`);
  process.exit(1);
}

const server = spawn(process.execPath, [join(projectRoot, 'dist', 'main.js')], {
  cwd: projectRoot,
  env: loadEnv(),
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
