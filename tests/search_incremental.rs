//! The search index kept up to date from the project's change sets answers exactly as
//! an index built from nothing (issue 12): after random sequences of operations
//! (applying, deleting and recoding codings, creating and renaming codes, importing,
//! reassigning and deleting documents, memos, attributes, undo and redo) every query of
//! a set that exercises words, phrases, prefixes, NOT and the filters code:, coder:,
//! participant:, wave: and attributes gives the same hits (with exact char ranges) and
//! the same counts, and no update falls back to a rebuild.

use codeloom::Project;
use codeloom::import::ParsedDocument;
use codeloom::import::turns::detect_turns;
use codeloom::model::{AttributeKind, MemoTarget};
use codeloom::search::{Hit, SearchIndex, SearchOptions, SearchResults, Sort};
use codeloom::store::ops::{CodeChanges, CodingChanges, NewCode, NewCoding};
use proptest::prelude::*;
use std::path::Path;

const WORDS: [&str; 10] =
    ["knee", "stairs", "sleep", "badly", "pain", "bus", "tired", "daughter's", "follow-up", "café"];
const CODE_NAMES: [&str; 6] = ["Pain", "Sleep", "Night", "Stairs", "Mood", "Work"];
const CODERS: [&str; 3] = ["amara", "ben", "chen"];
const PARTICIPANTS: [&str; 3] = ["P01", "P02", "P03"];
const WAVES: [&str; 2] = ["BL", "3M"];

#[derive(Debug, Clone)]
enum Op {
    Apply {
        doc: usize,
        start: usize,
        len: usize,
        code: usize,
        coder: usize,
    },
    DeleteCoding(usize),
    Recode {
        coding: usize,
        code: usize,
    },
    CreateCode {
        name: usize,
        parent: Option<usize>,
    },
    RenameCode {
        code: usize,
        name: usize,
    },
    Import {
        participant: usize,
        wave: usize,
        words: Vec<usize>,
    },
    Assign {
        doc: usize,
        participant: usize,
        wave: usize,
    },
    DeleteDocument(usize),
    Memo(Vec<usize>),
    Attribute {
        participant: usize,
        value: usize,
    },
    Undo,
    Redo,
    /// Bring the index up to date and compare it with a fresh one.
    Check,
}

fn op() -> impl Strategy<Value = Op> {
    let words = || proptest::collection::vec(0..WORDS.len(), 3..12);
    prop_oneof![
        4 => (0..8usize, 0..80usize, 1..40usize, 0..8usize, 0..3usize)
            .prop_map(|(doc, start, len, code, coder)| Op::Apply { doc, start, len, code, coder }),
        1 => (0..16usize).prop_map(Op::DeleteCoding),
        1 => (0..16usize, 0..8usize).prop_map(|(coding, code)| Op::Recode { coding, code }),
        1 => (0..CODE_NAMES.len(), proptest::option::of(0..8usize))
            .prop_map(|(name, parent)| Op::CreateCode { name, parent }),
        1 => (0..8usize, 0..CODE_NAMES.len()).prop_map(|(code, name)| Op::RenameCode { code, name }),
        1 => (0..3usize, 0..2usize, words()).prop_map(|(participant, wave, words)| Op::Import { participant, wave, words }),
        1 => (0..8usize, 0..3usize, 0..2usize).prop_map(|(doc, participant, wave)| Op::Assign { doc, participant, wave }),
        1 => (0..8usize).prop_map(Op::DeleteDocument),
        1 => words().prop_map(Op::Memo),
        1 => (0..3usize, 0..3usize).prop_map(|(participant, value)| Op::Attribute { participant, value }),
        2 => Just(Op::Undo),
        1 => Just(Op::Redo),
        3 => Just(Op::Check),
    ]
}

fn parsed(name: &str, text: &str, participant: &str, wave: &str) -> ParsedDocument {
    ParsedDocument {
        source: format!("{name}.txt").into(),
        original_name: format!("{name}.txt"),
        name: name.into(),
        format: "txt".into(),
        text: text.into(),
        turns: detect_turns(text),
        participant: Some(participant.into()),
        wave: Some(wave.into()),
        warnings: vec![],
    }
}

/// A project of two interviews and two codes.
fn project(dir: &Path) -> Project {
    let mut p = Project::create(&dir.join("p.codeloom")).unwrap();
    p.import_documents(vec![
        parsed(
            "P01_BL",
            "Interviewer: How is the knee?\n\nP01: The stairs hurt my knee. I sleep badly.\n\nInterviewer: And the bus?\n\nP01: The bus is fine, café after.\n",
            "P01",
            "BL",
        ),
        parsed("P02_BL", "Interviewer: Sleep?\n\nP02: Tired. My daughter's follow-up is in pain clinic.\n", "P02", "BL"),
    ])
    .unwrap();
    let pain = p.create_code(NewCode { name: "Pain".into(), ..Default::default() }).unwrap();
    p.create_code(NewCode { name: "Night".into(), parent_id: Some(pain), ..Default::default() }).unwrap();
    p.set_attribute("P01", "age", AttributeKind::Number, Some("44")).unwrap();
    p
}

/// Carries out one operation; an operation the project refuses (nothing to undo, a
/// name already used) changes nothing and is fine.
fn run(p: &mut Project, op: &Op, imported: &mut usize) {
    let docs = p.documents().unwrap();
    let codes = p.codes().unwrap();
    let codings = p.codings(&Default::default()).unwrap();
    let doc = |i: usize| docs.get(i % docs.len().max(1)).map(|d| d.document.clone());
    let code = |i: usize| codes.get(i % codes.len().max(1)).map(|c| c.id.clone());
    let coding = |i: usize| codings.get(i % codings.len().max(1)).map(|c| c.id.clone());
    let _ = match op {
        Op::Apply { doc: d, start, len, code: c, coder } => match (doc(*d), code(*c)) {
            (Some(d), Some(c)) if d.char_count > 1 => {
                let start = start % (d.char_count - 1);
                let end = (start + len).min(d.char_count);
                let coding = NewCoding {
                    document_id: d.id,
                    start,
                    end,
                    code_id: c,
                    coder: Some(CODERS[*coder].into()),
                    memo: None,
                    illustrative: false,
                };
                p.apply_coding(coding).map(|_| ())
            }
            _ => Ok(()),
        },
        Op::DeleteCoding(i) => coding(*i).map_or(Ok(()), |c| p.delete_coding(&c)),
        Op::Recode { coding: i, code: c } => match (coding(*i), code(*c)) {
            (Some(i), Some(c)) => p.update_coding(&i, CodingChanges { code_id: Some(c), ..Default::default() }),
            _ => Ok(()),
        },
        Op::CreateCode { name, parent } => {
            let parent_id = parent.and_then(code);
            p.create_code(NewCode { name: CODE_NAMES[*name].into(), parent_id, ..Default::default() }).map(|_| ())
        }
        Op::RenameCode { code: c, name } => code(*c).map_or(Ok(()), |c| {
            p.update_code(&c, CodeChanges { name: Some(CODE_NAMES[*name].into()), ..Default::default() })
        }),
        Op::Import { participant, wave, words } => {
            *imported += 1;
            let said: Vec<&str> = words.iter().map(|w| WORDS[*w]).collect();
            let who = PARTICIPANTS[*participant];
            let text = format!("Interviewer: Number {imported}?\n\n{who}: {}.\n", said.join(" "));
            let name = format!("{who}_{}_{imported}", WAVES[*wave]);
            p.import_documents(vec![parsed(&name, &text, who, WAVES[*wave])]).map(|_| ())
        }
        Op::Assign { doc: d, participant, wave } => {
            doc(*d).map_or(Ok(()), |d| p.assign_document(&d.id, Some(PARTICIPANTS[*participant]), Some(WAVES[*wave])))
        }
        Op::DeleteDocument(d) => doc(*d).map_or(Ok(()), |d| p.delete_document(&d.id)),
        Op::Memo(words) => {
            let body: Vec<&str> = words.iter().map(|w| WORDS[*w]).collect();
            p.add_memo(MemoTarget::Project, None, "Note", &body.join(" ")).map(|_| ())
        }
        Op::Attribute { participant, value } => {
            let gender = ["female", "male", "other"][*value];
            let age = ["35", "61", "70"][*value];
            p.set_attribute(PARTICIPANTS[*participant], "gender", AttributeKind::Category, Some(gender))
                .and_then(|()| p.set_attribute(PARTICIPANTS[*participant], "age", AttributeKind::Number, Some(age)))
        }
        Op::Undo => p.undo().map(|_| ()),
        Op::Redo => p.redo().map(|_| ()),
        Op::Check => Ok(()),
    };
}

/// The queries compared: words, stems, phrases, prefixes, NOT, and every filter, with
/// each code's name as it is now.
fn queries(p: &Project) -> Vec<String> {
    let mut q: Vec<String> = [
        "knee",
        "knees",
        "\"sleep badly\"",
        "daughter",
        "followup",
        "caf*",
        "tierd~1",
        "stairs OR bus",
        "NOT knee",
        "coder:amara",
        "coder:ben OR coder:chen",
        "participant:P01",
        "participant:P02 pain",
        "wave:BL",
        "wave:3M -tired",
        "gender:female",
        "age:>40",
        "age:<=61 knee",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in p.codes().unwrap() {
        q.push(format!("code:\"{}\"", c.name));
        q.push(format!("code:\"{}\" coder:amara", c.name));
    }
    q
}

/// Hits without their score (relevance scores may differ while deleted passages wait
/// to be merged away; the passages found may not).
fn unscored(hits: &[Hit]) -> Vec<Hit> {
    let mut out: Vec<Hit> = hits.iter().map(|h| Hit { score: 0.0, ..h.clone() }).collect();
    out.sort_by(|a, b| (&a.id, a.start, a.end, a.turn).cmp(&(&b.id, b.start, b.end, b.turn)));
    out
}

fn answer(index: &SearchIndex, q: &str, options: &SearchOptions) -> Result<SearchResults, String> {
    index.search(q, options).map_err(|e| e.to_string())
}

/// Brings `kept` up to date and compares every query with an index built from nothing.
fn check(p: &Project, kept: &mut SearchIndex) -> Result<(), TestCaseError> {
    let report = kept.update(p, &mut |_| {}).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(report.rebuilt_because, None, "an update fell back to a rebuild");
    let fresh = SearchIndex::in_memory(p).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(kept.documents_indexed(), fresh.documents_indexed());
    let by_document = SearchOptions { limit: None, sort: Sort::Document, ..Default::default() };
    let first_page = SearchOptions { limit: Some(3), sort: Sort::Document, ..Default::default() };
    let by_relevance = SearchOptions { limit: None, ..Default::default() };
    for q in queries(p) {
        for options in [&by_document, &first_page] {
            prop_assert_eq!(answer(kept, &q, options), answer(&fresh, &q, options), "{} {:?}", q, options);
        }
        let (a, b) = (answer(kept, &q, &by_relevance), answer(&fresh, &q, &by_relevance));
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(&a.counts, &b.counts, "{}", q);
                prop_assert_eq!(unscored(&a.hits), unscored(&b.hits), "{}", q);
            }
            (a, b) => prop_assert_eq!(a.err(), b.err(), "{}", q),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn an_index_kept_up_to_date_answers_as_one_built_fresh(ops in proptest::collection::vec(op(), 1..14)) {
        let dir = tempfile::tempdir().unwrap();
        let mut p = project(dir.path());
        let (mut kept, _) = SearchIndex::open(&p, &mut |_| {}).unwrap();
        let mut imported = 0;
        for op in &ops {
            run(&mut p, op, &mut imported);
            if matches!(op, Op::Check) {
                check(&p, &mut kept)?;
            }
        }
        check(&p, &mut kept)?;
        // A second handle on the folder, opened now, catches up from the same stamp.
        let (reopened, report) = SearchIndex::open(&p, &mut |_| {}).unwrap();
        prop_assert_eq!(report.rebuilt_because, None);
        let all = SearchOptions { limit: None, sort: Sort::Document, ..Default::default() };
        prop_assert_eq!(answer(&reopened, "NOT zzz", &all), answer(&kept, "NOT zzz", &all));
    }
}

/// Each kind of operation, and its undo and redo, once, with a comparison after each.
#[test]
fn every_kind_of_operation_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let (mut kept, _) = SearchIndex::open(&p, &mut |_| {}).unwrap();
    let mut imported = 0;
    let script = [
        Op::Attribute { participant: 0, value: 0 },
        Op::Apply { doc: 0, start: 20, len: 30, code: 0, coder: 0 },
        Op::Apply { doc: 1, start: 5, len: 10, code: 1, coder: 1 },
        Op::Recode { coding: 0, code: 1 },
        Op::CreateCode { name: 3, parent: Some(0) },
        Op::Apply { doc: 0, start: 60, len: 30, code: 2, coder: 2 },
        Op::RenameCode { code: 2, name: 4 },
        Op::Undo,
        Op::Redo,
        Op::DeleteCoding(0),
        Op::Import { participant: 2, wave: 1, words: vec![0, 1, 2, 3, 7, 8] },
        Op::Attribute { participant: 2, value: 1 },
        Op::Assign { doc: 0, participant: 1, wave: 1 },
        Op::Memo(vec![4, 5, 6]),
        Op::Undo,
        Op::Undo,
        Op::Redo,
        Op::DeleteDocument(1),
        Op::Undo,
    ];
    for op in &script {
        run(&mut p, op, &mut imported);
        check(&p, &mut kept).unwrap_or_else(|e| panic!("after {op:?}: {e}"));
    }
}
