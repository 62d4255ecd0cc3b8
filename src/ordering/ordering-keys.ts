import { ClusterKeys } from '../cluster/cluster-keys';

/**
 * The ordering context's Redis keys, sharded by what they belong to (Redis Cluster hashes only the
 * part in braces, so keys of one tag share a slot and a script may touch them together):
 * - `{u<id>}` per user: the user's carts, their changes and the one-order marker. An order's only
 *   Redis command goes to its user's slot.
 * - `{f<id>}` per food: the pool and the ledger of the leases drawn on it. Only lease top-ups,
 *   give-backs, reclaims and the 250 ms stock reads touch it, never an order.
 * - `{d<lease>}` per stock lease: the orders its node answered 503 in doubt (only that node writes).
 * - `{o}`: the dataset's ordering state version, the lease registry and the rebuild claim, written
 *   at most a few times a second, whatever the load.
 */
/** The ordering context's namespace in the registry of operations in doubt. */
export const IN_DOUBT_SCOPE = 'ord';

export const OrderingKeys = {
  /** Id of the dataset the ordering keys below were built for (see DatasetService). */
  orderDataset: 'ord:{o}:dataset',
  /**
   * Generation of the ordering state: n when it was built as the n-th since the dataset was loaded.
   * Leases are granted under it and orders carry it to their commit, which MySQL refuses once the
   * generation is fenced, i.e. once a rebuild replaced the state (see order-state.builder.ts).
   */
  orderGeneration: 'ord:{o}:generation',
  /** Token of the one node rebuilding the ordering state from MySQL (with a TTL). */
  orderRebuildClaim: 'ord:{o}:rebuild',
  /**
   * String: the id of the user's order, written once it committed. A cache of MySQL's unique
   * `user_id`, which stays the arbiter: it lets a second order be refused without taking stock.
   */
  orderMarker: (userId: number): string => `ord:{u${userId}}:order`,
  /** String: the cart's items as "foodId:count,..." in first-entry order. */
  cart: (userId: number, cartId: string): string => `ord:{u${userId}}:cart:${cartId}`,
  /**
   * Hash change token -> result of the cart's changes of the last minute: a node that lost the
   * script's answer with its connection reads it to learn whether the change was applied.
   */
  cartChange: (userId: number, cartId: string): string => `ord:{u${userId}}:cart-change:${cartId}`,
  /**
   * Hash of one food's stock: `pool` units not leased to any node, `gen` the generation they were
   * counted in, and per lease `g:<lease>` units granted to it (-1 once reclaimed) and `s:<lease>`
   * units its node reported taken. What is left of the food is pool + Σ(g - s) over live leases.
   */
  foodStock: (foodId: number): string => `ord:{f${foodId}}:stock`,
  /** Sorted set lease id -> expiry (Redis time, ms): the stock leases nodes hold and renew. */
  leases: 'ord:{o}:leases',
  /** Set of lease ids revoked (expired) whose units are not yet all back in the pools. */
  leasesRevoked: 'ord:{o}:leases-revoked',
  /**
   * The record (InDoubtRegistry) of the orders of one lease that its node answered
   * SERVICE_UNAVAILABLE while their commit was in doubt: whoever settles them takes them back even
   * if they had committed.
   */
  leaseInDoubt: (leaseId: string): string => ClusterKeys.inDoubt(IN_DOUBT_SCOPE, leaseId),
  /** Pub/sub channel (per dataset): a node that lacks units of a food asks the others for theirs. */
  recallChannel: (version: string): string => `ord:recall:${version}`,
} as const;
