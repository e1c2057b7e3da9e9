//! The writes and reads that bring another project's work into this one: a coder's copy
//! made and merged back ([`crate::codebook::merge`] plans the merge and reports it), and a
//! separately built codebook reconciled ([`crate::codebook::reconcile`]).
//!
//! Each function here is one step inside an operation the caller runs with
//! [`Project::execute`]: it takes and returns plain data, and writes through the
//! operation's [`Writer`], so that the whole merge is one undoable operation. The planning
//! (what to take from which side) stays in the codebook; the SQL stays here.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::Project;
use super::changes::Writer;
use super::ops::{
    CodeRow, CodingRow, code_name, insert_code_row, insert_coding_row, int, next_code_position, opt, s, sibling_named,
};
use crate::error::{Error, Result};
use crate::model::{Code, CodeDescription, MemoTarget};

pub use super::memo_ops::{MemoRow, add_memo_row, delete_memos_about};
pub use super::ops::ensure_coder;

/// A codebook version as saved, with its code tree as the JSON it was saved as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedVersion {
    pub id: String,
    pub name: String,
    pub note: String,
    /// The saved code tree (JSON).
    pub snapshot: String,
    pub created_at_ms: i64,
    pub created_by: Option<String>,
}

impl Project {
    /// Writes a copy of this project to `staged` (which must not exist yet): with
    /// `only_coder`, every other coder's codings and memos are left out. The copy's
    /// operation log starts empty, so that undo in the copy never reaches back into the
    /// project's past and a blind copy keeps no others' codings in row images.
    pub fn write_copy(&self, staged: &Path, only_coder: Option<&str>) -> Result<()> {
        let target = staged.to_str().ok_or_else(|| Error::Project {
            path: staged.to_path_buf(),
            message: "the path is not valid UTF-8".into(),
        })?;
        self.conn().execute("VACUUM INTO ?1", [target]).map_err(|e| Error::Project {
            path: staged.to_path_buf(),
            message: format!("cannot write the copy: {e}"),
        })?;
        let mut conn = Connection::open(staged)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let tx = conn.transaction()?;
        if let Some(coder) = only_coder {
            tx.execute("DELETE FROM codings WHERE coder_id NOT IN (SELECT id FROM coders WHERE name = ?1)", [coder])?;
            tx.execute(
                "DELETE FROM memos WHERE coder_id IS NOT NULL AND coder_id NOT IN (SELECT id FROM coders WHERE name = ?1)",
                [coder],
            )?;
            // The copy's kept counts follow the codings it keeps.
            tx.execute_batch(
                "UPDATE documents SET coding_count = (SELECT count(*) FROM codings c WHERE c.document_id = documents.id);",
            )?;
            tx.execute_batch(super::schema::FILL_CODE_COUNTS)?;
        }
        tx.execute("DELETE FROM operations", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Records a value in the project's `meta` table (outside the operation log) and
    /// checkpoints the file, so that the value is in the file itself.
    pub fn set_meta_checkpointed(&self, key: &str, value: &str) -> Result<()> {
        self.set_meta(key, value)?;
        self.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// Every saved codebook version, as saved.
    pub fn saved_versions(&self) -> Result<Vec<SavedVersion>> {
        let mut stmt =
            self.conn().prepare("SELECT id, name, note, snapshot, created_at, created_by FROM codebook_versions")?;
        let rows = stmt.query_map([], |r| {
            Ok(SavedVersion {
                id: r.get(0)?,
                name: r.get(1)?,
                note: r.get(2)?,
                snapshot: r.get(3)?,
                created_at_ms: r.get(4)?,
                created_by: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Whether a code with this ID exists.
pub fn code_exists(w: &Writer, id: &str) -> Result<bool> {
    Ok(w.conn().query_row("SELECT 1 FROM codes WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some())
}

/// Whether `ancestor` is `id` or one of its ancestors; a cycle in the code tree is an error.
pub fn is_within(w: &Writer, id: &str, ancestor: &str) -> Result<bool> {
    super::code_ops::is_within(w.conn(), id, ancestor)
}

/// Whether a coding with this ID exists.
pub fn coding_exists(w: &Writer, id: &str) -> Result<bool> {
    Ok(w.conn().query_row("SELECT 1 FROM codings WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some())
}

/// Whether a codebook version with this ID exists.
pub fn version_exists(w: &Writer, id: &str) -> Result<bool> {
    Ok(w.conn().query_row("SELECT 1 FROM codebook_versions WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some())
}

/// Whether a participant with this ID exists.
pub fn participant_exists(w: &Writer, id: &str) -> Result<bool> {
    Ok(w.conn().query_row("SELECT 1 FROM participants WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some())
}

/// The first of `name`, `rename(2)`, `rename(3)`, ... that no code under `parent` (other
/// than `except`) is named (case aside). Gives up after 10 000 tries.
pub fn free_code_name(
    w: &Writer,
    name: &str,
    parent: Option<&str>,
    except: Option<&str>,
    rename: impl Fn(u32) -> String,
) -> Result<String> {
    let mut candidate = name.to_string();
    for i in 2..10_002 {
        if sibling_named(w.conn(), &candidate, parent, except)?.is_none() {
            return Ok(candidate);
        }
        candidate = rename(i);
    }
    Err(Error::Invalid(format!("no free name for the code \"{name}\"")))
}

/// Adds a code at the end of `parent`'s children; `id` keeps a known ID (a new one is
/// made when `None`). The name is taken as given (see [`free_code_name`]). Returns the ID.
pub fn add_code(
    w: &mut Writer,
    id: Option<&str>,
    code: &Code,
    name: &str,
    parent: Option<&str>,
    created_by: &str,
) -> Result<String> {
    let position = next_code_position(w.conn(), parent)?;
    insert_code_row(
        w,
        &CodeRow { id, name, parent, color: &code.color, description: &code.description, position, created_by },
    )
}

/// Sets a code's name and parent, and its colour and description when given; returns
/// whether anything changed.
pub fn update_code(
    w: &mut Writer,
    id: &str,
    name: &str,
    parent: Option<&str>,
    color: Option<&str>,
    description: Option<&CodeDescription>,
) -> Result<bool> {
    let mut cols = vec![("name", s(name)), ("parent_id", opt(parent))];
    if let Some(c) = color {
        cols.push(("color", s(c)));
    }
    if let Some(d) = description {
        cols.extend([
            ("definition", s(&d.definition)),
            ("inclusion", s(&d.inclusion)),
            ("exclusion", s(&d.exclusion)),
            ("example", s(&d.example)),
        ]);
    }
    let before = w.len();
    w.update("codes", id, &cols)?;
    Ok(w.len() > before)
}

/// The coding of `document_id` at `[start, end)` with `code_id` by the coder named
/// `coder`, if there is one.
pub fn coding_by_coder_name(
    w: &Writer,
    document_id: &str,
    start: usize,
    end: usize,
    code_id: &str,
    coder: &str,
) -> Result<Option<String>> {
    Ok(w.conn()
        .query_row(
            "SELECT c.id FROM codings c JOIN coders k ON k.id = c.coder_id WHERE c.document_id = ?1 AND c.start = ?2 AND c.\"end\" = ?3 AND c.code_id = ?4 AND k.name = ?5",
            rusqlite::params![document_id, start as i64, end as i64, code_id, coder],
            |r| r.get(0),
        )
        .optional()?)
}

/// Adds a coding as given (its range and code are not checked: the caller brings it from
/// a project where they held). Returns its ID.
pub fn add_coding(w: &mut Writer, row: &CodingRow<'_>) -> Result<String> {
    insert_coding_row(w, row)
}

/// Sets a coding's range, code, memo and illustrative flag.
pub fn update_coding(
    w: &mut Writer,
    id: &str,
    (start, end): (usize, usize),
    code_id: &str,
    memo: Option<&str>,
    illustrative: bool,
) -> Result<()> {
    w.update(
        "codings",
        id,
        &[
            ("start", int(start)),
            ("end", int(end)),
            ("code_id", s(code_id)),
            ("memo", opt(memo)),
            ("illustrative", int(illustrative as i64)),
        ],
    )
}

/// Removes one coding.
pub fn remove_coding(w: &mut Writer, id: &str) -> Result<()> {
    w.delete("codings", id)
}

/// The IDs of the codings of a code.
pub fn codings_of_code(w: &Writer, code_id: &str) -> Result<Vec<String>> {
    let mut stmt = w.conn().prepare("SELECT id FROM codings WHERE code_id = ?1")?;
    let rows = stmt.query_map([code_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Removes a code that has no codings left: its children move to its parent (when that
/// still exists; else to the top level) and the memos about it go with it. Returns its name.
pub fn remove_code_keeping_children(w: &mut Writer, id: &str, parent: Option<&str>) -> Result<String> {
    let grand = match parent {
        Some(p) if code_exists(w, p)? => Some(p.to_string()),
        _ => None,
    };
    let kids: Vec<String> = {
        let mut stmt = w.conn().prepare("SELECT id FROM codes WHERE parent_id = ?1")?;
        stmt.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    for k in kids {
        w.update("codes", k.as_str(), &[("parent_id", opt(grand.as_deref()))])?;
    }
    delete_memos_about(w, MemoTarget::Code, id)?;
    let name = code_name(w.conn(), id)?;
    w.delete("codes", id)?;
    Ok(name)
}

/// Adds a saved codebook version from another file unless one with its ID is here; a name
/// already used gets `rename(2)`, `rename(3)`, ... Returns the name it was added under.
pub fn add_saved_version(w: &mut Writer, v: &SavedVersion, rename: impl Fn(u32) -> String) -> Result<Option<String>> {
    if version_exists(w, &v.id)? {
        return Ok(None);
    }
    let taken = |w: &Writer, name: &str| -> Result<bool> {
        Ok(w.conn()
            .query_row("SELECT 1 FROM codebook_versions WHERE name = ?1", [name], |_| Ok(()))
            .optional()?
            .is_some())
    };
    let mut name = v.name.clone();
    let mut i = 1;
    while taken(w, &name)? {
        i += 1;
        if i > 10_001 {
            return Err(Error::Invalid(format!("no free name for the codebook version \"{}\"", v.name)));
        }
        name = rename(i);
    }
    w.insert(
        "codebook_versions",
        &[
            ("id", s(&v.id)),
            ("name", s(&name)),
            ("note", s(&v.note)),
            ("snapshot", s(&v.snapshot)),
            ("created_at", int(v.created_at_ms)),
            ("created_by", opt(v.created_by.as_deref())),
        ],
    )?;
    Ok(Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::log::Logged;
    use crate::store::ops::NewCode;
    use serde_json::json;

    fn logged<T>(value: T) -> Result<Logged<T>> {
        Ok(Logged { value, summary: "test".into(), payload: json!({}) })
    }

    #[test]
    fn a_taken_name_gets_the_first_free_variant_and_a_kept_id_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
        let pain = p.create_code(NewCode { name: "Pain".into(), ..Default::default() }).unwrap();
        p.create_code(NewCode { name: "pain (ben)".into(), ..Default::default() }).unwrap();
        let code = p.code(&pain).unwrap();
        let kept = "0190e6a0-0000-7000-8000-000000000001";
        let (name, id, renamed_self) = p
            .execute("t", |w, _| {
                let rename = |i: u32| if i == 2 { "Pain (ben)".to_string() } else { format!("Pain (ben {i})") };
                let name = free_code_name(w, "PAIN", None, None, rename)?;
                let id = add_code(w, Some(kept), &code, &name, None, "ben")?;
                // A code is never in its own way.
                let renamed_self = free_code_name(w, "Pain", None, Some(&pain), |_| "other".into())?;
                logged((name, id, renamed_self))
            })
            .unwrap();
        assert_eq!(name, "Pain (ben 3)");
        assert_eq!(id, kept);
        assert_eq!(renamed_self, "Pain");
        let added = p.code(kept).unwrap();
        assert_eq!((added.name.as_str(), added.color.as_str()), ("Pain (ben 3)", code.color.as_str()));
    }

    #[test]
    fn a_saved_version_is_added_once_under_a_free_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
        p.save_codebook_version("v1", "ours").unwrap();
        let theirs = SavedVersion {
            id: "0190e6a0-0000-7000-8000-0000000000aa".into(),
            name: "v1".into(),
            note: "theirs".into(),
            snapshot: "[]".into(),
            created_at_ms: 5,
            created_by: Some("ben".into()),
        };
        let rename = |i: u32| if i == 2 { "v1 (ben)".to_string() } else { format!("v1 (ben {i})") };
        let first = p.execute("t", |w, _| logged(add_saved_version(w, &theirs, rename)?)).unwrap();
        let again = p.execute("t", |w, _| logged(add_saved_version(w, &theirs, rename)?)).unwrap();
        assert_eq!(first.as_deref(), Some("v1 (ben)"));
        assert_eq!(again, None, "a version already here is not added twice");
        let saved = p.saved_versions().unwrap();
        assert_eq!(saved.len(), 2);
        assert!(saved.contains(&SavedVersion { name: "v1 (ben)".into(), ..theirs.clone() }));
    }

    #[test]
    fn a_code_removed_keeping_children_lifts_them_to_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
        let top = p.create_code(NewCode { name: "Body".into(), ..Default::default() }).unwrap();
        let mid =
            p.create_code(NewCode { name: "Pain".into(), parent_id: Some(top.clone()), ..Default::default() }).unwrap();
        let leaf = p
            .create_code(NewCode { name: "Knees".into(), parent_id: Some(mid.clone()), ..Default::default() })
            .unwrap();
        p.add_memo(MemoTarget::Code, Some(&mid), "why", "a memo about Pain").unwrap();
        let name = p.execute("t", |w, _| logged(remove_code_keeping_children(w, &mid, Some(&top))?)).unwrap();
        assert_eq!(name, "Pain");
        assert_eq!(p.code(&leaf).unwrap().parent_id.as_deref(), Some(top.as_str()));
        assert!(p.code(&mid).is_err());
        assert!(p.memos(None).unwrap().is_empty(), "the memos about the code go with it");
        let within = p.execute("t", |w, _| logged(is_within(w, &leaf, &top)?)).unwrap();
        assert!(within);
    }
}
