//! Shared by the agreement test binaries: where the reference cases are, and whether they are there.

/// The agreement specification's folder in `../shared`.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/design/agreement");

/// The reference cases live in `../shared`; a plain clone without it skips these tests.
pub fn shared_present() -> bool {
    let present = std::path::Path::new(DIR).is_dir();
    if !present {
        eprintln!("skipping: {DIR} is absent (the reference cases come with ../shared)");
    }
    present
}
