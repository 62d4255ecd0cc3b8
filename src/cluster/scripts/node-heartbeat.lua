--! keys: 1
--! include: now-ms
-- Records that node ARGV[1] is alive until ARGV[2] ms from now on Redis' clock, in the sorted set
-- KEYS[1] (node id -> expiry), and drops nodes expired for more than ARGV[3] ms: the registry
-- holds the nodes of the recent past only. Returns the expiry written.
local now = now_ms()
local expiry = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expiry, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
return expiry
