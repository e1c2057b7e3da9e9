//! Whole `codeloom` processes on the scale study (issue 12's command-line targets): the
//! commands that touch one thing (`show`, `codings --doc`, `code apply`, `undo`) and the
//! listing of every document (`docs --json`), each timed from start to exit, and the
//! agreement of the three coders over every document at character level.

use super::scale::ScaleProject;
use super::{Measurement, median, time_process};
use crate::Project;
use crate::error::Result;
use std::path::Path;
use std::process::Command;

/// Runs of each command; the median is reported.
const RUNS: usize = 5;

/// Times the command-line targets on `study` with the `codeloom` binary `exe`.
pub fn measure_at_scale(study: &ScaleProject, exe: &Path, progress: &mut dyn FnMut(&str)) -> Result<Vec<Measurement>> {
    progress("scale: whole `codeloom` commands");
    let (document, length, code) = {
        let project = Project::open_read_only(&study.path)?;
        let place = project.document_places()?.into_iter().nth(4321 % study.size.transcripts.max(1));
        let place = place.ok_or_else(|| crate::Error::Invalid("the scale study has no documents".into()))?;
        let length = project.document(&place.id)?.char_count;
        let code = project.codes()?.into_iter().next().map(|c| c.name);
        (place.name, length, code.ok_or_else(|| crate::Error::Invalid("the scale study has no codes".into()))?)
    };
    let p = study.path.as_os_str();
    let n = study.size.transcripts;
    let mut out = Vec::new();
    let mut one = |name: &str, what: String, target: f64, args: &[&std::ffi::OsStr]| -> Result<()> {
        let times = (0..RUNS).map(|_| time_process(Command::new(exe).args(args))).collect::<Result<Vec<_>>>()?;
        out.push(Measurement {
            name: format!("scale_cli_{name}_{n}"),
            what,
            seconds: median(times),
            target_seconds: Some(target),
            details: serde_json::json!({ "runs": RUNS }),
        });
        Ok(())
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    let (docs, show, codings) = (os("docs"), os("show"), os("codings"));
    let (json, doc_flag, doc) = (os("--json"), os("--doc"), os(&document));
    one(
        "docs_json",
        format!("`codeloom docs STUDY --json`: every one of {n} documents with its counts"),
        0.5,
        &[&docs, p, &json],
    )?;
    one(
        "show",
        format!("`codeloom show STUDY DOC --json`: one document of {length} characters with its turns"),
        0.1,
        &[&show, p, &doc, &json],
    )?;
    one(
        "codings_doc",
        "`codeloom codings STUDY --doc DOC --json`: one document's codings".into(),
        0.1,
        &[&codings, p, &doc_flag, &doc, &json],
    )?;
    out.extend(apply_and_undo(study, exe, &document, length, &code)?);
    out.push(agreement(study, exe, progress)?);
    Ok(out)
}

/// `code apply` of one coding, then `undo` of it, each a whole process, `RUNS` times.
fn apply_and_undo(
    study: &ScaleProject,
    exe: &Path,
    document: &str,
    length: usize,
    code: &str,
) -> Result<[Measurement; 2]> {
    let n = study.size.transcripts;
    let (mut applied, mut undone) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        // A range no scale coding has (they start on whole words): one new coding per run.
        let start = (run * 997 + 13) % length.saturating_sub(40).max(1);
        let (s, e) = (start.to_string(), (start + 31).min(length).to_string());
        applied.push(time_process(
            Command::new(exe)
                .arg("code")
                .arg("apply")
                .arg(&study.path)
                .args(["--doc", document, "--start", &s, "--end", &e, "--code", code, "--coder", "bench"]),
        )?);
        undone.push(time_process(Command::new(exe).arg("undo").arg(&study.path))?);
    }
    let m = |name: &str, what: String, times: Vec<f64>| Measurement {
        name: format!("scale_cli_{name}_{n}"),
        what,
        seconds: median(times),
        target_seconds: Some(0.1),
        details: serde_json::json!({ "runs": RUNS }),
    };
    Ok([
        m("code_apply", format!("`codeloom code apply` of one coding in a study of {n} documents"), applied),
        m("undo", "`codeloom undo` of that coding".into(), undone),
    ])
}

/// Every statistic between the three coders over every document at character level,
/// without the bootstrap, as one whole `codeloom agreement` process.
fn agreement(study: &ScaleProject, exe: &Path, progress: &mut dyn FnMut(&str)) -> Result<Measurement> {
    progress("scale: agreement of three coders over every document");
    let n = study.size.transcripts;
    let coders = (1..=study.size.coders).map(|i| format!("coder{i}")).collect::<Vec<_>>().join(",");
    let seconds = time_process(Command::new(exe).arg("agreement").arg(&study.path).args([
        "--coders",
        &coders,
        "--unit",
        "char",
        "--resamples",
        "0",
        "--json",
    ]))?;
    Ok(Measurement {
        name: format!("scale_agreement_{n}"),
        what: format!(
            "`codeloom agreement` of {} coders over {n} documents at character level, every statistic per code and pooled, no bootstrap",
            study.size.coders
        ),
        seconds,
        target_seconds: Some(5.0),
        details: serde_json::json!({ "coders": coders }),
    })
}
