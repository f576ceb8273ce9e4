#!/usr/bin/env bash
# Builds and tests the Rust crates (arrowcid-sys, arrowcid) offline with Debian's cargo, rustc and
# rustdoc when installed (else the first on PATH), against libarrowcid in ARROWCID_NATIVE_DIR (else
# the checkout's artifacts/native). The target folder is artifacts/rust-client unless
# ARROWCID_RUST_TARGET_DIR says otherwise. Exit 3: no cargo.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${ARROWCID_RUST_TARGET_DIR:-$here/../../artifacts/rust-client}"
if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
  cargo=/usr/bin/cargo
  # Debian's toolchain throughout: a rustdoc of another toolchain cannot read its crates.
  export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
elif command -v cargo >/dev/null; then
  cargo="$(command -v cargo)"
else
  echo "no cargo (apt-get install cargo)" >&2
  exit 3
fi
cd "$here"
rm -f Cargo.lock   # resolved afresh: no crates beyond the two here
RUSTFLAGS="${RUSTFLAGS:-} -D warnings" "$cargo" test --offline --release --target-dir "$target"
