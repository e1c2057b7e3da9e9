//! Integration tests that run the real `codeloom` binary on the demo fixtures and on
//! bad input.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::Command;

mod common;
use common::{codeloom, json, ok, root};

fn new_project(dir: &Path) -> String {
    let p = dir.join("study.codeloom");
    ok(&["new", p.to_str().unwrap()]);
    p.to_str().unwrap().to_string()
}

/// Everything a failed import must leave untouched.
fn state(project: &str) -> (Value, Value) {
    (json(&["docs", project, "--json"]), json(&["log", project, "--json"]))
}

#[test]
fn demo_folder_imports_with_speakers_participants_and_waves() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path());
    let demo = root().join("fixtures/demo");
    let out = ok(&["import", &project, demo.to_str().unwrap()]);
    assert!(out.contains("17 imported, 0 duplicates, 0 failed, 1 skipped"), "{out}");
    assert!(out.contains("participants.csv: not a transcript"), "{out}");
    assert!(out.contains("byte-order mark removed"), "{out}");
    assert!(out.contains("CRLF"), "{out}");

    let docs = json(&["docs", &project, "--json"]);
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), 17);
    let find = |name: &str| docs.iter().find(|d| d["name"] == name).unwrap_or_else(|| panic!("no {name}"));
    for d in docs {
        assert!(d["id"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(d["turn_count"].as_u64().unwrap() > 40, "{}", d["name"]);
    }
    // One per layout: NAME: prefixes, names, interviewer/interviewee, [id] tags, Otter, WebVTT, docx.
    let speakers = |name: &str| -> Vec<String> {
        find(name)["speakers"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(speakers("P01_BL"), ["INTERVIEWER", "P01"]);
    assert_eq!(speakers("p01-6m"), ["Interviewer", "Margaret"]);
    assert_eq!(speakers("P02_3M"), ["interviewer", "interviewee"]);
    assert_eq!(speakers("P03_6M"), ["id1", "id2"]);
    assert_eq!(speakers("P03_BL"), ["Interviewer", "Priya"]);
    assert_eq!(speakers("P02_6M"), ["Interviewer", "Dan"]);
    assert_eq!(speakers("Participant 2 baseline"), ["Interviewer", "Dan"]);
    assert_eq!(speakers("P05_3M"), ["Interviewer", "Lucía"]);
    let p2 = find("Participant 2 baseline");
    assert_eq!((p2["participant"].as_str(), p2["wave"].as_str()), (Some("P02"), Some("BL")));
    let p16 = find("p01-6m");
    assert_eq!((p16["participant"].as_str(), p16["wave"].as_str()), (Some("P01"), Some("6M")));
    assert!(docs.iter().all(|d| !(d["participant"] == "P04" && d["wave"] == "6M")), "P04 has no 6M interview");

    // show --json: text, turns with character ranges and timestamps.
    let shown = json(&["show", &project, "P03_BL", "--json"]);
    let text: Vec<char> = shown["text"].as_str().unwrap().chars().collect();
    let turns = shown["turns"].as_array().unwrap();
    let t1 = &turns[1];
    assert_eq!(t1["speaker"], "Priya");
    assert!(t1["time_start_ms"].as_u64().unwrap() > 0);
    let (s, e) = (t1["start"].as_u64().unwrap() as usize, t1["end"].as_u64().unwrap() as usize);
    let body: String = text[s..e].iter().collect();
    assert!(body.starts_with("Yeah") && !body.contains("Priya  0:"), "{body}");
    assert!(!shown["text"].as_str().unwrap().contains('\r'));

    // Importing the same files again recognises every one.
    let again = ok(&["import", &project, demo.to_str().unwrap()]);
    assert!(again.contains("0 imported, 17 duplicates"), "{again}");
    assert_eq!(json(&["docs", &project, "--json"]).as_array().unwrap().len(), 17);
}

#[test]
fn demo_builds_with_attributes_codebook_and_two_coders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.codeloom");
    let printed = ok(&["demo", path.to_str().unwrap(), "--sources", root().to_str().unwrap()]);
    assert_eq!(printed.trim(), path.to_str().unwrap());
    let p = path.to_str().unwrap();
    let codings = json(&["codings", p, "--json"]);
    let codings = codings.as_array().unwrap();
    assert!(codings.len() > 300);
    let coders: std::collections::BTreeSet<&str> = codings.iter().map(|c| c["coder"].as_str().unwrap()).collect();
    assert_eq!(coders.into_iter().collect::<Vec<_>>(), ["amara", "ben"]);
    assert!(codings.iter().filter(|c| c["illustrative"] == true).count() >= 30);
    assert!(codings.iter().all(|c| c["codebook_version_id"].is_string()));
    // Each coding's text is the quote the fixture gave.
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("fixtures/codings.json")).unwrap()).unwrap();
    let quotes: std::collections::HashSet<&str> =
        fixture["codings"].as_array().unwrap().iter().map(|c| c["quote"].as_str().unwrap()).collect();
    assert!(codings.iter().all(|c| quotes.contains(c["text"].as_str().unwrap())));
    let parts = json(&["participants", p, "--json"]);
    let p01 = parts.as_array().unwrap().iter().find(|x| x["label"] == "P01").unwrap();
    assert_eq!(p01["attributes"]["age"]["kind"], "number");
    assert_eq!(p01["attributes"]["enrolled_on"]["kind"], "date");
    assert_eq!(p01["attributes"]["gender"]["kind"], "category");
    let p04 = parts.as_array().unwrap().iter().find(|x| x["label"] == "P04").unwrap();
    assert!(p04["attributes"].get("pain_duration_years").is_none(), "a missing value stays missing");
    let book = json(&["codebook", "show", p, "--json"]);
    assert_eq!(book.as_array().unwrap().len(), 40);
    // Building the demo again replaces it.
    ok(&["demo", p, "--sources", root().to_str().unwrap()]);
    assert_eq!(json(&["codings", p, "--json"]).as_array().unwrap().len(), codings.len());
}

#[test]
fn coding_commands_and_undo_redo() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path());
    let f = dir.path().join("P09_BL.txt");
    std::fs::write(&f, "INTERVIEWER: How do you manage?\n\nP09: I pace myself — little and often.").unwrap();
    ok(&["import", &project, f.to_str().unwrap()]);
    ok(&["code", "add", &project, "Managing pain"]);
    ok(&["code", "add", &project, "Pacing", "--parent", "Managing pain", "--description", "Spreading activity out"]);
    let e = codeloom(&["code", "add", &project, "pacing", "--parent", "Managing pain"]);
    assert!(!e.status.success() && String::from_utf8_lossy(&e.stderr).contains("already exists"));
    let text = json(&["show", &project, "P09_BL", "--json"])["text"].as_str().unwrap().to_string();
    let start = text.chars().collect::<String>().find("little").map(|b| text[..b].chars().count()).unwrap();
    let s = start.to_string();
    let end = (start + "little and often".chars().count()).to_string();
    let before_apply = json(&["codings", &project, "--json"]);
    assert_eq!(before_apply, serde_json::json!([]));
    ok(&[
        "code",
        "apply",
        &project,
        "--doc",
        "P09_BL",
        "--start",
        &s,
        "--end",
        &end,
        "--code",
        "Managing pain / Pacing",
        "--coder",
        "ben",
        "--star",
    ]);
    let c = json(&["codings", &project, "--doc", "P09_BL", "--json"]);
    assert_eq!(c[0]["text"], "little and often");
    assert_eq!(c[0]["coder"], "ben");
    assert_eq!(c[0]["code"], "Managing pain / Pacing");
    assert_eq!(c[0]["illustrative"], true);
    assert!(c[0]["id"].is_string());
    let bad = codeloom(&[
        "code", "apply", &project, "--doc", "P09_BL", "--start", "5", "--end", "99999", "--code", "Pacing", "--coder",
        "ben",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("past the end"));
    let bad = codeloom(&[
        "code", "apply", &project, "--doc", "nope", "--start", "0", "--end", "1", "--code", "Pacing", "--coder", "ben",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no document matches \"nope\""));

    // Undo and redo give back exactly the listings before and after (IDs, text, coder, star).
    let applied = json(&["codings", &project, "--json"]);
    assert!(ok(&["undo", &project]).contains("undone: Code P09_BL"));
    assert_eq!(json(&["codings", &project, "--json"]), before_apply);
    assert!(ok(&["redo", &project]).contains("redone"));
    assert_eq!(json(&["codings", &project, "--json"]), applied);
    let log = json(&["log", &project, "--json"]);
    let kinds: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["import_documents", "create_code", "create_code", "apply_coding", "undo", "redo"]);
    assert!(log.as_array().unwrap().iter().all(|e| e["coder"] == "tester" && e["id"].is_string()));

    // Deleting a code deletes its child code and every coding of both; undo restores each
    // coding exactly as it was, redo deletes them again.
    let (s2, e2) = ((start - 4).to_string(), (start + 6).to_string());
    ok(&[
        "code",
        "apply",
        &project,
        "--doc",
        "P09_BL",
        "--start",
        &s2,
        "--end",
        &e2,
        "--code",
        "Managing pain",
        "--coder",
        "amara",
    ]);
    let both = json(&["codings", &project, "--json"]);
    assert_eq!(both.as_array().unwrap().len(), 2);
    let tree = json(&["codebook", "show", &project, "--json"]);
    ok(&["code", "delete", &project, "Managing pain", "--yes"]);
    assert_eq!(json(&["codings", &project, "--json"]), before_apply);
    ok(&["undo", &project]);
    assert_eq!(json(&["codings", &project, "--json"]), both);
    assert_eq!(json(&["codebook", "show", &project, "--json"]), tree);
    ok(&["redo", &project]);
    assert_eq!(json(&["codings", &project, "--json"]), before_apply);
    ok(&["undo", &project]);
    assert_eq!(json(&["codings", &project, "--json"]), both);
}

#[test]
fn attributes_import_and_bad_csv() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path());
    let csv = root().join("fixtures/demo/participants.csv");
    let out = ok(&["attributes", "import", &project, csv.to_str().unwrap(), "--type", "housing=text"]);
    assert!(out.contains("age: number") && out.contains("housing: text") && out.contains("enrolled_on: date"), "{out}");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "participant,age\nP01,1,2,3\n").unwrap();
    let before = state(&project);
    let e = codeloom(&["attributes", "import", &project, bad.to_str().unwrap()]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("bad.csv"));
    assert_eq!(state(&project), before);
}

/// Writes a file and checks that importing it fails with a message naming the file
/// and the reason, leaving the project as it was.
fn refuse(project: &str, path: &Path, bytes: &[u8], reason: &str) {
    std::fs::write(path, bytes).unwrap();
    let before = state(project);
    let out = codeloom(&["import", project, path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{} was accepted", path.display());
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(name) && err.contains(reason), "{name}: expected \"{reason}\" in: {err}");
    assert_eq!(state(project), before, "{name} changed the project");
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (n, d) in entries {
            z.start_file(*n, o).unwrap();
            z.write_all(d).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn bad_input_is_refused_by_name_with_the_project_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path());
    ok(&["import", &project, root().join("fixtures/demo/P01_BL.txt").to_str().unwrap()]);
    let d = dir.path();
    refuse(&project, &d.join("empty.txt"), b"", "empty");
    refuse(&project, &d.join("blank.md"), b"  \n\n ", "only white space");
    refuse(&project, &d.join("image.txt"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10", "binary");
    refuse(&project, &d.join("odd.utf16.txt"), b"\xFF\xFEa", "UTF-16");
    refuse(&project, &d.join("notes.xyz"), b"hello", "unsupported file type \".xyz\"");
    let good = zip_with(&[(
        "word/document.xml",
        b"<w:document><w:body><w:p><w:r><w:t>Hi</w:t></w:r></w:p></w:body></w:document>",
    )]);
    refuse(&project, &d.join("truncated.docx"), &good[..good.len() / 2], "truncated or corrupt");
    refuse(&project, &d.join("fake.docx"), b"this is not a zip", "not a readable zip");
    refuse(
        &project,
        &d.join("malformed.docx"),
        &zip_with(&[("word/document.xml", b"<w:document><w:p></w:document>")]),
        "malformed XML",
    );
    refuse(&project, &d.join("nobody.odt"), &zip_with(&[("mimetype", b"x")]), "content.xml");
    let zeros = vec![b' '; 100 * 1024 * 1024];
    refuse(&project, &d.join("bomb.docx"), &zip_with(&[("word/document.xml", &zeros)]), "zip bomb");
    refuse(&project, &d.join("bad.vtt"), b"1\n00:00:01.000 --> 00:00:02.000\nhello\n", "WEBVTT");
    refuse(&project, &d.join("scan.pdf"), b"%PDF-1.4 broken", "PDF");
    refuse(&project, &d.join("plain.rtf"), b"not rtf at all", "RTF");
    // An unreadable path.
    let before = state(&project);
    let out = codeloom(&["import", &project, d.join("missing.txt").to_str().unwrap()]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("missing.txt: cannot read the file")
    );
    assert_eq!(state(&project), before);
    // A file over the size limit.
    let huge = d.join("huge.txt");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(codeloom::import::MAX_FILE_BYTES + 1).unwrap();
    let out = codeloom(&["import", &project, huge.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("huge.txt: too large"));
    assert_eq!(state(&project), before);
    // Legacy single-byte text imports with a warning.
    let legacy = d.join("P10_BL.txt");
    std::fs::write(&legacy, b"INTERVIEWER: Caf\xE9?\n\nP10: S\xED, caf\xE9.\n\nINTERVIEWER: Gracias.").unwrap();
    let out = ok(&["import", &project, legacy.to_str().unwrap()]);
    assert!(out.contains("Windows-1252"), "{out}");
    let shown = json(&["show", &project, "P10_BL", "--json"]);
    assert!(shown["text"].as_str().unwrap().contains("Sí, café."));
}

#[test]
fn a_folder_with_bad_files_imports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path());
    let folder = dir.path().join("batch");
    std::fs::create_dir_all(folder.join("wave2")).unwrap();
    std::fs::write(folder.join("P01_BL.txt"), "INTERVIEWER: Hi\n\nP01: Hello").unwrap();
    std::fs::write(folder.join("wave2/P01_3M.srt"), "1\n00:00:01,000 --> 00:00:03,000\nINTERVIEWER: Hi again\n\n2\n00:00:03,500 --> 00:00:06,000\nP01: Still here\n").unwrap();
    std::fs::write(folder.join("broken.docx"), b"PK\x03\x04junk").unwrap();
    std::fs::write(folder.join("empty.txt"), b"").unwrap();
    let out = codeloom(&["import", &project, folder.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1), "some files failed");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |name: &str| {
        report["files"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().ends_with(name)).unwrap()["status"].clone()
    };
    assert_eq!(status("P01_BL.txt"), "imported");
    assert_eq!(status("P01_3M.srt"), "imported");
    assert_eq!(status("broken.docx"), "failed");
    assert_eq!(status("empty.txt"), "failed");
    let docs = json(&["docs", &project, "--json"]);
    assert_eq!(docs.as_array().unwrap().len(), 2);
    let waves: Vec<&str> = docs.as_array().unwrap().iter().map(|d| d["wave"].as_str().unwrap()).collect();
    assert_eq!(waves, ["BL", "3M"], "waves keep their order");
    // One undo removes the whole import.
    ok(&["undo", &project]);
    assert_eq!(json(&["docs", &project, "--json"]).as_array().unwrap().len(), 0);
}

#[test]
fn file_name_pattern_can_be_seen_and_set() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path());
    let out = ok(&[
        "pattern",
        &project,
        "--test",
        "P07_BL.docx",
        "--test",
        "Participant 7 baseline.docx",
        "--test",
        "p07-6m.txt",
    ]);
    assert!(out.contains("P07_BL.docx: participant P07, wave BL"), "{out}");
    assert!(out.contains("Participant 7 baseline.docx: participant P07, wave BL"), "{out}");
    assert!(out.contains("p07-6m.txt: participant P07, wave 6M"), "{out}");
    let out = ok(&["pattern", &project, "--set", r"^(?P<wave>T\d)_(?P<participant>[A-Z]+)$", "--test", "T1_ABC.txt"]);
    assert!(out.contains("T1_ABC.txt: participant ABC, wave T1"), "{out}");
    let e = codeloom(&["pattern", &project, "--set", "(?P<who>x)"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("participant"));
}

#[test]
fn projects_from_newer_versions_and_other_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path());
    {
        let conn = rusqlite::Connection::open(&project).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let out = codeloom(&["docs", &project]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer Codeloom") && err.contains("schema 99"), "{err}");
    let text = dir.path().join("notes.codeloom");
    std::fs::write(&text, "just some text, not a database at all, long enough to not be a header").unwrap();
    let err = String::from_utf8_lossy(&codeloom(&["docs", text.to_str().unwrap()]).stderr).to_string();
    assert!(err.contains("notes.codeloom") && err.contains("not a Codeloom project"), "{err}");
    let err = String::from_utf8_lossy(&codeloom(&["new", &project]).stderr).to_string();
    assert!(err.contains("already exists"), "{err}");
}

/// A project written by schema version 1 must keep opening in every later version.
#[test]
fn schema_v1_project_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("v1.codeloom");
    std::fs::copy(root().join("tests/compat/v1.codeloom"), &copy).unwrap();
    let docs = json(&["docs", copy.to_str().unwrap(), "--json"]);
    assert_eq!(docs.as_array().unwrap().len(), 1);
    let c = json(&["codings", copy.to_str().unwrap(), "--json"]);
    assert_eq!(c[0]["text"], "little and often");
}

/// Killing an import part-way leaves a project that opens, with all or none of it.
#[test]
fn killed_import_leaves_a_project_that_opens() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path());
    let files = dir.path().join("many");
    codeloom::bench::corpus::write_corpus(&files, 150, 3000, 7).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_codeloom"))
        .args(["import", &project, files.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let _ = child.kill();
    let _ = child.wait();
    let n = json(&["docs", &project, "--json"]).as_array().unwrap().len();
    assert!(n == 0 || n == 150, "a partial import was left behind: {n} documents");
    ok(&["import", &project, files.to_str().unwrap()]);
    assert_eq!(json(&["docs", &project, "--json"]).as_array().unwrap().len(), 150);
}

/// `codeloom agreement --input CASE.json --json` prints the statistics of a reference case.
#[test]
fn agreement_of_a_reference_case_file() {
    let Some(dir) = common::shared("agreement_of_a_reference_case_file", "design/agreement") else { return };
    let case = dir.join("cases/P6_cohen1960_p45.json");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/P6_cohen1960_p45.out.json")).unwrap()).unwrap();
    let got = json(&["agreement", "--input", case.to_str().unwrap(), "--json"]);
    for stat in ["krippendorff_alpha_nominal", "gwet_ac1", "brennan_prediger"] {
        let want = expected[stat]["formula"]["value"].as_f64().unwrap();
        let have = got[stat]["value"].as_f64().unwrap();
        assert!((want - have).abs() < 1e-9, "{stat}: {have} vs {want}");
    }
    let text = ok(&["agreement", "--input", case.to_str().unwrap()]);
    assert!(text.contains("cohen_kappa.value") && text.contains("0.4915"), "{text}");
    let bad = codeloom(&["agreement", "--input", root().join("Cargo.toml").to_str().unwrap()]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("Cargo.toml: invalid case file"));
}
