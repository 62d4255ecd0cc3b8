--! keys: 5
--! include: now-ms
-- Grants a node an allowance of uses of a ticket: the ticket is the one in force (or the previous
-- one within its grace) and has uses left. Allowances of one ticket never add up to more than its
-- cap. KEYS: ticket, uses, previous ticket, previous uses, rotation hash.
-- ARGV: ticket, uses wanted (>= 0), max uses, rotation interval ms.
-- Returns {'OK', granted, valid for ms, 1 if in force else 0} | {'TICKET_EXHAUSTED', 0, valid for
-- ms, in force} | {'TICKET_INVALID'}. "Valid for" is how long, on Redis' clock, the ticket surely
-- stays valid: a ticket in force until one interval after its rotation (no rotation can come
-- sooner: ticket-rotate.lua), the previous one until its grace ends; 0 once that time has passed
-- (a late rotation). A node accepts the ticket from memory only within that time.
local ticket = ARGV[1]
local uses, valid, current
local now = now_ms()
if ticket == '' then
  return {'TICKET_INVALID'}
elseif redis.call('GET', KEYS[1]) == ticket then
  uses, current = KEYS[2], 1
  local at = tonumber(redis.call('HGET', KEYS[5], 'at') or now)
  valid = at + tonumber(ARGV[4]) - now
elseif redis.call('GET', KEYS[3]) == ticket and redis.call('EXISTS', KEYS[4]) == 1 then
  uses, current = KEYS[4], 0
  valid = redis.call('PTTL', KEYS[4])
else
  return {'TICKET_INVALID'}
end
if valid < 0 then valid = 0 end
local left = tonumber(ARGV[3]) - tonumber(redis.call('GET', uses) or '0')
if left <= 0 then return {'TICKET_EXHAUSTED', 0, valid, current} end
local granted = math.min(tonumber(ARGV[2]), left)
if granted > 0 then redis.call('INCRBY', uses, granted) end
return {'OK', granted, valid, current}
