//! The operation log: recording operations, undo, redo and history.
//!
//! Each operation is one transaction that performs its writes through a
//! [`Writer`](super::changes::Writer) and appends one log entry with what was done
//! (`payload`, for history, audit and merging copies) and how to reverse it
//! (`changes`). Undo and redo are linear: undo reverses the newest applied operation,
//! redo re-applies the operation undone last, and a new operation discards what could
//! still have been redone. Undo and redo are themselves logged as marker entries so the
//! history is a complete audit trail.

use super::changes::{self, Change, Writer};
use super::{Project, new_id, now_ms};
use crate::error::{Error, Result};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value as Json;

/// One entry of the operation log.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub seq: i64,
    pub id: String,
    /// What kind of operation: `import_documents`, `create_code`, `apply_coding`, ...,
    /// or `undo` / `redo`.
    pub kind: String,
    /// One line a person can read.
    pub summary: String,
    /// What was done, in the operation's own terms.
    pub payload: Json,
    pub coder: String,
    pub created_at_ms: i64,
    /// `applied`, `undone`, `discarded` or `marker`.
    pub state: String,
    /// For undo and redo entries: the entry they acted on.
    pub target_seq: Option<i64>,
}

/// What an operation hands back to be logged.
pub struct Logged<T> {
    pub value: T,
    pub summary: String,
    pub payload: Json,
}

impl Project {
    /// Runs `f` as one operation of kind `kind`: its writes and its log entry are
    /// committed together, or not at all. An operation that wrote nothing is not logged.
    pub(crate) fn execute<T>(
        &mut self,
        kind: &str,
        f: impl FnOnce(&mut Writer, &str) -> Result<Logged<T>>,
    ) -> Result<T> {
        let coder = self.coder.clone();
        let tx = self.begin_write()?;
        let mut writer = Writer::new(&tx);
        let logged = f(&mut writer, &coder)?;
        if writer.is_empty() {
            return Ok(logged.value);
        }
        super::counts::maintain_counts(&mut writer)?;
        let changes = writer.into_changes();
        record(&tx, kind, &logged.summary, &logged.payload, &changes, &coder)?;
        tx.commit()?;
        Ok(logged.value)
    }

    /// Reverses the newest applied operation; returns its log entry.
    pub fn undo(&mut self) -> Result<LogEntry> {
        self.step(true)
    }

    /// Re-applies the operation undone most recently; returns its log entry.
    pub fn redo(&mut self) -> Result<LogEntry> {
        self.step(false)
    }

    /// The entry that [`Project::undo`] would reverse, if any.
    pub fn undo_target(&self) -> Result<Option<LogEntry>> {
        self.target(true)
    }

    /// The entry that [`Project::redo`] would re-apply, if any.
    pub fn redo_target(&self) -> Result<Option<LogEntry>> {
        self.target(false)
    }

    fn target(&self, undo: bool) -> Result<Option<LogEntry>> {
        let sql = if undo {
            "SELECT seq FROM operations WHERE state = 'applied' ORDER BY seq DESC LIMIT 1"
        } else {
            "SELECT seq FROM operations WHERE state = 'undone' ORDER BY seq ASC LIMIT 1"
        };
        let seq: Option<i64> = self.conn().query_row(sql, [], |r| r.get(0)).optional()?;
        seq.map(|s| self.log_entry(s)).transpose()
    }

    fn step(&mut self, undo: bool) -> Result<LogEntry> {
        let Some(entry) = self.target(undo)? else {
            return Err(if undo { Error::NothingToUndo } else { Error::NothingToRedo });
        };
        if undo && entry.kind == IDENTICAL_CODINGS_REMOVED {
            return Err(Error::Invalid(format!(
                "\"{}\" was done when this project was brought up to date and cannot be undone (the removed codings were identical copies of codings that remain); earlier changes can no longer be undone",
                entry.summary
            )));
        }
        let coder = self.coder.clone();
        let tx = self.begin_write()?;
        let raw: String = tx.query_row("SELECT changes FROM operations WHERE seq = ?1", [entry.seq], |r| r.get(0))?;
        let mut list: Vec<Change> = serde_json::from_str(&raw)?;
        if undo {
            changes::undo(&tx, &mut list)?;
        } else {
            changes::redo(&tx, &mut list)?;
        }
        let (state, kind, verb) = if undo { ("undone", "undo", "Undo") } else { ("applied", "redo", "Redo") };
        tx.execute(
            "UPDATE operations SET state = ?1, changes = ?2 WHERE seq = ?3",
            params![state, serde_json::to_string(&list)?, entry.seq],
        )?;
        tx.execute(
            "INSERT INTO operations (id, kind, summary, payload, changes, coder, created_at, state, target_seq)
             VALUES (?1, ?2, ?3, '{}', '[]', ?4, ?5, 'marker', ?6)",
            params![new_id(), kind, format!("{verb}: {}", entry.summary), coder, now_ms(), entry.seq],
        )?;
        bump_counter(&tx)?;
        tx.commit()?;
        Ok(entry)
    }

    /// One log entry by sequence number.
    pub fn log_entry(&self, seq: i64) -> Result<LogEntry> {
        let mut stmt = self.conn().prepare_cached(&format!("{ENTRY_SELECT} WHERE seq = ?1"))?;
        Ok(stmt.query_row([seq], entry_from_row)?)
    }

    /// The whole operation log, oldest first.
    pub fn history(&self) -> Result<Vec<LogEntry>> {
        let mut stmt = self.conn().prepare(&format!("{ENTRY_SELECT} ORDER BY seq"))?;
        let rows = stmt.query_map([], entry_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The kind of the log entry written when a migration removes identical codings; it
/// cannot be undone, because the unique index it makes way for forbids the copies.
pub(crate) const IDENTICAL_CODINGS_REMOVED: &str = "remove_identical_codings";

/// Appends one applied operation to the log inside `tx` (discarding what could have
/// been redone) and moves the change counter on.
pub(crate) fn record(
    tx: &rusqlite::Transaction,
    kind: &str,
    summary: &str,
    payload: &Json,
    changes: &[Change],
    coder: &str,
) -> Result<()> {
    let changes = serde_json::to_string(changes)?;
    tx.execute("UPDATE operations SET state = 'discarded' WHERE state = 'undone'", [])?;
    tx.execute(
        "INSERT INTO operations (id, kind, summary, payload, changes, coder, created_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'applied')",
        params![new_id(), kind, summary, payload.to_string(), changes, coder, now_ms()],
    )?;
    bump_counter(tx)
}

const ENTRY_SELECT: &str =
    "SELECT seq, id, kind, summary, payload, coder, created_at, state, target_seq FROM operations";

fn entry_from_row(r: &rusqlite::Row) -> rusqlite::Result<LogEntry> {
    let payload: String = r.get(4)?;
    Ok(LogEntry {
        seq: r.get(0)?,
        id: r.get(1)?,
        kind: r.get(2)?,
        summary: r.get(3)?,
        payload: serde_json::from_str(&payload).unwrap_or(Json::Null),
        coder: r.get(5)?,
        created_at_ms: r.get(6)?,
        state: r.get(7)?,
        target_seq: r.get(8)?,
    })
}

fn bump_counter(tx: &rusqlite::Transaction) -> Result<()> {
    tx.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'change_counter'", [])?;
    Ok(())
}
