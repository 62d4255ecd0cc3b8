/**
 * Redis keys of the cluster mechanisms: the node registry, the leader lease and its epoch, and the
 * stock leases.
 */
export const ClusterKeys = {
  /** Sorted set node id -> expiry of its last heartbeat (Redis time, ms): who is alive. */
  nodes: 'cluster:nodes',
  /** Hash unit id (food id) -> units left in the shared pool that stock leases draw from. */
  stockPool: 'ord:{o}:stock',
  /** Sorted set node id -> lease expiry (Redis time, ms): the nodes holding stock leases. */
  stockLeases: 'ord:{o}:leases',
  /** Hash of one node's stock lease: `l:<food>` units leased, `s:<food>` units sold from them. */
  stockLease: (nodeId: string): string => `ord:{o}:lease:${nodeId}`,
  /**
   * Leader lease: "<nodeId>:<epoch>" with a TTL. Tagged `{v}` because the ticket rotation script
   * reads it as its fence; `cluster:` so a dataset reset never deposes the leader.
   */
  leader: 'cluster:{v}:leader',
  /** Incremented on every leader acquisition: the fencing epoch. */
  leaderEpoch: 'cluster:{v}:epoch',
} as const;
