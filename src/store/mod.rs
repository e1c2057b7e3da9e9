//! The project file: one SQLite database that is the source of truth for a study.
//!
//! This module owns opening files ([`open`]: recognising a Codeloom project before
//! changing anything, read-only opens, the damage check, waiting for another writer),
//! the schema and its migrations ([`schema`]), backups ([`backup`]), the operation log
//! with undo and redo ([`log`], built on [`changes`]), the operations that change a
//! project ([`ops`], [`code_ops`], [`attribute_ops`], [`memo_ops`]; the steps of merging another file's work in,
//! [`merge_ops`]; accepting and rejecting suggested codings, [`suggestion_ops`]), the queries that read it ([`queries`], saved codebook versions in
//! [`versions`]), and coder assignments with the record of adjudication decisions
//! ([`adjudication`]). It is the only module that speaks SQL; the modules above it pass
//! and receive plain data.
//!
//! Invariants: a file that is not a Codeloom project is never changed, not even by
//! opening it; every change is one SQLite transaction, begun `IMMEDIATE` so that two
//! writers queue instead of failing, that writes the change and its log entry together;
//! the database runs in WAL mode with foreign keys on; a file from a newer schema is
//! refused, never modified; a damaged file is refused for writing; a migration is
//! preceded by a backup.

pub mod adjudication;
pub mod attribute_ops;
pub mod backup;
pub mod change_set;
pub mod changes;
pub mod code_ops;
pub mod counts;
pub mod interop_ops;
mod locks;
pub mod log;
pub mod media_ops;
pub mod memo_ops;
pub mod merge_ops;
pub mod open;
pub mod ops;
pub mod queries;
mod rows;
pub mod schema;
pub mod search_source;
pub mod suggestion_ops;
pub mod versions;

use crate::error::{Error, Result};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use open::{APPLICATION_ID, is_damage};

/// The coder name used when none is given.
pub const DEFAULT_CODER: &str = "researcher";

/// An open project.
pub struct Project {
    conn: Connection,
    path: PathBuf,
    coder: String,
    /// Opened with [`Project::open_read_only`]: nothing may be written.
    read_only: bool,
    /// The schema version the file had when it was opened read-only (older ones are
    /// read as they are, without migrating).
    schema: i64,
    /// How long a write waits for another process's write, shared with the busy handler.
    wait: Arc<locks::Wait>,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A new time-ordered identifier.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The one rule for the coder that changes are recorded under: the name given (which
/// must not be blank), else `$CODELOOM_CODER`, else `$USER`, else [`DEFAULT_CODER`].
/// Blank environment values count as unset; a blank given name is refused, so that
/// `--as ""` never silently becomes someone else.
pub fn default_coder(given: Option<&str>) -> Result<String> {
    if let Some(name) = given {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid(
                "a coder needs a name: give one (such as --as amara), or leave the option out to use $CODELOOM_CODER or $USER".into(),
            ));
        }
        return Ok(name.to_string());
    }
    Ok(["CODELOOM_CODER", "USER"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_CODER.to_string()))
}

impl Project {
    /// The project file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the project was opened with [`Project::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Sets the coder that subsequent operations are recorded under.
    pub fn set_coder(&mut self, name: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("a coder needs a name".into()));
        }
        self.coder = name.to_string();
        Ok(())
    }

    /// The coder operations are recorded under.
    pub fn coder(&self) -> &str {
        &self.coder
    }

    /// A counter that goes up with every change, undo and redo; derived data (such as
    /// the search index) records it to know when it is stale.
    pub fn change_counter(&self) -> Result<i64> {
        let v = self.meta("change_counter")?.unwrap_or_default();
        v.parse()
            .map_err(|_| Error::Invalid(format!("{}: the project's change counter is corrupt", self.path.display())))
    }

    /// A number that changes whenever another connection (another window or process)
    /// commits to the project file; this connection's own commits leave it alone. It
    /// costs no disk read, so a window may poll it (say once a second) and, when it
    /// changes, compare [`Project::change_counter`] with the value it showed: a new
    /// counter means the project's content changed elsewhere and the view should reload.
    /// (A backup records its time in the file, which moves this number but not the
    /// change counter.)
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// The stable identifier of this project (kept by copies handed to coders).
    pub fn project_id(&self) -> Result<String> {
        self.meta("project_id")?.ok_or_else(|| Error::Project {
            path: self.path.clone(),
            message: "the project has no ID; it is not a Codeloom project".into(),
        })
    }

    /// How long a change waits for another program's change to the same project to
    /// finish before giving up with [`Error::Busy`] (30 s unless `CODELOOM_WAIT_SECONDS`
    /// says otherwise). A window should use a short wait and tell the user.
    pub fn set_busy_wait(&self, wait: std::time::Duration) {
        self.wait.set(wait);
    }

    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// Records a value in the `meta` table (outside the operation log), waiting for
    /// another writer like any write.
    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", [key, value])
            .map_err(|e| locks::busy_or(&self.path, &self.wait, e))?;
        Ok(())
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Begins a write transaction at once (`BEGIN IMMEDIATE`), waiting for another
    /// writer as the busy handler allows; a project opened read-only is refused.
    pub(crate) fn begin_write(&mut self) -> Result<rusqlite::Transaction<'_>> {
        if self.read_only {
            return Err(Error::Project {
                path: self.path.clone(),
                message: "the project was opened read-only; open it for writing to change it".into(),
            });
        }
        let (path, wait) = (self.path.clone(), self.wait.clone());
        self.conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| locks::busy_or(&path, &wait, e))
    }
}

/// The error for a damaged project file at `path`: what was found, and where the last
/// backup is and how to restore it.
pub fn damaged(path: &Path, detail: &str) -> Error {
    let advice = match backup::list(path).ok().and_then(|l| l.into_iter().last()) {
        Some(b) => format!(
            "your last backup is {} (restore it with: codeloom backup restore {} {})",
            b.path.display(),
            path.display(),
            b.name
        ),
        None => format!(
            "there is no backup in {}; keep the file as it is and ask for help recovering it",
            backup::backup_dir(path).display()
        ),
    };
    Error::Damaged { path: path.to_path_buf(), detail: detail.to_string(), advice }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod trust_tests;

/// The path with a suffix added to its file name (`-wal`, `-shm`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
