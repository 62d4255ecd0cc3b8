// The pure rules of the Redis settings (no decorators: test utilities import them too).

/** One seed node of a Redis Cluster (REDIS_CLUSTER_NODES). */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** Most seed nodes REDIS_CLUSTER_NODES may list: a handful is enough to find the rest. */
const MAX_SEED_NODES = 64;

/** Longest REDIS_KEY_PREFIX: it is paid on every key of every command. */
export const MAX_KEY_PREFIX_LENGTH = 64;

/**
 * REDIS_CLUSTER_NODES (`host:port,host:port,...`, IPv6 hosts in brackets: `[::1]:7001`) as
 * addresses, or the problems found in it. Blanks around entries are ignored; an empty entry, a
 * missing or bad port, or the same node twice is an error, so that a typo fails at boot instead
 * of leaving the client without the seed it was meant to have.
 */
export function parseClusterNodes(raw: string): { nodes: RedisNodeAddress[]; problems: string[] } {
  const nodes: RedisNodeAddress[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.length > MAX_SEED_NODES) {
    problems.push(`REDIS_CLUSTER_NODES lists ${entries.length} nodes, at most ${MAX_SEED_NODES}`);
    return { nodes, problems };
  }
  for (const entry of entries) {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) {
      problems.push(
        `REDIS_CLUSTER_NODES entry "${entry}" is not host:port (port 1-65535; IPv6 as [addr]:port)`,
      );
      continue;
    }
    const host = match[1] ?? match[2];
    const key = `${host.toLowerCase()}:${port}`;
    if (seen.has(key)) problems.push(`REDIS_CLUSTER_NODES lists ${entry} twice`);
    seen.add(key);
    nodes.push({ host, port });
  }
  return { nodes, problems };
}

/**
 * What is wrong with a REDIS_KEY_PREFIX, or undefined. Braces are refused because Redis Cluster
 * hashes the first `{...}` of a key: a brace in the prefix would move every key's hash tag into
 * the prefix and break the one-slot-per-product layout the scripts rely on (design.md). Blanks
 * and control characters are refused as never intended.
 */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (prefix.length > MAX_KEY_PREFIX_LENGTH)
    return `REDIS_KEY_PREFIX is ${prefix.length} characters, at most ${MAX_KEY_PREFIX_LENGTH}`;
  if (/[{}]/.test(prefix))
    return 'REDIS_KEY_PREFIX must not contain { or } (Redis Cluster hash tags live in the keys)';
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(prefix))
    return 'REDIS_KEY_PREFIX must not contain blanks or control characters';
  return undefined;
}
