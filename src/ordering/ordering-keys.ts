/**
 * The ordering context's Redis keys. Keys one Lua script touches together share the hash tag `{o}`,
 * so the scripts run unchanged on Redis Cluster.
 */
export const OrderingKeys = {
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
} as const;
