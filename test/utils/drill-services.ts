import { ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './app-cluster';
import { sleep } from './wait';

/**
 * A Redis and a MariaDB of a suite's own, for fault drills that stop, crash, wipe and restart them
 * under a running app without disturbing the shared instances other suites use. Each runs from the
 * binaries scripts/services.mjs installs, on a free port of 127.0.0.1, with every file in a temp
 * directory that {@link DrillRedis.close} / {@link DrillMariadb.close} remove. Restarts reuse the
 * port and the data directory, so app processes reconnect to them on their own.
 */

const run = promisify(execFile);

const REDIS_SERVER = '/usr/bin/redis-server';
/** Debian puts mariadbd in sbin, which a non-root PATH lacks. */
const MARIADBD =
  ['/usr/sbin/mariadbd', '/usr/bin/mariadbd'].find((p) => existsSync(p)) ?? 'mariadbd';
const MARIADB_INSTALL_DB = '/usr/bin/mariadb-install-db';
const MARIADB_CLIENT = '/usr/bin/mariadb';

/** Every server started here, killed when the test process exits whatever happened. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Resolves with the first bytes a TCP server sends after `request`, or null if none come. */
function probe(port: number, request: string | null, timeoutMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (value: Buffer | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.once('connect', () => request && socket.write(request));
    socket.once('data', (data: Buffer) => done(data));
    socket.once('error', () => done(null));
    socket.once('close', () => done(null));
  });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A server process of ours: spawned with its output in `logFile`, stopped and awaited. */
class ServerProcess {
  private child: ChildProcess | undefined;

  constructor(
    private readonly bin: string,
    private readonly args: () => string[],
    readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  spawn(): void {
    if (this.running) throw new Error(`${this.bin} is running already`);
    const out = openSync(this.logFile, 'a');
    const child = spawn(this.bin, this.args(), { stdio: ['ignore', out, out] });
    closeSync(out);
    live.add(child);
    child.once('exit', () => live.delete(child));
    this.child = child;
  }

  /** Sends `signal` and waits (bounded) until the process has exited; SIGKILL after the bound. */
  async stop(signal: NodeJS.Signals, timeoutMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** Polls `ready` until it holds; throws with the log's tail if the process dies or time is up. */
  async waitUntil(ready: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${what} exited during start-up:\n${tail(this.logFile)}`);
      if (await ready()) return;
      if (Date.now() > deadline)
        throw new Error(`${what} not ready in ${timeoutMs} ms:\n${tail(this.logFile)}`);
      await sleep(50);
    }
  }
}

export interface DrillRedisOptions {
  /** AOF persistence (default on, `appendfsync always`: every acknowledged write is on disk). */
  appendonly?: boolean;
  appendfsync?: 'always' | 'everysec' | 'no';
}

/** A redis-server of the suite's own, in a temp directory. */
export class DrillRedis {
  private readonly server: ServerProcess;

  private constructor(
    readonly port: number,
    readonly dir: string,
    options: Required<DrillRedisOptions>,
  ) {
    const args = {
      port,
      bind: '127.0.0.1',
      dir,
      daemonize: 'no',
      appendonly: options.appendonly ? 'yes' : 'no',
      appendfsync: options.appendfsync,
      appenddirname: 'appendonlydir',
      dbfilename: 'dump.rdb',
      // No RDB snapshots: what survives a restart is the AOF's doing alone.
      save: '',
      'protected-mode': 'no',
    };
    this.server = new ServerProcess(
      REDIS_SERVER,
      () => Object.entries(args).flatMap(([name, value]) => [`--${name}`, String(value)]),
      join(dir, 'redis.log'),
    );
  }

  static async start(options: DrillRedisOptions = {}): Promise<DrillRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'eleme-drill-redis-'));
    const redis = new DrillRedis(await freePort(), dir, {
      appendonly: options.appendonly ?? true,
      appendfsync: options.appendfsync ?? 'always',
    });
    await redis.start();
    return redis;
  }

  get pid(): number | undefined {
    return this.server.pid;
  }

  /** Starts it (again) on the same port and directory; resolves once it answers PONG. */
  async start(): Promise<void> {
    this.server.spawn();
    await this.server.waitUntil(() => this.ping(), `redis-server on ${this.port}`, 20_000);
  }

  /** True once PING is answered +PONG (a Redis loading its AOF answers -LOADING). */
  async ping(): Promise<boolean> {
    const reply = await probe(this.port, '*1\r\n$4\r\nPING\r\n');
    return reply?.toString().startsWith('+PONG') ?? false;
  }

  /** SIGTERM: a clean shutdown. SIGKILL: a crash (what is not on disk is gone). */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return this.server.stop(signal);
  }

  /** Deletes every file Redis would load its data from (AOF directory, RDB). Only while stopped. */
  wipe(): void {
    if (this.server.running) throw new Error('wipe() needs the Redis stopped');
    rmSync(join(this.dir, 'appendonlydir'), { recursive: true, force: true });
    rmSync(join(this.dir, 'dump.rdb'), { force: true });
  }

  log(): string {
    return tail(this.server.logFile, 200);
  }

  async close(): Promise<void> {
    await this.server.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface DrillMariadbAccount {
  user: string;
  password: string;
}

/**
 * A mariadbd of the suite's own: a datadir initialised with mariadb-install-db in a temp
 * directory, the app's account created over the admin's unix socket (as scripts/services.mjs
 * provisions the shared one), durable commits (`innodb_flush_log_at_trx_commit=1`).
 */
export class DrillMariadb {
  private readonly server: ServerProcess;
  private readonly datadir: string;
  private readonly socket: string;

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly account: DrillMariadbAccount,
  ) {
    this.datadir = join(dir, 'data');
    this.socket = join(dir, 'mysqld.sock');
    this.server = new ServerProcess(
      MARIADBD,
      () => [
        '--no-defaults',
        `--user=${userInfo().username}`,
        `--datadir=${this.datadir}`,
        `--socket=${this.socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--log-error=${join(dir, 'error.log')}`,
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=16M',
        '--innodb-flush-log-at-trx-commit=1',
        '--max-connections=300',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--skip-log-bin',
      ],
      join(dir, 'error.log'),
    );
  }

  static async start(
    account: DrillMariadbAccount = { user: 'eleme', password: 'eleme' },
  ): Promise<DrillMariadb> {
    const dir = mkdtempSync(join(tmpdir(), 'eleme-drill-mysql-'));
    const db = new DrillMariadb(await freePort(), dir, account);
    await run(
      MARIADB_INSTALL_DB,
      [
        '--no-defaults',
        `--datadir=${db.datadir}`,
        `--user=${userInfo().username}`,
        '--auth-root-authentication-method=socket',
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { timeout: 120_000 },
    );
    await db.start();
    await db.provision();
    return db;
  }

  get pid(): number | undefined {
    return this.server.pid;
  }

  /** Starts it (again) on the same port and datadir; resolves once it accepts connections. */
  async start(): Promise<void> {
    this.server.spawn();
    await this.server.waitUntil(
      async () => existsSync(this.socket) && (await this.handshake()),
      `mariadbd on ${this.port}`,
      60_000,
    );
  }

  /**
   * True when the server speaks MySQL on its TCP port: a protocol-10 handshake, or an error packet
   * (0xff), which it sends when no account matches the client's host yet (before provisioning).
   */
  async handshake(): Promise<boolean> {
    const reply = await probe(this.port, null);
    return !!reply && reply.length > 4 && (reply[4] === 10 || reply[4] === 0xff);
  }

  /** SIGTERM: a clean shutdown. SIGKILL: a crash (InnoDB recovers from its redo log). */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return this.server.stop(signal, 60_000);
  }

  log(): string {
    return tail(this.server.logFile, 200);
  }

  async close(): Promise<void> {
    await this.server.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The app's account on every host form, allowed to create databases (migrations do). */
  private async provision(): Promise<void> {
    const quote = (v: string): string => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
    const sql = ['127.0.0.1', 'localhost', '%']
      .map((host) => `${quote(this.account.user)}@${quote(host)}`)
      .flatMap((who) => [
        `CREATE USER IF NOT EXISTS ${who} IDENTIFIED BY ${quote(this.account.password)};`,
        `GRANT ALL PRIVILEGES ON *.* TO ${who};`,
      ])
      .join('\n');
    await new Promise<void>((resolve, reject) => {
      const client = execFile(
        MARIADB_CLIENT,
        ['--no-defaults', `--socket=${this.socket}`, `--user=${userInfo().username}`, '--batch'],
        { timeout: 30_000 },
        (error) => (error ? reject(error) : resolve()),
      );
      client.stdin?.end(sql);
    });
  }
}
