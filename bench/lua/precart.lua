-- Set-up, not a measurement: for each input line "index token food" of this client, a new cart
-- (POST /carts) holding one unit of that food (PATCH), then an event "t <index> <cart id>"; then
-- drains until the bench stops wrk. A refused step is tried again: the bench needs every cart.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local lines, i = {}, 1
local index, token, food, cart

function init(_)
  lines = lib.thread_input()
end

lib.run({
  next = function()
    local line = lines[i]
    if not line then return nil end
    index, token, food = line:match("^(%S+)%s+(%S+)%s+(%S+)")
    local q = "?access_token=" .. token
    if not cart then return "cart", lib.req("POST", "/carts" .. q, "{}") end
    return "patch", lib.req("PATCH", "/carts/" .. cart .. q, '{"food_id":' .. food .. ',"count":1}')
  end,
  response = function(step, status, body)
    if step == "cart" then
      cart = lib.ok_string(status, body, "cart_id")
    elseif status == 204 then
      lib.event("t " .. index .. " " .. cart)
      cart, i = nil, i + 1
    end
  end,
  drain = function() return lib.req("GET", "/health/live") end,
})
