--! keys: 7
--! include: now-ms
-- Writes a new ticket, fenced: only the current leader term may, never an older epoch than the
-- last writer's, and never sooner than one interval after the previous rotation by Redis' own
-- clock (one clock for the whole cluster, so failovers cannot squeeze in a second ticket).
-- KEYS: leader lease, ticket, uses, previous ticket, previous uses, rotation hash, rotation log.
-- ARGV: owner token "<node>:<epoch>", epoch, new ticket, interval ms, grace ms, node id.
-- Returns {'OK', at} | {'FENCED'} | {'TOO_SOON', ms to wait}.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'FENCED'} end
local epoch = tonumber(ARGV[2])
local last = redis.call('HMGET', KEYS[6], 'epoch', 'at')
if last[1] and tonumber(last[1]) > epoch then return {'FENCED'} end
local now = now_ms()
if last[2] then
  local wait = tonumber(last[2]) + tonumber(ARGV[4]) - now
  if wait > 0 then return {'TOO_SOON', wait} end
end
local old = redis.call('GET', KEYS[2])
local grace = tonumber(ARGV[5])
if old and grace > 0 then
  -- The replaced ticket keeps its use count, so the cap still holds across the grace.
  redis.call('SET', KEYS[4], old, 'PX', grace)
  redis.call('SET', KEYS[5], redis.call('GET', KEYS[3]) or '0', 'PX', grace)
else
  redis.call('DEL', KEYS[4], KEYS[5])
end
-- No TTL: the ticket is valid until the next rotation replaces it, leader failover included.
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[3], '0')
redis.call('HSET', KEYS[6], 'epoch', epoch, 'at', now, 'by', ARGV[6])
redis.call('LPUSH', KEYS[7], now .. ' ' .. epoch .. ' ' .. ARGV[6])
redis.call('LTRIM', KEYS[7], 0, 99)
return {'OK', now}
