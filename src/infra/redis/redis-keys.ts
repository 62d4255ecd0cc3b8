/**
 * The whole Redis keyspace in one place. Every key is namespaced by product; keys that one Lua
 * script touches together share a hash tag (`{o}` for ordering, `{v}` for voting), so the scripts
 * run unchanged on Redis Cluster.
 */
export const RedisKeys = {
  /** Id of the dataset the ordering keys below were built for (see DatasetService). */
  orderDataset: 'ord:{o}:dataset',
  /** Hash food id -> units left in the shared pool. */
  stockPool: 'ord:{o}:stock',
  /** Hash user id -> "orderId" once the user has ordered: the one-order-per-user marker. */
  orderMarkers: 'ord:{o}:orders',
  /** String: the cart's items as "foodId:count,..." in first-entry order. */
  cart: (cartId: string): string => `ord:{o}:cart:${cartId}`,
  /** Prefixes `npm run data -- generate` clears. */
  resettablePrefixes: ['ord:', 'vote:'] as const,
} as const;
