// `npm test`: the same set-up as `npm start`, then the habits (lint, format, dependency rules, file
// size), type check, unit, provider and e2e suites against real Redis and MariaDB. Exits non-zero on any failure.
import { ensureTestTools } from './browser.mjs';
import { localClusterNodes, run } from './env.mjs';
import { prepare } from './prepare.mjs';

const SOURCES = '{src,test,bench,scripts}/**/*.{ts,mjs}';

/**
 * Suites that only mean something on a Redis Cluster (voting-cluster: voting spread over the
 * masters, several nodes holding a ticket's uses): left out of the single-Redis e2e step and run
 * in the cluster one (CLUSTER_SUITES), so not at all when there is no local cluster.
 */
const CLUSTER_ONLY_SUITES = ['voting-cluster'];

const steps = [
  ['lint', 'npx', ['eslint', SOURCES]],
  ['format check', 'npx', ['prettier', '--check', SOURCES]],
  ['dependency rules', 'npx', ['depcruise', 'src', '--config', '.dependency-cruiser.cjs']],
  ['file size', process.execPath, ['scripts/check-size.mjs']],
  ['type check', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']],
  ['unit tests', 'npx', ['jest', '--ci']],
  ['provider tests', process.execPath, ['scripts/provider-tests.mjs']],
  [
    'e2e tests',
    'npx',
    [
      'jest',
      '--ci',
      '--config',
      'test/jest-e2e.json',
      '--runInBand',
      // The suites that need a Redis Cluster run in the cluster step only (none without one).
      ...CLUSTER_ONLY_SUITES.flatMap((suite) => [
        '--testPathIgnorePatterns',
        `/test/${suite}\\.e2e-spec\\.ts$`,
      ]),
      '--testPathIgnorePatterns',
      '/node_modules/',
    ],
  ],
];

/**
 * The suites that run a second time (CLUSTER_ONLY_SUITES: their only time) on the local Redis
 * Cluster (scripts/services.mjs), with REDIS_CLUSTER_NODES set: the app, the data CLI and the
 * suites' own clients then use ioredis' Cluster client, each suite under its key prefix
 * (test/utils/suite-redis.ts).
 */
const CLUSTER_SUITES = [
  'ordering-contract',
  'ordering-races',
  'ordering-durability',
  'stock-leasing',
  'cart-rules',
  'voting-api',
  'voting-races',
  'voting-leader',
  'vote-settle',
  'ticket-scripts',
  'redis-prefix',
  'in-doubt-registry',
  'voting-cluster', // in CLUSTER_ONLY_SUITES: this is its one run
];

/**
 * Left out of the cluster run, each with why (docs/operations.md, Tests, lists them too). They
 * cut, pause or hold one Redis server through the suite's TCP proxy (test/utils/tcp-proxy.ts),
 * which the app reaches by REDIS_PORT; a Cluster client connects to the masters the cluster
 * announces, so the proxy would be bypassed and the outage never happen.
 * Whole suite: voting-outages. Its beforeAll asserts that the node's Redis connection goes
 * through the proxy, so none of its tests can run on a cluster, the MySQL-only ones included.
 */
const NOT_ON_A_CLUSTER = [
  'answers PATCH and POST /orders with a prompt 503 all through it, applies nothing, and works again after',
  'completes an order whose Redis read was answered into a dead connection: it asks again and commits',
  'answers 503, with nothing taken, an order whose Redis read was lost while Redis stayed away',
  'answers a PATCH whose reply was lost with what happened: 204 if applied, 503 (nothing applied) if not',
  'answers a PATCH with a 503 while Redis hangs, and the change does nothing when it reaches Redis late',
];

/** A --testNamePattern matching every test whose full name contains none of `names`. */
function excluding(names) {
  const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return `^(?!.*(?:${escaped.join('|')}))`;
}

const clusterNodes = localClusterNodes();
if (clusterNodes) {
  // For the suites that use the cluster in any run (ordering-cluster: a sale spread over masters).
  process.env.E2E_CLUSTER_NODES = clusterNodes;
  steps.push([
    'e2e tests on a Redis Cluster',
    'npx',
    [
      'jest',
      '--ci',
      '--config',
      'test/jest-e2e.json',
      '--runInBand',
      '--testNamePattern',
      excluding(NOT_ON_A_CLUSTER),
      ...CLUSTER_SUITES.map((suite) => `test/${suite}.e2e-spec.ts`),
    ],
    { env: { ...process.env, REDIS_CLUSTER_NODES: clusterNodes } },
  ]);
} else {
  console.log('[test] REDIS_CLUSTER_PORTS is empty: no local Redis Cluster, no cluster e2e step');
}

try {
  await prepare();
  // Debian's Chromium and docker-compose for the browser and compose suites (installed as root).
  await ensureTestTools();
  for (const [name, cmd, args, opts] of steps) {
    console.log(`[test] ${name}`);
    await run(cmd, args, opts);
  }
  console.log('[test] all green');
} catch (error) {
  console.error(`[test] ${error.message}`);
  process.exit(1);
}
