//! Hostile files and folders: each must become a clear error (or warning) naming the
//! file, and never take the process down. Runs the real `codeloom` binary, whose PDF
//! reading happens in a child process with time and memory limits, and property tests
//! that feed every importer arbitrary bytes and structured garbage.

mod common;

use codeloom::import::{self, ExtractError};
use codeloom::model::offsets::slice_chars;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
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
