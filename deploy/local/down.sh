#!/usr/bin/env bash
# make down: stops the six services, RabbitMQ and PostgreSQL started by make up. Data under .local/ is kept.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

for entry in "${SERVICES[@]}"; do
  read -r name _ _ _ <<<"$entry"
  pidfile="$LOCAL_DIR/pids/$name.pid"
  if pid_alive "$pidfile"; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    say "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
done

RABBIT_BIN_DIR="$(rabbit_bin)"
if [ -n "$RABBIT_BIN_DIR" ] && [ -d "$LOCAL_DIR/rabbitmq" ]; then
  (
    rabbit_env
    # With the pid file, rabbitmqctl returns only once the Erlang VM has exited, so epmd can then be stopped.
    # (Given a pid file of a node that is not running, it would wait forever: check first.)
    if pid_alive "$RABBITMQ_PID_FILE" \
      && timeout 120 "$RABBIT_BIN_DIR/rabbitmqctl" -n "$RABBIT_NODE" -q stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1; then
      say "stopped RabbitMQ"
    fi
    # epmd outlives the node; stop the one on our private port only.
    epmd -kill >/dev/null 2>&1 || true
  )
fi

PG_BIN_DIR="$(pg_bin)"
PG_DATA="$(pg_data)"
if [ -n "$PG_BIN_DIR" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
  as_pg "$PG_BIN_DIR/pg_ctl" -D "$PG_DATA" -w -m fast stop >/dev/null && say "stopped PostgreSQL"
fi
exit 0
