#!/usr/bin/env bash
# Figures for docs/benchmarks.md (`make bench`; never part of `make test`).
#
# Starts the stack and catalog in release mode (scripts/run.sh up), then measures:
#   1. start-up: catalog process start until /readyz answers 200 (median of 3
#      restarts, polled every 10 ms)
#   2. idle RSS: VmRSS of the ready catalog process after 5 s without requests
#   3. throughput and latency of GET /v1/skus/{sku} with wrk: 50 connections for
#      30 s, a random one of 1,000 bench SKUs per request (created first through
#      POST /v1/products; existing ones are kept)
# Prints a Markdown snippet on stdout (progress goes to stderr) and writes it to
# load-tests/results/bench-<UTC time>.md. Leaves everything running (make down).
#
# Environment: BENCH_DURATION (s, default 30), BENCH_CONNECTIONS (default 50),
# BENCH_PRODUCTS (default 1000).
set -euo pipefail
LOG_TAG="bench"
export CROSSDOCK_PROFILE=release
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

SVC=catalog
DURATION="${BENCH_DURATION:-30}"
CONNECTIONS="${BENCH_CONNECTIONS:-50}"
PRODUCTS="${BENCH_PRODUCTS:-1000}"
STARTS=3
URL="$(service_url "$SVC")" # always 127.0.0.1: never point load at anything else
LUA="$REPO_ROOT/load-tests/wrk/sku-lookup.lua"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || apt_install wrk

# --- stack + catalog, release build -----------------------------------------
log "starting the stack and $SVC (release build)"
CROSSDOCK_SERVICES="$SVC" scripts/run.sh up >&2

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- 1. start-up time --------------------------------------------------------
# Restart the binary alone (stack stays up) and poll /readyz every 10 ms.
# Sets START_MS (not echoed: a $(...) subshell would own the service process).
measure_start() {
  local t0 pid
  services_stop "$SVC"
  t0="$(now_ms)"
  service_start "$SVC"
  pid="$STARTED_PID"
  until [[ $(http_status "$SVC" /readyz 1) == 200 ]]; do
    kill -0 "$pid" 2>/dev/null || service_fail "$SVC" "exited during start-up"
    (($(now_ms) - t0 < 60000)) || service_fail "$SVC" "not ready within 60s"
    sleep 0.01
  done
  START_MS=$(($(now_ms) - t0))
}

starts=()
for i in $(seq 1 "$STARTS"); do
  measure_start
  starts+=("$START_MS")
  log "start $i: $START_MS ms to /readyz 200"
done
start_median="$(printf '%s\n' "${starts[@]}" | sort -n | sed -n "$(((STARTS + 1) / 2))p")"

# --- 2. idle RSS -------------------------------------------------------------
rss_mib() { # VmRSS of a PID in MiB
  awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}
PID="$(service_pid "$SVC")" || die "$SVC is not running"
log "idle 5 s, then reading VmRSS of pid $PID"
sleep 5
idle_rss="$(rss_mib "$PID")"

# --- 3. bench products -------------------------------------------------------
TOKEN="$(mint_token --role ops --hours 2)"
auth=(-H "Authorization: Bearer $TOKEN")

if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${auth[@]}" "$URL/v1/skus/BENCH-$PRODUCTS") == 200 ]]; then
  log "bench products already exist (BENCH-$PRODUCTS found)"
else
  # One curl process, 8 requests in flight, from a generated config file
  # (1,000 curl processes would take longer than the requests).
  log "creating $PRODUCTS products (409 = already there)"
  cfg="$WORK/products.curl"
  for n in $(seq 1 "$PRODUCTS"); do
    ((n > 1)) && echo next
    cat <<EOF
url = "$URL/v1/products"
request = "POST"
header = "Content-Type: application/json"
header = "Authorization: Bearer $TOKEN"
data = "{\"title\":\"Bench product $n\",\"status\":\"active\",\"variants\":[{\"sku\":\"BENCH-$n\",\"unit_of_measure\":\"each\",\"listings\":[{\"channel_id\":\"web\",\"price\":{\"amount\":\"19.99\",\"currency\":\"EUR\"}}]}]}"
output = "/dev/null"
write-out = "%{http_code}\n"
max-time = 10
EOF
  done >"$cfg"
  curl -sS --parallel --parallel-max 8 -K "$cfg" >"$WORK/codes" 2>"$WORK/curl.err" || true
  sort "$WORK/codes" | uniq -c | sed 's/^ *\([0-9]*\) \(.*\)/[bench]   \1 x HTTP \2/' >&2
  # curl 7.88 prints a progress meter in parallel mode despite -s: drop it.
  if [[ $(wc -l <"$WORK/codes") -ne $PRODUCTS ]] || grep -qvE '^(200|201|409)$' "$WORK/codes"; then
    grep -v -e '^DL%' -e $'\r' "$WORK/curl.err" | head -n 5 >&2 || true
    die "creating bench products failed (expected 201 or 409; see the counts above and $(log_file "$SVC"))"
  fi
fi
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${auth[@]}" "$URL/v1/skus/BENCH-1")"
[[ $code == 200 ]] || die "GET /v1/skus/BENCH-1 answered $code, expected 200"

# --- 4. load -----------------------------------------------------------------
threads="$(nproc)"
((threads <= CONNECTIONS)) || threads="$CONNECTIONS"
log "wrk: GET $URL/v1/skus/BENCH-<1..$PRODUCTS>, $CONNECTIONS connections, $threads threads, ${DURATION}s"
BENCH_TOKEN="$TOKEN" BENCH_PRODUCTS="$PRODUCTS" \
  wrk -t"$threads" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s "$LUA" "$URL" >"$WORK/wrk.out"
cat "$WORK/wrk.out" >&2
loaded_rss="$(rss_mib "$PID")"
r() { awk -v k="$1" '$1 == "BENCH" && $2 == k {print $3}' "$WORK/wrk.out"; }
[[ -n $(r rps) ]] || die "no figures in the wrk output"

# --- report ------------------------------------------------------------------
cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
mem="$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
# shellcheck disable=SC1091
os="$(. /etc/os-release && echo "$PRETTY_NAME")"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo "no commit")"
[[ -z $(git status --porcelain 2>/dev/null) ]] || commit="$commit + local changes"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
rps="$(r rps)"

report="$(
  cat <<EOF
### Catalog benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')

| Measure | Result |
|---|---|
| Start to \`/readyz\` 200 (median of $STARTS) | $start_median ms ($(printf '%s, ' "${starts[@]}" | sed 's/, $//') ms) |
| Idle RSS (ready, 5 s without requests) | $idle_rss MiB |
| \`GET /v1/skus/{sku}\`, $CONNECTIONS connections, ${DURATION} s | $rps requests/s ($(r requests) requests) |
| Latency p50 / p99 / p99.9 / max | $(r p50_ms) / $(r p99_ms) / $(r p999_ms) / $(r max_ms) ms |
| Errors (HTTP >= 400 / socket) | $(r non2xx) / $(r socket_errors) |
| RSS after the load | $loaded_rss MiB |

Release build, commit $commit; $PRODUCTS products, a random SKU per request;
wrk ($threads threads) on the same machine as catalog, PostgreSQL and Kafka:
$(nproc) cores ($cpu), $mem RAM, $os.
EOF
)"

mkdir -p load-tests/results
out="load-tests/results/bench-$stamp.md"
printf '%s\n' "$report" >"$out"
echo >&2
printf '%s\n' "$report"
log "written to $out; the stack and $SVC keep running (make down)"
