#!/usr/bin/env bash
# Runs every test: installs what the tests need (npm packages of the independent judges,
# Debian packages: PostgreSQL, the Python and Rust gRPC/HTTP/2 peers, the C/C++/Python/Rust
# toolchains of libarrowcid's clients; the .NET packages), builds the solution and libarrowcid once and runs all xunit
# projects. Every interop/node test file is driven by an xunit test that first writes its
# fixtures (or starts the server it talks to) and then runs `node --test` on it as a child process.
# Ends with one summary line: "tests: N passed, N failed, N skipped".
#
# ./test.sh --quick: the quick loop. Builds and runs every test except those that need an
# independent peer, a browser or a server process (test classes marked [Trait("Category", "Peers")]:
# the node, Python and Rust interop, PostgreSQL, Chromium, serve clusters, the stress, abuse and
# chaos suites); installs nothing. The full run is what CI runs.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log="$(mktemp -d)/test.log"
quick=false
for argument in "$@"; do
  case "$argument" in
    --quick) quick=true ;;
    *) echo "usage: ./test.sh [--quick]" >&2; exit 2 ;;
  esac
done

if $quick; then
  echo "== quick: building, then every test that needs no peer, browser or server"
  dotnet build ArrowCid.sln -c Release
  status=0
  dotnet test ArrowCid.sln -c Release --no-build --filter "Category!=Peers" 2>&1 | tee "$log" || status=$?
else

echo "== installing interop/node packages (npm ci)"
if command -v npm >/dev/null; then
  (cd interop/node && npm ci --no-audit --no-fund --loglevel=error)
  # The JavaScript client's own packages (its npm test is driven by JsClientTests).
  (cd clients/js && npm ci --no-audit --no-fund --loglevel=error)
  # The web explorer's bundler (esbuild: the committed bundle is checked against its sources) and
  # its browser driver (playwright-core, driving Debian's chromium below).
  (cd clients/explorer && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "npm not found: node interop tests will be skipped" >&2
fi

echo "== Debian packages (peers the tests start themselves)"
# One list, installed with one apt-get update and only when something is missing:
#   postgresql                  the registry and multi-host tests start a throw-away server
#   python3-grpcio, -protobuf   gRPC C-core, pyarrow.flight's transport (interop/python/grpc_peer)
#   python3-h2                  hyper-h2, a second HTTP/2 client, and the raw-frame abuse tests
#   cargo, librust-*-dev        Debian's cargo/rustc and the hyper/h2/tokio/prost crates (sources in
#                               /usr/share/cargo/registry) the Rust HTTP/2 peer (interop/rust-h2) builds from offline
#   wrk, nginx                  `arrowcid bench http` drives the gateway and nginx with wrk (its test runs it small)
debian_packages=(postgresql python3-grpcio python3-protobuf python3-h2 wrk nginx
  cargo librust-hyper-dev librust-h2-dev librust-http-dev librust-tokio-dev librust-prost-dev
  librust-bytes-dev librust-futures-util-dev librust-sha2-dev librust-serde-json-dev)
#   curl                        the gateway's shell-user judge (raw block and CAR fetches)
debian_packages+=(curl)
#   nghttp2-client              h2load, one of the HTTP/2 stress suite's clients (tests/ArrowCid.Flight.Tests/Stress)
debian_packages+=(nghttp2-client)
#   chromium                    the web explorer's browser tests (driven by playwright-core from clients/explorer)
debian_packages+=(chromium)
#   python3-pytest, python3-pip  the Python client's tests and its offline pip install (clients/python)
#   g++, cmake, googletest      the C example and the C++ suite of libarrowcid (clients/c, under CTest)
#   valgrind                    that suite again under memcheck
debian_packages+=(python3-pytest python3-pip python3-setuptools python3-wheel g++ cmake googletest libgtest-dev valgrind)
#   prometheus                  a real Prometheus server scrapes a node's /metrics, and promtool checks it
debian_packages+=(prometheus)
#   ceph-mon, ceph-osd, radosgw a one-node Ceph with an S3 endpoint, which the object storage tests
#                               start themselves (tests/ArrowCid.TestSupport/CephTestCluster.cs);
#                               without recommends (the rest of Ceph is not needed)
#   python3-boto3               an independent S3 client that reads the bucket
lean_packages=(ceph-mon ceph-osd radosgw python3-boto3)
missing=()
missing_lean=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
for package in "${lean_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing_lean+=("$package")
done
if [ $((${#missing[@]} + ${#missing_lean[@]})) -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update || true
    if [ ${#missing[@]} -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" \
        || echo "installing ${missing[*]} failed: the tests needing them skip (and fail when CI=true)" >&2
    fi
    if [ ${#missing_lean[@]} -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing_lean[@]}" \
        || echo "installing ${missing_lean[*]} failed: the tests needing them skip (and fail when CI=true)" >&2
    fi
  else
    echo "cannot install ${missing[*]} ${missing_lean[*]} here: the tests needing them skip (and fail when CI=true)" >&2
  fi
fi

echo "== building the Rust HTTP/2 peer (interop/rust-h2)"
# Built here so a compile error shows at once; the test's own build.sh run is then a no-op.
bash interop/rust-h2/build.sh >/dev/null || echo "interop/rust-h2 did not build: its tests will say why" >&2

echo "== restoring and building"
dotnet restore ArrowCid.sln
dotnet build ArrowCid.sln -c Release --no-restore

echo "== building libarrowcid (NativeAOT): artifacts/native/libarrowcid.so"
# The C ABI as users build it: a build per x86-64 level (v4, v3, v2) and libarrowcid.so, the
# loader that runs the best one the CPU runs; the C, C++, Python and Rust client tests load it.
dotnet publish src/ArrowCid.Native -c Release -r linux-x64 -o artifacts/native

echo "== publishing a self-contained arrowcid: artifacts/publish/linux-x64/arrowcid"
# As docs/deploy.md builds it; a test runs it without the SDK (PublishedBinaryTests).
dotnet publish src/ArrowCid.Cli -c Release -r linux-x64 --self-contained -o artifacts/publish/linux-x64

echo "== dotnet tests"
status=0
# The HTTP/2 stress suite appends one summary line a pair here; printed after the tests.
rm -f artifacts/stress/http2-stress.txt artifacts/stress/abuse.txt artifacts/stress/chaos.txt artifacts/stress/chaos-bucket.txt
dotnet test ArrowCid.sln -c Release --no-build 2>&1 | tee "$log" || status=$?

echo "== a clone with nothing beside it: the suites that read the conformance data (testdata/)"
# A user's clone has no folder beside it: the suites that read upstream conformance files build
# and pass in a fresh clone of this commit in a folder of its own.
standalone="$(mktemp -d)/arrowcid"
if git clone --quiet --no-hardlinks . "$standalone"; then
  (cd "$standalone" && for project in Architecture Arrow Content Parquet; do
     # Peers are not what this step is about (the clone has no npm packages): they skip, not fail.
     if env -u CI dotnet test "tests/ArrowCid.$project.Tests" -c Release --filter "Category!=Peers" > "$standalone.$project.log" 2>&1; then
       grep -E "^(Passed|Failed)!" "$standalone.$project.log"
     else
       cat "$standalone.$project.log"; exit 1
     fi
   done) || status=1
  rm -rf "$(dirname "$standalone")"
else
  echo "git clone of this checkout failed" | tee -a "$log"; status=1
fi

if [ -f artifacts/stress/abuse.txt ]; then
  echo "== abuse suite (what it tried, the node's answers and peak RSS)"
  cat artifacts/stress/abuse.txt
fi
if [ -f artifacts/stress/chaos.txt ]; then
  echo "== chaos suite (three nodes, one PostgreSQL: what it did and what it lost)"
  cat artifacts/stress/chaos.txt
fi
if [ -f artifacts/stress/chaos-bucket.txt ]; then
  echo "== chaos suite with a bucket (three nodes, one PostgreSQL, one radosgw restarted, its OSD restarted)"
  cat artifacts/stress/chaos-bucket.txt
fi
if [ -f artifacts/stress/http2-stress.txt ]; then
  echo "== HTTP/2 stress (calls, hangs, outcomes per pair)"
  cat artifacts/stress/http2-stress.txt
fi

fi

# One plain closing line over every test project's counts ("Failed: a, Passed: b, Skipped: c").
awk '
  /(Passed|Failed)!  - Failed:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { v = $(i+1); gsub(/,/, "", v); f += v }
      if ($i == "Passed:")  { v = $(i+1); gsub(/,/, "", v); p += v }
      if ($i == "Skipped:") { v = $(i+1); gsub(/,/, "", v); s += v }
    }
  }
  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit $status
