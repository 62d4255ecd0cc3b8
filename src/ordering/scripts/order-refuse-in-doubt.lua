--! keys: 2
-- Flags an order answered SERVICE_UNAVAILABLE while its commit is in doubt, so that whoever settles
-- it takes it back. KEYS: pending orders of the node that took it, orders refused in doubt.
-- ARGV: order id. Only while the order is still pending: once released (order-release.lua clears
-- the flag in the same step) or settled, a flag would never be read or cleared again.
-- Returns 1 if flagged, 0 if the order was no longer pending.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
