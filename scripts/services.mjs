// Local Redis and MariaDB for development and CI: `node scripts/services.mjs start|stop|status`.
// Reuses whatever already answers on the configured ports; otherwise (loopback hosts only) installs
// the Debian packages if needed and runs project-local instances whose files all live under .data/.
// Also a local 3-master Redis Cluster (REDIS_CLUSTER_PORTS, default 7001-7003; empty for none).
// Node builtins only: this runs before `npm install`.
import { spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isIP, connect } from 'node:net';
import { userInfo } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataDir, loadEnv, localClusterPorts, projectRoot, run } from './env.mjs';

class Failure extends Error {}

const log = (message) => console.log(`[services] ${message}`);
const env = loadEnv();
const osUser = userInfo().username;
const isRoot = process.getuid?.() === 0;

// ---------------------------------------------------------------------------------------------
// Small utilities

function parsePort(name) {
  const port = Number(env[name]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Failure(`${name}=${env[name]} is not a valid port`);
  }
  return port;
}

function isLoopback(host) {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host.toLowerCase().startsWith('::ffff:127.');
}

/** Binds to the configured address when it is a loopback literal, else to 127.0.0.1. */
const bindAddress = (host) => (isIP(host) ? host : '127.0.0.1');
const listenAddress = (svc) => `${bindAddress(svc.host)}:${svc.port}`;

// Non-root PATHs on Debian lack the sbin directories, where mariadbd lives.
function findExecutable(name) {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/local/sbin',
    '/usr/sbin',
    '/sbin',
  ];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

function readFile(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function tail(file, lines = 12) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}

const rel = (path) => relative(projectRoot, path);

/** Polls `check` until it returns a truthy value or the time is up (then returns null). */
async function pollUntil(check, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() >= deadline) return null;
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Processes and pid files

/** True when `pid` is a live (not zombie) process whose command line mentions `name`. */
function isRunning(pid, name) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  if (!existsSync('/proc')) return true;
  try {
    // Guards against pid reuse; a zombie has an empty command line.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
  } catch {
    return false;
  }
}

function readPid(pidFile) {
  const pid = Number.parseInt(readFile(pidFile) ?? '', 10);
  return pid > 0 ? pid : null;
}

/** The pid of the project-local instance, or null; a stale pid file is removed when `clean`. */
function localInstance(svc, { clean }) {
  if (!existsSync(svc.pidFile)) return null;
  const pid = readPid(svc.pidFile);
  if (pid && isRunning(pid, svc.processName)) return pid;
  if (clean) {
    rmSync(svc.pidFile, { force: true });
    log(`${svc.name}: removed stale pid file ${rel(svc.pidFile)}`);
  }
  return null;
}

/** Starts a server in its own session, detached from this script, output appended to `logFile`. */
function spawnDetached(bin, args, logFile) {
  const out = openSync(logFile, 'a');
  const child = spawn(bin, args, { cwd: projectRoot, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.exitReason = null;
  child.on('exit', (code, signal) => (child.exitReason = signal ?? `code ${code}`));
  child.on('error', (err) => (child.exitReason = err.message));
  child.unref();
  return child;
}

// Only one start/stop at a time per project, so two concurrent starts cannot both initialise.
async function withLock(action) {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, 'services.lock');
  const acquired = await pollUntil(() => tryLock(lockFile), 120_000, 500);
  if (!acquired) throw new Failure(`another services.mjs holds ${rel(lockFile)} for over 120 s`);
  try {
    return await action();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

function tryLock(lockFile) {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    const holder = readPid(lockFile);
    if (!holder || !isRunning(holder, 'node')) rmSync(lockFile, { force: true });
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Wire probes: each resolves to null when nothing accepts the connection, else to
// { ok, server, info }: `ok` when usable as is, `server` when it speaks the expected protocol.

function probe(host, port, request, parseReply, timeoutMs = 2000) {
  return new Promise((resolve) => {
    let connected = false;
    let received = Buffer.alloc(0);
    const socket = connect({ host, port });
    const finish = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const failed = (info) => finish(connected ? { ok: false, server: false, info } : null);
    const timer = setTimeout(() => failed('connection accepted but no reply'), timeoutMs);
    socket.on('connect', () => {
      connected = true;
      if (request) socket.write(request);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const reply = parseReply(received);
      if (reply) finish(reply);
    });
    socket.on('error', (err) => failed(err.message));
    socket.on('close', () => failed('connection closed without a reply'));
  });
}

function redisPing(host, port) {
  return probe(host, port, '*1\r\n$4\r\nPING\r\n', (data) => {
    const end = data.indexOf('\r\n');
    if (end < 0) return null;
    const line = data.subarray(0, end).toString();
    return { ok: line === '+PONG', server: /^[+-]/.test(line), info: line.replace(/^[+-]/, '') };
  });
}

/**
 * Reads the server's first packet: a handshake (protocol 10) or an error packet, which a server
 * sends e.g. when no account matches the client's host (as before provisioning).
 */
function mysqlHandshake(host, port) {
  return probe(host, port, null, (data) => {
    if (data.length < 4) return null;
    const length = data.readUIntLE(0, 3);
    if (data.length < 4 + length) return null;
    const payload = data.subarray(4, 4 + length);
    if (payload[0] === 10) {
      const end = payload.indexOf(0, 1);
      const version = payload.subarray(1, end < 0 ? undefined : end).toString();
      return { ok: true, server: true, info: version };
    }
    if (payload[0] === 0xff) {
      const message = payload
        .subarray(3)
        .toString()
        .replace(/^#\w{5}/, '');
      return { ok: false, server: true, info: message };
    }
    return { ok: false, server: false, info: 'not a MySQL handshake' };
  });
}

// ---------------------------------------------------------------------------------------------
// Packages

let aptUpdated = false;

async function ensureExecutables(svc) {
  let missing = svc.executables.filter((name) => !findExecutable(name));
  if (missing.length > 0) {
    if (!isRoot || !findExecutable('apt-get')) throw new Failure(installHint(svc, missing));
    log(`${svc.name}: ${missing.join(', ')} not found, installing ${svc.aptPackage}`);
    await aptInstall(svc.aptPackage);
    missing = svc.executables.filter((name) => !findExecutable(name));
    if (missing.length > 0) throw new Failure(`${missing.join(', ')} still missing after install`);
  }
  return Object.fromEntries(svc.executables.map((name) => [name, findExecutable(name)]));
}

// A policy-rc.d that refuses keeps the package's own system service from starting on our port.
async function aptInstall(pkg) {
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await run('apt-get', ['update'], { env: aptEnv });
    aptUpdated = true;
  }
  const policy = '/usr/sbin/policy-rc.d';
  const guard = !existsSync(policy);
  if (guard) {
    writeFileSync(policy, '#!/bin/sh\n# from scripts/services.mjs\nexit 101\n', { mode: 0o755 });
  }
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env: aptEnv });
  } finally {
    if (guard) rmSync(policy, { force: true });
  }
}

function installHint(svc, missing) {
  return (
    `${missing.join(', ')} not found and not root: install ${svc.aptPackage} ` +
    `(sudo apt-get install -y ${svc.aptPackage}), or set ${svc.hostVar}/${svc.portVar} ` +
    `to a running ${svc.name}, or run the services with docker/compose.yml`
  );
}

// ---------------------------------------------------------------------------------------------
// Redis

function redisService() {
  const dir = join(dataDir, 'redis');
  const svc = {
    name: 'Redis',
    host: env.REDIS_HOST,
    port: parsePort('REDIS_PORT'),
    hostVar: 'REDIS_HOST',
    portVar: 'REDIS_PORT',
    dir,
    pidFile: join(dir, 'redis.pid'),
    addressFile: join(dir, 'listen-address'),
    logFile: join(dir, 'redis.log'),
    processName: 'redis-server',
    aptPackage: 'redis-server',
    executables: ['redis-server'],
    startTimeoutMs: 20_000,
    stopTimeoutMs: 30_000,
    probe: () => redisPing(svc.host, svc.port),
    isReady: async () => (await svc.probe())?.ok,
    launch: (bins) => launchRedis(svc, bins),
  };
  return svc;
}

// Not --daemonize: a detached child of ours lets start-up failures (port taken, bad config) be
// reported at once instead of after the whole wait.
function launchRedis(svc, bins) {
  mkdirSync(svc.dir, { recursive: true });
  const options = {
    port: svc.port,
    bind: bindAddress(svc.host),
    dir: svc.dir,
    daemonize: 'no',
    pidfile: svc.pidFile,
    logfile: svc.logFile,
    // More logical databases than the default 16: each e2e suite isolates its keys in one.
    databases: 64,
    appendonly: 'yes',
    appendfsync: 'everysec',
    save: '',
    'protected-mode': 'no',
  };
  const args = Object.entries(options).flatMap(([name, value]) => [`--${name}`, String(value)]);
  return spawnDetached(bins['redis-server'], args, svc.logFile);
}

// ---------------------------------------------------------------------------------------------
// MariaDB

function mysqlService() {
  const dir = join(dataDir, 'mysql');
  const svc = {
    name: 'MySQL',
    host: env.DB_HOST,
    port: parsePort('DB_PORT'),
    hostVar: 'DB_HOST',
    portVar: 'DB_PORT',
    dir,
    pidFile: join(dir, 'mysqld.pid'),
    addressFile: join(dir, 'listen-address'),
    logFile: join(dir, 'error.log'),
    socket: join(dir, 'mysqld.sock'),
    processName: 'mariadbd',
    aptPackage: 'mariadb-server',
    executables: ['mariadbd', 'mariadb-install-db', 'mariadb'],
    startTimeoutMs: 60_000,
    stopTimeoutMs: 60_000,
    probe: () => mysqlHandshake(svc.host, svc.port),
    isReady: async () => existsSync(svc.socket) && (await svc.probe())?.server,
    launch: (bins) => launchMariadb(svc, bins),
    provision: () => provisionMariadb(svc),
  };
  return svc;
}

async function launchMariadb(svc, bins) {
  // sun_path holds 108 bytes; a deeper checkout needs a shorter path.
  if (Buffer.byteLength(svc.socket) > 107) {
    throw new Failure(`socket path ${svc.socket} is too long for a unix socket`);
  }
  if (!existsSync(join(svc.dir, 'mysql'))) await initialiseDatadir(svc, bins['mariadb-install-db']);
  return spawnDetached(
    bins.mariadbd,
    [
      '--no-defaults',
      `--user=${osUser}`,
      `--datadir=${svc.dir}`,
      `--socket=${svc.socket}`,
      `--port=${svc.port}`,
      `--bind-address=${bindAddress(svc.host)}`,
      `--pid-file=${svc.pidFile}`,
      `--log-error=${svc.logFile}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=256M',
      '--innodb-flush-log-at-trx-commit=1',
      '--max-connections=1000',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--skip-log-bin',
    ],
    svc.logFile,
  );
}

async function initialiseDatadir(svc, installDb) {
  const installLog = join(dataDir, 'mysql-install.log');
  log(`${svc.name}: initialising ${rel(svc.dir)} (output in ${rel(installLog)})`);
  mkdirSync(dataDir, { recursive: true });
  const out = openSync(installLog, 'w');
  try {
    await run(
      installDb,
      [
        '--no-defaults',
        `--datadir=${svc.dir}`,
        `--user=${osUser}`,
        '--auth-root-authentication-method=socket',
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { stdio: ['ignore', out, out], timeout: 120_000 },
    );
  } catch (err) {
    // A half-initialised datadir would be taken for a complete one next time.
    rmSync(svc.dir, { recursive: true, force: true });
    printTail(installLog);
    throw new Failure(`mariadb-install-db failed: ${err.message}`);
  } finally {
    closeSync(out);
  }
}

const sqlString = (value) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
const sqlIdentifier = (value) => `\`${value.replaceAll('`', '``')}\``;

function provisioningSql({ DB_USER: user, DB_PASS: password, DB_NAME: database }) {
  const statements = [];
  for (const host of ['127.0.0.1', 'localhost', '%']) {
    const account = `${sqlString(user)}@${sqlString(host)}`;
    statements.push(
      `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${sqlString(password)};`,
      `ALTER USER ${account} IDENTIFIED BY ${sqlString(password)};`,
      // Tests create and drop their own databases.
      `GRANT ALL PRIVILEGES ON *.* TO ${account};`,
    );
  }
  statements.push(
    `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(database)} ` +
      'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;',
  );
  return statements.join('\n') + '\n';
}

// Connects as the socket-authenticated admin; the SQL goes through stdin to keep DB_PASS off `ps`.
async function provisionMariadb(svc) {
  if (env.DB_USER === osUser || env.DB_USER === 'root') {
    throw new Failure(
      `DB_USER=${env.DB_USER} is the local admin account; choose another user name`,
    );
  }
  const client = findExecutable('mariadb');
  if (!client) throw new Failure(installHint(svc, ['mariadb']));
  log(`${svc.name}: ensuring user ${env.DB_USER} and database ${env.DB_NAME}`);
  try {
    await run(
      client,
      [
        '--no-defaults',
        `--socket=${svc.socket}`,
        `--user=${osUser}`,
        '--connect-timeout=10',
        '--batch',
      ],
      { input: provisioningSql(env), timeout: 60_000 },
    );
  } catch (err) {
    throw new Failure(`creating the MySQL user and database failed: ${err.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Redis Cluster (local): 3 (or more) masters of Debian's redis-server on 127.0.0.1, for running
// the app and the e2e suites against a cluster. No persistence: a fresh start makes a new, empty
// cluster; a running healthy one is reused.

/** Sends one command; resolves to null when nothing accepts the connection, else as `probe`. */
function redisCommand(host, port, args, timeoutMs = 2000) {
  const request =
    `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
  return probe(host, port, request, parseRespReply, timeoutMs);
}

/** A simple string, error, integer or bulk string reply (all these probes need). */
function parseRespReply(data) {
  const end = data.indexOf('\r\n');
  if (end < 0) return null;
  const line = data.subarray(1, end).toString();
  switch (String.fromCharCode(data[0])) {
    case '+':
    case ':':
      return { ok: true, server: true, info: line };
    case '-':
      return { ok: false, server: true, info: line };
    case '$': {
      const length = Number(line);
      if (length < 0) return { ok: true, server: true, info: '' };
      if (data.length < end + 2 + length + 2) return null;
      return { ok: true, server: true, info: data.subarray(end + 2, end + 2 + length).toString() };
    }
    default:
      return { ok: false, server: false, info: 'not a Redis reply' };
  }
}

function clusterService() {
  const dir = join(dataDir, 'redis-cluster');
  let ports;
  try {
    ports = localClusterPorts(env);
  } catch (err) {
    throw new Failure(err.message);
  }
  return {
    name: 'Redis Cluster',
    host: '127.0.0.1',
    ports,
    dir,
    aptPackage: 'redis-server',
    executables: ['redis-server', 'redis-cli'],
    hostVar: 'REDIS_CLUSTER_PORTS',
    portVar: 'REDIS_CLUSTER_PORTS',
    nodes: ports.map((port) => {
      const nodeDir = join(dir, String(port));
      return {
        name: 'Redis Cluster node',
        host: '127.0.0.1',
        port,
        dir: nodeDir,
        pidFile: join(nodeDir, 'redis.pid'),
        logFile: join(nodeDir, 'redis.log'),
        processName: 'redis-server',
      };
    }),
  };
}

const clusterWhere = (cl) => `${cl.name} 127.0.0.1:${cl.ports.join(',')}`;

/**
 * Null when the nodes on `cl.ports` form one healthy cluster of exactly those nodes, every one a
 * master reporting cluster_state:ok; else what is wrong.
 */
async function clusterProblem(cl) {
  const own = new Set(cl.ports.map((port) => `127.0.0.1:${port}`));
  for (const port of cl.ports) {
    const info = await redisCommand(cl.host, port, ['CLUSTER', 'INFO']);
    if (!info) return `nothing answers on ${port}`;
    if (!info.ok) return `${port} answers ${info.info}`;
    const state = /cluster_state:(\w+)/.exec(info.info)?.[1];
    if (state !== 'ok') return `${port} reports cluster_state:${state ?? '?'}`;
    const nodes = await redisCommand(cl.host, port, ['CLUSTER', 'NODES']);
    const members = (nodes?.info ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => ({ address: line.split(' ')[1]?.split('@')[0], flags: line.split(' ')[2] }));
    const addresses = new Set(members.map((m) => m.address));
    if (addresses.size !== own.size || [...own].some((a) => !addresses.has(a))) {
      return `${port} is in a cluster of ${[...addresses].join(', ')}, not of ${[...own].join(', ')}`;
    }
    if (members.some((m) => !m.flags?.includes('master'))) return `${port}'s cluster has replicas`;
  }
  return null;
}

async function startCluster(cl) {
  if (cl.ports.length === 0)
    return log('Redis Cluster: REDIS_CLUSTER_PORTS is empty, none started');
  const running = () => cl.nodes.filter((node) => localInstance(node, { clean: false }));
  let problem = await clusterProblem(cl);
  if (!problem) {
    const owner = running().length === cl.nodes.length ? 'project-local' : 'not project-local';
    return log(`${clusterWhere(cl)}: healthy (${owner}), reusing it`);
  }
  if (running().length > 0) {
    // Ours, but not (yet) healthy: maybe another start is still joining it. Else start afresh.
    const healthy = await pollUntil(async () => !(problem = await clusterProblem(cl)), 5000);
    if (healthy) return log(`${clusterWhere(cl)}: project-local cluster healthy, reusing it`);
    log(`${clusterWhere(cl)}: project-local cluster not healthy (${problem}), starting it afresh`);
    await stopCluster(cl);
  }
  for (const node of cl.nodes) localInstance(node, { clean: true });
  for (const port of cl.ports) {
    const answer = await redisPing(cl.host, port);
    if (answer) {
      throw new Failure(
        `127.0.0.1:${port} is taken (${answer.server ? `a Redis: ${problem}` : answer.info}): ` +
          'set REDIS_CLUSTER_PORTS to free ports, or to nothing for no local cluster',
      );
    }
  }
  await launchCluster(cl, await ensureExecutables(cl));
}

async function launchCluster(cl, bins) {
  // No persistence: an old nodes.conf would make a node rejoin a cluster that no longer exists.
  rmSync(cl.dir, { recursive: true, force: true });
  log(`${clusterWhere(cl)}: starting ${cl.ports.length} masters in ${rel(cl.dir)}`);
  const children = cl.nodes.map((node) => {
    mkdirSync(node.dir, { recursive: true });
    const options = {
      port: node.port,
      bind: cl.host,
      dir: node.dir,
      daemonize: 'no',
      pidfile: node.pidFile,
      logfile: node.logFile,
      'cluster-enabled': 'yes',
      'cluster-config-file': 'nodes.conf',
      'cluster-node-timeout': 5000,
      appendonly: 'no',
      save: '',
      'protected-mode': 'no',
    };
    const args = Object.entries(options).flatMap(([name, value]) => [`--${name}`, String(value)]);
    return spawnDetached(bins['redis-server'], args, node.logFile);
  });
  for (const [i, node] of cl.nodes.entries()) {
    await waitReady(
      {
        ...node,
        startTimeoutMs: 20_000,
        isReady: async () => (await redisPing(cl.host, node.port))?.ok,
      },
      () => children[i].exitReason,
    );
  }
  const createLog = join(cl.dir, 'create.log');
  const out = openSync(createLog, 'w');
  try {
    await run(
      bins['redis-cli'],
      [
        '--cluster',
        'create',
        ...cl.ports.map((port) => `${cl.host}:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { stdio: ['ignore', out, out], timeout: 60_000 },
    );
  } catch (err) {
    printTail(createLog);
    throw new Failure(`redis-cli --cluster create failed: ${err.message}`);
  } finally {
    closeSync(out);
  }
  let problem = null;
  const healthy = await pollUntil(async () => !(problem = await clusterProblem(cl)), 30_000);
  if (!healthy) throw new Failure(`${clusterWhere(cl)} not healthy after 30 s: ${problem}`);
  log(`${clusterWhere(cl)}: started, cluster_state:ok on every node`);
}

async function stopCluster(cl) {
  const running = cl.nodes.filter((node) => localInstance(node, { clean: true }));
  if (running.length === 0)
    return log(`${cl.name}: no project-local nodes running, nothing to stop`);
  for (const node of running) await stopService({ ...node, stopTimeoutMs: 30_000 });
}

async function statusCluster(cl) {
  if (cl.ports.length === 0) return log('Redis Cluster: REDIS_CLUSTER_PORTS is empty, none');
  for (const node of cl.nodes)
    await statusService({ ...node, probe: () => redisPing(node.host, node.port) });
  const problem = await clusterProblem(cl);
  log(`${clusterWhere(cl)}: ${problem ? `not healthy (${problem})` : 'healthy, cluster_state:ok'}`);
}

// ---------------------------------------------------------------------------------------------
// Commands

const where = (svc) => `${svc.name} ${svc.host}:${svc.port}`;

function printTail(file) {
  const lines = tail(file);
  if (lines.length === 0) return;
  log(`last lines of ${rel(file)}:`);
  for (const line of lines) console.log(`    ${line}`);
}

/** Waits until `svc` answers; `gone()` returns why the process died, or null while it lives. */
async function waitReady(svc, gone) {
  const ready = await pollUntil(async () => {
    const reason = gone();
    if (reason) {
      printTail(svc.logFile);
      throw new Failure(`${svc.name} exited during start-up (${reason}); see ${rel(svc.logFile)}`);
    }
    return svc.isReady();
  }, svc.startTimeoutMs);
  if (!ready) {
    printTail(svc.logFile);
    throw new Failure(
      `${where(svc)} did not answer within ${svc.startTimeoutMs / 1000} s; see ${rel(svc.logFile)}`,
    );
  }
}

async function startService(svc) {
  if (!isLoopback(svc.host)) return reuseRemote(svc);
  const pid = localInstance(svc, { clean: true });
  const recorded = pid && readFile(svc.addressFile);
  if (pid && (!recorded || recorded === listenAddress(svc))) {
    await reuseLocal(svc, pid);
  } else {
    if (await reuseExternal(svc)) return;
    // A second instance would share the one data directory.
    if (pid) {
      throw new Failure(
        `nothing answers at ${where(svc)} and the project-local ${svc.name} (pid ${pid}) listens ` +
          `on ${recorded}: stop it first (npm run services:stop)`,
      );
    }
    await launchLocal(svc);
  }
  await svc.provision?.();
}

async function reuseRemote(svc) {
  const answer = await svc.probe();
  if (answer?.ok) return log(`${where(svc)}: answering (${answer.info}), reusing it`);
  const problem = answer ? `is not usable (${answer.info})` : 'does not answer';
  throw new Failure(
    `${where(svc)} ${problem} and it is not a local address, so it cannot be started here: ` +
      `start it there or change ${svc.hostVar}/${svc.portVar}`,
  );
}

/** Resolves true when something usable already answers; throws when the port is taken. */
async function reuseExternal(svc) {
  const answer = await svc.probe();
  if (answer?.ok) log(`${where(svc)}: answering (${answer.info}), not project-local, reusing it`);
  else if (answer) {
    throw new Failure(
      `${where(svc)} is taken by something that is not a usable ${svc.name}: ${answer.info}`,
    );
  }
  return Boolean(answer);
}

async function reuseLocal(svc, pid) {
  // Ours but possibly not usable yet: still starting, loading its data, or not provisioned.
  if (await svc.isReady()) {
    log(`${where(svc)}: project-local instance (pid ${pid}) already running, reusing it`);
    return;
  }
  log(`${where(svc)}: project-local instance (pid ${pid}) not ready yet, waiting`);
  await waitReady(svc, () => (isRunning(pid, svc.processName) ? null : 'process gone'));
}

async function launchLocal(svc) {
  const bins = await ensureExecutables(svc);
  log(`${where(svc)}: starting a project-local instance in ${rel(svc.dir)}`);
  const child = await svc.launch(bins);
  writeFileSync(svc.addressFile, listenAddress(svc));
  await waitReady(svc, () => child.exitReason);
  log(`${where(svc)}: started (pid ${child.pid})`);
}

async function stopService(svc) {
  const pid = localInstance(svc, { clean: true });
  if (!pid) {
    log(`${svc.name}: no project-local instance running, nothing to stop`);
    return;
  }
  log(`${svc.name}: stopping the project-local instance (pid ${pid})`);
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    throw new Failure(`cannot signal ${svc.name} (pid ${pid}): ${err.message}`);
  }
  const stopped = await pollUntil(() => !isRunning(pid, svc.processName), svc.stopTimeoutMs);
  if (!stopped) {
    throw new Failure(
      `${svc.name} (pid ${pid}) still running ${svc.stopTimeoutMs / 1000} s after SIGTERM`,
    );
  }
  rmSync(svc.pidFile, { force: true });
  log(`${svc.name}: stopped`);
}

async function statusService(svc) {
  const pid = localInstance(svc, { clean: false });
  const answer = await svc.probe();
  let state = 'not answering';
  if (answer?.ok) state = `answering (${answer.info})`;
  else if (answer) state = `port open but not usable (${answer.info})`;
  let owner = 'no project-local instance';
  if (pid) owner = `project-local (pid ${pid})`;
  else if (answer) owner = 'external';
  log(`${where(svc)}: ${state}, ${owner}`);
}

const COMMANDS = {
  start: (services, cl) =>
    withLock(async () => {
      for (const svc of services) await startService(svc);
      await startCluster(cl);
    }),
  stop: (services, cl) =>
    withLock(async () => {
      for (const svc of services) await stopService(svc);
      await stopCluster(cl);
    }),
  status: async (services, cl) => {
    for (const svc of services) await statusService(svc);
    await statusCluster(cl);
  },
};

async function main() {
  const command = COMMANDS[process.argv[2]];
  if (!command) {
    console.error('usage: node scripts/services.mjs start|stop|status');
    process.exit(2);
  }
  await command([redisService(), mysqlService()], clusterService());
}

main().catch((err) => {
  log(`error: ${err instanceof Failure ? err.message : (err.stack ?? err)}`);
  process.exit(1);
});
