--! keys: 1
-- Compare-and-delete: gives the lease up (on shutdown) only if this term still holds it, so a
-- successor is never deposed. KEYS: lease. ARGV: owner token. Returns 1 if released.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
