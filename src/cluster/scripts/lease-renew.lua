--! keys: 3
--! include: now-ms
-- Heartbeat of a node's stock lease, with its top-ups and give-backs in the same step.
-- KEYS: stock pool, lease registry (zset node -> expiry ms), this node's lease hash
--       (`l:<food>` units leased, `s:<food>` units sold from them).
-- ARGV: node id, lease TTL ms, then food id / change pairs (+ take from pool, - give back).
-- A lease that expired before this renewal is void: its unsold units go back to the pool first and
-- the node starts again from nothing, exactly as if another node had reclaimed it.
-- Expiry is measured on Redis' clock alone: no node's wall clock decides anything.
-- Returns {lease hash, pool hash}, both flattened.
local now = now_ms()

local function unsold(food)
  return tonumber(redis.call('HGET', KEYS[3], 'l:' .. food) or '0') - tonumber(redis.call('HGET', KEYS[3], 's:' .. food) or '0')
end

local expiry = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not expiry then
  -- Not registered: a new node, a lease reclaimed by another node, or ordering state rebuilt from
  -- MySQL. Whatever hash is left is not stock any more.
  redis.call('DEL', KEYS[3])
elseif tonumber(expiry) < now then
  local fields = redis.call('HKEYS', KEYS[3])
  for _, field in ipairs(fields) do
    if string.sub(field, 1, 2) == 'l:' then
      local food = string.sub(field, 3)
      local left = unsold(food)
      if left > 0 then redis.call('HINCRBY', KEYS[1], food, left) end
    end
  end
  redis.call('DEL', KEYS[3])
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])

for i = 3, #ARGV, 2 do
  local food, change = ARGV[i], tonumber(ARGV[i + 1])
  if change > 0 then
    local take = math.min(change, tonumber(redis.call('HGET', KEYS[1], food) or '0'))
    if take > 0 then
      redis.call('HINCRBY', KEYS[1], food, -take)
      redis.call('HINCRBY', KEYS[3], 'l:' .. food, take)
    end
  elseif change < 0 then
    local give = math.min(-change, unsold(food))
    if give > 0 then
      redis.call('HINCRBY', KEYS[3], 'l:' .. food, -give)
      redis.call('HINCRBY', KEYS[1], food, give)
    end
  end
end
return {redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[1])}
