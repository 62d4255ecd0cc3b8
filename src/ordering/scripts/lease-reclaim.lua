--! keys: 1
-- Returns to a food's pool what a revoked lease holds unsold: its grant minus the units MySQL holds
-- in committed orders of that lease (read after the lease was fenced there, so the count is final),
-- and marks the grant -1 so that the lease, should its node only have been paused, gets nothing
-- more. Safe to repeat: a grant already reclaimed returns nothing.
-- KEYS: the food's stock hash. ARGV: lease id, units sold on it (from MySQL).
-- Returns the units put back in the pool.
-- No stock here (Redis lost it): the rebuild that reinstalls it counts from MySQL alone.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local grantField = 'g:' .. ARGV[1]
local grant = tonumber(redis.call('HGET', KEYS[1], grantField) or '0')
if grant < 0 then return 0 end
local back = math.max(0, grant - tonumber(ARGV[2]))
if back > 0 then redis.call('HINCRBY', KEYS[1], 'pool', back) end
redis.call('HSET', KEYS[1], grantField, -1)
redis.call('HDEL', KEYS[1], 's:' .. ARGV[1])
return back
