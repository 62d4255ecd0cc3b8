// Debian tools the e2e suites drive: Chromium at /usr/bin/chromium for test/browser-pages (never
// a browser build downloaded by a tool) and docker-compose for test/compose-file. `node
// scripts/browser.mjs` (and `npm test`, which calls ensureTestTools) installs the Debian packages
// when they are missing and this runs as root with apt-get; otherwise it fails and says what to
// install.
// Node builtins only, like the other set-up scripts.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { run } from './env.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const DOCKER_COMPOSE = '/usr/bin/docker-compose';

const log = (message) => console.log(`[browser] ${message}`);

export const installHint = (path = CHROMIUM, pkg = 'chromium') =>
  `${path} not found: install Debian's ${pkg} package ` +
  `(sudo apt-get update && sudo apt-get install -y --no-install-recommends ${pkg}), ` +
  'or run `npm test` as root, which installs it';

/** Resolves once `path` exists, installing Debian's `pkg` (as root) when it is missing. */
async function ensureTool(path, pkg) {
  if (existsSync(path)) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) throw new Error(installHint(path, pkg));
  log(`${path} not found, installing ${pkg}`);
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env: aptEnv });
  try {
    await install();
  } catch {
    // No package list yet, or one so old that its versions are gone from the mirror.
    log('installing from the current package lists failed: apt-get update, then again');
    await run('apt-get', ['update'], { env: aptEnv });
    await install();
  }
  if (!existsSync(path)) throw new Error(`${path} still missing after installing ${pkg}`);
  log(`installed ${pkg}`);
}

export const ensureBrowser = () => ensureTool(CHROMIUM, 'chromium');

/** Every tool the e2e suites need from Debian. */
export async function ensureTestTools() {
  await ensureBrowser();
  await ensureTool(DOCKER_COMPOSE, 'docker-compose');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureTestTools().catch((error) => {
    log(`error: ${error.message}`);
    process.exit(1);
  });
}
