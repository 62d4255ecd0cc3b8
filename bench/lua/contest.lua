-- The 2015 contest's procedure: per order POST /login, GET /foods, POST /carts, 2 x PATCH,
-- POST /orders; the token as ?access_token=, body {} on every request; a new connection per
-- order (Connection: close on POST /orders, wrk reconnects); each user (input line
-- "name password", a disjoint slice per client) used once. "orders" counts 200s per second
-- (events "o <id>"), "failed" the users whose flow failed at some step; step "flow" is the time
-- from the login to the order's answer.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local foods = tonumber(os.getenv("BENCH_FOODS") or "100")
local CLOSE = "Connection: close\r\n"
local users, i = {}, 0
local name, password, token, cart, step, started

local function next_user()
  i = i + 1
  name, password = nil, nil
  if users[i] then name, password = lib.split(users[i]) end
  token, cart, step, started = nil, nil, "login", nil
end

function init(_)
  users = lib.thread_input()
  lib.seed()
  next_user()
end

local function with_token(method, path, body, headers)
  return lib.req(method, path .. "?access_token=" .. token, body or "{}", headers)
end

lib.run({
  next = function(now)
    if not name then return nil end
    if step == "login" then
      started = started or now
      return "login", lib.req("POST", "/login", '{"username":"' .. name .. '","password":"' .. password .. '"}')
    end
    if step == "foods" then return "foods", with_token("GET", "/foods") end
    if step == "cart" then return "cart", with_token("POST", "/carts") end
    if step == "patch1" or step == "patch2" then
      return "patch", with_token("PATCH", "/carts/" .. cart, '{"food_id":' .. math.random(foods) .. ',"count":1}')
    end
    return "order", with_token("POST", "/orders", '{"cart_id":"' .. cart .. '"}', CLOSE), true
  end,
  response = function(_, status, body, now)
    if step == "login" then
      token = lib.ok_string(status, body, "access_token")
      if token then
        step = "foods"
      else
        lib.count("failed", now)
        next_user()
      end
    elseif step == "foods" then
      step = "cart"
    elseif step == "cart" then
      cart = lib.ok_string(status, body, "cart_id")
      if cart then
        step = "patch1"
      else
        lib.count("failed", now)
        next_user()
      end
    elseif step == "patch1" then
      step = "patch2"
    elseif step == "patch2" then
      step = "order"
    else
      local id = lib.ok_string(status, body, "id")
      if id then
        lib.event("o " .. id)
        lib.count("orders", now)
        lib.latency("flow", now - started, now)
      else
        lib.count("failed", now)
      end
      next_user()
    end
  end,
  drain = function() return lib.req("GET", "/health/live") end,
})
