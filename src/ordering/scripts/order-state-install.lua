--! keys: 3
-- Completes a rebuild of the ordering state (the foods' stock and the users' markers are written
-- before): the new generation and the dataset version it was built for, only if the caller still
-- holds the rebuild claim (order-state-claim.lua). KEYS: dataset version, generation, rebuild
-- claim. ARGV: version, generation, claim token. Returns 1 if installed, 0 if not.
if redis.call('GET', KEYS[3]) ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[3])
return 1
