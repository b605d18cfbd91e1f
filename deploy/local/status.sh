#!/usr/bin/env bash
# make status: what of the local stack is running.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
for entry in "${SERVICES[@]}"; do
  read -r name _ port _ <<<"$entry"
  if pid_alive "$LOCAL_DIR/pids/$name.pid"; then state="running (pid $(cat "$LOCAL_DIR/pids/$name.pid"))"; else state="stopped"; fi
  printf '  %-10s 127.0.0.1:%-6s %s\n' "$name" "$port" "$state"
done
PG_DATA="$(pg_data)"
if [ -f "$PG_DATA/postmaster.pid" ]; then echo "  postgres   127.0.0.1:$PG_PORT running"; else echo "  postgres   127.0.0.1:$PG_PORT stopped"; fi
if [ -f "$LOCAL_DIR/rabbitmq/rabbitmq.pid" ] && kill -0 "$(cat "$LOCAL_DIR/rabbitmq/rabbitmq.pid")" 2>/dev/null; then
  echo "  rabbitmq   127.0.0.1:$AMQP_PORT running"
else
  echo "  rabbitmq   127.0.0.1:$AMQP_PORT stopped"
fi
