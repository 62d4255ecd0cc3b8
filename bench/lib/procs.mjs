// Child processes of the bench: every one is registered here and stopped when the bench ends,
// however it ends (normal exit, failure, Ctrl-C, SIGTERM).
import { spawn } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname } from 'node:path';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { childPids } from './proc-stats.mjs';

const children = new Set();
const TAIL_LINES = 40;

/**
 * Spawns a long-running child whose output is kept for error messages: with `logFile`, the child
 * writes its stdout and stderr to that file itself (appended; the bench relays nothing, so a
 * server that logs every request pays for its own writes and no more) and `output()` reads the
 * file's last lines; without, the last lines are kept from a pipe. `stop()` sends SIGTERM, waits
 * up to `graceMs`, then SIGKILLs it and any children it left behind.
 */
export function spawnManaged(name, cmd, args, { env, cwd, logFile } = {}) {
  let fd;
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    fd = openSync(logFile, 'a');
  }
  const child = spawn(cmd, args, {
    env,
    cwd,
    stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
  });
  if (fd !== undefined) closeSync(fd);
  const lines = [];
  const keep = (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(line);
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
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
    output: () => (logFile ? tailOf(logFile) : lines.join('\n')),
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

/** The last lines of a file (its last 16 KB at most). */
function tailOf(file) {
  let fd;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, 16_384));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString('utf8').split('\n').filter(Boolean).slice(-TAIL_LINES).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Rewrites `file` without the lines that contain `marker` (the app's per-request lines, hundreds
 * of MB over a plan) but the first `keep` of them, as a sample, and ends it with a line saying how
 * many were dropped. Returns that count.
 */
export async function dropLines(file, marker, keep = 3) {
  const kept = createWriteStream(`${file}.tmp`);
  let seen = 0;
  for await (const line of createInterface({
    input: createReadStream(file),
    crlfDelay: Infinity,
  })) {
    if (line.includes(marker) && ++seen > keep) continue;
    if (!kept.write(`${line}\n`)) await new Promise((resolve) => kept.once('drain', resolve));
  }
  const dropped = Math.max(0, seen - keep);
  kept.end(`[bench] ${dropped} more lines containing ${marker} dropped after the run\n`);
  await new Promise((resolve, reject) => kept.once('finish', resolve).once('error', reject));
  renameSync(`${file}.tmp`, file);
  return dropped;
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
