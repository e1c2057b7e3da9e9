//! Undo and redo of every operation: each must bring the project back exactly.

use super::Project;
use super::ops::{AttributeTable, CodeChanges, CodingChanges, NewCode, NewCoding};
use crate::model::ParsedDocument;
use crate::model::{AttributeKind, CodeDescription, MemoTarget, Turn};

/// Every table an operation can change, dumped in a stable order.
fn snapshot(p: &Project) -> String {
    let mut out = String::new();
    for table in super::changes::TABLES {
        let mut stmt = p.conn().prepare(&format!("SELECT * FROM {table} ORDER BY id")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let vals: Vec<String> =
                (0..n).map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap())).collect();
            out.push_str(&format!("{table}: {}\n", vals.join(" | ")));
        }
    }
    out
}

fn doc(name: &str, text: &str, participant: &str, wave: &str) -> ParsedDocument {
    ParsedDocument {
        source: name.into(),
        name: name.into(),
        original_name: format!("{name}.txt"),
        format: "txt".into(),
        text: text.into(),
        turns: crate::import::turns::detect_turns(text),
        participant: Some(participant.into()),
        wave: Some(wave.into()),
        warnings: vec![],
    }
}

/// Runs `op`, then checks that undo restores the state before it and redo the state after.
fn check(p: &mut Project, what: &str, op: impl FnOnce(&mut Project)) {
    let before = snapshot(p);
    let counter = p.change_counter().unwrap();
    op(p);
    let after = snapshot(p);
    assert_ne!(before, after, "{what} changed nothing");
    assert!(p.change_counter().unwrap() > counter);
    p.undo().unwrap_or_else(|e| panic!("undo of {what}: {e}"));
    assert_eq!(snapshot(p), before, "undo of {what}");
    p.redo().unwrap_or_else(|e| panic!("redo of {what}: {e}"));
    assert_eq!(snapshot(p), after, "redo of {what}");
}

#[test]
fn every_operation_undoes_and_redoes() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
    p.set_coder("amara").unwrap();
    check(&mut p, "import", |p| {
        p.import_documents(vec![
            doc("P01_BL", "INTERVIEWER: How is it?\n\nP01: Sore knees, café days.", "P01", "BL"),
            doc("P01_6M", "INTERVIEWER: And now?\n\nP01: Better.", "P01", "6M"),
        ])
        .unwrap();
    });
    check(&mut p, "import of a wave between others", |p| {
        p.import_documents(vec![doc("P02_3M", "INTERVIEWER: Hi\n\nP02: Hello there", "P02", "3M")]).unwrap();
    });
    assert_eq!(p.waves().unwrap().iter().map(|w| w.name.as_str()).collect::<Vec<_>>(), ["BL", "3M", "6M"]);
    let docs = p.documents().unwrap();
    let d1 = docs[0].document.id.clone();
    let mut theme = String::new();
    check(&mut p, "create code", |p| {
        theme = p.create_code(NewCode { name: "Managing pain".into(), ..Default::default() }).unwrap();
    });
    let mut code = String::new();
    check(&mut p, "create child code", |p| {
        code = p
            .create_code(NewCode {
                name: "Pacing".into(),
                parent_id: Some(theme.clone()),
                color: Some("#112233".into()),
                description: CodeDescription { definition: "Spreading activity".into(), ..Default::default() },
                ..Default::default()
            })
            .unwrap();
    });
    check(&mut p, "rename and redefine code", |p| {
        p.update_code(
            &code,
            CodeChanges {
                name: Some("Pacing activity".into()),
                color: Some("#445566".into()),
                description: Some(CodeDescription { definition: "new".into(), ..Default::default() }),
                ..Default::default()
            },
        )
        .unwrap();
    });
    check(&mut p, "move code", |p| {
        p.update_code(&code, CodeChanges { parent_id: Some(None), ..Default::default() }).unwrap();
    });
    let mut coding = String::new();
    check(&mut p, "apply coding", |p| {
        coding = p
            .apply_coding(NewCoding {
                document_id: d1.clone(),
                start: 2,
                end: 9,
                code_id: code.clone(),
                coder: Some("ben".into()),
                memo: None,
                illustrative: false,
            })
            .unwrap()
            .id;
    });
    check(&mut p, "update coding", |p| {
        p.update_coding(
            &coding,
            CodingChanges {
                start: Some(1),
                end: Some(12),
                code_id: Some(theme.clone()),
                memo: Some(Some("note".into())),
                illustrative: Some(true),
            },
        )
        .unwrap();
    });
    check(&mut p, "apply many codings", |p| {
        let batch = (0..5)
            .map(|i| NewCoding {
                document_id: d1.clone(),
                start: i,
                end: i + 3,
                code_id: code.clone(),
                coder: None,
                memo: None,
                illustrative: false,
            })
            .collect();
        p.apply_codings(batch, "batch").unwrap();
    });
    check(&mut p, "create a code and apply it at once", |p| {
        let (new_code, new_coding) = p
            .apply_new_code(
                NewCode { name: "Sore knees".into(), parent_id: Some(theme.clone()), ..Default::default() },
                NewCoding {
                    document_id: d1.clone(),
                    start: 30,
                    end: 40,
                    code_id: String::new(),
                    coder: None,
                    memo: None,
                    illustrative: false,
                },
            )
            .unwrap();
        assert_eq!(p.coding(&new_coding).unwrap().code_id, new_code);
    });
    check(&mut p, "delete coding", |p| p.delete_coding(&coding).unwrap());
    check(&mut p, "set attribute", |p| p.set_attribute("P01", "age", AttributeKind::Number, Some("67")).unwrap());
    check(&mut p, "import attributes", |p| {
        p.import_attributes(&AttributeTable {
            source: "t.csv".into(),
            columns: vec![("age".into(), AttributeKind::Number), ("gender".into(), AttributeKind::Category)],
            rows: vec![
                ("P01".into(), vec![Some("68".into()), Some("female".into())]),
                ("P09".into(), vec![None, Some("male".into())]),
            ],
        })
        .unwrap();
    });
    check(&mut p, "clear attribute", |p| p.set_attribute("P01", "age", AttributeKind::Number, None).unwrap());
    let mut memo = String::new();
    check(&mut p, "add memo", |p| {
        memo = p.add_memo(MemoTarget::Code, Some(&code), "Boundary", "Use with care").unwrap()
    });
    check(&mut p, "edit memo", |p| p.update_memo(&memo, "Boundary", "Changed").unwrap());
    check(&mut p, "delete memo", |p| p.delete_memo(&memo).unwrap());
    check(&mut p, "save codebook version", |p| {
        p.save_codebook_version("v1", "first").unwrap();
    });
    check(&mut p, "import codes", |p| {
        p.import_codes("cb.json", vec![NewCode { name: "Hope".into(), ..Default::default() }]).unwrap();
    });
    check(&mut p, "set setting", |p| p.set_setting("filename_pattern", "(?P<participant>x)").unwrap());
    check(&mut p, "assign document", |p| p.assign_document(&d1, Some("P07"), Some("12M")).unwrap());
    check(&mut p, "order waves", |p| {
        let mut names: Vec<String> = p.waves().unwrap().into_iter().map(|w| w.name).collect();
        names.reverse();
        p.set_wave_order(&names).unwrap();
    });
    // Reshaping the tree: merge (with a duplicate span and a memo), split, move.
    let x = p.create_code(NewCode { name: "Worry".into(), ..Default::default() }).unwrap();
    let y = p.create_code(NewCode { name: "Anxiety".into(), ..Default::default() }).unwrap();
    let span = |code: &str, start, memo: Option<&str>| NewCoding {
        document_id: d1.clone(),
        start,
        end: start + 4,
        code_id: code.to_string(),
        coder: Some("ben".into()),
        memo: memo.map(str::to_string),
        illustrative: false,
    };
    p.apply_codings(vec![span(&x, 0, Some("mine")), span(&y, 0, Some("theirs")), span(&y, 5, None)], "seed").unwrap();
    p.add_memo(MemoTarget::Code, Some(&y), "", "about anxiety").unwrap();
    check(&mut p, "merge codes", |p| {
        let out = p.merge_codes(std::slice::from_ref(&y), &x).unwrap();
        assert_eq!((out.codings_moved, out.duplicates_joined, out.memos_kept), (1, 1, 1));
    });
    let xs: Vec<String> = p
        .codings(&super::queries::CodingFilter { code_id: Some(x.clone()), ..Default::default() })
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(xs.len(), 2);
    check(&mut p, "split code", |p| {
        let parts = vec![
            super::code_ops::SplitPart {
                name: "Worry about falls".into(),
                codings: vec![xs[0].clone()],
                ..Default::default()
            },
            super::code_ops::SplitPart {
                name: "Worry about money".into(),
                codings: vec![xs[1].clone()],
                ..Default::default()
            },
        ];
        assert_eq!(p.split_code(&x, parts, true).unwrap().len(), 2);
    });
    check(&mut p, "move code", |p| p.move_code(&code, Some(&theme), Some(0)).unwrap());
    check(&mut p, "import a REFI-QDA project", |p| {
        use crate::interop::*;
        let plan = ImportPlan {
            source: "t.qdpx".into(),
            coders: vec!["chris".into()],
            codes: vec![
                PlanCode { name: "Hope".into(), ..Default::default() },
                PlanCode {
                    guid: Some("0a1b2c3d-0000-4000-8000-000000000001".into()),
                    name: "Pacing".into(),
                    parent: Some(0),
                    color: Some("#aabbcc".into()),
                    ..Default::default()
                },
            ],
            attributes: vec![("site".into(), AttributeKind::Text)],
            participants: vec![PlanParticipant { label: "P20".into(), values: vec![(0, "Leeds".into())] }],
            documents: vec![PlanDocument {
                name: "P20_BL".into(),
                original_name: "P20_BL.txt".into(),
                text: "P20: I pace myself now.".into(),
                turns: crate::import::turns::detect_turns("P20: I pace myself now."),
                participant: Some("P20".into()),
                wave: Some("BL".into()),
                ..Default::default()
            }],
            codings: vec![PlanCoding {
                document: 0,
                start: 7,
                end: 11,
                code: 1,
                coder: Some("chris".into()),
                memo: Some("pacing".into()),
            }],
            memos: vec![PlanMemo { target: PlanTarget::Code(1), title: "t".into(), body: "b".into(), coder: None }],
            media: vec![],
            base_path: None,
        };
        let stored = p.store_qdpx(&plan).unwrap();
        assert_eq!(
            (stored.counts.documents, stored.counts.codes, stored.counts.codings, stored.counts.memos),
            (1, 2, 1, 1)
        );
    });
    p.add_memo(MemoTarget::Code, Some(&code), "", "x").unwrap();
    check(&mut p, "delete code with child codes, codings and memos", |p| {
        assert_eq!(p.delete_code(&theme).unwrap(), 6, "the child codes' codings go too");
    });
    check(&mut p, "delete document", |p| p.delete_document(&d1).unwrap());

    // The log records every operation, and undo/redo as markers.
    let h = p.history().unwrap();
    assert!(h.iter().any(|e| e.kind == "import_documents" && e.coder == "amara"));
    assert!(h.iter().filter(|e| e.kind == "undo").count() >= 20);
}

#[test]
fn redo_is_discarded_by_a_new_operation_and_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
    assert!(matches!(p.undo(), Err(crate::Error::NothingToUndo)));
    p.create_code(NewCode { name: "A".into(), ..Default::default() }).unwrap();
    p.undo().unwrap();
    p.create_code(NewCode { name: "B".into(), ..Default::default() }).unwrap();
    assert!(matches!(p.redo(), Err(crate::Error::NothingToRedo)));
    assert_eq!(p.codes().unwrap().len(), 1);
    let e = p.create_code(NewCode { name: "b".into(), ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("already exists"), "{e}");
    let before = snapshot(&p);
    let e = p
        .apply_coding(NewCoding {
            document_id: "nope".into(),
            start: 0,
            end: 1,
            code_id: "x".into(),
            coder: None,
            memo: None,
            illustrative: false,
        })
        .unwrap_err();
    assert!(e.to_string().contains("no document"), "{e}");
    assert_eq!(snapshot(&p), before, "a failed operation changes nothing");
    let turns: Vec<Turn> = vec![];
    let _ = turns;
}

#[test]
fn duplicates_are_recognised_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
    let out = p.import_documents(vec![doc("A", "same text", "P01", "BL"), doc("B", "same text", "P02", "BL")]).unwrap();
    assert!(matches!(out[1], super::ops::DocumentOutcome::Duplicate { .. }));
    let out = p.import_documents(vec![doc("C", "same text", "P03", "BL")]).unwrap();
    assert!(matches!(&out[0], super::ops::DocumentOutcome::Duplicate { existing_name, .. } if existing_name == "A"));
    assert_eq!(p.documents().unwrap().len(), 1);
    assert_eq!(p.history().unwrap().len(), 1, "a batch of only duplicates logs nothing");
}

#[test]
fn participants_and_documents_are_listed_in_natural_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.codeloom");
    let mut p = Project::create(&path).unwrap();
    let docs = ["P100", "P10", "P2", "P1"]
        .iter()
        .enumerate()
        .map(|(i, label)| doc(&format!("Interview {} {label}", 10 - i), &format!("text {i}"), label, "BL"));
    p.import_documents(docs.collect()).unwrap();
    p.import_documents(vec![doc("Interview 9", "x", "P2", "FU"), doc("Interview 10", "y", "P2", "FU")]).unwrap();
    for p in [p, Project::open_read_only(&path).unwrap()] {
        let labels: Vec<String> = p.participants().unwrap().into_iter().map(|x| x.label).collect();
        assert_eq!(labels, ["P1", "P2", "P10", "P100"]);
        let order: Vec<String> = p.documents().unwrap().into_iter().map(|d| d.document.name).collect();
        assert_eq!(order[..4], ["Interview 7 P1", "Interview 8 P2", "Interview 9", "Interview 10"]);
        assert_eq!(order[4..], ["Interview 9 P10", "Interview 10 P100"]);
    }
}

#[test]
fn assignments_and_adjudication_undo_and_redo() {
    use crate::agreement::project::{DocumentFilter, Selection, UnitKind};
    use crate::store::adjudication::{CONSENSUS_CODER, Decision, ItemRef};
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
    p.import_documents(vec![doc(
        "P01_BL",
        "INTERVIEWER: How is it?\n\nP01: Sore knees, most days, and worse in winter.",
        "P01",
        "BL",
    )])
    .unwrap();
    let d = p.documents().unwrap()[0].document.id.clone();
    let code = p.create_code(NewCode { name: "Pain".into(), ..Default::default() }).unwrap();
    let coding = |coder: &str, start, end| NewCoding {
        document_id: d.clone(),
        start,
        end,
        code_id: code.clone(),
        coder: Some(coder.into()),
        memo: None,
        illustrative: false,
    };
    p.apply_codings(
        vec![coding("amara", 30, 40), coding("ben", 35, 45), coding("amara", 50, 55), coding("ben", 50, 55)],
        "t",
    )
    .unwrap();
    check(&mut p, "assign coder", |p| assert_eq!(p.assign_coder("amara", std::slice::from_ref(&d)).unwrap(), 1));
    check(&mut p, "unassign coder", |p| assert_eq!(p.unassign_coder("amara", None).unwrap(), 1));
    let selection = Selection {
        coders: vec!["amara".into(), "ben".into()],
        documents: DocumentFilter::default(),
        codes: None,
        unit: UnitKind::Char,
    };
    let queue = p.adjudication_queue(&selection).unwrap();
    assert_eq!(queue.total(), 1, "one place differs: [30, 45)");
    let place = ItemRef::from(&queue.items[0].disagreement);
    assert_eq!((place.start, place.end), (30, 45));
    check(&mut p, "decide accept", |p| {
        p.decide(&selection, &place, Decision::Accept { coder: "ben".into() }, "ben has the whole clause").unwrap();
    });
    check(&mut p, "decide again (replace)", |p| {
        p.decide(&selection, &place, Decision::Intersection, "").unwrap();
    });
    let consensus = p
        .codings(&crate::store::queries::CodingFilter { coder: Some(CONSENSUS_CODER.into()), ..Default::default() })
        .unwrap();
    assert_eq!(consensus.iter().map(|c| (c.start, c.end)).collect::<Vec<_>>(), [(35, 40)]);
    check(&mut p, "adopt agreements", |p| assert_eq!(p.adopt_agreements(&selection).unwrap(), 1));
    let queue = p.adjudication_queue(&selection).unwrap();
    assert_eq!(queue.decided, 1, "the consensus layer is not one of the compared layers");
    let id = queue.items[0].decision.as_ref().unwrap().id.clone();
    check(&mut p, "clear decision", |p| p.clear_decision(&id).unwrap());
}

#[test]
fn accepting_and_rejecting_suggestions_undo_and_redo() {
    use super::suggestion_ops::SuggestedCoding;
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
    p.set_coder("amara").unwrap();
    p.import_documents(vec![doc("P01_BL", "INTERVIEWER: How is it?\n\nP01: Sore knees. Café days.", "P01", "BL")])
        .unwrap();
    let d = p.documents().unwrap()[0].document.id.clone();
    let code = p.create_code(NewCode { name: "Pain".into(), ..Default::default() }).unwrap();
    let suggested = |start, end, score| SuggestedCoding {
        document_id: d.clone(),
        code_id: code.clone(),
        start,
        end,
        model_version: "linear-1 @ log 3".into(),
        score,
    };
    let mut coding = String::new();
    check(&mut p, "accept suggestion", |p| {
        p.set_coder("ben").unwrap();
        coding = p.accept_suggestion(&suggested(30, 41, 0.875)).unwrap();
    });
    let c = p.coding(&coding).unwrap();
    assert_eq!((c.start, c.end, c.coder.as_str(), c.code_id.as_str()), (30, 41, "ben", code.as_str()));
    let prov = p.coding_provenance(&coding).unwrap().unwrap();
    assert_eq!(
        (prov.model_version.as_str(), prov.score, prov.accepted_by.as_str()),
        ("linear-1 @ log 3", 0.875, "ben")
    );
    assert!(prov.accepted_at_ms > 0);
    let before = snapshot(&p);
    let err = p.accept_suggestion(&suggested(30, 41, 0.875)).unwrap_err().to_string();
    assert!(err.contains("already coded"), "{err}");
    assert!(p.accept_suggestion(&suggested(30, 400, 0.5)).is_err());
    assert!(p.accept_suggestion(&suggested(30, 35, 1.5)).is_err());
    assert_eq!(snapshot(&p), before, "a refused suggestion leaves the project as it was");
    check(&mut p, "accept several suggestions", |p| {
        assert_eq!(p.accept_suggestions(&[suggested(27, 29, 0.6), suggested(42, 51, 1.0)]).unwrap().len(), 2);
    });
    check(&mut p, "reject suggestion", |p| {
        p.reject_suggestion(&suggested(0, 5, 0.25)).unwrap();
    });
    let rejections = p.suggestion_rejections().unwrap();
    assert_eq!(rejections.len(), 1);
    assert_eq!((rejections[0].start, rejections[0].end, rejections[0].score), (0, 5, 0.25));
    assert_eq!(rejections[0].coder, "ben");
    assert!(p.coding_provenance("no-such-coding").unwrap().is_none());
}

/// A turn read on its own has the same text as the turn cut from its document, whatever
/// the characters before it; a turn past the last is none.
#[test]
fn a_turn_is_read_with_its_text_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
    let text = "Interviewer: Café, naïve 😀 — how?\n\nP01: Ça va… 我喜欢 the 🌍 stairs.\n\nInterviewer: Done.\n";
    p.import_documents(vec![doc("P01_BL", text, "P01", "BL")]).unwrap();
    let id = p.resolve_document("P01_BL").unwrap();
    let turns = p.turns(&id).unwrap();
    assert_eq!(turns.len(), 3);
    for (i, t) in turns.iter().enumerate() {
        let (turn, got) = p.turn_with_text(&id, i).unwrap().expect("the turn");
        assert_eq!(&turn, t);
        assert_eq!(got, crate::model::offsets::slice_chars(text, t.start, t.end).unwrap(), "turn {i}");
    }
    assert_eq!(p.turn_with_text(&id, 3).unwrap(), None);
    assert_eq!(p.turn_with_text("no-such-document", 0).unwrap(), None);
}
