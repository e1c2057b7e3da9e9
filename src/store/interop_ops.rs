//! The operation that stores a REFI-QDA project import ([`crate::interop`]): coders,
//! codes, attributes, participants, documents with their turns, sync points and
//! recordings, waves, codings and memos,
//! all in one operation so one undo removes the whole import and a failure changes nothing.

use super::changes::Writer;
use super::log::Logged;
use super::media_ops::{NewRecording, SyncPoint, insert_sync_point, write_link};
use super::ops::{
    NewCode, StoredDocument, attribute_value_id, content_hash, ensure_coder, ensure_participant, insert_code,
    insert_document, set_attribute_value,
};
use super::{Project, new_id, now_ms};
use crate::error::{Error, Result};
use crate::model::exchange::{ImportCounts, ImportPlan, PlanDocument, PlanRecording, PlanTarget};
use crate::model::{self, AttributeKind};
use rusqlite::OptionalExtension;
use rusqlite::types::Value;
use serde_json::json;
use std::collections::{HashMap, HashSet};

fn s(v: &str) -> Value {
    Value::Text(v.to_string())
}

fn opt(v: Option<&str>) -> Value {
    v.map(s).unwrap_or(Value::Null)
}

fn int(v: impl TryInto<i64>) -> Value {
    Value::Integer(v.try_into().unwrap_or(i64::MAX))
}

/// What [`Project::store_qdpx`] did beyond the plan.
#[derive(Debug, Clone, Default)]
pub struct StoredQdpx {
    pub counts: ImportCounts,
    /// Sources whose text was already in the project: (source name, existing document name).
    pub duplicates: Vec<(String, String)>,
    /// Codes renamed because a sibling had the name: (name in the file, name stored).
    pub renamed_codes: Vec<(String, String)>,
    /// Codes whose GUID could not be kept as their ID.
    pub new_code_ids: usize,
    /// Attribute values that did not fit their attribute's type.
    pub skipped_values: Vec<String>,
}

fn count(w: &Writer, table: &str) -> Result<usize> {
    Ok(w.conn().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))? as usize)
}

/// A name for a code under `parent` that no sibling has: `name`, else `name (2)`, `name (3)`…
/// `next` remembers, per parent and name, the number to try next, so that many codes of one
/// name cost one query each rather than one per earlier code.
fn free_name(
    w: &Writer,
    name: &str,
    parent: Option<&str>,
    next: &mut HashMap<(Option<String>, String), usize>,
) -> Result<String> {
    let base = name.trim();
    let key = (parent.map(str::to_string), base.to_lowercase());
    let mut n = next.get(&key).copied().unwrap_or(1);
    loop {
        let candidate = if n == 1 { base.to_string() } else { format!("{base} ({n})") };
        let clash: Option<String> = w
            .conn()
            .query_row(
                "SELECT id FROM codes WHERE lower(name) = lower(?1) AND parent_id IS ?2",
                rusqlite::params![candidate, parent],
                |r| r.get(0),
            )
            .optional()?;
        n += 1;
        if clash.is_none() {
            next.insert(key, n);
            return Ok(candidate);
        }
    }
}

impl Project {
    /// When the project was created (milliseconds since the epoch), if the file says.
    pub fn created_at_ms(&self) -> Result<Option<i64>> {
        let v: Option<String> =
            self.conn().query_row("SELECT value FROM meta WHERE key = 'created_at'", [], |r| r.get(0)).optional()?;
        Ok(v.and_then(|v| v.parse().ok()))
    }

    /// Stores a REFI-QDA import plan (from `interop::read_qdpx`) as one operation.
    pub fn store_qdpx(&mut self, plan: &ImportPlan) -> Result<StoredQdpx> {
        self.execute("import_qdpx", |w, coder| {
            let mut out = StoredQdpx::default();
            let before = [count(w, "coders")?, count(w, "participants")?, count(w, "attributes")?, count(w, "waves")?];
            for name in &plan.coders {
                ensure_coder(w, name)?;
            }
            let code_ids = store_codes(w, coder, plan, &mut out)?;
            let attr_ids = store_attributes(w, plan)?;
            let participant_ids = store_participants(w, plan, &attr_ids, &mut out)?;
            let (doc_ids, imported_docs) = store_documents(w, coder, plan, &mut out)?;
            store_codings(w, coder, plan, &doc_ids, &code_ids, &mut out)?;
            let ids = Stored { codes: &code_ids, documents: &doc_ids, participants: &participant_ids };
            store_memos(w, coder, plan, &ids, &mut out)?;
            out.counts.codes = code_ids.len();
            let after = [count(w, "coders")?, count(w, "participants")?, count(w, "attributes")?, count(w, "waves")?];
            out.counts.coders = after[0] - before[0];
            out.counts.participants = after[1] - before[1];
            out.counts.attributes = after[2] - before[2];
            out.counts.waves = after[3] - before[3];
            Ok(Logged {
                summary: format!(
                    "Import REFI-QDA project {} ({} documents, {} codes, {} codings)",
                    plan.source, out.counts.documents, out.counts.codes, out.counts.codings
                ),
                payload: json!({
                    "source": plan.source,
                    "documents": imported_docs,
                    "codes": code_ids,
                    "codings": out.counts.codings,
                    "memos": out.counts.memos,
                }),
                value: out,
            })
        })
    }
}

/// A stored document's ID and its length in chars.
type DocumentId = (String, usize);

/// The IDs the plan's indexes stand for once stored.
struct Stored<'a> {
    codes: &'a [String],
    /// Document ID and its length in chars.
    documents: &'a [(String, usize)],
    /// Participant label → ID.
    participants: &'a HashMap<String, String>,
}

/// Stores the plan's codes, parents first; returns their IDs in plan order.
fn store_codes(w: &mut Writer, coder: &str, plan: &ImportPlan, out: &mut StoredQdpx) -> Result<Vec<String>> {
    let mut code_ids: Vec<String> = Vec::with_capacity(plan.codes.len());
    let mut used: HashSet<String> = HashSet::new();
    let mut next_name = HashMap::new();
    for c in &plan.codes {
        let parent = match c.parent {
            Some(p) => Some(code_ids.get(p).cloned().ok_or_else(|| {
                Error::Invalid(format!("code \"{}\" comes before its parent; this is a bug in the importer", c.name))
            })?),
            None => None,
        };
        let id = match &c.guid {
            Some(g) if !used.contains(g) => {
                let taken: Option<String> =
                    w.conn().query_row("SELECT id FROM codes WHERE id = ?1", [g], |r| r.get(0)).optional()?;
                if taken.is_some() { None } else { Some(g.clone()) }
            }
            _ => None,
        };
        if id.is_none() {
            out.new_code_ids += 1;
        }
        let name = free_name(w, &c.name, parent.as_deref(), &mut next_name)?;
        if name != c.name.trim() {
            out.renamed_codes.push((c.name.clone(), name.clone()));
        }
        let new = NewCode {
            id,
            name,
            parent_id: parent,
            color: c.color.clone().filter(|c| model::normalise_color(c).is_some()),
            description: c.description.clone(),
        };
        let id = insert_code(w, coder, &new)?;
        used.insert(id.clone());
        code_ids.push(id);
    }

    Ok(code_ids)
}

/// Finds or creates the plan's attributes; returns their IDs and kinds in plan order.
fn store_attributes(w: &mut Writer, plan: &ImportPlan) -> Result<Vec<(String, AttributeKind)>> {
    let mut attr_ids: Vec<(String, AttributeKind)> = Vec::new();
    for (name, kind) in &plan.attributes {
        let found = super::attribute_ops::find_attribute(w, name)?;
        let entry = match found {
            Some((id, k)) => (id, AttributeKind::parse(&k).unwrap_or(*kind)),
            None => {
                let id = super::attribute_ops::insert_attribute(w, name, *kind)?;
                (id, *kind)
            }
        };
        attr_ids.push(entry);
    }
    Ok(attr_ids)
}

/// Finds or creates the plan's participants and sets their attribute values; returns
/// label → participant ID.
fn store_participants(
    w: &mut Writer,
    plan: &ImportPlan,
    attr_ids: &[(String, AttributeKind)],
    out: &mut StoredQdpx,
) -> Result<HashMap<String, String>> {
    let mut participant_ids: HashMap<String, String> = HashMap::new();
    for p in &plan.participants {
        let pid = ensure_participant(w, &p.label)?;
        participant_ids.insert(p.label.clone(), pid.clone());
        for (a, raw) in &p.values {
            let Some((attr_id, kind)) = attr_ids.get(*a) else { continue };
            let value = match kind.validate(raw) {
                Ok(v) => v,
                Err(e) => {
                    out.skipped_values
                        .push(format!("value of {} for {} not imported: {e}", plan.attributes[*a].0, p.label));
                    continue;
                }
            };
            let existing = attribute_value_id(w, &pid, attr_id)?;
            set_attribute_value(w, &pid, attr_id, existing, &value)?;
            out.counts.attribute_values += 1;
        }
    }

    Ok(participant_ids)
}

/// Stores the plan's documents (a text already in the project is reused); returns each
/// document's ID and length in plan order, and the new documents for the log.
fn store_documents(
    w: &mut Writer,
    coder: &str,
    plan: &ImportPlan,
    out: &mut StoredQdpx,
) -> Result<(Vec<DocumentId>, Vec<serde_json::Value>)> {
    let mut doc_ids: Vec<(String, usize)> = Vec::with_capacity(plan.documents.len());
    let mut imported_docs = Vec::new();
    let mut recordings: HashMap<usize, &PlanRecording> = HashMap::new();
    for m in &plan.media {
        if let Some(rec) = &m.recording {
            recordings.extend(m.documents.iter().map(|&d| (d, rec)));
        }
    }
    for (i, d) in plan.documents.iter().enumerate() {
        let hash = content_hash(&d.text);
        let char_count = d.text.chars().count();
        let existing: Option<(String, String)> = w
            .conn()
            .query_row("SELECT id, name FROM documents WHERE content_hash = ?1", [&hash], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((id, name)) = existing {
            out.duplicates.push((d.original_name.clone(), name));
            // A transcript whose text is also a text source of the file (ATLAS.ti lists
            // both): its sync points and recording go to that document, when it has none.
            attach_media(w, coder, &id, char_count, d, recordings.get(&i).copied(), false, out)?;
            doc_ids.push((id, char_count));
            continue;
        }
        let id = insert_document(
            w,
            coder,
            &StoredDocument {
                name: &d.name,
                original_name: &d.original_name,
                format: "qdpx",
                hash: &hash,
                text: &d.text,
                turns: &d.turns,
                participant: d.participant.as_deref(),
                wave: d.wave.as_deref(),
            },
        )?;
        attach_media(w, coder, &id, char_count, d, recordings.get(&i).copied(), true, out)?;
        imported_docs.push(json!({"id": id, "name": d.name}));
        doc_ids.push((id, char_count));
    }
    out.counts.documents = imported_docs.len();

    Ok((doc_ids, imported_docs))
}

/// Stores a plan document's sync points and links its recording to the stored document
/// `id`; to a document that was there already (`fresh` false) only when it has no sync
/// points, and no recording, of its own.
#[allow(clippy::too_many_arguments)]
fn attach_media(
    w: &mut Writer,
    coder: &str,
    id: &str,
    char_count: usize,
    d: &PlanDocument,
    rec: Option<&PlanRecording>,
    fresh: bool,
    out: &mut StoredQdpx,
) -> Result<()> {
    let has = |w: &Writer, table: &str| -> Result<bool> {
        let sql = format!("SELECT count(*) FROM {table} WHERE document_id = ?1");
        Ok(w.conn().query_row(&sql, [id], |r| r.get::<_, i64>(0))? > 0)
    };
    if fresh || !has(w, "sync_points")? {
        for &(position, time_ms) in &d.sync_points {
            if position > char_count {
                return Err(Error::Invalid(format!(
                    "a sync point of {} lies outside its text; this is a bug in the importer",
                    d.name
                )));
            }
            insert_sync_point(w, coder, id, SyncPoint { position, time_ms })?;
            out.counts.sync_points += 1;
        }
    }
    if let Some(rec) = rec
        && (fresh || !has(w, "recordings")?)
    {
        write_link(w, coder, id, &new_recording(rec))?;
        out.counts.recordings += 1;
    }
    Ok(())
}

fn new_recording(r: &PlanRecording) -> NewRecording {
    NewRecording {
        path: r.path.clone(),
        relative: r.relative,
        size: r.size,
        fingerprint: r.fingerprint.clone(),
        format: r.format.clone(),
        duration_ms: r.duration_ms,
        has_video: r.has_video,
    }
}

/// Stores the plan's codings, leaving out exact repeats.
fn store_codings(
    w: &mut Writer,
    coder: &str,
    plan: &ImportPlan,
    doc_ids: &[(String, usize)],
    code_ids: &[String],
    out: &mut StoredQdpx,
) -> Result<()> {
    let version: Option<String> = w
        .conn()
        .query_row("SELECT id FROM codebook_versions ORDER BY created_at DESC, rowid DESC LIMIT 1", [], |r| r.get(0))
        .optional()?;
    let mut coder_ids: HashMap<String, String> = HashMap::new();
    out.counts.codings = 0;
    for c in &plan.codings {
        let (Some((doc, len)), Some(code)) = (doc_ids.get(c.document), code_ids.get(c.code)) else {
            return Err(Error::Invalid("a coding names no document or code; this is a bug in the importer".into()));
        };
        model::check_range(c.start, c.end, *len).map_err(Error::Invalid)?;
        let name = c.coder.as_deref().unwrap_or(coder).to_string();
        let coder_id = match coder_ids.get(&name) {
            Some(id) => id.clone(),
            None => {
                let id = ensure_coder(w, &name)?;
                coder_ids.insert(name, id.clone());
                id
            }
        };
        if super::ops::identical_coding(w.conn(), doc, c.start, c.end, code, &coder_id)?.is_some() {
            // The file codes the same passage twice with the same code by the same
            // coder; one coding says it all.
            continue;
        }
        w.insert(
            "codings",
            &[
                ("id", s(&new_id())),
                ("document_id", s(doc)),
                ("start", int(c.start)),
                ("end", int(c.end)),
                ("code_id", s(code)),
                ("coder_id", s(&coder_id)),
                ("codebook_version_id", opt(version.as_deref())),
                ("memo", opt(c.memo.as_deref())),
                ("illustrative", int(0)),
                ("created_at", int(now_ms())),
            ],
        )?;
        out.counts.codings += 1;
    }

    Ok(())
}

/// Stores the plan's memos on what they are about.
fn store_memos(w: &mut Writer, coder: &str, plan: &ImportPlan, ids: &Stored, out: &mut StoredQdpx) -> Result<()> {
    for m in &plan.memos {
        let (kind, target) = match &m.target {
            PlanTarget::Project => (model::MemoTarget::Project, None),
            PlanTarget::Document(i) => (model::MemoTarget::Document, ids.documents.get(*i).map(|d| d.0.clone())),
            PlanTarget::Code(i) => (model::MemoTarget::Code, ids.codes.get(*i).cloned()),
            PlanTarget::Participant(label) => (
                model::MemoTarget::Participant,
                Some(match ids.participants.get(label) {
                    Some(id) => id.clone(),
                    None => ensure_participant(w, label)?,
                }),
            ),
        };
        if kind != model::MemoTarget::Project && target.is_none() {
            continue;
        }
        let coder_id = ensure_coder(w, m.coder.as_deref().unwrap_or(coder))?;
        let now = now_ms();
        w.insert(
            "memos",
            &[
                ("id", s(&new_id())),
                ("target_kind", s(kind.as_str())),
                ("target_id", opt(target.as_deref())),
                ("title", s(&m.title)),
                ("body", s(&m.body)),
                ("coder_id", s(&coder_id)),
                ("created_at", int(now)),
                ("updated_at", int(now)),
            ],
        )?;
        out.counts.memos += 1;
    }

    Ok(())
}
