#!/usr/bin/env bash
# make test: the whole suite. Each test assembly starts its own PostgreSQL and RabbitMQ on free loopback ports in
# temp folders and stops them when done. The last line is the total: "N passed, N failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 TESTINGPLATFORM_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! "$ROOT/deploy/local/ensure-deps.sh"; then
  echo "0 passed, 1 failed"
  exit 1
fi

log_dir="$ROOT/.local/test-results"
rm -rf "$log_dir" && mkdir -p "$log_dir"
started=$(date +%s)

# No build servers: they would outlive this command (and hold what it opened).
if ! dotnet build Perspective.Services.sln -nologo -v quiet --disable-build-servers >"$log_dir/build.log" 2>&1; then
  grep -E 'error|warning' "$log_dir/build.log" | sort -u | head -40
  echo "build failed (log: $log_dir/build.log)"
  echo "0 passed, 1 failed"
  exit 1
fi

{ dotnet test --solution Perspective.Services.sln --no-build; echo $? >"$log_dir/exit-code"; } 2>&1 | tee "$log_dir/test.log" \
  | grep --line-buffered -E '^(failed|skipped) |^Running tests from|(passed|failed with [0-9]+ error).*\(|Test run summary|total:|failed:|succeeded:|skipped:|duration:' || true
status=$(cat "$log_dir/exit-code" 2>/dev/null || echo 1)

# A crashed test host must not leave its servers behind: stop whatever still runs from the test temp folders.
leftovers=$(pgrep -f 'perspective-test-' || true)
if [ -n "$leftovers" ]; then
  echo "stopping processes left by the tests: $(echo $leftovers)"
  pkill -KILL -f 'perspective-test-' || true
fi
# A killed node leaves its epmd, whose command line names no folder: find it by the test folder in its environment.
for pid in $(pgrep -x epmd || true); do
  if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -q '^HOME=.*perspective-test-'; then
    echo "stopping epmd $pid left by the tests"
    kill -KILL "$pid" 2>/dev/null || true
  fi
done

# Totals from the runner's closing summary (all test assemblies together).
summary=$(sed -n '/Test run summary/,$p' "$log_dir/test.log")
passed=$(grep -oE '^\s*succeeded: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' | tail -1)
failed=$(grep -oE '^\s*failed: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' | tail -1)
passed=${passed:-0}
failed=${failed:-0}
if [ "$failed" != 0 ]; then
  echo "--- failures (whole log: $log_dir/test.log) ---"
  grep -A14 -E '^failed ' "$log_dir/test.log" | grep -vE '^\s+at |^\s+--- End of' | head -200
fi
echo "test time: $(( $(date +%s) - started )) s; reports in $log_dir"
if [ "$status" -ne 0 ] && [ "$failed" = 0 ]; then failed=1; fi
if [ "$failed" != 0 ] && [ "$status" = 0 ]; then status=1; fi
if [ "$passed" = 0 ]; then echo "no test ran"; failed=$((failed > 0 ? failed : 1)); status=1; fi
echo "$passed passed, $failed failed"
exit "$status"
