#!/usr/bin/env bash
# Procurement and inbound figures for docs/benchmarks.md (`make bench`; never
# part of `make test`): forecast + backtest time and accuracy per demand class
# over a generated catalog (BENCH_FORECAST_SKUS, default 10,000 × 730 days), a
# replenishment run over BENCH_REPLENISH_SKUS × 2 locations (default 10,000),
# and receipts per second at the dock. The last two need PostgreSQL and Kafka:
# the stack is started (idempotently) first. Release builds (cargo bench).
set -euo pipefail
LOG_TAG="bench-procurement"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

scripts/stack.sh up >/dev/null
log "forecast: ${BENCH_FORECAST_SKUS:-10000} SKUs (one core, a few minutes)"
cargo bench -q -p procurement --bench forecast -- "${BENCH_FORECAST_SKUS:-10000}"
log "replenishment run: ${BENCH_REPLENISH_SKUS:-10000} SKUs × 2 locations"
cargo bench -q -p procurement --bench replenishment -- "${BENCH_REPLENISH_SKUS:-10000}" 2>/dev/null | grep -v -e rdkafka -e " WARN " -e " ERROR "
log "receipts at the dock: ${BENCH_RECEIPTS:-400} orders, ${BENCH_DOCKS:-8} workers"
cargo bench -q -p warehouse --bench receiving -- "${BENCH_RECEIPTS:-400}" "${BENCH_DOCKS:-8}" 2>/dev/null | grep -v -e rdkafka -e " WARN " -e " ERROR "
