//! The choices that shape an agreement analysis and its report: the unit of analysis and the
//! extra rows (per document or per wave). Plain data, shared by [`super::project`], which
//! computes the analysis, and [`super::report`], which writes it.

use serde::Serialize;

/// The unit of analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Characters (shape D2), with the unitizing α family (shape D3) alongside.
    Char,
    /// Speaker turns, or paragraphs in documents without speakers (shape D1 per segment).
    Turn,
    /// Sentences within turns (Unicode sentence boundaries; shape D1 per segment).
    Sentence,
    /// Code presence per document (shape D1).
    Document,
}

impl UnitKind {
    /// Reads `char`, `turn` (or `paragraph`), `sentence`, `doc` (or `document`).
    pub fn parse(s: &str) -> Option<UnitKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "char" | "character" | "characters" => Some(UnitKind::Char),
            "turn" | "turns" | "paragraph" | "paragraphs" => Some(UnitKind::Turn),
            "sentence" | "sentences" => Some(UnitKind::Sentence),
            "doc" | "document" | "documents" => Some(UnitKind::Document),
            _ => None,
        }
    }

    /// The short name used on the command line and in the project file.
    pub fn name(self) -> &'static str {
        match self {
            UnitKind::Char => "char",
            UnitKind::Turn => "turn",
            UnitKind::Sentence => "sentence",
            UnitKind::Document => "doc",
        }
    }

    /// What one unit is, in words, for the methods section.
    pub fn describe(self) -> &'static str {
        match self {
            UnitKind::Char => {
                "character: each character of each document, coded or not coded by each coder (a coder's \
                 overlapping spans of one code are merged); unitizing alphas on the character continuum"
            }
            UnitKind::Turn => {
                "speaker turn (paragraph where there are no speakers): the code applies if a coder's coding \
                 of it overlaps the turn"
            }
            UnitKind::Sentence => {
                "sentence within a speaker turn (Unicode sentence boundaries): the code applies if a coder's \
                 coding of it overlaps the sentence"
            }
            UnitKind::Document => "document: the code applies if a coder applied it at least once in the document",
        }
    }
}

/// Extra rows of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One row per document, pooled over codes.
    Document,
    /// One row per wave, pooled over its documents and the codes.
    Wave,
}
