//! Hostile files and folders: each must become a clear error (or warning) naming the
//! file, and never take the process down. Runs the real `codeloom` binary, whose PDF
//! reading happens in a child process with time and memory limits, and property tests
//! that feed every importer arbitrary bytes and structured garbage.

mod common;

use codeloom::import::{self, ExtractError};
use codeloom::model::offsets::slice_chars;
use proptest::prelude::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A PDF from numbered objects (`objects[i]` is object `i + 1`, the catalog first).
fn pdf_from_objects(objects: &[String]) -> Vec<u8> {
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

fn stream(dict: &str, content: &str) -> String {
    format!("<< {dict} /Length {} >>\nstream\n{content}\nendstream", content.len())
}

const FONT: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";

/// A page whose content draws a form that draws itself, for ever.
fn pdf_form_drawing_itself() -> Vec<u8> {
    pdf_from_objects(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /X1 5 0 R >> /Font << /F1 6 0 R >> >> >>".into(),
        stream("", "BT /F1 12 Tf 72 720 Td (Before the form) Tj ET /X1 Do"),
        stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X1 5 0 R >> /Font << /F1 6 0 R >> >>", "BT /F1 12 Tf 72 700 Td (again) Tj ET /X1 Do"),
        FONT.into(),
    ])
}

/// A page that is its own parent and so never finds its media box.
fn pdf_page_its_own_parent() -> Vec<u8> {
    pdf_from_objects(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 3 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".into(),
        stream("", "BT /F1 12 Tf 72 720 Td (Hello) Tj ET"),
        FONT.into(),
    ])
}

fn project(dir: &Path) -> String {
    let p = dir.join("p.codeloom");
    common::ok(&["new", p.to_str().unwrap()]);
    p.to_str().unwrap().to_string()
}

/// Runs `codeloom import --json` with a PDF time limit; returns the exit code, the
/// report, and how long it took.
fn import_json(project: &str, paths: &[&Path], pdf_seconds: &str) -> (Option<i32>, serde_json::Value, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_codeloom"))
        .arg("import")
        .arg(project)
        .args(paths)
        .arg("--json")
        .env("CODELOOM_CODER", "tester")
        .env(import::pdf::TIME_LIMIT_ENV, pdf_seconds)
        .output()
        .expect("run codeloom");
    let took = started.elapsed();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); status {:?}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "no panic message reaches the terminal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), report, took)
}

fn outcome<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["files"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name))))
        .unwrap_or_else(|| panic!("{name} is not in the report: {report:#}"))
}

#[test]
fn a_pdf_form_that_draws_itself_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let pdf = dir.path().join("P01_W1.pdf");
    std::fs::write(&pdf, pdf_form_drawing_itself()).unwrap();
    let good = dir.path().join("P02_W1.txt");
    std::fs::write(&good, "INTERVIEWER: How are you?\nP02: Tired.\n").unwrap();
    let (code, report, _) = import_json(&p, &[&pdf, &good], "20");
    assert_eq!(code, Some(1), "a failed file gives exit status 1, not a crash: {report:#}");
    let bad = outcome(&report, "P01_W1.pdf");
    assert_eq!(bad["status"], "failed");
    let reason = bad["reason"].as_str().unwrap();
    assert!(
        reason.contains("ran out of stack") || reason.contains("could not be read within"),
        "the reader's stack overflow (or, on a slow machine, the time limit) is reported: {reason}"
    );
    assert_eq!(outcome(&report, "P02_W1.txt")["status"], "imported", "the other file is still imported");
}

/// A page whose content uses `Do` without an operand: the reader panics.
fn pdf_reader_panics() -> Vec<u8> {
    pdf_from_objects(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>".into(),
        stream("", "Do"),
    ])
}

#[test]
fn a_panic_in_the_pdf_reader_is_a_quiet_error() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("P04_W1.pdf");
    std::fs::write(&pdf, pdf_reader_panics()).unwrap();
    // The child process on its own: exit status 3, the reason, and no panic message.
    let child = common::codeloom(&["__extract-pdf", "--", pdf.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert_eq!(child.status.code(), Some(import::pdf::CHILD_FAILED), "{stderr}");
    assert!(stderr.starts_with("the PDF is corrupt or uses features the reader does not support"), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
    assert!(child.stdout.is_empty());
    // Through an import: a failed file naming the reason.
    let p = project(dir.path());
    let (code, report, _) = import_json(&p, &[&pdf], "20");
    assert_eq!(code, Some(1));
    let reason = outcome(&report, "P04_W1.pdf")["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("the reader failed"), "{reason}");
}

#[test]
fn the_extractor_is_hidden_from_help() {
    let help = common::ok(&["--help"]);
    assert!(!help.contains("extract"), "{help}");
    assert!(help.contains("import"));
}

#[test]
fn a_pdf_page_that_is_its_own_parent_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let pdf = dir.path().join("P03_W1.pdf");
    std::fs::write(&pdf, pdf_page_its_own_parent()).unwrap();
    let (code, report, took) = import_json(&p, &[&pdf], "2");
    assert_eq!(code, Some(1));
    let reason = outcome(&report, "P03_W1.pdf")["reason"].as_str().unwrap().to_string();
    assert!(
        reason == "the PDF could not be read within 2 s (it may loop on itself)" || reason.contains("crashed"),
        "{reason}"
    );
    assert!(took < Duration::from_secs(15), "the time limit holds: {took:?}");
}

#[cfg(unix)]
#[test]
fn a_folder_with_a_loop_of_links_is_imported_once_and_ends() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let study = dir.path().join("study");
    std::fs::create_dir_all(study.join("a")).unwrap();
    std::fs::write(study.join("a/P01_W1.txt"), "INTERVIEWER: And the pain?\nP01: Less since June.\n").unwrap();
    symlink("..", study.join("self")).unwrap();
    symlink("../a", study.join("a/loop")).unwrap();
    let (code, report, took) = import_json(&p, &[&study], "20");
    assert_eq!(code, Some(0), "{report:#}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert_eq!(outcome(&report, "P01_W1.txt")["status"], "imported");
    assert_eq!(outcome(&report, "self")["status"], "skipped");
    assert_eq!(outcome(&report, "loop")["status"], "skipped");
    assert_eq!(report["files"].as_array().unwrap().len(), 3, "{report:#}");
}

#[test]
fn reversed_caption_cues_are_reported_by_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let vtt = dir.path().join("P05_W1.vtt");
    std::fs::write(
        &vtt,
        "WEBVTT\n\n1\n00:00:05.000 --> 00:00:02.000\n<v Interviewer>How is it today?\n\n2\n00:00:01.000 --> 00:00:04.000\n<v Sam>Not bad.\n",
    )
    .unwrap();
    let (code, report, _) = import_json(&p, &[&vtt], "20");
    assert_eq!(code, Some(0));
    let warnings = outcome(&report, "P05_W1.vtt")["warnings"].as_array().unwrap().clone();
    assert_eq!(
        warnings,
        [
            "cue 1 (00:00:05.000 --> 00:00:02.000) ends before it starts; kept as it is, check the timings",
            "cue 2 (00:00:01.000 --> 00:00:04.000) starts before cue 1, which starts at 00:00:05.000; kept as it is, check the timings"
        ]
    );
}

/// Checks what every importer promises of a document it returns: turns in order inside
/// the text, each the trimmed, non-empty slice it claims, times never reversed; and of a
/// failure: a reason that is not a caught panic.
fn check(format: &str, result: Result<import::Extracted, ExtractError>) -> Result<(), TestCaseError> {
    let doc = match result {
        Ok(doc) => doc,
        Err(e) => {
            prop_assert!(!matches!(e, ExtractError::ReaderFailed(_)), "{format}: a parser panicked: {e}");
            return Ok(());
        }
    };
    prop_assert!(!doc.text.contains('\r') && !doc.text.starts_with('\u{FEFF}'), "{format}: text not normalised");
    let chars = doc.text.chars().count();
    let mut previous_end = 0;
    for t in &doc.turns {
        prop_assert!(previous_end <= t.start && t.start < t.end && t.end <= chars, "{format}: turn {t:?} of {chars}");
        let slice = slice_chars(&doc.text, t.start, t.end);
        prop_assert!(slice.is_some_and(|s| !s.trim().is_empty() && s.trim() == s), "{format}: turn {t:?} {slice:?}");
        if let (Some(a), Some(b)) = (t.time_start_ms, t.time_end_ms) {
            prop_assert!(a <= b, "{format}: reversed times in {t:?}");
        }
        if let Some(s) = &t.speaker {
            prop_assert!(!s.trim().is_empty(), "{format}: empty speaker");
        }
        previous_end = t.end;
    }
    Ok(())
}

fn extract(format: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    check(format, import::extract_bytes(format, Path::new("fuzz"), bytes))
}

/// Strings made of pieces that matter to a parser, in any order.
fn soup(pieces: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces), 0..max).prop_map(|v| v.concat())
}

const TRANSCRIPT_PIECES: &[&str] = &[
    "INTERVIEWER:",
    "Dan:",
    "Participant 3",
    "P01: ",
    "  12  ",
    "3\t",
    "1 ",
    "[00:01:02] ",
    "(12:03)",
    "[laughs]",
    "[id1] ",
    "Interviewer  0:04",
    "Yes",
    "Notes",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    " ",
    ":",
    "é",
    "“",
    "’",
    "…",
    "So it hurts.",
    "x",
    "\u{FEFF}",
    "\u{0}",
    "99999999 ",
    "Dan\t",
    "  ",
];
const XML_PIECES: &[&str] = &[
    "<w:p>",
    "</w:p>",
    "<w:p/>",
    "<w:r>",
    "</w:r>",
    "<w:rPr>",
    "</w:rPr>",
    "<w:b/>",
    "<w:b w:val=\"0\"/>",
    "<w:b>",
    "</w:b>",
    "<w:t>",
    "</w:t>",
    "<w:tab/>",
    "<w:br/>",
    "<w:del>",
    "</w:del>",
    "Dan:",
    "Interviewer",
    " text ",
    ":",
    "&amp;",
    "&#233;",
    "&#xD800;",
    "&bogus;",
    "<![CDATA[x]]>",
    "<!-- c -->",
    "<text:p>",
    "</text:p>",
    "<text:s text:c=\"5\"/>",
    "<text:span>",
    "</text:span>",
    "<office:annotation>",
    "</office:annotation>",
    "<",
    ">",
    "\"",
    "é",
];
const RTF_PIECES: &[&str] = &[
    "{",
    "}",
    "\\par ",
    "\\line ",
    "\\tab ",
    "\\u8364?",
    "\\u-10179?",
    "\\u",
    "\\'e9",
    "\\'",
    "\\'zz",
    "\\uc2 ",
    "\\uc0 ",
    "{\\*\\generator x;}",
    "{\\fonttbl{\\f0 Arial;}}",
    "\\b ",
    "\\b0 ",
    "Dan: ",
    "text ",
    "\\",
    "\\\n",
    "é",
    "\u{FFFD}",
    "\\-99999999999999999999 ",
    "\\emdash ",
    "\r\n",
];
const CAPTION_PIECES: &[&str] = &[
    "WEBVTT\n\n",
    "00:00:01.000 --> 00:00:02.000\n",
    "00:00:09,000 --> 00:00:01,000\n",
    "99:99 --> 1:00\n",
    "-->",
    "<v Dan>",
    "<v.loud Ann>",
    "</v>",
    "<i>",
    "Dan: ",
    "- Ann: ",
    "text",
    "\n",
    "\n\n",
    "NOTE x\n",
    "1\n",
    "&amp;",
    "&lt;",
    "STYLE\n",
    " ",
    "\r\n",
    "é",
    "\u{FEFF}",
];

fn docx_with(xml: &str) -> Vec<u8> {
    zip_with("word/document.xml", &format!("<w:document><w:body>{xml}</w:body></w:document>"))
}

fn odt_with(xml: &str) -> Vec<u8> {
    zip_with(
        "content.xml",
        &format!(
            "<office:document-content><office:body><office:text>{xml}</office:text></office:body></office:document-content>"
        ),
    )
}

fn zip_with(name: &str, content: &str) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        z.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(content.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_break_an_importer(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for format in ["txt", "docx", "odt", "rtf", "vtt", "srt"] {
            extract(format, &bytes)?;
        }
    }

    #[test]
    fn transcript_soup(text in soup(TRANSCRIPT_PIECES, 80)) {
        extract("txt", text.as_bytes())?;
        let hints = import::turns::LabelHints::bold(["Dan", "Participant 3", "Yes"]);
        let (text, _) = import::decode::normalise_newlines(&text);
        let turns = import::turns::detect_turns_with(&text, &hints);
        let doc = import::Extracted { text, turns, warnings: vec![] };
        check("turns", Ok(doc))?;
    }

    #[test]
    fn numbered_transcript_soup(
        lines in prop::collection::vec((0u64..3, prop::bool::ANY, soup(TRANSCRIPT_PIECES, 6)), 0..40)
    ) {
        // Lines with increasing margin numbers (gaps, unnumbered indented lines, raw pieces).
        let mut n = 0;
        let mut text = String::new();
        for (gap, numbered, body) in &lines {
            n += gap;
            if *numbered {
                text.push_str(&format!("{n:>3}   {body}\n"));
            } else {
                text.push_str(&format!("        {body}\n"));
            }
        }
        extract("txt", text.as_bytes())?;
    }

    #[test]
    fn office_xml_soup(xml in soup(XML_PIECES, 60)) {
        extract("docx", &docx_with(&xml))?;
        extract("odt", &odt_with(&xml))?;
    }

    #[test]
    fn rtf_soup(body in soup(RTF_PIECES, 60)) {
        extract("rtf", format!("{{\\rtf1 {body}").as_bytes())?;
    }

    #[test]
    fn caption_soup(text in soup(CAPTION_PIECES, 60)) {
        extract("vtt", text.as_bytes())?;
        extract("srt", text.as_bytes())?;
        extract("vtt", format!("WEBVTT\n\n{text}").as_bytes())?;
    }
}
