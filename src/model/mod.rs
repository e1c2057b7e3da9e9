//! Plain data and rules shared by every part of Codeloom: participants, waves,
//! documents, turns, codes, codings, attributes and memos.
//!
//! Architecture invariant: this module does no I/O and knows nothing about SQLite,
//! files, egui or tantivy. Offsets are Unicode scalar offsets into a document's stored
//! text; ranges are half-open `[start, end)`.

pub mod exchange;
pub mod offsets;
pub mod order;
pub mod time;
pub mod wave;
pub mod words;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// A turn (or paragraph) of a document: a speaker's contiguous stretch of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// The speaker as written in the transcript, or `None` for a paragraph without one.
    pub speaker: Option<String>,
    /// First char of the spoken text (after any speaker label).
    pub start: usize,
    /// One past the last char of the spoken text.
    pub end: usize,
    /// Start time in milliseconds from the beginning of the recording, when known.
    pub time_start_ms: Option<u64>,
    /// End time in milliseconds, when known.
    pub time_end_ms: Option<u64>,
}

/// A document as stored in a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    /// Display name (the file name without its extension).
    pub name: String,
    /// The file name the document was imported from.
    pub original_name: String,
    /// The format it was read from (`txt`, `docx`, `vtt`, ...).
    pub format: String,
    /// SHA-256 of the stored text, in hex.
    pub content_hash: String,
    pub char_count: usize,
    pub participant: Option<String>,
    pub wave: Option<String>,
    pub revision: i64,
    pub imported_at_ms: i64,
}

/// A participant (a case) with its attribute values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub id: String,
    pub label: String,
    pub attributes: Vec<(String, AttributeValue)>,
}

/// A wave: an ordered time point such as BL, 3M, 6M.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wave {
    pub id: String,
    pub name: String,
    pub position: i64,
}

/// A code in the codebook tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// Stable UUID; codes are never matched by name across files or coders.
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// `#rrggbb`.
    pub color: String,
    pub description: CodeDescription,
    /// Order among siblings.
    pub position: i64,
}

/// What a code means: the parts a codebook reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeDescription {
    #[serde(default)]
    pub definition: String,
    #[serde(default)]
    pub inclusion: String,
    #[serde(default)]
    pub exclusion: String,
    #[serde(default)]
    pub example: String,
}

/// A coding: a code applied by a coder to a range of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coding {
    pub id: String,
    pub document_id: String,
    pub start: usize,
    pub end: usize,
    pub code_id: String,
    pub coder: String,
    pub codebook_version_id: Option<String>,
    pub memo: Option<String>,
    /// Starred by the team as an illustrative quote.
    pub illustrative: bool,
    pub created_at_ms: i64,
}

/// The type of a participant attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeKind {
    Text,
    Number,
    Date,
    Category,
}

impl AttributeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeKind::Text => "text",
            AttributeKind::Number => "number",
            AttributeKind::Date => "date",
            AttributeKind::Category => "category",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Some(AttributeKind::Text),
            "number" | "numeric" => Some(AttributeKind::Number),
            "date" => Some(AttributeKind::Date),
            "category" | "categorical" => Some(AttributeKind::Category),
            _ => None,
        }
    }

    /// Checks that `raw` is a valid value of this kind and returns its canonical form.
    pub fn validate(self, raw: &str) -> Result<String, String> {
        let v = raw.trim();
        match self {
            AttributeKind::Text | AttributeKind::Category => Ok(v.to_string()),
            AttributeKind::Number => v
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(|_| v.to_string())
                .ok_or_else(|| format!("\"{v}\" is not a number")),
            AttributeKind::Date => {
                if time::parse_iso_date(v).is_some() {
                    Ok(v.to_string())
                } else {
                    Err(format!("\"{v}\" is not a date in the form YYYY-MM-DD"))
                }
            }
        }
    }
}

impl fmt::Display for AttributeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed attribute value of a participant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeValue {
    pub kind: AttributeKind,
    pub value: String,
}

/// What a memo is written about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemoTarget {
    Project,
    Document,
    Participant,
    Code,
}

impl MemoTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            MemoTarget::Project => "project",
            MemoTarget::Document => "document",
            MemoTarget::Participant => "participant",
            MemoTarget::Code => "code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "project" => Some(MemoTarget::Project),
            "document" => Some(MemoTarget::Document),
            "participant" => Some(MemoTarget::Participant),
            "code" => Some(MemoTarget::Code),
            _ => None,
        }
    }
}

/// A memo written by a coder about the project, a document, a participant or a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memo {
    pub id: String,
    pub target: MemoTarget,
    pub target_id: Option<String>,
    pub title: String,
    pub body: String,
    pub coder: Option<String>,
    pub updated_at_ms: i64,
}

/// Checks a colour written as `#rrggbb` and returns it in lower case.
pub fn normalise_color(s: &str) -> Option<String> {
    let h = s.trim().strip_prefix('#')?;
    (h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit())).then(|| format!("#{}", h.to_ascii_lowercase()))
}

/// A pleasant, distinct highlight colour for the `n`th code created without one.
pub fn default_color(n: usize) -> String {
    const PALETTE: [&str; 12] = [
        "#e6a23c", "#5b8ff9", "#5ad8a6", "#f6bd16", "#e8684a", "#6dc8ec", "#9270ca", "#ff9d4d", "#269a99", "#ff99c3",
        "#a0b35a", "#c2a26d",
    ];
    PALETTE[n % PALETTE.len()].to_string()
}

/// Checks a coding range against a document's length.
pub fn check_range(start: usize, end: usize, char_count: usize) -> Result<(), String> {
    if start >= end {
        return Err(format!("the range [{start}, {end}) is empty or reversed"));
    }
    if end > char_count {
        return Err(format!("the range [{start}, {end}) runs past the end of the document ({char_count} characters)"));
    }
    Ok(())
}

/// A file read and ready to be stored.
#[derive(Debug, Clone)]
pub struct ParsedDocument {
    pub source: PathBuf,
    /// The file name without extension.
    pub name: String,
    pub original_name: String,
    pub format: String,
    /// UTF-8, LF line endings, no BOM.
    pub text: String,
    pub turns: Vec<Turn>,
    pub participant: Option<String>,
    pub wave: Option<String>,
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_validation() {
        assert_eq!(AttributeKind::Number.validate(" 67 "), Ok("67".into()));
        assert!(AttributeKind::Number.validate("sixty").is_err());
        assert!(AttributeKind::Number.validate("NaN").is_err());
        assert!(AttributeKind::Date.validate("2025-02-30").is_err());
        assert_eq!(AttributeKind::Date.validate("2024-02-29"), Ok("2024-02-29".into()));
        assert_eq!(AttributeKind::parse("Numeric"), Some(AttributeKind::Number));
    }

    #[test]
    fn colours_and_ranges() {
        assert_eq!(normalise_color("#AABBCC"), Some("#aabbcc".into()));
        assert_eq!(normalise_color("abc"), None);
        assert!(check_range(3, 3, 10).is_err());
        assert!(check_range(3, 11, 10).is_err());
        assert!(check_range(0, 10, 10).is_ok());
    }
}
