//! The Study kept up to date by change sets equals a fresh load of the project, after
//! every step of random sequences of operations with undo and redo, made by this window
//! or by another connection (another process).

use super::session::Session;
use super::study::Study;
use codeloom::Project;
use codeloom::import::ParsedDocument;
use codeloom::store::ops::{CodeChanges, CodingChanges, NewCode, NewCoding};
use proptest::prelude::*;

const TEXT: &str = "Interviewer: How have you been sleeping since the programme started?\n\
P01: Badly, to be honest. The pain wakes me at two and I lie there thinking about everything.\n\
Interviewer: And during the day?\n\
P01: I pace myself now. A bit of housework, then I sit down, then a bit more.";

/// One step a researcher (or a script beside the window) might take.
#[derive(Debug, Clone)]
enum Step {
    Apply {
        doc: usize,
        at: usize,
        len: usize,
        code: usize,
        coder: usize,
    },
    Recode {
        coding: usize,
        code: usize,
    },
    Resize {
        coding: usize,
        grow: usize,
    },
    Star {
        coding: usize,
    },
    Delete {
        coding: usize,
    },
    CreateCode {
        parent: Option<usize>,
    },
    Rename {
        code: usize,
    },
    Move {
        code: usize,
        parent: Option<usize>,
    },
    Recolour {
        code: usize,
    },
    DeleteCode {
        code: usize,
    },
    Merge {
        from: usize,
        into: usize,
    },
    Import,
    Memo {
        code: usize,
    },
    Assign {
        coder: usize,
        doc: usize,
    },
    /// Moves a document to another participant (or to none).
    MoveDocument {
        doc: usize,
        participant: Option<usize>,
    },
    DeleteDocument {
        doc: usize,
    },
    Undo,
    Redo,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..4usize, 0..200usize, 1..40usize, 0..8usize, 0..3usize)
            .prop_map(|(doc, at, len, code, coder)| Step::Apply { doc, at, len, code, coder }),
        1 => (0..30usize, 0..8usize).prop_map(|(coding, code)| Step::Recode { coding, code }),
        1 => (0..30usize, 1..20usize).prop_map(|(coding, grow)| Step::Resize { coding, grow }),
        1 => (0..30usize).prop_map(|coding| Step::Star { coding }),
        1 => (0..30usize).prop_map(|coding| Step::Delete { coding }),
        1 => proptest::option::of(0..8usize).prop_map(|parent| Step::CreateCode { parent }),
        1 => (0..8usize).prop_map(|code| Step::Rename { code }),
        1 => (0..8usize, proptest::option::of(0..8usize)).prop_map(|(code, parent)| Step::Move { code, parent }),
        1 => (0..8usize).prop_map(|code| Step::Recolour { code }),
        1 => (0..8usize).prop_map(|code| Step::DeleteCode { code }),
        1 => (0..8usize, 0..8usize).prop_map(|(from, into)| Step::Merge { from, into }),
        1 => Just(Step::Import),
        1 => (0..8usize).prop_map(|code| Step::Memo { code }),
        1 => (0..3usize, 0..4usize).prop_map(|(coder, doc)| Step::Assign { coder, doc }),
        1 => (0..4usize, proptest::option::of(0..4usize))
            .prop_map(|(doc, participant)| Step::MoveDocument { doc, participant }),
        1 => (0..4usize).prop_map(|doc| Step::DeleteDocument { doc }),
        2 => Just(Step::Undo),
        1 => Just(Step::Redo),
    ]
}

fn document(n: usize) -> ParsedDocument {
    let text = format!("{TEXT}\nP01: (note {n})");
    ParsedDocument {
        source: format!("P0{}_{}.txt", n % 3 + 1, ["BL", "3M"][n % 2]).into(),
        original_name: format!("P0{}_{}.txt", n % 3 + 1, ["BL", "3M"][n % 2]),
        name: format!("doc {n}"),
        format: "txt".into(),
        turns: codeloom::import::turns::detect_turns(&text),
        text,
        participant: Some(format!("P0{}", n % 3 + 1)),
        wave: Some(["BL", "3M"][n % 2].into()),
        warnings: vec![],
    }
}

fn setup() -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::create(&dir.path().join("study.codeloom")).unwrap();
    p.import_documents((0..3).map(document).collect()).unwrap();
    for name in ["Sleep", "Pain at night", "Pacing", "Housework"] {
        p.create_code(NewCode { name: name.into(), ..Default::default() }).unwrap();
    }
    (dir, p)
}

/// Runs one step on `p`; steps that do not apply (an index past the end, a cycle) are
/// allowed to fail, as they would for a person.
fn run(p: &mut Project, step: &Step, imported: &mut usize) {
    let docs: Vec<String> = p.documents().unwrap().into_iter().map(|d| d.document.id).collect();
    let codes: Vec<String> = p.codes().unwrap().into_iter().map(|c| c.id).collect();
    let codings: Vec<String> = p.codings(&Default::default()).unwrap().into_iter().map(|c| c.id).collect();
    let pick = |v: &[String], i: usize| (!v.is_empty()).then(|| v[i % v.len()].clone());
    let coders = ["amara", "ben", "chen"];
    let _ = match step.clone() {
        Step::Apply { doc, at, len, code, coder } => {
            let (Some(d), Some(c)) = (pick(&docs, doc), pick(&codes, code)) else { return };
            let _ = p.set_coder(coders[coder]);
            let coding = NewCoding {
                document_id: d,
                start: at,
                end: at + len,
                code_id: c,
                coder: None,
                memo: None,
                illustrative: false,
            };
            p.apply_coding(coding).map(|_| ())
        }
        Step::Recode { coding, code } => match (pick(&codings, coding), pick(&codes, code)) {
            (Some(k), Some(c)) => p.update_coding(&k, CodingChanges { code_id: Some(c), ..Default::default() }),
            _ => return,
        },
        Step::Resize { coding, grow } => match pick(&codings, coding) {
            Some(k) => {
                let c = p.coding(&k).unwrap();
                p.update_coding(&k, CodingChanges { end: Some(c.end + grow), ..Default::default() })
            }
            None => return,
        },
        Step::Star { coding } => match pick(&codings, coding) {
            Some(k) => p.update_coding(&k, CodingChanges { illustrative: Some(true), ..Default::default() }),
            None => return,
        },
        Step::Delete { coding } => match pick(&codings, coding) {
            Some(k) => p.delete_coding(&k),
            None => return,
        },
        Step::CreateCode { parent } => {
            let parent_id = parent.and_then(|i| pick(&codes, i));
            p.create_code(NewCode { name: format!("Code {}", codes.len()), parent_id, ..Default::default() })
                .map(|_| ())
        }
        Step::Rename { code } => match pick(&codes, code) {
            Some(c) => {
                p.update_code(&c, CodeChanges { name: Some(format!("Renamed {}", codes.len())), ..Default::default() })
            }
            None => return,
        },
        Step::Move { code, parent } => match pick(&codes, code) {
            Some(c) => {
                let to = parent.and_then(|i| pick(&codes, i));
                p.update_code(&c, CodeChanges { parent_id: Some(to), ..Default::default() })
            }
            None => return,
        },
        Step::Recolour { code } => match pick(&codes, code) {
            Some(c) => p.update_code(&c, CodeChanges { color: Some("#123456".into()), ..Default::default() }),
            None => return,
        },
        Step::DeleteCode { code } => match pick(&codes, code) {
            Some(c) => p.delete_code(&c).map(|_| ()),
            None => return,
        },
        Step::Merge { from, into } => match (pick(&codes, from), pick(&codes, into)) {
            (Some(a), Some(b)) => p.merge_codes(&[a], &b).map(|_| ()),
            _ => return,
        },
        Step::Import => {
            *imported += 1;
            p.import_documents(vec![document(2 + *imported)]).map(|_| ())
        }
        Step::Memo { code } => match pick(&codes, code) {
            Some(c) => p.add_memo(codeloom::model::MemoTarget::Code, Some(&c), "Note", "About this code").map(|_| ()),
            None => return,
        },
        Step::Assign { coder, doc } => match pick(&docs, doc) {
            Some(d) => p.assign_coder(coders[coder], &[d]).map(|_| ()),
            None => return,
        },
        Step::MoveDocument { doc, participant } => match pick(&docs, doc) {
            Some(d) => {
                let label = participant.map(|i| format!("P0{}", i + 1));
                p.assign_document(&d, label.as_deref(), Some("BL"))
            }
            None => return,
        },
        Step::DeleteDocument { doc } => match pick(&docs, doc) {
            Some(d) => p.delete_document(&d),
            None => return,
        },
        Step::Undo => p.undo().map(|_| ()),
        Step::Redo => p.redo().map(|_| ()),
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// After every step, made through the window's session or by another connection,
    /// the Study the window updated from change sets is the Study a fresh load reads.
    #[test]
    fn the_incremental_study_equals_a_fresh_load(steps in proptest::collection::vec((step(), any::<bool>()), 1..30)) {
        let (dir, p) = setup();
        let mut session = Session::open(p).unwrap();
        let mut other = Project::open(&dir.path().join("study.codeloom")).unwrap();
        let mut imported = 0;
        for (i, (step, elsewhere)) in steps.iter().enumerate() {
            if *elsewhere {
                run(&mut other, step, &mut imported);
                session.catch_up().unwrap();
            } else {
                let mut n = imported;
                let _ = session.change(|p| {
                    run(p, step, &mut n);
                    Ok(())
                });
                imported = n;
            }
            // The counts every document keeps equal its codings and turns counted now.
            for d in session.project.documents().unwrap() {
                let filter = codeloom::store::queries::CodingFilter { document_id: Some(d.document.id.clone()), ..Default::default() };
                prop_assert_eq!(d.coding_count, session.project.codings(&filter).unwrap().len(), "coding count after step {}", i);
                prop_assert_eq!(d.turn_count, session.project.turns(&d.document.id).unwrap().len());
            }
            // The codes' counts equal the store's own recount of every coding.
            let mut counted: Vec<String> = session.project.code_counts_recounted().unwrap().into_iter()
                .map(|(k, v)| format!("{k}:{}/{}/{}", v.codings, v.documents, v.participants)).collect();
            counted.sort();
            let mut kept: Vec<String> = session.study.counts.iter()
                .map(|(k, v)| format!("{k}:{}/{}/{}", v.codings, v.documents, v.participants)).collect();
            kept.sort();
            prop_assert_eq!(kept, counted, "counts after step {} ({:?})", i, step);
            let fresh = Study::load(&session.project).unwrap();
            prop_assert_eq!(
                session.study.fingerprint(),
                fresh.fingerprint(),
                "after step {} ({:?}, elsewhere: {})",
                i,
                step,
                elsewhere
            );
        }
    }
}
