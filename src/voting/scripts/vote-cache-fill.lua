--! keys: 3
-- Caches a count read from MySQL, only if no vote for the user started or settled since the
-- version was read (before the MySQL read) and none is in flight now. Otherwise the read may
-- predate a vote whose cache update already ran (a lost vote), or include a vote whose cache
-- update is still to come (a vote counted twice): either way the value is not stored.
-- KEYS: counts, versions, pending. ARGV: user id, count, version read before the MySQL read.
-- Returns 1 if stored, 0 if not.
if (redis.call('HGET', KEYS[2], ARGV[1]) or '0') ~= ARGV[3] then return 0 end
if tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0') > 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
