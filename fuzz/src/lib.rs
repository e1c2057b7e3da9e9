//! What every importer fuzz target checks: the importer returns a document or an error,
//! never panics (a panic caught by the import guard is reported as one), and a document's
//! turns lie in order inside its text, each the trimmed, non-empty slice it claims.

use codeloom::import::{self, ExtractError, Extracted};
use codeloom::model::offsets::slice_chars;
use std::path::Path;

/// Reads `data` as a file of `format` and checks the result; panics on a broken promise.
pub fn check_format(format: &str, data: &[u8]) {
    match import::extract_bytes(format, Path::new("fuzz-input"), data) {
        Ok(doc) => check_document(format, &doc),
        Err(e) => {
            // A panic inside the third-party PDF reader is contained by design (and by the
            // child process in the binary); a panic in our own parsers is a bug.
            let panicked = matches!(e, ExtractError::ReaderFailed(_));
            assert!(format == "pdf" || !panicked, "{format}: a parser panicked: {e}");
        }
    }
}

/// Checks a document's text and turns.
pub fn check_document(format: &str, doc: &Extracted) {
    assert!(!doc.text.contains('\r') && !doc.text.starts_with('\u{FEFF}'), "{format}: text not normalised");
    let chars = doc.text.chars().count();
    let mut previous_end = 0;
    for t in &doc.turns {
        assert!(previous_end <= t.start && t.start < t.end && t.end <= chars, "{format}: turn {t:?} of {chars}");
        let slice = slice_chars(&doc.text, t.start, t.end);
        assert!(slice.is_some_and(|s| !s.trim().is_empty() && s.trim() == s), "{format}: turn {t:?} is {slice:?}");
        if let (Some(a), Some(b)) = (t.time_start_ms, t.time_end_ms) {
            assert!(a <= b, "{format}: reversed times in {t:?}");
        }
        previous_end = t.end;
    }
}

/// Wraps `xml` as the main part of a Word (`docx`) or OpenDocument (`odt`) archive.
pub fn office_archive(kind: &str, xml: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let name = if kind == "docx" { "word/document.xml" } else { "content.xml" };
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        if z.start_file(name, zip::write::SimpleFileOptions::default()).is_ok() {
            let _ = z.write_all(xml);
        }
        let _ = z.finish();
    }
    buf.into_inner()
}
