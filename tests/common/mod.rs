//! Shared by the integration test binaries: where `../shared` is and whether it is there,
//! a visible skip that fails under CI, and running the real `codeloom` binary as coder
//! `tester`.

// Each test binary uses some of these.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

/// The agreement specification's folder in `../shared`.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/design/agreement");

/// The `../shared` folder that CI puts beside the repository.
pub const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

/// Says that `test` did not check what it is for, because `reason`. The line goes to the
/// process's standard error directly, so `cargo test` shows it even for a passing test.
/// Under CI (the `CI` variable set) a missing resource is a failure, not a skip: CI must
/// provide everything the suite needs.
pub fn skip(test: &str, reason: &str) {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("{test}: {reason}; CI must provide it (unset CI to skip)");
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "SKIPPED {test}: {reason}");
}

/// `../shared/REL` when it is there; otherwise a visible skip of `test` (a failure under CI).
pub fn shared(test: &str, rel: &str) -> Option<std::path::PathBuf> {
    let path = Path::new(SHARED).join(rel);
    if path.exists() {
        Some(path)
    } else {
        skip(test, &format!("{} is absent (it comes with ../shared)", path.display()));
        None
    }
}

/// Whether the agreement reference cases are there; a visible skip of `test` if not.
pub fn shared_present(test: &str) -> bool {
    shared(test, "design/agreement").is_some()
}

/// Whether a command-line tool runs (`tool --version` or the given probe arguments); a
/// visible skip of `test` if not.
pub fn tool(test: &str, name: &str, probe: &[&str]) -> bool {
    let ok = std::process::Command::new(name)
        .args(probe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !ok {
        skip(test, &format!("the tool `{name}` is not installed (scripts/setup.sh --test installs it)"));
    }
    ok
}

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root (fixtures, codebooks).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An empty configuration folder for the binaries the tests run, so that no test reads
/// the developer's own settings (`~/.config/codeloom/settings.json`).
pub fn empty_config() -> &'static Path {
    static CONFIG: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| tempfile::tempdir().expect("a temporary folder")).path()
}

/// `codeloom ARGS` as the tests run it: changes recorded under the coder `tester`, an empty
/// configuration folder, and no sentence-embedding model from the environment.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_codeloom"));
    c.args(args)
        .env("CODELOOM_CODER", "tester")
        .env("XDG_CONFIG_HOME", empty_config())
        .env_remove("CODELOOM_EMBEDDINGS");
    c
}

/// Runs `codeloom ARGS` with changes recorded under the coder `tester`.
pub fn codeloom(args: &[&str]) -> Output {
    command(args).output().expect("run codeloom")
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
