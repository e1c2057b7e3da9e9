//! Row-level change recording: the mechanism behind undo and redo of every operation.
//!
//! Every write an operation makes goes through a [`Writer`], which performs it and
//! records a [`Change`]. Undo replays an operation's changes backwards, redo forwards.
//! An insert keeps no copy of the row while it is applied (the row is in its table);
//! undoing it moves the row image into the change, and redoing moves it back. Deletes
//! and updates keep the before (and after) values they need.
//!
//! Invariant: no table uses `ON DELETE CASCADE`; an operation deletes dependent rows
//! itself, through the writer, so that undo can bring every one of them back.

use crate::error::{Error, Result};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::collections::BTreeSet;

/// The tables an operation may change, and so the only names a log entry may name.
pub(crate) const TABLES: &[&str] = &[
    "settings",
    "coders",
    "waves",
    "participants",
    "attributes",
    "attribute_values",
    "documents",
    "turns",
    "codebook_versions",
    "codes",
    "codings",
    "memos",
    "assignments",
    "adjudications",
    "recordings",
    "sync_points",
    "suggestion_rejections",
    "coding_provenance",
    "code_documents",
    "code_totals",
];

/// A row image: column name to value.
pub type Row = Map<String, Json>;

/// One recorded write.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Change {
    Insert {
        table: String,
        key: Json,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        row: Option<Row>,
    },
    Update {
        table: String,
        key: Json,
        before: Row,
        after: Row,
    },
    Delete {
        table: String,
        key: Json,
        row: Row,
    },
}

/// Where the codings some writes touched are: for each coding, the codes its images name
/// (before and after a recode) and its document when an image holds it; a coding's
/// document never changes. Codings whose images do not tell both (an insert keeps no
/// image while its row is in its table; an update's images hold only the columns it
/// changed) are [`CodingPlaces::unresolved`] until their current row is read.
#[derive(Default)]
pub(crate) struct CodingPlaces {
    places: std::collections::BTreeMap<String, (BTreeSet<String>, Option<String>)>,
    unresolved: Vec<String>,
}

impl CodingPlaces {
    /// Notes one write; returns the coding's ID and the codes and document its images
    /// name, or `None` when the write is not to `codings`.
    pub(crate) fn note(&mut self, change: &Change) -> Option<(String, BTreeSet<String>, Option<String>)> {
        let (key, images, partial): (&Json, Vec<&Row>, bool) = match change {
            Change::Insert { table, key, row } if table == "codings" => (key, row.iter().collect(), false),
            Change::Update { table, key, before, after } if table == "codings" => (key, vec![before, after], true),
            Change::Delete { table, key, row } if table == "codings" => (key, vec![row], false),
            _ => return None,
        };
        let id = match key {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        let text = |column: &str| -> Vec<String> {
            images.iter().filter_map(|r| r.get(column).and_then(Json::as_str)).map(str::to_string).collect()
        };
        let codes: BTreeSet<String> = text("code_id").into_iter().collect();
        let document = text("document_id").into_iter().next();
        if document.is_none() || partial {
            self.unresolved.push(id.clone());
        }
        let place = self.places.entry(id.clone()).or_default();
        place.0.extend(codes.iter().cloned());
        if place.1.is_none() {
            place.1.clone_from(&document);
        }
        Some((id, codes, document))
    }

    /// The codings whose current row is still to be read.
    pub(crate) fn unresolved(&self) -> &[String] {
        &self.unresolved
    }

    /// What a coding's current row says: its document and code.
    pub(crate) fn resolve(&mut self, id: &str, document: Option<String>, code: Option<String>) {
        let place = self.places.entry(id.to_string()).or_default();
        place.0.extend(code);
        if place.1.is_none() {
            place.1 = document;
        }
    }

    /// The documents of the codings noted, where known.
    pub(crate) fn documents(&self) -> BTreeSet<String> {
        self.places.values().filter_map(|(_, doc)| doc.clone()).collect()
    }

    /// The (code, document) pairs of the codings noted, and the codes with a coding whose
    /// document is unknown (a row gone without an image), to be counted whole.
    pub(crate) fn pairs(&self) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
        let mut pairs = BTreeSet::new();
        let mut unplaced = BTreeSet::new();
        for (codes, doc) in self.places.values() {
            match doc {
                Some(d) => pairs.extend(codes.iter().map(|c| (c.clone(), d.clone()))),
                None => unplaced.extend(codes.iter().cloned()),
            }
        }
        (pairs, unplaced)
    }
}

fn check_table(table: &str) -> Result<&str> {
    TABLES
        .iter()
        .find(|t| **t == table)
        .copied()
        .ok_or_else(|| Error::Invalid(format!("the operation log names an unknown table \"{table}\"")))
}

fn to_json(v: Value) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Integer(i) => Json::from(i),
        Value::Real(f) => serde_json::Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null),
        Value::Text(s) => Json::String(s),
        Value::Blob(_) => {
            return Err(Error::Invalid("binary values are not recorded in the operation log".into()));
        }
    })
}

fn to_sql(v: &Json) -> Result<Value> {
    Ok(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Integer(*b as i64),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::Text(s.clone()),
        _ => {
            return Err(Error::Invalid("the operation log holds a value that is not a column value".into()));
        }
    })
}

fn quote(col: &str) -> Result<String> {
    if col.is_empty() || !col.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::Invalid(format!("the operation log names an invalid column \"{col}\"")));
    }
    Ok(format!("\"{col}\""))
}

fn read_row(conn: &Connection, table: &str, key: &Json) -> Result<Row> {
    let table = check_table(table)?;
    let mut stmt = conn.prepare_cached(&format!("SELECT * FROM {table} WHERE id = ?1"))?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let mut rows = stmt.query([to_sql(key)?])?;
    let Some(r) = rows.next()? else {
        return Err(Error::Invalid(format!("row {key} of {table} is missing")));
    };
    let mut out = Row::new();
    for (i, name) in names.into_iter().enumerate() {
        out.insert(name, to_json(r.get::<_, Value>(i)?)?);
    }
    Ok(out)
}

fn insert_row(conn: &Connection, table: &str, row: &Row) -> Result<()> {
    let table = check_table(table)?;
    let cols: Vec<String> = row.keys().map(|c| quote(c)).collect::<Result<_>>()?;
    let marks = vec!["?"; cols.len()].join(", ");
    let sql = format!("INSERT INTO {table} ({}) VALUES ({marks})", cols.join(", "));
    let vals: Vec<Value> = row.values().map(to_sql).collect::<Result<_>>()?;
    conn.prepare_cached(&sql)?.execute(params_from_iter(vals))?;
    Ok(())
}

fn set_columns(conn: &Connection, table: &str, key: &Json, values: &Row) -> Result<()> {
    let table = check_table(table)?;
    if values.is_empty() {
        return Ok(());
    }
    let sets: Vec<String> = values.keys().map(|c| Ok(format!("{} = ?", quote(c)?))).collect::<Result<_>>()?;
    let sql = format!("UPDATE {table} SET {} WHERE id = ?", sets.join(", "));
    let mut vals: Vec<Value> = values.values().map(to_sql).collect::<Result<_>>()?;
    vals.push(to_sql(key)?);
    conn.prepare_cached(&sql)?.execute(params_from_iter(vals))?;
    Ok(())
}

fn delete_row(conn: &Connection, table: &str, key: &Json) -> Result<()> {
    let table = check_table(table)?;
    conn.prepare_cached(&format!("DELETE FROM {table} WHERE id = ?1"))?.execute([to_sql(key)?])?;
    Ok(())
}

/// Performs writes inside an open transaction and records each one.
pub struct Writer<'c> {
    conn: &'c Connection,
    changes: Vec<Change>,
}

impl<'c> Writer<'c> {
    pub fn new(conn: &'c Connection) -> Self {
        Writer { conn, changes: Vec::new() }
    }

    /// The connection, for reads inside the operation.
    pub fn conn(&self) -> &'c Connection {
        self.conn
    }

    /// Inserts a row whose `id` column is given among `cols`.
    pub fn insert(&mut self, table: &str, cols: &[(&str, Value)]) -> Result<()> {
        let key = cols
            .iter()
            .find(|(c, _)| *c == "id")
            .map(|(_, v)| to_json(v.clone()))
            .transpose()?
            .ok_or_else(|| Error::Invalid(format!("insert into {table} without an id")))?;
        self.insert_with_key(table, cols, key)
    }

    /// Inserts a row into a table whose integer `id` is assigned by SQLite; returns it.
    pub fn insert_auto(&mut self, table: &str, cols: &[(&str, Value)]) -> Result<i64> {
        self.insert_with_key(table, cols, Json::Null)?;
        let id = self.conn.last_insert_rowid();
        if let Some(Change::Insert { key, .. }) = self.changes.last_mut() {
            *key = Json::from(id);
        }
        Ok(id)
    }

    fn insert_with_key(&mut self, table: &str, cols: &[(&str, Value)], key: Json) -> Result<()> {
        let table = check_table(table)?;
        let names: Vec<String> = cols.iter().map(|(c, _)| quote(c)).collect::<Result<_>>()?;
        let marks = vec!["?"; cols.len()].join(", ");
        let sql = format!("INSERT INTO {table} ({}) VALUES ({marks})", names.join(", "));
        self.conn.prepare_cached(&sql)?.execute(params_from_iter(cols.iter().map(|(_, v)| v)))?;
        self.changes.push(Change::Insert { table: table.to_string(), key, row: None });
        Ok(())
    }

    /// Sets columns of the row with `id = key`, recording the values they had.
    pub fn update(&mut self, table: &str, key: impl Into<Json>, cols: &[(&str, Value)]) -> Result<()> {
        let key = key.into();
        let current = read_row(self.conn, table, &key)?;
        let mut before = Row::new();
        let mut after = Row::new();
        for (c, v) in cols {
            let new = to_json(v.clone())?;
            let old = current.get(*c).cloned().unwrap_or(Json::Null);
            if old != new {
                before.insert(c.to_string(), old);
                after.insert(c.to_string(), new);
            }
        }
        if after.is_empty() {
            return Ok(());
        }
        set_columns(self.conn, table, &key, &after)?;
        self.changes.push(Change::Update { table: table.to_string(), key, before, after });
        Ok(())
    }

    /// Deletes the row with `id = key`, keeping its image for undo.
    pub fn delete(&mut self, table: &str, key: impl Into<Json>) -> Result<()> {
        let key = key.into();
        let row = read_row(self.conn, table, &key)?;
        delete_row(self.conn, table, &key)?;
        self.changes.push(Change::Delete { table: table.to_string(), key, row });
        Ok(())
    }

    /// How many writes were recorded so far.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Whether anything was written.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changes recorded so far.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The recorded changes, in the order they were made.
    pub fn into_changes(self) -> Vec<Change> {
        self.changes
    }
}

/// Reverts `changes` (last first), updating insert records with the rows they removed
/// so that [`redo`] can put them back.
pub fn undo(conn: &Connection, changes: &mut [Change]) -> Result<()> {
    for change in changes.iter_mut().rev() {
        match change {
            Change::Insert { table, key, row } => {
                *row = Some(read_row(conn, table, key)?);
                delete_row(conn, table, key)?;
            }
            Change::Update { table, key, before, .. } => set_columns(conn, table, key, before)?,
            Change::Delete { table, row, .. } => insert_row(conn, table, row)?,
        }
    }
    Ok(())
}

/// Re-applies `changes` (first first) after an [`undo`].
pub fn redo(conn: &Connection, changes: &mut [Change]) -> Result<()> {
    for change in changes.iter_mut() {
        match change {
            Change::Insert { table, row, .. } => {
                let image = row
                    .take()
                    .ok_or_else(|| Error::Invalid(format!("the log has no row to redo an insert into {table}")))?;
                insert_row(conn, table, &image)?;
            }
            Change::Update { table, key, after, .. } => set_columns(conn, table, key, after)?,
            Change::Delete { table, key, .. } => delete_row(conn, table, key)?,
        }
    }
    Ok(())
}
