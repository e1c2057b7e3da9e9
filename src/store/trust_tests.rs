//! The project file keeps what it holds: identical codings stored once, old duplicates
//! removed by the migration (and that step not undoable), read-only opens that cannot
//! write, another writer waited for and named, changes by others noticed.

use super::Project;
use super::ops::{CodingChanges, NewCode, NewCoding};
use crate::error::Error;
use crate::model::ParsedDocument;
use std::path::Path;
use std::time::{Duration, Instant};

fn project_with_text(dir: &Path) -> (Project, String, String) {
    let mut p = Project::create(&dir.join("t.codeloom")).unwrap();
    p.set_coder("amara").unwrap();
    p.import_documents(vec![ParsedDocument {
        source: "a".into(),
        name: "A".into(),
        original_name: "a.txt".into(),
        format: "txt".into(),
        text: "Some days are good and some are not.".into(),
        turns: vec![],
        participant: None,
        wave: None,
        warnings: vec![],
    }])
    .unwrap();
    let doc = p.documents().unwrap()[0].document.id.clone();
    let code = p.create_code(NewCode { name: "Days".into(), ..Default::default() }).unwrap();
    (p, doc, code)
}

fn coding(doc: &str, code: &str, start: usize, end: usize) -> NewCoding {
    NewCoding {
        document_id: doc.into(),
        start,
        end,
        code_id: code.into(),
        coder: None,
        memo: None,
        illustrative: false,
    }
}

#[test]
fn an_identical_coding_is_a_no_op_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, doc, code) = project_with_text(dir.path());
    let first = p.apply_coding(coding(&doc, &code, 0, 9)).unwrap();
    assert!(!first.already_present && first.notice().is_none());
    let log = p.history().unwrap().len();
    let counter = p.change_counter().unwrap();
    for _ in 0..3 {
        let again = p.apply_coding(coding(&doc, &code, 0, 9)).unwrap();
        assert_eq!((again.id.as_str(), again.already_present), (first.id.as_str(), true));
        assert!(again.notice().is_some_and(|n| n.contains("already")));
    }
    assert_eq!(p.history().unwrap().len(), log, "a no-op is not logged");
    assert_eq!(p.change_counter().unwrap(), counter);
    assert_eq!(p.code_counts().unwrap()[&code].codings, 1);

    // Another coder's coding of the same span is a coding of its own.
    let other = p.apply_coding(NewCoding { coder: Some("ben".into()), ..coding(&doc, &code, 0, 9) }).unwrap();
    assert!(!other.already_present);

    // In bulk: identical ones (to stored codings or earlier in the list) are counted.
    let batch = vec![coding(&doc, &code, 0, 9), coding(&doc, &code, 10, 14), coding(&doc, &code, 10, 14)];
    let done = p.apply_codings(batch, "batch").unwrap();
    assert_eq!((done.ids.len(), done.already_present), (1, 2));
    assert!(p.history().unwrap().last().unwrap().summary.contains("2 already there"));
    let log = p.history().unwrap().len();
    let none = p.apply_codings(vec![coding(&doc, &code, 10, 14)], "again").unwrap();
    assert_eq!((none.ids.len(), none.already_present), (0, 1));
    assert_eq!(p.history().unwrap().len(), log, "a batch of only identical codings logs nothing");

    // Resizing a coding onto an identical one is refused, naming the other.
    let e = p
        .update_coding(&done.ids[0], CodingChanges { start: Some(0), end: Some(9), ..Default::default() })
        .unwrap_err()
        .to_string();
    assert!(e.contains(&first.id) && e.contains("already has this code"), "{e}");
    // A blank coder is refused rather than becoming the current one.
    let e = p.apply_coding(NewCoding { coder: Some("  ".into()), ..coding(&doc, &code, 1, 2) }).unwrap_err();
    assert!(e.to_string().contains("needs a name"), "{e}");
}

#[test]
fn the_migration_removes_old_identical_codings_keeping_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.codeloom");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat/v2.codeloom"), &path).unwrap();
    let (kept, copies) = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let (id, created): (String, i64) = conn
            .query_row("SELECT id, created_at FROM codings ORDER BY created_at LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        for (i, copy) in ["copy-1", "copy-2"].iter().enumerate() {
            conn.execute(
                "INSERT INTO codings (id, document_id, start, \"end\", code_id, coder_id, codebook_version_id, memo, illustrative, created_at)
                 SELECT ?1, document_id, start, \"end\", code_id, coder_id, codebook_version_id, memo, illustrative, ?2 FROM codings WHERE id = ?3",
                rusqlite::params![copy, created + 1 + i as i64, id],
            )
            .unwrap();
        }
        let n: i64 = conn.query_row("SELECT count(*) FROM codings", [], |r| r.get(0)).unwrap();
        (id, n)
    };
    let mut p = Project::open(&path).unwrap();
    assert_eq!(p.schema_version().unwrap(), super::schema::SCHEMA_VERSION);
    let ids: Vec<String> = p.codings(&Default::default()).unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids.len() as i64, copies - 2);
    assert!(ids.contains(&kept) && !ids.iter().any(|i| i.starts_with("copy-")), "{ids:?}");
    let last = p.history().unwrap().pop().unwrap();
    assert_eq!(last.kind, super::log::IDENTICAL_CODINGS_REMOVED);
    assert!(last.summary.contains("Remove 2 identical codings"), "{}", last.summary);
    let e = p.undo().unwrap_err().to_string();
    assert!(e.contains("cannot be undone"), "{e}");
    assert_eq!(p.codings(&Default::default()).unwrap().len() as i64, copies - 2);
}

#[test]
fn a_project_opened_read_only_refuses_changes_and_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _, _) = project_with_text(dir.path());
    let path = p.path().to_path_buf();
    drop(p);
    let before = std::fs::read(&path).unwrap();
    let mut r = Project::open_read_only(&path).unwrap();
    assert!(r.is_read_only());
    assert_eq!(r.documents().unwrap().len(), 1);
    let e = r.create_code(NewCode { name: "X".into(), ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("read-only") && e.contains("t.codeloom"), "{e}");
    assert!(r.undo().is_err());
    drop(r);
    assert!(std::fs::read(&path).unwrap() == before, "the file changed");
}

#[test]
fn a_writer_waits_for_another_then_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _, _) = project_with_text(dir.path());
    let path = p.path().to_path_buf();
    drop(p);
    let mut waiter = Project::open(&path).unwrap();
    waiter.set_busy_wait(Duration::from_millis(300));
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let e = waiter.create_code(NewCode { name: "Later".into(), ..Default::default() }).unwrap_err();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(250), "gave up after {waited:?}");
    match &e {
        Error::Busy { path: p, holder: who, .. } => {
            assert_eq!(p, &path);
            if cfg!(target_os = "linux") {
                assert!(who.contains(&format!("pid {}", std::process::id())), "{who}");
            }
        }
        other => panic!("expected Busy, got {other}"),
    }
    assert!(e.to_string().contains("busy"), "{e}");
    other.execute_batch("COMMIT").unwrap();

    // A write that ends within the wait is waited for.
    let (tx, rx) = std::sync::mpsc::channel();
    let holder_path = path.clone();
    let holder = std::thread::spawn(move || {
        let c = rusqlite::Connection::open(&holder_path).unwrap();
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        c.execute_batch("COMMIT").unwrap();
    });
    rx.recv().unwrap();
    waiter.set_busy_wait(Duration::from_secs(10));
    waiter.create_code(NewCode { name: "Later".into(), ..Default::default() }).unwrap();
    holder.join().unwrap();
}

#[test]
fn changes_by_another_connection_move_the_data_version() {
    let dir = tempfile::tempdir().unwrap();
    let (mut mine, _, _) = project_with_text(dir.path());
    let other_path = mine.path().to_path_buf();
    let version = mine.data_version().unwrap();
    mine.create_code(NewCode { name: "Own".into(), ..Default::default() }).unwrap();
    assert_eq!(mine.data_version().unwrap(), version, "own commits leave it alone");
    let counter = mine.change_counter().unwrap();
    let mut other = Project::open(&other_path).unwrap();
    other.create_code(NewCode { name: "Theirs".into(), ..Default::default() }).unwrap();
    assert_ne!(mine.data_version().unwrap(), version);
    assert_eq!(mine.change_counter().unwrap(), counter + 1);
}

#[test]
fn the_default_coder_refuses_a_blank_name() {
    for blank in ["", "   ", "\t"] {
        let e = super::default_coder(Some(blank)).unwrap_err().to_string();
        assert!(e.contains("needs a name"), "{e}");
    }
    assert_eq!(super::default_coder(Some("  amara ")).unwrap(), "amara");
    assert!(!super::default_coder(None).unwrap().trim().is_empty());
}

#[test]
fn a_new_project_carries_the_application_id_from_its_first_byte_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.codeloom");
    let p = Project::create(&path).unwrap();
    // While the window has it open, the header on disk already says whose it is.
    let head = std::fs::read(&path).unwrap();
    assert_eq!(&head[68..72], b"CLOM");
    let other = Project::open_read_only(&path).unwrap();
    assert_eq!(other.project_id().unwrap(), p.project_id().unwrap());
}

#[test]
fn small_files_are_checked_at_every_opening_large_ones_once_a_day() {
    use crate::store::open::{ALWAYS_CHECK_BYTES, damage_check_due};
    let day = 24 * 60 * 60 * 1000;
    let now = 100 * day;
    let big = ALWAYS_CHECK_BYTES + 1;
    assert!(damage_check_due(ALWAYS_CHECK_BYTES, Some(now), now), "small: always");
    assert!(damage_check_due(big, None, now), "never checked");
    assert!(!damage_check_due(big, Some(now - day + 1), now), "checked today");
    assert!(damage_check_due(big, Some(now - day - 1), now), "checked yesterday");
    assert!(damage_check_due(big, Some(now + day + 1), now), "a check in the future");
}

#[test]
fn a_large_projects_daily_check_and_backup_are_left_to_a_thread_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (p, doc, code) = project_with_text(dir.path());
    let path = p.path().to_path_buf();
    p.make_upkeep_due().unwrap();
    drop(p);
    let backups = || crate::store::backup::list(&path).unwrap().len();
    let before = backups();

    // Opening a file "larger" than the limit leaves both undone, and the project works at once.
    let (mut p, upkeep) = Project::open_leaving_upkeep_above(&path, 0).unwrap();
    assert_eq!((upkeep.check_damage, upkeep.backup, backups()), (true, true, before));
    p.apply_coding(coding(&doc, &code, 0, 4)).unwrap();
    // Done on a thread of its own while the opener goes on writing, then recorded.
    let done = std::thread::spawn(move || upkeep.run()).join().unwrap().unwrap();
    p.apply_coding(coding(&doc, &code, 5, 9)).unwrap();
    assert!(done.checked && done.backup.is_some(), "{done:?}");
    assert_eq!(backups(), before + 1);
    let copy = Project::open_read_only(&done.backup.as_ref().unwrap().path).unwrap();
    assert_eq!(copy.project_id().unwrap(), p.project_id().unwrap());
    p.record_upkeep(&done).unwrap();
    drop(p);
    // The backup is not due again today, whichever way it is opened (a file this small
    // is checked at every opening).
    let (_, upkeep) = Project::open_leaving_upkeep_above(&path, 0).unwrap();
    assert!(!upkeep.backup, "{upkeep:?}");
    Project::open(&path).unwrap();
    assert_eq!(backups(), before + 1);

    // A file under the limit is checked and backed up while it opens, as before.
    Project::open(&path).unwrap().make_upkeep_due().unwrap();
    let (_, upkeep) = Project::open_leaving_upkeep_above(&path, u64::MAX).unwrap();
    assert!(upkeep.is_none());
    assert_eq!(backups(), before + 2);

    // A damaged file: the upkeep says so, naming the file, and makes no backup.
    Project::open(&path).unwrap().make_upkeep_due().unwrap();
    let (p, upkeep) = Project::open_leaving_upkeep_above(&path, 0).unwrap();
    let page = 4096;
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 3 * page);
    drop(p);
    let mut damaged = bytes.clone();
    for b in &mut damaged[page..3 * page] {
        *b = 0x5a;
    }
    std::fs::write(&path, &damaged).unwrap();
    let e = upkeep.run().unwrap_err().to_string();
    assert!(e.contains(&path.display().to_string()), "{e}");
    assert_eq!(backups(), before + 2);
}

/// Deleting a row others may point to (a coder, a codebook version, a wave), as undoing
/// the operation that made it does, checks the rows that point to it: with their column
/// leading an index that is one lookup, without it a scan of the whole table.
#[test]
fn every_foreign_key_column_leads_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let p = Project::create(&dir.path().join("f.codeloom")).unwrap();
    let conn = p.conn();
    let names = |sql: &str, column: usize| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(column)).unwrap().map(|r| r.unwrap()).collect()
    };
    let mut checked = 0;
    let mut missing = Vec::new();
    for table in names("SELECT name FROM sqlite_master WHERE type = 'table'", 0) {
        let leading: std::collections::HashSet<String> = names(&format!("PRAGMA index_list('{table}')"), 1)
            .iter()
            .filter_map(|index| names(&format!("PRAGMA index_info('{index}')"), 2).into_iter().next())
            .collect();
        for column in names(&format!("PRAGMA foreign_key_list('{table}')"), 3) {
            checked += 1;
            if !leading.contains(&column) {
                missing.push(format!("{table}.{column}"));
            }
        }
    }
    assert!(checked >= 10, "{checked}");
    assert!(missing.is_empty(), "foreign keys without an index: {missing:?}");
}

#[test]
fn a_project_to_migrate_is_checked_and_backed_up_before_whatever_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.codeloom");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat/v5.codeloom"), &path).unwrap();
    let (p, upkeep) = Project::open_leaving_upkeep_above(&path, 0).unwrap();
    assert!(upkeep.is_none(), "{upkeep:?}");
    assert_eq!(p.opened_schema(), super::schema::SCHEMA_VERSION);
    assert_eq!(crate::store::backup::list(&path).unwrap().len(), 1);
}
