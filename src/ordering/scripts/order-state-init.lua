--! keys: 6
-- Builds the ordering state of a dataset (stock pool and order markers, computed from MySQL by the
-- caller) unless it is already built for that version; only the holder of the rebuild claim may
-- (order-state-claim.lua), so a builder whose claim expired while it stalled installs nothing.
-- KEYS: dataset version, stock pool, order markers, stock lease registry (leases of the old state
-- are void: their nodes start again from nothing on their next renewal), generation, rebuild claim.
-- ARGV: version, generation, claim token, number of stock pairs, then food id/stock pairs, then
-- user id/order id pairs. Returns 1 if it built, 0 if not.
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
if redis.call('GET', KEYS[6]) ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
local stockPairs = tonumber(ARGV[4])
local i = 5
for _ = 1, stockPairs do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i < #ARGV do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('SET', KEYS[5], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[6])
return 1
