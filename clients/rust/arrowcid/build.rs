//! Lets this crate's tests and examples find libarrowcid where it was linked from (an rpath), so
//! `cargo test` runs without LD_LIBRARY_PATH. Programs of your own set theirs, or install the library.
fn main() {
    if let Some(folder) = std::env::var_os("DEP_ARROWCID_ROOT") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", folder.to_string_lossy());
    }
}
