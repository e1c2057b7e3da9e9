//! Analysis and export: what the PI hands to the paper.
//!
//! This module owns three reports built from a project's data, each a pure function of
//! what [`Project`](crate::Project) queries return:
//!
//! - [`quotes`]: the quote report: themes (parent codes) and their subthemes, each with
//!   illustrative quotes (the starred ones, or proposals by length and participant
//!   spread) followed by the speaker's attributes rendered from a template such as
//!   `[{age}-year-old {gender}]`, optionally split by wave.
//! - [`matrix`]: the counts papers report: codings and distinct participants per code
//!   per wave, code × participant, code × attribute and code co-occurrence.
//! - [`appendix`]: the codebook as an appendix: definitions, inclusion and exclusion,
//!   examples and counts.
//!
//! Reports are first turned into one of two neutral shapes: a [`layout::Layout`]
//! (headings, paragraphs and tables; written by [`docx`], [`html`] and [`markdown`]) or
//! a list of [`layout::Sheet`]s (rows of typed cells; written by [`csv`] and [`xlsx`]).
//! Writers return bytes; only [`write_file`] touches the file system. Nothing here
//! changes a project, and nothing here knows about egui.

pub mod appendix;
pub mod csv;
pub mod data;
pub mod docx;
pub mod html;
pub mod layout;
pub mod markdown;
pub mod matrix;
pub mod quotes;
pub mod template;
pub mod xlsx;

use crate::error::Result;
use std::path::Path;

/// The file formats a report can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Docx,
    Xlsx,
    Csv,
    Markdown,
    Html,
}

impl Format {
    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Markdown => "md",
            Format::Html => "html",
        }
    }

    /// Reads a format name (`docx`, `xlsx`, `csv`, `md`/`markdown`, `html`/`htm`).
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().trim_start_matches('.').to_ascii_lowercase().as_str() {
            "docx" | "word" => Some(Format::Docx),
            "xlsx" | "excel" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            _ => None,
        }
    }

    /// The format a file name's extension names, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension().and_then(|e| e.to_str()).and_then(Format::parse)
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}

/// Writes an export's bytes to `path` whole or not at all, never over a SQLite database
/// (so never over a project) or anything but a regular file: [`crate::output::write_bytes`]
/// with no open project named. Where a project is open, call that with
/// [`crate::output::Protect::project`] so that its side files and search index are refused too.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::output::write_bytes(path, bytes, &crate::output::Protect::none())
}

/// Removes characters that XML 1.0 cannot hold (control characters other than tab,
/// line feed and carriage return), so that any transcript text can go into DOCX, XLSX
/// and HTML.
pub(crate) fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c < ' ' && c != '\t' && c != '\n' && c != '\r') || c == '\u{FFFE}' || c == '\u{FFFF}';
    if text.chars().any(bad) {
        std::borrow::Cow::Owned(text.chars().filter(|c| !bad(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_round_trip() {
        for f in [Format::Docx, Format::Xlsx, Format::Csv, Format::Markdown, Format::Html] {
            assert_eq!(Format::parse(f.extension()), Some(f));
        }
        assert_eq!(Format::parse("Markdown"), Some(Format::Markdown));
        assert_eq!(Format::from_path(Path::new("out/Report.DOCX")), Some(Format::Docx));
        assert_eq!(Format::parse("pdf"), None);
    }

    #[test]
    fn xml_safe_drops_control_characters_only() {
        assert_eq!(xml_safe("a\u{0}b\u{7}c\td\ne"), "abc\td\ne");
        assert!(matches!(xml_safe("plain – ü"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn write_file_names_a_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("nope/report.md");
        let e = write_file(&bad, b"x").unwrap_err().to_string();
        assert!(e.contains("report.md") && e.contains("does not exist"), "{e}");
        let good = dir.path().join("report.md");
        write_file(&good, b"hello").unwrap();
        assert_eq!(std::fs::read(&good).unwrap(), b"hello");
    }
}
