#!/usr/bin/env bash
# Local dev/CI stack: a real PostgreSQL and a real single-node Apache Kafka (KRaft),
# both on 127.0.0.1, no Docker. Must be run as root (it installs packages with
# apt-get and runs PostgreSQL as the `postgres` OS user via runuser).
#
#   scripts/stack.sh up              start both (idempotent; installs/downloads what is missing)
#   scripts/stack.sh down            stop both (idempotent; only what this stack started)
#   scripts/stack.sh status          show what runs and the URLs (exit 0 only if both run)
#   scripts/stack.sh create-db NAME  role NAME / password NAME / database NAME (idempotent)
#   scripts/stack.sh psql [ARGS]     psql as the superuser against the stack's PostgreSQL
#   scripts/stack.sh kafka-tool CLASS [ARGS]
#                                    run a Kafka CLI class from the cached jars, e.g.
#                                    kafka-tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:59092 --list
#   scripts/stack.sh clean           down + delete all stack state (data!); keeps the jar cache
#
# Environment overrides:
#   CROSSDOCK_STACK_DIR              state dir (default: <repo>/.stack, git-ignored)
#   CROSSDOCK_CACHE_DIR              download cache outside the clone (default: ~/.cache/crossdock)
#   CROSSDOCK_PG_PORT                PostgreSQL port (default 55432)
#   CROSSDOCK_KAFKA_PORT             Kafka client port (default 59092)
#   CROSSDOCK_KAFKA_CONTROLLER_PORT  KRaft controller port (default 59093)
#   CROSSDOCK_KAFKA_VERSION          Apache Kafka version from Maven Central (default 4.1.2)
#   CROSSDOCK_KAFKA_TIMEOUT          seconds to wait for the broker (default 90)
set -euo pipefail

# ---------------------------------------------------------------------------
# Paths and settings. Resolve the repo from this file so any cwd works.
# ---------------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"
STACK_DIR="${CROSSDOCK_STACK_DIR:-$REPO_ROOT/.stack}"
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
CACHE_DIR="${CROSSDOCK_CACHE_DIR:-$HOME/.cache/crossdock}"

PG_PORT="${CROSSDOCK_PG_PORT:-55432}"
PG_SUPERPASS="postgres" # local dev only
KAFKA_PORT="${CROSSDOCK_KAFKA_PORT:-59092}"
KAFKA_CTRL_PORT="${CROSSDOCK_KAFKA_CONTROLLER_PORT:-59093}"
KAFKA_VERSION="${CROSSDOCK_KAFKA_VERSION:-4.1.2}"
KAFKA_TIMEOUT="${CROSSDOCK_KAFKA_TIMEOUT:-90}"

KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_DIR="$STACK_DIR/kafka"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/kafka.log" # broker log (log4j2, size-rotated)
KAFKA_OUT="$KAFKA_DIR/kafka.out" # JVM stdout/stderr (crashes, early errors)
KAFKA_PROPS="$KAFKA_DIR/server.properties"

DATABASE_URL="postgres://postgres:${PG_SUPERPASS}@127.0.0.1:${PG_PORT}/postgres"
KAFKA_BOOTSTRAP="127.0.0.1:${KAFKA_PORT}"

export DEBIAN_FRONTEND=noninteractive

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

require_root() {
  [[ $(id -u) -eq 0 ]] || die "run as root (needs apt-get and runuser)"
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install manually: $*"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  # 9>&-: package scripts may start daemons; they must not inherit the stack lock.
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null 9>&-
}

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Serialise concurrent up/down calls (e.g. two test runners starting the stack).
take_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  flock 9
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

# Where the cluster lives. Normally $STACK_DIR/pg, but PostgreSQL runs as the
# `postgres` user, which must be able to traverse every parent directory of
# the data dir. A clone under e.g. /root (mode 0700) is not traversable, and we
# don't want to chmod the user's home. In that case (or when the unix socket
# path would exceed the ~107-byte limit) the cluster goes to
# /var/lib/crossdock/pg-<hash of the stack dir>/ instead (/var/lib rather than
# /var/tmp because tmpfiles cleaners age out /var/tmp). The choice is recorded
# in $STACK_DIR/pg.location so later calls (down/status) find the same place.
PG_ROOT=""
pg_root() {
  if [[ -n $PG_ROOT ]]; then return; fi
  if [[ -f $STACK_DIR/pg.location ]]; then
    PG_ROOT="$(cat "$STACK_DIR/pg.location")"
    return
  fi
  PG_ROOT="$STACK_DIR/pg"
}

pg_choose_root() {
  pg_root
  [[ -f $STACK_DIR/pg.location ]] && return
  local candidate="$STACK_DIR/pg"
  mkdir -p "$candidate"
  chown postgres:postgres "$candidate"
  local sock="$candidate/run/.s.PGSQL.$PG_PORT"
  if ! runuser -u postgres -- test -x "$candidate" -a -w "$candidate" 2>/dev/null ||
    [[ ${#sock} -gt 100 ]]; then
    local hash
    hash="$(printf '%s' "$STACK_DIR" | sha1sum | cut -c1-12)"
    candidate="/var/lib/crossdock/pg-$hash"
    log "postgres user cannot use $STACK_DIR/pg (untraversable parent or long path); using $candidate"
    rmdir "$STACK_DIR/pg" 2>/dev/null || true
    mkdir -p "$candidate"
    chmod 755 /var/lib/crossdock
    chown postgres:postgres "$candidate"
  fi
  printf '%s\n' "$candidate" >"$STACK_DIR/pg.location"
  PG_ROOT="$candidate"
}

PG_BIN=""
pg_find_bin() {
  local d ver=""
  pg_root
  # Prefer the major version the data dir was created with.
  [[ -f $PG_ROOT/data/PG_VERSION ]] && ver="$(cat "$PG_ROOT/data/PG_VERSION")"
  if [[ -n $ver && -x /usr/lib/postgresql/$ver/bin/initdb ]]; then
    PG_BIN="/usr/lib/postgresql/$ver/bin"
    return 0
  fi
  # Otherwise the newest Debian-packaged version, then whatever is on PATH.
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    if [[ -x $d/initdb && -x $d/pg_ctl ]]; then PG_BIN="$d"; return 0; fi
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    PG_BIN="$(dirname "$(readlink -f "$(command -v initdb)")")"
    return 0
  fi
  return 1
}

pg_ensure_installed() {
  if ! pg_find_bin; then
    apt_install postgresql
    pg_find_bin || die "PostgreSQL installed but initdb not found"
  fi
  if ! id postgres >/dev/null 2>&1; then
    log "creating OS user postgres"
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
      --shell /bin/bash postgres
  fi
}

# Run a PostgreSQL binary as the postgres user, from a cwd it can read.
# fd 9 (the stack lock) is closed so the postmaster does not inherit and hold it.
as_pg() { (cd / && runuser -u postgres -- "$@" 9>&-); }

pg_tool() { # psql/pg_isready from the server's bin dir if present, else PATH
  local t="$1"
  [[ -n $PG_BIN ]] || pg_find_bin || true
  if [[ -n $PG_BIN && -x $PG_BIN/$t ]]; then echo "$PG_BIN/$t"; else command -v "$t"; fi
}

is_live_postgres() { # PID $1 is a running (non-zombie) postgres process
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/stat ]] || return 1
  [[ $(cat "/proc/$1/comm" 2>/dev/null) == postgres* ]] || return 1
  [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

pg_ready() {
  "$(pg_tool pg_isready)" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1
}

pg_running() { # our cluster's postmaster is alive
  pg_root
  [[ -f $PG_ROOT/data/postmaster.pid ]] || return 1
  # pg_ctl status alone trusts any live PID; make sure it is really postgres.
  is_live_postgres "$(head -n1 "$PG_ROOT/data/postmaster.pid")" || return 1
  pg_find_bin || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$PG_ROOT/data" >/dev/null 2>&1
}

pg_init() {
  local data="$PG_ROOT/data"
  [[ -f $data/PG_VERSION ]] && return 0
  log "initdb $data"
  rm -rf "$data"
  local pwfile="$PG_ROOT/.pwfile"
  printf '%s\n' "$PG_SUPERPASS" >"$pwfile"
  chown postgres:postgres "$pwfile"
  chmod 600 "$pwfile"
  # scram over TCP (the only thing apps use); trust on the private unix socket.
  as_pg "$PG_BIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust \
    --encoding=UTF8 --no-locale >"$PG_ROOT/initdb.log" 2>&1 ||
    { cat "$PG_ROOT/initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
  # Our settings live in crossdock.conf (rewritten on every `up`, so port
  # changes apply); included once from postgresql.conf.
  echo "include_if_exists = 'crossdock.conf'" >>"$data/postgresql.conf"
}

pg_write_conf() {
  local data="$PG_ROOT/data"
  # Defaults otherwise (fsync/synchronous_commit stay ON: tests exercise the
  # real durability path).
  cat >"$data/crossdock.conf" <<EOF
# Generated by scripts/stack.sh on every 'up'. Do not edit.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_ROOT/run'
max_connections = 300
shared_buffers = 128MB
password_encryption = 'scram-sha-256'
# Per-statement figures for profiling load runs (scripts/load.sh reports the
# top statements); the overhead is a few percent.
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.max = 2000
EOF
  chown postgres:postgres "$data/crossdock.conf"
  mkdir -p "$PG_ROOT/run"
  chown postgres:postgres "$PG_ROOT/run"
}

pg_up() {
  pg_ensure_installed
  pg_choose_root
  if pg_running; then
    if pg_ready; then
      log "PostgreSQL already running ($PG_ROOT/data)"
      return 0
    fi
    # Running but not answering on our port: the port setting changed or it is
    # still starting. Restart so the current config applies.
    log "PostgreSQL running but not ready on port $PG_PORT; restarting"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_ROOT/data" -m fast -w >/dev/null 2>&1 || true
  fi
  if pg_ready; then
    die "port $PG_PORT is already served by another PostgreSQL (another checkout's stack?). Stop it or set CROSSDOCK_PG_PORT."
  fi
  pg_init
  pg_write_conf
  # After a reboot/kill the old postmaster.pid (and the socket's .lock file)
  # may name a PID that is dead, a zombie, or reused by an unrelated process;
  # postgres then refuses to start. Drop such lock files.
  local lockf oldpid
  for lockf in "$PG_ROOT/data/postmaster.pid" "$PG_ROOT/run/.s.PGSQL.$PG_PORT.lock"; do
    [[ -f $lockf ]] || continue
    oldpid="$(head -n1 "$lockf")"
    if ! is_live_postgres "$oldpid"; then
      log "removing stale $lockf"
      rm -f "$lockf"
    fi
  done
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_ROOT/data" -l "$PG_ROOT/postgres.log" -w -t 60 >/dev/null; then
    tail -n 30 "$PG_ROOT/postgres.log" >&2 || true
    die "PostgreSQL failed to start (log: $PG_ROOT/postgres.log)"
  fi
  for _ in $(seq 1 60); do
    pg_ready && return 0
    sleep 1
  done
  tail -n 30 "$PG_ROOT/postgres.log" >&2 || true
  die "PostgreSQL started but pg_isready does not answer on 127.0.0.1:$PG_PORT"
}

pg_down() {
  pg_root
  if pg_running; then
    log "stopping PostgreSQL"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_ROOT/data" -m fast -w -t 60 >/dev/null
  else
    log "PostgreSQL not running"
  fi
}

psql_super() {
  pg_find_bin || true
  PGPASSWORD="$PG_SUPERPASS" PGCONNECT_TIMEOUT=5 "$(pg_tool psql)" \
    -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -X -v ON_ERROR_STOP=1 "$@"
}

create_db() {
  local name="${1:-}"
  [[ $name =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "create-db: NAME must match [a-z_][a-z0-9_]* (got '$name')"
  pg_ready || die "PostgreSQL is not running on 127.0.0.1:$PG_PORT (run: scripts/stack.sh up)"
  # Role: create or reset its password; DB: create only if missing
  # (CREATE DATABASE cannot run inside DO, hence \gexec).
  psql_super -q <<EOF
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$name') THEN
    CREATE ROLE "$name" LOGIN PASSWORD '$name';
  ELSE
    ALTER ROLE "$name" LOGIN PASSWORD '$name';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE "$name" OWNER "$name"'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$name')
\gexec
GRANT ALL PRIVILEGES ON DATABASE "$name" TO "$name";
EOF
  echo "postgres://$name:$name@127.0.0.1:$PG_PORT/$name"
}

# ---------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}

kafka_ensure_java() {
  # Kafka 4.x brokers need Java 17+.
  if ! command -v java >/dev/null || [[ $(java_major) -lt 17 ]]; then
    apt_install openjdk-17-jre-headless
  fi
}

# Download broker + tool jars once into a cache outside the clone, so fresh
# clones (CI) reuse them. Downloaded into a temp dir and renamed, and marked
# complete, so an interrupted download never looks like a usable cache.
kafka_ensure_jars() {
  if [[ -f $KAFKA_HOME/.complete ]] && compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null || apt_install maven
  log "downloading Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
  mkdir -p "$KAFKA_HOME"
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"
  # Output goes to a log (stdout of `up` stays clean for the DATABASE/KAFKA lines).
  if ! mvn -B -Dstyle.color=never -f "$SCRIPT_DIR/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime \
    >"$KAFKA_HOME/mvn.log" 2>&1; then
    tail -n 40 "$KAFKA_HOME/mvn.log" >&2
    rm -rf "$tmp"
    die "maven could not fetch Kafka $KAFKA_VERSION (log: $KAFKA_HOME/mvn.log)"
  fi
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  date -u +%FT%TZ >"$KAFKA_HOME/.complete"
}

kafka_write_log_configs() {
  # Broker: log4j2 to a size-rotated file.
  cat >"$KAFKA_DIR/log4j2-broker.properties" <<EOF
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $KAFKA_LOG
appender.file.filePattern = $KAFKA_LOG.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  # CLI tools: warnings only, to stderr.
  cat >"$KAFKA_DIR/log4j2-tools.properties" <<EOF
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
}

kafka_write_props() {
  cat >"$KAFKA_PROPS" <<EOF
# Generated by scripts/stack.sh on every 'up'. Do not edit.
# Single-node KRaft, broker and controller in one process.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CTRL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DATA

# One broker: every internal topic must have replication factor 1.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Services create their own topics; typos should fail, not auto-create.
auto.create.topics.enable=false
num.partitions=3
# No 3 s wait before the first consumer-group rebalance (faster tests).
group.initial.rebalance.delay.ms=0
EOF
}

kafka_java() { # run a Kafka main class from the cached jars, quiet logging
  java -Xms64m -Xmx256m -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2-tools.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# PID of the broker this stack started, if it is still alive. Checks the
# command line so a PID reused after a reboot is never mistaken for it.
kafka_pid() {
  [[ -f $KAFKA_PID ]] || return 1
  local pid
  pid="$(cat "$KAFKA_PID")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "kafka.Kafka $KAFKA_PROPS" || return 1
  echo "$pid"
}

# A real API round trip (metadata/list topics), not just an open port.
kafka_api_ok() {
  printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=8000\n' >"$KAFKA_DIR/admin.properties"
  timeout 30 java -Xms32m -Xmx128m -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2-tools.properties" \
    -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config "$KAFKA_DIR/admin.properties" \
    --list >/dev/null 2>"$KAFKA_DIR/api-check.err"
}

kafka_fail() {
  {
    echo "---- tail $KAFKA_LOG ----"
    tail -n 40 "$KAFKA_LOG" 2>/dev/null || true
    echo "---- tail $KAFKA_OUT ----"
    tail -n 20 "$KAFKA_OUT" 2>/dev/null || true
  } >&2
  die "$1"
}

kafka_up() {
  kafka_ensure_java
  kafka_ensure_jars
  mkdir -p "$KAFKA_DIR" "$KAFKA_DATA"
  kafka_write_log_configs
  kafka_write_props

  local pid
  if pid="$(kafka_pid)"; then
    if kafka_api_ok; then
      log "Kafka already running (pid $pid)"
      return 0
    fi
    log "Kafka process $pid exists but does not answer yet; waiting"
  else
    rm -f "$KAFKA_PID"
    if port_open "$KAFKA_PORT" || port_open "$KAFKA_CTRL_PORT"; then
      die "port $KAFKA_PORT or $KAFKA_CTRL_PORT is already in use by another process (another checkout's stack?). Stop it or set CROSSDOCK_KAFKA_PORT / CROSSDOCK_KAFKA_CONTROLLER_PORT."
    fi
    # Format the KRaft storage once. Static quorum (controller.quorum.voters),
    # so no --standalone (that flag is for dynamic quorums and refuses
    # controller.quorum.voters).
    if [[ ! -f $KAFKA_DATA/meta.properties ]]; then
      local cluster_id
      cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid)"
      log "formatting Kafka storage (cluster id $cluster_id)"
      kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPS" \
        --ignore-formatted >"$KAFKA_DIR/format.log" 2>&1 ||
        { cat "$KAFKA_DIR/format.log" >&2; die "Kafka storage format failed"; }
    fi
    log "starting Kafka $KAFKA_VERSION on $KAFKA_BOOTSTRAP (controller 127.0.0.1:$KAFKA_CTRL_PORT)"
    # setsid: own session, so the broker survives the calling shell / CI step.
    # exec inside the subshell keeps $! equal to the java PID. 9>&-: the
    # broker must not inherit (and hold forever) the stack lock.
    (
      cd "$KAFKA_DIR"
      exec setsid java -Xms256m -Xmx512m -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2-broker.properties" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" </dev/null >>"$KAFKA_OUT" 2>&1 9>&-
    ) &
    pid=$!
    echo "$pid" >"$KAFKA_PID"
  fi

  local deadline=$((SECONDS + KAFKA_TIMEOUT))
  # 1) cheap: wait for the listener; 2) real: an admin API call.
  until port_open "$KAFKA_PORT"; do
    kill -0 "$pid" 2>/dev/null || kafka_fail "Kafka exited during startup"
    ((SECONDS < deadline)) || kafka_fail "Kafka did not open $KAFKA_BOOTSTRAP within ${KAFKA_TIMEOUT}s"
    sleep 0.5
  done
  until kafka_api_ok; do
    kill -0 "$pid" 2>/dev/null || kafka_fail "Kafka exited during startup"
    ((SECONDS < deadline)) || { cat "$KAFKA_DIR/api-check.err" >&2; kafka_fail "Kafka did not answer API calls within ${KAFKA_TIMEOUT}s"; }
    sleep 1
  done
}

kafka_down() {
  local pid
  if ! pid="$(kafka_pid)"; then
    rm -f "$KAFKA_PID"
    log "Kafka not running"
    return 0
  fi
  log "stopping Kafka (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do # controlled shutdown normally takes a few seconds
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "Kafka did not stop after 30s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$KAFKA_PID"
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

cmd_up() {
  require_root
  take_lock
  local t0=$SECONDS
  pg_up
  kafka_up
  log "stack up in $((SECONDS - t0))s"
  echo "DATABASE: $DATABASE_URL"
  echo "KAFKA: $KAFKA_BOOTSTRAP"
}

cmd_down() {
  require_root
  take_lock
  kafka_down
  pg_down
}

cmd_status() {
  local rc=0 pid
  pg_root
  if pg_running && pg_ready; then
    echo "postgres: running  $DATABASE_URL  (data $PG_ROOT/data, log $PG_ROOT/postgres.log)"
  else
    echo "postgres: stopped"
    rc=1
  fi
  if pid="$(kafka_pid)" && port_open "$KAFKA_PORT"; then
    echo "kafka:    running  $KAFKA_BOOTSTRAP  (pid $pid, version $KAFKA_VERSION, log $KAFKA_LOG)"
  else
    echo "kafka:    stopped"
    rc=1
  fi
  return $rc
}

cmd_clean() {
  cmd_down
  pg_root
  log "deleting $STACK_DIR and $PG_ROOT"
  rm -rf "$PG_ROOT" "$STACK_DIR"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    create-db)
      [[ $# -eq 1 ]] || die "usage: stack.sh create-db NAME"
      create_db "$1"
      ;;
    psql) psql_super "$@" ;;
    kafka-tool)
      [[ $# -ge 1 ]] || die "usage: stack.sh kafka-tool CLASS [ARGS...]"
      [[ -f $KAFKA_HOME/.complete ]] || die "Kafka jars not downloaded yet (run: scripts/stack.sh up)"
      mkdir -p "$KAFKA_DIR"
      [[ -f $KAFKA_DIR/log4j2-tools.properties ]] || kafka_write_log_configs
      kafka_java "$@"
      ;;
    clean) cmd_clean ;;
    -h | --help | help | "") usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
