#!/usr/bin/env bash
# make audit: runs the auditor (services/Perspective.Audit) over the stack `make up` started: one line per check,
# exit 1 when any fails. Endpoints and databases come from env.sh (PERSPECTIVE_PG_PORT etc. apply).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

CLI_PROJECT="$ROOT/services/Perspective.Audit.Cli"
dotnet build "$CLI_PROJECT" -c "$CONFIGURATION" -nologo -v quiet >/dev/null

args=()
for entry in "${SERVICES[@]}"; do
  read -r name _ port database <<<"$entry"
  args+=(--service "$name=http://127.0.0.1:$port")
  args+=(--database "$name=Host=127.0.0.1;Port=$PG_PORT;Database=$database;Username=perspective")
done
exec dotnet "$CLI_PROJECT/bin/$CONFIGURATION/net10.0/Perspective.Audit.Cli.dll" "${args[@]}" "$@"
