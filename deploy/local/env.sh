# Shared settings of the local stack; sourced by the scripts in this folder. Override any of them in the environment.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${PERSPECTIVE_LOCAL_DIR:-$ROOT/.local}"
PG_PORT="${PERSPECTIVE_PG_PORT:-55432}"
AMQP_PORT="${PERSPECTIVE_AMQP_PORT:-55672}"
RABBIT_DIST_PORT="${PERSPECTIVE_RABBIT_DIST_PORT:-55673}"
EPMD_PORT="${PERSPECTIVE_EPMD_PORT:-55674}"
RABBIT_NODE="perspective-local@localhost"
CONFIGURATION="${PERSPECTIVE_CONFIGURATION:-Debug}"

# name  project folder  port  database
SERVICES=(
  "ledger     Ledger              5101 perspective_ledger"
  "registry   ModelRegistry       5102 perspective_registry"
  "gateway    UsageGateway        5103 perspective_gateway"
  "subdao     SubDaoGovernance    5104 perspective_subdao"
  "platform   PlatformGovernance  5105 perspective_platform"
  "treasury   Treasury            5106 perspective_treasury"
)

is_root() { [ "$(id -u)" = 0 ]; }

# PostgreSQL refuses to run as root: as root, its commands run as the postgres user.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v initdb)")"
}

rabbit_bin() {
  if [ -n "${RABBITMQ_BIN:-}" ]; then echo "$RABBITMQ_BIN"; return; fi
  if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then echo /usr/lib/rabbitmq/bin; return; fi
  command -v rabbitmq-server >/dev/null 2>&1 && dirname "$(command -v rabbitmq-server)"
}

# The private RabbitMQ node: every port on 127.0.0.1, data and Erlang cookie under $LOCAL_DIR.
rabbit_env() {
  export HOME="$LOCAL_DIR/rabbitmq"
  export RABBITMQ_NODENAME="$RABBIT_NODE"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$AMQP_PORT"
  export RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
  export ERL_EPMD_PORT="$EPMD_PORT"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE="$LOCAL_DIR/rabbitmq/mnesia"
  export RABBITMQ_LOG_BASE="$LOCAL_DIR/rabbitmq/log"
  export RABBITMQ_PID_FILE="$LOCAL_DIR/rabbitmq/rabbitmq.pid"
  export RABBITMQ_CONFIG_FILE="$LOCAL_DIR/rabbitmq/rabbitmq"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$LOCAL_DIR/rabbitmq/enabled_plugins"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
  # rabbitmqctl is an Erlang node too: keep its distribution port on loopback as well.
  export RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
  export RABBITMQ_CTL_DIST_PORT_MIN="$((EPMD_PORT + 1))" RABBITMQ_CTL_DIST_PORT_MAX="$((EPMD_PORT + 20))"
}

# PostgreSQL's data folder by its real path: the postgres user may not follow a link through a private folder.
pg_data() {
  if [ -L "$LOCAL_DIR/postgres" ]; then echo "$(readlink -f "$LOCAL_DIR/postgres")/data"; else echo "$LOCAL_DIR/postgres/data"; fi
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

say() { printf '%s\n' "$*"; }
