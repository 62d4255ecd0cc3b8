--! keys: 4
-- Places an order in one atomic step: one order per user and all-or-nothing stock, decided
-- together. KEYS: dataset version, stock pool, order markers, cart.
-- ARGV: dataset version the caller loaded, user id, new order id.
-- Returns {'OK', cart} or {reason}; on any refusal nothing was changed.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'NOT_READY'} end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then return {'ORDER_OUT_OF_LIMIT'} end
local cart = redis.call('GET', KEYS[4])
if not cart or cart == '' then return {'EMPTY_CART'} end
local ids, counts = {}, {}
for id, n in string.gmatch(cart, '(%d+):(%d+)') do
  ids[#ids + 1] = id
  counts[#counts + 1] = tonumber(n)
end
for i = 1, #ids do
  if tonumber(redis.call('HGET', KEYS[2], ids[i]) or '0') < counts[i] then return {'FOOD_OUT_OF_STOCK'} end
end
for i = 1, #ids do redis.call('HINCRBY', KEYS[2], ids[i], -counts[i]) end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('DEL', KEYS[4])
return {'OK', cart}
