-- Logins per second: keep-alive POST /login over this client's users ("name password" lines),
-- round and round (a login changes nothing, so users may repeat). "logins" counts 200s.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local users, i = {}, 0

function init(_)
  users = lib.thread_input()
end

lib.run({
  next = function()
    if #users == 0 then return nil end
    i = i % #users + 1
    local name, password = lib.split(users[i])
    return "login", lib.req("POST", "/login", '{"username":"' .. name .. '","password":"' .. password .. '"}')
  end,
  response = function(_, status, _, now)
    if status == 200 then lib.count("logins", now) end
  end,
  drain = function() return lib.req("GET", "/health/live") end,
})
