--! keys: 1
-- Records an order of a lease answered SERVICE_UNAVAILABLE while its commit was in doubt, unless
-- the lease's reclaimer has already read the record (then it is closed and the order is not
-- taken back by anyone: the caller logs it for the operator).
-- KEYS: the lease's in-doubt set. ARGV: order id. Returns 1 if recorded, 0 if closed.
if redis.call('SISMEMBER', KEYS[1], '#closed') == 1 then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
