-- wrk script for scripts/bench-orders.sh: POST /v1/orders with a channel token,
-- each request a new order (unique external id) of 1-3 random bench SKUs at
-- 10.00 EUR, and the figures as "BENCH <key> <value>" lines.
-- Environment: BENCH_TOKEN (a channel token, required), BENCH_SKUS (N, default
-- 200), BENCH_RUN (external id prefix, required), BENCH_DELAY_MS (pause before
-- each request per connection, default 0: paces the offered rate).

local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
local skus = tonumber(os.getenv("BENCH_SKUS") or "200")
local run = os.getenv("BENCH_RUN") or error("BENCH_RUN is not set")
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local counter = 0
function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function delay()
  return pause
end

local address = '{"name":"Bench Customer","line1":"Hauptstr. 1","city":"Berlin","postal_code":"10115","country":"DE"}'

function request()
  counter = counter + 1
  local id = string.format("%s-%d-%d", run, thread_id or 0, counter)
  local n = math.random(1, 3)
  local lines = {}
  for i = 1, n do
    lines[i] = string.format(
      '{"sku":"BENCH-O-%d","quantity":1,"unit_price":{"amount":"10.00","currency":"EUR"}}',
      math.random(1, skus))
  end
  local body = string.format(
    '{"external_order_id":"%s","customer":{"email":"%s@example.com","name":"Bench"},' ..
    '"shipping_address":%s,"lines":[%s],' ..
    '"shipping_total":{"amount":"0","currency":"EUR"},"tax_total":{"amount":"0","currency":"EUR"},' ..
    '"discount_total":{"amount":"0","currency":"EUR"},"total":{"amount":"%d.00","currency":"EUR"},' ..
    '"payment_status":"paid","placed_at":"2026-11-26T12:00:00Z"}',
    id, id, address, table.concat(lines, ","), n * 10)
  return wrk.format(nil, "/v1/orders", nil, body)
end

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
