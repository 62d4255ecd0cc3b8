--! keys: 1+
-- Ends users' votes of a commit group after the group's MySQL commit (all with the same outcome).
-- KEYS: the users' votes hashes (one per call on a cluster). ARGV: outcome, then for each key in
-- order: how many of its votes the group holds, then their tokens.
--   committed: add each vote to the cached count, if one exists;
--   failed:    nothing was written;
--   reverted:  written, then taken back (its client was told it failed): drop the cached count
--              (a query may have filled it from MySQL while the group was still in it).
-- A token no longer marked was healed as abandoned (vote-cache-fill.lua) or already settled (a
-- resent command): the user's marks no longer covered it, so a fill may have read MySQL before
-- this commit; the cached count is dropped rather than incremented. Returns the votes still marked.
local outcome = ARGV[1]
local total = 0
local i = 2
for _, key in ipairs(KEYS) do
  local settled, unmarked = 0, 0
  local last = i + tonumber(ARGV[i])
  for j = i + 1, last do
    if redis.call('HDEL', key, 'f:' .. ARGV[j]) == 1 then
      settled = settled + 1
    else
      unmarked = unmarked + 1
    end
  end
  i = last + 1
  if settled > 0 and redis.call('HINCRBY', key, 'p', -settled) <= 0 then redis.call('HDEL', key, 'p') end
  if outcome == 'reverted' or (outcome == 'committed' and unmarked > 0) then
    redis.call('HDEL', key, 'c')
  elseif outcome == 'committed' and redis.call('HEXISTS', key, 'c') == 1 then
    redis.call('HINCRBY', key, 'c', settled)
  end
  redis.call('HINCRBY', key, 'v', 1)
  total = total + settled
end
return total
