//! Codebook versions, copies for coders and merging them back, on the demo study: two
//! coders diverge (rename, split, new codes, one deletes a code the other used), their
//! copies are merged with conflicts resolved, and every coding is accounted for. Also
//! diffs, history, undo, the REFI-QDA codebook round trip and the sample files.

use codeloom::Project;
use codeloom::codebook::merge::{self, Choice, CodingOutcome, ConflictKind, MergeReport};
use codeloom::codebook::{diff, qdc, versions};
use codeloom::store::code_ops::SplitPart;
use codeloom::store::ops::{NewCode, NewCoding};
use codeloom::store::queries::CodingFilter;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

mod common;
use common::{codeloom, json, ok, root};

fn demo(dir: &Path) -> String {
    let p = dir.join("study.codeloom");
    let s = p.to_str().unwrap().to_string();
    ok(&["demo", &s, "--sources", root().to_str().unwrap()]);
    s
}

fn code_id(p: &Project, name: &str) -> String {
    p.resolve_code(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn all_codings(p: &Project) -> Vec<codeloom::model::Coding> {
    p.codings(&CodingFilter::default()).unwrap()
}

/// Every coding in the copy and every coding of its base is in the report, once.
fn assert_accounted(report: &MergeReport, copy: &Path) {
    let c = Project::open(copy).unwrap();
    let base = merge::copy_base(&c).unwrap().unwrap();
    let in_copy: HashSet<String> = all_codings(&c).into_iter().map(|c| c.id).collect();
    let reported: Vec<&str> = report.codings.iter().map(|l| l.id.as_str()).collect();
    let unique: HashSet<&str> = reported.iter().copied().collect();
    assert_eq!(unique.len(), reported.len(), "a coding is reported twice");
    for id in &in_copy {
        assert!(unique.contains(id.as_str()), "coding {id} of the copy is not in the report");
    }
    for b in &base.codings {
        if !in_copy.contains(&b.id) {
            assert!(unique.contains(b.id.as_str()), "coding {} removed in the copy is not in the report", b.id);
        }
    }
    for l in &report.codings {
        if l.outcome == CodingOutcome::NotMerged {
            assert!(l.reason.is_some(), "a coding not merged has no reason");
        }
    }
}

fn coding_on(p: &Project, doc: &str, start: usize, end: usize, code: &str) -> NewCoding {
    NewCoding {
        document_id: p.resolve_document(doc).unwrap(),
        start,
        end,
        code_id: code_id(p, code),
        coder: None,
        memo: None,
        illustrative: false,
    }
}

#[test]
fn two_coders_diverge_and_merge_with_every_coding_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    ok(&["codebook", "version", &project, "--name", "v1 preliminary", "--note", "before the coders split up"]);
    let versions = json(&["codebook", "versions", &project, "--json"]);
    let v1 = versions.as_array().unwrap().last().unwrap();
    assert_eq!(v1["name"], "v1 preliminary");
    assert_eq!(v1["note"], "before the coders split up");
    assert_eq!(v1["codes"], 40);

    let amara_copy = dir.path().join("amara.codeloom");
    let ben_copy = dir.path().join("ben.codeloom");
    let out = json(&["copy", &project, "--coder", "amara", "--out", amara_copy.to_str().unwrap(), "--blind", "--json"]);
    let amara_base = out["codings"].as_u64().unwrap();
    json(&["copy", &project, "--coder", "ben", "--out", ben_copy.to_str().unwrap(), "--blind", "--json"]);
    let p = Project::open(Path::new(&project)).unwrap();
    let by_coder = |p: &Project, c: &str| all_codings(p).iter().filter(|x| x.coder == c).count() as u64;
    assert_eq!(amara_base, by_coder(&p, "amara"), "a blind copy has only its coder's codings");
    {
        // The counts a blind copy keeps (per document, per code) are those of the codings it holds.
        let copy = Project::open(&amara_copy).unwrap();
        let kept: Vec<usize> = copy.documents().unwrap().iter().map(|d| d.coding_count).collect();
        assert_eq!(kept.iter().sum::<usize>() as u64, amara_base);
        let mut a: Vec<_> =
            copy.code_counts().unwrap().into_iter().map(|(k, c)| (k, c.codings, c.documents, c.participants)).collect();
        let mut b: Vec<_> = copy
            .code_counts_recounted()
            .unwrap()
            .into_iter()
            .map(|(k, c)| (k, c.codings, c.documents, c.participants))
            .collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "a blind copy's code counts");
    }
    let total_before = all_codings(&p).len();
    assert_eq!(total_before, 444);
    let hope = code_id(&p, "Hope");
    let transport = code_id(&p, "Transport");
    let work = code_id(&p, "Work and money");
    drop(p);

    // Amara: renames Hope, splits Work and money, adds a code, codes Transport more.
    {
        let mut a = Project::open(&amara_copy).unwrap();
        a.set_coder("amara").unwrap();
        assert!(all_codings(&a).iter().all(|c| c.coder == "amara"));
        a.update_code(
            &hope,
            codeloom::store::ops::CodeChanges { name: Some("Hopefulness".into()), ..Default::default() },
        )
        .unwrap();
        let hers: Vec<String> = a
            .codings(&CodingFilter { code_id: Some(work.clone()), ..Default::default() })
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert!(hers.len() >= 2);
        let (w1, w2) = hers.split_at(hers.len() / 2);
        a.split_code(
            &work,
            vec![
                SplitPart { name: "Work".into(), codings: w1.to_vec(), ..Default::default() },
                SplitPart { name: "Money".into(), codings: w2.to_vec(), ..Default::default() },
            ],
            true,
        )
        .unwrap();
        let living = code_id(&a, "Living with pain");
        a.create_code(NewCode { name: "Weather".into(), parent_id: Some(living), ..Default::default() }).unwrap();
        let docs = a.documents().unwrap();
        let d = &docs[0].document.name;
        a.apply_codings(vec![coding_on(&a, d, 0, 20, "Weather"), coding_on(&a, d, 30, 50, "Weather")], "weather")
            .unwrap();
        a.apply_codings(vec![coding_on(&a, d, 60, 90, "Transport"), coding_on(&a, d, 100, 130, "Transport")], "t")
            .unwrap();
    }
    // Ben: renames Hope differently, deletes Transport, merges Peer support into Belonging, adds Stigma.
    {
        let mut b = Project::open(&ben_copy).unwrap();
        b.set_coder("ben").unwrap();
        b.update_code(&hope, codeloom::store::ops::CodeChanges { name: Some("Optimism".into()), ..Default::default() })
            .unwrap();
        b.delete_code(&transport).unwrap();
        let peer = code_id(&b, "Peer support");
        let belonging = code_id(&b, "Belonging");
        b.merge_codes(&[peer], &belonging).unwrap();
        b.create_code(NewCode { name: "Stigma".into(), ..Default::default() }).unwrap();
        let docs = b.documents().unwrap();
        let d = docs[1].document.name.clone();
        b.apply_coding(coding_on(&b, &d, 10, 40, "Stigma")).unwrap();
    }

    // Merging Amara's copy: she removed Work and money, which still holds Ben's codings.
    let mut p = Project::open(Path::new(&project)).unwrap();
    let mut plan = merge::plan_merge(&p, &amara_copy).unwrap();
    let kinds: Vec<(ConflictKind, &str)> = plan.conflicts.iter().map(|c| (c.kind, c.code.as_str())).collect();
    assert_eq!(kinds, [(ConflictKind::DeletedInCopy, "Work and money")]);
    assert!(plan.conflicts[0].project.contains("codings the copy did not have"));
    assert!(p.merge_copy(&plan).unwrap_err().to_string().contains("not resolved"));
    plan.resolve(0, Choice::Project).unwrap();
    let report = p.merge_copy(&plan).unwrap();
    assert_accounted(&report, &amara_copy);
    assert!(report.changed);
    let count = |o| report.codings.iter().filter(|l| l.outcome == o).count();
    assert_eq!(count(CodingOutcome::Added), 4);
    assert!(count(CodingOutcome::Updated) >= 2, "the split recodes Amara's codings");
    assert_eq!(count(CodingOutcome::NotMerged), 0);
    assert!(p.resolve_code("Hopefulness").is_ok());
    assert!(p.resolve_code("Work").is_ok() && p.resolve_code("Money").is_ok() && p.resolve_code("Weather").is_ok());
    let wm = p.codings(&CodingFilter { code_id: Some(work.clone()), ..Default::default() }).unwrap();
    assert!(!wm.is_empty() && wm.iter().all(|c| c.coder == "ben"), "Ben's codings stay on the kept code");
    assert_eq!(all_codings(&p).len(), total_before + 4);
    drop(p);

    // Merging Ben's copy through the CLI: Hope renamed on both sides, Transport and
    // Peer support deleted by Ben but used by Amara.
    let dry = codeloom(&["merge", &project, ben_copy.to_str().unwrap()]);
    assert!(!dry.status.success());
    let err = String::from_utf8_lossy(&dry.stderr);
    assert!(err.contains("3 conflicts are not resolved; nothing was merged"), "{err}");
    let listed = String::from_utf8_lossy(&dry.stdout);
    assert!(
        listed.contains("Renamed on \"Hope\"") && listed.contains("\"Hopefulness\"") && listed.contains("\"Optimism\""),
        "{listed}"
    );
    let resolutions = dir.path().join("resolutions.json");
    std::fs::write(&resolutions, format!(r#"[{{"code_id": "{hope}", "kind": "renamed", "choice": "copy"}}]"#)).unwrap();
    let reports = json(&[
        "merge",
        &project,
        ben_copy.to_str().unwrap(),
        "--resolutions",
        resolutions.to_str().unwrap(),
        "--resolve",
        "ours",
        "--json",
    ]);
    let r = &reports[0];
    assert_eq!(r["conflicts"].as_array().unwrap().len(), 3);
    let outcomes: Vec<&str> = r["codings"].as_array().unwrap().iter().map(|l| l["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "added").count(), 1);
    assert!(outcomes.contains(&"updated"), "Ben's Peer support codings are recoded to Belonging");
    assert!(outcomes.contains(&"kept_project"), "Ben's Transport codings stay with the kept code");
    assert!(!outcomes.contains(&"not_merged"));
    let p = Project::open(Path::new(&project)).unwrap();
    let report: MergeReport = MergeReport {
        codings: serde_json::from_value::<Vec<Value>>(r["codings"].clone())
            .unwrap()
            .into_iter()
            .map(|l| merge::CodingLine {
                id: l["id"].as_str().unwrap().to_string(),
                document: String::new(),
                start: 0,
                end: 0,
                code: String::new(),
                coder: String::new(),
                outcome: match l["outcome"].as_str().unwrap() {
                    "not_merged" => CodingOutcome::NotMerged,
                    _ => CodingOutcome::AlreadyPresent,
                },
                reason: l["reason"].as_str().map(str::to_string),
            })
            .collect(),
        ..Default::default()
    };
    assert_accounted(&report, &ben_copy);
    assert_eq!(p.code(&hope).unwrap().name, "Optimism");
    assert!(p.code(&transport).is_ok());
    let transport_codings =
        p.codings(&CodingFilter { code_id: Some(transport.clone()), ..Default::default() }).unwrap();
    assert!(transport_codings.iter().any(|c| c.coder == "amara") && transport_codings.iter().any(|c| c.coder == "ben"));
    let peer = code_id(&p, "Peer support");
    assert!(
        p.codings(&CodingFilter { code_id: Some(peer), ..Default::default() })
            .unwrap()
            .iter()
            .all(|c| c.coder == "amara")
    );
    assert!(p.resolve_code("Stigma").is_ok());
    assert_eq!(all_codings(&p).len(), total_before + 5, "no coding lost, five added");
    let counter = p.change_counter().unwrap();
    let codings_json = json(&["codings", &project, "--json"]);
    drop(p);

    // Merging the same copy again changes nothing.
    let again = json(&["merge", &project, ben_copy.to_str().unwrap(), "--resolve", "ours", "--json"]);
    assert_eq!(again[0]["changed"], false);
    let again = ok(&["merge", &project, amara_copy.to_str().unwrap(), "--resolve", "ours"]);
    assert!(again.contains("nothing changed"), "{again}");
    assert_eq!(Project::open(Path::new(&project)).unwrap().change_counter().unwrap(), counter);
    assert_eq!(json(&["codings", &project, "--json"]), codings_json);

    // The diff from v1 to now names every change with its codings.
    let d = json(&["codebook", "diff", &project, "v1 preliminary", "current", "--json"]);
    let changes = d["changes"].as_array().unwrap();
    let find = |kind: &str, path: &str| {
        changes
            .iter()
            .find(|c| {
                c["kind"] == kind
                    && (c["new_path"].as_str().is_some_and(|p| p.ends_with(path))
                        || c["old_path"].as_str().is_some_and(|p| p.ends_with(path)))
            })
            .unwrap_or_else(|| panic!("no {kind} {path} in {d:#}"))
    };
    assert_eq!(find("renamed", "Optimism")["old_path"], "Identity and emotion / Hope");
    assert_eq!(find("added", "Weather")["codings"], 2);
    assert_eq!(find("added", "Stigma")["codings"], 1);
    for part in ["Work", "Money"] {
        let c = find("added", part);
        assert!(c["codings"].as_u64().unwrap() >= 1);
    }
    let text = ok(&["codebook", "diff", &project, "v1 preliminary", "current"]);
    assert!(text.contains("renamed  Identity and emotion / Hope -> Identity and emotion / Optimism"), "{text}");
    // Between two coders' codebooks: Ben's copy against Amara's.
    let d = json(&["codebook", "diff", &project, amara_copy.to_str().unwrap(), ben_copy.to_str().unwrap(), "--json"]);
    let kinds: Vec<&str> = d["changes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"renamed") && kinds.contains(&"merged") && kinds.contains(&"removed"), "{kinds:?}");

    // History: complete, exportable.
    let log = json(&["codebook", "history", &project, "--json"]);
    let kinds: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "merge_copy").count(), 2);
    assert!(kinds.contains(&"save_codebook_version") && kinds.contains(&"import_documents"));
    let csv_path = dir.path().join("audit.csv");
    ok(&["codebook", "history", &project, "--format", "csv", "--out", csv_path.to_str().unwrap()]);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(csv.lines().count(), kinds.len() + 1);
    assert!(csv.contains(",tester,merge_copy,\"Merge the copy of ben"), "{csv}");
    let md = ok(&["codebook", "history", &project, "--codebook-only", "--format", "markdown"]);
    assert!(
        md.contains("| # | Time (UTC) | Coder | Change | Status |")
            && md.contains("Save codebook version v1 preliminary")
    );
    assert!(!md.contains("Import 17 documents"));

    // Undo of the last merge brings the project back to before it.
    let before_ben = {
        let p = Project::open(Path::new(&project)).unwrap();
        p.history().unwrap().iter().filter(|e| e.kind == "merge_copy").count()
    };
    assert_eq!(before_ben, 2);
    ok(&["undo", &project]);
    let p = Project::open(Path::new(&project)).unwrap();
    assert_eq!(p.code(&hope).unwrap().name, "Hopefulness");
    assert!(p.resolve_code("Stigma").is_err());
    assert_eq!(all_codings(&p).len(), total_before + 4);
    drop(p);
    ok(&["redo", &project]);
    assert_eq!(json(&["codings", &project, "--json"]), codings_json);

    // Codings made under a version can be listed.
    let under_v1 = json(&["codings", &project, "--version", "v1 preliminary", "--json"]);
    assert_eq!(under_v1.as_array().unwrap().len(), 5, "the five codings added in the copies record v1");
}

#[test]
fn code_commands_rename_merge_split_move_delete_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let out = ok(&["code", "rename", &project, "Hope", "Hopefulness"]);
    assert!(out.contains("renamed Hope to Hopefulness"), "{out}");
    ok(&[
        "code",
        "redefine",
        &project,
        "Hopefulness",
        "--definition",
        "Looking forward",
        "--example",
        "I'll get there",
    ]);
    let merged =
        json(&["code", "merge", &project, "Low mood", "Fear of movement", "--into", "Mood and worry", "--json"]);
    assert!(merged["result"]["codings_moved"].as_u64().unwrap() > 0);
    let list = json(&["code", "split", &project, "Boom-bust cycle", "--list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 24);
    assert!(list[0]["text"].as_str().unwrap().len() > 5);
    let (a, b) = (list[0]["id"].as_str().unwrap(), list[1]["id"].as_str().unwrap());
    let split = json(&[
        "code",
        "split",
        &project,
        "Boom-bust cycle",
        "--part",
        "Overdoing it",
        "--part",
        "Crash",
        "--assign",
        &format!("{a}=Overdoing it"),
        "--assign",
        &format!("{b}=Crash"),
        "--json",
    ]);
    assert_eq!(split.as_array().unwrap().len(), 2);
    ok(&["code", "move", &project, "Crash", "--top", "--position", "0"]);
    let tree = json(&["codebook", "show", &project, "--json"]);
    assert_eq!(tree[0]["name"], "Crash");
    let refused = codeloom(&["code", "delete", &project, "Transport"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    let before = json(&["codings", &project, "--json"]);
    ok(&["code", "delete", &project, "Transport", "--yes"]);
    assert!(json(&["codings", &project, "--json"]).as_array().unwrap().len() < before.as_array().unwrap().len());
    ok(&["undo", &project]);
    assert_eq!(json(&["codings", &project, "--json"]), before);
    // Undo the move, split and merge too; the tree is back to the demo's.
    for _ in 0..3 {
        ok(&["undo", &project]);
    }
    let p = Project::open(Path::new(&project)).unwrap();
    assert!(p.resolve_code("Low mood").is_ok() && p.resolve_code("Crash").is_err());
    let diff = json(&["codebook", "diff", &project, "current", "current", "--json"]);
    assert!(diff["changes"].as_array().unwrap().is_empty());
    let hist = json(&["codebook", "history", &project, "--json"]);
    let kinds: Vec<&str> = hist.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in ["update_code", "merge_codes", "split_code", "move_code", "delete_code", "undo"] {
        assert!(kinds.contains(&k), "{k} missing from the history");
    }
}

#[test]
fn qdc_round_trip_and_schema_validation() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    ok(&[
        "code",
        "redefine",
        &project,
        "Pacing",
        "--inclusion",
        "Spreading <tasks> & rests",
        "--exclusion",
        "Rest alone",
    ]);
    let file = dir.path().join("book.qdc");
    ok(&["codebook", "export", &project, "--format", "qdc", "--out", file.to_str().unwrap()]);
    // Schema validation needs xmllint (the schema lives in tests/data/refi); without it the
    // rest of the test still runs, and the skip is reported (a failure under CI).
    const TEST: &str = "qdc_round_trip_and_schema_validation";
    if common::tool(TEST, "xmllint", &["--version"]) {
        let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/refi/Codebook.xsd");
        let out = Command::new("xmllint")
            .args(["--noout", "--schema", xsd.to_str().unwrap(), file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // Into a fresh project and back out: the same tree.
    let fresh = dir.path().join("fresh.codeloom");
    let fresh = fresh.to_str().unwrap();
    ok(&["new", fresh]);
    let imported = json(&["codebook", "import", fresh, file.to_str().unwrap(), "--json"]);
    assert_eq!(imported["created"].as_array().unwrap().len(), 40);
    let strip = |v: Value| -> Vec<Value> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| serde_json::json!([c["id"], c["name"], c["parent_id"], c["color"], c["description"]]))
            .collect()
    };
    assert_eq!(
        strip(json(&["codebook", "show", fresh, "--json"])),
        strip(json(&["codebook", "show", &project, "--json"]))
    );
    // And JSON export reads back the same way.
    let jfile = dir.path().join("book.json");
    ok(&["codebook", "export", &project, "--format", "json", "--out", jfile.to_str().unwrap()]);
    let again = dir.path().join("again.codeloom");
    let again = again.to_str().unwrap();
    ok(&["new", again]);
    ok(&["codebook", "import", again, jfile.to_str().unwrap()]);
    assert_eq!(
        strip(json(&["codebook", "show", again, "--json"])),
        strip(json(&["codebook", "show", &project, "--json"]))
    );
    // A saved version exports as it was.
    ok(&["codebook", "version", &project, "--name", "v1"]);
    ok(&["code", "rename", &project, "Pacing", "Pacing activity"]);
    let v1 = dir.path().join("v1.qdc");
    ok(&["codebook", "export", &project, "--format", "qdc", "--version", "v1", "--out", v1.to_str().unwrap()]);
    let book = qdc::parse_qdc(&v1, &std::fs::read(&v1).unwrap()).unwrap();
    assert!(book.codes.iter().any(|c| c.name == "Pacing"));
}

#[test]
fn every_sample_qdc_is_read_and_the_broken_one_refused() {
    let Some(dir) = common::shared("every_sample_qdc_is_read_and_the_broken_one_refused", "interop/samples") else {
        return;
    };
    let mut files = vec![];
    for sub in std::fs::read_dir(&dir).unwrap() {
        let sub = sub.unwrap().path();
        if sub.is_dir() {
            for f in std::fs::read_dir(&sub).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "qdc") {
                    files.push(f);
                }
            }
        }
    }
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    let tmp = tempfile::tempdir().unwrap();
    for (i, f) in files.iter().enumerate() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let mut p = Project::create(&tmp.path().join(format!("{i}.codeloom"))).unwrap();
        let result = qdc::import_qdc(&mut p, f);
        if name.contains("truncated") {
            let e = result.unwrap_err().to_string();
            assert!(e.contains(&name) && e.contains("truncated"), "{e}");
            assert!(p.codes().unwrap().is_empty());
            continue;
        }
        let (imported, notes) = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!imported.created.is_empty(), "{name}");
        let codes = p.codes().unwrap();
        match name.as_str() {
            n if n.starts_with("A1-codebook") => {
                assert_eq!(codes.len(), 6);
                let econ = codes.iter().find(|c| c.name == "Economy").unwrap();
                assert_eq!(econ.id, "d7aa29da-519b-4946-9b90-253b6db8fd0a");
                assert_eq!(econ.color, "#ffff00");
                assert_eq!(econ.description.definition, "Anything about jobs or taxes or business");
                assert!(notes.iter().any(|n| n.contains("isCodable")), "{notes:?}");
            }
            n if n.starts_with("atlas-win") => {
                assert_eq!(codes.len(), 1);
                assert_eq!(codes[0].color, "#46aa00");
                assert!(notes.iter().any(|n| n.contains("code sets")), "{notes:?}");
            }
            n if n.starts_with("uto_tag") => {
                assert_eq!(codes.len(), 3);
                assert!(notes.iter().any(|n| n.contains("<Sets/>")), "{notes:?}");
            }
            _ => {}
        }
    }
    let _ = (versions::CURRENT, diff::ChangeKind::Added);
}

#[test]
fn reconcile_a_separately_built_codebook() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    // Another team's project: the same transcripts, their own codes (new IDs) and codings.
    let other_path = dir.path().join("other.codeloom");
    let mut other = Project::create(&other_path).unwrap();
    other.set_coder("chen").unwrap();
    let p = Project::open(Path::new(&project)).unwrap();
    let hope = code_id(&p, "Hope");
    let with_hope: HashSet<String> = p
        .codings(&CodingFilter { code_id: Some(hope.clone()), ..Default::default() })
        .unwrap()
        .into_iter()
        .map(|c| c.document_id)
        .collect();
    let chosen: Vec<_> =
        p.documents().unwrap().into_iter().filter(|d| with_hope.contains(&d.document.id)).take(3).collect();
    assert!(!chosen.is_empty());
    let docs: Vec<codeloom::import::ParsedDocument> = chosen
        .iter()
        .map(|d| codeloom::import::ParsedDocument {
            source: d.document.name.clone().into(),
            name: d.document.name.clone(),
            original_name: d.document.original_name.clone(),
            format: "txt".into(),
            text: p.document_text(&d.document.id).unwrap(),
            turns: vec![],
            participant: d.document.participant.clone(),
            wave: d.document.wave.clone(),
            warnings: vec![],
        })
        .collect();
    other.import_documents(docs).unwrap();
    let pacing = code_id(&p, "Pacing");
    let their_pacing = other.create_code(NewCode { name: "pacing".into(), ..Default::default() }).unwrap();
    let their_odd = other.create_code(NewCode { name: "Gardening".into(), ..Default::default() }).unwrap();
    // Chen codes exactly what the demo coders coded as Hope, but calls it "Looking ahead".
    let their_hope = other.create_code(NewCode { name: "Looking ahead".into(), ..Default::default() }).unwrap();
    let other_docs = other.documents().unwrap();
    let mut batch = vec![];
    let mut spans = HashSet::new();
    for d in &chosen {
        let theirs = other_docs.iter().find(|o| o.document.content_hash == d.document.content_hash).unwrap();
        for c in p
            .codings(&CodingFilter {
                code_id: Some(hope.clone()),
                document_id: Some(d.document.id.clone()),
                ..Default::default()
            })
            .unwrap()
        {
            if !spans.insert((theirs.document.id.clone(), c.start, c.end)) {
                continue; // both demo coders coded this span; Chen codes it once
            }
            batch.push(NewCoding {
                document_id: theirs.document.id.clone(),
                start: c.start,
                end: c.end,
                code_id: their_hope.clone(),
                coder: None,
                memo: None,
                illustrative: false,
            });
        }
    }
    assert!(!batch.is_empty());
    let n_hope = batch.len();
    batch.push(NewCoding {
        document_id: other_docs[0].document.id.clone(),
        start: 0,
        end: 10,
        code_id: their_odd.clone(),
        coder: None,
        memo: None,
        illustrative: false,
    });
    other.apply_codings(batch, "chen").unwrap();
    drop(other);
    drop(p);

    let s = json(&["codebook", "reconcile", &project, other_path.to_str().unwrap(), "--json"]);
    let find = |id: &str| s.as_array().unwrap().iter().find(|x| x["other_code_id"] == id).unwrap().clone();
    assert_eq!(find(&their_pacing)["code_id"], pacing.as_str());
    assert_eq!(find(&their_hope)["code_id"], hope.as_str(), "matched by coded text: {s:#}");
    assert!(find(&their_hope)["text_overlap"].as_f64().unwrap() > 0.99);
    assert!(find(&their_odd)["code_id"].is_null());
    let before = json(&["codings", &project, "--json"]).as_array().unwrap().len();
    let r = json(&["codebook", "reconcile", &project, other_path.to_str().unwrap(), "--accept", "--json"]);
    assert_eq!(r["codes_matched"], 2);
    assert_eq!(r["codes_added"], serde_json::json!(["Gardening"]));
    assert_eq!(r["codings_added"].as_u64().unwrap() as usize, n_hope + 1);
    let after = json(&["codings", &project, "--json"]).as_array().unwrap().len();
    assert_eq!(after, before + n_hope + 1);
    let hope_chen = json(&["codings", &project, "--code", "Hope", "--coder", "chen", "--json"]);
    assert_eq!(hope_chen.as_array().unwrap().len(), n_hope, "recoded to the project's code");
    ok(&["undo", &project]);
    assert_eq!(json(&["codings", &project, "--json"]).as_array().unwrap().len(), before);
}

#[test]
fn a_code_deleted_in_the_project_but_used_in_a_copy_is_a_conflict_either_way() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let copy = dir.path().join("amara.codeloom");
    let mut p = Project::open(Path::new(&project)).unwrap();
    merge::make_copy(&p, "amara", &copy, false).unwrap();
    let hope = code_id(&p, "Hope");
    let hope_codings = p.codings(&CodingFilter { code_id: Some(hope.clone()), ..Default::default() }).unwrap().len();
    assert!(hope_codings > 0);
    p.delete_code(&hope).unwrap();
    {
        let mut a = Project::open(&copy).unwrap();
        a.set_coder("amara").unwrap();
        let d = a.documents().unwrap()[0].document.name.clone();
        a.apply_coding(coding_on(&a, &d, 5, 25, "Hope")).unwrap();
    }
    let total = all_codings(&p).len();
    let mut plan = merge::plan_merge(&p, &copy).unwrap();
    assert_eq!(plan.conflicts.len(), 1);
    assert_eq!(plan.conflicts[0].kind, ConflictKind::DeletedInProject);
    assert_eq!(plan.conflicts[0].codings, 1);

    // Keeping the deletion: the new coding is not merged, and the report says why.
    plan.resolve(0, Choice::Project).unwrap();
    let report = p.merge_copy(&plan).unwrap();
    assert_accounted(&report, &copy);
    let not: Vec<_> = report.codings.iter().filter(|l| l.outcome == CodingOutcome::NotMerged).collect();
    assert_eq!(not.len(), 1);
    assert!(not[0].reason.as_deref().unwrap().contains("deleted in the project"));
    let stays = report.codings.iter().filter(|l| l.outcome == CodingOutcome::StaysRemoved).count();
    assert_eq!(stays, hope_codings, "the codings deleted with the code stay deleted, each reported");
    assert!(p.code(&hope).is_err());
    assert_eq!(all_codings(&p).len(), total);

    // Taking the copy's side brings the code back with the new coding.
    let mut plan = merge::plan_merge(&p, &copy).unwrap();
    plan.resolve(0, Choice::Copy).unwrap();
    let report = p.merge_copy(&plan).unwrap();
    assert_accounted(&report, &copy);
    assert_eq!(p.code(&hope).unwrap().name, "Hope");
    assert_eq!(report.codings.iter().filter(|l| l.outcome == CodingOutcome::Added).count(), 1);
    assert_eq!(all_codings(&p).len(), total + 1);
    // And undo takes it away again.
    p.undo().unwrap();
    assert!(p.code(&hope).is_err());
    assert_eq!(all_codings(&p).len(), total);
}

#[test]
fn a_code_deleted_in_a_copy_goes_with_every_coding_listed_when_the_copy_wins() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let copy = dir.path().join("amara.codeloom");
    ok(&["copy", &project, "--coder", "amara", "--out", copy.to_str().unwrap(), "--blind"]);
    let copy_s = copy.to_str().unwrap();
    ok(&["code", "delete", copy_s, "Transport", "--yes", "--as", "amara"]);
    let before = json(&["codings", &project, "--code", "Transport", "--json"]).as_array().unwrap().len();
    let r = json(&["merge", &project, copy_s, "--resolve", "theirs", "--json"]);
    let lines = r[0]["codings"].as_array().unwrap();
    let gone =
        lines.iter().filter(|l| l["outcome"] == "removed_by_coder" || l["outcome"] == "removed_with_code").count();
    assert_eq!(gone, before, "every coding of the deleted code is listed");
    assert!(lines.iter().any(|l| l["outcome"] == "removed_with_code"), "other coders' codings went with the code");
    let d = ok(&["codebook", "diff", &project, "v1 starter", "current"]);
    assert!(
        d.contains(&format!("removed  The group programme / Barriers to attending / Transport  ({before} codings)")),
        "{d}"
    );
    ok(&["undo", &project]);
    assert_eq!(json(&["codings", &project, "--code", "Transport", "--json"]).as_array().unwrap().len(), before);
}
