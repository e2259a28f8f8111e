#!/usr/bin/env bash
# The peak-season load harness (load-tests/harness) against the local stack.
#
#   scripts/load.sh run [ARGS]        one run (`make load`): release build, every
#                                     service, default scenarios; ARGS go to
#                                     `crossdock-load run` (see --help)
#   scripts/load.sh capacity [ARGS]   capacity search (`make load-capacity`)
#   scripts/load.sh smoke             a few seconds at a low rate on debug builds,
#                                     all scenarios and invariants (part of make test)
#
# Starts what is missing (stack, services) and mints local tokens: ops,
# warehouse, and one per load-test channel. Reports go to load-tests/results/
# (git-ignored): load-<kind>-<tag>.md, .json and .svg. To load another
# deployment, run the binary directly with its URLs and tokens:
#   crossdock-load run --orders-url https://... --ops-token ... (--help lists all)
set -euo pipefail
LOG_TAG="load"
MODE="${1:-run}"
shift || true
case $MODE in
  run | capacity) export CROSSDOCK_PROFILE="${CROSSDOCK_PROFILE:-release}" ;;
  smoke) export CROSSDOCK_PROFILE="${CROSSDOCK_PROFILE:-debug}" ;;
  *) echo "usage: scripts/load.sh run|capacity|smoke [crossdock-load args]" >&2; exit 2 ;;
esac
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

# Services this script starts are stopped again at the end (a developer's
# running `make run` is left alone).
mapfile -t STARTED < <(services_not_running)
cleanup() {
  local rc=$?
  # The sampler is usually gone already (profile_write stops it): a failing
  # kill must not turn a passing run's exit status into 1 under set -e.
  if [[ -n ${SAMPLER:-} ]]; then kill "$SAMPLER" 2>/dev/null || true; fi
  if [[ $MODE == smoke && ${#STARTED[@]} -gt 0 ]]; then services_stop "${STARTED[@]}"; fi
  exit "$rc"
}
trap cleanup EXIT

log "starting the stack and the services ($CROSSDOCK_PROFILE)"
scripts/run.sh up >/dev/null
build=(cargo build -q -p crossdock-load)
flag="$(profile_flag)"
[[ -n $flag ]] && build+=("$flag")
"${build[@]}"

export OPS_TOKEN FLOOR_TOKEN BUYER_TOKEN APPROVER_TOKEN FINANCE_TOKEN ADMIN_TOKEN CHANNEL_TOKENS
OPS_TOKEN="$(mint_token --role ops --subject load-test --hours 12)"
FLOOR_TOKEN="$(mint_token --role warehouse --subject load-test-picker --hours 12)"
# The inbound scenario: a buyer drafts and sends, another person approves.
BUYER_TOKEN="$(mint_token --role buyer --subject load-test-buyer --hours 12)"
APPROVER_TOKEN="$(mint_token --role approver --subject load-test-approver --hours 12)"
# Billing: the run's legal entity, channel billing, tax rule and fee schedules.
FINANCE_TOKEN="$(mint_token --role finance --subject load-test-finance --hours 12)"
# Returns: support's return policy for the run's channels.
ADMIN_TOKEN="$(mint_token --role admin --subject load-test-admin --hours 12)"
CHANNEL_TOKENS=""
for channel in lt-web lt-amazon lt-zalando lt-wholesale lt-social; do
  CHANNEL_TOKENS+="${CHANNEL_TOKENS:+,}$channel=$(mint_token --channel "$channel" --subject "$channel-connector" --hours 12)"
done
export CATALOG_URL ORDERS_URL INVENTORY_URL WAREHOUSE_URL PROCUREMENT_URL BILLING_URL SUPPORT_URL
BILLING_URL="$(service_url billing)"
SUPPORT_URL="$(service_url support)"
CATALOG_URL="$(service_url catalog)"
PROCUREMENT_URL="$(service_url procurement)"
ORDERS_URL="$(service_url orders)"
INVENTORY_URL="$(service_url inventory)"
WAREHOUSE_URL="$(service_url warehouse)"

watch=()
for svc in "${SERVICES[@]}"; do watch+=(--watch "$svc=$(service_pid "$svc")"); done
# The postmaster (its backends count as its descendants) and the broker.
pg="$(pgrep -o -x postgres || true)"
[[ -n $pg ]] && watch+=(--watch "postgres=$pg")
kafka="$(pgrep -o -f 'kafka\.Kafka' || true)"
[[ -n $kafka ]] && watch+=(--watch "kafka=$kafka")

# Database profile of a run: statements by total time (pg_stat_statements)
# and what active backends waited on, sampled twice a second.
DBS=("${SERVICES[@]}")
psql_at() { scripts/stack.sh psql -d "$1" -At -F ' | ' -c "$2" 2>/dev/null; }
profile_start() {
  local db
  for db in "${DBS[@]}"; do
    psql_at "$db" "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null || true
    psql_at "$db" "SELECT pg_stat_statements_reset()" >/dev/null || true
  done
  WAITS="$(mktemp)"
  (
    while :; do
      psql_at postgres "SELECT datname, coalesce(wait_event_type, 'CPU'), coalesce(wait_event, 'running') \
        FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' \
        AND pid <> pg_backend_pid()" >>"$WAITS" || true
      sleep 0.5
    done
  ) &
  SAMPLER=$!
}
profile_write() { # REPORT.md -> REPORT-postgres.md
  kill "$SAMPLER" 2>/dev/null || true
  local out="${1%.md}-postgres.md" db
  {
    echo "# PostgreSQL profile of $(basename "$1" .md)"
    echo
    echo "## Active backends by wait (samples every 0.5 s; CPU = running)"
    echo
    echo "| samples | database | wait type | wait event |"
    echo "|---:|---|---|---|"
    sort "$WAITS" | uniq -c | sort -rn | head -20 |
      awk -F ' [|] ' '{split($1, a, " "); n = a[1]; sub(/^ *[0-9]+ /, "", $1); printf "| %s | %s | %s | %s |\n", n, $1, $2, $3}'
    for db in "${DBS[@]}"; do
      echo
      echo "## $db: top statements by total time"
      echo
      echo "| total ms | calls | mean ms | rows | statement |"
      echo "|---:|---:|---:|---:|---|"
      psql_at "$db" "SELECT round(total_exec_time)::bigint, calls, round(mean_exec_time::numeric, 3), rows, \
        replace(left(regexp_replace(query, '\s+', ' ', 'g'), 160), '|', '/') FROM pg_stat_statements \
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
        ORDER BY total_exec_time DESC LIMIT 10" | sed 's/^/| /; s/$/ |/'
    done
  } >"$out"
  rm -f "$WAITS"
  log "database profile: $out"
}

harness="$(bin_path crossdock-load)"
case $MODE in
  run | capacity)
    profile_start
    rc=0
    "$harness" "$MODE" "${watch[@]}" "$@" || rc=$?
    latest="$(ls -t load-tests/results/load-"$MODE"-*.md 2>/dev/null | grep -v -- '-postgres.md$' | head -1 || true)"
    [[ -n $latest ]] && profile_write "$latest"
    exit "$rc"
    ;;
  smoke)
    # Small and short, every scenario and every invariant; never a benchmark.
    "$harness" run "${watch[@]}" --tag "SMOKE$(date +%H%M%S)" --rate 15 --duration 8 --ramp 2 \
      --skus 40 --stock 500 --scarce-stock 4 --sync-rate 10 --pickers 2 --wave-size 10 \
      --cancel-rate 0.1 --invalid-rate 0.05 --duplicate-rate 0.05 --short-rate 0.05 --inbound-interval 3 \
      --returns 12 \
      --settle 120 "$@"
    ;;
esac
