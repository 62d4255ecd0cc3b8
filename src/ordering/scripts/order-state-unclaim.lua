--! keys: 1
-- Gives up a rebuild claim that failed (MySQL or Redis away), so that the next refresh retries at
-- once rather than after the claim's TTL. KEYS: rebuild claim. ARGV: token. Returns 1 if released.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
