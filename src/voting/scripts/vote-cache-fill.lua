--! keys: 1
--! include: now-ms
-- Caches a count read from MySQL, only if no vote for the user started or settled since the
-- version was read (before the MySQL read) and none is in flight now. Otherwise the read may
-- predate a vote whose cache update already ran (a lost vote), or include a vote whose cache
-- update is still to come (a vote counted twice): either way the value is not stored.
-- A fill refused for marks in flight first heals those older than the abandon age: their node
-- died between mark and settle (a commit takes milliseconds). Healing drops the cached count,
-- which may miss a vote that did commit; should such a vote settle after all, it finds its mark
-- gone and drops the count again (vote-settle.lua), so healing is safe at any age.
-- KEYS: the user's votes hash. ARGV: count, version read before the MySQL read, abandon age ms.
-- Returns {1 if stored else 0, marks healed}.
local key = KEYS[1]
local pending = tonumber(redis.call('HGET', key, 'p') or '0')
if pending > 0 then
  local oldest = now_ms() - tonumber(ARGV[3])
  local fields = redis.call('HGETALL', key)
  local healed = 0
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 2) == 'f:' and tonumber(fields[i + 1]) <= oldest then
      redis.call('HDEL', key, fields[i])
      healed = healed + 1
    end
  end
  if healed > 0 then
    if redis.call('HINCRBY', key, 'p', -healed) <= 0 then redis.call('HDEL', key, 'p') end
    redis.call('HDEL', key, 'c')
    redis.call('HINCRBY', key, 'v', 1)
  end
  return {0, healed}
end
if (redis.call('HGET', key, 'v') or '0') ~= ARGV[2] then return {0, 0} end
redis.call('HSET', key, 'c', ARGV[1])
return {1, 0}
