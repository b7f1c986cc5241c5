-- wrk script: GET requests rotating over a list of paths.
--
--   wrk ... -s bench/rotate.lua http://HOST:PORT -- PATHS_FILE
--
-- PATHS_FILE holds one path (with its query string) per line. Each wrk
-- thread walks the whole list in order, starting at a different offset, so
-- that every path is asked about equally often. Requests are formatted
-- once, up front, so that the client spends as little CPU as possible (it
-- shares the cores with the server). No response() hook for the same
-- reason: wrk's own summary counts statuses >= 400 (errors.status).
--
-- With BENCH_STATIC=1 in the environment the script defines no request()
-- hook and reads no list: wrk sends the one URL of its command line, a
-- request it formats once. That is the client's cheapest way: a Lua call
-- per request costs the client about as much CPU as the server spends on
-- the answer, and on a 2-core machine the client then limits both servers.
--
-- done() prints one machine-readable line:
--   BENCH requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
--         errors_status=N errors_socket=N

local static = os.getenv("BENCH_STATIC") == "1"
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

local reqs, pos = {}, 1

function init(args)
  if static then
    return
  end
  local file = assert(args[1], "usage: -- PATHS_FILE")
  local f = assert(io.open(file, "r"))
  for line in f:lines() do
    if #line > 0 then
      reqs[#reqs + 1] = wrk.format("GET", line)
    end
  end
  f:close()
  assert(#reqs > 0, "no paths in " .. file)
  -- threads start a different part of the list (thread_id is set by setup)
  pos = ((thread_id or 0) * 7919) % #reqs + 1
end

if not static then
  function request()
    local r = reqs[pos]
    pos = pos % #reqs + 1
    return r
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f " ..
    "max_ms=%.3f errors_status=%d errors_socket=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
