//! What changed in a project since a point of its operation log, as the IDs of the
//! documents, codes, codings, memos and participants whose rows were written: the change
//! set that lets the window, the per-document counts and the search index update what an
//! operation changed instead of reloading everything.
//!
//! It is read from the operation log, so one's own operations, undo and redo (whose log
//! entries point at the operation they reverse), and operations another process made all
//! give their change set the same way. Reading it costs what the operations wrote: the log
//! entries after the point, and for rows an operation inserted (the log keeps no image of
//! a row while it is in its table) one indexed lookup per row.

use super::Project;
use super::changes::{Change, CodingPlaces, Row};
use crate::error::Result;
use rusqlite::params_from_iter;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// The things changed since a point of the operation log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// The newest log entry read: pass it to [`Project::changes_since`] next time.
    pub through_seq: i64,
    /// Documents whose own row or turns were written (imported, renamed, removed).
    pub documents: BTreeSet<String>,
    /// Documents whose codings were written.
    pub coded_documents: BTreeSet<String>,
    /// Codes whose own row was written (created, renamed, moved, recoloured, redefined, deleted).
    pub codes: BTreeSet<String>,
    /// Codes whose codings were written, or whose counts changed otherwise (a coded
    /// document moved to another participant).
    pub coded_codes: BTreeSet<String>,
    /// Codings written (applied, resized, recoded, starred, annotated, deleted).
    pub codings: BTreeSet<String>,
    /// Memos written.
    pub memos: BTreeSet<String>,
    /// Participants whose row or attribute values were written.
    pub participants: BTreeSet<String>,
    /// The other tables written: `coders`, `waves`, `attributes`, `codebook_versions`,
    /// `settings`, `assignments`, `adjudications`.
    pub tables: BTreeSet<String>,
}

impl ChangeSet {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
            && self.coded_documents.is_empty()
            && self.codes.is_empty()
            && self.coded_codes.is_empty()
            && self.codings.is_empty()
            && self.memos.is_empty()
            && self.participants.is_empty()
            && self.tables.is_empty()
    }

    /// Whether a table outside the named sets was written.
    pub fn touches(&self, table: &str) -> bool {
        self.tables.contains(table)
    }

    /// Every document whose text, turns or codings changed.
    pub fn all_documents(&self) -> BTreeSet<String> {
        self.documents.union(&self.coded_documents).cloned().collect()
    }
}

/// A row's ID and two of its columns.
type IdAndColumns = (String, Option<String>, Option<String>);

/// Rows inserted by operations still applied: their images are not in the log.
#[derive(Default)]
struct Pending {
    codings: CodingPlaces,
    turns: Vec<i64>,
    attribute_values: Vec<String>,
    memos: Vec<String>,
}

impl Project {
    /// The newest entry of the operation log (0 for a new project).
    pub fn log_position(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT COALESCE(MAX(seq), 0) FROM operations", [], |r| r.get(0))?)
    }

    /// What the operations logged after `seq` changed (including undo and redo, which
    /// change what their target operation changed).
    pub fn changes_since(&self, seq: i64) -> Result<ChangeSet> {
        let mut set = ChangeSet { through_seq: seq, ..Default::default() };
        let mut pending = Pending::default();
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT seq, state, changes, target_seq FROM operations WHERE seq > ?1 ORDER BY seq")?;
        let entries: Vec<(i64, String, String, Option<i64>)> = stmt
            .query_map([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut target_changes = self.conn().prepare_cached("SELECT changes FROM operations WHERE seq = ?1")?;
        for (entry_seq, state, changes, target) in entries {
            set.through_seq = set.through_seq.max(entry_seq);
            let raw = match (state.as_str(), target) {
                ("marker", Some(t)) => target_changes.query_row([t], |r| r.get::<_, String>(0))?,
                _ => changes,
            };
            let list: Vec<Change> = serde_json::from_str(&raw)?;
            for change in &list {
                note(&mut set, &mut pending, change);
            }
        }
        self.resolve_pending(&mut set, &mut pending)?;
        Ok(set)
    }

    /// Looks up the rows inserted by operations that are still applied.
    fn resolve_pending(&self, set: &mut ChangeSet, pending: &mut Pending) -> Result<()> {
        let codings = pending.codings.unresolved().to_vec();
        for (id, document, code) in self.rows_by_id("codings", &["document_id", "code_id"], &codings)? {
            pending.codings.resolve(&id, document.clone(), code.clone());
            set.codings.insert(id);
            set.coded_documents.extend(document);
            set.coded_codes.extend(code);
        }
        let turns: Vec<String> = pending.turns.iter().map(|t| t.to_string()).collect();
        for (_, document, _) in self.rows_by_id("turns", &["document_id", "document_id"], &turns)? {
            set.documents.extend(document);
        }
        let values = &pending.attribute_values;
        for (_, participant, _) in self.rows_by_id("attribute_values", &["participant_id", "participant_id"], values)? {
            set.participants.extend(participant);
        }
        for (id, kind, target) in self.rows_by_id("memos", &["target_kind", "target_id"], &pending.memos)? {
            set.memos.insert(id);
            if kind.as_deref() == Some("code") {
                // A code's memos count as part of the code in the window.
                set.codes.extend(target);
            }
        }
        Ok(())
    }

    /// `(id, first column, second column)` of the rows with these IDs that still exist,
    /// looked up in batches.
    fn rows_by_id(&self, table: &str, columns: &[&str; 2], ids: &[String]) -> Result<Vec<IdAndColumns>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql =
                format!("SELECT CAST(id AS TEXT), {}, {} FROM {table} WHERE id IN ({marks})", columns[0], columns[1]);
            let mut stmt = self.conn().prepare(&sql)?;
            let keys: Vec<rusqlite::types::Value> = chunk
                .iter()
                .map(|id| match (table, id.parse::<i64>()) {
                    ("turns", Ok(n)) => rusqlite::types::Value::Integer(n),
                    _ => rusqlite::types::Value::Text(id.clone()),
                })
                .collect();
            let rows = stmt.query_map(params_from_iter(keys), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }
}

fn text(row: &Row, column: &str) -> Option<String> {
    row.get(column).and_then(Json::as_str).map(str::to_string)
}

fn key_text(key: &Json) -> String {
    match key {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Records one logged write in the set; inserts without an image wait in `pending`.
fn note(set: &mut ChangeSet, pending: &mut Pending, change: &Change) {
    let (table, key, images): (&str, &Json, Vec<&Row>) = match change {
        Change::Insert { table, key, row } => (table, key, row.iter().collect()),
        Change::Update { table, key, before, after } => (table, key, vec![before, after]),
        Change::Delete { table, key, row } => (table, key, vec![row]),
    };
    let id = key_text(key);
    let from_images = |column: &str| -> BTreeSet<String> { images.iter().filter_map(|r| text(r, column)).collect() };
    match table {
        // A document whose only change is its kept count of codings changed its codings,
        // not its text or turns.
        "documents" if matches!(change, Change::Update { after, .. } if after.keys().all(|k| k == "coding_count")) => {
            set.coded_documents.insert(id);
        }
        "documents" => {
            set.documents.insert(id);
        }
        "turns" => {
            let docs = from_images("document_id");
            if docs.is_empty() {
                pending.turns.push(key.as_i64().unwrap_or_default());
            }
            set.documents.extend(docs);
        }
        "codings" => {
            if let Some((id, codes, document)) = pending.codings.note(change) {
                set.codings.insert(id);
                set.coded_documents.extend(document);
                set.coded_codes.extend(codes);
            }
        }
        // A code's kept totals change with its codings, and when a coded document moves
        // to another participant.
        "code_totals" => {
            set.coded_codes.insert(id);
        }
        "codes" => {
            set.codes.insert(id);
            set.codes.extend(from_images("parent_id"));
        }
        "memos" => {
            set.memos.insert(id.clone());
            let targets: BTreeMap<String, String> =
                images.iter().filter_map(|r| Some((text(r, "target_id")?, text(r, "target_kind")?))).collect();
            if targets.is_empty() {
                pending.memos.push(id);
            }
            set.codes.extend(targets.into_iter().filter(|(_, kind)| kind == "code").map(|(t, _)| t));
        }
        "participants" => {
            set.participants.insert(id);
        }
        "attribute_values" => {
            let people = from_images("participant_id");
            if people.is_empty() {
                pending.attribute_values.push(id);
            }
            set.participants.extend(people);
        }
        other => {
            set.tables.insert(other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ops::{CodeChanges, CodingChanges, NewCode, NewCoding};

    fn project() -> (tempfile::TempDir, Project, String) {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.codeloom")).unwrap();
        let parsed = crate::model::ParsedDocument {
            source: "P01_BL.txt".into(),
            original_name: "P01_BL.txt".into(),
            name: "P01_BL".into(),
            format: "txt".into(),
            text: "Interviewer: How are you?\nP01: Tired, mostly. I sleep badly.".into(),
            turns: crate::import::turns::detect_turns("Interviewer: How are you?\nP01: Tired, mostly. I sleep badly."),
            participant: Some("P01".into()),
            wave: Some("BL".into()),
            warnings: vec![],
        };
        let doc = match p.import_documents(vec![parsed]).unwrap().remove(0) {
            crate::store::ops::DocumentOutcome::Imported { id, .. } => id,
            other => panic!("not imported: {other:?}"),
        };
        (dir, p, doc)
    }

    #[test]
    fn each_kind_of_operation_names_what_it_wrote() {
        let (_dir, mut p, doc) = project();
        let start = p.log_position().unwrap();
        let theme = p.create_code(NewCode { name: "Sleep".into(), ..Default::default() }).unwrap();
        let code = p
            .create_code(NewCode { name: "Poor sleep".into(), parent_id: Some(theme.clone()), ..Default::default() })
            .unwrap();
        let after_codes = p.changes_since(start).unwrap();
        assert_eq!(after_codes.codes, [theme.clone(), code.clone()].into_iter().collect());
        assert!(after_codes.codings.is_empty() && after_codes.documents.is_empty());

        let seq = after_codes.through_seq;
        let coding = p
            .apply_coding(NewCoding {
                document_id: doc.clone(),
                start: 31,
                end: 45,
                code_id: code.clone(),
                coder: None,
                memo: None,
                illustrative: false,
            })
            .unwrap()
            .id;
        let applied = p.changes_since(seq).unwrap();
        assert_eq!(applied.codings, [coding.clone()].into_iter().collect());
        assert_eq!(applied.coded_documents, [doc.clone()].into_iter().collect());
        assert_eq!(applied.coded_codes, [code.clone()].into_iter().collect());
        assert!(applied.codes.is_empty(), "applying a coding does not change the code's row");

        // Recoding names both the old and the new code; undo and redo name the same things.
        let seq = applied.through_seq;
        p.update_coding(&coding, CodingChanges { code_id: Some(theme.clone()), ..Default::default() }).unwrap();
        let recoded = p.changes_since(seq).unwrap();
        assert_eq!(recoded.coded_codes, [theme.clone(), code.clone()].into_iter().collect());
        let seq = recoded.through_seq;
        p.undo().unwrap();
        let undone = p.changes_since(seq).unwrap();
        assert_eq!(
            (undone.codings.clone(), undone.coded_codes.clone()),
            (recoded.codings.clone(), recoded.coded_codes)
        );
        p.undo().unwrap();
        let removed = p.changes_since(undone.through_seq).unwrap();
        assert_eq!(removed.coded_documents, [doc.clone()].into_iter().collect(), "undoing an insert");

        // Renaming a code changes the code only.
        let seq = removed.through_seq;
        p.update_code(&code, CodeChanges { name: Some("Broken sleep".into()), ..Default::default() }).unwrap();
        let renamed = p.changes_since(seq).unwrap();
        assert_eq!(renamed.codes, [code.clone()].into_iter().collect());
        assert!(renamed.coded_codes.is_empty() && renamed.documents.is_empty());
        assert!(p.changes_since(renamed.through_seq).unwrap().is_empty(), "nothing after the newest entry");
    }

    #[test]
    fn an_import_names_its_documents_and_another_connection_sees_the_same() {
        let (dir, p, doc) = project();
        let everything = p.changes_since(0).unwrap();
        assert!(everything.documents.contains(&doc));
        assert!(everything.participants.len() == 1 && everything.touches("waves"));
        // A second connection (another process) reads the same change set from the log.
        let other = Project::open(&dir.path().join("p.codeloom")).unwrap();
        assert_eq!(other.changes_since(0).unwrap(), everything);
    }
}
