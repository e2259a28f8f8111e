-- wrk script for scripts/bench.sh: GET /v1/skus/BENCH-<random 1..N> with a bearer
-- token, and the figures as "BENCH <key> <value>" lines for the script to parse.
-- Environment: BENCH_TOKEN (required), BENCH_PRODUCTS (N, default 1000).

local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
local products = tonumber(os.getenv("BENCH_PRODUCTS") or "1000")

wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"

-- Each wrk thread has its own Lua state: give each a distinct random seed.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function request()
  return wrk.format("GET", "/v1/skus/BENCH-" .. math.random(1, products))
end

-- Latencies are in microseconds, duration too.
function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format("BENCH requests %d\n", summary.requests))
  io.write(string.format("BENCH seconds %.2f\n", seconds))
  io.write(string.format("BENCH rps %.0f\n", summary.requests / seconds))
  io.write(string.format("BENCH p50_ms %.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("BENCH p99_ms %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("BENCH p999_ms %.2f\n", latency:percentile(99.9) / 1000))
  io.write(string.format("BENCH max_ms %.2f\n", latency.max / 1000))
  io.write(string.format("BENCH non2xx %d\n", e.status))
  io.write(string.format("BENCH socket_errors %d\n", e.connect + e.read + e.write + e.timeout))
end
