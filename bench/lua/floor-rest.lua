-- The stack's REST floor: keep-alive GET /foods with a valid token. The app's cheapest route: the
-- token check and a body serialised in the background, no round trip. What any REST route costs
-- in this stack (Fastify, Nest's router, a guard) before it does any work of its own.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local req

function init(_)
  req = lib.req("GET", "/foods?access_token=" .. lib.thread_input()[1])
end

lib.run({
  next = function() return "foods", req end,
  response = function(_, status, _, now)
    if status == 200 then lib.count("ok", now) end
  end,
  drain = function() return req end,
})
