/**
 * Redis keys of the cluster mechanisms: the node registry, the leader lease and its epoch.
 */
export const ClusterKeys = {
  /** Sorted set node id -> expiry of its last heartbeat (Redis time, ms): who is alive. */
  nodes: 'cluster:nodes',
  /**
   * Leader lease: "<nodeId>:<epoch>" with a TTL. Tagged `{v}` because the ticket rotation script
   * reads it as its fence; `cluster:` so a dataset reset never deposes the leader.
   */
  leader: 'cluster:{v}:leader',
  /** Incremented on every leader acquisition: the fencing epoch. */
  leaderEpoch: 'cluster:{v}:epoch',
} as const;
