--! keys: 4
-- Gives unspent uses of a ticket back (recalled, a failed vote, a node stopping), if the ticket is
-- still in force or in its grace; a dead ticket's uses die with it. Never below zero.
-- KEYS: ticket, uses, previous ticket, previous uses. ARGV: ticket, uses given back.
-- Returns the uses taken back.
local uses
if ARGV[1] == '' then
  return 0
elseif redis.call('GET', KEYS[1]) == ARGV[1] then
  uses = KEYS[2]
elseif redis.call('GET', KEYS[3]) == ARGV[1] and redis.call('EXISTS', KEYS[4]) == 1 then
  uses = KEYS[4]
else
  return 0
end
local back = math.min(tonumber(ARGV[2]), tonumber(redis.call('GET', uses) or '0'))
if back > 0 then redis.call('DECRBY', uses, back) end
return back
