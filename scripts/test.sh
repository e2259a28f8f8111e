#!/usr/bin/env bash
# The full test run, used by `make test` and CI (.ci/run):
# formatting, clippy with warnings as errors, then every test of the workspace
# against the real PostgreSQL and Kafka of scripts/stack.sh.
#
#   scripts/test.sh [ARGS]   ARGS go to `cargo test --workspace`, e.g. a test-name
#                            filter and test-binary flags: scripts/test.sh sku -- --nocapture
#
# The stack is started if needed and stopped at the end only if this script
# started it (a developer's running `make run` stack is left alone).
set -euo pipefail
LOG_TAG="test"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

T0=$SECONDS
step() { printf '\n==> [%4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }

step "build tools"
ensure_build_tools

STARTED_STACK=0
if ! scripts/stack.sh status >/dev/null 2>&1; then STARTED_STACK=1; fi

stop_stack() {
  local rc=$?
  if [[ $STARTED_STACK -eq 1 ]]; then
    step "stack down (started by this run)"
    scripts/stack.sh down || true
  fi
  if [[ $rc -eq 0 ]]; then step "all passed"; else step "FAILED (exit $rc)"; fi
  exit "$rc"
}
trap stop_stack EXIT

step "stack up (PostgreSQL $PG_ADDR, Kafka $KAFKA_ADDR)"
scripts/stack.sh up >/dev/null

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

# Tests create their own throw-away databases and topics through these.
export CROSSDOCK_TEST_DATABASE_URL="postgres://postgres:postgres@$PG_ADDR/postgres"
export CROSSDOCK_TEST_KAFKA_BROKERS="$KAFKA_ADDR"

step "cargo test --workspace $*"
cargo test --workspace "$@"

# A few seconds of every load scenario against the services as processes,
# with every invariant: keeps the harness working (figures come from make load).
step "load harness smoke (scripts/load.sh smoke)"
scripts/load.sh smoke

# Every service against its own OpenAPI document: no 5xx, no undocumented
# status, no schema-valid request refused (a short fixed-seed run; make fuzz is long).
step "contract fuzzing (scripts/fuzz.sh smoke)"
scripts/fuzz.sh smoke

# The README's walkthrough, end to end, as a newcomer would run it.
step "walkthrough (scripts/demo.sh)"
scripts/demo.sh

step "helm chart: lint, render, Kubernetes schemas, security scan, env vars"
scripts/check-chart.sh
