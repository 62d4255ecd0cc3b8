// Provider tests: Nest providers built by @nestjs/testing with fakes around them, run by Node's
// own test runner. Not jest: Nest ships ES modules, which jest cannot load from CommonJS on
// Node 20, while Node itself can (require of ESM). Compiled by tsc into .dist-provider first.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './env.mjs';

const OUT = '.dist-provider';

rmSync(OUT, { recursive: true, force: true });
await run('npx', ['tsc', '-p', 'tsconfig.provider.json']);
const specs = readdirSync(OUT, { recursive: true })
  .filter((file) => String(file).endsWith('.provider-spec.js'))
  .map((file) => join(OUT, String(file)));
if (specs.length === 0) throw new Error('no provider tests found');
await run(process.execPath, ['--test', '--test-reporter=spec', ...specs]);
