-- Votes: each client loops `vote` for BENCH_K distinct random names of its input (one name per
-- line), refreshing the ticket with `cas` when a vote is refused for the ticket (TICKET_INVALID,
-- TICKET_EXHAUSTED, or the seed's "ticket 失效"). "votes" counts acknowledged calls per second;
-- every acknowledged call is an event line "v <name>...", for the audit.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local k = tonumber(os.getenv("BENCH_K") or "1")
local VOTE = 'mutation($u:[String!]!,$t:String!){vote(usernames:$u,ticket:$t)}'
local CAS = '{"query":"{cas}"}'
local names, ticket, picked = {}, nil, {}

function init(_)
  names = lib.thread_input()
  lib.seed()
end

local function cas_request()
  return lib.req("POST", "/graphql", CAS)
end

local function pick()
  picked = {}
  local seen = {}
  while #picked < k and #picked < #names do
    local n = names[math.random(#names)]
    if not seen[n] then
      seen[n] = true
      picked[#picked + 1] = n
    end
  end
  return '["' .. table.concat(picked, '","') .. '"]'
end

lib.run({
  next = function()
    if #names == 0 then return nil end
    if not ticket then return "cas", cas_request() end
    local body = '{"query":"' .. VOTE .. '","variables":{"u":' .. pick() .. ',"t":"' .. ticket .. '"}}'
    return "vote", lib.req("POST", "/graphql", body), true
  end,
  response = function(name, status, body, now)
    if name == "cas" then
      ticket = body:match('"cas"%s*:%s*"([^"]+)"')
      return
    end
    if status == 200 and body:find('"vote"%s*:%s*"成功"') then
      lib.event("v " .. table.concat(picked, " "))
      lib.count("votes", now)
    elseif body:find("TICKET_INVALID", 1, true) or body:find("TICKET_EXHAUSTED", 1, true) or body:find("ticket 失效", 1, true) then
      ticket = nil
      lib.count("stale", now)
    else
      local s = stats.steps.vote
      local err = lib.error_code(body) or (body:match('"vote"%s*:%s*"([^"]*)"') and "REFUSED") or "OTHER"
      s.errors[err] = (s.errors[err] or 0) + 1
    end
  end,
  drain = cas_request,
})
