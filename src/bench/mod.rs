//! The timed scenarios behind `codeloom bench`, on synthetic corpora generated from a
//! fixed seed so runs are comparable.
//!
//! Benchmarks measure; tests never assert on time.

pub mod agreement;
pub mod commands;
pub mod corpus;
pub mod export;
pub mod media;
pub mod model;
pub mod scale;
pub mod search;
pub mod suggest;
pub mod window;

use crate::error::Result;
use crate::import;
use crate::store::Project;
use crate::store::ops::NewCoding;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// One measured scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    pub name: String,
    /// What the scenario did, in words.
    pub what: String,
    pub seconds: f64,
    /// The target from PRODUCT.md, in seconds, when there is one.
    pub target_seconds: Option<f64>,
    pub details: serde_json::Value,
}

/// Everything a bench run measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub cores: usize,
    pub seed: u64,
    pub build: &'static str,
    pub measurements: Vec<Measurement>,
}

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct BenchSize {
    pub study_transcripts: usize,
    pub large_transcripts: usize,
    pub words_per_transcript: usize,
    pub codings: usize,
}

impl BenchSize {
    /// The sizes PRODUCT.md sets targets for.
    pub const FULL: BenchSize =
        BenchSize { study_transcripts: 104, large_transcripts: 1000, words_per_transcript: 9600, codings: 100_000 };
    /// A small run to check that the bench works.
    pub const QUICK: BenchSize =
        BenchSize { study_transcripts: 12, large_transcripts: 30, words_per_transcript: 2000, codings: 5_000 };
}

fn measure_import(
    work: &Path,
    name: &str,
    transcripts: usize,
    size: BenchSize,
    seed: u64,
) -> Result<(Measurement, std::path::PathBuf)> {
    let dir = work.join(format!("{name}-files"));
    let words = corpus::write_corpus(&dir, transcripts, size.words_per_transcript, seed)?;
    let project_path = work.join(format!("{name}.codeloom"));
    let t = Instant::now();
    let mut project = Project::create(&project_path)?;
    let report = import::import_paths(&mut project, &[dir], None, &mut |_| {})?;
    let seconds = t.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&project_path).map(|m| m.len()).unwrap_or(0);
    Ok((
        Measurement {
            name: name.to_string(),
            what: format!("create a project and import {transcripts} transcripts (read, detect turns, store)"),
            seconds,
            target_seconds: (transcripts == 104).then_some(5.0),
            details: serde_json::json!({
                "transcripts": transcripts,
                "imported": report.imported(),
                "words": words,
                "words_per_second": (words as f64 / seconds).round(),
                "project_file_bytes": bytes,
            }),
        },
        project_path,
    ))
}

/// Adds the bench's codes (60) and `codings` random codings by three coders (amara, ben,
/// chen) to the study at `study`, in one operation.
pub fn add_codings(study: &Path, codings: usize, seed: u64) -> Result<()> {
    let mut project = Project::open(study)?;
    let docs = project.documents()?;
    let mut rng = corpus::Rng::new(seed + 2);
    let mut code_ids = Vec::new();
    for i in 0..60 {
        code_ids.push(
            project.create_code(crate::store::ops::NewCode { name: format!("Code {i:02}"), ..Default::default() })?,
        );
    }
    let mut batch = Vec::with_capacity(codings);
    for i in 0..codings {
        let d = &docs[rng.below(docs.len())].document;
        let len = rng.below(400) + 20;
        let start = rng.below(d.char_count.saturating_sub(len).max(1));
        batch.push(NewCoding {
            document_id: d.id.clone(),
            start,
            end: (start + len).min(d.char_count),
            code_id: code_ids[rng.below(code_ids.len())].clone(),
            coder: Some(["amara", "ben", "chen"][i % 3].to_string()),
            memo: None,
            illustrative: rng.below(50) == 0,
        });
    }
    project.apply_codings(batch, "Bench codings")?;
    Ok(())
}

/// Runs every scenario in `work` (a scratch folder) and reports the timings.
pub fn run(work: &Path, size: BenchSize, seed: u64, progress: &mut dyn FnMut(&str)) -> Result<BenchReport> {
    let mut measurements = Vec::new();
    progress(&format!("import of the {}-transcript study", size.study_transcripts));
    let (m, study) = measure_import(work, "import_study", size.study_transcripts, size, seed)?;
    measurements.push(m);
    progress(&format!("import of {} transcripts", size.large_transcripts));
    let (m, _) = measure_import(work, "import_large", size.large_transcripts, size, seed + 1)?;
    measurements.push(m);

    progress(&format!("open with {} codings", size.codings));
    add_codings(&study, size.codings, seed)?;
    let t = Instant::now();
    let mut steps = serde_json::Map::new();
    let mut lap = Instant::now();
    let mut step = |name: &str, steps: &mut serde_json::Map<String, serde_json::Value>| {
        steps.insert(name.to_string(), serde_json::json!(lap.elapsed().as_secs_f64()));
        lap = Instant::now();
    };
    let project = Project::open(&study)?;
    step("open_file", &mut steps);
    let docs = project.documents()?;
    step("documents", &mut steps);
    let codes = project.codes()?;
    let counts = project.code_counts()?;
    step("codes_with_counts", &mut steps);
    let participants = project.participants()?;
    let waves = project.waves()?;
    step("participants_and_waves", &mut steps);
    let first = project.codings(&crate::store::queries::CodingFilter {
        document_id: docs.first().map(|d| d.document.id.clone()),
        ..Default::default()
    })?;
    step("first_document_codings", &mut steps);
    let open_seconds = t.elapsed().as_secs_f64();
    measurements.push(Measurement {
        name: "open_project".into(),
        what: format!(
            "open a project with {} codings and load documents, codes with counts, participants, waves and the first document's codings",
            size.codings
        ),
        seconds: open_seconds,
        target_seconds: Some(1.0),
        details: serde_json::json!({
            "documents": docs.len(), "codes": codes.len(), "codes_with_codings": counts.len(),
            "participants": participants.len(), "waves": waves.len(), "first_document_codings": first.len(),
            "step_seconds": steps,
        }),
    });
    drop(project);
    measurements.extend(agreement::measure(&study, progress)?);
    measurements.extend(suggest::measure(&study, progress)?);

    progress("a coder's copy and merging it back");
    let (seconds, details) = crate::codebook::merge::bench_copy_and_merge(&study, work)?;
    measurements.push(Measurement {
        name: "merge_copy".into(),
        what: format!(
            "plan and merge a coder's copy (100 new codings, a rename) into a project with {} codings",
            size.codings
        ),
        seconds,
        target_seconds: None,
        details,
    });

    progress("reports and exports");
    measurements.push(export::measurement(&study)?);

    progress("undo and redo of one coding");
    let mut project = Project::open(&study)?;
    let doc = project.documents()?.remove(0).document;
    let code = project.codes()?.remove(0).id;
    project.apply_coding(NewCoding {
        document_id: doc.id,
        start: 0,
        end: 10,
        code_id: code,
        coder: None,
        memo: None,
        illustrative: false,
    })?;
    let t = Instant::now();
    project.undo()?;
    let undo = t.elapsed().as_secs_f64();
    let t = Instant::now();
    project.redo()?;
    let redo = t.elapsed().as_secs_f64();
    measurements.push(Measurement {
        name: "undo_coding".into(),
        what: format!("undo one coding in a project with {} codings", size.codings),
        seconds: undo,
        target_seconds: Some(0.05),
        details: serde_json::json!({ "redo_seconds": redo }),
    });
    let t = Instant::now();
    project.undo()?;
    project.undo()?;
    let undo_batch = t.elapsed().as_secs_f64();
    measurements.push(Measurement {
        name: "undo_bulk_coding".into(),
        what: format!("undo the one operation that applied {} codings at once", size.codings),
        seconds: undo_batch,
        target_seconds: None,
        details: serde_json::json!({}),
    });

    let (transcripts, words) = if size.codings < BenchSize::FULL.codings { search::QUICK } else { search::FULL };
    measurements.extend(search::measure(work, transcripts, words, seed + 3, progress)?);
    let quick = size.codings < BenchSize::FULL.codings;
    measurements.extend(media::measure(work, quick, seed + 4, progress)?);
    Ok(report(seed, measurements))
}

/// The scale scenario (`codeloom bench --scale`): builds the study of [`scale::build`]
/// in `work` (a tenth of it when `quick`) and measures search on it. `exe` is the
/// `codeloom` binary, for timing whole processes; without it those figures are left out.
/// Returns the report and the study's project file.
pub fn run_scale(
    work: &Path,
    quick: bool,
    seed: u64,
    exe: Option<&Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<(BenchReport, std::path::PathBuf)> {
    let size = if quick { scale::ScaleSize::QUICK } else { scale::ScaleSize::FULL };
    let study = scale::build(work, seed, size, progress)?;
    let mut measurements = study.measurements.clone();
    measurements.extend(search::measure_at_scale(&study, exe, progress)?);
    if let Some(exe) = exe {
        measurements.extend(commands::measure_at_scale(&study, exe, progress)?);
        measurements.extend(window::measure(&study.path, exe, work, progress)?);
    }
    Ok((report(seed, measurements), study.path))
}

/// The median of some timings (0 for none).
fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(0.0)
}

/// Runs a whole process to its end with its output discarded; how long it took. Exit code
/// 1 counts as success (`grep` finding nothing, `codeloom search` with no hits).
fn time_process(cmd: &mut std::process::Command) -> Result<f64> {
    use std::process::Stdio;
    let t = std::time::Instant::now();
    let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status();
    let seconds = t.elapsed().as_secs_f64();
    match status {
        Ok(s) if s.success() || s.code() == Some(1) => Ok(seconds),
        Ok(s) => Err(crate::Error::Invalid(format!("{cmd:?} failed ({s})"))),
        Err(e) => Err(crate::Error::Invalid(format!("{cmd:?}: {e}"))),
    }
}

fn report(seed: u64, measurements: Vec<Measurement>) -> BenchReport {
    BenchReport {
        cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        seed,
        build: if cfg!(debug_assertions) { "debug" } else { "release" },
        measurements,
    }
}
