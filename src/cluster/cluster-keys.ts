/**
 * Redis keys of the cluster mechanisms: the node registry, the leader lease and its epoch, and the
 * records of operations in doubt.
 */
export const ClusterKeys = {
  /** Sorted set node id -> expiry of its last heartbeat (Redis time, ms): who is alive. */
  nodes: 'cluster:nodes',
  /**
   * Leader lease: "<nodeId>:<epoch>" with a TTL. Tagged `{ticket}` because the ticket rotation script
   * reads it as its fence; `cluster:` so a dataset reset never deposes the leader.
   */
  leader: 'cluster:{ticket}:leader',
  /**
   * Hash operation id -> payload of one owner's operations answered SERVICE_UNAVAILABLE in doubt
   * (`#closed` once a successor read it), on the owner's own slot, under the product's namespace
   * (`scope`) so that a dataset reset clears it with the product's other keys.
   */
  inDoubt: (scope: string, owner: string): string => `${scope}:{d${owner}}:in-doubt`,
  /** Incremented on every leader acquisition: the fencing epoch. */
  leaderEpoch: 'cluster:{ticket}:epoch',
} as const;
