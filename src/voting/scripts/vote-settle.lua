--! keys: 8
-- Ends a group of votes after their MySQL commit (one call per commit group, all with the same
-- outcome). KEYS: counts, versions, pending, in-flight votes, ticket, uses, previous ticket,
-- previous uses. ARGV: outcome, then per vote: its token, its ticket, n, and its n user ids.
--   committed: add the vote to each cached count that exists;
--   failed:    nothing was written: give the ticket use back (if its counter still exists);
--   reverted:  written, then taken back (its client was told it failed): as failed, and drop the
--              cached counts (once the heal job has ended a vote, a query may fill its users'
--              counts from MySQL while the group is still in it).
-- A token no longer in flight was healed as abandoned (vote-cache-heal.lua) or already settled
-- (a resent command): its pending marks are gone, so a fill may have read MySQL before this
-- commit; its cached counts are dropped rather than incremented. Returns how many votes were
-- still in flight (the others were such tokens).
local outcome = ARGV[1]
local settled = 0
local i = 2
while i <= #ARGV do
  local token, ticket = ARGV[i], ARGV[i + 1]
  local first = i + 3
  local last = i + 2 + tonumber(ARGV[i + 2])
  i = last + 1
  if redis.call('HDEL', KEYS[4], token) == 0 then
    if outcome ~= 'failed' then
      for j = first, last do
        redis.call('HDEL', KEYS[1], ARGV[j])
        redis.call('HINCRBY', KEYS[2], ARGV[j], 1)
      end
    end
  else
    settled = settled + 1
    for j = first, last do
      local id = ARGV[j]
      if redis.call('HINCRBY', KEYS[3], id, -1) <= 0 then redis.call('HDEL', KEYS[3], id) end
      if outcome == 'committed' then
        if redis.call('HEXISTS', KEYS[1], id) == 1 then redis.call('HINCRBY', KEYS[1], id, 1) end
      elseif outcome == 'reverted' then
        redis.call('HDEL', KEYS[1], id)
      end
      redis.call('HINCRBY', KEYS[2], id, 1)
    end
    if outcome ~= 'committed' then
      local uses
      if redis.call('GET', KEYS[5]) == ticket then
        uses = KEYS[6]
      elseif redis.call('GET', KEYS[7]) == ticket then
        uses = KEYS[8]
      end
      if uses and tonumber(redis.call('GET', uses) or '0') > 0 then redis.call('DECR', uses) end
    end
  end
end
return settled
