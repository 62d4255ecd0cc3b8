-- The stack's GraphQL floor: keep-alive `{ __typename }`, which no resolver answers. What any
-- GraphQL call costs in this stack (Fastify, mercurius, graphql-jit) before a resolver runs.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local req

lib.run({
  next = function()
    req = req or lib.req("POST", "/graphql", '{"query":"{ __typename }"}')
    return "typename", req
  end,
  response = function(_, status, body, now)
    if status == 200 and body:find('"__typename"', 1, true) then lib.count("ok", now) end
  end,
  drain = function() return req end,
})
