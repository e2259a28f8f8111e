#!/usr/bin/env bash
# Billing figures for docs/benchmarks.md (`make bench`; never part of
# `make test`): a settlement of BENCH_SETTLEMENT_LINES lines (default
# 100,000) imported in lines per second, and margin queries over
# BENCH_MARGIN_ORDERS orders (default 1,000,000). Needs PostgreSQL: the stack
# is started (idempotently) first. Release build (cargo bench). Invoices per
# second under an order storm come from the load harness (`make load`).
set -euo pipefail
LOG_TAG="bench-billing"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

scripts/stack.sh up >/dev/null
log "settlement import (${BENCH_SETTLEMENT_LINES:-100000} lines) and margin (${BENCH_MARGIN_ORDERS:-1000000} orders)"
cargo bench -q -p billing --bench billing -- "${BENCH_SETTLEMENT_LINES:-100000}" "${BENCH_MARGIN_ORDERS:-1000000}" 2>/dev/null | grep -v -e rdkafka -e " WARN " -e " ERROR "
