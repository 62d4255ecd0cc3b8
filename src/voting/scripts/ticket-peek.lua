--! keys: 2
--! include: now-ms
-- The ticket in force and how long, on Redis' clock, it surely stays so: until one interval after
-- its rotation (no rotation can come sooner: ticket-rotate.lua); 0 once that has passed.
-- KEYS: ticket, rotation hash. ARGV: rotation interval ms. Returns {ticket or false, valid for ms}.
local ticket = redis.call('GET', KEYS[1])
if not ticket then return {false, 0} end
local now = now_ms()
local valid = tonumber(redis.call('HGET', KEYS[2], 'at') or now) + tonumber(ARGV[1]) - now
if valid < 0 then valid = 0 end
return {ticket, valid}
