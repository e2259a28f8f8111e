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
# inventory, and the rate those events were applied at. Plus CPU and RSS per
# process during the floor run. Prints a Markdown report and writes it to
# load-tests/results/.
set -euo pipefail
LOG_TAG="bench-warehouse"
export CROSSDOCK_PROFILE=release
export CROSSDOCK_SERVICES="catalog inventory orders warehouse"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

PICKERS="${BENCH_PICKERS:-8}"
ORDERS_N="${BENCH_FLOOR_ORDERS:-400}"
ZONES="${BENCH_ZONES:-4}"
CHANNEL=bench-floor
LOCATION=BENCH-FLOOR
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log "starting the stack and the four services (release build)"
scripts/run.sh up >&2
cargo build -q --release -p floor-bench

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
tag="f$stamp"
since="$(date -u '+%Y-%m-%d %H:%M:%S+00')"
PROCS=(warehouse orders inventory catalog postgres kafka)
declare -A start_ticks
for name in "${PROCS[@]}"; do start_ticks[$name]="$(cpu_ticks "$name")"; done
t0="$(date +%s%N)"
CATALOG_URL="$(service_url catalog)" INVENTORY_URL="$(service_url inventory)" \
  ORDERS_URL="$(service_url orders)" WAREHOUSE_URL="$(service_url warehouse)" \
  OPS_TOKEN="$(mint_token --role ops --hours 2)" FLOOR_TOKEN="$(mint_token --role warehouse --hours 2)" \
  CHANNEL_TOKEN="$(mint_token --channel "$CHANNEL" --hours 2)" \
  "$CARGO_TARGET_DIR/release/floor-bench" --channel "$CHANNEL" --location "$LOCATION" \
  --pickers "$PICKERS" --orders "$ORDERS_N" --zones "$ZONES" --tag "$tag" >"$WORK/floor.md"
elapsed=$((($(date +%s%N) - t0) / 1000000))
declare -A cpu rss
for name in "${PROCS[@]}"; do
  after="$(cpu_ticks "$name")"
  cpu[$name]="$(awk -v d=$((after - start_ticks[$name])) -v hz="$HZ" -v ms="$elapsed" \
    'BEGIN {printf "%.2f", d / hz / (ms / 1000)}')"
  rss[$name]="$(rss_mib "$name")"
done

# Event lags: the warehouse's shipped_at against orders' shipped history and
# inventory's ship movements (one clock: everything runs on this machine).
sql() { scripts/stack.sh psql -d "$1" -At -F, -c "$2"; }
wait_shipped() {
  local want done t0=$SECONDS
  want="$(sql warehouse "SELECT count(DISTINCT order_id) FROM fulfillments WHERE location_code = '$LOCATION' AND status = 'shipped' AND shipped_at >= '$since'")"
  while :; do
    done="$(sql orders "SELECT count(DISTINCT order_id) FROM order_status_history WHERE to_status = 'shipped' AND at >= '$since'")"
    ((done >= want)) && return 0
    ((SECONDS - t0 < 120)) || { log "only $done of $want orders shipped in orders after 120 s"; return 0; }
    sleep 0.5
  done
}
wait_shipped
sql warehouse "SELECT order_id, extract(epoch FROM max(shipped_at)) FROM fulfillments WHERE location_code = '$LOCATION' AND status = 'shipped' AND shipped_at >= '$since' GROUP BY order_id" >"$WORK/wh.csv"
sql orders "SELECT order_id, extract(epoch FROM min(at)) FROM order_status_history WHERE to_status = 'shipped' AND at >= '$since' GROUP BY order_id" >"$WORK/orders.csv"
sql inventory "SELECT split_part(reference, ':', 2), extract(epoch FROM max(at)) FROM movements WHERE kind = 'ship' AND at >= '$since' GROUP BY 1" >"$WORK/inventory.csv"
lags="$(python3 - "$WORK" <<'PY'
import csv, sys
work = sys.argv[1]
def load(name):
    with open(f"{work}/{name}.csv") as f:
        return {r[0]: float(r[1]) for r in csv.reader(f) if len(r) == 2}
wh, orders, inv = load("wh"), load("orders"), load("inventory")
def row(label, other):
    lags = sorted((other[k] - wh[k]) * 1000 for k in wh if k in other)
    if not lags:
        return f"| {label} | 0 | - | - | - | - |"
    p = lambda q: lags[min(len(lags) - 1, round((len(lags) - 1) * q))]
    first, last = min(wh[k] for k in wh if k in other), max(other[k] for k in wh if k in other)
    rate = len(lags) / max(last - first, 1e-3)
    return f"| {label} | {len(lags)} | {p(0.5):.0f} | {p(0.99):.0f} | {lags[-1]:.0f} | {rate:.1f} |"
print(row("FulfillmentShipped → order shipped (orders)", orders))
print(row("FulfillmentShipped → stock consumed (inventory)", inv))
PY
)"

cpu_model="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo "no commit")"
[[ -z $(git status --porcelain 2>/dev/null) ]] || commit="$commit + local changes"
report="$(
  cat <<MD
### Warehouse floor benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')

$PICKERS concurrent pickers, $ORDERS_N orders (1-3 lines of 1-2 units), waves of 10,
bins in $ZONES zones; one API call per scanned unit.

$(cat "$WORK/floor.md")

Events to shipped, from the services' own timestamps (ms after the warehouse's shipped_at):

| Hop | Orders | p50 ms | p99 ms | max ms | Applied per second |
|---|---:|---:|---:|---:|---:|
$lags

| Process | Cores used | RSS |
|---|---:|---:|
$(for name in "${PROCS[@]}"; do printf '| %s | %s | %s MiB |\n' "$name" "${cpu[$name]}" "${rss[$name]}"; done)

Release build, commit $commit; the bench client, PostgreSQL, Kafka and four
services on one machine: $(nproc) cores ($cpu_model). Cores used cover the whole
run (seeding, intake and the floor).
MD
)"
mkdir -p load-tests/results
out="load-tests/results/bench-warehouse-$stamp.md"
printf '%s\n' "$report" >"$out"
echo >&2
printf '%s\n' "$report"
log "written to $out; everything keeps running (make down)"
