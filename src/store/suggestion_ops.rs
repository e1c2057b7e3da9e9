//! Accepting and rejecting suggested codings (the suggestions themselves are computed in
//! `suggest`). Each public method that changes the project is one operation: one
//! transaction, one log entry, undoable and redoable.
//!
//! An accepted suggestion becomes an ordinary coding by the coder who accepted it, and a
//! provenance row records which model version suggested it, with what score, who
//! accepted it and when. A rejection is remembered with the same details, so that the
//! passage is not suggested again for that code and teaches the model as a negative.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::changes::Writer;
use super::log::Logged;
use super::ops::{
    CodingRow, code_name, current_version, document_info, ensure_coder, identical_coding, insert_coding_row, int, s,
};
use super::{Project, new_id, now_ms};
use crate::error::{Error, Result};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row};

/// A suggested coding a coder accepts or rejects: the passage, the code, and the model
/// version and score it was suggested with. The boundaries may have been adjusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedCoding {
    pub document_id: String,
    pub code_id: String,
    pub start: usize,
    pub end: usize,
    /// The model that suggested it (`linear-1 @ log 42`).
    pub model_version: String,
    /// The model's score, 0 to 1.
    pub score: f64,
}

/// A remembered rejection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub id: String,
    pub document_id: String,
    pub code_id: String,
    pub start: usize,
    pub end: usize,
    /// The coder who rejected it.
    pub coder: String,
    pub model_version: String,
    pub score: f64,
    pub at_ms: i64,
}

/// Where a coding came from when it was an accepted suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub coding_id: String,
    pub model_version: String,
    pub score: f64,
    /// The coder who accepted it (the coding's coder).
    pub accepted_by: String,
    pub accepted_at_ms: i64,
}

/// Refuses a suggestion whose range, code, model version or score is not valid.
fn check(w: &Writer, sc: &SuggestedCoding) -> Result<String> {
    let (doc, len) = document_info(w.conn(), &sc.document_id)?;
    crate::model::check_range(sc.start, sc.end, len).map_err(Error::Invalid)?;
    code_name(w.conn(), &sc.code_id)?;
    if !(0.0..=1.0).contains(&sc.score) {
        return Err(Error::Invalid(format!("a suggestion's score must be between 0 and 1, not {}", sc.score)));
    }
    if sc.model_version.trim().is_empty() {
        return Err(Error::Invalid("a suggestion needs the model version that made it".into()));
    }
    Ok(doc)
}

/// Writes one accepted suggestion: the coding by `coder` and its provenance row.
fn accept_one(w: &mut Writer, coder: &str, version: Option<&str>, sc: &SuggestedCoding) -> Result<String> {
    let doc = check(w, sc)?;
    let coder_id = ensure_coder(w, coder)?;
    if identical_coding(w.conn(), &sc.document_id, sc.start, sc.end, &sc.code_id, &coder_id)?.is_some() {
        let code = code_name(w.conn(), &sc.code_id)?;
        return Err(Error::Invalid(format!(
            "{coder} has already coded {doc} [{}, {}) as {code}; the suggestion was not accepted again",
            sc.start, sc.end
        )));
    }
    let at = now_ms();
    let coding_id = insert_coding_row(
        w,
        &CodingRow {
            id: None,
            document_id: &sc.document_id,
            start: sc.start,
            end: sc.end,
            code_id: &sc.code_id,
            coder_id: &coder_id,
            codebook_version_id: version,
            memo: None,
            illustrative: false,
            created_at_ms: at,
        },
    )?;
    w.insert(
        "coding_provenance",
        &[
            ("id", s(&new_id())),
            ("coding_id", s(&coding_id)),
            ("model_version", s(&sc.model_version)),
            ("score", Value::Real(sc.score)),
            ("accepted_by", s(&coder_id)),
            ("accepted_at", int(at)),
        ],
    )?;
    Ok(coding_id)
}

fn rejection_from_row(r: &Row) -> rusqlite::Result<Rejection> {
    Ok(Rejection {
        id: r.get(0)?,
        document_id: r.get(1)?,
        code_id: r.get(2)?,
        start: r.get::<_, i64>(3)? as usize,
        end: r.get::<_, i64>(4)? as usize,
        coder: r.get(5)?,
        model_version: r.get(6)?,
        score: r.get(7)?,
        at_ms: r.get(8)?,
    })
}

/// The schema that added rejections and provenance.
const SUGGESTIONS_SCHEMA: i64 = 6;

const REJECTION_COLS: &str =
    "r.id, r.document_id, r.code_id, r.start, r.\"end\", k.name, r.model_version, r.score, r.created_at";

impl Project {
    /// Accepts suggestions as codings by the current coder, with their provenance, in
    /// one operation (one undo step): one suggestion, or every suggestion above a
    /// threshold. Returns the new codings' IDs, in order. A suggestion the coder has
    /// already coded identically is refused, and nothing is written.
    pub fn accept_suggestions(&mut self, suggestions: &[SuggestedCoding]) -> Result<Vec<String>> {
        if suggestions.is_empty() {
            return Ok(Vec::new());
        }
        self.execute("accept_suggestions", |w, coder| {
            let version = current_version(w.conn())?;
            let mut ids = Vec::with_capacity(suggestions.len());
            for sc in suggestions {
                ids.push(accept_one(w, coder, version.as_deref(), sc)?);
            }
            let summary = match suggestions {
                [one] => {
                    let (doc, _) = document_info(w.conn(), &one.document_id)?;
                    let code = code_name(w.conn(), &one.code_id)?;
                    format!("Accept suggestion: code {doc} [{}, {}) as {code}", one.start, one.end)
                }
                many => format!("Accept {} suggestions", many.len()),
            };
            Ok(Logged { summary, payload: json!({"ids": ids, "suggestions": suggestions}), value: ids })
        })
    }

    /// Accepts one suggestion (see [`Project::accept_suggestions`]); returns the coding's ID.
    pub fn accept_suggestion(&mut self, suggestion: &SuggestedCoding) -> Result<String> {
        let mut ids = self.accept_suggestions(std::slice::from_ref(suggestion))?;
        ids.pop().ok_or_else(|| Error::Invalid("the suggestion was not stored".into()))
    }

    /// Rejects suggestions as the current coder, in one operation; they are remembered and
    /// never suggested again. Returns the rejections' IDs.
    pub fn reject_suggestions(&mut self, suggestions: &[SuggestedCoding]) -> Result<Vec<String>> {
        if suggestions.is_empty() {
            return Ok(Vec::new());
        }
        self.execute("reject_suggestions", |w, coder| {
            let coder_id = ensure_coder(w, coder)?;
            let mut ids = Vec::with_capacity(suggestions.len());
            for sc in suggestions {
                check(w, sc)?;
                let id = new_id();
                w.insert(
                    "suggestion_rejections",
                    &[
                        ("id", s(&id)),
                        ("document_id", s(&sc.document_id)),
                        ("code_id", s(&sc.code_id)),
                        ("start", int(sc.start)),
                        ("end", int(sc.end)),
                        ("coder_id", s(&coder_id)),
                        ("model_version", s(&sc.model_version)),
                        ("score", Value::Real(sc.score)),
                        ("created_at", int(now_ms())),
                    ],
                )?;
                ids.push(id);
            }
            let summary = match suggestions {
                [one] => {
                    let (doc, _) = document_info(w.conn(), &one.document_id)?;
                    let code = code_name(w.conn(), &one.code_id)?;
                    format!("Reject suggestion: {doc} [{}, {}) as {code}", one.start, one.end)
                }
                many => format!("Reject {} suggestions", many.len()),
            };
            Ok(Logged { summary, payload: json!({"ids": ids, "suggestions": suggestions}), value: ids })
        })
    }

    /// Rejects one suggestion (see [`Project::reject_suggestions`]); returns the rejection's ID.
    pub fn reject_suggestion(&mut self, suggestion: &SuggestedCoding) -> Result<String> {
        let mut ids = self.reject_suggestions(std::slice::from_ref(suggestion))?;
        ids.pop().ok_or_else(|| Error::Invalid("the rejection was not stored".into()))
    }

    /// Every remembered rejection, by document and position (none in a file of a schema
    /// before 6 opened read-only, which cannot hold any).
    pub fn suggestion_rejections(&self) -> Result<Vec<Rejection>> {
        if self.opened_schema() < SUGGESTIONS_SCHEMA {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {REJECTION_COLS} FROM suggestion_rejections r JOIN coders k ON k.id = r.coder_id
             ORDER BY r.document_id, r.start, r.\"end\", r.id"
        ))?;
        let rows = stmt.query_map([], rejection_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The IDs of the codings that are accepted suggestions (with a provenance row).
    pub fn accepted_suggestion_codings(&self) -> Result<std::collections::HashSet<String>> {
        if self.opened_schema() < SUGGESTIONS_SCHEMA {
            return Ok(Default::default());
        }
        let mut stmt = self.conn().prepare_cached("SELECT coding_id FROM coding_provenance")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The provenance of a coding that was an accepted suggestion (`None` for a coding made by hand).
    pub fn coding_provenance(&self, coding_id: &str) -> Result<Option<Provenance>> {
        if self.opened_schema() < SUGGESTIONS_SCHEMA {
            return Ok(None);
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT p.coding_id, p.model_version, p.score, k.name, p.accepted_at
             FROM coding_provenance p JOIN coders k ON k.id = p.accepted_by WHERE p.coding_id = ?1",
        )?;
        Ok(stmt
            .query_row([coding_id], |r| {
                Ok(Provenance {
                    coding_id: r.get(0)?,
                    model_version: r.get(1)?,
                    score: r.get(2)?,
                    accepted_by: r.get(3)?,
                    accepted_at_ms: r.get(4)?,
                })
            })
            .optional()?)
    }
}
