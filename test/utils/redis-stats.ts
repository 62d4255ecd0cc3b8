import type Redis from 'ioredis';
import { mastersOf } from '../../src/platform/redis/redis-topology';
import type { TestEnv } from './app-cluster';
import { clientReady, redisClientOf } from './suite-redis';

/** Commands these helpers send themselves, left out of the counts. */
const OWN_COMMANDS = new Set(['info', 'config']);

/**
 * Commands served per server, `host:port` → total calls since the last CONFIG RESETSTAT, from
 * `INFO commandstats` (`cmdstat_<name>:calls=N,...`; subcommands such as `config|resetstat` count
 * under their command). INFO and CONFIG are left out, so reading the figures does not move them.
 */
export function parseCommandStats(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const command = match[1].split('|')[0].toLowerCase();
    calls.set(command, (calls.get(command) ?? 0) + Number(match[2]));
  }
  return calls;
}

function totalServed(info: string): number {
  let total = 0;
  for (const [command, n] of parseCommandStats(info)) if (!OWN_COMMANDS.has(command)) total += n;
  return total;
}

/** Runs `each` on every master the suite's Redis has (the one server of a single Redis). */
async function onEveryMaster<T>(
  testEnv: TestEnv,
  each: (server: Redis, name: string) => Promise<T>,
): Promise<Map<string, T>> {
  const client = redisClientOf(testEnv.env, `e2e-${testEnv.name}-stats`);
  try {
    await clientReady(client);
    const results = new Map<string, T>();
    for (const server of mastersOf(client)) {
      const name = `${server.options.host}:${server.options.port}`;
      results.set(name, await each(server, name));
    }
    return results;
  } finally {
    client.disconnect();
  }
}

/**
 * Per master (`host:port`), the commands it served since the last {@link resetRedisCommandStats}
 * (or its start), INFO and CONFIG excluded. Server-wide figures: they count every client's
 * commands, other suites' included, so measure on a quiet server and over a bounded window.
 */
export function redisCommandStats(testEnv: TestEnv): Promise<Map<string, number>> {
  return onEveryMaster(testEnv, async (server) => totalServed(await server.info('commandstats')));
}

/** CONFIG RESETSTAT on every master: the command counts start again from 0. */
export async function resetRedisCommandStats(testEnv: TestEnv): Promise<void> {
  await onEveryMaster(testEnv, (server) => server.config('RESETSTAT'));
}
