--! keys: 2
--! include: now-ms
-- Revokes an expired stock lease: moves it from the registry to the revoked set, where it stays
-- until every food has its units back (a reclaimer that dies half-way leaves it for the next).
-- KEYS: lease registry, revoked leases. ARGV: lease id.
-- Returns 1 if the lease is revoked (now or before), 0 if it is still valid.
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expiry and tonumber(expiry) >= now_ms() then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
