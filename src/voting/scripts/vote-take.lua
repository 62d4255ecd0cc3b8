--! keys: 7
--! include: now-ms
-- The vote's one atomic Redis step: the ticket is the one in force (or the previous one within
-- its grace), it has a use left; take the use, and mark each user as having a vote in flight (a
-- cache fill must not land until it settles; see vote-cache-fill.lua).
-- KEYS: ticket, uses, previous ticket, previous uses, versions, pending, in-flight votes.
-- ARGV: vote token, ticket, max uses, then the user ids.
-- Returns {'OK'} | {'TICKET_INVALID'} | {'TICKET_EXHAUSTED'}; a refusal changes nothing. A token
-- already in flight is answered OK again and changes nothing: the client may resend a command
-- whose reply it lost to a reconnect.
if redis.call('HEXISTS', KEYS[7], ARGV[1]) == 1 then return {'OK'} end
local ticket = ARGV[2]
local uses
if ticket == '' then
  return {'TICKET_INVALID'}
elseif redis.call('GET', KEYS[1]) == ticket then
  uses = KEYS[2]
elseif redis.call('GET', KEYS[3]) == ticket and redis.call('EXISTS', KEYS[4]) == 1 then
  uses = KEYS[4]
else
  return {'TICKET_INVALID'}
end
if tonumber(redis.call('GET', uses) or '0') >= tonumber(ARGV[3]) then return {'TICKET_EXHAUSTED'} end
redis.call('INCR', uses)
local ids = {}
for i = 4, #ARGV do
  redis.call('HINCRBY', KEYS[5], ARGV[i], 1)
  redis.call('HINCRBY', KEYS[6], ARGV[i], 1)
  ids[#ids + 1] = ARGV[i]
end
local now = now_ms()
redis.call('HSET', KEYS[7], ARGV[1], now .. ':' .. table.concat(ids, ','))
return {'OK'}
