//! Shared by the integration test binaries: where the agreement reference cases are and
//! whether they are there, and running the real `codeloom` binary as coder `tester`.

// Each test binary uses some of these.
#![allow(dead_code)]

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

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root (fixtures, codebooks).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `codeloom ARGS` with changes recorded under the coder `tester`.
pub fn codeloom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codeloom"))
        .args(args)
        .env("CODELOOM_CODER", "tester")
        .output()
        .expect("run codeloom")
}

/// Runs `codeloom ARGS`, which must succeed, and returns what it printed.
pub fn ok(args: &[&str]) -> String {
    let out = codeloom(args);
    assert!(
        out.status.success(),
        "codeloom {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs `codeloom ARGS`, which must succeed and print JSON.
pub fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).unwrap_or_else(|e| panic!("codeloom {args:?} printed no JSON: {e}"))
}
