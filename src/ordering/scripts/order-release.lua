--! keys: 4
-- Gives back the stock of an order that will not commit: its commit failed, or its node died
-- before committing and the order was voided in MySQL. KEYS: stock pool, order markers, pending
-- orders of the node that took it, orders refused in doubt. ARGV: order id, keep marker ('1' when
-- MySQL holds another order of the user, so the user has ordered after all).
-- The pending entry ("userId|cart") is the proof the stock is still held; it goes with the
-- release, so a second release (or a release racing a reconciler) gives nothing back twice.
-- A released order is settled for good, so its refused-in-doubt flag goes in the same step: as a
-- separate command after the release, a failure between the two left the flag behind forever.
-- Returns 1 if it gave stock back, 0 if the order was no longer pending.
redis.call('SREM', KEYS[4], ARGV[1])
local entry = redis.call('HGET', KEYS[3], ARGV[1])
if not entry then return 0 end
local user, cart = string.match(entry, '^(%d+)|(.*)$')
for food, n in string.gmatch(cart, '(%d+):(%d+)') do redis.call('HINCRBY', KEYS[1], food, tonumber(n)) end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[2], user, 'db')
elseif redis.call('HGET', KEYS[2], user) == ARGV[1] then
  redis.call('HDEL', KEYS[2], user)
end
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
