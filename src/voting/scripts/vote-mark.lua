--! keys: 1+
--! include: now-ms
-- Marks a vote in flight on its users (before its MySQL commit): while any vote is in flight for
-- a user, no cached count is served or filled (see vote-cache-read.lua), so a count read before
-- the commit never outlives it. Safe to resend: a user already marked with the token is left as is.
-- KEYS: the users' votes hashes (one slot each on a cluster, so one key per call there; any
-- number on a single Redis). ARGV: vote token. Returns 1.
local now = now_ms()
local field = 'f:' .. ARGV[1]
for _, key in ipairs(KEYS) do
  if redis.call('HSETNX', key, field, now) == 1 then
    redis.call('HINCRBY', key, 'p', 1)
    redis.call('HINCRBY', key, 'v', 1)
  end
end
return 1
