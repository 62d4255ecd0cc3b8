--! keys: 1
-- Ends one user's votes of a commit group after the group's MySQL commit (all with the same
-- outcome). KEYS: the user's votes hash. ARGV: outcome, then the vote tokens.
--   committed: add each vote to the cached count, if one exists;
--   failed:    nothing was written;
--   reverted:  written, then taken back (its client was told it failed): drop the cached count
--              (a query may have filled it from MySQL while the group was still in it).
-- A token no longer marked was healed as abandoned (vote-cache-fill.lua) or already settled (a
-- resent command): the user's marks no longer covered it, so a fill may have read MySQL before
-- this commit; the cached count is dropped rather than incremented. Returns the votes still marked.
local key, outcome = KEYS[1], ARGV[1]
local settled, unmarked = 0, 0
for i = 2, #ARGV do
  if redis.call('HDEL', key, 'f:' .. ARGV[i]) == 1 then
    settled = settled + 1
  else
    unmarked = unmarked + 1
  end
end
if settled > 0 and redis.call('HINCRBY', key, 'p', -settled) <= 0 then redis.call('HDEL', key, 'p') end
if outcome == 'reverted' or (outcome == 'committed' and unmarked > 0) then
  redis.call('HDEL', key, 'c')
elseif outcome == 'committed' and redis.call('HEXISTS', key, 'c') == 1 then
  redis.call('HINCRBY', key, 'c', settled)
end
redis.call('HINCRBY', key, 'v', 1)
return settled
