--! keys: 1
--! include: now-ms
-- Failed logins of one username inside the sliding window, on Redis' clock (one clock for every node).
-- KEYS: the username's failures (sorted set: member -> time of the failure, ms).
-- ARGV: window ms, most failures allowed.
-- Returns {failures in the window, ms until the oldest leaves it when at the limit, else 0}.
local now = now_ms()
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local failures = redis.call('ZCARD', KEYS[1])
if failures < tonumber(ARGV[2]) then return {failures, 0} end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {failures, math.max(1, tonumber(oldest[2]) + window - now)}
