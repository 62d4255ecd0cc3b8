-- Set-up, not a measurement: logs in this client's users (input lines "index name password") once
-- each and writes an event "t <index> <token>" per login; then drains until the bench stops wrk.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local users, i = {}, 1
local index, name, password

function init(_)
  users = lib.thread_input()
end

lib.run({
  next = function()
    local line = users[i]
    if not line then return nil end
    index, name, password = line:match("^(%S+)%s+(%S+)%s+(%S+)")
    return "login", lib.req("POST", "/login", '{"username":"' .. name .. '","password":"' .. password .. '"}')
  end,
  response = function(_, status, body)
    local token = lib.ok_string(status, body, "access_token")
    if token then
      lib.event("t " .. index .. " " .. token)
      i = i + 1
    end
    -- a refused login is retried: the bench needs every token
  end,
  drain = function() return lib.req("GET", "/health/live") end,
})
