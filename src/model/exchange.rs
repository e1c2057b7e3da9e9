//! A project read from another tool's exchange file (REFI-QDA `.qdpx`), as plain data
//! with every cross-reference resolved to an index: what the interop reader builds and
//! the store writes in one operation, and the counts of what was stored.

use super::{AttributeKind, CodeDescription, Turn};
use serde::Serialize;

/// A code to create; `parent` indexes an earlier entry of [`ImportPlan::codes`].
#[derive(Debug, Clone, Default)]
pub struct PlanCode {
    /// The REFI GUID as a lowercase UUID, kept as the code's ID when it is free.
    pub guid: Option<String>,
    pub name: String,
    pub parent: Option<usize>,
    pub color: Option<String>,
    pub description: CodeDescription,
}

/// A document to create from a text source or the transcript of a recording.
#[derive(Debug, Clone, Default)]
pub struct PlanDocument {
    pub name: String,
    pub original_name: String,
    /// UTF-8, LF line endings, no BOM.
    pub text: String,
    pub turns: Vec<Turn>,
    pub participant: Option<String>,
    pub wave: Option<String>,
    /// Sync points from the transcript's timed `SyncPoint`s: (char position, ms), positions
    /// and times both strictly increasing, positions within the text.
    pub sync_points: Vec<(usize, u64)>,
}

/// What the project keeps about a recording file, once found and read (as `media` describes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecording {
    /// Relative to the project's folder (with `/`) when `relative`, else absolute.
    pub path: String,
    pub relative: bool,
    pub size: u64,
    pub fingerprint: String,
    /// The container, as a lower-case extension.
    pub format: String,
    pub duration_ms: Option<u64>,
    pub has_video: bool,
}

/// The recording of an audio or video source, and the documents made from its transcripts.
#[derive(Debug, Clone, Default)]
pub struct PlanMedia {
    /// The source's name in the file.
    pub source: String,
    /// Its `path` as written (`internal://…`, `relative:///…`, `absolute:///…`), may be empty.
    pub path: String,
    /// Indexes into [`ImportPlan::documents`].
    pub documents: Vec<usize>,
    /// The file found and read, linked to each of `documents` when the plan is stored.
    pub recording: Option<PlanRecording>,
}

/// A coding over `[start, end)` chars of `documents[document]`.
#[derive(Debug, Clone)]
pub struct PlanCoding {
    pub document: usize,
    pub start: usize,
    pub end: usize,
    pub code: usize,
    pub coder: Option<String>,
    pub memo: Option<String>,
}

/// What a memo from a note is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanTarget {
    Project,
    Document(usize),
    Participant(String),
    Code(usize),
}

/// A memo from a note (or a description that has no other home).
#[derive(Debug, Clone)]
pub struct PlanMemo {
    pub target: PlanTarget,
    pub title: String,
    pub body: String,
    pub coder: Option<String>,
}

/// A participant (from a case) and its attribute values (indexes into `attributes`).
#[derive(Debug, Clone, Default)]
pub struct PlanParticipant {
    pub label: String,
    pub values: Vec<(usize, String)>,
}

/// Everything an import stores, in one operation (`Project::store_qdpx` in the store).
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// The file, for the log.
    pub source: String,
    /// The folder `relative://` paths start from, as the file says (`basePath`).
    pub base_path: Option<String>,
    pub coders: Vec<String>,
    /// Parents before children.
    pub codes: Vec<PlanCode>,
    pub attributes: Vec<(String, AttributeKind)>,
    pub participants: Vec<PlanParticipant>,
    pub documents: Vec<PlanDocument>,
    pub codings: Vec<PlanCoding>,
    pub memos: Vec<PlanMemo>,
    /// Recordings of audio and video sources.
    pub media: Vec<PlanMedia>,
}

/// How many of each thing came across.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub coders: usize,
    pub codes: usize,
    pub documents: usize,
    pub participants: usize,
    pub attributes: usize,
    pub attribute_values: usize,
    pub waves: usize,
    pub codings: usize,
    pub memos: usize,
    /// Documents linked to a recording.
    pub recordings: usize,
    pub sync_points: usize,
}
