--! keys: 4
-- Builds the ordering state of a dataset (stock pool and order markers, computed from MySQL by the
-- caller) unless it is already built for that version; the first node to get here wins and the
-- rest are no-ops, so a node never overwrites stock that others have started selling.
-- KEYS: dataset version, stock pool, order markers, stock lease registry (leases of the old state
-- are void: their nodes start again from nothing on their next renewal). ARGV: version, number of stock pairs, then
-- food id/stock pairs, then user id/order id pairs. Returns 1 if it built, 0 if already built.
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
local stockPairs = tonumber(ARGV[2])
local i = 3
for _ = 1, stockPairs do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i < #ARGV do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
