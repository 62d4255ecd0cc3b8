--! keys: 2
--! include: now-ms
-- Registers a new stock lease ('join') or extends one ('renew') to LEASE_TTL_MS ahead on Redis'
-- clock. A lease whose expiry passed is dead for everyone at once, even before a reclaim revoked
-- it: renewing it fails, and its node starts a new lease with nothing in it.
-- KEYS: lease registry (zset lease -> expiry ms), revoked leases (set). ARGV: lease id, TTL ms, mode.
-- Returns 1 if the lease is (still) valid, 0 if not.
local now = now_ms()
if ARGV[3] == 'renew' then
  local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not expiry or tonumber(expiry) < now then return 0 end
elseif redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
