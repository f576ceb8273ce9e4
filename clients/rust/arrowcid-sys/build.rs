//! Links libarrowcid: ARROWCID_NATIVE_DIR names its folder, else the checkout's artifacts/native.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=ARROWCID_NATIVE_DIR");
    let folder = std::env::var_os("ARROWCID_NATIVE_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../artifacts/native")
    });
    let folder = folder.canonicalize().unwrap_or(folder);
    println!("cargo:rustc-link-search=native={}", folder.display());
    println!("cargo:rustc-link-lib=dylib=arrowcid");
    // Crates that depend on this one read the folder as DEP_ARROWCID_ROOT (see arrowcid's build.rs).
    println!("cargo:root={}", folder.display());
}
