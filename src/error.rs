//! The library's typed errors. Each says what went wrong, names the file or object
//! involved, and where it can, what to do next.

use std::path::PathBuf;

/// Errors from opening, reading and changing a project.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Project { path: PathBuf, message: String },

    #[error(
        "{path} was written by a newer Codeloom (project schema {found}; this version reads up to {supported}); update Codeloom to open it"
    )]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },

    #[error("{0}")]
    Import(#[from] crate::import::ImportError),

    #[error("no {kind} matches \"{query}\"")]
    NotFound { kind: &'static str, query: String },

    #[error("\"{query}\" matches more than one {kind}: {candidates}; use the ID instead")]
    Ambiguous { kind: &'static str, query: String, candidates: String },

    #[error("{0}")]
    Invalid(String),

    #[error("search query \"{query}\", at character {}: {message}", position + 1)]
    Query { query: String, position: usize, message: String },

    #[error("search index {path}: {message}")]
    SearchIndex { path: PathBuf, message: String },

    #[error("{path} is not a Codeloom search index ({reason}); move it away and Codeloom will build its index there")]
    NotSearchIndex { path: PathBuf, reason: String },

    #[error("nothing to undo")]
    NothingToUndo,

    #[error("nothing to redo")]
    NothingToRedo,

    #[error("project database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("cannot build the {format} export: {message}")]
    Export { format: &'static str, message: String },

    #[error("{path}: {message}")]
    ExportFile { path: PathBuf, message: String },

    #[error("operation log entry is unreadable: {0}")]
    Log(#[from] serde_json::Error),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
