--! keys: 9+
--! include: now-ms
-- Places an order in one atomic step: one order per user and all-or-nothing stock, decided
-- together, with every unit's source recorded in the same step as the order marker.
-- KEYS: dataset version, stock pool, order markers, cart, lease registry, this node's lease, this
--       node's pending orders, the set of nodes with pending orders, the state's generation, then
--       (on a retry only) the other nodes' leases.
-- ARGV: dataset version the caller loaded, user id, new order id, node id.
-- Units come from this node's lease while it is valid (recorded as sold: `s:<food>`), then from
-- the pool, then, when the caller passes them, from other nodes' leases (a recall: their `l:<food>`
-- shrinks), so the last unit of a food can be bought through any node.
-- Returns {'OK', cart, generation} (the commit carries the generation: MySQL refuses it once a
-- rebuild has replaced this state), {'RETRY_WITH_LEASES'} when only other leases could still cover
-- the cart and the caller did not pass them, or {reason}; on anything but OK nothing was changed.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'NOT_READY'} end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then return {'ORDER_OUT_OF_LIMIT'} end
local cart = redis.call('GET', KEYS[4])
if not cart or cart == '' then return {'EMPTY_CART'} end

local now = now_ms()
local expiry = redis.call('ZSCORE', KEYS[5], ARGV[4])
local ownValid = expiry and tonumber(expiry) >= now

local function unsold(lease, food)
  return tonumber(redis.call('HGET', lease, 'l:' .. food) or '0') - tonumber(redis.call('HGET', lease, 's:' .. food) or '0')
end

-- Plan every item first; apply only if all of them are covered.
local plan = {}
for food, n in string.gmatch(cart, '(%d+):(%d+)') do
  local need = tonumber(n)
  local step = {food = food, own = 0, pool = 0, others = {}}
  if ownValid then
    step.own = math.max(0, math.min(need, unsold(KEYS[6], food)))
    need = need - step.own
  end
  if need > 0 then
    step.pool = math.max(0, math.min(need, tonumber(redis.call('HGET', KEYS[2], food) or '0')))
    need = need - step.pool
  end
  for k = 10, #KEYS do
    if need == 0 then break end
    local take = math.max(0, math.min(need, unsold(KEYS[k], food)))
    if take > 0 then
      step.others[#step.others + 1] = {KEYS[k], take}
      need = need - take
    end
  end
  if need > 0 then
    if #KEYS == 9 and redis.call('ZCARD', KEYS[5]) > (ownValid and 1 or 0) then return {'RETRY_WITH_LEASES'} end
    return {'FOOD_OUT_OF_STOCK'}
  end
  plan[#plan + 1] = step
end

for _, step in ipairs(plan) do
  if step.own > 0 then redis.call('HINCRBY', KEYS[6], 's:' .. step.food, step.own) end
  if step.pool > 0 then redis.call('HINCRBY', KEYS[2], step.food, -step.pool) end
  for _, other in ipairs(step.others) do redis.call('HINCRBY', other[1], 'l:' .. step.food, -other[2]) end
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
-- Pending until the node sees its commit: if the node dies first, whoever reconciles its orders
-- finds here what to give back.
redis.call('HSET', KEYS[7], ARGV[3], ARGV[2] .. '|' .. cart)
redis.call('SADD', KEYS[8], ARGV[4])
return {'OK', cart, redis.call('GET', KEYS[9]) or '0'}
