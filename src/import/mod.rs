//! Turning files into documents: reading each supported format, decoding text,
//! finding speaker turns and timestamps, and reading participant and wave from the
//! file name.
//!
//! Reading a file never touches a project: [`read_document`] returns a
//! [`ParsedDocument`] or an [`ImportError`] that names the file and the reason.
//! [`import_paths`] reads many files (in parallel) and stores every readable one as it is
//! read, all in a single operation, so a failure leaves the project as it was, one undo
//! removes the whole import, and memory holds a few documents at a time. Per-file problems
//! are reported, not fatal. A recording beside an imported transcript (same folder and base
//! name) is then linked to it, in a second operation. [`extract_bytes`] is the
//! one entry point from bytes to text and turns, shared by the fuzz targets.
//!
//! Every parser runs under [`guard::guarded`], so a panic on a hostile file becomes an
//! error naming the file; PDF reading, whose third-party reader can also loop or
//! overflow its stack, runs in a child process (see [`pdf`]).

pub mod attributes;
pub mod decode;
mod folders;
pub use crate::guard;
pub mod line_numbers;
pub mod naming;
pub mod office;
pub mod pdf;
pub mod rtf;
pub mod subtitles;
pub mod turns;

pub use crate::error::{ExtractError, ImportError};
pub use crate::model::ParsedDocument;
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

/// Files read and not yet stored, per reading thread: reading waits when this many are
/// ready, so an import holds a few parsed documents at a time, not the whole corpus.
const READ_AHEAD: usize = 2;

/// Text read before an import starts writing: an import of less than this holds the
/// project for writing only while it stores, one larger holds it while the rest is read
/// too (other writers wait, named if too long), with memory bounded all the same.
const READ_BEFORE_STORING: usize = 64 << 20;

/// One file read: its place in the list and its document or why it could not be read.
pub type ReadResult = (usize, Result<ParsedDocument, ImportError>);

/// Reads `files` in parallel (one worker per core, at most 8) and hands each result to
/// `consume` as it is ready, in the order they finish, tagged with its place in `files`.
/// Reading runs at most [`READ_AHEAD`] files per worker ahead of `consume`; when `consume`
/// returns early, the workers stop after the file in hand.
pub fn read_each<R>(
    files: &[PathBuf],
    pattern: &NamePattern,
    progress: &mut dyn FnMut(ImportProgress),
    consume: impl FnOnce(&mut dyn Iterator<Item = ReadResult>) -> R,
) -> R {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 8);
    let workers = workers.min(files.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::sync_channel(workers * READ_AHEAD);
    std::thread::scope(|scope| {
        for w in 0..workers {
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
        let mut done = 0;
        let mut results = rx.into_iter().inspect(|(i, _)| {
            done += 1;
            progress(ImportProgress { done, total: files.len(), current: files[*i].clone() });
        });
        consume(&mut results)
        // `results` (and with it the receiver) is dropped here, before the scope waits for
        // the workers: one still reading finds its send refused and stops.
    })
}

/// What the report keeps of a parsed file: its place in the list, path, warnings, turns,
/// speakers, characters.
type ReportMeta = (usize, PathBuf, Vec<String>, usize, Vec<String>, usize);

fn report_meta(i: usize, d: &ParsedDocument) -> ReportMeta {
    let mut speakers: Vec<String> = Vec::new();
    for t in &d.turns {
        if let Some(s) = &t.speaker
            && !speakers.contains(s)
        {
            speakers.push(s.clone());
        }
    }
    (i, d.source.clone(), d.warnings.clone(), d.turns.len(), speakers, d.text.chars().count())
}

/// Imports files and folders into a project as one operation and reports on each file.
/// `pattern` overrides the project's file-name pattern for this import. Past the first
/// [`READ_BEFORE_STORING`] bytes of text, files are stored as they are read, inside that
/// one operation, so memory holds a bounded number of documents whatever the size of the
/// import.
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
    let read = read_and_store(project, &files, &pattern, progress, READ_BEFORE_STORING)?;
    report.files.extend(read);
    link_recordings_beside(project, &mut report)?;
    Ok(report)
}

/// Reads `files` and stores them in one operation, starting to store once `read_ahead`
/// bytes of text are read (or every file is); the report of each file, in the order given.
fn read_and_store(
    project: &mut Project,
    files: &[PathBuf],
    pattern: &NamePattern,
    progress: &mut dyn FnMut(ImportProgress),
    read_ahead: usize,
) -> crate::Result<Vec<FileReport>> {
    // Each file read: failures (by place) and what the report needs of stored documents.
    let mut read: Vec<(usize, FileReport)> = Vec::new();
    let mut meta: Vec<ReportMeta> = Vec::new();
    let outcomes = read_each(files, pattern, progress, |results| {
        let mut documents = std::iter::from_fn(|| {
            for (i, r) in &mut *results {
                match r {
                    Ok(d) => {
                        meta.push(report_meta(i, &d));
                        return Some(d);
                    }
                    Err(e) => read.push((i, failed(e))),
                }
            }
            None
        });
        let (mut first, mut bytes) = (Vec::new(), 0);
        while first.is_empty() || bytes < read_ahead {
            let Some(d) = documents.next() else { break };
            bytes += d.text.len();
            first.push(d);
        }
        if first.is_empty() {
            return Ok(Vec::new());
        }
        project.import_document_stream(&mut first.into_iter().chain(documents))
    })?;
    for ((i, path, warnings, turns, speakers, characters), outcome) in meta.into_iter().zip(outcomes) {
        let outcome = match outcome {
            DocumentOutcome::Imported { id, name, participant, wave } => {
                FileOutcome::Imported { id, name, participant, wave, turns, speakers, characters }
            }
            DocumentOutcome::Duplicate { existing_id, existing_name, .. } => {
                FileOutcome::Duplicate { existing_id, existing_name }
            }
        };
        read.push((i, FileReport { path, outcome, warnings, recording: None }));
    }
    // Files in the order they were given, whatever order they were read in.
    read.sort_by_key(|(i, _)| *i);
    Ok(read.into_iter().map(|(_, f)| f).collect())
}

/// The report of a file that could not be read.
fn failed(e: ImportError) -> FileReport {
    FileReport {
        path: e.path,
        outcome: FileOutcome::Failed { reason: e.reason.to_string() },
        warnings: vec![],
        recording: None,
    }
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

    /// Files P000.txt … in a folder, each a two-turn transcript.
    fn transcripts(dir: &Path, n: usize) -> Vec<PathBuf> {
        (0..n)
            .map(|i| {
                let path = dir.join(format!("P{i:03}_BL.txt"));
                std::fs::write(&path, format!("Dan: How was week {i}?\n\nP{i:03}: Busy, week {i}.")).unwrap();
                path
            })
            .collect()
    }

    #[test]
    fn reading_stops_when_the_consumer_stops_and_results_keep_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let files = transcripts(dir.path(), 400);
        let pattern = NamePattern::default_pattern();
        // A consumer that takes three results and leaves: the readers stop, nothing hangs.
        let mut progressed = 0;
        let taken = read_each(&files, &pattern, &mut |_| progressed += 1, |all| all.take(3).count());
        assert_eq!((taken, progressed), (3, 3));
        // Every result is tagged with its file, whatever order they were read in.
        let mut seen =
            read_each(&files, &pattern, &mut |_| {}, |all| all.map(|(i, r)| (i, r.unwrap().name)).collect::<Vec<_>>());
        seen.sort();
        assert_eq!(seen.len(), 400);
        assert!(seen.iter().all(|(i, name)| *name == format!("P{i:03}_BL")), "{:?}", &seen[..3]);
    }

    #[test]
    fn an_import_reports_files_in_the_order_given_and_is_one_operation() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = transcripts(dir.path(), 60);
        let bad = dir.path().join("P999_BL.docx");
        std::fs::write(&bad, "not a zip").unwrap();
        files.insert(30, bad.clone());
        // A duplicate of an earlier file, found inside the same operation.
        let twin = dir.path().join("P998_BL.txt");
        std::fs::copy(&files[5], &twin).unwrap();
        files.push(twin);
        let pattern = NamePattern::default_pattern();
        // Read whole then stored, and stored as read from the first file on: the same.
        for read_ahead in [usize::MAX, 0] {
            let mut project = Project::create(&dir.path().join(format!("s{read_ahead}.codeloom"))).unwrap();
            let report = read_and_store(&mut project, &files, &pattern, &mut |_| {}, read_ahead).unwrap();
            let paths: Vec<&PathBuf> = report.iter().map(|f| &f.path).collect();
            assert_eq!(paths, files.iter().collect::<Vec<_>>());
            assert!(matches!(report[30].outcome, FileOutcome::Failed { .. }));
            assert!(
                matches!(&report[61].outcome, FileOutcome::Duplicate { existing_name, .. } if existing_name == "P005_BL")
            );
            assert_eq!(project.documents().unwrap().len(), 60);
            assert_eq!(project.history().unwrap().len(), 1, "one operation");
            project.undo().unwrap();
            assert!(project.documents().unwrap().is_empty());
        }
    }

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
