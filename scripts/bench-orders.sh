#!/usr/bin/env bash
# Order intake and placed -> confirmed figures for docs/benchmarks.md (`make
# bench`; never part of `make test`).
#
# Starts the stack with catalog, inventory and orders in release mode, seeds
# BENCH_SKUS SKUs (listed on channel bench-web, 10,000,000 units each in one
# location), then runs wrk against POST /v1/orders with a channel token:
#   1. intake: as fast as it goes (BENCH_CONNECTIONS connections, closed loop)
#   2. paced: BENCH_PACED_CONNECTIONS connections, each pausing BENCH_DELAY_MS
#      before every request (about 190 orders/s offered by default: a rate
#      this 2-core machine sustains end to end; raise it to find the knee)
# For each run: achieved rate, intake latency (wrk), and placed -> confirmed
# latency from the orders database (confirmed_at - received_at: both stamped by
# the services themselves), plus CPU (cores used) and RSS per process.
# Prints a Markdown report and writes it to load-tests/results/.
set -euo pipefail
LOG_TAG="bench-orders"
export CROSSDOCK_PROFILE=release
export CROSSDOCK_SERVICES="catalog inventory orders"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

DURATION="${BENCH_DURATION:-30}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
PACED_CONNECTIONS="${BENCH_PACED_CONNECTIONS:-20}"
DELAY_MS="${BENCH_DELAY_MS:-100}"
SKUS="${BENCH_SKUS:-200}"
CHANNEL=bench-web
LUA="$REPO_ROOT/load-tests/wrk/order-intake.lua"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || apt_install wrk

log "starting the stack, catalog, inventory and orders (release build)"
scripts/run.sh up >&2

CATALOG="$(service_url catalog)"
INVENTORY="$(service_url inventory)"
ORDERS="$(service_url orders)"
OPS="$(mint_token --role ops --hours 2)"
CHANNEL_TOKEN="$(mint_token --channel "$CHANNEL" --hours 2)"

curl_json() { # METHOD URL BODY -> prints the HTTP status
  curl -s -o "$WORK/last" -w '%{http_code}' --max-time 10 -X "$1" "$2" \
    -H "Authorization: Bearer $OPS" -H "Content-Type: application/json" ${3:+--data "$3"}
}

wait_until() { # DESCRIPTION SECONDS COMMAND...
  local what=$1 limit=$2 t0=$SECONDS
  shift 2
  until "$@"; do
    ((SECONDS - t0 < limit)) || die "timed out waiting for $what"
    sleep 0.5
  done
}

# --- seed ---------------------------------------------------------------------
log "seeding: channel, location, $SKUS SKUs with stock"
code="$(curl_json PUT "$ORDERS/v1/channels/$CHANNEL" '{"kind":"web","name":"Bench web","currency":"EUR","backorder_policy":"reject"}')"
[[ $code == 20[01] ]] || die "channel: HTTP $code $(cat "$WORK/last")"
code="$(curl_json PUT "$INVENTORY/v1/locations/BENCH-WH" '{"name":"Bench warehouse","kind":"warehouse","priority":10}')"
[[ $code == 20[01] ]] || die "location: HTTP $code $(cat "$WORK/last")"

cfg="$WORK/products.curl"
for n in $(seq 1 "$SKUS"); do
  ((n > 1)) && echo next
  cat <<CFG
url = "$CATALOG/v1/products"
request = "POST"
header = "Content-Type: application/json"
header = "Authorization: Bearer $OPS"
data = "{\"title\":\"Bench order product $n\",\"status\":\"active\",\"variants\":[{\"sku\":\"BENCH-O-$n\",\"listings\":[{\"channel_id\":\"$CHANNEL\",\"price\":{\"amount\":\"10.00\",\"currency\":\"EUR\"}}]}]}"
output = "/dev/null"
write-out = "%{http_code}\n"
max-time = 10
CFG
done >"$cfg"
curl -sS --parallel --parallel-max 8 -K "$cfg" >"$WORK/codes" 2>/dev/null || true
grep -qvE '^(201|409)$' "$WORK/codes" && die "creating products failed: $(sort "$WORK/codes" | uniq -c | tr '\n' ' ')"

sku_known() { [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OPS" "$INVENTORY/v1/stock/BENCH-O-$SKUS") == 200 ]]; }
wait_until "inventory to know the bench SKUs" 60 sku_known

cfg="$WORK/stock.curl"
for n in $(seq 1 "$SKUS"); do
  ((n > 1)) && echo next
  cat <<CFG
url = "$INVENTORY/v1/adjustments"
request = "POST"
header = "Content-Type: application/json"
header = "Authorization: Bearer $OPS"
header = "Idempotency-Key: bench-stock-$n"
data = "{\"sku\":\"BENCH-O-$n\",\"location\":\"BENCH-WH\",\"reason\":\"receipt\",\"quantity_delta\":10000000}"
output = "/dev/null"
write-out = "%{http_code}\n"
max-time = 10
CFG
done >"$cfg"
curl -sS --parallel --parallel-max 8 -K "$cfg" >"$WORK/codes" 2>/dev/null || true
grep -qvE '^201$' "$WORK/codes" && die "stock adjustments failed: $(sort "$WORK/codes" | uniq -c | tr '\n' ' ')"

channel_known() { [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OPS" "$INVENTORY/v1/availability?channel=$CHANNEL&sku=BENCH-O-1") == 200 ]]; }
wait_until "inventory to know the channel" 60 channel_known
probe() {
  local body
  body="{\"external_order_id\":\"probe-$RANDOM$RANDOM\",\"customer\":{\"email\":\"p@example.com\",\"name\":\"P\"},\"shipping_address\":{\"name\":\"P\",\"line1\":\"A 1\",\"city\":\"Berlin\",\"postal_code\":\"10115\",\"country\":\"DE\"},\"lines\":[{\"sku\":\"BENCH-O-$SKUS\",\"quantity\":1,\"unit_price\":{\"amount\":\"10.00\",\"currency\":\"EUR\"}}],\"shipping_total\":{\"amount\":\"0\",\"currency\":\"EUR\"},\"tax_total\":{\"amount\":\"0\",\"currency\":\"EUR\"},\"discount_total\":{\"amount\":\"0\",\"currency\":\"EUR\"},\"total\":{\"amount\":\"10.00\",\"currency\":\"EUR\"},\"payment_status\":\"paid\",\"placed_at\":\"2026-11-26T12:00:00Z\"}"
  [[ $(curl -s -o /dev/null -w '%{http_code}' -X POST "$ORDERS/v1/orders" -H "Authorization: Bearer $CHANNEL_TOKEN" -H "Content-Type: application/json" --data "$body") == 201 ]]
}
wait_until "orders to know the bench listings" 60 probe

# --- measuring helpers ---------------------------------------------------------
PROCS=(orders inventory catalog postgres kafka)

orders_sql() { scripts/stack.sh psql -d orders -At -c "$1"; }

latency_row() { # RUN -> "n p50 p95 p99 max" of placed -> confirmed in ms
  orders_sql "SELECT count(*), \
    round(percentile_cont(0.50) WITHIN GROUP (ORDER BY ms)::numeric, 1), \
    round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 1), \
    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1), round(max(ms)::numeric, 1) \
    FROM (SELECT extract(epoch FROM confirmed_at - received_at) * 1000 AS ms FROM orders \
          WHERE external_order_id LIKE '$1-%' AND status = 'confirmed') t" | tr '|' ' '
}

wait_settled() { # RUN: every order of the run left 'received' (or 60 s passed)
  local left t0=$SECONDS
  while :; do
    left="$(orders_sql "SELECT count(*) FROM orders WHERE external_order_id LIKE '$1-%' AND status = 'received'")"
    [[ $left == 0 ]] && return 0
    ((SECONDS - t0 < 60)) || { log "$left orders of $1 still unconfirmed after 60 s"; return 0; }
    sleep 0.5
  done
}

declare -A RESULT
run_wrk() { # RUN CONNECTIONS DELAY_MS
  local run=$1 conns=$2 pause=$3 name before after elapsed t0
  local threads
  threads="$(nproc)"
  ((threads <= conns)) || threads=$conns
  declare -A start_ticks
  for name in "${PROCS[@]}"; do start_ticks[$name]="$(cpu_ticks "$name")"; done
  t0="$(date +%s%N)"
  log "wrk: $run, $conns connections, ${pause} ms pause, ${DURATION}s"
  BENCH_TOKEN="$CHANNEL_TOKEN" BENCH_SKUS="$SKUS" BENCH_RUN="$run" BENCH_DELAY_MS="$pause" \
    wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 5s -s "$LUA" "$ORDERS" >"$WORK/$run.wrk"
  elapsed=$((($(date +%s%N) - t0) / 1000000))
  for name in "${PROCS[@]}"; do
    after="$(cpu_ticks "$name")"
    RESULT[$run.cpu.$name]="$(awk -v d=$((after - start_ticks[$name])) -v hz="$HZ" -v ms="$elapsed" \
      'BEGIN {printf "%.2f", d / hz / (ms / 1000)}')"
    RESULT[$run.rss.$name]="$(rss_mib "$name")"
  done
  cat "$WORK/$run.wrk" >&2
  wait_settled "$run"
  RESULT[$run.latency]="$(latency_row "$run")"
  RESULT[$run.status]="$(orders_sql "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM orders WHERE external_order_id LIKE '$run-%' GROUP BY status ORDER BY status) t")"
}
r() { awk -v k="$2" '$1 == "BENCH" && $2 == k {print $3}' "$WORK/$1.wrk"; }

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
INTAKE="intake$stamp"
PACED="paced$stamp"
run_wrk "$INTAKE" "$CONNECTIONS" 0
sleep 5 # let the outbox and consumers drain before the paced run
run_wrk "$PACED" "$PACED_CONNECTIONS" "$DELAY_MS"

# --- report --------------------------------------------------------------------
cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo "no commit")"
[[ -z $(git status --porcelain 2>/dev/null) ]] || commit="$commit + local changes"
lat() { echo "${RESULT[$1.latency]}" | awk -v f="$2" '{print $f}'; }
proc_rows() {
  local name
  for name in "${PROCS[@]}"; do
    printf '| %s | %s | %s MiB | %s | %s MiB |\n' "$name" \
      "${RESULT[$INTAKE.cpu.$name]}" "${RESULT[$INTAKE.rss.$name]}" \
      "${RESULT[$PACED.cpu.$name]}" "${RESULT[$PACED.rss.$name]}"
  done
}
report="$(
  cat <<MD
### Orders benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')

| Measure | Intake, as fast as it goes | Paced |
|---|---|---|
| Connections (pause per request) | $CONNECTIONS (0 ms) | $PACED_CONNECTIONS ($DELAY_MS ms) |
| Orders accepted per second | $(r "$INTAKE" rps) ($(r "$INTAKE" requests) in ${DURATION} s) | $(r "$PACED" rps) ($(r "$PACED" requests) in ${DURATION} s) |
| \`POST /v1/orders\` p50 / p99 / max | $(r "$INTAKE" p50_ms) / $(r "$INTAKE" p99_ms) / $(r "$INTAKE" max_ms) ms | $(r "$PACED" p50_ms) / $(r "$PACED" p99_ms) / $(r "$PACED" max_ms) ms |
| Errors (HTTP >= 400 / socket) | $(r "$INTAKE" non2xx) / $(r "$INTAKE" socket_errors) | $(r "$PACED" non2xx) / $(r "$PACED" socket_errors) |
| Placed -> confirmed p50 / p95 / p99 / max | $(lat "$INTAKE" 2) / $(lat "$INTAKE" 3) / $(lat "$INTAKE" 4) / $(lat "$INTAKE" 5) ms | $(lat "$PACED" 2) / $(lat "$PACED" 3) / $(lat "$PACED" 4) / $(lat "$PACED" 5) ms |
| Orders by final status | ${RESULT[$INTAKE.status]} | ${RESULT[$PACED.status]} |

| Process | Cores used (intake) | RSS (intake) | Cores used (paced) | RSS (paced) |
|---|---|---|---|---|
$(proc_rows)

Release build, commit $commit; orders of 1-3 random lines over $SKUS SKUs, one
location; wrk, PostgreSQL, Kafka and the three services on one machine:
$(nproc) cores ($cpu). Placed -> confirmed is confirmed_at - received_at in the
orders database: intake, OrderPlaced through the outbox and Kafka, inventory's
reservation, StockReserved back through Kafka, confirmation.
MD
)"
mkdir -p load-tests/results
out="load-tests/results/bench-orders-$stamp.md"
printf '%s\n' "$report" >"$out"
echo >&2
printf '%s\n' "$report"
log "written to $out; everything keeps running (make down)"
