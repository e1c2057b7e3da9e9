//! The operations that change a project's documents, waves, settings, codes and codings,
//! and the row writers the other operation files share (one way to write a code, a
//! coding, a coder; the SQL value helpers). Each public method here is one operation: one
//! transaction, one log entry, undoable and redoable. Attributes ([`super::attribute_ops`]),
//! memos ([`super::memo_ops`]), codebook versions ([`super::versions`]), merging and
//! splitting codes ([`super::code_ops`]) and adjudication ([`super::adjudication`]) have
//! their own files.

use super::changes::Writer;
use super::log::Logged;
use super::{Project, new_id, now_ms};
use crate::error::{Error, Result};
use crate::model::ParsedDocument;
use crate::model::{self, CodeDescription, MemoTarget, wave::wave_sort_key};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

pub use super::attribute_ops::AttributeTable;
pub(crate) use super::attribute_ops::{attribute_value_id, set_attribute_value};
pub use super::memo_ops::delete_memos_about;
pub use super::rows::ensure_coder;
pub(crate) use super::rows::{document_info, ensure_participant, int, opt, s};

/// SHA-256 of a document's stored text, in hex: how a document is recognised.
pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A code to create.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewCode {
    /// Keep an existing UUID (from a codebook file); a new one is made when `None`.
    pub id: Option<String>,
    pub name: String,
    pub parent_id: Option<String>,
    pub color: Option<String>,
    pub description: CodeDescription,
}

/// Changes to a code; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CodeChanges {
    pub name: Option<String>,
    /// `Some(None)` moves the code to the top level.
    pub parent_id: Option<Option<String>>,
    pub color: Option<String>,
    pub description: Option<CodeDescription>,
}

/// A coding to apply.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewCoding {
    pub document_id: String,
    pub start: usize,
    pub end: usize,
    pub code_id: String,
    /// The coder; the project's current coder when `None`.
    pub coder: Option<String>,
    pub memo: Option<String>,
    pub illustrative: bool,
}

/// Changes to a coding; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CodingChanges {
    pub start: Option<usize>,
    pub end: Option<usize>,
    pub code_id: Option<String>,
    /// `Some(None)` removes the memo.
    pub memo: Option<Option<String>>,
    pub illustrative: Option<bool>,
}

/// What happened to one document handed to [`Project::import_documents`].
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DocumentOutcome {
    Imported {
        id: String,
        name: String,
        participant: Option<String>,
        wave: Option<String>,
    },
    /// The same text is already in the project (or earlier in the same batch).
    Duplicate {
        name: String,
        existing_id: String,
        existing_name: String,
    },
}

/// Finds or creates a wave, placing a new one in time order among the existing waves.
pub(crate) fn ensure_wave(w: &mut Writer, name: &str) -> Result<String> {
    let conn = w.conn();
    let found: Option<String> =
        conn.query_row("SELECT id FROM waves WHERE name = ?1", [name], |r| r.get(0)).optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    let existing: Vec<(String, String, i64)> = {
        let mut stmt = conn.prepare("SELECT id, name, position FROM waves ORDER BY position")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?
    };
    let key = wave_sort_key(name);
    let at = existing.iter().position(|(_, n, _)| wave_sort_key(n) > key).unwrap_or(existing.len());
    for (i, (id, _, pos)) in existing.iter().enumerate().skip(at).rev() {
        if *pos != i as i64 + 1 {
            w.update("waves", id.as_str(), &[("position", int(i as i64 + 1))])?;
        }
    }
    let id = new_id();
    w.insert("waves", &[("id", s(&id)), ("name", s(name)), ("position", int(at as i64))])?;
    Ok(id)
}

pub(crate) fn current_version(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT id FROM codebook_versions ORDER BY created_at DESC, rowid DESC LIMIT 1", [], |r| r.get(0))
        .optional()?)
}

/// The code other than `except` named `name` (case aside) under `parent`, if any.
pub(crate) fn sibling_named(
    conn: &Connection,
    name: &str,
    parent: Option<&str>,
    except: Option<&str>,
) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT id FROM codes WHERE lower(name) = lower(?1) AND parent_id IS ?2 AND id IS NOT ?3",
            rusqlite::params![name, parent, except],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn check_sibling_name(
    conn: &Connection,
    name: &str,
    parent: Option<&str>,
    except: Option<&str>,
) -> Result<()> {
    let clash = sibling_named(conn, name, parent, except)?;
    if clash.is_some() {
        let place = match parent {
            Some(p) => {
                let pname: String = conn.query_row("SELECT name FROM codes WHERE id = ?1", [p], |r| r.get(0))?;
                format!("under \"{pname}\"")
            }
            None => "at the top level".to_string(),
        };
        return Err(Error::Invalid(format!("a code named \"{name}\" already exists {place}")));
    }
    Ok(())
}

/// The position after the last child of `parent`.
pub(crate) fn next_code_position(conn: &Connection, parent: Option<&str>) -> Result<i64> {
    Ok(conn
        .query_row("SELECT coalesce(max(position) + 1, 0) FROM codes WHERE parent_id IS ?1", [parent], |r| r.get(0))?)
}

pub(crate) fn code_name(conn: &Connection, id: &str) -> Result<String> {
    conn.query_row("SELECT name FROM codes WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound { kind: "code", query: id.to_string() })
}

pub(crate) fn insert_code(w: &mut Writer, coder: &str, code: &NewCode) -> Result<String> {
    let name = code.name.trim();
    if name.is_empty() {
        return Err(Error::Invalid("a code needs a name".into()));
    }
    if let Some(p) = &code.parent_id {
        code_name(w.conn(), p)?;
    }
    check_sibling_name(w.conn(), name, code.parent_id.as_deref(), None)?;
    let id = code.id.clone().unwrap_or_else(new_id);
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(Error::Invalid(format!("\"{id}\" is not a UUID")));
    }
    let taken: Option<String> =
        w.conn().query_row("SELECT name FROM codes WHERE id = ?1", [&id], |r| r.get(0)).optional()?;
    if let Some(other) = taken {
        return Err(Error::Invalid(format!("the code ID {id} is already used by \"{other}\"")));
    }
    let count: i64 = w.conn().query_row("SELECT count(*) FROM codes", [], |r| r.get(0))?;
    let color = match &code.color {
        Some(c) => {
            model::normalise_color(c).ok_or_else(|| Error::Invalid(format!("\"{c}\" is not a colour like #e6a23c")))?
        }
        None => model::default_color(count as usize),
    };
    let position = next_code_position(w.conn(), code.parent_id.as_deref())?;
    insert_code_row(
        w,
        &CodeRow {
            id: Some(&id),
            name,
            parent: code.parent_id.as_deref(),
            color: &color,
            description: &code.description,
            position,
            created_by: coder,
        },
    )
}

/// A row of the codes table to write.
#[derive(Debug, Clone, Copy)]
pub struct CodeRow<'a> {
    /// A known ID to keep; a new one ([`new_id`]) when `None`.
    pub id: Option<&'a str>,
    pub name: &'a str,
    pub parent: Option<&'a str>,
    pub color: &'a str,
    pub description: &'a CodeDescription,
    pub position: i64,
    pub created_by: &'a str,
}

/// The one way a code row is written (checks are the caller's); returns the code's ID.
pub(crate) fn insert_code_row(w: &mut Writer, row: &CodeRow<'_>) -> Result<String> {
    let id = row.id.map_or_else(new_id, str::to_string);
    let d = row.description;
    w.insert(
        "codes",
        &[
            ("id", s(&id)),
            ("name", s(row.name)),
            ("parent_id", opt(row.parent)),
            ("color", s(row.color)),
            ("definition", s(&d.definition)),
            ("inclusion", s(&d.inclusion)),
            ("exclusion", s(&d.exclusion)),
            ("example", s(&d.example)),
            ("position", int(row.position)),
            ("created_at", int(now_ms())),
            ("created_by", s(row.created_by)),
        ],
    )?;
    Ok(id)
}

/// A row of the codings table to write.
#[derive(Debug, Clone, Copy)]
pub struct CodingRow<'a> {
    /// A known ID to keep; a new one ([`new_id`]) when `None`.
    pub id: Option<&'a str>,
    pub document_id: &'a str,
    pub start: usize,
    pub end: usize,
    pub code_id: &'a str,
    pub coder_id: &'a str,
    pub codebook_version_id: Option<&'a str>,
    pub memo: Option<&'a str>,
    pub illustrative: bool,
    pub created_at_ms: i64,
}

/// The one way a coding row is written (checks are the caller's); returns the coding's ID.
pub(crate) fn insert_coding_row(w: &mut Writer, row: &CodingRow<'_>) -> Result<String> {
    let id = row.id.map_or_else(new_id, str::to_string);
    w.insert(
        "codings",
        &[
            ("id", s(&id)),
            ("document_id", s(row.document_id)),
            ("start", int(row.start)),
            ("end", int(row.end)),
            ("code_id", s(row.code_id)),
            ("coder_id", s(row.coder_id)),
            ("codebook_version_id", opt(row.codebook_version_id)),
            ("memo", opt(row.memo)),
            ("illustrative", int(row.illustrative as i64)),
            ("created_at", int(row.created_at_ms)),
        ],
    )?;
    Ok(id)
}

/// The coding identical to `c` (same document, range, code and coder), if there is one.
pub(crate) fn identical_coding(
    conn: &Connection,
    document_id: &str,
    start: usize,
    end: usize,
    code_id: &str,
    coder_id: &str,
) -> Result<Option<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM codings WHERE document_id = ?1 AND start = ?2 AND \"end\" = ?3 AND code_id = ?4 AND coder_id = ?5",
    )?;
    Ok(stmt
        .query_row(rusqlite::params![document_id, start as i64, end as i64, code_id, coder_id], |r| r.get(0))
        .optional()?)
}

/// What storing one coding did.
enum Stored {
    New(String),
    /// An identical coding was there already; nothing was written.
    Identical(String),
}

fn insert_coding(w: &mut Writer, default_coder: &str, version: Option<&str>, c: &NewCoding) -> Result<Stored> {
    let (_, len) = document_info(w.conn(), &c.document_id)?;
    model::check_range(c.start, c.end, len).map_err(Error::Invalid)?;
    code_name(w.conn(), &c.code_id)?;
    let coder = match c.coder.as_deref() {
        Some(name) if name.trim().is_empty() => {
            return Err(Error::Invalid("a coding's coder needs a name (leave it out to use the current coder)".into()));
        }
        Some(name) => name.trim(),
        None => default_coder,
    };
    let coder_id = ensure_coder(w, coder)?;
    if let Some(existing) = identical_coding(w.conn(), &c.document_id, c.start, c.end, &c.code_id, &coder_id)? {
        return Ok(Stored::Identical(existing));
    }
    let id = insert_coding_row(
        w,
        &CodingRow {
            id: None,
            document_id: &c.document_id,
            start: c.start,
            end: c.end,
            code_id: &c.code_id,
            coder_id: &coder_id,
            codebook_version_id: version,
            memo: c.memo.as_deref(),
            illustrative: c.illustrative,
            created_at_ms: now_ms(),
        },
    )?;
    Ok(Stored::New(id))
}

/// Removes every coding identical to an older one (same document, range, code and
/// coder), keeping the oldest of each group, as one logged operation inside `tx` (the
/// migration to schema 3). Returns how many were removed.
pub(crate) fn remove_identical_codings(tx: &rusqlite::Transaction, coder: &str) -> Result<usize> {
    let extra: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY document_id, start, \"end\", code_id, coder_id ORDER BY created_at, rowid) AS n FROM codings) WHERE n > 1 ORDER BY id",
        )?;
        stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    if extra.is_empty() {
        return Ok(0);
    }
    let mut w = Writer::new(tx);
    for id in &extra {
        w.delete("codings", id.as_str())?;
    }
    let summary = format!(
        "Remove {} identical codings (the same document, range, code and coder as an older one, which was kept) while bringing the project up to date",
        extra.len()
    );
    let changes = w.into_changes();
    super::log::record(
        tx,
        super::log::IDENTICAL_CODINGS_REMOVED,
        &summary,
        &json!({"removed": extra}),
        &changes,
        coder,
    )?;
    Ok(extra.len())
}

pub(crate) fn delete_codings_where(w: &mut Writer, column: &str, value: &str) -> Result<usize> {
    let ids: Vec<String> = {
        let mut stmt = w.conn().prepare(&format!("SELECT id FROM codings WHERE {column} = ?1"))?;
        stmt.query_map([value], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    for id in &ids {
        w.delete("codings", id.as_str())?;
    }
    Ok(ids.len())
}

/// A new document to store: its text, turns, and where it came from.
pub(crate) struct StoredDocument<'a> {
    pub name: &'a str,
    pub original_name: &'a str,
    pub format: &'a str,
    /// [`content_hash`] of `text`.
    pub hash: &'a str,
    pub text: &'a str,
    pub turns: &'a [model::Turn],
    pub participant: Option<&'a str>,
    pub wave: Option<&'a str>,
}

/// Inserts a document and its turns (creating its participant and wave if new) and
/// returns its new ID. Turns outside the text are refused.
pub(crate) fn insert_document(w: &mut Writer, coder: &str, doc: &StoredDocument) -> Result<String> {
    let participant_id = doc.participant.map(|p| ensure_participant(w, p)).transpose()?;
    let wave_id = doc.wave.map(|v| ensure_wave(w, v)).transpose()?;
    let id = new_id();
    let char_count = doc.text.chars().count();
    let mut speakers: Vec<&str> = Vec::new();
    for t in doc.turns {
        if let Some(sp) = t.speaker.as_deref()
            && !speakers.contains(&sp)
        {
            speakers.push(sp);
        }
    }
    w.insert(
        "documents",
        &[
            ("id", s(&id)),
            ("turn_count", int(doc.turns.len())),
            ("speakers", s(&serde_json::to_string(&speakers)?)),
            ("coding_count", int(0)),
            ("name", s(doc.name)),
            ("original_name", s(doc.original_name)),
            ("format", s(doc.format)),
            ("content_hash", s(doc.hash)),
            ("text", s(doc.text)),
            ("char_count", int(char_count)),
            ("participant_id", opt(participant_id.as_deref())),
            ("wave_id", opt(wave_id.as_deref())),
            ("revision", int(1)),
            ("imported_at", int(now_ms())),
            ("imported_by", s(coder)),
        ],
    )?;
    for (i, t) in doc.turns.iter().enumerate() {
        if t.start > t.end || t.end > char_count {
            return Err(Error::Invalid(format!(
                "{}: turn {} lies outside the text; this is a bug in the importer",
                doc.original_name,
                i + 1
            )));
        }
        w.insert_auto(
            "turns",
            &[
                ("document_id", s(&id)),
                ("ordinal", int(i)),
                ("speaker", opt(t.speaker.as_deref())),
                ("start", int(t.start)),
                ("end", int(t.end)),
                ("time_start_ms", t.time_start_ms.map(int).unwrap_or(Value::Null)),
                ("time_end_ms", t.time_end_ms.map(int).unwrap_or(Value::Null)),
            ],
        )?;
    }
    Ok(id)
}

impl Project {
    /// Stores parsed documents in one operation. A document whose text is already in
    /// the project is reported as a duplicate and not stored again.
    pub fn import_documents(&mut self, docs: Vec<ParsedDocument>) -> Result<Vec<DocumentOutcome>> {
        self.import_document_stream(&mut docs.into_iter())
    }

    /// [`Project::import_documents`] for documents that are still being read: each is
    /// stored as `docs` yields it and then dropped, all in one operation.
    pub fn import_document_stream(
        &mut self,
        docs: &mut dyn Iterator<Item = ParsedDocument>,
    ) -> Result<Vec<DocumentOutcome>> {
        self.execute("import_documents", |w, coder| {
            let mut outcomes = Vec::new();
            for doc in docs {
                let doc = &doc;
                let hash = content_hash(&doc.text);
                let existing: Option<(String, String)> = w
                    .conn()
                    .query_row("SELECT id, name FROM documents WHERE content_hash = ?1", [&hash], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                if let Some((existing_id, existing_name)) = existing {
                    outcomes.push(DocumentOutcome::Duplicate { name: doc.name.clone(), existing_id, existing_name });
                    continue;
                }
                let id = insert_document(
                    w,
                    coder,
                    &StoredDocument {
                        name: &doc.name,
                        original_name: &doc.original_name,
                        format: &doc.format,
                        hash: &hash,
                        text: &doc.text,
                        turns: &doc.turns,
                        participant: doc.participant.as_deref(),
                        wave: doc.wave.as_deref(),
                    },
                )?;
                outcomes.push(DocumentOutcome::Imported {
                    id,
                    name: doc.name.clone(),
                    participant: doc.participant.clone(),
                    wave: doc.wave.clone(),
                });
            }
            let imported: Vec<_> = outcomes
                .iter()
                .filter_map(|o| match o {
                    DocumentOutcome::Imported { id, name, .. } => Some(json!({"id": id, "name": name})),
                    _ => None,
                })
                .collect();
            let summary = match imported.len() {
                1 => format!("Import document {}", imported[0]["name"].as_str().unwrap_or("")),
                n => format!("Import {n} documents"),
            };
            Ok(Logged { value: outcomes, summary, payload: json!({ "documents": imported }) })
        })
    }

    /// Removes a document with its turns, codings and memos.
    pub fn delete_document(&mut self, id: &str) -> Result<()> {
        self.execute("delete_document", |w, _| {
            let (name, _) = document_info(w.conn(), id)?;
            let codings = delete_codings_where(w, "document_id", id)?;
            let turns: Vec<i64> = {
                let mut stmt = w.conn().prepare("SELECT id FROM turns WHERE document_id = ?1")?;
                stmt.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
            };
            for t in turns {
                w.delete("turns", t)?;
            }
            delete_memos_about(w, MemoTarget::Document, id)?;
            super::media_ops::delete_media_of(w, id)?;
            w.delete("documents", id)?;
            Ok(Logged {
                value: (),
                summary: format!("Delete document {name} ({codings} codings)"),
                payload: json!({"id": id, "name": name, "codings_removed": codings}),
            })
        })
    }

    /// Sets (or clears) the participant and wave of a document.
    pub fn assign_document(&mut self, id: &str, participant: Option<&str>, wave: Option<&str>) -> Result<()> {
        self.execute("assign_document", |w, _| {
            let (name, _) = document_info(w.conn(), id)?;
            let p = participant.map(|p| ensure_participant(w, p)).transpose()?;
            let v = wave.map(|v| ensure_wave(w, v)).transpose()?;
            w.update("documents", id, &[("participant_id", opt(p.as_deref())), ("wave_id", opt(v.as_deref()))])?;
            Ok(Logged {
                value: (),
                summary: format!(
                    "Assign {name} to participant {} and wave {}",
                    participant.unwrap_or("(none)"),
                    wave.unwrap_or("(none)")
                ),
                payload: json!({"id": id, "participant": participant, "wave": wave}),
            })
        })
    }

    /// Sets the order of the waves; `names` must list every wave once.
    pub fn set_wave_order(&mut self, names: &[String]) -> Result<()> {
        let waves = self.waves()?;
        let mut given: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
        given.sort();
        let mut have: Vec<&str> = waves.iter().map(|w| w.name.as_str()).collect();
        have.sort();
        if given != have {
            return Err(Error::Invalid(format!("the wave order must list each of these once: {}", have.join(", "))));
        }
        self.execute("set_wave_order", |w, _| {
            for (i, name) in names.iter().enumerate() {
                let id = waves.iter().find(|x| &x.name == name).map(|x| x.id.clone()).unwrap_or_default();
                w.update("waves", id, &[("position", int(i))])?;
            }
            Ok(Logged {
                value: (),
                summary: format!("Order waves {}", names.join(", ")),
                payload: json!({"order": names}),
            })
        })
    }

    /// Sets a project setting.
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        self.execute("set_setting", |w, _| {
            let exists: Option<String> =
                w.conn().query_row("SELECT value FROM settings WHERE id = ?1", [name], |r| r.get(0)).optional()?;
            match exists {
                Some(_) => w.update("settings", name, &[("value", s(value))])?,
                None => w.insert("settings", &[("id", s(name)), ("value", s(value))])?,
            }
            Ok(Logged {
                value: (),
                summary: format!("Set {name} to {value}"),
                payload: json!({"name": name, "value": value}),
            })
        })
    }

    /// Creates a code; returns its ID.
    pub fn create_code(&mut self, code: NewCode) -> Result<String> {
        self.execute("create_code", |w, coder| {
            let id = insert_code(w, coder, &code)?;
            Ok(Logged {
                summary: format!("Create code {}", code.name.trim()),
                payload: json!({"id": id, "name": code.name.trim(), "parent_id": code.parent_id, "description": code.description}),
                value: id,
            })
        })
    }

    /// Renames, moves, recolours or redefines a code.
    pub fn update_code(&mut self, id: &str, changes: CodeChanges) -> Result<()> {
        self.execute("update_code", |w, _| {
            let old = code_name(w.conn(), id)?;
            let parent: Option<String> =
                w.conn().query_row("SELECT parent_id FROM codes WHERE id = ?1", [id], |r| r.get(0))?;
            let new_parent = changes.parent_id.clone().unwrap_or(parent);
            if let Some(p) = &new_parent {
                code_name(w.conn(), p)?;
                let mut cur = Some(p.clone());
                while let Some(c) = cur {
                    if c == id {
                        return Err(Error::Invalid(format!(
                            "\"{old}\" cannot be moved under itself or one of its own codes"
                        )));
                    }
                    cur = w.conn().query_row("SELECT parent_id FROM codes WHERE id = ?1", [&c], |r| r.get(0))?;
                }
            }
            let name = changes.name.as_deref().map(str::trim).unwrap_or(&old).to_string();
            if name.is_empty() {
                return Err(Error::Invalid("a code needs a name".into()));
            }
            check_sibling_name(w.conn(), &name, new_parent.as_deref(), Some(id))?;
            let mut cols = vec![("name", s(&name)), ("parent_id", opt(new_parent.as_deref()))];
            if let Some(c) = &changes.color {
                let c = model::normalise_color(c)
                    .ok_or_else(|| Error::Invalid(format!("\"{c}\" is not a colour like #e6a23c")))?;
                cols.push(("color", s(&c)));
            }
            if let Some(d) = &changes.description {
                cols.extend([
                    ("definition", s(&d.definition)),
                    ("inclusion", s(&d.inclusion)),
                    ("exclusion", s(&d.exclusion)),
                    ("example", s(&d.example)),
                ]);
            }
            w.update("codes", id, &cols)?;
            let summary =
                if name != old { format!("Rename code {old} to {name}") } else { format!("Change code {old}") };
            Ok(Logged { value: (), summary, payload: json!({"id": id, "old_name": old, "changes": changes}) })
        })
    }

    /// Deletes a code, its child codes, their codings and memos.
    pub fn delete_code(&mut self, id: &str) -> Result<usize> {
        self.execute("delete_code", |w, _| {
            let name = code_name(w.conn(), id)?;
            let mut order = vec![id.to_string()];
            let mut i = 0;
            while i < order.len() {
                let kids: Vec<String> = {
                    let mut stmt = w.conn().prepare("SELECT id FROM codes WHERE parent_id = ?1")?;
                    stmt.query_map([&order[i]], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
                };
                order.extend(kids);
                i += 1;
            }
            let mut codings = 0;
            for c in order.iter().rev() {
                codings += delete_codings_where(w, "code_id", c)?;
                delete_memos_about(w, MemoTarget::Code, c)?;
                w.delete("codes", c.as_str())?;
            }
            Ok(Logged {
                value: codings,
                summary: format!("Delete code {name} ({} codes, {codings} codings)", order.len()),
                payload: json!({"id": id, "name": name, "codes_removed": order, "codings_removed": codings}),
            })
        })
    }

    /// Applies a code to a range of a document. Applying it again (same document, range,
    /// code and coder) changes nothing and is not logged; [`Applied::already_present`]
    /// says so and [`Applied::notice`] gives the words to show.
    pub fn apply_coding(&mut self, coding: NewCoding) -> Result<Applied> {
        self.execute("apply_coding", |w, coder| {
            let version = current_version(w.conn())?;
            let id = match insert_coding(w, coder, version.as_deref(), &coding)? {
                Stored::New(id) => id,
                Stored::Identical(id) => {
                    return Ok(Logged {
                        value: Applied { id, already_present: true },
                        summary: String::new(),
                        payload: json!(null),
                    });
                }
            };
            let code = code_name(w.conn(), &coding.code_id)?;
            let (doc, _) = document_info(w.conn(), &coding.document_id)?;
            Ok(Logged {
                summary: format!("Code {doc} [{}, {}) as {code}", coding.start, coding.end),
                payload: json!({"id": id, "coding": coding}),
                value: Applied { id, already_present: false },
            })
        })
    }

    /// Applies many codings as one operation (one undo step). Codings identical to one
    /// already there (or earlier in the list) are skipped and counted; when every one
    /// is, nothing is logged.
    pub fn apply_codings(&mut self, codings: Vec<NewCoding>, summary: &str) -> Result<AppliedCodings> {
        self.execute("apply_codings", |w, coder| {
            let version = current_version(w.conn())?;
            let mut out = AppliedCodings::default();
            for c in &codings {
                match insert_coding(w, coder, version.as_deref(), c)? {
                    Stored::New(id) => out.ids.push(id),
                    Stored::Identical(_) => out.already_present += 1,
                }
            }
            let skipped = match out.already_present {
                0 => String::new(),
                n => format!(", {n} already there"),
            };
            Ok(Logged {
                summary: format!("{summary} ({} codings{skipped})", out.ids.len()),
                payload: json!({"ids": out.ids, "already_present": out.already_present}),
                value: out,
            })
        })
    }

    /// Creates a code and applies it to a range in one operation (one undo step), as
    /// when a coder types a new name in the code picker or codes "in vivo". The
    /// coding's `code_id` is ignored. Returns the code's and the coding's IDs.
    pub fn apply_new_code(&mut self, code: NewCode, coding: NewCoding) -> Result<(String, String)> {
        self.execute("apply_new_code", |w, coder| {
            let code_id = insert_code(w, coder, &code)?;
            let version = current_version(w.conn())?;
            let coding = NewCoding { code_id: code_id.clone(), ..coding };
            // A new code has no codings, so this coding cannot be there already.
            let (Stored::New(id) | Stored::Identical(id)) = insert_coding(w, coder, version.as_deref(), &coding)?;
            let (doc, _) = document_info(w.conn(), &coding.document_id)?;
            Ok(Logged {
                summary: format!("Create code {} and code {doc} [{}, {})", code.name.trim(), coding.start, coding.end),
                payload: json!({"code_id": code_id, "name": code.name.trim(), "parent_id": code.parent_id, "id": id, "coding": coding}),
                value: (code_id, id),
            })
        })
    }

    /// Removes a coding.
    pub fn delete_coding(&mut self, id: &str) -> Result<()> {
        self.execute("delete_coding", |w, _| {
            let c = load_coding(w.conn(), id)?;
            w.delete("codings", id)?;
            Ok(Logged {
                value: (),
                summary: format!("Remove coding of {} [{}, {}) as {}", c.0, c.1, c.2, c.3),
                payload: json!({"id": id}),
            })
        })
    }

    /// Recodes, resizes, annotates or stars a coding.
    pub fn update_coding(&mut self, id: &str, changes: CodingChanges) -> Result<()> {
        self.execute("update_coding", |w, _| {
            let (doc_name, start, end, _, doc_id) = load_coding(w.conn(), id)?;
            let (_, len) = document_info(w.conn(), &doc_id)?;
            let (ns, ne) = (changes.start.unwrap_or(start), changes.end.unwrap_or(end));
            model::check_range(ns, ne, len).map_err(Error::Invalid)?;
            let mut cols = vec![("start", int(ns)), ("end", int(ne))];
            if let Some(code) = &changes.code_id {
                code_name(w.conn(), code)?;
                cols.push(("code_id", s(code)));
            }
            let (code_id, coder_id): (String, String) =
                w.conn().query_row("SELECT code_id, coder_id FROM codings WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            let code_id = changes.code_id.clone().unwrap_or(code_id);
            if let Some(twin) = identical_coding(w.conn(), &doc_id, ns, ne, &code_id, &coder_id)?
                && twin != id
            {
                return Err(Error::Invalid(format!(
                    "the same coder already has this code on [{ns}, {ne}) of {doc_name} (coding {twin}); remove one of the two instead"
                )));
            }
            if let Some(m) = &changes.memo {
                cols.push(("memo", opt(m.as_deref().filter(|m| !m.trim().is_empty()))));
            }
            if let Some(star) = changes.illustrative {
                cols.push(("illustrative", int(star as i64)));
            }
            w.update("codings", id, &cols)?;
            Ok(Logged {
                value: (),
                summary: format!("Change coding in {doc_name} [{ns}, {ne})"),
                payload: json!({"id": id, "changes": changes}),
            })
        })
    }

    /// Adds a codebook's codes in one operation (see [`crate::codebook`]). Codes whose
    /// ID is already in the project are left as they are and reported. The existing
    /// tree is read once, so a codebook of 100,000 codes takes seconds, not hours.
    pub fn import_codes(&mut self, source: &str, codes: Vec<NewCode>) -> Result<ImportedCodes> {
        self.execute("import_codebook", |w, coder| {
            let mut tree = CodeTree::load(w.conn())?;
            let mut out = ImportedCodes::default();
            for c in &codes {
                if c.id.as_ref().is_some_and(|id| tree.names.contains_key(id)) {
                    out.already_present.push(c.name.clone());
                    continue;
                }
                out.created.push(tree.insert(w, coder, c)?);
            }
            Ok(Logged {
                summary: format!("Import codebook {source} ({} codes)", out.created.len()),
                payload: json!({"source": source, "created": out.created}),
                value: out,
            })
        })
    }
}

/// The code tree held in memory while many codes are added in one operation: the same
/// checks as [`insert_code`] (a name, a parent that exists, no sibling of the same name
/// ignoring ASCII case as SQLite's `lower` does, a free UUID), each in constant time.
struct CodeTree {
    /// Code ID to name.
    names: HashMap<String, String>,
    /// (parent, lower-case name) of every code.
    siblings: HashSet<(Option<String>, String)>,
    /// The next position under each parent.
    next_position: HashMap<Option<String>, i64>,
}

impl CodeTree {
    fn load(conn: &Connection) -> Result<CodeTree> {
        let mut tree = CodeTree { names: HashMap::new(), siblings: HashSet::new(), next_position: HashMap::new() };
        let mut stmt = conn.prepare("SELECT id, name, parent_id, position FROM codes")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, name, parent, position): (String, String, Option<String>, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            tree.siblings.insert((parent.clone(), name.to_ascii_lowercase()));
            let next = tree.next_position.entry(parent).or_insert(0);
            *next = (*next).max(position + 1);
            tree.names.insert(id, name);
        }
        Ok(tree)
    }

    fn insert(&mut self, w: &mut Writer, coder: &str, code: &NewCode) -> Result<String> {
        let name = code.name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("a code needs a name".into()));
        }
        let parent = code.parent_id.clone();
        let place = match &parent {
            Some(p) => {
                let pname = self.names.get(p).ok_or_else(|| Error::NotFound { kind: "code", query: p.clone() })?;
                format!("under \"{pname}\"")
            }
            None => "at the top level".to_string(),
        };
        if !self.siblings.insert((parent.clone(), name.to_ascii_lowercase())) {
            return Err(Error::Invalid(format!("a code named \"{name}\" already exists {place}")));
        }
        let id = code.id.clone().unwrap_or_else(new_id);
        if uuid::Uuid::parse_str(&id).is_err() {
            return Err(Error::Invalid(format!("\"{id}\" is not a UUID")));
        }
        if let Some(other) = self.names.get(&id) {
            return Err(Error::Invalid(format!("the code ID {id} is already used by \"{other}\"")));
        }
        let color = match &code.color {
            Some(c) => model::normalise_color(c)
                .ok_or_else(|| Error::Invalid(format!("\"{c}\" is not a colour like #e6a23c")))?,
            None => model::default_color(self.names.len()),
        };
        let next = self.next_position.entry(parent.clone()).or_insert(0);
        let position = *next;
        *next += 1;
        insert_code_row(
            w,
            &CodeRow {
                id: Some(&id),
                name,
                parent: parent.as_deref(),
                color: &color,
                description: &code.description,
                position,
                created_by: coder,
            },
        )?;
        self.names.insert(id.clone(), name.to_string());
        Ok(id)
    }
}

/// The result of [`Project::import_codes`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportedCodes {
    pub created: Vec<String>,
    pub already_present: Vec<String>,
}

/// What [`Project::apply_coding`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The new coding's ID, or the ID of the identical coding already there.
    pub id: String,
    /// An identical coding (same document, range, code and coder) was already there:
    /// nothing was changed and nothing logged.
    pub already_present: bool,
}

impl Applied {
    /// The words to show when nothing was applied, such as in a window's notice.
    pub fn notice(&self) -> Option<String> {
        self.already_present.then(|| "This passage already has this code from this coder; nothing was added.".into())
    }
}

/// What [`Project::apply_codings`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppliedCodings {
    /// The new codings' IDs.
    pub ids: Vec<String>,
    /// How many were skipped because an identical coding was already there.
    pub already_present: usize,
}

fn load_coding(conn: &Connection, id: &str) -> Result<(String, usize, usize, String, String)> {
    conn.query_row(
        "SELECT d.name, c.start, c.\"end\", k.name, d.id FROM codings c JOIN documents d ON d.id = c.document_id JOIN codes k ON k.id = c.code_id WHERE c.id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize, r.get::<_, i64>(2)? as usize, r.get(3)?, r.get(4)?)),
    )
    .optional()?
    .ok_or_else(|| Error::NotFound { kind: "coding", query: id.to_string() })
}
