//! Two writers at once: every `codeloom code apply` of two concurrent loops (with an
//! import running beside them) lands, because each change begins its transaction
//! `IMMEDIATE` and waits for the other; a writer that gives up names who holds the project.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{codeloom, json, ok};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A project with one document of at least 1,000 characters and the code "Pain";
/// returns the project and the document's ID.
fn project(dir: &Path) -> (String, String) {
    let project = dir.join("study.codeloom");
    ok(&["new", s(&project)]);
    let text = dir.join("P01_BL.txt");
    let body: String = (0..60).map(|i| format!("INTERVIEWER: Question {i}?\n\nP01: Answer {i}.\n\n")).collect();
    std::fs::write(&text, body).unwrap();
    ok(&["import", s(&project), s(&text)]);
    ok(&["code", "add", s(&project), "Pain"]);
    let doc = json(&["docs", s(&project), "--json"])[0]["id"].as_str().unwrap().to_string();
    (s(&project).to_string(), doc)
}

/// Applies "Pain" to [i, i + width) for i in 0..n, one process each; returns the failures.
fn apply_loop(project: &str, doc: &str, n: usize, width: usize) -> Vec<String> {
    let mut failed = Vec::new();
    for i in 0..n {
        let (start, end) = (i.to_string(), (i + width).to_string());
        let out =
            codeloom(&["code", "apply", project, "--doc", doc, "--start", &start, "--end", &end, "--code", "Pain"]);
        if !out.status.success() {
            failed.push(String::from_utf8_lossy(&out.stderr).into_owned());
        }
    }
    failed
}

#[test]
fn two_writers_and_an_import_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let (project, doc) = project(dir.path());
    let corpus = dir.path().join("corpus");
    codeloom::bench::corpus::write_corpus(&corpus, 60, 3000, 11).unwrap();
    let started = Instant::now();
    let (a, b, import) = std::thread::scope(|scope| {
        let a = scope.spawn(|| apply_loop(&project, &doc, 200, 1));
        let b = scope.spawn(|| apply_loop(&project, &doc, 200, 2));
        let import = scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            codeloom(&["import", &project, s(&corpus)])
        });
        (a.join().unwrap(), b.join().unwrap(), import.join().unwrap())
    });
    eprintln!("two loops of 200 and an import took {:?}", started.elapsed());
    let lost = [a, b].concat();
    assert!(lost.is_empty(), "{} writes lost, such as: {:?}", lost.len(), &lost[..lost.len().min(3)]);
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    assert_eq!(json(&["codings", &project, "--json"]).as_array().unwrap().len(), 400);
    assert_eq!(json(&["docs", &project, "--json"]).as_array().unwrap().len(), 61);
    let log = json(&["log", &project, "--json"]);
    assert_eq!(log.as_array().unwrap().iter().filter(|e| e["kind"] == "apply_coding").count(), 400);
}

#[test]
fn a_writer_that_gives_up_names_who_holds_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let (project, _) = project(dir.path());
    let holder = rusqlite::Connection::open(&project).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_codeloom"))
        .args(["code", "add", &project, "Waited"])
        .env("CODELOOM_CODER", "tester")
        .env("CODELOOM_WAIT_SECONDS", "1")
        .output()
        .unwrap();
    let waited = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "wrote while another held the project");
    assert!(waited >= Duration::from_millis(900), "gave up after {waited:?}");
    assert!(err.contains(&project) && err.contains("busy") && err.contains("1 s"), "{err}");
    if cfg!(target_os = "linux") {
        assert!(err.contains(&format!("(pid {})", std::process::id())), "{err}");
    }
    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    ok(&["code", "add", &project, "Waited"]);
}
