#!/usr/bin/env bash
# Runs every test: installs what the tests need (npm packages of the independent judges, the
# .NET packages), builds the solution once, runs all xunit projects (several of which drive
# interop/node as a child process) and then the node tests that stand on their own.
# Ends with one summary line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log="$(mktemp -d)/test.log"

echo "== installing interop/node packages (npm ci)"
if command -v npm >/dev/null; then
  (cd interop/node && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "npm not found: node interop tests will be skipped" >&2
fi

echo "== PostgreSQL server binaries (the registry and multi-host tests start a throw-away server)"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql) \
      || echo "PostgreSQL install failed: its tests will be skipped" >&2
  else
    echo "PostgreSQL not installable here: its tests will be skipped" >&2
  fi
fi

echo "== restoring and building"
dotnet restore ArrowCid.sln
dotnet build ArrowCid.sln -c Release --no-restore

echo "== dotnet tests"
status=0
dotnet test ArrowCid.sln -c Release --no-build 2>&1 | tee "$log" || status=$?

echo "== node tests"
if command -v node >/dev/null && [ -d interop/node/node_modules ]; then
  (cd interop/node && node --test --test-concurrency=1 test/) 2>&1 | tee -a "$log" || status=$?
fi

# One plain closing line over every runner's counts (dotnet: "Failed: a, Passed: b, Skipped: c";
# node: "# pass b", "# fail a", "# skipped c").
awk '
  /(Passed|Failed)!  - Failed:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { v = $(i+1); gsub(/,/, "", v); f += v }
      if ($i == "Passed:")  { v = $(i+1); gsub(/,/, "", v); p += v }
      if ($i == "Skipped:") { v = $(i+1); gsub(/,/, "", v); s += v }
    }
  }
  /^# pass /    { p += $3 }
  /^# fail /    { f += $3 }
  /^# skipped / { s += $3 }
  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit $status
