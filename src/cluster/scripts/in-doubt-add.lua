--! keys: 1
-- Records an operation of an owner (a node, a stock lease) answered SERVICE_UNAVAILABLE while its
-- outcome was unknown, unless the owner's successor has closed the record (in-doubt-close.lua):
-- then nobody would read it, and the caller settles the operation itself.
-- KEYS: the owner's record (hash id -> payload). ARGV: id, payload.
-- Returns 1 if recorded, 0 if the record is closed.
if redis.call('HEXISTS', KEYS[1], '#closed') == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
