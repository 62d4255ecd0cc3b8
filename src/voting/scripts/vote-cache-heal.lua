--! keys: 4
--! include: now-ms
-- Ends votes still in flight after ARGV[1] ms: their node died between the Redis step and
-- settling (a commit takes milliseconds). Releases their pending marks and drops their users'
-- cached counts, which may miss a vote that did commit. Should such a vote settle after all, it
-- finds its token gone and drops the counts again (vote-settle.lua), so healing is safe at any age.
-- KEYS: counts, versions, pending, in-flight votes. ARGV: abandon-after ms. Returns votes healed.
local now = now_ms()
local after = tonumber(ARGV[1])
local inflight = redis.call('HGETALL', KEYS[4])
local healed = 0
for i = 1, #inflight, 2 do
  local at, ids = string.match(inflight[i + 1], '^(%d+):(.*)$')
  if at == nil or now - tonumber(at) >= after then
    redis.call('HDEL', KEYS[4], inflight[i])
    for id in string.gmatch(ids or '', '%d+') do
      if redis.call('HINCRBY', KEYS[3], id, -1) <= 0 then redis.call('HDEL', KEYS[3], id) end
      redis.call('HDEL', KEYS[1], id)
      redis.call('HINCRBY', KEYS[2], id, 1)
    end
    healed = healed + 1
  end
end
return healed
