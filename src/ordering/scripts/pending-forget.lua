--! keys: 2
-- Drops a node from the set of nodes with pending orders, but only if its pending hash is empty
-- now (an order could have been placed since the caller looked). KEYS: the set, the node's
-- pending orders. ARGV: node id. Returns 1 if dropped.
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return redis.call('SREM', KEYS[1], ARGV[1])
