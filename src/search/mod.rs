//! Full-text search over a project: every turn of every document, memos and code
//! descriptions, in a tantivy index that is derived from the project file and can be
//! thrown away and rebuilt at any time.
//!
//! - [`schema`]: the index fields and the word analysis (UAX #29 words, lower-cased,
//!   typographic apostrophes read as `'`, possessives, contractions and hyphenated
//!   compounds also under the forms researchers type, and an English-stemmed copy)
//!   shared by indexing, querying and highlighting.
//! - [`query`]: the query language researchers type, parsed with errors that point at
//!   the problem, bounded in length and nesting.
//! - `compile`: parsed queries into tantivy queries and highlight matchers.
//! - [`index`]: the index beside the project file (`NAME.codeloom.search/`), stamped
//!   with its schema version, the project's ID and the operation log entry it reflects;
//!   brought up to date from the project's change set (what the operations since then
//!   wrote), rebuilt when missing, stale in schema, foreign, damaged or when the project's
//!   history is not the one indexed; read without writing when it is up to date, built
//!   in memory when its folder cannot be written.
//! - `catalog`: what the index knows besides words (documents by number in document
//!   order, participants and their attributes, waves, codes, coders), kept in a file
//!   the stamp names and written only when it changes, so that a search asks the
//!   project for nothing but the text it shows and an update after one coding rewrites
//!   only the small stamp.
//! - `build`: writing a whole project, or what a change set names, into the index.
//! - [`folder`]: the index folder: whose it is (only a stamped folder is ever cleared),
//!   the lock that lets one process update it while others wait, and the read-only
//!   directory readers use.
//! - `tally`: the collector that counts hits per document from fast fields and keeps
//!   the passages of the page asked for.
//! - `run`: running queries into counted, ordered, highlighted results; the text of the
//!   turns shown is read from the project.
//! - [`highlight`]: exact char offsets of every match (word, stem, phrase, prefix,
//!   fuzzy) and keyword-in-context lines.
//! - [`code_hits`]: "code all hits" at hit, sentence or turn extent, and CSV export.
//! - [`service`]: a background thread that owns an index for the GUI, so that
//!   building and searching never block a frame.
//!
//! Invariants: the index holds nothing the project file does not (and no turn's text:
//! the index is the words, not a second copy of the transcripts); every offset this
//! module hands out is a char offset into the stored document text (for turns) or into
//! the memo or code text (for those); byte offsets from tantivy never leave
//! [`highlight`]; Codeloom deletes nothing at the index folder's name that does not
//! carry its stamp; every error about the index names its folder.

mod build;
mod catalog;
pub mod code_hits;
mod compile;
pub mod folder;
pub mod highlight;
pub mod index;
pub mod query;
mod run;
pub mod schema;
pub mod service;
mod tally;

pub use code_hits::{Extent, codings_for_hits, write_csv};
pub use index::{SearchIndex, index_dir};
pub use service::{Service, Status};

use serde::Serialize;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best matches first (BM25).
    #[default]
    Relevance,
    /// By participant, wave and document, then by position in the document.
    Document,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        match s.trim().to_ascii_lowercase().as_str() {
            "relevance" | "score" => Some(Sort::Relevance),
            "document" | "documents" | "position" => Some(Sort::Document),
            _ => None,
        }
    }
}

/// How to run a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchOptions {
    /// Match exact word forms instead of stems.
    pub exact: bool,
    pub sort: Sort,
    /// At most this many hits (the first page); `None` for all of them.
    pub limit: Option<usize>,
    /// About how many characters of context either side of a match.
    pub context_chars: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { exact: false, sort: Sort::Relevance, limit: Some(100), context_chars: 60 }
    }
}

/// What a hit is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HitKind {
    Turn,
    Memo,
    Code,
}

/// One match, with where it is and its context line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub kind: HitKind,
    /// The document ID (turns), memo ID or code ID.
    pub id: String,
    /// Document name, participant and wave (turns).
    pub document: Option<String>,
    pub participant: Option<String>,
    pub wave: Option<String>,
    pub speaker: Option<String>,
    /// A memo's title or a code's name.
    pub title: Option<String>,
    /// The turn's ordinal in its document.
    pub turn: Option<usize>,
    /// The match: char range in the document text (or memo/code text), half-open.
    pub start: usize,
    pub end: usize,
    /// True when the passage matched without any highlighted word (a query of filters
    /// only, or a NOT); then the match is the whole turn.
    pub whole_passage: bool,
    /// The turn (or memo/code text) holding the match.
    pub turn_start: usize,
    pub turn_end: usize,
    /// The sentence(s) holding the match, within the turn.
    pub sentence_start: usize,
    pub sentence_end: usize,
    /// The context line: text before, the match, text after.
    pub before: String,
    pub matched: String,
    pub after: String,
    /// Relevance score (0 when sorted by document).
    pub score: f32,
}

/// A number of matching passages (turns, memos, code descriptions) for one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    /// Document ID, participant label or wave name.
    pub key: String,
    pub label: String,
    pub passages: usize,
}

/// How many passages match, in all and per document, participant and wave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub passages: usize,
    pub documents: Vec<CountRow>,
    pub participants: Vec<CountRow>,
    pub waves: Vec<CountRow>,
    /// Matching memos and code descriptions.
    pub other: usize,
}

/// The answer to a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub hits: Vec<Hit>,
    pub counts: Counts,
    /// More hits exist than the limit let through.
    pub more: bool,
}

/// Progress of building or updating the index: documents done of total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// What an update did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateReport {
    /// Why the index was rebuilt from nothing, if it was.
    pub rebuilt_because: Option<String>,
    /// Documents (re)indexed.
    pub indexed: usize,
    /// Documents dropped from the index.
    pub removed: usize,
    /// Memos and code descriptions indexed.
    pub extras: usize,
    /// Documents in the index now.
    pub documents: usize,
}

#[cfg(test)]
mod tests;
