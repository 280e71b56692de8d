# shellcheck shell=bash disable=SC2034  # (variables are used by the scripts that source this)
# Shared settings and helpers for deploy/local/{up,down,status,smoke}. Sourced, not run.
#
# Everything these scripts create lives under $STATE_DIR (outside the git tree):
#   kafka/lib/        broker + tools jars from Maven Central (cache, kept by `down --purge`)
#   kafka/data/       KRaft metadata + topic data
#   kafka/config/     generated server.properties and log4j configs
#   pg-replica/data/  streaming replica of the local PostgreSQL cluster
#   logs/             kafka.log, kafka.out, pg-replica.log, maven.log
#   run/              kafka.pid

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE_DIR=${CHORUS_LOCAL_DIR:-/var/tmp/chorus-local}
LOG_DIR=$STATE_DIR/logs
RUN_DIR=$STATE_DIR/run

KAFKA_POM=$HERE/kafka/pom.xml
KAFKA_HOME=$STATE_DIR/kafka
KAFKA_LIB=$KAFKA_HOME/lib
KAFKA_DATA=$KAFKA_HOME/data
KAFKA_CONF=$KAFKA_HOME/config
KAFKA_PID=$RUN_DIR/kafka.pid
KAFKA_HOST=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_BOOTSTRAP=$KAFKA_HOST:$KAFKA_PORT
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_HOST=127.0.0.1
PG_PRIMARY_PORT=5432
PG_REPLICA_PORT=5433
PG_USER=postgres
PG_DB=${CHORUS_DB:-test}
PG_REPLICA_HOME=$STATE_DIR/pg-replica
PG_REPLICA_DATA=$PG_REPLICA_HOME/data
PG_REPLICA_LOG=$LOG_DIR/pg-replica.log
PG_REPLICA_NAME=chorus_replica

REDIS_HOST=127.0.0.1
REDIS_PORT=6379

# ---------------------------------------------------------------- messages

log() { printf '[local] %s\n' "$*" >&2; }
die() { printf '[local] ERROR: %s\n' "$*" >&2; exit 1; }

# show_log FILE [LINES]: print the tail of a log file to stderr (for error messages)
show_log() {
  [[ -f $1 ]] || return 0
  printf -- '----- last %s lines of %s -----\n' "${2:-40}" "$1" >&2
  tail -n "${2:-40}" "$1" >&2
  printf -- '-----\n' >&2
}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found: $2"; }

# lock_state: serialise up/down runs (e.g. parallel CI jobs). Holds fd 9 until the script exits,
# so every long-lived process started while locked must be launched with 9>&- .
lock_state() {
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  exec 9>"$STATE_DIR/.lock"
  flock -w 900 9 || die "another deploy/local/up or down holds $STATE_DIR/.lock"
}

# ---------------------------------------------------------------- waiting

# wait_for SECONDS CMD...: run CMD every 0.5 s until it succeeds; fail after SECONDS
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# port_open HOST PORT: something accepts TCP connections there
# shellcheck disable=SC2016  # $1/$2 are expanded by the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; }

# pid_running PIDFILE PATTERN: the pid on the first line of PIDFILE is alive and its command
# line matches PATTERN (guards against stale pid files, reused pids and zombies, whose
# command line is empty)
pid_running() {
  local pid
  [[ -f $1 ]] && read -r pid <"$1" && [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

# ---------------------------------------------------------------- kafka

kafka_running() { pid_running "$KAFKA_PID" 'kafka\.Kafka'; }

# kafka_tool CLASS ARGS...: run a Kafka CLI class on the broker's classpath, quiet logging,
# killed after $KAFKA_TOOL_TIMEOUT seconds (default 60)
kafka_tool() {
  timeout "${KAFKA_TOOL_TIMEOUT:-60}" java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$KAFKA_CONF/tools-log4j.properties" \
    -cp "$KAFKA_LIB/*" "$@"
}

# ---------------------------------------------------------------- postgres

as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# psql_at PORT SQL [DB]: one unaligned, tuples-only query as the postgres superuser
psql_at() {
  psql -X -v ON_ERROR_STOP=1 -At -h "$PG_HOST" -p "$1" -U "$PG_USER" -d "${3:-postgres}" -c "$2"
}

pg_up() { "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$1" -t 2; }

replica_running() { pid_running "$PG_REPLICA_DATA/postmaster.pid" "postgres.*$PG_REPLICA_DATA"; }

# replica_streaming: the primary sees our replica in pg_stat_replication with state 'streaming'
replica_streaming() {
  [[ $(psql_at "$PG_PRIMARY_PORT" "select count(*) from pg_stat_replication
        where application_name = '$PG_REPLICA_NAME' and state = 'streaming'" 2>/dev/null) == 1 ]]
}

# ---------------------------------------------------------------- redis

redis_up() { [[ $(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

# ---------------------------------------------------------------- output

print_env() {
  cat <<EOF
KAFKA_BROKERS=$KAFKA_BOOTSTRAP
DATABASE_URL=postgres://$PG_USER@$PG_HOST:$PG_PRIMARY_PORT/$PG_DB
DATABASE_REPLICA_URLS=postgres://$PG_USER@$PG_HOST:$PG_REPLICA_PORT/$PG_DB
REDIS_URL=redis://$REDIS_HOST:$REDIS_PORT
EOF
}
