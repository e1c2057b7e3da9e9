//! `codeloom search` on the demo study: hits with places and char ranges, JSON, CSV,
//! code all hits as one undoable operation, and clear errors for bad queries.

use serde_json::Value;
use std::path::PathBuf;

mod common;
use common::{codeloom, ok};

fn demo(dir: &std::path::Path) -> String {
    let p = dir.join("demo.codeloom");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    ok(&["demo", p.to_str().unwrap(), "--sources", root.to_str().unwrap()]);
    p.to_str().unwrap().to_string()
}

#[test]
fn search_prints_places_ranges_and_context() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let out = ok(&["search", &project, "\"council flat\"", "--sort", "document"]);
    assert!(out.contains("P01_BL P01 BL P01 ["), "{out}");
    assert!(out.contains("[council flat]"), "{out}");
    assert!(out.contains("participants: P01"), "{out}");

    let v: Value =
        serde_json::from_str(&ok(&["search", &project, "stairs wave:BL", "--json", "--limit", "5"])).unwrap();
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 5);
    assert_eq!(v["more"], true);
    for h in hits {
        assert_eq!(h["wave"], "BL");
        let doc = h["document"].as_str().unwrap();
        let shown: Value = serde_json::from_str(&ok(&["show", &project, doc, "--json"])).unwrap();
        let text: Vec<char> = shown["text"].as_str().unwrap().chars().collect();
        let (s, e) = (h["start"].as_u64().unwrap() as usize, h["end"].as_u64().unwrap() as usize);
        let matched: String = text[s..e].iter().collect();
        assert_eq!(matched.to_lowercase(), h["matched"].as_str().unwrap().to_lowercase());
        assert!(matched.to_lowercase().starts_with("stair"));
    }
    assert!(v["counts"]["passages"].as_u64().unwrap() > 5);
    assert!(dir.path().join("demo.codeloom.search/codeloom-stamp.json").is_file());
}

#[test]
fn code_all_hits_csv_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let csv = dir.path().join("hits.csv");
    let out = ok(&[
        "search",
        &project,
        "budgie",
        "--code-all",
        "Living with pain",
        "--extent",
        "sentence",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(out.contains("as one operation"), "{out}");
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(rows.lines().count() > 1 && rows.starts_with("kind,document"), "{rows}");
    let codings: Value = serde_json::from_str(&ok(&["codings", &project, "--coder", "tester", "--json"])).unwrap();
    let n = codings.as_array().unwrap().len();
    assert!(n > 0);
    for c in codings.as_array().unwrap() {
        assert!(c["text"].as_str().unwrap_or("").to_lowercase().contains("budgie"), "{c}");
    }
    let found: Value = serde_json::from_str(&ok(&["search", &project, "coder:tester", "--json"])).unwrap();
    assert!(found["counts"]["passages"].as_u64().unwrap() > 0, "the index follows the new codings");
    ok(&["undo", &project]);
    let after: Value = serde_json::from_str(&ok(&["codings", &project, "--coder", "tester", "--json"])).unwrap();
    assert_eq!(after.as_array().unwrap().len(), 0, "one undo removes every coding of the batch");
    let found: Value = serde_json::from_str(&ok(&["search", &project, "coder:tester", "--json"])).unwrap();
    assert_eq!(found["counts"]["passages"], 0);
}

#[test]
fn bad_queries_fail_clearly_and_a_damaged_index_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    for (q, at) in [("(stairs", "character 1"), ("stairs AND", "character 11"), ("colour:red", "no filter")] {
        let out = codeloom(&["search", &project, q]);
        assert_eq!(out.status.code(), Some(2), "{q}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(at) && !err.contains("panicked"), "{q}: {err}");
    }
    let before = ok(&["search", &project, "stairs", "--limit", "0", "--sort", "document"]);
    let index = dir.path().join("demo.codeloom.search");
    for e in std::fs::read_dir(&index).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x != "json") {
            std::fs::write(&p, b"x").unwrap();
        }
    }
    let out = codeloom(&["search", &project, "stairs", "--limit", "0", "--sort", "document"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), before);
    assert!(String::from_utf8_lossy(&out.stderr).contains("built the search index"));
}

#[test]
fn typographic_apostrophes_and_hyphens_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let search = |q: &str, exact: bool| -> Vec<String> {
        let mut args = vec!["search", &project, q, "--json", "--limit", "0", "--sort", "document"];
        if exact {
            args.push("--exact");
        }
        let v: Value = serde_json::from_str(&ok(&args)).unwrap();
        v["hits"].as_array().unwrap().iter().map(|h| h["matched"].as_str().unwrap().to_string()).collect()
    };
    let matched = |q: &str| search(q, false);
    // Issue 11 item 3: `daughter’s` as Word and Otter write it is found by `daughter`.
    let daughter = matched("daughter");
    assert!(daughter.iter().any(|m| m == "daughter\u{2019}s"), "{daughter:?}");
    assert!(daughter.iter().any(|m| m == "daughter's"), "{daughter:?}");
    assert_eq!(matched("daughter\u{2019}s"), matched("daughter's"));
    let dont = matched("dont");
    for form in ["don't", "don\u{2019}t", "DONT"] {
        assert!(dont.iter().any(|m| m.eq_ignore_ascii_case(form)), "{form}: {dont:?}");
    }
    // `flare-up` is the phrase "flare up", as written with or without the hyphen.
    let phrase = search("\"flare up\"", true);
    assert!(phrase.iter().filter(|m| m.eq_ignore_ascii_case("flare-up")).count() > 1, "{phrase:?}");
    assert!(phrase.iter().all(|m| m.eq_ignore_ascii_case("flare-up") || m == "flare up"), "{phrase:?}");
    assert_eq!(search("flare-up", true), phrase);
    assert_eq!(search("flareup", true).len(), phrase.iter().filter(|m| m.contains('-')).count());
}
