-- wrk script: POST /api/v1/objects with a distinct body every time.
--
--   wrk ... -s bench/create.lua http://HOST:PORT -- TOKEN [ORGS]
--
-- Each request creates a new information system with a name made of the
-- thread number and a running number, so no two bodies are alike. Only 201
-- answers count as creates (response() hook); everything else is counted
-- as non-201. done() prints one machine-readable line:
--   BENCH created=N non201=N duration_s=S creates_per_s=R p50_ms=.. p99_ms=..
--         max_ms=.. errors_socket=N first_bad=STATUS

local threads, next_id = {}, 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

local seq = 0
created, non201, first_bad = 0, 0, 0 -- globals: read by done() via thread:get

local orgs = 1000 -- the owners org-0 … org-(orgs - 1): the dataset's (gen.py --orgs)

function init(args)
  local token = assert(args[1], "usage: -- TOKEN [ORGS]")
  orgs = tonumber(args[2] or "1000")
  wrk.method = "POST"
  wrk.path = "/api/v1/objects"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

local stages = { "creation", "pilot_operation", "industrial_operation", "development" }

function request()
  seq = seq + 1
  local tag = string.format("%d-%d", thread_id, seq)
  local body = string.format(
    '{"kind":"information_system","owner":"org-%d",' ..
    '"name":{"ru":"Тестовая информационная система %s",' ..
    '"kk":"Сынақ ақпараттық жүйесі %s","en":"Benchmark information system %s"},' ..
    '"stage":"%s"}',
    (seq * 7 + thread_id) % orgs, tag, tag, tag, stages[seq % #stages + 1])
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    non201 = non201 + 1
    if first_bad == 0 then first_bad = status end
  end
end

function done(summary, latency, requests)
  local ok, bad, first = 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("created")
    bad = bad + t:get("non201")
    if first == 0 then first = t:get("first_bad") end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH created=%d non201=%d duration_s=%.3f creates_per_s=%.1f p50_ms=%.3f " ..
    "p99_ms=%.3f max_ms=%.3f errors_socket=%d first_bad=%d\n",
    ok, bad, secs, ok / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, first))
end
