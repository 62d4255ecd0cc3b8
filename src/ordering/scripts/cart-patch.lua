--! keys: 2
--! include: now-ms
-- Adds ARGV[2] (may be negative) of food ARGV[1] to the cart at KEYS[1], refusing (0) when the
-- cart would then hold more than ARGV[3] items in total; a refused change leaves the cart as it
-- was. The cart is "foodId:count,..." in the order foods first entered it. ARGV[4]: TTL seconds.
-- Either way the result is recorded in the hash KEYS[2] under ARGV[5], the caller's change token,
-- for a minute: a caller that lost this answer can read what happened.
-- ARGV[6]: the caller's deadline, ms since the epoch. A change that reaches Redis later (Redis hung,
-- or the bytes were held on the way) changes nothing and records -1: by then its caller may have
-- answered 503, which must stay true.
local food, delta, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local function done(result)
  redis.call('HSET', KEYS[2], ARGV[5], result)
  redis.call('EXPIRE', KEYS[2], 60)
  return result
end
if now_ms() > tonumber(ARGV[6]) then return done(-1) end
local cart = redis.call('GET', KEYS[1]) or ''
local out, total, seen = {}, 0, false
for id, n in string.gmatch(cart, '(%d+):(%d+)') do
  n = tonumber(n)
  if id == food then
    n = n + delta
    seen = true
  end
  if n > 0 then
    out[#out + 1] = id .. ':' .. n
    total = total + n
  end
end
if not seen and delta > 0 then
  out[#out + 1] = food .. ':' .. delta
  total = total + delta
end
if total > limit then return done(0) end
if #out == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], table.concat(out, ','), 'EX', ARGV[4])
end
return done(1)
