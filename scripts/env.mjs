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
  // The local Redis Cluster of scripts/services.mjs (3 masters on 127.0.0.1); empty: none.
  REDIS_CLUSTER_PORTS: '7001,7002,7003',
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

/**
 * The ports of the local Redis Cluster (REDIS_CLUSTER_PORTS, comma-separated), [] when empty.
 * Throws on a bad entry, a duplicate, or fewer than 3 (Redis Cluster wants 3 masters).
 */
export function localClusterPorts(env = loadEnv()) {
  const raw = (env.REDIS_CLUSTER_PORTS ?? '').trim();
  if (raw === '') return [];
  const ports = raw.split(',').map((entry) => Number(entry.trim()));
  if (ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new Error(`REDIS_CLUSTER_PORTS=${raw}: ports 1-65535, comma-separated`);
  }
  if (new Set(ports).size !== ports.length || ports.length < 3) {
    throw new Error(`REDIS_CLUSTER_PORTS=${raw}: at least 3 distinct ports (one per master)`);
  }
  return ports;
}

/** REDIS_CLUSTER_NODES for the local cluster: `127.0.0.1:port,...`, or '' when there is none. */
export function localClusterNodes(env = loadEnv()) {
  return localClusterPorts(env)
    .map((port) => `127.0.0.1:${port}`)
    .join(',');
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
