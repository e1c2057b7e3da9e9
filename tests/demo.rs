//! `codeloom demo PATH` builds the demo study where nothing is, keeps an existing demo as
//! it is (with the researcher's own changes), and never removes or replaces another file.

mod common;
use common::{codeloom, json, ok};

fn sha(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn the_demo_is_built_once_and_then_kept_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.codeloom");
    let p = path.to_str().unwrap();
    ok(&["demo", p]);
    ok(&["code", "add", p, "Kept across runs"]);
    let out = codeloom(&["demo", p]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds the demo study"));
    let codes = json(&["codebook", "show", p, "--json"]).to_string();
    assert!(codes.contains("Kept across runs"), "the researcher's change survives a second `demo`");
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with(".codeloom-")), "no scratch left: {names:?}");
}

#[test]
fn another_project_or_file_at_the_path_is_refused_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("study.codeloom");
    ok(&["new", study.to_str().unwrap()]);
    ok(&["code", "add", study.to_str().unwrap(), "Months of work"]);
    ok(&["docs", study.to_str().unwrap()]);
    let before = sha(&study);
    let out = codeloom(&["demo", study.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("study.codeloom") && err.contains("not the demo study"), "{err}");
    assert_eq!(sha(&study), before, "the study is untouched");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "my notes").unwrap();
    let out = codeloom(&["demo", notes.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes");
}
