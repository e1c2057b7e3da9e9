//! The project file: one SQLite database that is the source of truth for a study.
//!
//! This module owns the schema and its migrations ([`schema`]), the operation log with
//! undo and redo ([`log`], built on [`changes`]), the operations that change a project
//! ([`ops`]) and the queries that read it ([`queries`]).
//!
//! Invariants: every change is one SQLite transaction that writes the change and its
//! log entry together; the database runs in WAL mode with foreign keys on; a file from
//! a newer schema is refused, never modified.

pub mod adjudication;
pub mod change_set;
pub mod changes;
pub mod code_ops;
pub mod counts;
pub mod interop_ops;
pub mod log;
pub mod ops;
pub mod queries;
pub mod schema;

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The coder name used when none is given.
pub const DEFAULT_CODER: &str = "researcher";

/// An open project.
pub struct Project {
    conn: Connection,
    path: PathBuf,
    coder: String,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A new time-ordered identifier.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Project {
    /// Creates a new, empty project file. Fails if `path` exists.
    pub fn create(path: &Path) -> Result<Project> {
        if path.exists() {
            return Err(Error::Project {
                path: path.to_path_buf(),
                message: "a file already exists there; choose another name or open it".into(),
            });
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(Error::Project {
                path: path.to_path_buf(),
                message: format!("the folder {} does not exist", dir.display()),
            });
        }
        let conn = Connection::open(path).map_err(|e| project_error(path, e))?;
        let mut project = Project::configure(conn, path)?;
        project.migrate()?;
        let tx = project.conn.transaction()?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('project_id', ?1)", [new_id()])?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('created_at', ?1)", [now_ms().to_string()])?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('change_counter', '0')", [])?;
        tx.commit()?;
        Ok(project)
    }

    /// Opens an existing project file, bringing an older schema up to date.
    pub fn open(path: &Path) -> Result<Project> {
        if !path.is_file() {
            return Err(Error::Project {
                path: path.to_path_buf(),
                message: if path.exists() { "not a file".into() } else { "no such project file".into() },
            });
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| project_error(path, e))?;
        let mut project = Project::configure(conn, path)?;
        project.migrate()?;
        let has_meta: Option<String> =
            project.conn.query_row("SELECT value FROM meta WHERE key = 'project_id'", [], |r| r.get(0)).optional()?;
        if has_meta.is_none() {
            return Err(Error::Project { path: path.to_path_buf(), message: "not a Codeloom project".into() });
        }
        Ok(project)
    }

    fn configure(conn: Connection, path: &Path) -> Result<Project> {
        let check = |conn: &Connection| -> rusqlite::Result<()> {
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            // Reading the schema fails here if the file is not a database at all.
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            Ok(())
        };
        check(&conn).map_err(|e| project_error(path, e))?;
        Ok(Project { conn, path: path.to_path_buf(), coder: DEFAULT_CODER.to_string() })
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > schema::SCHEMA_VERSION {
            return Err(Error::NewerSchema {
                path: self.path.clone(),
                found: version,
                supported: schema::SCHEMA_VERSION,
            });
        }
        if version == 0 {
            let tables: i64 =
                self.conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))?;
            if tables > 0 {
                return Err(Error::Project {
                    path: self.path.clone(),
                    message: "this SQLite database is not a Codeloom project".into(),
                });
            }
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The project file's path.
    pub fn path(&self) -> &Path {
        &self.path
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
        let v: String = self.conn.query_row("SELECT value FROM meta WHERE key = 'change_counter'", [], |r| r.get(0))?;
        v.parse().map_err(|_| Error::Invalid("the project's change counter is corrupt".into()))
    }

    /// The stable identifier of this project (kept by copies handed to coders).
    pub fn project_id(&self) -> Result<String> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = 'project_id'", [], |r| r.get(0))?)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

fn project_error(path: &Path, e: rusqlite::Error) -> Error {
    let message = match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            "not a Codeloom project (the file is not a SQLite database)".to_string()
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::CannotOpen => {
            "cannot open the file (check that it exists and that you may read and write it)".to_string()
        }
        _ => format!("cannot open the project: {e}"),
    };
    Error::Project { path: path.to_path_buf(), message }
}

#[cfg(test)]
mod tests;
