#!/usr/bin/env bash
# Support figures for docs/benchmarks.md (`make bench`; never part of
# `make test`): triage latency per message over the held-out split, and
# tickets per second ingested through POST /v1/inbound-email
# (BENCH_EMAILS, default 2,000). Needs PostgreSQL and Kafka: the stack is
# started (idempotently) first. Release build (cargo bench).
set -euo pipefail
LOG_TAG="bench-support"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

scripts/stack.sh up >/dev/null
log "triage latency and inbound email (${BENCH_EMAILS:-2000} emails)"
cargo bench -q -p support --bench support -- "${BENCH_EMAILS:-2000}" 2>/dev/null | grep -v -e rdkafka -e " WARN " -e " ERROR "
