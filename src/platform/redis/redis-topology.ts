import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis.constants';

/** Hash slots of a Redis Cluster. */
const SLOTS = 16_384;

export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}

/**
 * The servers that hold the data: the single Redis itself, or each master the cluster client has
 * a connection to. A cluster's node connections carry no key prefix (it is the cluster client's),
 * so commands sent on them directly (SCAN, UNLINK, INFO, SCRIPT LOAD) see the keys as stored.
 */
export function mastersOf(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/** The prefix the client puts in front of every key (REDIS_KEY_PREFIX), '' for none. */
export function keyPrefixOf(client: RedisClient | Redis): string {
  return client.options.keyPrefix ?? '';
}

/**
 * Runs `attach` on every connection to a server, now and as they are made: the single client's
 * own one (which reconnects in place), or each node connection of a cluster. A cluster client
 * opens one per node it learns of and never reconnects one: when a node's connection ends it is
 * dropped, and a new one (another `+node`) is made once a command or a slot refresh needs it.
 */
export function onEachConnection(client: RedisClient, attach: (connection: Redis) => void): void {
  if (!isCluster(client)) return attach(client);
  for (const node of client.nodes('all')) attach(node);
  client.on('+node', attach);
}

/**
 * Resolves once every server answers PING; throws naming what is missing. On a cluster that means
 * the client is ready, every hash slot has a master, and each of those masters answers: a master
 * that went away leaves its slots pointing at a node with no connection, which a ping of a random
 * node would not notice.
 */
export async function pingEveryServer(client: RedisClient): Promise<void> {
  if (!isCluster(client)) {
    await client.ping();
    return;
  }
  if (client.status !== 'ready') throw new Error(`Redis Cluster client ${client.status}`);
  const owners = new Set<string>();
  let uncovered = 0;
  for (let slot = 0; slot < SLOTS; slot++) {
    const owner = client.slots[slot]?.[0];
    if (owner) owners.add(owner);
    else uncovered++;
  }
  if (uncovered > 0) throw new Error(`${uncovered} hash slots have no master`);
  const byKey = new Map(
    client.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n]),
  );
  await Promise.all(
    [...owners].map(async (owner) => {
      const node = byKey.get(owner);
      if (!node) throw new Error(`no connection to master ${owner}`);
      await node.ping();
    }),
  );
}

/** `text` as a literal in a Redis glob pattern (SCAN MATCH): `*`, `?`, `[`, `]`, `\` escaped. */
export function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
