// Child processes of the bench: every one is registered here and stopped when the bench ends,
// however it ends (normal exit, failure, Ctrl-C, SIGTERM).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { childPids } from './proc-stats.mjs';

const children = new Set();
const TAIL_LINES = 40;

/**
 * Spawns a long-running child whose output is kept (last lines) for error messages and, with
 * `logFile`, written there whole. `stop()` sends SIGTERM, waits up to `graceMs`, then SIGKILLs it
 * and any children it left behind.
 */
export function spawnManaged(name, cmd, args, { env, cwd, logFile } = {}) {
  const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    const log = createWriteStream(logFile);
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
  const keep = (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(line);
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const managed = {
    name,
    pid: child.pid,
    child,
    exited,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    output: () => lines.join('\n'),
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (!managed.running) return children.delete(managed);
      const orphans = childPids(child.pid);
      child.kill(signal);
      const timedOut = await Promise.race([
        exited.then(() => false),
        sleep(graceMs).then(() => true),
      ]);
      if (timedOut) child.kill('SIGKILL');
      await exited;
      for (const pid of orphans) killQuietly(pid, 'SIGKILL');
      children.delete(managed);
    },
  };
  children.add(managed);
  return managed;
}

/** Registers a short-lived child (wrk) so that cleanup kills it too; forgotten when it exits. */
export function track(child) {
  const entry = { pid: child.pid, stop: async () => killQuietly(child.pid, 'SIGKILL') };
  children.add(entry);
  child.once('exit', () => children.delete(entry));
}

function killQuietly(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Stops every managed child (in parallel). */
export async function stopAll() {
  await Promise.all([...children].map((c) => c.stop().catch(() => undefined)));
}

let exiting = false;

/** Last-resort cleanup: on signals stop children and exit; on a synchronous exit kill them. */
export function installCleanup(log) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, async () => {
      if (exiting) return;
      exiting = true;
      log(`${signal}: stopping the bench's processes`);
      await stopAll();
      process.exit(130);
    });
  }
  process.on('exit', () => {
    for (const c of children) {
      for (const pid of childPids(c.pid)) killQuietly(pid, 'SIGKILL');
      killQuietly(c.pid, 'SIGKILL');
    }
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value; throws `what` after `timeoutMs`. */
export async function waitFor(what, check, { timeoutMs = 30_000, intervalMs = 100, alive } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (alive && !alive()) throw new Error(`${what}: the process exited`);
    const result = await check().catch(() => undefined);
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}
