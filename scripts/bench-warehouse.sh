#!/usr/bin/env bash
# Warehouse floor figures for docs/benchmarks.md (`make bench`; never part of
# `make test`).
#
# Starts the stack with catalog, inventory, orders and warehouse in release
# mode and runs load-tests/floor-bench: it seeds SKUs with barcodes, bins in
# BENCH_ZONES zones and stock, places BENCH_FLOOR_ORDERS orders through orders,
# waits for the warehouse's fulfillment orders, then BENCH_PICKERS concurrent
# pickers release waves and work them through the API: one bin + item scan per
# unit (scan-to-ack latency), then package, pack scans, close and ship.
# Afterwards, from the services' own timestamps: how long FulfillmentShipped
# took to make the order shipped in orders and to consume the stock in
# inventory, and the rate those events were applied at. Two rounds: live (the
# events are applied as the floor ships) and backlog (orders and inventory are
# stopped while the floor ships, then started: the drain rate is the
# throughput from events to shipped). Plus CPU and RSS per process during the
# live floor. Prints a Markdown report and writes it to load-tests/results/.
set -euo pipefail
LOG_TAG="bench-warehouse"
export CROSSDOCK_PROFILE=release
export CROSSDOCK_SERVICES="catalog inventory orders warehouse"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

PICKERS="${BENCH_PICKERS:-8}"
ORDERS_N="${BENCH_FLOOR_ORDERS:-1000}"
ZONES="${BENCH_ZONES:-4}"
CHANNEL=bench-floor
LOCATION="BF-$(date -u +%Y%m%dT%H%M%SZ)" # a location per run: waves take only this run's work
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log "starting the stack and the four services (release build)"
scripts/run.sh up >&2
cargo build -q --release -p floor-bench

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
OPS_TOKEN="$(mint_token --role ops --hours 2)"
FLOOR_TOKEN="$(mint_token --role warehouse --hours 2)"
CHANNEL_TOKEN="$(mint_token --channel "$CHANNEL" --hours 2)"
export OPS_TOKEN FLOOR_TOKEN CHANNEL_TOKEN
floor_bench() { # TAG LOCATION PHASE
  CATALOG_URL="$(service_url catalog)" INVENTORY_URL="$(service_url inventory)" \
    ORDERS_URL="$(service_url orders)" WAREHOUSE_URL="$(service_url warehouse)" \
    "$CARGO_TARGET_DIR/release/floor-bench" --channel "$CHANNEL" --location "$2" --phase "$3" \
    --pickers "$PICKERS" --orders "$ORDERS_N" --zones "$ZONES" --tag "$1"
}
PROCS=(warehouse orders inventory catalog postgres kafka)
declare -A cpu rss
measure_floor() { # TAG LOCATION: the floor phase, with CPU per process
  local name after t0 elapsed
  declare -A start_ticks
  for name in "${PROCS[@]}"; do start_ticks[$name]="$(cpu_ticks "$name")"; done
  t0="$(date +%s%N)"
  floor_bench "$1" "$2" floor >"$WORK/$1.floor.md"
  elapsed=$((($(date +%s%N) - t0) / 1000000))
  for name in "${PROCS[@]}"; do
    after="$(cpu_ticks "$name")"
    cpu[$name]="$(awk -v d=$((after - start_ticks[$name])) -v hz="$HZ" -v ms="$elapsed" \
      'BEGIN {printf "%.2f", d / hz / (ms / 1000)}')"
    rss[$name]="$(rss_mib "$name")"
  done
}

# Event lags: the warehouse's shipped_at against orders' shipped history and
# inventory's ship movements (one clock: everything runs on this machine).
sql() { scripts/stack.sh psql -d "$1" -At -F, -c "$2"; }
wait_shipped() { # LOCATION
  local want done inv_want inv_done t0=$SECONDS
  want="$(sql warehouse "SELECT count(DISTINCT order_id) FROM fulfillments WHERE location_code = '$1' AND status = 'shipped'")"
  while :; do
    done="$(sql orders "SELECT count(*) FROM orders o JOIN (SELECT DISTINCT order_id FROM order_shipments WHERE location_code = '$1') s ON s.order_id = o.id WHERE o.status = 'shipped'")"
    # Inventory: every order shipped since the start has its ship movement.
    inv_want="$(sql warehouse "SELECT count(DISTINCT order_id) FROM fulfillments WHERE status = 'shipped' AND shipped_at >= '$since'")"
    inv_done="$(sql inventory "SELECT count(DISTINCT reference) FROM movements WHERE kind = 'ship' AND at >= '$since'")"
    ((done >= want && inv_done >= inv_want)) && return 0
    ((SECONDS - t0 < 300)) || { log "only $done of $want orders shipped in orders after 300 s"; return 0; }
    sleep 0.5
  done
}
lags() { # LOCATION -> Markdown rows
  sql warehouse "SELECT order_id, extract(epoch FROM max(shipped_at)) FROM fulfillments WHERE location_code = '$1' AND status = 'shipped' GROUP BY order_id" >"$WORK/wh.csv"
  sql orders "SELECT order_id, extract(epoch FROM min(at)) FROM order_status_history WHERE to_status = 'shipped' AND at >= '$since' GROUP BY order_id" >"$WORK/orders.csv"
  sql inventory "SELECT split_part(reference, ':', 2), extract(epoch FROM max(at)) FROM movements WHERE kind = 'ship' AND at >= '$since' GROUP BY 1" >"$WORK/inventory.csv"
  python3 - "$WORK" <<'PY'
import csv, sys
work = sys.argv[1]
def load(name):
    with open(f"{work}/{name}.csv") as f:
        return {r[0]: float(r[1]) for r in csv.reader(f) if len(r) == 2}
wh, orders, inv = load("wh"), load("orders"), load("inventory")
def row(label, other):
    keys = [k for k in wh if k in other]
    lags = sorted((other[k] - wh[k]) * 1000 for k in keys)
    if not lags:
        return f"| {label} | 0 | - | - | - | - |"
    p = lambda q: lags[min(len(lags) - 1, round((len(lags) - 1) * q))]
    applied = [other[k] for k in keys]
    rate = len(keys) / max(max(applied) - min(applied), 1e-3)
    return f"| {label} | {len(keys)} | {p(0.5):.0f} | {p(0.99):.0f} | {lags[-1]:.0f} | {rate:.0f} |"
print(row("FulfillmentShipped → order shipped (orders)", orders))
print(row("FulfillmentShipped → stock consumed (inventory)", inv))
PY
}

since="$(date -u '+%Y-%m-%d %H:%M:%S+00')"
# Round 1, live: orders and inventory apply the shipments as they happen.
LIVE="L$stamp" LIVE_AT="BFL-$stamp"
floor_bench "$LIVE" "$LIVE_AT" intake >"$WORK/live.intake.md"
measure_floor "$LIVE" "$LIVE_AT"
wait_shipped "$LIVE_AT"
live_lags="$(lags "$LIVE_AT")"
# Round 2, backlog: orders and inventory are stopped while the floor ships,
# then started: how fast they apply the shipments waiting in Kafka.
BACKLOG="B$stamp" BACKLOG_AT="BFB-$stamp"
floor_bench "$BACKLOG" "$BACKLOG_AT" intake >"$WORK/backlog.intake.md"
log "stopping orders and inventory; the floor ships into Kafka"
services_stop orders inventory
floor_bench "$BACKLOG" "$BACKLOG_AT" floor >"$WORK/backlog.floor.md"
CROSSDOCK_SERVICES="orders inventory" scripts/run.sh up >/dev/null
wait_shipped "$BACKLOG_AT"
backlog_lags="$(lags "$BACKLOG_AT")"

cpu_model="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo "no commit")"
[[ -z $(git status --porcelain 2>/dev/null) ]] || commit="$commit + local changes"
report="$(
  cat <<MD
### Warehouse floor benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')

$PICKERS concurrent pickers, $ORDERS_N orders (1-3 lines of 1-2 units), waves of 10,
bins in $ZONES zones; one API call per scanned unit. $(cat "$WORK/live.intake.md").

$(cat "$WORK/$LIVE.floor.md")

Events to shipped, from the services' own timestamps (ms after the warehouse's
shipped_at; applied per second = orders / (last applied - first applied)):

| Hop | Orders | p50 ms | p99 ms | max ms | Applied per second |
|---|---:|---:|---:|---:|---:|
$live_lags

The same with orders and inventory stopped while the floor shipped, then
started (their backlog of FulfillmentShipped drains):

| Hop | Orders | p50 ms | p99 ms | max ms | Applied per second |
|---|---:|---:|---:|---:|---:|
$backlog_lags

| Process (live floor phase) | Cores used | RSS |
|---|---:|---:|
$(for name in "${PROCS[@]}"; do printf '| %s | %s | %s MiB |\n' "$name" "${cpu[$name]}" "${rss[$name]}"; done)

Release build, commit $commit; the bench client, PostgreSQL, Kafka and four
services on one machine: $(nproc) cores ($cpu_model).
MD
)"
mkdir -p load-tests/results
out="load-tests/results/bench-warehouse-$stamp.md"
printf '%s\n' "$report" >"$out"
echo >&2
printf '%s\n' "$report"
log "written to $out; everything keeps running (make down)"
