#!/usr/bin/env bash
# Property-based fuzzing of every service against its own OpenAPI document
# (schemathesis, from PyPI, in a venv under ~/.cache/crossdock/tools): any 5xx,
# an undocumented status, a schema-valid request rejected, a response that
# breaks its schema, or a wrong answer to an unsupported method fails the run.
#
#   scripts/fuzz.sh smoke   a short, fixed-seed run of every service (part of make test)
#   scripts/fuzz.sh full    a long run for before a release (make fuzz); FUZZ_SEED=… to repeat one
#
# Starts what is missing (stack, services) and stops the services it started.
# The few operations whose rules JSON Schema cannot state (GS1 check digits,
# totals that must add up, references to things that must exist) are listed
# with their reason in scripts/schemathesis.toml; scripts/schemathesis_hooks.py
# sends the media types schemathesis cannot (raw email). Reports: .stack/fuzz/.
set -euo pipefail
LOG_TAG="fuzz"
MODE="${1:-smoke}"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
cd "$REPO_ROOT"

SCHEMATHESIS_VERSION=4.32.5
VENV="$HOME/.cache/crossdock/tools/schemathesis-$SCHEMATHESIS_VERSION"
case $MODE in
  smoke) EXAMPLES=12 SEED="${FUZZ_SEED:-20261201}" MAX_TIME=() ;;
  full) EXAMPLES=300 SEED="${FUZZ_SEED:-$RANDOM$RANDOM}" MAX_TIME=(--max-time 600) ;;
  *) echo "usage: scripts/fuzz.sh smoke|full" >&2; exit 2 ;;
esac

if [[ ! -x $VENV/bin/st ]]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION (pip, once)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

mapfile -t STARTED < <(services_not_running)
cleanup() {
  local rc=$?
  if [[ ${#STARTED[@]} -gt 0 ]]; then services_stop "${STARTED[@]}"; fi
  exit "$rc"
}
trap cleanup EXIT
scripts/run.sh up >/dev/null

# Admin passes every access rule, so each operation is fuzzed past authentication
# (the access rules themselves are walked by libs/scenarios/tests/access.rs).
TOKEN="$(mint_token --role admin --subject fuzzer --hours 2)"
REPORTS="$STACK_DIR/fuzz"
mkdir -p "$REPORTS"
failed=()
for svc in "${SERVICES[@]}"; do
  log "$svc: $EXAMPLES examples per operation, seed $SEED"
  if ! SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$REPO_ROOT/scripts" "$VENV/bin/st" --config-file scripts/schemathesis.toml run "$(service_url "$svc")/openapi.json" \
    -H "Authorization: Bearer $TOKEN" --checks all --seed "$SEED" -n "$EXAMPLES" \
    --phases examples,coverage,fuzzing --workers 1 --no-color "${MAX_TIME[@]}" \
    --report junit --report-junit-path "$REPORTS/$svc.xml" >"$REPORTS/$svc.txt" 2>&1; then
    failed+=("$svc")
    log "$svc: FAILED (full report: $REPORTS/$svc.txt)"
    sed -n '/^=* FAILURES/,/^=* SUMMARY/p' "$REPORTS/$svc.txt" | grep -E '^_{3,}|^- |^\[[0-9]{3}\]|^    `' | head -60 >&2
  fi
  grep -E '^  (❌|✅)' "$REPORTS/$svc.txt" >&2 || true
  grep -E 'generated' "$REPORTS/$svc.txt" >&2 || true
done
if [[ ${#failed[@]} -gt 0 ]]; then die "the contract does not hold for: ${failed[*]}"; fi
log "every service kept its contract"
