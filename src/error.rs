//! The library's typed errors. Each says what went wrong, names the file or object
//! involved, and where it can, what to do next.

use std::path::{Path, PathBuf};

/// Errors from opening, reading and changing a project.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Project { path: PathBuf, message: String },

    #[error(
        "{path} was written by a newer Codeloom (project schema {found}; this version reads up to {supported}); update Codeloom to open it"
    )]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },

    #[error(transparent)]
    Import(#[from] ImportError),

    #[error(transparent)]
    Media(#[from] MediaError),

    #[error(transparent)]
    Embedding(#[from] EmbeddingError),

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

    /// A database error that names no file; [`Error::in_project`] names it. It keeps
    /// SQLite's message but is not a `source`, so that a report of the error chain says
    /// the thing once.
    #[error("project database error: {}", sqlite_message(.0))]
    Sqlite(rusqlite::Error),

    #[error(
        "{path}: the project is busy: {holder} kept it locked for the {waited_s} s Codeloom waited; try again when it has finished"
    )]
    Busy { path: PathBuf, holder: String, waited_s: u64 },

    #[error("{path}: the project file is damaged ({detail}); {advice}")]
    Damaged { path: PathBuf, detail: String, advice: String },

    #[error(
        "{path}: Codeloom cannot change a project in the read-only folder {folder} (SQLite must create {name}-wal and {name}-shm beside it); copy the project to a folder you may write to, or use a command that only reads (docs, show, codings, export, ...)",
        folder = .path.parent().map(|p| p.display().to_string()).unwrap_or_default(),
        name = .path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    )]
    ReadOnlyFolder { path: PathBuf },

    #[error("cannot build the {format} export: {message}")]
    Export { format: &'static str, message: String },

    #[error("{path}: {message}")]
    ExportFile { path: PathBuf, message: String },

    /// Not a `source`, for the same reason as [`Error::Sqlite`].
    #[error("operation log entry is unreadable: {0}")]
    Log(serde_json::Error),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Log(e)
    }
}

/// Whether a database error means the file is damaged (corrupt, or not a database at
/// all). The store turns such an error into [`Error::Damaged`], naming the last backup.
pub fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase))
}

/// SQLite's own words for an error, once: rusqlite's message when it has one, else the
/// primary error's description.
pub fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) if !m.is_empty() => m.clone(),
        rusqlite::Error::SqliteFailure(f, _) => f.to_string(),
        rusqlite::Error::FromSqlConversionFailure(col, ty, inner) => {
            format!("column {col} holds a {ty} value that cannot be read: {inner}")
        }
        other => other.to_string(),
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is binary, not text (is the extension right?)")]
    Binary,
    #[error("unsupported file type \"{0}\" (Codeloom imports .txt, .md, .docx, .odt, .rtf, .pdf, .vtt and .srt)")]
    Unsupported(String),
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    #[error("{0}")]
    Malformed(String),
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("no text found: {0}")]
    NoText(String),
    /// A parser failed on the file (a caught panic): the file is corrupt or unusual.
    #[error("{0}")]
    ReaderFailed(String),
}

/// A file that could not be imported, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct ImportError {
    pub path: PathBuf,
    pub reason: ExtractError,
}

impl ImportError {
    pub fn new(path: &Path, reason: ExtractError) -> Self {
        ImportError { path: path.to_path_buf(), reason }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a recording cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaProblem {
    #[error("the file is not there (moved, renamed or on a drive that is not connected?)")]
    Missing,
    #[error("not a regular file")]
    NotAFile,
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    #[error(
        "unsupported file type \"{0}\" (Codeloom plays .wav, .mp3, .m4a, .aac, .flac, .ogg, and the sound of .mp4, .mov, .mkv and .webm)"
    )]
    UnsupportedType(String),
    #[error("the sound is stored as {0}, which Codeloom cannot play yet; convert it (for example to .m4a or .wav)")]
    UnsupportedCodec(String),
    #[error("the file holds no sound track")]
    NoSound,
    #[error("the file is damaged or not what its name says: {0}")]
    Corrupt(String),
}

/// A recording that cannot be used, naming the file and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct MediaError {
    pub path: PathBuf,
    pub problem: MediaProblem,
}

impl MediaError {
    pub fn new(path: &Path, problem: MediaProblem) -> Self {
        MediaError { path: path.to_path_buf(), problem }
    }
}

/// Why a sentence-embedding model folder cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbeddingProblem {
    #[error("the file is not there (a model folder holds model.safetensors and tokenizer.json, in model2vec's layout)")]
    Missing,
    #[error("the folder is not there (moved, renamed or on a drive that is not connected?)")]
    NoFolder,
    #[error("not a folder (choose the folder that holds model.safetensors and tokenizer.json)")]
    NotAFolder,
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    #[error("the file is {bytes} bytes, more than the {limit} a model file may have")]
    TooLarge { bytes: u64, limit: u64 },
    #[error("not a safetensors file: {0}")]
    NotSafetensors(String),
    #[error("{0}")]
    NoMatrix(String),
    #[error("wrong shape: {0}")]
    Shape(String),
    #[error("the tensor {tensor} holds {dtype} values; Codeloom reads {expected}")]
    Dtype { tensor: String, dtype: String, expected: &'static str },
    #[error("the tensor {tensor} holds a value that is not a finite number (at value {at})")]
    NotFinite { tensor: String, at: usize },
    #[error("not UTF-8 text (the bytes at {at} are not UTF-8): a tokenizer.json is JSON text")]
    TokenizerNotUtf8 { at: usize },
    #[error("not a tokenizer Codeloom can read: {0}")]
    Tokenizer(String),
    #[error(
        "the tokenizer has token IDs up to {largest}, but the model has vectors for only {rows} tokens: tokenizer.json and model.safetensors do not belong together"
    )]
    VocabularyTooLarge { largest: u32, rows: usize },
}

/// A model folder or file that cannot be used, naming the file and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct EmbeddingError {
    pub path: PathBuf,
    pub problem: EmbeddingProblem,
}

impl EmbeddingError {
    pub fn new(path: &Path, problem: EmbeddingProblem) -> Self {
        EmbeddingError { path: path.to_path_buf(), problem }
    }
}
