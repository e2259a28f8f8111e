# shellcheck shell=bash
# Shared helpers for scripts/*.sh and the Makefile. Source it, don't run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Environment overrides:
#   CARGO_TARGET_DIR    build output (default ~/.cache/crossdock/target, outside the
#                       clone so CI's fresh clone reuses the cache; same as the Makefile)
#   CROSSDOCK_PROFILE   debug (default) or release: which build run.sh builds and starts
#   CROSSDOCK_SERVICES  space-separated subset of services to run (default: SERVICES
#                       from the Makefile)
#   CROSSDOCK_STACK_DIR state dir (default <repo>/.stack; same as scripts/stack.sh)

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  echo "scripts/lib.sh is sourced by the other scripts; run scripts/run.sh or make instead" >&2
  exit 2
fi

# Resolve the repo from this file so any cwd works.
LIB_DIR="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)"
REPO_ROOT="$(cd "$LIB_DIR/.." && pwd -P)"
STACK_DIR="${CROSSDOCK_STACK_DIR:-$REPO_ROOT/.stack}"
SERVICES_DIR="$STACK_DIR/services" # per-service logs and pid files
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crossdock/target}"

# Must match scripts/stack.sh (services connect to the stack it starts).
PG_ADDR="127.0.0.1:${CROSSDOCK_PG_PORT:-55432}"
KAFKA_ADDR="127.0.0.1:${CROSSDOCK_KAFKA_PORT:-59092}"

log() { printf '[%s] %s\n' "${LOG_TAG:-crossdock}" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "${LOG_TAG:-crossdock}" "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Services and ports
# ---------------------------------------------------------------------------

# The service list lives in one place: the `SERVICES :=` line of the Makefile.
# Read it from there so adding a service is a one-line change.
read_services() {
  local line
  line="$(sed -n 's/^SERVICES[[:space:]]*:=[[:space:]]*//p' "$REPO_ROOT/Makefile" | head -n1)"
  line="${line%%#*}" # drop a trailing comment
  [[ -n $line ]] || die "no 'SERVICES := ...' line in $REPO_ROOT/Makefile"
  echo "$line"
}
read -r -a SERVICES <<<"${CROSSDOCK_SERVICES:-$(read_services)}"

# Fixed local ports, one per service (also in services/README.md).
service_port() {
  case "$1" in
    catalog) echo 8081 ;;
    orders) echo 8082 ;;
    inventory) echo 8083 ;;
    warehouse) echo 8084 ;;
    procurement) echo 8085 ;;
    billing) echo 8086 ;;
    support) echo 8087 ;;
    *) die "unknown service '$1' (no port assigned in scripts/lib.sh)" ;;
  esac
}

service_url() { echo "http://127.0.0.1:$(service_port "$1")"; }

# Fail now, in the sourcing shell, on a service without a port (a `die` inside
# a later $(service_port ...) would only end that subshell).
for _svc in "${SERVICES[@]}"; do service_port "$_svc" >/dev/null; done
unset _svc

# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------

# debug|release -> the cargo flag and the folder under $CARGO_TARGET_DIR.
profile() {
  local p="${CROSSDOCK_PROFILE:-debug}"
  [[ $p == debug || $p == release ]] || die "CROSSDOCK_PROFILE must be debug or release (got '$p')"
  echo "$p"
}
profile_flag() {
  if [[ $(profile) == release ]]; then echo --release; fi
}
bin_path() { echo "$CARGO_TARGET_DIR/$(profile)/$1"; }

# A fresh Debian machine lacks what rdkafka (librdkafka built from source, with
# OpenSSL and zlib) needs, and curl for the HTTP checks. Checking with dpkg-query
# first keeps this instant when everything is there; apt-get update runs only
# when something must be installed.
# openssl: the RS256 auth test makes a fresh key pair with the CLI. jq: scripts/demo.sh.
BUILD_PACKAGES=(pkg-config libssl-dev zlib1g-dev build-essential curl openssl jq)

pkg_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

# apt-get install, as root or through sudo. Updates the index once per process.
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install manually: $*"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: $*"
    sudo=(sudo)
  fi
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_build_tools() {
  if ! command -v dpkg-query >/dev/null; then
    log "not a Debian system; make sure these (or equivalents) are installed: ${BUILD_PACKAGES[*]}"
  else
    local p missing=()
    for p in "${BUILD_PACKAGES[@]}"; do
      pkg_installed "$p" || missing+=("$p")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then apt_install "${missing[@]}"; fi
  fi
  command -v cargo >/dev/null ||
    die "cargo not found; install Rust with https://rustup.rs (the toolchain version is in Cargo.toml, rust-version)"
}

# ---------------------------------------------------------------------------
# Secrets and service environment
# ---------------------------------------------------------------------------

DEV_SECRET_FILE="$STACK_DIR/dev-secret"

# The HS256 secret the local services verify tokens with and `make token` signs
# with. Created once (48 hex chars = 192 random bits), mode 600, kept until
# `make clean-stack`. Written to a temp file and hard-linked into place, so two
# concurrent callers can never end up with different secrets.
ensure_dev_secret() {
  [[ -s $DEV_SECRET_FILE ]] && return 0
  mkdir -p "$STACK_DIR"
  local tmp="$DEV_SECRET_FILE.tmp.$$"
  (
    umask 077
    od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$tmp"
  )
  ln "$tmp" "$DEV_SECRET_FILE" 2>/dev/null || true # loses the race: keep the other one
  rm -f "$tmp"
  chmod 600 "$DEV_SECRET_FILE"
}

dev_secret() {
  ensure_dev_secret
  cat "$DEV_SECRET_FILE"
}

# Exports a service's settings as environment variables (<NAME>__SECTION__KEY,
# read by libs/platform/src/config.rs). Call it in a subshell: it changes the
# caller's environment.
service_env() {
  local name="$1" up port secret
  up="$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')"
  port="$(service_port "$name")"
  secret="$(dev_secret)"
  export "${up}__DATABASE__URL=postgres://$name:$name@$PG_ADDR/$name"
  export "${up}__KAFKA__BROKERS=$KAFKA_ADDR"
  export "${up}__AUTH__HS256_SECRET=$secret"
  export "${up}__HTTP__PORT=$port"
  export "${up}__HTTP__HOST=127.0.0.1"
  # The service's config folder, whatever the cwd (platform reads
  # default.toml and local.toml from it; missing files are fine).
  export "CROSSDOCK_CONFIG_DIR=$REPO_ROOT/services/$name/config"
}

# ---------------------------------------------------------------------------
# Service processes (used by run.sh and bench.sh)
# ---------------------------------------------------------------------------

pid_file() { echo "$SERVICES_DIR/$1.pid"; }
log_file() { echo "$SERVICES_DIR/$1.log"; }

# HTTP status of GET <service>/<path>, "000" when nothing answers.
http_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time "${3:-2}" "$(service_url "$1")$2" || true
}

# PID of the service process we started, if it is still alive. Checks the
# process name so a PID reused after a reboot is never mistaken for it.
service_pid() {
  local f pid
  f="$(pid_file "$1")"
  [[ -f $f ]] || return 1
  pid="$(cat "$f")"
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/comm ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "${1:0:15}" ]] || return 1
  [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  echo "$pid"
}

# True if the running process executes the binary at $2 (same inode), i.e. it
# was not rebuilt or switched between debug and release since it started.
runs_binary() {
  [[ -e $2 ]] || return 1
  [[ $(stat -L -c '%d:%i' "/proc/$1/exe" 2>/dev/null) == $(stat -L -c '%d:%i' "$2") ]]
}

# `<bin> migrate` with the service's environment; output in <svc>.migrate.log.
service_migrate() {
  local svc="$1" bin out
  bin="$(bin_path "$svc")"
  out="$SERVICES_DIR/$svc.migrate.log"
  mkdir -p "$SERVICES_DIR"
  if ! (service_env "$svc" && cd "$REPO_ROOT" && "$bin" migrate) >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    die "$svc: migrate failed (log: $out)"
  fi
}

# Starts the service binary in the background, detached (own session, so it
# outlives this script and make), and records its PID. The previous log is kept
# as <svc>.log.1. Sets STARTED_PID.
service_start() {
  local svc="$1" bin log
  bin="$(bin_path "$svc")"
  log="$(log_file "$svc")"
  [[ -x $bin ]] || die "$svc: binary $bin not found (build it first)"
  mkdir -p "$SERVICES_DIR"
  [[ -f $log ]] && mv -f "$log" "$log.1"
  # exec keeps $! equal to the service PID (setsid does not fork here: a
  # background subshell of a script is not a process-group leader).
  (
    service_env "$svc"
    cd "$REPO_ROOT" || exit 1
    exec setsid nohup "$bin" serve </dev/null >>"$log" 2>&1
  ) &
  STARTED_PID=$!
  echo "$STARTED_PID" >"$(pid_file "$svc")"
}

# SIGTERM to each running service, then wait (all together) up to 20 s for them
# to drain and exit, then SIGKILL what is left.
services_stop() {
  local svc pid pids=() names=()
  for svc in "$@"; do
    if pid="$(service_pid "$svc")"; then
      log "stopping $svc (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$svc")
    fi
    rm -f "$(pid_file "$svc")"
  done
  local deadline=$((SECONDS + 20)) i alive
  while :; do
    alive=0
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [[ $alive -eq 0 ]] && return 0
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      log "${names[$i]} did not stop within 20s; SIGKILL"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
  done
}

# Waits until GET /readyz answers 200. On timeout or if the process dies,
# prints the log tail and exits 1.
service_wait_ready() {
  local svc="$1" pid="$2" timeout="${3:-60}" deadline
  deadline=$((SECONDS + timeout))
  until [[ $(http_status "$svc" /readyz) == 200 ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      service_fail "$svc" "exited during start-up"
    fi
    if ((SECONDS >= deadline)); then
      service_fail "$svc" "not ready within ${timeout}s ($(service_url "$svc")/readyz: $(curl -s --max-time 2 "$(service_url "$svc")/readyz" || true))"
    fi
    sleep 0.5
  done
}

service_fail() {
  local log
  log="$(log_file "$1")"
  {
    echo "---- tail $log ----"
    tail -n 40 "$log" 2>/dev/null || true
  } >&2
  die "$1: $2 (log: $log)"
}

# The services not running now, one per line: a script that starts the
# stack stops, at its end, only those it started (a developer's `make run`
# is left alone): mapfile -t STARTED < <(services_not_running)
services_not_running() {
  local svc
  for svc in "${SERVICES[@]}"; do
    service_pid "$svc" >/dev/null || echo "$svc"
  done
}

# A development token from the built mint-token binary (no cargo call).
mint_token() {
  CROSSDOCK_DEV_SECRET="$(dev_secret)" "$(bin_path mint-token)" "$@"
}

# ---------------------------------------------------------------------------
# Measuring (bench scripts)
# ---------------------------------------------------------------------------

pids_of() { # NAME -> pids
  case $1 in
    postgres) pgrep -x postgres || true ;;
    kafka) pgrep -f 'kafka\.Kafka' || true ;;
    *) service_pid "$1" ;;
  esac
}
cpu_ticks() { # NAME -> utime + stime of all its processes
  local total=0 pid
  for pid in $(pids_of "$1"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
rss_mib() { # NAME -> summed VmRSS in MiB
  local pid
  for pid in $(pids_of "$1"); do awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null; done |
    awk '{s += $1} END {printf "%.0f", s / 1024}'
}
HZ="$(getconf CLK_TCK)"
