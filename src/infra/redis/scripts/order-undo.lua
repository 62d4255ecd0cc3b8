--! keys: 2
-- Gives back the stock of an order whose MySQL commit failed. KEYS: stock pool, order markers.
-- ARGV: user id, order id, keep marker ('1' when MySQL already holds another order of the user),
-- then the cart string. Acts only while the marker still names this order, so it never restores
-- twice; returns 1 if it restored, 0 if not.
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
for id, n in string.gmatch(ARGV[4], '(%d+):(%d+)') do redis.call('HINCRBY', KEYS[1], id, tonumber(n)) end
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[2], ARGV[1], 'db')
else
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1
