#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries and RabbitMQ are on the machine. As root on Debian it installs what is
# missing with apt-get (postgresql, rabbitmq-server) and stops the system-wide services those packages start, so
# nothing is left listening on public interfaces; otherwise it says what to install and fails. It also installs yamllint
# for the deployment checks (as root), and says when kubectl is missing; those checks fail by themselves without them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    say "Installing $* with apt-get (as root)..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Stop and disable a system service started by a package install; ours run as private processes instead.
stop_system_service() {
  local name="$1"
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl stop "$name" 2>/dev/null || true
    systemctl disable "$name" 2>/dev/null || true
  else
    service "$name" stop >/dev/null 2>&1 || true
    update-rc.d "$name" disable >/dev/null 2>&1 || true
  fi
}

if [ -z "$(pg_bin)" ]; then
  if is_root && command -v apt-get >/dev/null; then
    apt_install postgresql
    stop_system_service postgresql
  else
    say "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found."
    say "  Debian/Ubuntu: sudo apt-get install postgresql    macOS: brew install postgresql@15    or set PG_BIN=/path/to/bin"
    exit 1
  fi
fi

if [ -z "$(rabbit_bin)" ]; then
  if is_root && command -v apt-get >/dev/null; then
    apt_install rabbitmq-server
    # The package starts a broker and epmd (port 4369, socket-activated under systemd) on every interface;
    # stop and disable them: make up and the tests run private nodes on 127.0.0.1 only.
    stop_system_service rabbitmq-server
    stop_system_service epmd.socket
    stop_system_service epmd
    if command -v pkill >/dev/null 2>&1; then
      pkill -u rabbitmq -f beam.smp 2>/dev/null || true
      pkill -u rabbitmq -x epmd 2>/dev/null || true
      pkill -u epmd -x epmd 2>/dev/null || true
    else
      for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        case "$(cat /proc/$pid/comm 2>/dev/null)" in beam.smp|epmd)
          owner=$(stat -c %U /proc/$pid 2>/dev/null)
          [ "$owner" = rabbitmq ] || [ "$owner" = epmd ] && kill "$pid" 2>/dev/null ;;
        esac
      done
    fi
  else
    say "RabbitMQ not found."
    say "  Debian/Ubuntu: sudo apt-get install rabbitmq-server (then: sudo systemctl disable --now rabbitmq-server)"
    say "  macOS: brew install rabbitmq    or set RABBITMQ_BIN=/path/to/sbin"
    exit 1
  fi
fi

# yamllint for the deployment checks (tests/Perspective.Deploy.Tests lints every manifest and values file). Without it
# only that check fails, with this same advice, so a missing yamllint does not stop the rest of the suite.
if ! command -v yamllint >/dev/null 2>&1; then
  if is_root && command -v apt-get >/dev/null; then
    apt_install yamllint
  else
    say "yamllint not found: the YAML lint check will fail. Debian/Ubuntu: sudo apt-get install yamllint    macOS: brew install yamllint"
  fi
fi

# kubectl renders every kustomization in the deployment checks. Debian's own package (kubernetes-client) is 1.20, whose
# built-in kustomize is too old for these layers, so it is not installed here; the check fails and says how to install it.
if ! command -v kubectl >/dev/null 2>&1; then
  say "kubectl not found: the kustomize check will fail. Install kubectl 1.27 or newer (https://kubernetes.io/docs/tasks/tools/)."
fi
