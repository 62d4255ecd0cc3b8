-- Sale flow: pre-logged-in users (one access token per input line), keep-alive. Each user does
-- GET /foods, POST /carts, 2 x PATCH /carts/:id (random food, count 1), POST /orders, then the
-- client moves on to its next user. "orders" counts 200s per second; each is an event "o <id>".
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local foods = tonumber(os.getenv("BENCH_FOODS") or "100")
local tokens, i, token, cart, step = {}, 0, nil, nil, nil

local function next_user()
  i = i + 1
  token, cart, step = tokens[i], nil, "foods"
  if token then stats.used = i end -- users this client started (the rest stay fresh)
end

function init(_)
  tokens = lib.thread_input()
  stats.used = 0
  lib.seed()
  next_user()
end

lib.run({
  next = function()
    if not token then return nil end
    local q = "?access_token=" .. token
    if step == "foods" then return "foods", lib.req("GET", "/foods" .. q) end
    if step == "cart" then return "cart", lib.req("POST", "/carts" .. q) end
    if step == "patch1" or step == "patch2" then
      return "patch", lib.req("PATCH", "/carts/" .. cart .. q, '{"food_id":' .. math.random(foods) .. ',"count":1}')
    end
    return "order", lib.req("POST", "/orders" .. q, '{"cart_id":"' .. cart .. '"}'), true
  end,
  response = function(_, status, body, now)
    if step == "foods" then
      step = "cart"
    elseif step == "cart" then
      cart = lib.ok_string(status, body, "cart_id")
      if cart then step = "patch1" else next_user() end
    elseif step == "patch1" then
      step = "patch2"
    elseif step == "patch2" then
      step = "order"
    else
      local id = lib.ok_string(status, body, "id")
      if id then
        lib.event("o " .. id)
        lib.count("orders", now)
      end
      next_user()
    end
  end,
  drain = function() return lib.req("GET", "/foods?access_token=" .. (token or tokens[#tokens] or "")) end,
})
