//! PDF text through `pdf-extract`, kept at arm's length.
//!
//! A hostile PDF can make the third-party reader recurse until the stack overflows (a
//! form that draws itself) or loop for ever (a page that is its own parent). So the
//! reading runs in a child process, the program named by [`set_extractor`] (the
//! `codeloom` binary sets itself, and its hidden `__extract-pdf FILE` subcommand calls
//! [`run_extractor_child`]), with a time limit and a memory limit; a timeout kills
//! the child and a crash becomes an error naming the file. Without an extractor (the
//! library's own tests), the reader runs in this process under `catch_unwind`, on a
//! thread with a large stack.
//!
//! The child prints [`TEXT_MARKER`] and then the raw text on standard output, so that
//! anything the reader itself prints before it is ignored; a failure is exit status 3
//! with the reason on standard error.

use super::ExtractError;
use super::decode::normalise_newlines;
use super::line_numbers::strip_line_numbers;
use crate::guard::guarded;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The environment variable that sets the PDF time limit in seconds (default 20).
pub const TIME_LIMIT_ENV: &str = "CODELOOM_PDF_TIME_LIMIT";

/// The hidden subcommand of the extractor program.
pub const EXTRACT_SUBCOMMAND: &str = "__extract-pdf";

/// What the child prints before the text.
pub const TEXT_MARKER: &[u8] = b"\x00codeloom-pdf-text\x00\n";

/// The exit status of a child that read the PDF and found it unreadable.
pub const CHILD_FAILED: i32 = 3;

/// The most text accepted from the child.
const MAX_TEXT_BYTES: u64 = 512 * 1024 * 1024;
/// The most of the child's standard error kept for a message.
const MAX_ERROR_BYTES: u64 = 16 * 1024;
/// The stack of the in-process reader thread.
const READER_STACK_BYTES: usize = 256 * 1024 * 1024;

/// How long and how much memory reading one PDF may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfLimits {
    pub time: Duration,
    /// The child's address-space limit.
    pub memory_bytes: u64,
}

impl Default for PdfLimits {
    fn default() -> Self {
        PdfLimits { time: Duration::from_secs(20), memory_bytes: 2 * 1024 * 1024 * 1024 }
    }
}

impl PdfLimits {
    /// The defaults, with the time limit from [`TIME_LIMIT_ENV`] when it holds a
    /// positive number of seconds (at most a day).
    pub fn from_env() -> Self {
        Self::with_time_setting(std::env::var(TIME_LIMIT_ENV).ok().as_deref())
    }

    /// The defaults, with the time limit from `setting` (seconds) when it is a positive
    /// number of at most a day.
    pub fn with_time_setting(setting: Option<&str>) -> Self {
        let mut limits = PdfLimits::default();
        if let Some(secs) =
            setting.and_then(|v| v.trim().parse::<f64>().ok()).filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        {
            limits.time = Duration::from_secs_f64(secs);
        }
        limits
    }
}

struct Extractor {
    program: PathBuf,
    limits: PdfLimits,
}

static EXTRACTOR: OnceLock<Extractor> = OnceLock::new();

/// Names the program that reads PDFs in a child process (`program __extract-pdf FILE`),
/// with limits from [`PdfLimits::from_env`]. Only the first call counts.
pub fn set_extractor(program: PathBuf) {
    set_extractor_with(program, PdfLimits::from_env());
}

/// [`set_extractor`] with the given limits.
pub fn set_extractor_with(program: PathBuf, limits: PdfLimits) {
    let _ = EXTRACTOR.set(Extractor { program, limits });
}

/// The text of a PDF file, as stored: paragraphs are runs of lines separated by blank
/// lines, and a line-number margin is removed (with a warning).
pub fn pdf_text(path: &Path, bytes: &[u8]) -> Result<(String, Vec<String>), ExtractError> {
    if !bytes.starts_with(b"%PDF") {
        return Err(ExtractError::Malformed("not a PDF file: it does not start with %PDF".into()));
    }
    let raw = match EXTRACTOR.get() {
        Some(x) => read_in_child(x, path)?,
        None => read_in_process(bytes)?,
    };
    layout(&raw)
}

/// Raw reader text to stored text.
fn layout(raw: &str) -> Result<(String, Vec<String>), ExtractError> {
    let (text, _) = normalise_newlines(raw);
    let mut warnings = Vec::new();
    let text = match strip_line_numbers(&text) {
        Some(stripped) => {
            warnings.push(super::line_numbers::WARNING.to_string());
            stripped
        }
        None => text,
    };
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
    Ok((out, warnings))
}

/// Runs the reader in this process, on a thread with a large stack, under `catch_unwind`.
fn read_in_process(bytes: &[u8]) -> Result<String, ExtractError> {
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("pdf-reader".into())
            .stack_size(READER_STACK_BYTES)
            .spawn_scoped(scope, || {
                guarded("PDF", || {
                    pdf_extract::extract_text_from_mem(bytes)
                        .map_err(|e| ExtractError::Malformed(format!("the PDF cannot be read: {e}")))
                })
            })
            .map_err(|e| ExtractError::Unreadable(format!("cannot start the PDF reader: {e}")))?;
        reader.join().unwrap_or_else(|_| Err(ExtractError::Malformed("the PDF reader failed".into())))
    })
}

fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{} s", d.as_secs()) } else { format!("{:.1} s", d.as_secs_f64()) }
}

/// Reads at most `limit` bytes from `from` on a thread, then drains the rest so the
/// child never blocks on a full pipe; says whether there was more.
fn collect<R: Read + Send + 'static>(
    what: &str,
    from: R,
    limit: u64,
) -> Option<std::thread::JoinHandle<(Vec<u8>, bool)>> {
    let reader = move || {
        let mut from = from;
        let mut buf = Vec::new();
        let _ = (&mut from).take(limit).read_to_end(&mut buf);
        let more = std::io::copy(&mut from, &mut std::io::sink()).is_ok_and(|n| n > 0);
        (buf, more)
    };
    std::thread::Builder::new().name(format!("pdf-reader-{what}")).spawn(reader).ok()
}

/// Runs `program __extract-pdf FILE` and waits at most the time limit.
fn read_in_child(x: &Extractor, path: &Path) -> Result<String, ExtractError> {
    let mut child = Command::new(&x.program)
        .arg(EXTRACT_SUBCOMMAND)
        .arg("--max-memory")
        .arg(x.limits.memory_bytes.to_string())
        .arg("--")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ExtractError::Unreadable(format!("cannot start the PDF reader {}: {e}", x.program.display())))?;
    let out = child.stdout.take().and_then(|o| collect("text", o, MAX_TEXT_BYTES));
    let err = child.stderr.take().and_then(|e| collect("errors", e, MAX_ERROR_BYTES));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= x.limits.time => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ExtractError::Malformed(format!(
                    "the PDF could not be read within {} (it may loop on itself)",
                    seconds(x.limits.time)
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(ExtractError::Unreadable(format!("lost the PDF reader: {e}"))),
        }
    };
    let (stdout, too_long) = out.and_then(|h| h.join().ok()).unwrap_or_default();
    let (stderr, _) = err.and_then(|h| h.join().ok()).unwrap_or_default();
    let reason = String::from_utf8_lossy(&stderr).trim().to_string();
    if !status.success() {
        return Err(child_failure(status, reason, x.limits));
    }
    if too_long {
        return Err(ExtractError::TooLarge(format!("the PDF holds more than {} MB of text", MAX_TEXT_BYTES >> 20)));
    }
    let Some(at) = stdout.windows(TEXT_MARKER.len()).position(|w| w == TEXT_MARKER) else {
        return Err(ExtractError::Malformed("the PDF reader returned no text and no reason".into()));
    };
    String::from_utf8(stdout[at + TEXT_MARKER.len()..].to_vec())
        .map_err(|_| ExtractError::Malformed("the PDF reader returned text that is not UTF-8".into()))
}

/// The error for a child that did not succeed.
fn child_failure(status: std::process::ExitStatus, reason: String, limits: PdfLimits) -> ExtractError {
    if status.code() == Some(CHILD_FAILED) && !reason.is_empty() {
        return ExtractError::Malformed(reason);
    }
    if reason.contains("overflowed its stack") {
        return ExtractError::Malformed(
            "the PDF reader ran out of stack: the PDF may draw itself recursively (a form that draws itself)".into(),
        );
    }
    if reason.contains("memory allocation") {
        return ExtractError::TooLarge(format!(
            "reading the PDF needed more than {} MB of memory",
            limits.memory_bytes >> 20
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return ExtractError::Malformed(format!(
                "the PDF reader crashed (signal {signal}): the PDF may draw itself recursively, be corrupt, \
                 or need more than {} MB of memory",
                limits.memory_bytes >> 20
            ));
        }
    }
    let detail = reason.lines().last().map(|l| format!(": {l}")).unwrap_or_default();
    ExtractError::Malformed(format!("the PDF reader stopped unexpectedly ({status}){detail}"))
}

/// Limits this process's address space to `bytes` (Unix), so a hostile PDF fails to
/// allocate instead of exhausting the machine.
fn limit_memory(bytes: u64) -> Result<(), String> {
    #[cfg(unix)]
    {
        let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
        // SAFETY: setrlimit reads the struct we pass and changes only this process's limit.
        let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
        if rc != 0 {
            return Err(format!("cannot limit the PDF reader's memory: {}", std::io::Error::last_os_error()));
        }
    }
    #[cfg(not(unix))]
    let _ = bytes;
    Ok(())
}

/// The child's side: limits its memory, reads `path` in this process and writes
/// [`TEXT_MARKER`] and the raw text to `out`. Returns the exit status for the process.
pub fn run_extractor_child(path: &Path, max_memory: Option<u64>, out: &mut dyn std::io::Write) -> i32 {
    let result = (|| {
        if let Some(bytes) = max_memory {
            limit_memory(bytes)?;
        }
        let len = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?.len();
        if len > super::MAX_FILE_BYTES {
            return Err(format!("too large: {} MB", len >> 20));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
        read_in_process(&bytes).map_err(|e| e.to_string())
    })();
    match result {
        Ok(text) => {
            if out
                .write_all(TEXT_MARKER)
                .and_then(|_| out.write_all(text.as_bytes()))
                .and_then(|_| out.flush())
                .is_err()
            {
                return 1;
            }
            0
        }
        Err(reason) => {
            eprintln!("{reason}");
            CHILD_FAILED
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A PDF written by hand from numbered objects (`objects[i]` is object `i + 1`; the
    /// catalog must be object 1).
    pub fn pdf_from_objects(objects: &[String]) -> Vec<u8> {
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

    /// A one-page PDF with a text layer: one text line per entry, each at the left margin.
    pub fn tiny_pdf(lines: &[&str]) -> Vec<u8> {
        let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
        for l in lines {
            let escaped = l.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
            content.push_str(&format!("({escaped}) Tj T*\n"));
        }
        content.push_str("ET");
        pdf_from_objects(&[
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        ])
    }

    #[test]
    fn text_layer_in_process() {
        let pdf = tiny_pdf(&["INTERVIEWER: How are you?", "P04: My feet burn at night."]);
        let (text, warnings) = pdf_text(Path::new("t.pdf"), &pdf).unwrap();
        assert!(text.contains("INTERVIEWER: How are you?"), "{text:?}");
        assert!(warnings.is_empty());
        assert!(matches!(pdf_text(Path::new("t.pdf"), b"%PDF-1.4\ngarbage"), Err(ExtractError::Malformed(_))));
        assert!(matches!(pdf_text(Path::new("t.pdf"), &tiny_pdf(&[])), Err(ExtractError::NoText(_))));
        assert!(
            matches!(pdf_text(Path::new("t.pdf"), b"GIF89a"), Err(ExtractError::Malformed(m)) if m.contains("%PDF"))
        );
    }

    #[test]
    fn layout_of_reader_text() {
        let (text, w) = layout("  INTERVIEWER: Hello\r\n  there.\n\n\n P01: Hi.\n").unwrap();
        assert_eq!(text, "INTERVIEWER: Hello\nthere.\n\nP01: Hi.");
        assert!(w.is_empty());
        assert!(matches!(layout(" \n\n "), Err(ExtractError::NoText(_))));
    }

    #[test]
    fn time_limit_setting() {
        let default = PdfLimits::default();
        assert_eq!(default.time, Duration::from_secs(20));
        assert_eq!(PdfLimits::with_time_setting(None), default);
        assert_eq!(PdfLimits::with_time_setting(Some(" 2.5 ")).time, Duration::from_millis(2500));
        for bad in ["0", "-3", "soon", "NaN", "inf", "1e9"] {
            assert_eq!(PdfLimits::with_time_setting(Some(bad)), default, "{bad} is ignored");
        }
        assert_eq!(seconds(Duration::from_secs(20)), "20 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn child_side_writes_the_marker_then_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.pdf");
        std::fs::write(&file, tiny_pdf(&["Dan: Mornings are worst."])).unwrap();
        let mut out = Vec::new();
        assert_eq!(run_extractor_child(&file, None, &mut out), 0);
        assert!(out.starts_with(TEXT_MARKER));
        assert!(String::from_utf8_lossy(&out).contains("Dan: Mornings are worst."));
        std::fs::write(&file, b"%PDF-1.4\nnot really").unwrap();
        let mut out = Vec::new();
        assert_eq!(run_extractor_child(&file, None, &mut out), CHILD_FAILED);
        assert!(out.is_empty(), "nothing on standard output when the PDF cannot be read");
    }
}
