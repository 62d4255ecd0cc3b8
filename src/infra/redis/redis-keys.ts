/**
 * The whole Redis keyspace in one place. Every key is namespaced by product; keys that one Lua
 * script touches together share a hash tag (`{o}` for ordering, `{v}` for voting), so the scripts
 * run unchanged on Redis Cluster.
 */
export const RedisKeys = {
  /** Id of the dataset the ordering keys below were built for (see DatasetService). */
  orderDataset: 'ord:{o}:dataset',
  /**
   * Generation of the ordering state: n when it was built as the n-th since the dataset was loaded.
   * Orders carry it to their commit, which MySQL refuses once the generation is fenced, i.e. once
   * a rebuild replaced the state (see order-state.builder.ts).
   */
  orderGeneration: 'ord:{o}:generation',
  /** Token of the one node rebuilding the ordering state from MySQL (with a TTL). */
  orderRebuildClaim: 'ord:{o}:rebuild',
  /** Hash food id -> units left in the shared pool. */
  stockPool: 'ord:{o}:stock',
  /** Hash user id -> "orderId" once the user has ordered: the one-order-per-user marker. */
  orderMarkers: 'ord:{o}:orders',
  /** String: the cart's items as "foodId:count,..." in first-entry order. */
  cart: (cartId: string): string => `ord:{o}:cart:${cartId}`,
  /**
   * Hash change token -> result of the cart's changes of the last minute: a node that lost the
   * script's answer with its connection reads it to learn whether the change was applied.
   */
  cartChange: (cartId: string): string => `ord:{o}:cart-change:${cartId}`,
  /**
   * Hash order id -> "userId|cart" of one node's orders taken in Redis but not yet known committed:
   * what a dead node's orders held, for whoever reconciles them.
   */
  pendingOrders: (nodeId: string): string => `ord:{o}:pending:${nodeId}`,
  /** Set of node ids that may have pending orders: where reconcilers look. */
  pendingNodes: 'ord:{o}:pending-nodes',
  /**
   * Set of pending order ids answered SERVICE_UNAVAILABLE while their commit was in doubt: whoever
   * settles one (its node, or a reconciler once that node died) takes it back even if it had
   * committed, since its client was told it failed.
   */
  ordersRefusedInDoubt: 'ord:{o}:refused-in-doubt',
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
  /** The ticket in force. No TTL: valid until the next rotation replaces it (no gap). */
  ticket: 'vote:{v}:ticket',
  /** Votes taken with the ticket in force. */
  ticketUses: 'vote:{v}:uses',
  /** The ticket just replaced and its uses, kept for TICKET_GRACE_MS (absent when the grace is 0). */
  previousTicket: 'vote:{v}:ticket:prev',
  previousTicketUses: 'vote:{v}:uses:prev',
  /** Hash of the last rotation: epoch (fence), at (Redis TIME, ms), by (node id). */
  ticketRotation: 'vote:{v}:rotation',
  /** List of the last rotations as "at epoch nodeId", newest first (operations and tests). */
  ticketRotationLog: 'vote:{v}:rotation-log',
  /** Hash user id -> cached vote count (cache-aside over vote_count). */
  voteCounts: 'vote:{v}:counts',
  /** Hash user id -> version, bumped by every vote step; a cache fill needs it unchanged. */
  voteVersions: 'vote:{v}:versions',
  /** Hash user id -> votes between their Redis step and their cache update; a fill needs 0. */
  votePending: 'vote:{v}:pending',
  /** Hash vote token -> "<Redis ms>:<user ids>" of each vote between its Redis step and settling. */
  voteInflight: 'vote:{v}:inflight',
  /**
   * Hash group id -> JSON of a vote commit group answered SERVICE_UNAVAILABLE while its outcome
   * was unknown (its node, when, its totals and ticket uses): whoever settles it (its node, or the
   * leader once that node died) takes its votes back if it had committed.
   */
  voteGroupsInDoubt: 'vote:{v}:groups-in-doubt',
  /**
   * Sorted set of one username's failed logins (member -> Redis time, ms) in the throttle's window.
   * Keyed by a digest of the name: names are any string a client sends, braces included.
   */
  loginFailures: (nameDigest: string): string => `auth:login-failures:${nameDigest}`,
  /** Prefixes `npm run data -- generate` clears. */
  resettablePrefixes: ['ord:', 'vote:', 'auth:'] as const,
} as const;
