//! The row helpers every store operation shares, at the bottom of the store's files so
//! that the operation files ([`super::ops`], [`super::memo_ops`], [`super::attribute_ops`],
//! [`super::media_ops`], ...) need not import each other: SQL values, the coder and
//! participant rows made on first use, and a document's name and length.

use super::changes::Writer;
use super::{new_id, now_ms};
use crate::error::{Error, Result};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

/// A text value for a row ([`Writer::insert`], [`Writer::update`]).
pub(crate) fn s(v: &str) -> Value {
    Value::Text(v.to_string())
}

/// A text value, or NULL for `None`.
pub(crate) fn opt(v: Option<&str>) -> Value {
    v.map(s).unwrap_or(Value::Null)
}

/// An integer value (one too large for SQLite is stored as `i64::MAX`).
pub(crate) fn int(v: impl TryInto<i64>) -> Value {
    Value::Integer(v.try_into().unwrap_or(i64::MAX))
}

/// The ID of the coder named `name`, created if there is none.
pub fn ensure_coder(w: &mut Writer, name: &str) -> Result<String> {
    ensure_named(w, "coders", "name", name)
}

/// The ID of the participant labelled `label`, created if there is none.
pub(crate) fn ensure_participant(w: &mut Writer, label: &str) -> Result<String> {
    ensure_named(w, "participants", "label", label)
}

/// The ID of the row of `table` (coders or participants) whose `column` is `value`,
/// created with a new ID and the time now if there is none.
fn ensure_named(w: &mut Writer, table: &str, column: &str, value: &str) -> Result<String> {
    let found: Option<String> =
        w.conn().query_row(&format!("SELECT id FROM {table} WHERE {column} = ?1"), [value], |r| r.get(0)).optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    let id = new_id();
    w.insert(table, &[("id", s(&id)), (column, s(value)), ("created_at", int(now_ms()))])?;
    Ok(id)
}

/// A document's name and length in characters.
pub(crate) fn document_info(conn: &Connection, id: &str) -> Result<(String, usize)> {
    conn.query_row("SELECT name, char_count FROM documents WHERE id = ?1", [id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
    })
    .optional()?
    .ok_or_else(|| Error::NotFound { kind: "document", query: id.to_string() })
}
