#!/usr/bin/env bash
# Builds arrowcid-h2-peer offline against the crate sources Debian's librust-*-dev packages
# install in /usr/share/cargo/registry (.cargo/config.toml replaces crates.io with it), using
# Debian's own cargo and rustc when installed: the toolchain Debian builds and tests those crate
# versions with. Falls back to a cargo on PATH (e.g. rustup's). The target folder is
# artifacts/rust-h2 (ignored by git) unless ARROWCID_RUST_TARGET_DIR says otherwise, so a build
# is reused across runs. Build output goes to stderr; the binary's path is the last stdout line.
# Exit 3: no cargo, or a crate this needs is not installed (test.sh installs them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${ARROWCID_RUST_TARGET_DIR:-$here/../../artifacts/rust-h2}"
registry=/usr/share/cargo/registry

if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
  cargo=/usr/bin/cargo
  export RUSTC=/usr/bin/rustc   # not the first rustc on PATH, which may be another toolchain
elif command -v cargo >/dev/null; then
  cargo="$(command -v cargo)"
else
  echo "no cargo (apt-get install cargo)" >&2
  exit 3
fi

missing=()
for crate in hyper-0.14 h2-0.3 http-0.2 tokio-1 prost-0.11 prost-derive-0.11 bytes-1 futures-util-0.3 sha2-0.10 serde_json-1; do
  compgen -G "$registry/$crate.*" >/dev/null || missing+=("$crate")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "crates missing from $registry: ${missing[*]} (apt-get install the librust-*-dev packages test.sh lists)" >&2
  exit 3
fi

cd "$here"   # cargo reads .cargo/config.toml from the working directory
# Resolved afresh each time: the registry holds one version per crate, and the lock file format
# of one toolchain may be unreadable by the other.
rm -f Cargo.lock
"$cargo" build --release --offline --target-dir "$target" >&2
echo "$(cd "$target/release" && pwd)/arrowcid-h2-peer"
