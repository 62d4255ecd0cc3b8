--! keys: 1
-- One node's exchange with a food's stock: report the units its lease has taken, and take more
-- from the pool (a top-up) or give some back, in one step on the food's slot.
-- KEYS: the food's stock hash (`pool`, `gen`, `g:<lease>` granted, `s:<lease>` taken).
-- ARGV: lease id, generation the lease was granted under, the grant the node believes it holds
--       (-1 when it lost an answer and does not know), change (+ take, - give back), units taken.
-- A grant is never more than the pool holds, and a give-back never returns a unit taken. Only the
-- lease's node writes its `g:`; a reclaim writes -1 there, after which the lease gets nothing.
-- Returns {status, grant, pool, units held unsold by the other live leases}:
--   OK (applied), STALE (the node's belief was wrong: nothing applied, here is the grant), or
--   {'REVOKED'}, {'NOT_READY'} (no stock here: Redis lost it), {'STALE_GENERATION'}.
local stock = KEYS[1]
local gen = redis.call('HGET', stock, 'gen')
if not gen then return {'NOT_READY'} end
if gen ~= ARGV[2] then return {'STALE_GENERATION'} end
local grantField = 'g:' .. ARGV[1]
local grant = tonumber(redis.call('HGET', stock, grantField) or '0')
if grant < 0 then return {'REVOKED'} end
local pool = tonumber(redis.call('HGET', stock, 'pool') or '0')
local taken = tonumber(ARGV[5])

local function othersUnsold()
  local sum = 0
  local fields = redis.call('HGETALL', stock)
  local grants, takes = {}, {}
  for i = 1, #fields, 2 do
    local kind, lease = string.sub(fields[i], 1, 2), string.sub(fields[i], 3)
    if lease ~= ARGV[1] then
      if kind == 'g:' then grants[lease] = tonumber(fields[i + 1])
      elseif kind == 's:' then takes[lease] = tonumber(fields[i + 1]) end
    end
  end
  for lease, g in pairs(grants) do
    if g > 0 then sum = sum + math.max(0, g - (takes[lease] or 0)) end
  end
  return sum
end

if grant ~= tonumber(ARGV[3]) then return {'STALE', grant, pool, othersUnsold()} end
local change = tonumber(ARGV[4])
if change > 0 then
  change = math.min(change, pool)
elseif change < 0 then
  change = -math.min(-change, math.max(0, grant - taken))
end
if change ~= 0 then
  pool = pool - change
  grant = grant + change
  redis.call('HSET', stock, 'pool', pool, grantField, grant)
end
redis.call('HSET', stock, 's:' .. ARGV[1], taken)
return {'OK', grant, pool, othersUnsold()}
