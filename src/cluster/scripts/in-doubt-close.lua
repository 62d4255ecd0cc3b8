--! keys: 1
-- For whoever takes over from a dead owner: its operations in doubt, read in the same step as the
-- record is closed to later additions, so none is added unseen by a paused owner that comes back.
-- The entries stay until each is settled (a successor that dies half-way leaves them to the next);
-- the closed record expires a day after its last close. Safe to repeat.
-- KEYS: the owner's record. Returns a flat list id, payload, ...
redis.call('HSET', KEYS[1], '#closed', '1')
redis.call('PEXPIRE', KEYS[1], 86400000)
local out = {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] ~= '#closed' then
    out[#out + 1] = fields[i]
    out[#out + 1] = fields[i + 1]
  end
end
return out
