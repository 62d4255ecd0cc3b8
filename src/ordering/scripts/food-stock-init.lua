--! keys: 1
-- Installs a food's stock for a generation of the ordering state, computed from MySQL by the
-- rebuild: the pool, and no lease (every lease of an older generation is fenced in MySQL).
-- Never replaces a newer generation's stock: a rebuilder that stalled past its claim writes nothing.
-- KEYS: the food's stock hash. ARGV: generation, units left. Returns 1 if installed, 0 if not.
local gen = redis.call('HGET', KEYS[1], 'gen')
if gen and tonumber(gen) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'pool', ARGV[2], 'gen', ARGV[1])
return 1
