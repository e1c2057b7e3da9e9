//! Participant attributes (age group, site, condition, ...): setting one value by hand and
//! importing a whole table of them, creating participants and attributes as needed. Each
//! public method is one operation: one transaction, one log entry, undoable.

use serde::Serialize;
use serde_json::json;

use super::changes::Writer;
use super::log::Logged;
use super::rows::{ensure_participant, int, s};
use super::{Project, new_id};
use crate::error::{Error, Result};
use crate::model::AttributeKind;
use rusqlite::OptionalExtension;

/// A table of participant attributes read from a file.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeTable {
    /// Where it came from, for the log.
    pub source: String,
    /// Column names and types, in order.
    pub columns: Vec<(String, AttributeKind)>,
    /// Participant label and one value per column (`None` for a missing value).
    pub rows: Vec<(String, Vec<Option<String>>)>,
}

/// The row holding a participant's value of an attribute, if there is one.
pub(crate) fn attribute_value_id(w: &Writer, participant_id: &str, attribute_id: &str) -> Result<Option<String>> {
    Ok(w.conn()
        .query_row(
            "SELECT id FROM attribute_values WHERE participant_id = ?1 AND attribute_id = ?2",
            [participant_id, attribute_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Sets a participant's value of an attribute: updates row `existing`, or inserts one.
pub(crate) fn set_attribute_value(
    w: &mut Writer,
    participant_id: &str,
    attribute_id: &str,
    existing: Option<String>,
    value: &str,
) -> Result<()> {
    match existing {
        Some(id) => w.update("attribute_values", id, &[("value", s(value))]),
        None => w.insert(
            "attribute_values",
            &[
                ("id", s(&new_id())),
                ("participant_id", s(participant_id)),
                ("attribute_id", s(attribute_id)),
                ("value", s(value)),
            ],
        ),
    }
}

impl Project {
    /// Sets (or, with `None`, removes) one attribute value of a participant.
    pub fn set_attribute(
        &mut self,
        participant: &str,
        attribute: &str,
        kind: AttributeKind,
        value: Option<&str>,
    ) -> Result<()> {
        let table = AttributeTable {
            source: "manual entry".into(),
            columns: vec![(attribute.to_string(), kind)],
            rows: vec![(participant.to_string(), vec![value.map(str::to_string)])],
        };
        self.execute("set_attribute", |w, _| {
            write_attributes(w, &table, true)?;
            Ok(Logged {
                value: (),
                summary: format!("Set {attribute} of {participant} to {}", value.unwrap_or("(none)")),
                payload: json!({"participant": participant, "attribute": attribute, "kind": kind, "value": value}),
            })
        })
    }

    /// Imports a table of attributes in one operation, creating participants and
    /// attributes as needed. Missing values leave existing ones untouched.
    pub fn import_attributes(&mut self, table: &AttributeTable) -> Result<()> {
        self.execute("import_attributes", |w, _| {
            write_attributes(w, table, false)?;
            Ok(Logged {
                value: (),
                summary: format!(
                    "Import {} attributes of {} participants from {}",
                    table.columns.len(),
                    table.rows.len(),
                    table.source
                ),
                payload: json!({"source": table.source, "columns": table.columns, "participants": table.rows.iter().map(|r| &r.0).collect::<Vec<_>>()}),
            })
        })
    }
}

fn write_attributes(w: &mut Writer, table: &AttributeTable, clear_missing: bool) -> Result<()> {
    let mut attr_ids = Vec::new();
    for (name, kind) in &table.columns {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid(format!("{}: an attribute column has no name", table.source)));
        }
        let found = find_attribute(w, name)?;
        let id = match found {
            Some((id, k)) => {
                if k != kind.as_str() {
                    w.update("attributes", id.as_str(), &[("kind", s(kind.as_str()))])?;
                }
                id
            }
            None => insert_attribute(w, name, *kind)?,
        };
        attr_ids.push(id);
    }
    for (label, values) in &table.rows {
        let pid = ensure_participant(w, label)?;
        for ((attr_id, (name, kind)), value) in attr_ids.iter().zip(&table.columns).zip(values) {
            let existing = attribute_value_id(w, &pid, attr_id)?;
            match (value.as_deref().map(str::trim).filter(|v| !v.is_empty()), existing) {
                (Some(v), existing) => {
                    let v = kind
                        .validate(v)
                        .map_err(|e| Error::Invalid(format!("{}: {name} of {label}: {e}", table.source)))?;
                    set_attribute_value(w, &pid, attr_id, existing, &v)?;
                }
                (None, Some(id)) if clear_missing => w.delete("attribute_values", id)?,
                (None, _) => {}
            }
        }
    }
    Ok(())
}

/// The attribute named `name` (case ignored): its ID and stored kind.
pub(crate) fn find_attribute(w: &Writer, name: &str) -> Result<Option<(String, String)>> {
    Ok(w.conn()
        .query_row("SELECT id, kind FROM attributes WHERE lower(name) = lower(?1)", [name], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// A new attribute after the last one; its ID.
pub(crate) fn insert_attribute(w: &mut Writer, name: &str, kind: AttributeKind) -> Result<String> {
    let id = new_id();
    let pos: i64 = w.conn().query_row("SELECT coalesce(max(position) + 1, 0) FROM attributes", [], |r| r.get(0))?;
    w.insert("attributes", &[("id", s(&id)), ("name", s(name)), ("kind", s(kind.as_str())), ("position", int(pos))])?;
    Ok(id)
}
