-- Shared machinery of the bench's wrk scripts.
--
-- wrk's Lua callbacks do not say which connection a response belongs to, so the bench runs one
-- connection per wrk thread (-t = -c): each thread's Lua state is then exactly one client, and
-- `request()` / `response()` alternate for it. A flow script supplies `next()` (the next request
-- of its state machine), `response()` (advance the state) and `drain()` (a harmless request,
-- sent once as the client's thread stops: wrk's request() must return one).
--
-- Results: wrk 4.1's thread:get() corrupts the Lua stack when it copies nested tables, so each
-- client writes its own files into BENCH_OUT: <tid>.json (its stats: rewritten at the first
-- answer of every second, and with final = true when it starts to drain, so a client whose last
-- request is never answered loses at most its last second; <tid>.done marks the final write, so
-- the bench can stop wrk once every client is done) and <tid>.events (one line per
-- acknowledged order or vote, for the audits: a buffered file that exit() flushes). The main
-- state writes wrk.json (wrk's own summary and latency percentiles) in done().
--
-- Environment (read by every thread and by the main state):
--   BENCH_OUT       the results directory (above)
--   BENCH_DEADLINE  epoch seconds: from then on no new step starts; a client whose answer is in
--                   stops, so every mutation still in flight gets its answer (exact audits)
--   BENCH_INPUT     directory of per-thread input files <tid>.txt (flow-specific lines)
--   BENCH_MEASURE_FROM  epoch seconds (optional): the end of the warm-up. Latency is recorded
--                   from then on only; answers by status, error codes and audit events always
local ffi = require "ffi"
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec_t;
int clock_gettime(int clk_id, bench_timespec_t *tp);
]]
local ts = ffi.new("bench_timespec_t")
local CLOCK_REALTIME = 0 -- the same clock in every thread and in the bench
local floor, log = math.floor, math.log

local M = {}

function M.now()
  ffi.C.clock_gettime(CLOCK_REALTIME, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

M.deadline = tonumber(os.getenv("BENCH_DEADLINE") or "")
M.measure_from = tonumber(os.getenv("BENCH_MEASURE_FROM") or "") or 0

-- An HTTP/1.1 request; a body is sent as JSON. Cheaper than wrk.format (no header table walk).
function M.req(method, path, body, extra_headers)
  local head = method .. " " .. path .. " HTTP/1.1\r\nHost: " .. wrk.host .. "\r\n" .. (extra_headers or "")
  if not body then return head .. "\r\n" end
  return head .. "Content-Type: application/json\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

-- This client's results, written to <tid>.json when it starts to drain. Numeric keys (statuses,
-- histogram buckets, seconds) never include 1, so they encode as JSON objects.
stats = {
  steps = {},    -- step -> { codes = {status -> n}, errors = {code -> n}, hist = {bucket -> n} }
  sec = {},      -- epoch second -> { counter -> n }
  sent = 0,      -- audited mutations sent (orders, votes) ...
  answered = 0,  -- ... and answered: the difference has an unknown outcome
  exhausted = nil, -- when this client ran out of input (users)
  final = false,   -- written at the drain: nothing of this client is missing
}

-- Latency histogram: bucket b holds latencies in [1.04^b, 1.04^(b+1)) microseconds (4 % wide).
local LOG_BASE = log(1.04)

local function step_stats(name)
  local s = stats.steps[name]
  if not s then
    s = { codes = {}, errors = {}, hist = {} }
    stats.steps[name] = s
  end
  return s
end

-- `now`: when the answer came; answers of the warm-up are not timed.
function M.latency(name, seconds, now)
  if now < M.measure_from then return end
  local hist = step_stats(name).hist
  local us = seconds * 1e6
  if us < 10 then us = 10 end
  local b = floor(log(us) / LOG_BASE)
  hist[b] = (hist[b] or 0) + 1
end

-- The string value of a top-level JSON field of a 200 answer ("access_token", "cart_id", "id"),
-- or nil (any other status, or no such field).
function M.ok_string(status, body, field)
  if status ~= 200 or not body then return nil end
  return body:match('"' .. field .. '"%s*:%s*"([^"]+)"')
end

function M.error_code(body)
  return body and body:match('"code"%s*:%s*"([%w_]+)"')
end

function M.record(name, status, seconds, body, now)
  local s = step_stats(name)
  s.codes[status] = (s.codes[status] or 0) + 1
  if status >= 400 then
    local err = M.error_code(body)
    if err then s.errors[err] = (s.errors[err] or 0) + 1 end
  end
  M.latency(name, seconds, now)
end

-- Counts an event in its wall-clock second (e.g. "orders", "votes", "req").
function M.count(what, now)
  local key = floor(now)
  local row = stats.sec[key]
  if not row then
    row = {}
    stats.sec[key] = row
  end
  row[what] = (row[what] or 0) + 1
end

local events

-- Appends a line to this client's events file ("o <order id>", "v <name> <name>...").
function M.event(line)
  if not events then events = assert(io.open(os.getenv("BENCH_OUT") .. "/" .. tid .. ".events", "w")) end
  events:write(line, "\n")
end

function M.lines(path)
  local out = {}
  local f = io.open(path, "r")
  if not f then return out end
  for line in f:lines() do
    if line ~= "" then out[#out + 1] = line end
  end
  f:close()
  return out
end

-- This client's input lines (BENCH_INPUT/<tid>.txt).
function M.thread_input()
  return M.lines(os.getenv("BENCH_INPUT") .. "/" .. tid .. ".txt")
end

function M.split(line)
  return line:match("^(%S+)%s+(%S+)")
end

function M.seed()
  math.randomseed(tid * 7919 + floor(M.now() * 1000) % 100000)
end

-- JSON: tables with a [1] are arrays, others objects with string keys.
local function encode(v, out)
  local t = type(v)
  if t == "table" then
    if v[1] ~= nil then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out)
      end
      out[#out + 1] = "]"
    else
      out[#out + 1] = "{"
      local first = true
      for k, val in pairs(v) do
        if not first then out[#out + 1] = "," end
        first = false
        encode(tostring(k), out)
        out[#out + 1] = ":"
        encode(val, out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "number" then
    out[#out + 1] = string.format("%.17g", v)
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  else
    out[#out + 1] = "null"
  end
end

local function write_json(file, value)
  local out = {}
  encode(value, out)
  local f = assert(io.open(os.getenv("BENCH_OUT") .. "/" .. file, "w"))
  f:write(table.concat(out))
  f:close()
end

-- Installs wrk's callbacks for `flow` = { next = fn(now) -> step, request, audited,
-- response = fn(step, status, body, now), drain = fn() -> request }.
function M.run(flow)
  local inflight, sent_at, audited
  local snapshot_second = 0

  function request()
    local now = M.now()
    local step, req
    if not M.deadline or now < M.deadline then
      step, req, audited = flow.next(now)
      if step == nil and not stats.exhausted then stats.exhausted = now end
    end
    if step == nil then
      step, req, audited = "drain", flow.drain(), false
      -- One connection per client: the previous answer is in, so the stats are final.
      if not stats.final then
        stats.final = true
        write_json(tid .. ".json", stats)
        if events then events:flush() end
        io.open(os.getenv("BENCH_OUT") .. "/" .. tid .. ".done", "w"):close()
      end
      -- Nothing is left to measure or audit: end this client's thread. Its drain request (wrk
      -- needs one) goes out at most once, so a finished client adds no load while the others
      -- finish, and wrk, joined on SIGINT, exits at once instead of running out its duration.
      wrk.thread:stop()
    end
    -- The same request is built again after a reconnect: the earlier send's outcome is unknown.
    if audited then stats.sent = stats.sent + 1 end
    inflight, sent_at = step, now
    return req
  end

  function response(status, _, body)
    if inflight == "drain" then return end
    local now = M.now()
    if audited then stats.answered = stats.answered + 1 end
    M.record(inflight, status, now - sent_at, body, now)
    M.count("req", now)
    flow.response(inflight, status, body, now)
    if now - snapshot_second >= 1 then
      snapshot_second = floor(now)
      write_json(tid .. ".json", stats)
    end
  end
end

-- Main state: number the threads (thread:set of a number is safe), write wrk's summary at the end.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function done(summary, latency, _)
  local percentiles = { max = latency.max }
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do percentiles["p" .. p] = latency:percentile(p) end
  write_json("wrk.json", { summary = summary, latency = percentiles })
end

return M
