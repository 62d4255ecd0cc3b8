--! keys: 1
-- For the reclaimer of a revoked lease: the lease's orders in doubt, read in the same step as the
-- record is closed to later additions (lease-in-doubt-add.lua), so none is added unseen. Kept a
-- day, closed, for a paused node that comes back late. Safe to repeat.
-- KEYS: the lease's in-doubt set. Returns the order ids.
redis.call('SADD', KEYS[1], '#closed')
redis.call('PEXPIRE', KEYS[1], 86400000)
local ids = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= '#closed' then ids[#ids + 1] = id end
end
return ids
