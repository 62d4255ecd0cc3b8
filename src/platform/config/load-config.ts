import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { AppConfig, validateConfig } from './app-config';

/** Project root: two levels above `dist/platform/config` or `src/platform/config`. */
export const PROJECT_ROOT = join(__dirname, '..', '..', '..');

/**
 * Reads `.env` from the project root (if any) under the process environment, which wins, and
 * validates the result. The only place in the code base that reads `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const envFile = join(PROJECT_ROOT, '.env');
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return validateConfig({ ...fromFile, ...env });
}
