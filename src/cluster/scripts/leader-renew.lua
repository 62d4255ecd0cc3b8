--! keys: 1
-- Compare-and-extend: renews the lease only while it still holds this term's owner token.
-- KEYS: lease. ARGV: owner token "<node>:<epoch>", TTL (ms). Returns 1 if renewed, 0 if lost.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
