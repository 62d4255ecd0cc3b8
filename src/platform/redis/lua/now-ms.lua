-- Redis' own clock in ms (one clock for every node: no node's wall clock decides anything).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
