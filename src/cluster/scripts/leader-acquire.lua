--! keys: 2
-- Takes the leader lease under a new fencing epoch if nobody holds it, or if only an earlier
-- term of this same node does (it stepped down on its own clock, e.g. after a stall, while the
-- key had not expired yet: no other node is waiting on it, and the new epoch fences the old term).
-- KEYS: lease, epoch counter. ARGV: node id, TTL (ms).
-- Returns the new epoch, or 0 when another node holds the lease.
-- The epoch is part of the lease's value ("<node>:<epoch>"), so a renewal or a fenced write by a
-- deposed term never matches a later one, even of the same node.
local holder = redis.call('GET', KEYS[1])
if holder and string.sub(holder, 1, #ARGV[1] + 1) ~= ARGV[1] .. ':' then return 0 end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. epoch, 'PX', ARGV[2])
return epoch
