--! keys: 1
--! include: now-ms
-- Records one failed login of a username; the set expires with its newest failure's window.
-- Returns the failures now in the set (at most the limit).
-- KEYS: the username's failures (sorted set: member -> time of the failure, ms).
-- ARGV: window ms, a member unique to this failure, most failures kept.
local now = now_ms()
redis.call('ZADD', KEYS[1], now, ARGV[2])
-- Past the limit the oldest failures no longer matter: the set stays bounded under a flood.
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[1])
