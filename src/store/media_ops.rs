//! Recordings linked to documents and the sync points that tie text to time: the
//! operations that change them and the queries that read them.
//!
//! The store keeps what `media` hands it (where the file was, its size and fingerprint,
//! what it holds) and never opens a media file itself. Each change is one operation
//! through [`Project::execute`](super::Project), so linking, unlinking and every sync point
//! can be undone. A document has at most one recording; linking again replaces the link.

use super::Project;
use super::changes::Writer;
use super::log::Logged;
use super::rows::{document_info, int, opt, s};
use super::{new_id, now_ms};
use crate::error::{Error, Result};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;

/// A recording as the project remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recording {
    pub id: String,
    pub document_id: String,
    /// The document's name.
    pub document: String,
    /// As stored: relative to the project's folder when `relative` is true.
    pub path: String,
    pub relative: bool,
    pub size: u64,
    /// A hash of the file's size and its first and last MiB (see `media::fingerprint`).
    pub fingerprint: String,
    /// The container, as a lower-case extension (`m4a`, `wav`, `mp4`, ...).
    pub format: String,
    pub duration_ms: Option<u64>,
    /// The file holds a picture as well (played as sound only for now).
    pub has_video: bool,
    pub linked_at_ms: i64,
    pub linked_by: Option<String>,
}

/// What `media` found out about a file, to link it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecording {
    pub path: String,
    pub relative: bool,
    pub size: u64,
    pub fingerprint: String,
    pub format: String,
    pub duration_ms: Option<u64>,
    pub has_video: bool,
}

/// A point where a character of the text is spoken at a known time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SyncPoint {
    /// The character (a Unicode scalar offset into the document's text).
    pub position: usize,
    pub time_ms: u64,
}

/// A stored sync point with its ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSyncPoint {
    pub id: String,
    pub document_id: String,
    #[serde(flatten)]
    pub point: SyncPoint,
}

const RECORDING_COLS: &str = "r.id, r.document_id, d.name, r.path, r.relative, r.size, r.fingerprint, r.format, \
     r.duration_ms, r.has_video, r.linked_at, r.linked_by FROM recordings r JOIN documents d ON d.id = r.document_id";

fn recording_from_row(r: &rusqlite::Row) -> rusqlite::Result<Recording> {
    Ok(Recording {
        id: r.get(0)?,
        document_id: r.get(1)?,
        document: r.get(2)?,
        path: r.get(3)?,
        relative: r.get::<_, i64>(4)? != 0,
        size: r.get::<_, i64>(5)?.max(0) as u64,
        fingerprint: r.get(6)?,
        format: r.get(7)?,
        duration_ms: r.get::<_, Option<i64>>(8)?.map(|d| d.max(0) as u64),
        has_video: r.get::<_, i64>(9)? != 0,
        linked_at_ms: r.get(10)?,
        linked_by: r.get(11)?,
    })
}

fn recording_id(conn: &Connection, document_id: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT id FROM recordings WHERE document_id = ?1", [document_id], |r| r.get(0)).optional()?)
}

/// Deletes a document's recording link and sync points through the writer, so that
/// undoing the deletion of the document brings them back.
pub(crate) fn delete_media_of(w: &mut Writer, document_id: &str) -> Result<()> {
    if let Some(id) = recording_id(w.conn(), document_id)? {
        w.delete("recordings", id.as_str())?;
    }
    let ids: Vec<String> = {
        let mut stmt = w.conn().prepare("SELECT id FROM sync_points WHERE document_id = ?1")?;
        stmt.query_map([document_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    for id in ids {
        w.delete("sync_points", id.as_str())?;
    }
    Ok(())
}

fn recording_columns(rec: &NewRecording, coder: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("path", s(&rec.path)),
        ("relative", int(rec.relative as i64)),
        ("size", int(rec.size)),
        ("fingerprint", s(&rec.fingerprint)),
        ("format", s(&rec.format)),
        ("duration_ms", rec.duration_ms.map(int).unwrap_or(Value::Null)),
        ("has_video", int(rec.has_video as i64)),
        ("linked_at", int(now_ms())),
        ("linked_by", opt(Some(coder))),
    ]
}

/// Links (or re-links) one document's recording inside an operation; returns the link's ID.
pub(crate) fn write_link(w: &mut Writer, coder: &str, document_id: &str, rec: &NewRecording) -> Result<String> {
    let cols = recording_columns(rec, coder);
    match recording_id(w.conn(), document_id)? {
        Some(id) => {
            w.update("recordings", id.as_str(), &cols)?;
            Ok(id)
        }
        None => {
            let id = new_id();
            let mut all = vec![("id", s(&id)), ("document_id", s(document_id))];
            all.extend(cols);
            w.insert("recordings", &all)?;
            Ok(id)
        }
    }
}

/// Inserts a sync point row inside an operation (the caller has checked its place and
/// order); returns its ID.
pub(crate) fn insert_sync_point(w: &mut Writer, coder: &str, document_id: &str, point: SyncPoint) -> Result<String> {
    let id = new_id();
    w.insert(
        "sync_points",
        &[
            ("id", s(&id)),
            ("document_id", s(document_id)),
            ("position", int(point.position)),
            ("time_ms", int(point.time_ms)),
            ("created_at", int(now_ms())),
            ("created_by", s(coder)),
        ],
    )?;
    Ok(id)
}

/// Checks that a sync point set at `point` (or, with `moving`, that point moved there)
/// keeps time running forward through the text: a point later in the text may not be at
/// an earlier or equal time than one before it. A point already at the same character is
/// the one being replaced and does not count.
fn check_order(conn: &Connection, document_id: &str, moving: Option<&str>, point: SyncPoint, name: &str) -> Result<()> {
    let mut stmt = conn.prepare_cached("SELECT id, position, time_ms FROM sync_points WHERE document_id = ?1")?;
    let rows = stmt
        .query_map([document_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let clock = crate::model::time::format_clock;
    for (id, pos, ms) in rows {
        let (pos, time) = (pos.max(0) as usize, ms.max(0) as u64);
        if Some(id.as_str()) == moving || (moving.is_none() && pos == point.position) {
            continue;
        }
        if (pos < point.position && time >= point.time_ms) || (pos > point.position && time <= point.time_ms) {
            return Err(Error::Invalid(format!(
                "{name}: a sync point at character {} and {} would go against the one at character {pos} and {}; time must run forward through the text (move or remove that one first)",
                point.position,
                clock(point.time_ms),
                clock(time)
            )));
        }
    }
    Ok(())
}

impl Project {
    /// Links a recording to a document (replacing any link it had), as one operation.
    pub fn link_recording(&mut self, document_id: &str, rec: &NewRecording) -> Result<String> {
        self.execute("link_recording", |w, coder| {
            let (name, _) = document_info(w.conn(), document_id)?;
            let id = write_link(w, coder, document_id, rec)?;
            Ok(Logged {
                value: id.clone(),
                summary: format!("Link recording {} to {name}", rec.path),
                payload: json!({"id": id, "document_id": document_id, "path": rec.path}),
            })
        })
    }

    /// Links recordings to several documents in one operation (the recordings found
    /// beside the transcripts of an import). Returns the links' IDs in order.
    pub fn link_recordings(&mut self, links: &[(String, NewRecording)]) -> Result<Vec<String>> {
        self.execute("link_recordings", |w, coder| {
            let mut ids = Vec::with_capacity(links.len());
            for (doc, rec) in links {
                document_info(w.conn(), doc)?;
                ids.push(write_link(w, coder, doc, rec)?);
            }
            let summary = match links {
                [(_, one)] => format!("Link recording {}", one.path),
                many => format!("Link {} recordings", many.len()),
            };
            let payload = json!({"links": links.iter().zip(&ids).map(|((d, r), id)| json!({"id": id, "document_id": d, "path": r.path})).collect::<Vec<_>>()});
            Ok(Logged { value: ids, summary, payload })
        })
    }

    /// Removes a document's recording link (the file itself is untouched); the sync
    /// points stay, for a recording linked again later.
    pub fn unlink_recording(&mut self, document_id: &str) -> Result<()> {
        self.execute("unlink_recording", |w, _| {
            let (name, _) = document_info(w.conn(), document_id)?;
            let Some(id) = recording_id(w.conn(), document_id)? else {
                return Err(Error::Invalid(format!("{name} has no recording linked")));
            };
            w.delete("recordings", id.as_str())?;
            Ok(Logged {
                value: (),
                summary: format!("Unlink the recording of {name}"),
                payload: json!({"id": id, "document_id": document_id}),
            })
        })
    }

    /// Sets a sync point: the character `point.position` is spoken at `point.time_ms`. A
    /// point already at that character is moved to the new time. Refused when it would
    /// make time run backwards against another point, or lies outside the text.
    pub fn set_sync_point(&mut self, document_id: &str, point: SyncPoint) -> Result<String> {
        self.execute("set_sync_point", |w, coder| {
            let (name, chars) = document_info(w.conn(), document_id)?;
            if point.position > chars {
                return Err(Error::Invalid(format!(
                    "{name}: character {} lies outside the text ({chars} characters)",
                    point.position
                )));
            }
            check_order(w.conn(), document_id, None, point, &name)?;
            let existing: Option<String> = w
                .conn()
                .query_row(
                    "SELECT id FROM sync_points WHERE document_id = ?1 AND position = ?2",
                    rusqlite::params![document_id, point.position as i64],
                    |r| r.get(0),
                )
                .optional()?;
            let clock = crate::model::time::format_clock(point.time_ms);
            let id = match existing {
                Some(id) => {
                    w.update("sync_points", id.as_str(), &[("time_ms", int(point.time_ms))])?;
                    id
                }
                None => insert_sync_point(w, coder, document_id, point)?,
            };
            Ok(Logged {
                value: id.clone(),
                summary: format!("Sync {name} at character {} to {clock}", point.position),
                payload: json!({"id": id, "document_id": document_id, "position": point.position, "time_ms": point.time_ms}),
            })
        })
    }

    /// Moves a sync point to another character and time.
    pub fn move_sync_point(&mut self, id: &str, to: SyncPoint) -> Result<()> {
        self.execute("move_sync_point", |w, _| {
            let doc = sync_point_document(w.conn(), id)?;
            let (name, chars) = document_info(w.conn(), &doc)?;
            if to.position > chars {
                return Err(Error::Invalid(format!(
                    "{name}: character {} lies outside the text ({chars} characters)",
                    to.position
                )));
            }
            let clash: Option<String> = w
                .conn()
                .query_row(
                    "SELECT id FROM sync_points WHERE document_id = ?1 AND position = ?2 AND id <> ?3",
                    rusqlite::params![doc, to.position as i64, id],
                    |r| r.get(0),
                )
                .optional()?;
            if clash.is_some() {
                return Err(Error::Invalid(format!(
                    "{name}: there is already a sync point at character {}",
                    to.position
                )));
            }
            check_order(w.conn(), &doc, Some(id), to, &name)?;
            w.update("sync_points", id, &[("position", int(to.position)), ("time_ms", int(to.time_ms))])?;
            Ok(Logged {
                value: (),
                summary: format!(
                    "Move a sync point of {name} to character {} at {}",
                    to.position,
                    crate::model::time::format_clock(to.time_ms)
                ),
                payload: json!({"id": id, "document_id": doc, "position": to.position, "time_ms": to.time_ms}),
            })
        })
    }

    /// Removes a sync point.
    pub fn remove_sync_point(&mut self, id: &str) -> Result<()> {
        self.execute("remove_sync_point", |w, _| {
            let doc = sync_point_document(w.conn(), id)?;
            let (name, _) = document_info(w.conn(), &doc)?;
            w.delete("sync_points", id)?;
            Ok(Logged {
                value: (),
                summary: format!("Remove a sync point of {name}"),
                payload: json!({"id": id, "document_id": doc}),
            })
        })
    }

    /// The recording linked to a document, if any.
    pub fn recording(&self, document_id: &str) -> Result<Option<Recording>> {
        Ok(self
            .conn()
            .query_row(&format!("SELECT {RECORDING_COLS} WHERE r.document_id = ?1"), [document_id], recording_from_row)
            .optional()?)
    }

    /// Every linked recording, by document name.
    pub fn recordings(&self) -> Result<Vec<Recording>> {
        let mut stmt = self.conn().prepare(&format!("SELECT {RECORDING_COLS} ORDER BY d.name, d.id"))?;
        let rows = stmt.query_map([], recording_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A document's sync points, in text order.
    pub fn sync_points(&self, document_id: &str) -> Result<Vec<StoredSyncPoint>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, document_id, position, time_ms FROM sync_points WHERE document_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map([document_id], |r| {
            Ok(StoredSyncPoint {
                id: r.get(0)?,
                document_id: r.get(1)?,
                point: SyncPoint {
                    position: r.get::<_, i64>(2)?.max(0) as usize,
                    time_ms: r.get::<_, i64>(3)?.max(0) as u64,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn sync_point_document(conn: &Connection, id: &str) -> Result<String> {
    conn.query_row("SELECT document_id FROM sync_points WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound { kind: "sync point", query: id.to_string() })
}
