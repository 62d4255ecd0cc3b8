-- Baseline H: keep-alive GETs with the same per-request Lua work (timing, recording) as the
-- flows, so the ceiling is measured with exactly the generator the flows use.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local req

lib.run({
  next = function()
    req = req or lib.req("GET", "/foods?access_token=" .. string.rep("x", 64))
    return "hello", req
  end,
  response = function(_, status, _, now)
    if status == 200 then lib.count("ok", now) end
  end,
  drain = function() return req end,
})
