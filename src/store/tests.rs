//! Undo and redo of every operation: each must bring the project back exactly.

use super::Project;
use super::ops::{AttributeTable, CodeChanges, CodingChanges, NewCode, NewCoding};
use crate::import::ParsedDocument;
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
            .unwrap();
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
    p.add_memo(MemoTarget::Code, Some(&code), "", "x").unwrap();
    p.update_code(&code, CodeChanges { parent_id: Some(Some(theme.clone())), ..Default::default() }).unwrap();
    check(&mut p, "delete code with child codes, codings and memos", |p| {
        assert_eq!(p.delete_code(&theme).unwrap(), 5, "the child code's codings go too");
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
