--! keys: 2
-- Claims the rebuild of the ordering state from MySQL, so that one node at a time builds it: a
-- rebuild fences the generation it replaces in MySQL, and a second builder would fence the one the
-- first is about to install. KEYS: dataset version, rebuild claim. ARGV: version, token, TTL ms,
-- 'force' when the version is in place but a food's stock is missing (a shard lost its data).
-- Returns 1 if claimed, 0 if the state is built for that version or another node holds the claim.
if ARGV[4] ~= 'force' and redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0
