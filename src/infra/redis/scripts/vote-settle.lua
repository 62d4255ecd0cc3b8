--! keys: 8
-- Ends a vote after its MySQL commit. KEYS: counts, versions, pending, in-flight votes, ticket,
-- uses, previous ticket, previous uses. ARGV: vote token, outcome, ticket, then the user ids.
--   committed: add the vote to each cached count that exists;
--   failed:    nothing was written: give the ticket use back (if its counter still exists);
--   in-doubt:  drop the cached counts (the next query reads MySQL); the use stays taken.
-- A token no longer in flight was healed as abandoned (vote-cache-heal.lua) or already settled
-- (a resent command): its pending marks are gone, so a fill may have read MySQL before this
-- commit; its cached counts are dropped rather than incremented. Returns 1, or 0 for such a token.
local outcome = ARGV[2]
if redis.call('HDEL', KEYS[4], ARGV[1]) == 0 then
  if outcome ~= 'failed' then
    for i = 4, #ARGV do
      redis.call('HDEL', KEYS[1], ARGV[i])
      redis.call('HINCRBY', KEYS[2], ARGV[i], 1)
    end
  end
  return 0
end
for i = 4, #ARGV do
  local id = ARGV[i]
  if redis.call('HINCRBY', KEYS[3], id, -1) <= 0 then redis.call('HDEL', KEYS[3], id) end
  if outcome == 'committed' then
    if redis.call('HEXISTS', KEYS[1], id) == 1 then redis.call('HINCRBY', KEYS[1], id, 1) end
  elseif outcome == 'in-doubt' then
    redis.call('HDEL', KEYS[1], id)
  end
  redis.call('HINCRBY', KEYS[2], id, 1)
end
if outcome == 'failed' then
  local uses
  if redis.call('GET', KEYS[5]) == ARGV[3] then
    uses = KEYS[6]
  elseif redis.call('GET', KEYS[7]) == ARGV[3] then
    uses = KEYS[8]
  end
  if uses and tonumber(redis.call('GET', uses) or '0') > 0 then redis.call('DECR', uses) end
end
return 1
