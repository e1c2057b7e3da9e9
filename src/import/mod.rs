//! Turning files into documents: reading each supported format, decoding text,
//! finding speaker turns and timestamps, and reading participant and wave from the
//! file name.
//!
//! Reading a file never touches a project: [`read_document`] returns a
//! [`ParsedDocument`] or an [`ImportError`] that names the file and the reason.
//! [`import_paths`] reads many files (in parallel), then stores every readable one in a
//! single operation, so a failure leaves the project as it was and one undo removes the
//! whole import. Per-file problems are reported, not fatal. A recording beside an imported
//! transcript (same folder and base name) is then linked to it, in a second operation. [`extract_bytes`] is the
//! one entry point from bytes to text and turns, shared by the fuzz targets.
//!
//! Every parser runs under [`guard::guarded`], so a panic on a hostile file becomes an
//! error naming the file; PDF reading, whose third-party reader can also loop or
//! overflow its stack, runs in a child process (see [`pdf`]).

pub mod attributes;
pub mod decode;
mod folders;
pub mod guard;
pub mod line_numbers;
pub mod naming;
pub mod office;
pub mod pdf;
pub mod rtf;
pub mod subtitles;
pub mod turns;

pub use folders::{Collected, MAX_FILES, MAX_FOLDER_DEPTH, collect_files};
pub use pdf::{PdfLimits, set_extractor, set_extractor_with};

use crate::model::Turn;
use crate::store::Project;
use crate::store::ops::DocumentOutcome;
use decode::{DecodeError, decode_text, normalise_newlines};
use naming::{NamePattern, PATTERN_SETTING};
use serde::Serialize;
use std::path::{Path, PathBuf};
use turns::LabelHints;

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

/// A file's text with its turns and warnings, before the file name is read.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// UTF-8, LF line endings, no BOM.
    pub text: String,
    pub turns: Vec<Turn>,
    pub warnings: Vec<String>,
}

/// Reads the bytes of a file of the given format (a lower-case extension from
/// [`SUPPORTED`]) into text and turns. `path` names the file for the PDF reader's child
/// process; the bytes are what is read otherwise.
pub fn extract_bytes(format: &str, path: &Path, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    if format == "pdf" {
        let (text, warnings) = pdf::pdf_text(path, bytes)?;
        return guard::guarded("PDF", || finish(text, None, &LabelHints::default(), warnings, false));
    }
    let what = format!("{} file", format.to_uppercase());
    guard::guarded(&what, || {
        let mut warnings = Vec::new();
        let mut hints = LabelHints::default();
        let (text, turns) = match format {
            "txt" | "md" => {
                let (t, w) = decode(bytes)?;
                warnings = w;
                (t, None)
            }
            "docx" => {
                let doc = office::docx_document(bytes)?;
                hints = LabelHints::bold(&doc.bold_labels);
                (doc.text, None)
            }
            "odt" => (office::odt_text(bytes)?, None),
            "rtf" => (rtf::rtf_text(bytes)?, None),
            "vtt" | "srt" => {
                let (t, w) = decode(bytes)?;
                warnings = w;
                let c = if format == "vtt" { subtitles::parse_vtt(&t) } else { subtitles::parse_srt(&t) }?;
                warnings.extend(c.warnings);
                (c.text, Some(c.turns))
            }
            other => return Err(ExtractError::Unsupported(format!(".{other}"))),
        };
        finish(text, turns, &hints, warnings, true)
    })
}

/// Normalises the text, removes a line-number margin and finds the turns (unless the
/// format gave them).
fn finish(
    text: String,
    turns: Option<Vec<Turn>>,
    hints: &LabelHints,
    mut warnings: Vec<String>,
    margin: bool,
) -> Result<Extracted, ExtractError> {
    if turns.is_some() && (text.starts_with('\u{FEFF}') || text.contains('\r')) {
        // Turns given with the text point into it as it is; normalising would move them.
        return Err(ExtractError::ReaderFailed("the captions were read into text that cannot be stored".into()));
    }
    let (mut text, _) = normalise_newlines(&text);
    if turns.is_none()
        && margin
        && let Some(stripped) = line_numbers::strip_line_numbers(&text)
    {
        warnings.push(line_numbers::WARNING.to_string());
        // Without its margin, a line may start with a byte-order mark.
        text = normalise_newlines(&stripped).0;
    }
    if text.trim().is_empty() {
        return Err(ExtractError::NoText("the file contains only white space".into()));
    }
    let turns = turns.unwrap_or_else(|| turns::detect_turns_with(&text, hints));
    Ok(Extracted { text, turns, warnings })
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
    let Extracted { text, turns, mut warnings } = extract_bytes(&ext, path, &bytes).map_err(fail)?;
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

/// What happened to one file of an import.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    #[serde(flatten)]
    pub outcome: FileOutcome,
    pub warnings: Vec<String>,
    /// The recording found beside the transcript (same base name) and linked to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording: Option<PathBuf>,
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
    let Collected { files, skipped, errors } = collect_files(paths);
    let mut report = ImportReport::default();
    for e in errors {
        report.files.push(FileReport {
            path: e.path,
            outcome: FileOutcome::Failed { reason: e.reason.to_string() },
            warnings: vec![],
            recording: None,
        });
    }
    for (p, reason) in skipped {
        report.files.push(FileReport {
            path: p,
            outcome: FileOutcome::Skipped { reason },
            warnings: vec![],
            recording: None,
        });
    }
    let mut parsed = Vec::new();
    for r in read_documents(&files, &pattern, progress) {
        match r {
            Ok(d) => parsed.push(d),
            Err(e) => report.files.push(FileReport {
                path: e.path,
                outcome: FileOutcome::Failed { reason: e.reason.to_string() },
                warnings: vec![],
                recording: None,
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
        report.files.push(FileReport { path, outcome, warnings, recording: None });
    }
    link_recordings_beside(project, &mut report)?;
    Ok(report)
}

/// Links the recording beside each imported transcript (same folder and base name, such
/// as `P07_BL.m4a` beside `P07_BL.vtt`) in one operation, noting it in the report; a
/// recording that cannot be used is a warning. A recording the folder walk skipped is
/// reported as linked instead.
fn link_recordings_beside(project: &mut Project, report: &mut ImportReport) -> crate::Result<()> {
    let mut links = Vec::new();
    for f in report.files.iter_mut() {
        let FileOutcome::Imported { id, .. } = &f.outcome else { continue };
        let Some(media) = crate::media::link::beside(&f.path) else { continue };
        match crate::media::link::describe(project.path(), &media) {
            Ok((rec, _)) => {
                links.push((id.clone(), rec));
                f.recording = Some(media);
            }
            Err(e) => f.warnings.push(format!("the recording beside it is not linked: {e}")),
        }
    }
    if links.is_empty() {
        return Ok(());
    }
    project.link_recordings(&links)?;
    let linked: Vec<(PathBuf, String)> = report
        .files
        .iter()
        .filter_map(|f| match (&f.recording, &f.outcome) {
            (Some(r), FileOutcome::Imported { name, .. }) => Some((r.clone(), name.clone())),
            _ => None,
        })
        .collect();
    for f in report.files.iter_mut() {
        if let FileOutcome::Skipped { reason } = &mut f.outcome
            && let Some((_, doc)) = linked.iter().find(|(r, _)| *r == f.path)
        {
            *reason = format!("a recording: linked to {doc}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pdf::tests::tiny_pdf;

    #[test]
    fn pdf_text_layer() {
        let pdf = tiny_pdf(&["INTERVIEWER: How are you?", "P04: My feet burn at night."]);
        let got = extract_bytes("pdf", Path::new("t.pdf"), &pdf).unwrap();
        assert!(got.text.contains("INTERVIEWER: How are you?"), "{:?}", got.text);
        let speakers: Vec<_> = got.turns.iter().filter_map(|t| t.speaker.as_deref()).collect();
        assert_eq!(speakers, ["INTERVIEWER", "P04"]);
    }

    #[test]
    fn pdf_with_margin_numbers() {
        let pdf = tiny_pdf(&[
            "1     INTERVIEWER: Where does it hurt today?",
            "2     P04: My feet, mostly. They burn",
            "3          at night.",
            "4     INTERVIEWER: Every night?",
        ]);
        let got = extract_bytes("pdf", Path::new("t.pdf"), &pdf).unwrap();
        assert_eq!(got.warnings, [line_numbers::WARNING]);
        assert_eq!(
            got.text,
            "INTERVIEWER: Where does it hurt today?\nP04: My feet, mostly. They burn\nat night.\nINTERVIEWER: Every night?"
        );
        let speakers: Vec<_> = got.turns.iter().filter_map(|t| t.speaker.as_deref()).collect();
        assert_eq!(speakers, ["INTERVIEWER", "P04", "INTERVIEWER"], "{:?}", got.text);
    }

    #[test]
    fn every_format_goes_through_one_entry_point() {
        let p = Path::new("x");
        let txt = extract_bytes("txt", p, "Dan: Hello.\nINTERVIEWER: Hi.".as_bytes()).unwrap();
        assert_eq!(txt.turns.len(), 2);
        assert!(matches!(extract_bytes("xls", p, b"x"), Err(ExtractError::Unsupported(_))));
        assert!(matches!(extract_bytes("txt", p, b" \n\t"), Err(ExtractError::NoText(_))));
        assert!(matches!(extract_bytes("rtf", p, b"{\\rtf1 }"), Err(ExtractError::NoText(_))));
        let srt = extract_bytes("srt", p, b"1\n00:00:01,000 --> 00:00:02,000\nDan: Hi.\n").unwrap();
        assert_eq!(srt.turns[0].speaker.as_deref(), Some("Dan"));
    }

    #[test]
    fn margin_numbers_in_plain_text_are_removed_with_a_warning() {
        let text = "1  INTERVIEWER: How is the pain?\n2  Dan: Worse in the cold.\n3  INTERVIEWER: I see.\n";
        let got = extract_bytes("txt", Path::new("x.txt"), text.as_bytes()).unwrap();
        assert_eq!(got.text, "INTERVIEWER: How is the pain?\nDan: Worse in the cold.\nINTERVIEWER: I see.\n");
        assert_eq!(got.warnings, [line_numbers::WARNING]);
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nDan: Hi.\n\n2\n00:00:02,000 --> 00:00:03,000\nAnn: Yo.\n\n3\n00:00:03,000 --> 00:00:04,000\nDan: Ok.\n";
        let got = extract_bytes("srt", Path::new("x.srt"), srt.as_bytes()).unwrap();
        assert!(got.warnings.is_empty(), "captions are never treated as numbered lines: {:?}", got.warnings);
        let only_numbers = extract_bytes("txt", Path::new("x.txt"), b"1  \n2\n3  \t\n");
        assert!(matches!(only_numbers, Err(ExtractError::NoText(_))), "{only_numbers:?}");
        let bom = extract_bytes("txt", Path::new("x.txt"), "1 \u{FEFF}A: x\n2 B: y\n3 A: z".as_bytes()).unwrap();
        assert_eq!(bom.text, "A: x\nB: y\nA: z", "no byte-order mark is left at the start");
    }
}
