#!/usr/bin/env bash
# make up: PostgreSQL, RabbitMQ and the six services on loopback, data and logs under .local/ (kept by make down).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
started_at=$(date +%s)

mkdir -p "$LOCAL_DIR"/{logs,pids,rabbitmq}
exec 9>"$LOCAL_DIR/up.lock"
if ! flock -n 9; then
  say "make up is already running (lock $LOCAL_DIR/up.lock); wait for it or run make down."
  exit 1
fi

running=0
for entry in "${SERVICES[@]}"; do
  read -r name _ _ _ <<<"$entry"
  pid_alive "$LOCAL_DIR/pids/$name.pid" && running=$((running + 1))
done
if [ "$running" = "${#SERVICES[@]}" ]; then
  say "The local stack is already running (make status shows it; make down stops it)."
  exit 0
fi
if [ "$running" -gt 0 ]; then
  say "$running of ${#SERVICES[@]} services are already running; starting the rest."
fi

"$ROOT/deploy/local/ensure-deps.sh"

# --- PostgreSQL -------------------------------------------------------------------------------------------
PG_BIN_DIR="$(pg_bin)"
if is_root && [ ! -e "$LOCAL_DIR/postgres" ] && ! runuser -u postgres -- test -x "$LOCAL_DIR"; then
  # PostgreSQL runs as the postgres user, who cannot reach a checkout under a private folder (such as /root):
  # keep its data in a folder of its own and link it from .local/postgres.
  pg_home="/var/tmp/perspective-$(echo "$ROOT" | sha256sum | cut -c1-12)/postgres"
  mkdir -p "$pg_home"
  chown postgres:postgres "$pg_home"
  ln -s "$pg_home" "$LOCAL_DIR/postgres"
  say "PostgreSQL data in $pg_home (linked from $LOCAL_DIR/postgres): the postgres user cannot enter $LOCAL_DIR"
fi
PG_DATA="$(pg_data)"
if [ ! -f "$PG_DATA/PG_VERSION" ]; then
  say "Creating the PostgreSQL cluster in $PG_DATA"
  mkdir -p "$(dirname "$PG_DATA")"
  is_root && chown postgres:postgres "$(dirname "$PG_DATA")"
  as_pg "$PG_BIN_DIR/initdb" -D "$PG_DATA" -U perspective -A trust -E UTF8 --no-instructions >"$LOCAL_DIR/logs/initdb.log"
fi
if as_pg "$PG_BIN_DIR/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
  say "PostgreSQL     127.0.0.1:$PG_PORT  already running"
else
  as_pg "$PG_BIN_DIR/pg_ctl" -D "$PG_DATA" -l "$(dirname "$PG_DATA")/postgres.log" -w -t 60 start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" >/dev/null 9>&-
  say "PostgreSQL     127.0.0.1:$PG_PORT  started (data $PG_DATA)"
fi
for entry in "${SERVICES[@]}"; do
  read -r _ _ _ database <<<"$entry"
  exists=$(as_pg "$PG_BIN_DIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U perspective -d postgres -tAc \
    "select 1 from pg_database where datname = '$database'")
  [ "$exists" = 1 ] || as_pg "$PG_BIN_DIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U perspective -d postgres -qc "create database $database" >/dev/null
done

# --- RabbitMQ ---------------------------------------------------------------------------------------------
RABBIT_BIN_DIR="$(rabbit_bin)"
(
  rabbit_env
  if "$RABBIT_BIN_DIR/rabbitmqctl" -n "$RABBIT_NODE" -q status >/dev/null 2>&1; then
    say "RabbitMQ       127.0.0.1:$AMQP_PORT  already running"
  else
    nohup "$RABBIT_BIN_DIR/rabbitmq-server" >>"$LOCAL_DIR/logs/rabbitmq.log" 2>&1 9>&- &
    "$RABBIT_BIN_DIR/rabbitmqctl" -n "$RABBIT_NODE" -q wait "$RABBITMQ_PID_FILE" --timeout 90 >/dev/null
    say "RabbitMQ       127.0.0.1:$AMQP_PORT  started (node $RABBIT_NODE, data $LOCAL_DIR/rabbitmq)"
  fi
)

# --- Services ---------------------------------------------------------------------------------------------
say "Building the services ($CONFIGURATION)..."
# No build servers: they would outlive make up and keep its lock (file descriptors are inherited).
if ! dotnet build "$ROOT/deploy/local/local.slnf" -c "$CONFIGURATION" -nologo -v quiet --disable-build-servers >"$LOCAL_DIR/logs/build.log" 2>&1 9>&-; then
  tail -30 "$LOCAL_DIR/logs/build.log"
  say "Build failed; the whole log is $LOCAL_DIR/logs/build.log"
  exit 1
fi

targets=()
for entry in "${SERVICES[@]}"; do
  read -r name folder port database <<<"$entry"
  targets+=("$name=http://127.0.0.1:$port")
  pidfile="$LOCAL_DIR/pids/$name.pid"
  pid_alive "$pidfile" && continue
  bin="$ROOT/services/$folder/bin/$CONFIGURATION/net10.0"
  (
    cd "$bin"
    export ASPNETCORE_ENVIRONMENT=Development
    export Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$port"
    export ConnectionStrings__Database="Host=127.0.0.1;Port=$PG_PORT;Database=$database;Username=perspective"
    export ConnectionStrings__RabbitMq="amqp://guest:guest@127.0.0.1:$AMQP_PORT/"
    # POV's genesis allocations (read by the ledger at its first start only).
    export Ledger__GenesisFile="$ROOT/deploy/local/genesis.json"
    nohup dotnet "Perspective.$folder.dll" >>"$LOCAL_DIR/logs/$name.log" 2>&1 9>&- &
    echo $! >"$pidfile"
  )
done

say "Waiting for the services to report SERVING..."
if ! dotnet "$ROOT/deploy/local/DevTool/bin/$CONFIGURATION/net10.0/Perspective.DevTool.dll" wait-healthy --timeout-seconds 120 "${targets[@]}"; then
  say "Not every service became healthy; see $LOCAL_DIR/logs/<service>.log. make down stops what started."
  exit 1
fi

cat <<MSG

Perspective is up in $(( $(date +%s) - started_at )) s. gRPC endpoints (HTTP/2 cleartext, loopback only):
  ledger 127.0.0.1:5101   registry 127.0.0.1:5102   gateway 127.0.0.1:5103
  subdao 127.0.0.1:5104   platform 127.0.0.1:5105   treasury 127.0.0.1:5106
PostgreSQL 127.0.0.1:$PG_PORT (user perspective), RabbitMQ amqp://guest:guest@127.0.0.1:$AMQP_PORT/
Logs: $LOCAL_DIR/logs/   Data: $LOCAL_DIR/   Stop: make down

A development token: make token SUB=alice ROLE=user
Call a service:      grpcurl -plaintext -H "authorization: Bearer \$(make -s token SUB=alice ROLE=user)" 127.0.0.1:5101 list
MSG
