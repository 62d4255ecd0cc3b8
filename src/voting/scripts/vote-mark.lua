--! keys: 1
--! include: now-ms
-- Marks a vote in flight on one of its users (before its MySQL commit): while any vote is in
-- flight for the user, no cached count is served or filled (see vote-cache-read.lua), so a count
-- read before the commit never outlives it. Safe to resend: a token already marked changes nothing.
-- KEYS: the user's votes hash. ARGV: vote token. Returns 1.
if redis.call('HSETNX', KEYS[1], 'f:' .. ARGV[1], now_ms()) == 1 then
  redis.call('HINCRBY', KEYS[1], 'p', 1)
  redis.call('HINCRBY', KEYS[1], 'v', 1)
end
return 1
