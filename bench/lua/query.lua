-- Cached queries: keep-alive `query(username)` over this client's names (one per line), which
-- the bench has queried once before the run. "ok" counts answers holding a count, per second.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local names = {}

function init(_)
  names = lib.thread_input()
  lib.seed()
end

lib.run({
  next = function()
    if #names == 0 then return nil end
    local body = '{"query":"query($u:String!){query(username:$u)}","variables":{"u":"' .. names[math.random(#names)] .. '"}}'
    return "query", lib.req("POST", "/graphql", body)
  end,
  response = function(_, status, body, now)
    if status == 200 and body:find('"query"%s*:%s*%d') then lib.count("ok", now) end
  end,
  drain = function() return lib.req("POST", "/graphql", '{"query":"{cas}"}') end,
})
