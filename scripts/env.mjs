// Configuration and process helpers for the project's scripts.
// Node builtins only: these run before `npm install`.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

export const projectRoot = dirname(dirname(fileURLToPath(import.meta.url)));
export const dataDir = join(projectRoot, '.data');

const DEFAULTS = {
  APP_HOST: '0.0.0.0',
  APP_PORT: '8080',
  DB_HOST: '127.0.0.1',
  DB_PORT: '3306',
  DB_NAME: 'eleme',
  DB_USER: 'eleme',
  DB_PASS: 'eleme',
  REDIS_HOST: '127.0.0.1',
  REDIS_PORT: '6379',
};

function readEnvFile(path) {
  return existsSync(path) ? parseEnv(readFileSync(path, 'utf8')) : {};
}

/**
 * Defaults < `.env` in the project root < process.env. The result holds every variable of the
 * process too, so it can be passed as `env` to a child process.
 */
export function loadEnv() {
  return { ...DEFAULTS, ...readEnvFile(join(projectRoot, '.env')), ...process.env };
}

function quoteArg(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs a command with inherited stdio (or `opts.input` written to its stdin), printing it first.
 * Resolves when it exits with 0, rejects otherwise.
 */
export function run(cmd, args = [], opts = {}) {
  const { input, ...spawnOpts } = opts;
  console.log(`$ ${[cmd, ...args].map(quoteArg).join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: projectRoot,
      stdio: [input === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'],
      ...spawnOpts,
    });
    child.on('error', (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} exited with ${signal ?? `code ${code}`}`));
    });
    if (input !== undefined) child.stdin.end(input);
  });
}
