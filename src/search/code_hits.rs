//! "Code all hits": turning search hits into codings at the extent a researcher
//! chooses, and exporting hits as CSV.
//!
//! The codings are applied by the caller through [`Project::apply_codings`], so the
//! whole batch is one operation and one undo step. Hits in memos and code descriptions
//! are not coded; ranges that would code the same text twice are coded once, and text
//! that already carries the same code from the same coder over the same range is skipped.
//!
//! [`Project::apply_codings`]: crate::store::Project::apply_codings

use super::{Hit, HitKind};
use crate::error::Result;
use crate::store::Project;
use crate::store::ops::NewCoding;
use crate::store::queries::CodingFilter;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

/// How much text each hit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Extent {
    /// The matched words only.
    #[default]
    Hit,
    /// The sentence(s) holding the match.
    Sentence,
    /// The whole speaker turn.
    Turn,
}

impl Extent {
    pub fn parse(s: &str) -> Option<Extent> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hit" | "match" => Some(Extent::Hit),
            "sentence" => Some(Extent::Sentence),
            "turn" | "paragraph" => Some(Extent::Turn),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Extent::Hit => "hit",
            Extent::Sentence => "sentence",
            Extent::Turn => "turn",
        }
    }
}

/// The codings that code every hit in a document with `code_id` at `extent`, without
/// duplicates and without those the project already has (same code, coder and range).
pub fn codings_for_hits(
    project: &Project,
    hits: &[Hit],
    code_id: &str,
    extent: Extent,
    coder: Option<&str>,
) -> Result<Vec<NewCoding>> {
    let coder_name = coder.unwrap_or(project.coder()).to_string();
    let mut ranges: BTreeSet<(String, usize, usize)> = BTreeSet::new();
    for h in hits.iter().filter(|h| h.kind == HitKind::Turn) {
        let (s, e) = match extent {
            Extent::Hit => (h.start, h.end),
            Extent::Sentence => (h.sentence_start, h.sentence_end),
            Extent::Turn => (h.turn_start, h.turn_end),
        };
        if s < e {
            ranges.insert((h.id.clone(), s, e));
        }
    }
    let existing: HashSet<(String, usize, usize)> = project
        .codings(&CodingFilter {
            code_id: Some(code_id.to_string()),
            coder: Some(coder_name.clone()),
            ..Default::default()
        })?
        .into_iter()
        .map(|c| (c.document_id, c.start, c.end))
        .collect();
    Ok(ranges
        .into_iter()
        .filter(|r| !existing.contains(r))
        .map(|(document_id, start, end)| NewCoding {
            document_id,
            start,
            end,
            code_id: code_id.to_string(),
            coder: coder.map(str::to_string),
            memo: None,
            illustrative: false,
        })
        .collect())
}

/// Writes hits as CSV: one row per hit with where it is and its context line.
pub fn write_csv(hits: &[Hit], out: impl std::io::Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| crate::error::Error::Invalid(format!("cannot write the CSV: {e}"));
    w.write_record([
        "kind",
        "document",
        "participant",
        "wave",
        "speaker",
        "title",
        "turn",
        "start",
        "end",
        "before",
        "match",
        "after",
        "id",
    ])
    .map_err(io)?;
    for h in hits {
        let kind = match h.kind {
            HitKind::Turn => "turn",
            HitKind::Memo => "memo",
            HitKind::Code => "code",
        };
        w.write_record([
            kind,
            h.document.as_deref().unwrap_or(""),
            h.participant.as_deref().unwrap_or(""),
            h.wave.as_deref().unwrap_or(""),
            h.speaker.as_deref().unwrap_or(""),
            h.title.as_deref().unwrap_or(""),
            &h.turn.map(|t| t.to_string()).unwrap_or_default(),
            &h.start.to_string(),
            &h.end.to_string(),
            &h.before,
            &h.matched,
            &h.after,
            &h.id,
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|e| crate::error::Error::Invalid(format!("cannot write the CSV: {e}")))?;
    Ok(())
}
