import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { envExampleKeys } from './utils/manifests';

/**
 * docker/compose.yml, offline: `docker-compose config -q` accepts it when docker-compose is on
 * PATH (Debian's docker-compose package: `apt-get install -y docker-compose`; `npm test` does not
 * install it), and in any case its structure holds: the services, their health checks and the
 * order they start in, the build, and settings the app knows.
 */

const ROOT = join(__dirname, '..');
const COMPOSE_FILE = join(ROOT, 'docker', 'compose.yml');
const run = promisify(execFile);

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const dockerCompose = onPath('docker-compose');
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { maxAliasCount: 100 });
const services: Record<string, any> = compose.services ?? {};
/** Long form of depends_on: service -> condition. */
const dependsOn = (service: any): Record<string, string> =>
  Array.isArray(service.depends_on)
    ? Object.fromEntries(service.depends_on.map((name: string) => [name, 'service_started']))
    : Object.fromEntries(
        Object.entries(service.depends_on ?? {}).map(([name, dep]: [string, any]) => [
          name,
          dep.condition ?? 'service_started',
        ]),
      );

describe('docker/compose.yml', () => {
  // `npm test` installs Debian's docker-compose (scripts/browser.mjs); without it this fails, saying so.
  test('docker-compose config -q accepts it', async () => {
    if (!dockerCompose)
      throw new Error(
        'docker-compose is not on PATH: apt-get install -y --no-install-recommends docker-compose (npm test does it as root)',
      );
    const args = ['-f', COMPOSE_FILE, 'config', '-q'];
    const env = { ...process.env, TOKEN_SECRET: 'compose-config-check-0123456789' };
    await expect(run(dockerCompose!, args, { cwd: ROOT, env, timeout: 60_000 })).resolves.toEqual({
      stdout: '',
      stderr: '',
    });
    // TOKEN_SECRET is mandatory: without it compose refuses to go on, and says why.
    const without: NodeJS.ProcessEnv = { ...env };
    delete without.TOKEN_SECRET;
    await expect(
      run(dockerCompose!, args, { cwd: ROOT, env: without, timeout: 60_000 }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('set TOKEN_SECRET') });
  });

  test('only top-level keys of the Compose file format (x- extensions aside)', () => {
    const allowed = ['version', 'services', 'volumes', 'networks', 'configs', 'secrets'];
    expect(Object.keys(compose).filter((k) => !k.startsWith('x-') && !allowed.includes(k))).toEqual(
      [],
    );
  });

  test('app, redis and mysql exist; redis and mysql have health checks', () => {
    for (const name of ['app', 'redis', 'mysql']) expect(Object.keys(services)).toContain(name);
    for (const name of ['redis', 'mysql']) {
      const test = services[name].healthcheck?.test;
      expect({ name, test: Array.isArray(test) && test[0] }).toEqual({ name, test: 'CMD' });
    }
    // The app's health check is the image's (docker/Dockerfile), on /health/live.
    expect(readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8')).toMatch(
      /^HEALTHCHECK .*\/health\/live/m,
    );
  });

  test('start order: the data after healthy Redis and MySQL, the app after the data', () => {
    for (const [name, service] of Object.entries(services))
      for (const [target, condition] of Object.entries(dependsOn(service))) {
        expect({ name, target, exists: target in services }).toEqual({
          name,
          target,
          exists: true,
        });
        if (condition === 'service_healthy')
          expect({ target, healthcheck: Boolean(services[target].healthcheck) }).toEqual({
            target,
            healthcheck: true,
          });
      }
    expect(dependsOn(services.migrate)).toEqual({
      mysql: 'service_healthy',
      redis: 'service_healthy',
    });
    expect(dependsOn(services.app)).toEqual({ migrate: 'service_completed_successfully' });
  });

  test('the app builds from docker/Dockerfile and stops within its grace period', () => {
    const build = services.app.build;
    expect(existsSync(join(resolve(ROOT, 'docker', build.context), build.dockerfile))).toBe(true);
    // Longer than the app's own SHUTDOWN_TIMEOUT_MS (15 s by default).
    expect(services.app.stop_grace_period).toMatch(/^\d+s$/);
    expect(Number.parseInt(services.app.stop_grace_period, 10)).toBeGreaterThan(15);
  });

  test('every variable given to the app is a setting it knows (.env.example)', () => {
    const known = envExampleKeys();
    for (const name of ['app', 'migrate']) {
      const env = Object.keys(services[name].environment ?? {});
      expect(env).toContain('TOKEN_SECRET');
      // NODE_OPTIONS is node's own: the heap budget of a single-worker node.
      expect({ name, unknown: env.filter((k) => !known.has(k) && k !== 'NODE_OPTIONS') }).toEqual({
        name,
        unknown: [],
      });
    }
  });
});
