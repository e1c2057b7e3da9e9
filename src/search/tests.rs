//! Search on the demo study and on small projects with non-ASCII text: the query
//! language, every filter, highlight offsets, code all hits with undo, rebuilds after
//! deletion and corruption, and searching while documents are imported.

use super::*;
use crate::demo::{DemoSources, build_demo};
use crate::import::{ParsedDocument, turns::detect_turns};
use crate::model::offsets::slice_chars;
use crate::store::Project;
use std::path::{Path, PathBuf};

fn demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.codeloom");
    build_demo(&path, &DemoSources::in_repository(Path::new(env!("CARGO_MANIFEST_DIR")))).unwrap();
    (dir, path)
}

fn parsed(name: &str, text: &str, participant: Option<&str>, wave: Option<&str>) -> ParsedDocument {
    ParsedDocument {
        source: PathBuf::from(format!("{name}.txt")),
        name: name.into(),
        original_name: format!("{name}.txt"),
        format: "txt".into(),
        text: text.into(),
        turns: detect_turns(text),
        participant: participant.map(str::to_string),
        wave: wave.map(str::to_string),
        warnings: vec![],
    }
}

fn all(q: &str) -> SearchOptions {
    let _ = q;
    SearchOptions { limit: None, sort: Sort::Document, ..Default::default() }
}

fn search(index: &SearchIndex, q: &str) -> SearchResults {
    index.search(q, &all(q)).unwrap_or_else(|e| panic!("{q}: {e}"))
}

/// Every hit's range, read back from the project, is the text the hit claims.
fn check_offsets(project: &Project, results: &SearchResults) {
    for h in results.hits.iter().filter(|h| h.kind == HitKind::Turn && !h.whole_passage) {
        let text = project.document_text(&h.id).unwrap();
        let got = slice_chars(&text, h.start, h.end).unwrap();
        assert_eq!(got.split_whitespace().collect::<Vec<_>>().join(" "), h.matched, "{h:?}");
        assert!(h.turn_start <= h.sentence_start && h.sentence_start <= h.start);
        assert!(h.end <= h.sentence_end && h.sentence_end <= h.turn_end);
    }
}

fn matched(results: &SearchResults) -> Vec<String> {
    results.hits.iter().map(|h| h.matched.to_lowercase()).collect()
}

#[test]
fn query_language_on_the_demo() {
    let (_dir, path) = demo();
    let project = Project::open(&path).unwrap();
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!(report.documents, 17);
    assert!(report.rebuilt_because.is_some());

    let lift = search(&index, "lift");
    assert!(lift.counts.passages > 0);
    assert!(matched(&lift).iter().all(|m| m.starts_with("lift")), "{:?}", matched(&lift));
    check_offsets(&project, &lift);

    // Stemming on by default; exact form on request.
    let stemmed = search(&index, "knees");
    assert!(matched(&stemmed).contains(&"knee".to_string()));
    let exact = index.search("knees", &SearchOptions { exact: true, ..all("") }).unwrap();
    assert!(matched(&exact).iter().all(|m| m == "knees"));
    assert!(exact.hits.len() < stemmed.hits.len());

    // Phrase, boolean, prefix, fuzzy.
    let phrase = search(&index, "\"council flat\"");
    assert!(!phrase.hits.is_empty());
    assert!(matched(&phrase).iter().all(|m| m == "council flat"));
    check_offsets(&project, &phrase);
    let both = search(&index, "lift AND stairs");
    let either = search(&index, "lift OR stairs");
    let without = search(&index, "lift -stairs");
    assert!(both.counts.passages < either.counts.passages);
    assert_eq!(both.counts.passages + without.counts.passages, search(&index, "lift").counts.passages);
    assert_eq!(search(&index, "(lift OR stairs) AND NOT stairs").counts.passages, without.counts.passages);
    assert_eq!(search(&index, "+lift +stairs").counts.passages, both.counts.passages);
    let prefix = search(&index, "osteo*");
    assert!(matched(&prefix).iter().all(|m| m.starts_with("osteo")));
    assert!(!prefix.hits.is_empty());
    check_offsets(&project, &prefix);
    let fuzzy = search(&index, "osteoarthritus~1");
    assert!(matched(&fuzzy).contains(&"osteoarthritis".to_string()));
    check_offsets(&project, &fuzzy);
    assert!(search(&index, "osteoarthritus").hits.is_empty());

    // Memos and code descriptions are searched too.
    let codes = search(&index, "gravel");
    assert!(codes.hits.iter().any(|h| h.kind == HitKind::Code && h.title.as_deref() == Some("Pain experience")));

    // Odd queries never panic.
    for q in [
        "\"",
        "(",
        ")",
        "*",
        "~",
        ":",
        "a:",
        ":b",
        "-",
        "+",
        "NOT",
        "AND OR",
        "\"\"",
        "a~9",
        "age:>x",
        "gender:>1",
        "😀*",
        "中~1",
        "((((lift))))",
        "lift OR (stairs AND (knee OR osteo*))",
        "NOT NOT lift",
        "-lift -stairs",
        "speaker:",
        "\"lift",
        "caf\u{e9}~2",
        "age:>=",
        "code:",
        "x*y",
        "a\u{0}b",
    ] {
        let _ = index.search(q, &all(q));
    }
    assert!(search(&index, "-lift -stairs").counts.passages > 0);

    // Malformed queries give errors with positions, never panics.
    for (q, at) in [("(lift", 0), ("lift \"stairs", 5), ("pa*in", 2), ("nosuchfilter:x", 0), ("code:Nonexistent", 5)] {
        match index.search(q, &all(q)) {
            Err(crate::Error::Query { position, .. }) => assert_eq!(position, at, "{q}"),
            other => panic!("{q}: {other:?}"),
        }
    }
}

#[test]
fn every_filter() {
    let (_dir, path) = demo();
    let project = Project::open(&path).unwrap();
    let (index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    let pain = search(&index, "pain").counts.passages;

    let by_speaker = search(&index, "pain speaker:interviewer");
    assert!(by_speaker.counts.passages > 0 && by_speaker.counts.passages < pain);
    assert!(by_speaker.hits.iter().all(|h| h.speaker.as_deref().unwrap_or("").eq_ignore_ascii_case("interviewer")));

    let p01 = search(&index, "pain participant:P01");
    assert!(p01.hits.iter().all(|h| h.participant.as_deref() == Some("P01")));
    assert_eq!(p01.counts.participants.len(), 1);

    let bl = search(&index, "pain wave:bl");
    assert!(!bl.hits.is_empty() && bl.hits.iter().all(|h| h.wave.as_deref() == Some("BL")));
    assert_eq!(bl.counts.waves.iter().map(|w| w.key.as_str()).collect::<Vec<_>>(), ["BL"]);

    let female = search(&index, "pain gender:female");
    let ages: Vec<(String, Vec<(String, crate::model::AttributeValue)>)> =
        project.participants().unwrap().into_iter().map(|p| (p.label, p.attributes)).collect();
    let attr = |p: &str, name: &str| {
        ages.iter()
            .find(|(l, _)| l == p)
            .and_then(|(_, a)| a.iter().find(|(n, _)| n == name))
            .map(|(_, v)| v.value.clone())
    };
    assert!(!female.hits.is_empty());
    assert!(female.hits.iter().all(|h| attr(h.participant.as_deref().unwrap(), "gender").as_deref() == Some("female")));
    let older = search(&index, "pain age:>60");
    assert!(!older.hits.is_empty());
    assert!(
        older
            .hits
            .iter()
            .all(|h| attr(h.participant.as_deref().unwrap(), "age").unwrap().parse::<f64>().unwrap() > 60.0)
    );
    let younger = search(&index, "pain age:<=60");
    let no_age = search(&index, "pain")
        .hits
        .iter()
        .filter(|h| h.participant.as_deref().and_then(|p| attr(p, "age")).is_none())
        .count();
    assert_eq!(older.hits.len() + younger.hits.len() + no_age, search(&index, "pain").hits.len());

    // code: takes names and paths and includes subcodes; coder: only that coder's codings.
    let code = search(&index, "code:\"Living with pain\"");
    let sub = search(&index, "code:\"Sleep disruption\"");
    assert!(sub.counts.passages > 0 && sub.counts.passages <= code.counts.passages);
    assert_eq!(search(&index, "code:\"living with pain / sleep disruption\"").counts.passages, sub.counts.passages);
    for h in &sub.hits {
        let codings = project
            .codings(&crate::store::queries::CodingFilter { document_id: Some(h.id.clone()), ..Default::default() })
            .unwrap();
        let sleep = project.resolve_code("Sleep disruption").unwrap();
        assert!(codings.iter().any(|c| c.code_id == sleep && c.start < h.turn_end && c.end > h.turn_start));
    }
    let amara = search(&index, "coder:amara").counts.passages;
    let ben = search(&index, "coder:ben").counts.passages;
    let either = search(&index, "coder:amara OR coder:ben").counts.passages;
    assert!(amara > 0 && ben > 0 && either >= amara.max(ben) && either <= amara + ben);
    assert!(search(&index, "document:p01_bl pain").hits.iter().all(|h| h.document.as_deref() == Some("P01_BL")));
}

#[test]
fn offsets_on_non_ascii_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.codeloom");
    let mut project = Project::create(&path).unwrap();
    let text =
        "Interviewer: Comment ça va? 😀 Le café était froid.\n\nP01: Café, café! 我喜欢喝茶。Naïve señor 😀😀 cafe.\n";
    project.import_documents(vec![parsed("P01_BL", text, Some("P01"), Some("BL"))]).unwrap();
    let (index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    for (q, expect) in [
        ("café", vec!["café", "Café", "café"]),
        ("cafe", vec!["cafe"]),
        ("caf*", vec!["café", "Café", "café", "cafe"]),
        ("cafe~1", vec!["café", "Café", "café", "cafe"]),
        ("\"喜欢\"", vec!["喜欢"]),
        ("茶", vec!["茶"]),
        ("\"naïve señor\"", vec!["Naïve señor"]),
    ] {
        let r = search(&index, q);
        let got: Vec<String> = r.hits.iter().map(|h| slice_chars(text, h.start, h.end).unwrap().to_string()).collect();
        assert_eq!(got, expect, "{q}");
        check_offsets(&project, &r);
    }
    let r = search(&index, "speaker:p01 froid");
    assert!(r.hits.is_empty());
}

/// The char ranges of `needles` found one after another in `text`.
fn places(text: &str, needles: &[&str]) -> Vec<(usize, usize)> {
    let mut from = 0;
    needles
        .iter()
        .map(|n| {
            let at = from + text[from..].find(n).unwrap_or_else(|| panic!("{n} not in the text after byte {from}"));
            from = at + n.len();
            let start = text[..at].chars().count();
            (start, start + n.chars().count())
        })
        .collect()
}

#[test]
fn apostrophes_and_hyphens_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.codeloom");
    let mut project = Project::create(&path).unwrap();
    let text = "Interviewer: Who helps?\n\nP01: My daughter’s flat is near. Her daughterʼs car, the daughter`s dog \
                and my daughter's cat. I don’t know; I dont care. A follow-up call, a follow‐up visit, then follow up.\n";
    project.import_documents(vec![parsed("P01_BL", text, Some("P01"), Some("BL"))]).unwrap();
    let (index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    let daughters = ["daughter’s", "daughterʼs", "daughter`s", "daughter's"];
    let compounds = ["follow-up", "follow‐up", "follow up"];
    for (q, exact, expect) in [
        ("daughter", false, places(text, &daughters)),
        ("daughter", true, places(text, &daughters)),
        ("daughter’s", true, places(text, &daughters)),
        ("daughterʼs", true, places(text, &daughters)),
        ("daughter`s", false, places(text, &daughters)),
        ("daughters", false, places(text, &daughters)),
        ("daughters", true, vec![]),
        ("daught*", false, places(text, &daughters)),
        ("don't", false, places(text, &["don’t"])),
        ("don’t", true, places(text, &["don’t"])),
        ("dont", false, places(text, &["don’t", "dont"])),
        ("dont", true, places(text, &["don’t", "dont"])),
        ("follow", false, places(text, &["follow", "follow", "follow"])),
        ("up", true, places(text, &["up", "up", "up"])),
        ("follow-up", false, places(text, &compounds)),
        ("follow‐up", true, places(text, &compounds)),
        ("\"follow up\"", false, places(text, &compounds)),
        ("followup", false, places(text, &compounds[..2])),
        ("\"follow-up call\"", false, places(text, &["follow-up call"])),
        ("\"daughter flat\"", false, places(text, &["daughter’s flat"])),
    ] {
        let r = index.search(q, &SearchOptions { exact, ..all(q) }).unwrap_or_else(|e| panic!("{q}: {e}"));
        let got: Vec<(usize, usize)> = r.hits.iter().map(|h| (h.start, h.end)).collect();
        assert_eq!(got, expect, "{q} (exact: {exact})");
        check_offsets(&project, &r);
    }
    // `don` is not `don't`.
    assert!(search(&index, "don").hits.is_empty());
}

#[test]
fn code_all_hits_at_each_extent_then_undo() {
    let (_dir, path) = demo();
    let mut project = Project::open(&path).unwrap();
    project.set_coder("searcher").unwrap();
    let code = project.resolve_code("Sleep disruption").unwrap();
    let (mut index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    let results = search(&index, "insomnia OR \"awake at\"");
    let turns_hit = results.hits.iter().filter(|h| h.kind == HitKind::Turn).count();
    assert!(turns_hit > 0);
    for extent in [Extent::Hit, Extent::Sentence, Extent::Turn] {
        let before = project.codings(&Default::default()).unwrap().len();
        let log_before = project.history().unwrap().len();
        let codings = codings_for_hits(&project, &results.hits, &code, extent, None).unwrap();
        assert!(!codings.is_empty());
        for c in &codings {
            let h = results.hits.iter().find(|h| h.id == c.document_id && h.start >= c.start && h.end <= c.end);
            let h = h.unwrap_or_else(|| panic!("{c:?} covers no hit"));
            match extent {
                Extent::Hit => assert_eq!((c.start, c.end), (h.start, h.end)),
                Extent::Sentence => assert_eq!((c.start, c.end), (h.sentence_start, h.sentence_end)),
                Extent::Turn => assert_eq!((c.start, c.end), (h.turn_start, h.turn_end)),
            }
        }
        let n = codings.len();
        project.apply_codings(codings, &format!("Code all hits ({})", extent.as_str())).unwrap();
        assert_eq!(project.codings(&Default::default()).unwrap().len(), before + n);
        assert_eq!(project.history().unwrap().len(), log_before + 1, "one operation");
        // Coding the same hits again adds nothing.
        assert!(codings_for_hits(&project, &results.hits, &code, extent, None).unwrap().is_empty());
        // The index sees the new codings.
        index.update(&project, &mut |_| {}).unwrap();
        assert!(search(&index, "coder:searcher").counts.passages > 0);
        project.undo().unwrap();
        assert_eq!(project.codings(&Default::default()).unwrap().len(), before);
        index.update(&project, &mut |_| {}).unwrap();
        assert_eq!(search(&index, "coder:searcher").counts.passages, 0);
    }
    // Sentence extents hold whole sentences.
    let sentence = codings_for_hits(&project, &results.hits, &code, Extent::Sentence, None).unwrap();
    let c = &sentence[0];
    let text = project.document_text(&c.document_id).unwrap();
    let s = slice_chars(&text, c.start, c.end).unwrap();
    assert!(s.ends_with(['.', '?', '!', '"', '\'']) || c.end == results.hits[0].turn_end, "{s}");
    let mut csv = Vec::new();
    write_csv(&results.hits, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), results.hits.len() + 1);
}

#[test]
fn rebuilds_after_deletion_and_corruption_and_follows_changes() {
    let (_dir, path) = demo();
    let mut project = Project::open(&path).unwrap();
    let first = {
        let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
        assert!(report.rebuilt_because.is_some());
        search(&index, "stairs").counts.passages
    };
    // Reopening an up-to-date index does nothing.
    let (_, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!((report.rebuilt_because.clone(), report.indexed), (None, 0));

    // Deleted: rebuilt.
    let dir = index_dir(&path);
    std::fs::remove_dir_all(&dir).unwrap();
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert!(report.rebuilt_because.is_some());
    assert_eq!(search(&index, "stairs").counts.passages, first);
    drop(index);

    // Corrupt segment files: rebuilt.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "idx" || e == "store" || e == "term") {
            std::fs::write(&p, b"garbage").unwrap();
        }
    }
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert!(report.rebuilt_because.as_deref().unwrap_or("").contains("damaged"), "{report:?}");
    assert_eq!(search(&index, "stairs").counts.passages, first);
    drop(index);

    // Corrupt stamp and meta.json: rebuilt.
    std::fs::write(dir.join("meta.json"), b"{not json").unwrap();
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert!(report.rebuilt_because.is_some());
    assert_eq!(search(&index, "stairs").counts.passages, first);
    drop(index);

    // A change in the project: only the changed document is indexed again.
    let doc = project.resolve_document("P01_BL").unwrap();
    project.assign_document(&doc, Some("P02"), Some("BL")).unwrap();
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!((report.rebuilt_because, report.indexed), (None, 1));
    assert!(search(&index, "stairs participant:P02").hits.iter().any(|h| h.document.as_deref() == Some("P01_BL")));
    drop(index);
    project.delete_document(&doc).unwrap();
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!(report.removed, 1);
    assert!(search(&index, "stairs").hits.iter().all(|h| h.document.as_deref() != Some("P01_BL")));
}

#[test]
fn service_searches_while_importing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.codeloom");
    let mut project = Project::create(&path).unwrap();
    project
        .import_documents(vec![parsed("P01_BL", "P01: my knee hurts on the stairs\n", Some("P01"), Some("BL"))])
        .unwrap();
    let mut service = Service::start(&path);
    let wait = std::time::Duration::from_secs(60);
    let t = service.query("knee", SearchOptions::default());
    let first = service.wait_for(t, wait).unwrap().unwrap();
    assert_eq!(first.counts.passages, 1);
    // Import in this thread while the service answers queries in its own.
    let importer = std::thread::spawn(move || {
        for i in 0..20 {
            let text = format!("P{:02}: the knee again, number {i}, on the stairs\n", i + 2);
            project.import_documents(vec![parsed(&format!("P{:02}_BL", i + 2), &text, None, None)]).unwrap();
        }
        project
    });
    let mut last = 0;
    for _ in 0..10 {
        let t = service.query("knee", SearchOptions { limit: None, ..Default::default() });
        let r = service.wait_for(t, wait).unwrap().unwrap();
        assert!(r.counts.passages >= last, "hits never go backwards");
        last = r.counts.passages;
    }
    let _project = importer.join().unwrap();
    service.refresh();
    let t = service.query("knee", SearchOptions { limit: None, ..Default::default() });
    let r = service.wait_for(t, wait).unwrap().unwrap();
    assert_eq!(r.counts.passages, 21);
    assert!(matches!(service.status(), Status::Ready { documents: 21, note: None, .. }));
    let t = service.query("(knee", SearchOptions::default());
    assert!(service.wait_for(t, wait).unwrap().unwrap_err().contains("character 1"));
}

/// A small project of three turns about knees and stairs, indexed in memory.
fn small_index() -> (tempfile::TempDir, Project, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.codeloom");
    let mut project = Project::create(&path).unwrap();
    let text = "Interviewer: Stairs?\n\nP01: My knee hurts on the stairs.\n\nInterviewer: And at night?\n\nP01: I sleep badly.\n";
    project.import_documents(vec![parsed("P01_BL", text, Some("P01"), Some("BL"))]).unwrap();
    let index = SearchIndex::in_memory(&project).unwrap();
    (dir, project, index)
}

#[test]
fn deep_and_long_queries_fail_cleanly_and_100_levels_run() {
    let (_dir, _project, index) = small_index();
    let passages = |q: &str| search(&index, q).counts.passages;
    let (knee, all) = (passages("knee"), passages("NOT zzz"));
    assert!(knee > 0 && knee < all);

    // 100 levels run, in this test thread, with the right answers.
    assert_eq!(passages(&format!("{}knee", "NOT ".repeat(100))), knee);
    assert_eq!(passages(&format!("{}knee", "NOT ".repeat(99))), all - knee);
    assert_eq!(passages(&format!("{}knee{}", "(".repeat(100), ")".repeat(100))), knee);
    assert_eq!(passages(&format!("{}knee{}", "(zzz OR -(".repeat(33), "))".repeat(33))), all - knee);
    assert_eq!(passages(&format!("{}knee{}", "(stairs ".repeat(100), ")".repeat(100))), passages("stairs knee"));

    // More fails with the place and the reason, and a short quote of the query.
    for (q, position, reason) in [
        (format!("{}knee", "NOT ".repeat(1_000)), 400, "nests more than 100 levels"),
        (format!("{}knee{}", "(".repeat(10_000), ")".repeat(10_000)), 10_000, "longer than 10000 characters"),
        (format!("{}knee", "(".repeat(9_000)), 100, "nests more than 100 levels"),
        (format!("{}knee{}", "-(".repeat(60), ")".repeat(60)), 100, "nests more than 100 levels"),
    ] {
        let e = index.search(&q, &all_options()).err().unwrap_or_else(|| panic!("{}… ran", &q[..20]));
        let shown = e.to_string();
        assert!(shown.chars().count() < 300 && shown.contains(&format!("at character {}", position + 1)), "{shown}");
        let crate::Error::Query { position: at, message, .. } = e else { panic!("{shown}") };
        assert_eq!(at, position, "{message}");
        assert!(message.contains(reason), "{message}");
    }
}

fn all_options() -> SearchOptions {
    SearchOptions { limit: None, sort: Sort::Document, ..Default::default() }
}

#[test]
fn a_tree_deeper_than_any_parsed_query_is_not_compiled() {
    let (_dir, _project, index) = small_index();
    let mut node = query::Node::Word("knee".into());
    for _ in 0..1_000 {
        node = query::Node::Not(Box::new(node));
    }
    let e = index.compile(&index.reader.searcher(), &node, false, &mut Vec::new(), false).expect_err("too deep");
    assert!(e.message.contains("nests more than 100 levels"), "{}", e.message);
    let mut node = query::Node::Word("knee".into());
    for _ in 0..2 * query::DEEPEST_NESTING + 2 {
        node = query::Node::Not(Box::new(node));
    }
    assert!(index.compile(&index.reader.searcher(), &node, false, &mut Vec::new(), false).is_ok());
}

#[test]
fn operator_soup_never_panics_when_searched() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let (_dir, _project, index) = small_index();
    let piece = prop_oneof![
        Just("NOT "),
        Just("AND "),
        Just("OR "),
        Just("("),
        Just(")"),
        Just("-"),
        Just("+"),
        Just("\""),
        Just("knee "),
        Just("stairs"),
        Just(" "),
        Just("*"),
        Just("~"),
        Just("speaker:"),
        Just("p01 "),
        Just("don’t "),
        Just("follow-up "),
    ];
    let soup = proptest::collection::vec((piece, 1..70usize), 0..30)
        .prop_map(|parts| parts.into_iter().map(|(p, n)| p.repeat(n)).collect::<String>());
    let mut runner = TestRunner::new(Config { cases: 96, ..Config::default() });
    runner
        .run(&soup, |q| {
            match index.search(&q, &all_options()) {
                Ok(r) => prop_assert!(r.hits.iter().all(|h| h.start <= h.end)),
                Err(crate::Error::Query { position, .. }) => prop_assert!(position <= q.chars().count()),
                Err(e) => prop_assert!(false, "{q}: {e}"),
            }
            Ok(())
        })
        .unwrap();
}

fn coding(document_id: &str, start: usize, end: usize, code_id: &str, coder: &str) -> crate::store::ops::NewCoding {
    crate::store::ops::NewCoding {
        document_id: document_id.into(),
        start,
        end,
        code_id: code_id.into(),
        coder: Some(coder.into()),
        memo: None,
        illustrative: false,
    }
}

/// Every passage of every document, in document order, with its counts.
fn everything(index: &SearchIndex) -> SearchResults {
    search(index, "NOT zzzz")
}

#[test]
fn an_update_indexes_what_the_change_set_names() {
    let (_dir, path) = demo();
    let mut project = Project::open(&path).unwrap();
    let (mut index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    let doc = project.resolve_document("P01_BL").unwrap();
    let code = project.resolve_code("Sleep disruption").unwrap();
    let update = |index: &mut SearchIndex, project: &Project| {
        let report = index.update(project, &mut |_| {}).unwrap();
        assert_eq!(report.rebuilt_because, None);
        assert_eq!(everything(index), everything(&SearchIndex::in_memory(project).unwrap()), "{report:?}");
        (report.indexed, report.removed, report.extras)
    };

    // One coding: its document only.
    project.apply_coding(coding(&doc, 0, 40, &code, "zoe")).unwrap();
    assert_eq!(update(&mut index, &project), (1, 0, 0));
    assert_eq!(search(&index, "coder:zoe").counts.documents.len(), 1);
    // A code renamed: its description's entry, no turn.
    project
        .update_code(&code, crate::store::ops::CodeChanges { name: Some("Broken sleep".into()), ..Default::default() })
        .unwrap();
    assert_eq!(update(&mut index, &project), (0, 0, 1));
    assert!(search(&index, "code:\"Broken sleep\" coder:zoe").counts.passages > 0);
    // A memo: its entry.
    project.add_memo(crate::model::MemoTarget::Project, None, "Quince", "quince jam").unwrap();
    assert_eq!(update(&mut index, &project), (0, 0, 1));
    assert_eq!(search(&index, "quince").counts.other, 1);
    // An attribute of P01: P01's documents.
    let p01_documents =
        project.documents().unwrap().iter().filter(|d| d.document.participant.as_deref() == Some("P01")).count();
    assert!(p01_documents > 1);
    project.set_attribute("P01", "tenure", crate::model::AttributeKind::Category, Some("renting")).unwrap();
    assert_eq!(update(&mut index, &project), (p01_documents, 0, 0));
    assert_eq!(search(&index, "tenure:renting").counts.documents.len(), p01_documents);
    // The waves reordered: no document indexed again, but the order follows.
    let mut waves: Vec<String> = project.waves().unwrap().into_iter().map(|w| w.name).collect();
    waves.reverse();
    project.set_wave_order(&waves).unwrap();
    assert_eq!(update(&mut index, &project), (0, 0, 0));
    let order: Vec<String> = everything(&index).counts.waves.into_iter().map(|w| w.key).collect();
    assert_eq!(order, waves);
    // Undo reverses each, costing the same.
    project.undo().unwrap();
    project.undo().unwrap();
    assert_eq!(update(&mut index, &project), (p01_documents, 0, 0));
    // Nothing changed: nothing done.
    assert_eq!(update(&mut index, &project), (0, 0, 0));
}

#[test]
fn turns_store_no_text_and_memos_and_codes_keep_theirs() {
    let (_dir, path) = demo();
    let project = Project::open(&path).unwrap();
    let (index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    let searcher = index.reader.searcher();
    let (mut turns, mut extras) = (0, 0);
    for (ord, seg) in searcher.segment_readers().iter().enumerate() {
        let doc_ix = seg.fast_fields().u64("doc_ix").unwrap();
        for d in 0..seg.max_doc() {
            let stored: tantivy::TantivyDocument = searcher.doc(tantivy::DocAddress::new(ord as u32, d)).unwrap();
            let values = stored.field_values().count();
            if doc_ix.first(d).is_some() {
                assert_eq!(values, 0, "a turn keeps nothing");
                turns += 1;
            } else {
                assert_eq!(values, 4, "a memo or code keeps its kind, ID, title and text");
                extras += 1;
            }
        }
    }
    assert!(turns > 100 && extras > 10, "{turns} {extras}");
}

#[test]
fn a_project_whose_history_is_not_the_one_indexed_is_rebuilt() {
    let (_dir, path) = demo();
    let mut project = Project::open(&path).unwrap();
    let doc = project.resolve_document("P01_BL").unwrap();
    let code = project.resolve_code("Sleep disruption").unwrap();
    let (mut index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    let backup = project.backup_now().unwrap();
    project.apply_coding(coding(&doc, 0, 40, &code, "xavier")).unwrap();
    index.update(&project, &mut |_| {}).unwrap();
    assert!(search(&index, "coder:xavier").counts.passages > 0);
    drop((index, project));

    // The backup restored: the indexed log entry is past the end of the log.
    crate::store::backup::restore(&path, &backup.name).unwrap();
    let mut project = Project::open(&path).unwrap();
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert!(report.rebuilt_because.as_deref().unwrap_or("").contains("history"), "{report:?}");
    assert_eq!(search(&index, "coder:xavier").counts.passages, 0);
    drop(index);

    // Restored again and changed otherwise: the entry at the indexed position is another one.
    let (mut index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    project.apply_coding(coding(&doc, 0, 40, &code, "xavier")).unwrap();
    index.update(&project, &mut |_| {}).unwrap();
    drop((index, project));
    crate::store::backup::restore(&path, &backup.name).unwrap();
    let mut project = Project::open(&path).unwrap();
    project.apply_coding(coding(&doc, 0, 40, &code, "yusuf")).unwrap();
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert!(report.rebuilt_because.as_deref().unwrap_or("").contains("history"), "{report:?}");
    assert_eq!(search(&index, "coder:xavier").counts.passages, 0);
    assert!(search(&index, "coder:yusuf").counts.passages > 0);
}

/// A stemmed phrase whose places have few terms in the index is searched as plain
/// phrases, one per choice of terms, and one of many choices as a phrase of
/// alternatives; both find every arrangement of the words' forms, and a word the index
/// lacks finds nothing.
#[test]
fn stemmed_phrases_find_every_form_whichever_way_they_are_searched() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::create(&dir.path().join("s.codeloom")).unwrap();
    let text = "P01: walking daughters.\n\nP01: walk daughter.\n\nP01: walks the daughters.\n\n\
                P01: walked daughter's walk daughters.\n\nP01: walk daughters walking daughter.\n";
    project.import_documents(vec![parsed("P01_BL", text, Some("P01"), Some("BL"))]).unwrap();
    let index = SearchIndex::in_memory(&project).unwrap();
    let found = |q: &str| {
        let r = search(&index, q);
        check_offsets(&project, &r);
        (r.counts.passages, matched(&r))
    };
    // Two places of two terms each: four plain phrases.
    let (n, hits) = found("\"walk daughter\"");
    assert_eq!(n, 4, "{hits:?}");
    assert!(hits.contains(&"walking daughters".to_string()) && hits.contains(&"walked daughter's".to_string()));
    // Three places: eight plain phrases.
    assert_eq!(found("\"walking daughter walk\"").0, 2);
    // Four places: sixteen choices, one phrase of alternatives.
    let (n, hits) = found("\"walks daughter walk daughters\"");
    assert_eq!(n, 2, "{hits:?}");
    assert!(hits.contains(&"walk daughters walking daughter".to_string()), "{hits:?}");
    // Exact forms are one phrase.
    assert_eq!(
        index.search("\"walk daughter\"", &SearchOptions { exact: true, ..all("") }).unwrap().counts.passages,
        1
    );
    // A word the index does not hold.
    assert_eq!(found("\"walk elephants\"").0, 0);
    assert_eq!(found("elephants").0, 0);
}

/// Whatever the words, the passages the index finds for a word or phrase (stemmed or
/// exact) are exactly those in which the highlighter finds it: no passage is missed, and
/// none is found without a highlighted match.
#[test]
fn the_index_finds_exactly_the_passages_the_highlighter_marks() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    // `agreed` stems to `agre`, whose own stem is `agr`: a word need not be its stem's stem.
    let vocabulary: Vec<&str> = "walk walks walking walked walker general generous generally gener daughter \
        daughter's daughters daughter’s follow-up followup follow up the really realli happy happiness happi news \
        new running run cafés café don't agreed agre"
        .split_whitespace()
        .collect();
    let word = 0..vocabulary.len();
    let turn = proptest::collection::vec(word.clone(), 1..9);
    let corpus = proptest::collection::vec(turn, 2..8);
    // Up to five words: a stemmed phrase of four or five words whose places each have two
    // terms is searched as one phrase of alternatives, a shorter one as plain phrases.
    let query = (proptest::collection::vec(word, 1..6), any::<bool>());
    let case = (corpus, proptest::collection::vec(query, 1..8));
    let check = |corpus: Vec<Vec<usize>>, queries: Vec<(Vec<usize>, bool)>| -> Result<(), TestCaseError> {
        let dir = tempfile::tempdir().unwrap();
        let mut project = Project::create(&dir.path().join("w.codeloom")).unwrap();
        let text: String = corpus
            .iter()
            .map(|t| format!("P01: {}.\n\n", t.iter().map(|w| vocabulary[*w]).collect::<Vec<_>>().join(" ")))
            .collect();
        project.import_documents(vec![parsed("P01_BL", &text, Some("P01"), Some("BL"))]).unwrap();
        let index = SearchIndex::in_memory(&project).unwrap();
        let turns = project.turns(&project.resolve_document("P01_BL").unwrap()).unwrap();
        for (words, exact) in queries {
            let said: Vec<&str> = words.iter().map(|w| vocabulary[*w]).collect();
            let q = if said.len() > 1 { format!("\"{}\"", said.join(" ")) } else { said[0].to_string() };
            let node = query::parse(&q).unwrap();
            let mut matchers = Vec::new();
            index.compile(&index.reader.searcher(), &node, exact, &mut matchers, false).unwrap();
            let mut highlighter = highlight::Highlighter::new(matchers);
            let marked: Vec<usize> = turns
                .iter()
                .enumerate()
                .filter(|(_, t)| !highlighter.find(slice_chars(&text, t.start, t.end).unwrap()).is_empty())
                .map(|(i, _)| i)
                .collect();
            let found = index.search(&q, &SearchOptions { exact, ..all(&q) }).unwrap();
            prop_assert!(found.hits.iter().all(|h| !h.whole_passage), "{} (exact: {}) in {:?}", q, exact, text);
            let mut passages: Vec<usize> = found.hits.iter().filter_map(|h| h.turn).collect();
            passages.dedup();
            prop_assert_eq!(passages, marked, "{} (exact: {}) in {:?}", q, exact, text);
        }
        Ok(())
    };
    // A word whose stem's own stem differs (`agre`), beside the word stemmed to it.
    let at = |w: &str| vocabulary.iter().position(|x| *x == w).unwrap();
    let fixed = vec![vec![at("agre"), at("the")], vec![at("agreed")], vec![at("walk"), at("agre")]];
    for q in ["agreed", "agre", "walk"] {
        for exact in [false, true] {
            check(fixed.clone(), vec![(vec![at(q)], exact)]).unwrap();
        }
    }
    let mut runner = TestRunner::new(Config { cases: 24, ..Config::default() });
    runner.run(&case, |(corpus, queries)| check(corpus, queries)).unwrap();
}

/// The catalog files in an index folder, by name.
fn catalog_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("codeloom-catalog"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_catalog_is_written_only_when_it_changes_and_an_older_stamp_still_opens() {
    let (_dir, path) = demo();
    let mut project = Project::open(&path).unwrap();
    let dir = index_dir(&path);
    let (mut index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!(catalog_files(&dir), ["codeloom-catalog-1.json"]);
    let first = std::fs::read_to_string(dir.join("codeloom-catalog-1.json")).unwrap();
    let doc = project.resolve_document("P01_BL").unwrap();
    let code = project.resolve_code("Sleep disruption").unwrap();

    // A coding by a new coder: the catalog changes, a new generation replaces the old one.
    project.apply_coding(coding(&doc, 0, 40, &code, "zoe")).unwrap();
    index.update(&project, &mut |_| {}).unwrap();
    assert_eq!(catalog_files(&dir), ["codeloom-catalog-2.json"]);
    assert!(search(&index, "coder:zoe").counts.passages > 0);
    let second = std::fs::read_to_string(dir.join("codeloom-catalog-2.json")).unwrap();
    assert_ne!(first, second);
    // Another coding: the document is indexed again, the stamp written, the catalog not.
    project.apply_coding(coding(&doc, 50, 90, &code, "zoe")).unwrap();
    let stamp_before = std::fs::read_to_string(dir.join(folder::STAMP_FILE)).unwrap();
    assert_eq!(index.update(&project, &mut |_| {}).unwrap().indexed, 1);
    assert_ne!(std::fs::read_to_string(dir.join(folder::STAMP_FILE)).unwrap(), stamp_before);
    assert_eq!(catalog_files(&dir), ["codeloom-catalog-2.json"]);
    assert_eq!(std::fs::read_to_string(dir.join("codeloom-catalog-2.json")).unwrap(), second);

    // A document moved to another participant: a new catalog, the old one deleted.
    project.assign_document(&doc, Some("P02"), Some("BL")).unwrap();
    index.update(&project, &mut |_| {}).unwrap();
    assert_eq!(catalog_files(&dir), ["codeloom-catalog-3.json"]);
    drop(index);
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!(report.rebuilt_because, None);
    assert_eq!(everything(&index), everything(&SearchIndex::in_memory(&project).unwrap()));

    // A stamp of before catalogs had files of their own: read as it is, moved out at the next update.
    let mut old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(folder::STAMP_FILE)).unwrap()).unwrap();
    let c = &index.stamp.catalog;
    old["catalog"] = serde_json::json!({
        "documents": c.documents, "participants": c.participants, "attributes": c.attributes,
        "waves": c.waves, "codes": c.codes, "coders": c.coders,
    });
    old.as_object_mut().unwrap().remove("catalog_file");
    drop(index);
    std::fs::write(dir.join(folder::STAMP_FILE), old.to_string()).unwrap();
    std::fs::remove_file(dir.join("codeloom-catalog-3.json")).unwrap();
    let (mut index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!((report.rebuilt_because, report.indexed), (None, 0));
    assert_eq!(everything(&index), everything(&SearchIndex::in_memory(&project).unwrap()));
    project.apply_coding(coding(&doc, 100, 140, &code, "zoe")).unwrap();
    index.update(&project, &mut |_| {}).unwrap();
    assert_eq!(catalog_files(&dir), ["codeloom-catalog-1.json"]);
    drop(index);

    // A catalog missing, or one the stamp names outside the folder: rebuilt, saying why.
    std::fs::remove_file(dir.join("codeloom-catalog-1.json")).unwrap();
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert!(report.rebuilt_because.as_deref().unwrap_or("").contains("catalog"), "{report:?}");
    assert_eq!(everything(&index), everything(&SearchIndex::in_memory(&project).unwrap()));
    drop(index);
    let mut stamp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(folder::STAMP_FILE)).unwrap()).unwrap();
    stamp["catalog_file"] = "../demo.codeloom".into();
    std::fs::write(dir.join(folder::STAMP_FILE), stamp.to_string()).unwrap();
    let (index, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert!(report.rebuilt_because.as_deref().unwrap_or("").contains("catalog"), "{report:?}");
    assert_eq!(everything(&index), everything(&SearchIndex::in_memory(&project).unwrap()));
}
