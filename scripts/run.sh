#!/usr/bin/env bash
# Runs Crossdock locally: the stack (PostgreSQL + Kafka) and every service.
#
#   scripts/run.sh up      stack up, databases, build, migrate, start services,
#                          wait for /readyz, print URLs and an ops token
#   scripts/run.sh down    stop the services, then the stack
#   scripts/run.sh status  what runs (exit 0 only if the stack and every service run)
#
# Both up and down are idempotent. A service that is already running and healthy
# is left alone, unless its binary was rebuilt (or the profile changed) since it
# started; then it is restarted so `make run` always serves the current code.
#
# Environment: CROSSDOCK_PROFILE=release builds and runs release binaries;
# CROSSDOCK_SERVICES="catalog" runs a subset (see scripts/lib.sh for the rest).
# Logs: .stack/services/<svc>.log (previous run: .log.1), pid files next to them.
set -euo pipefail
LOG_TAG="run"
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

cmd_up() {
  local t0=$SECONDS svc pid
  ensure_build_tools
  "$REPO_ROOT/scripts/stack.sh" up >/dev/null # prints the addresses; we do below

  for svc in "${SERVICES[@]}"; do
    "$REPO_ROOT/scripts/stack.sh" create-db "$svc" >/dev/null
  done

  # One cargo invocation for all services (shared dependencies build once), plus
  # mint-token for the sample token.
  local build=(cargo build --bins -p platform)
  for svc in "${SERVICES[@]}"; do build+=(-p "$svc"); done
  local flag
  flag="$(profile_flag)"
  [[ -n $flag ]] && build+=("$flag")
  log "${build[*]}"
  (cd "$REPO_ROOT" && "${build[@]}")

  ensure_dev_secret
  for svc in "${SERVICES[@]}"; do
    log "$svc: migrate"
    service_migrate "$svc"
  done

  # Start everything first, then wait, so services start in parallel.
  local -A started=()
  for svc in "${SERVICES[@]}"; do
    if pid="$(service_pid "$svc")"; then
      if runs_binary "$pid" "$(bin_path "$svc")" && [[ $(http_status "$svc" /healthz) == 200 ]]; then
        log "$svc already running (pid $pid)"
        continue
      fi
      log "$svc (pid $pid) runs an older binary or does not answer /healthz; restarting"
      services_stop "$svc"
    fi
    if [[ $(http_status "$svc" /healthz) != 000 ]]; then
      die "port $(service_port "$svc") is served by a process this script did not start; stop it first"
    fi
    service_start "$svc"
    log "$svc started (pid $STARTED_PID, log $(log_file "$svc"))"
    started[$svc]=$STARTED_PID
  done
  for svc in "${!started[@]}"; do
    service_wait_ready "$svc" "${started[$svc]}" 60
  done

  local token
  token="$(mint_token --role ops)" || die "mint-token failed"
  log "up in $((SECONDS - t0))s"
  echo
  for svc in "${SERVICES[@]}"; do
    printf '%-12s %s   API docs: %s/docs/\n' "$svc" "$(service_url "$svc")" "$(service_url "$svc")"
  done
  echo
  echo "PostgreSQL   $PG_ADDR   (superuser postgres/postgres; per service: <svc>/<svc>, database <svc>)"
  echo "Kafka        $KAFKA_ADDR"
  echo "Logs         $SERVICES_DIR/<svc>.log"
  echo
  echo "Ops token, valid 12 h (others: make token ROLE=buyer | make token CHANNEL=amazon-de):"
  echo "export TOKEN=$token"
  echo
  echo "Stop everything: make down"
}

cmd_down() {
  # Every service with a pid file, so one dropped from SERVICES is stopped too.
  local f names=()
  for f in "$SERVICES_DIR"/*.pid; do
    [[ -e $f ]] && names+=("$(basename "$f" .pid)")
  done
  if [[ ${#names[@]} -gt 0 ]]; then services_stop "${names[@]}"; fi
  "$REPO_ROOT/scripts/stack.sh" down
}

cmd_status() {
  local rc=0 svc pid ready
  "$REPO_ROOT/scripts/stack.sh" status || rc=1
  for svc in "${SERVICES[@]}"; do
    if pid="$(service_pid "$svc")"; then
      ready="$(http_status "$svc" /readyz)"
      [[ $ready == 200 ]] && ready=ready || ready="not ready (/readyz $ready)"
      printf '%-9s running  %s  (pid %s, %s, log %s)\n' "$svc:" "$(service_url "$svc")" "$pid" "$ready" "$(log_file "$svc")"
    else
      printf '%-9s stopped\n' "$svc:"
      rc=1
    fi
  done
  return $rc
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
