--! keys: 3
--! include: now-ms
-- Gives a whole lease back to the pool: its unsold units (leased - sold) return, the lease and its
-- registry entry go. KEYS: stock pool, lease registry, the lease hash. ARGV: node id, mode:
-- 'own' (a node stopping, unconditionally) or 'expired' (reclaiming another node's lease, only if
-- its expiry has passed on Redis' clock, so a live node's lease is never taken by mistake).
-- Returns the number of units returned, or -1 if the lease was not expired.
if ARGV[2] == 'expired' then
  local expiry = redis.call('ZSCORE', KEYS[2], ARGV[1])
  local now = now_ms()
  if expiry and tonumber(expiry) >= now then return -1 end
end
local returned = 0
for _, field in ipairs(redis.call('HKEYS', KEYS[3])) do
  if string.sub(field, 1, 2) == 'l:' then
    local food = string.sub(field, 3)
    local left = tonumber(redis.call('HGET', KEYS[3], field)) - tonumber(redis.call('HGET', KEYS[3], 's:' .. food) or '0')
    if left > 0 then
      redis.call('HINCRBY', KEYS[1], food, left)
      returned = returned + left
    end
  end
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return returned
