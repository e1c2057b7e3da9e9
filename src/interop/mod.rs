//! Exchanging whole projects with other qualitative-analysis tools through the
//! REFI-QDA standard (`.qdpx`: a zip holding `project.qde` and a `sources/` folder).
//!
//! This module owns the reading and writing of those files and the import report:
//! [`qdpx_import`] reads a `.qdpx` from NVivo, ATLAS.ti, MAXQDA, QualCoder and others
//! into an [`ImportPlan`] (tolerating the quirks listed in `../shared/design/REFI-QDA.md`)
//! which the store writes in one operation; [`qdpx_export`] writes a project as a
//! schema-valid `.qdpx`; [`codes`] reads and writes the REFI `<Codes>` tree for both
//! projects and codebooks (`.qdc`, which the codebook module reads through it); [`xml`] reads REFI XML
//! into a bounded, namespace-tolerant tree.
//!
//! What maps where: users ↔ coders; codes (hierarchy, colour, description) ↔ codes;
//! text sources ↔ documents; text selections with codings ↔ codings; audio and video
//! sources ↔ documents with a linked recording (one per transcript), their timed sync
//! points ↔ sync points, transcript selections ↔ codings ([`qdpx_media`] finds, unpacks and
//! reads the recordings); cases with variable values ↔ participants with attributes; sets
//! named `Wave: …` ↔ waves; notes ↔ memos. Everything else (other sets, links, graphs, PDF
//! and picture sources, selections of recordings by time, selections that cannot be placed,
//! recordings not found) is listed in the [`QdpxReport`], never dropped silently.

pub mod codes;
pub mod qdpx_export;
pub mod qdpx_import;
pub mod qdpx_media;
pub mod xml;

use crate::error::{Error, Result};
use crate::model::CodeDescription;
use serde::Serialize;

pub use crate::model::exchange::{
    ImportCounts, ImportPlan, PlanCode, PlanCoding, PlanDocument, PlanMedia, PlanMemo, PlanParticipant, PlanRecording,
    PlanTarget,
};
pub use qdpx_export::{ExportReport, export_qdpx};
pub use qdpx_import::{import_qdpx, new_project_from_qdpx, read_qdpx};
pub use qdpx_media::RecordingOutcome;
pub use xml::{Element, MAX_CODE_DEPTH, MAX_XML_DEPTH, parse_xml};

/// The namespace of REFI-QDA project files.
pub const PROJECT_NS: &str = "urn:QDA-XML:project:1.0";

/// Sets whose name starts with this (case-insensitively) are waves.
pub const WAVE_SET_PREFIX: &str = "Wave: ";

// ---------------------------------------------------------------------------------------
// The import report.

/// How a source's start/end positions were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionUnit {
    /// Unicode code points over the file text, a CRLF line break counting as two.
    CodePoints,
    /// Code points, a CRLF line break counting as one (ATLAS.ti on Windows).
    CodePointsCrlfAsOne,
    /// UTF-16 code units, CRLF as two (NVivo for Windows, JavaScript tools).
    Utf16,
    /// UTF-16 code units, CRLF as one.
    Utf16CrlfAsOne,
}

impl PositionUnit {
    pub fn describe(self) -> &'static str {
        match self {
            PositionUnit::CodePoints => "code points (CRLF = 2)",
            PositionUnit::CodePointsCrlfAsOne => "code points (CRLF = 1)",
            PositionUnit::Utf16 => "UTF-16 units (CRLF = 2)",
            PositionUnit::Utf16CrlfAsOne => "UTF-16 units (CRLF = 1)",
        }
    }
}

/// The reading of positions chosen for one source, and how well it fits.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReading {
    pub source: String,
    pub unit: PositionUnit,
    /// Whether the text gave a choice at all (it has CRLF or characters outside the BMP).
    pub ambiguous: bool,
    pub selections: usize,
    /// Selections inside the text under this reading.
    pub placed: usize,
    /// Selections whose ends fall on word boundaries (or match their quoted text).
    pub clean: usize,
}

/// A text selection that could not be placed in a document.
#[derive(Debug, Clone, Serialize)]
pub struct Unplaced {
    pub source: String,
    pub selection: String,
    pub name: String,
    pub start: i64,
    pub end: i64,
    pub codings: usize,
    pub reason: String,
}

/// Something in the file with no home in a Codeloom project.
#[derive(Debug, Clone, Serialize)]
pub struct NotImported {
    pub what: String,
    pub count: usize,
    pub reason: String,
}

/// The report of one `.qdpx` import: what came across and what could not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QdpxReport {
    pub file: String,
    /// The producing tool as the file says (`origin`).
    pub origin: String,
    pub project_name: String,
    pub imported: ImportCounts,
    pub readings: Vec<SourceReading>,
    pub unplaced: Vec<Unplaced>,
    pub not_imported: Vec<NotImported>,
    /// The recording of every audio and video source: linked, or why not.
    pub recordings: Vec<RecordingOutcome>,
    pub warnings: Vec<String>,
}

impl QdpxReport {
    pub(crate) fn not_imported(&mut self, what: &str, count: usize, reason: &str) {
        if count > 0 {
            self.not_imported.push(NotImported { what: what.into(), count, reason: reason.into() });
        }
    }

    /// The report as lines a person reads.
    pub fn lines(&self) -> Vec<String> {
        let c = &self.imported;
        let mut out = vec![
            format!(
                "{}: {} (from {})",
                self.file,
                self.project_name,
                if self.origin.is_empty() { "unknown tool" } else { &self.origin }
            ),
            format!(
                "imported {} documents, {} codes, {} codings, {} coders, {} participants, {} attributes ({} values), {} waves, {} memos, {} recordings linked, {} sync points",
                c.documents,
                c.codes,
                c.codings,
                c.coders,
                c.participants,
                c.attributes,
                c.attribute_values,
                c.waves,
                c.memos,
                c.recordings,
                c.sync_points
            ),
        ];
        for r in &self.readings {
            out.push(format!(
                "positions in {}: read as {}{}; {} of {} selections placed",
                r.source,
                r.unit.describe(),
                if r.ambiguous { format!(" (best fit: {} of {} clean)", r.clean, r.selections) } else { String::new() },
                r.placed,
                r.selections
            ));
        }
        for u in &self.unplaced {
            out.push(format!(
                "not placed: selection {} [{}, {}) in {}{} with {} codings: {}",
                u.selection,
                u.start,
                u.end,
                u.source,
                if u.name.is_empty() { String::new() } else { format!(" \"{}\"", shorten(&u.name, 40)) },
                u.codings,
                u.reason
            ));
        }
        for n in &self.not_imported {
            out.push(format!("not imported: {} × {}: {}", n.count, n.what, n.reason));
        }
        out.extend(self.recordings.iter().map(RecordingOutcome::line));
        for w in &self.warnings {
            out.push(format!("warning: {w}"));
        }
        out
    }
}

pub(crate) fn shorten(s: &str, n: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= n { flat } else { format!("{}…", flat.chars().take(n).collect::<String>()) }
}

/// A REFI GUID as a lowercase hyphenated UUID (braces removed), or `None` if it is not one.
pub fn normalise_guid(raw: &str) -> Option<String> {
    let t = raw.trim().trim_start_matches('{').trim_end_matches('}');
    uuid::Uuid::try_parse(t).ok().filter(|_| t.len() == 36).map(|u| u.hyphenated().to_string())
}

/// A key to match GUID references: the normalised UUID, or the trimmed lowercase text.
pub(crate) fn guid_key(raw: &str) -> String {
    normalise_guid(raw).unwrap_or_else(|| raw.trim().to_lowercase())
}

/// Codeloom's four description parts joined into one REFI `Description`, and back.
pub fn join_description(d: &CodeDescription) -> String {
    let mut out = d.definition.trim().to_string();
    for (label, part) in [("Inclusion", &d.inclusion), ("Exclusion", &d.exclusion), ("Example", &d.example)] {
        if !part.trim().is_empty() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&format!("{label}: {}", part.trim()));
        }
    }
    out
}

/// Splits a description written by [`join_description`]; any other text is the definition.
pub fn split_description(text: &str) -> CodeDescription {
    let text = text.replace("\r\n", "\n");
    let mut d = CodeDescription::default();
    let mut cur: Option<&str> = None;
    let mut def = Vec::new();
    let mut parts: [Vec<&str>; 3] = [vec![], vec![], vec![]];
    for para in text.split("\n\n") {
        let found = ["Inclusion: ", "Exclusion: ", "Example: "].iter().position(|l| para.starts_with(l));
        match found {
            Some(i) => {
                cur = Some(["i", "x", "e"][i]);
                parts[i].push(&para[["Inclusion: ", "Exclusion: ", "Example: "][i].len()..]);
            }
            None => match cur {
                Some("i") => parts[0].push(para),
                Some("x") => parts[1].push(para),
                Some("e") => parts[2].push(para),
                _ => def.push(para),
            },
        }
    }
    d.definition = def.join("\n\n").trim().to_string();
    d.inclusion = parts[0].join("\n\n").trim().to_string();
    d.exclusion = parts[1].join("\n\n").trim().to_string();
    d.example = parts[2].join("\n\n").trim().to_string();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_split_back() {
        let d = CodeDescription {
            definition: "Spreading activity.\n\nOver the day.".into(),
            inclusion: "pacing".into(),
            exclusion: String::new(),
            example: "\"I rest\"".into(),
        };
        assert_eq!(split_description(&join_description(&d)), d);
        assert_eq!(split_description("plain").definition, "plain");
    }
}
