//! Turning files into documents: reading each supported format, decoding text,
//! finding speaker turns and timestamps, and reading participant and wave from the
//! file name.
//!
//! Reading a file never touches a project: [`read_document`] returns a
//! [`ParsedDocument`] or an [`ImportError`] that names the file and the reason.
//! [`import_paths`] reads many files (in parallel), then stores every readable one in a
//! single operation, so a failure leaves the project as it was and one undo removes the
//! whole import. Per-file problems are reported, not fatal.

pub mod attributes;
pub mod decode;
pub mod naming;
pub mod office;
pub mod rtf;
pub mod subtitles;
pub mod turns;

use crate::model::Turn;
use crate::store::Project;
use crate::store::ops::DocumentOutcome;
use decode::{DecodeError, decode_text, normalise_newlines};
use naming::{NamePattern, PATTERN_SETTING};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The file extensions Codeloom imports as documents.
pub const SUPPORTED: &[&str] = &["txt", "md", "docx", "odt", "rtf", "pdf", "vtt", "srt"];

/// The largest file accepted for import.
pub const MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;

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

fn decode(bytes: &[u8]) -> Result<(String, Vec<String>), ExtractError> {
    decode_text(bytes).map(|(t, n)| (t, n.warnings())).map_err(|e| match e {
        DecodeError::Empty => ExtractError::Empty,
        DecodeError::Binary => ExtractError::Binary,
        DecodeError::BadUtf16 => ExtractError::Malformed("the UTF-16 text is cut short or corrupt".into()),
    })
}

/// Runs a third-party parser, turning a panic on hostile input into an error.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, ExtractError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ExtractError::Malformed(format!("the {what} cannot be read: {e}"))),
        Err(_) => {
            Err(ExtractError::Malformed(format!("the {what} is corrupt or uses features the reader does not support")))
        }
    }
}

fn pdf_text(bytes: &[u8]) -> Result<String, ExtractError> {
    if !bytes.starts_with(b"%PDF") {
        return Err(ExtractError::Malformed("not a PDF file: it does not start with %PDF".into()));
    }
    let text = guarded("PDF", || pdf_extract::extract_text_from_mem(bytes).map_err(|e| e.to_string()))?;
    let (text, _) = normalise_newlines(&text);
    // PDF text comes as lines; paragraphs are runs of lines separated by blank lines.
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line.trim_start());
    }
    if out.trim().is_empty() {
        return Err(ExtractError::NoText("the PDF has no text layer (a scan? run OCR first)".into()));
    }
    Ok(out)
}

/// Reads one file into a document, without touching any project.
pub fn read_document(path: &Path, pattern: &NamePattern) -> Result<ParsedDocument, ImportError> {
    let fail = |reason| ImportError::new(path, reason);
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    if !SUPPORTED.contains(&ext.as_str()) {
        return Err(fail(ExtractError::Unsupported(if ext.is_empty() {
            "(no extension)".into()
        } else {
            format!(".{ext}")
        })));
    }
    let meta = std::fs::metadata(path).map_err(|e| fail(ExtractError::Unreadable(e.to_string())))?;
    if !meta.is_file() {
        return Err(fail(ExtractError::Unreadable("not a regular file".into())));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(ExtractError::TooLarge(format!(
            "{} MB; the limit is {} MB",
            meta.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        ))));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(ExtractError::Unreadable(e.to_string())))?;
    if bytes.is_empty() {
        return Err(fail(ExtractError::Empty));
    }
    let mut warnings = Vec::new();
    let (text, turns) = match ext.as_str() {
        "txt" | "md" => {
            let (t, w) = decode(&bytes).map_err(fail)?;
            warnings = w;
            (t, None)
        }
        "docx" => (office::docx_text(&bytes).map_err(fail)?, None),
        "odt" => (office::odt_text(&bytes).map_err(fail)?, None),
        "rtf" => (rtf::rtf_text(&bytes).map_err(fail)?, None),
        "pdf" => (pdf_text(&bytes).map_err(fail)?, None),
        "vtt" | "srt" => {
            let (t, w) = decode(&bytes).map_err(fail)?;
            warnings = w;
            let c = if ext == "vtt" { subtitles::parse_vtt(&t) } else { subtitles::parse_srt(&t) }.map_err(fail)?;
            warnings.extend(c.warnings);
            (c.text, Some(c.turns))
        }
        _ => unreachable!("checked against SUPPORTED above"),
    };
    let (text, _) = normalise_newlines(&text);
    if text.trim().is_empty() {
        return Err(fail(ExtractError::NoText("the file contains only white space".into())));
    }
    let turns = turns.unwrap_or_else(|| turns::detect_turns(&text));
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let parts = pattern.parse(&stem);
    if parts.participant.is_none() {
        warnings
            .push(format!("the file name does not match the pattern {}; no participant or wave set", pattern.as_str()));
    }
    Ok(ParsedDocument {
        source: path.to_path_buf(),
        original_name: path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        name: stem,
        format: ext,
        text,
        turns,
        participant: parts.participant,
        wave: parts.wave,
        warnings,
    })
}

/// Expands folders (recursively, skipping hidden entries) into the files to import.
/// Files in folders with unsupported extensions are returned separately as skipped.
pub fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>, Vec<ImportError>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    fn walk(dir: &Path, files: &mut Vec<PathBuf>, skipped: &mut Vec<PathBuf>, errors: &mut Vec<ImportError>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                return errors.push(ImportError::new(dir, ExtractError::Unreadable(e.to_string())));
            }
        };
        let mut list: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        list.sort();
        for p in list {
            if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            if p.is_dir() {
                walk(&p, files, skipped, errors);
            } else {
                let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
                if SUPPORTED.contains(&ext.as_str()) { files.push(p) } else { skipped.push(p) }
            }
        }
    }
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files, &mut skipped, &mut errors);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            errors.push(ImportError::new(p, ExtractError::Unreadable("no such file or folder".into())));
        }
    }
    (files, skipped, errors)
}

/// What happened to one file of an import.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    #[serde(flatten)]
    pub outcome: FileOutcome,
    pub warnings: Vec<String>,
}

/// The outcome for one file.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FileOutcome {
    Imported {
        id: String,
        name: String,
        participant: Option<String>,
        wave: Option<String>,
        turns: usize,
        speakers: Vec<String>,
        characters: usize,
    },
    Duplicate {
        existing_id: String,
        existing_name: String,
    },
    Failed {
        reason: String,
    },
    Skipped {
        reason: String,
    },
}

/// The report of an import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
}

impl ImportReport {
    pub fn count(&self, f: impl Fn(&FileOutcome) -> bool) -> usize {
        self.files.iter().filter(|r| f(&r.outcome)).count()
    }
    pub fn imported(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Imported { .. }))
    }
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Failed { .. }))
    }
}

/// Progress of an import, reported once per file read.
#[derive(Debug, Clone)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
    pub current: PathBuf,
}

/// The project's file-name pattern (or the default).
pub fn project_pattern(project: &Project) -> crate::Result<NamePattern> {
    match project.setting(PATTERN_SETTING)? {
        Some(p) => NamePattern::new(&p).map_err(crate::Error::Invalid),
        None => Ok(NamePattern::default_pattern()),
    }
}

/// Reads files in parallel (two workers per core, at most 8), preserving order.
pub fn read_documents(
    files: &[PathBuf],
    pattern: &NamePattern,
    progress: &mut dyn FnMut(ImportProgress),
) -> Vec<Result<ParsedDocument, ImportError>> {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut results: Vec<Option<Result<ParsedDocument, ImportError>>> = vec![None; files.len()];
    std::thread::scope(|scope| {
        for w in 0..workers.min(files.len()) {
            let tx = tx.clone();
            let next = &next;
            std::thread::Builder::new()
                .name(format!("import-reader-{w}"))
                .spawn_scoped(scope, move || {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let r = read_document(path, pattern);
                        if tx.send((i, r)).is_err() {
                            break;
                        }
                    }
                })
                .expect("spawning an import thread");
        }
        drop(tx);
        for (n, (i, r)) in rx.into_iter().enumerate() {
            let done = n + 1;
            progress(ImportProgress { done, total: files.len(), current: files[i].clone() });
            results[i] = Some(r);
        }
    });
    results
        .into_iter()
        .zip(files)
        .map(|(r, p)| {
            r.unwrap_or_else(|| Err(ImportError::new(p, ExtractError::Unreadable("the reader stopped".into()))))
        })
        .collect()
}

/// What the report keeps of a parsed file: path, warnings, turns, speakers, characters.
type ReportMeta = (PathBuf, Vec<String>, usize, Vec<String>, usize);

/// Imports files and folders into a project as one operation and reports on each file.
/// `pattern` overrides the project's file-name pattern for this import.
pub fn import_paths(
    project: &mut Project,
    paths: &[PathBuf],
    pattern: Option<&NamePattern>,
    progress: &mut dyn FnMut(ImportProgress),
) -> crate::Result<ImportReport> {
    let pattern = match pattern {
        Some(p) => p.clone(),
        None => project_pattern(project)?,
    };
    let (files, skipped, errors) = collect_files(paths);
    let mut report = ImportReport::default();
    for e in errors {
        report.files.push(FileReport {
            path: e.path,
            outcome: FileOutcome::Failed { reason: e.reason.to_string() },
            warnings: vec![],
        });
    }
    for p in skipped {
        let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
        let reason = if ext == "csv" {
            "not a transcript; to import participant attributes use `codeloom attributes import`".to_string()
        } else {
            "not a supported transcript format".to_string()
        };
        report.files.push(FileReport { path: p, outcome: FileOutcome::Skipped { reason }, warnings: vec![] });
    }
    let mut parsed = Vec::new();
    for r in read_documents(&files, &pattern, progress) {
        match r {
            Ok(d) => parsed.push(d),
            Err(e) => report.files.push(FileReport {
                path: e.path,
                outcome: FileOutcome::Failed { reason: e.reason.to_string() },
                warnings: vec![],
            }),
        }
    }
    let meta: Vec<ReportMeta> = parsed
        .iter()
        .map(|d| {
            let mut speakers: Vec<String> = Vec::new();
            for t in &d.turns {
                if let Some(s) = &t.speaker
                    && !speakers.contains(s)
                {
                    speakers.push(s.clone());
                }
            }
            (d.source.clone(), d.warnings.clone(), d.turns.len(), speakers, d.text.chars().count())
        })
        .collect();
    let outcomes = if parsed.is_empty() { Vec::new() } else { project.import_documents(parsed)? };
    for ((path, warnings, turns, speakers, characters), outcome) in meta.into_iter().zip(outcomes) {
        let outcome = match outcome {
            DocumentOutcome::Imported { id, name, participant, wave } => {
                FileOutcome::Imported { id, name, participant, wave, turns, speakers, characters }
            }
            DocumentOutcome::Duplicate { existing_id, existing_name, .. } => {
                FileOutcome::Duplicate { existing_id, existing_name }
            }
        };
        report.files.push(FileReport { path, outcome, warnings });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF with a text layer, written by hand.
    pub fn tiny_pdf(lines: &[&str]) -> Vec<u8> {
        let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
        for l in lines {
            content.push_str(&format!("({l}) Tj T*\n"));
        }
        content.push_str("ET");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        ];
        let mut pdf = String::from("%PDF-1.4\n");
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
        }
        let xref = pdf.len();
        pdf.push_str(&format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1));
        for o in offsets {
            pdf.push_str(&format!("{o:010} 00000 n \n"));
        }
        pdf.push_str(&format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1));
        pdf.into_bytes()
    }

    #[test]
    fn pdf_text_layer() {
        let pdf = tiny_pdf(&["INTERVIEWER: How are you?", "P04: My feet burn at night."]);
        let text = pdf_text(&pdf).unwrap();
        assert!(text.contains("INTERVIEWER: How are you?"), "{text:?}");
        let t = turns::detect_turns(&text);
        assert_eq!(t.iter().filter_map(|t| t.speaker.as_deref()).collect::<Vec<_>>(), ["INTERVIEWER", "P04"]);
        assert!(matches!(pdf_text(b"%PDF-1.4\ngarbage"), Err(ExtractError::Malformed(_))));
        assert!(matches!(pdf_text(&tiny_pdf(&[])), Err(ExtractError::NoText(_))));
    }
}
