-- One contest route on its own, keep-alive, for its server CPU per request (bench/scenarios/
-- routes.mjs). BENCH_ROUTE: foods (GET /foods), cart (POST /carts), patch (PATCH /carts/:id:
-- +1 then -1 of one food on a cart of this client's own, made first, so the cart stays within
-- the limit and every answer is a 204), login (POST /login, the users round and round from an
-- offset per client). Input lines (the same for every client): an access token, then
-- "name password" lines. Except order (POST /orders): lines "token cart_id" of users who have
-- not ordered, each client its own, each used once (the client ends when they run out), with
-- an event "o <id>" per acknowledged order for the audit. The
-- contest's form: token as ?access_token=, a JSON body on every request. "ok" counts 2xx answers.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local route = os.getenv("BENCH_ROUTE") or "foods"
local foods = tonumber(os.getenv("BENCH_FOODS") or "100")
local q, users, i, cart, food, delta = nil, {}, 0, nil, 1, 1

function init(_)
  local lines = lib.thread_input()
  if route == "order" then
    users = lines
    return
  end
  q = "?access_token=" .. lines[1]
  for n = 2, #lines do users[#users + 1] = lines[n] end
  i = tid % math.max(1, #users)
  food = tid % foods + 1
end

lib.run({
  next = function()
    if route == "order" then
      i = i + 1
      if not users[i] then return nil end
      local token, id = lib.split(users[i])
      return "order", lib.req("POST", "/orders?access_token=" .. token, '{"cart_id":"' .. id .. '"}'), true
    end
    if route == "foods" then return "foods", lib.req("GET", "/foods" .. q, "{}") end
    if route == "cart" or (route == "patch" and not cart) then
      return route == "cart" and "cart" or "setup", lib.req("POST", "/carts" .. q, "{}")
    end
    if route == "patch" then
      return "patch", lib.req("PATCH", "/carts/" .. cart .. q, '{"food_id":' .. food .. ',"count":' .. delta .. '}')
    end
    i = i % #users + 1
    local name, password = lib.split(users[i])
    return "login", lib.req("POST", "/login", '{"username":"' .. name .. '","password":"' .. password .. '"}')
  end,
  response = function(step, status, body, now)
    if step == "setup" then
      cart = lib.ok_string(status, body, "cart_id")
      return
    end
    if step == "patch" and status == 204 then delta = -delta end
    if step == "order" then
      local id = lib.ok_string(status, body, "id")
      if id then lib.event("o " .. id) end
    end
    if status < 300 then lib.count("ok", now) end
  end,
  drain = function() return lib.req("GET", "/health/live") end,
})
