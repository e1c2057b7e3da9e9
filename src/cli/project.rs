//! The subcommands about the project and its documents: `new`, `import`, `docs`, `show`,
//! `participants`, `attributes import`, `pattern`, `codings`, `undo`, `redo`, `log`,
//! `demo` and `bench`. One function each; every one calls the library and prints.

use super::{Common, Window, open, open_read_only, print_json, print_log_entry};
use anyhow::{Context, Result, bail};
use codeloom::import::naming::{NamePattern, PATTERN_SETTING};
use codeloom::import::{self, FileOutcome, ImportReport};
use codeloom::model::{AttributeKind, offsets::CharSlicer, time};
use codeloom::store::queries::CodingFilter;
use codeloom::{Project, demo};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn new(project: &Path) -> Result<i32> {
    Project::create(project)?;
    println!("created {}", project.display());
    Ok(0)
}

/// Imports files and folders with a progress bar; exits with 1 when a file failed.
pub fn import(project: &Path, paths: &[PathBuf], pattern: Option<String>, json: bool, common: &Common) -> Result<i32> {
    let mut p = open(project, Some(common))?;
    let pattern = pattern.map(|s| NamePattern::new(&s)).transpose().map_err(anyhow::Error::msg)?;
    let bar = indicatif::ProgressBar::new(0);
    if json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = import::import_paths(&mut p, paths, pattern.as_ref(), &mut |pr| {
        bar.set_length(pr.total as u64);
        bar.set_position(pr.done as u64);
        bar.set_message(pr.current.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    })?;
    bar.finish_and_clear();
    if json {
        print_json(&report)?;
    } else {
        print_import_report(&report);
    }
    Ok(if report.failed() > 0 { 1 } else { 0 })
}

fn print_import_report(report: &ImportReport) {
    for f in &report.files {
        let name = f.path.display();
        match &f.outcome {
            FileOutcome::Imported { name: doc, participant, wave, turns, speakers, characters, .. } => println!(
                "imported  {doc}  participant {}  wave {}  {turns} turns  {characters} characters  speakers: {}",
                participant.as_deref().unwrap_or("-"),
                wave.as_deref().unwrap_or("-"),
                if speakers.is_empty() { "(none: paragraphs)".to_string() } else { speakers.join(", ") }
            ),
            FileOutcome::Duplicate { existing_name, .. } => {
                println!(
                    "duplicate {name}: the same text is already in the project as {existing_name}; not imported again"
                )
            }
            FileOutcome::Failed { reason } => eprintln!("error     {name}: {reason}"),
            FileOutcome::Skipped { reason } => println!("skipped   {name}: {reason}"),
        }
        if let Some(r) = &f.recording {
            println!("  recording linked: {}", r.display());
        }
        for w in &f.warnings {
            println!("  warning: {w}");
        }
    }
    println!(
        "{} imported, {} duplicates, {} failed, {} skipped",
        report.imported(),
        report.count(|o| matches!(o, FileOutcome::Duplicate { .. })),
        report.failed(),
        report.count(|o| matches!(o, FileOutcome::Skipped { .. }))
    );
}

pub fn docs(project: &Path, json: bool) -> Result<i32> {
    let p = open_read_only(project)?;
    let docs = p.documents()?;
    if json {
        print_json(&docs)?;
        return Ok(0);
    }
    println!(
        "{:<28} {:<12} {:<6} {:>6} {:>9} {:>8}  speakers",
        "document", "participant", "wave", "turns", "chars", "codings"
    );
    for d in docs {
        println!(
            "{:<28} {:<12} {:<6} {:>6} {:>9} {:>8}  {}",
            d.document.name,
            d.document.participant.as_deref().unwrap_or("-"),
            d.document.wave.as_deref().unwrap_or("-"),
            d.turn_count,
            d.document.char_count,
            d.coding_count,
            d.speakers.join(", ")
        );
    }
    Ok(0)
}

pub fn show(project: &Path, doc: &str, json: bool) -> Result<i32> {
    let p = open_read_only(project)?;
    let id = p.resolve_document(doc)?;
    let d = p.document(&id)?;
    let text = p.document_text(&id)?;
    let turns = p.turns(&id)?;
    if json {
        print_json(&json!({
            "id": d.id, "name": d.name, "original_name": d.original_name, "format": d.format,
            "participant": d.participant, "wave": d.wave, "content_hash": d.content_hash,
            "characters": d.char_count, "text": text, "turns": turns,
        }))?;
        return Ok(0);
    }
    println!(
        "{} ({}), participant {}, wave {}, {} turns\n",
        d.name,
        d.original_name,
        d.participant.as_deref().unwrap_or("-"),
        d.wave.as_deref().unwrap_or("-"),
        turns.len()
    );
    let cut = CharSlicer::new(&text);
    for t in &turns {
        let time = t.time_start_ms.map(|ms| format!("[{}] ", time::format_clock(ms))).unwrap_or_default();
        let body = cut.slice(t.start, t.end).unwrap_or("");
        match &t.speaker {
            Some(s) => println!("{time}{s}: {body}\n"),
            None => println!("{time}{body}\n"),
        }
    }
    Ok(0)
}

pub fn participants(project: &Path, json: bool) -> Result<i32> {
    let p = open_read_only(project)?;
    let parts = p.participants()?;
    if json {
        let list: Vec<_> = parts
            .iter()
            .map(|x| {
                let attrs: serde_json::Map<String, serde_json::Value> =
                    x.attributes.iter().map(|(k, v)| (k.clone(), json!({"kind": v.kind, "value": v.value}))).collect();
                json!({"id": x.id, "label": x.label, "attributes": attrs})
            })
            .collect();
        print_json(&list)?;
    } else {
        for x in parts {
            let attrs: Vec<String> = x.attributes.iter().map(|(k, v)| format!("{k}={}", v.value)).collect();
            println!("{}  {}", x.label, attrs.join("  "));
        }
    }
    Ok(0)
}

pub fn import_attributes(project: &Path, file: &Path, types: &[String], common: &Common) -> Result<i32> {
    let mut p = open(project, Some(common))?;
    let mut kinds = HashMap::new();
    for t in types {
        let Some((col, kind)) = t.split_once('=') else { bail!("--type expects COLUMN=KIND, got \"{t}\"") };
        let Some(k) = AttributeKind::parse(kind) else {
            bail!("unknown attribute type \"{kind}\" (text, number, date, category)")
        };
        kinds.insert(col.trim().to_string(), k);
    }
    let bytes = std::fs::read(file).with_context(|| format!("{}: cannot read the file", file.display()))?;
    let table = import::attributes::parse_attributes_csv(file, &bytes, &kinds)?;
    p.import_attributes(&table)?;
    for (name, kind) in &table.columns {
        println!("{name}: {kind}");
    }
    println!("imported {} attributes for {} participants", table.columns.len(), table.rows.len());
    Ok(0)
}

pub fn pattern(project: &Path, set: Option<String>, test: &[String], common: &Common) -> Result<i32> {
    let mut p = open(project, Some(common))?;
    if let Some(s) = set {
        NamePattern::new(&s).map_err(anyhow::Error::msg)?;
        p.set_setting(PATTERN_SETTING, &s)?;
    }
    let pattern = import::project_pattern(&p)?;
    println!("pattern: {}", pattern.as_str());
    for name in test {
        let stem = Path::new(name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or(name.clone());
        let parts = pattern.parse(&stem);
        println!(
            "{name}: participant {}, wave {}",
            parts.participant.as_deref().unwrap_or("(none)"),
            parts.wave.as_deref().unwrap_or("(none)")
        );
    }
    Ok(0)
}

/// Codings with the coded text: filters by document, code, coder and codebook version.
pub fn codings(
    project: &Path,
    doc: Option<String>,
    code: Option<String>,
    coder: Option<String>,
    version: Option<&str>,
    json: bool,
) -> Result<i32> {
    let p = open_read_only(project)?;
    let filter = CodingFilter {
        document_id: doc.map(|d| p.resolve_document(&d)).transpose()?,
        code_id: code.map(|c| p.resolve_code(&c)).transpose()?,
        coder,
    };
    let codings = match version {
        None => p.codings(&filter)?,
        Some(v) if v.eq_ignore_ascii_case("none") => codeloom::codebook::versions::codings_under(&p, None, &filter)?,
        Some(v) => codeloom::codebook::versions::codings_under(&p, Some(v), &filter)?,
    };
    let mut texts: HashMap<String, String> = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    for c in &codings {
        if !texts.contains_key(&c.document_id) {
            texts.insert(c.document_id.clone(), p.document_text(&c.document_id)?);
            names.insert(c.document_id.clone(), p.document(&c.document_id)?.name);
        }
        if !names.contains_key(&c.code_id) {
            names.insert(c.code_id.clone(), p.code_path(&c.code_id)?);
        }
    }
    // One table per document, so cutting every coding's text is linear.
    let slicers: HashMap<&str, CharSlicer> = texts.iter().map(|(id, t)| (id.as_str(), CharSlicer::new(t))).collect();
    let records: Vec<_> = codings
        .iter()
        .map(|c| (c, slicers[c.document_id.as_str()].slice(c.start, c.end).unwrap_or("").to_string()))
        .collect();
    if json {
        let list: Vec<_> = records
            .iter()
            .map(|(c, text)| {
                json!({
                    "id": c.id, "document_id": c.document_id, "document": names[&c.document_id],
                    "start": c.start, "end": c.end, "code_id": c.code_id, "code": names[&c.code_id],
                    "coder": c.coder, "codebook_version_id": c.codebook_version_id, "memo": c.memo,
                    "illustrative": c.illustrative, "created_at": time::format_timestamp(c.created_at_ms),
                    "text": text,
                })
            })
            .collect();
        print_json(&list)?;
        return Ok(0);
    }
    for (c, text) in &records {
        println!(
            "{}{} [{}, {}) {} by {}\n    \"{}\"",
            if c.illustrative { "* " } else { "" },
            names[&c.document_id],
            c.start,
            c.end,
            names[&c.code_id],
            c.coder,
            text.replace('\n', " ")
        );
    }
    println!("{}", codeloom::model::words::count(records.len(), "coding"));
    Ok(0)
}

/// Undoes the newest operation, or redoes the one undone last.
pub fn undo(project: &Path, common: &Common, undo: bool) -> Result<i32> {
    let mut p = open(project, Some(common))?;
    if undo {
        println!("undone: {}", p.undo()?.summary);
    } else {
        println!("redone: {}", p.redo()?.summary);
    }
    Ok(0)
}

pub fn log(project: &Path, json: bool) -> Result<i32> {
    let p = open_read_only(project)?;
    let h = p.history()?;
    if json {
        print_json(&h)?;
    } else {
        for e in &h {
            print_log_entry(e);
        }
    }
    Ok(0)
}

/// Builds the demo (or finds it already there), prints its path, and opens it on request.
pub fn demo(path: Option<PathBuf>, sources: Option<PathBuf>, open_gui: bool, window: &dyn Window) -> Result<i32> {
    let root = super::find_sources(sources)?;
    let path = path.unwrap_or_else(|| PathBuf::from("demo.codeloom"));
    let path = match demo::demo_at(&path, &demo::DemoSources::in_repository(&root))? {
        demo::DemoOutcome::Built(summary) => {
            eprintln!("built the demo: {} documents, {} codings", summary.import.imported(), summary.codings);
            summary.path
        }
        demo::DemoOutcome::Existing(path) => {
            eprintln!("{} already holds the demo study; it is left as it is", path.display());
            path
        }
    };
    println!("{}", path.display());
    if open_gui {
        window.open(path)?;
    }
    Ok(0)
}

/// The speed measurements of the library and of the window, as JSON.
pub fn bench(
    quick: bool,
    scale: bool,
    seed: u64,
    out: Option<&Path>,
    keep: Option<&Path>,
    window: &dyn Window,
) -> Result<i32> {
    let scratch;
    let work: &Path = match keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
            dir
        }
        None => {
            scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
            scratch.path()
        }
    };
    let report = if scale {
        let exe = std::env::current_exe().ok();
        let (mut report, study) =
            codeloom::bench::run_scale(work, quick, seed, exe.as_deref(), &mut |m| eprintln!("measuring {m} ..."))?;
        eprintln!("measuring the window on the scale study ...");
        report.measurements.extend(window.bench_scale(&study)?);
        report
    } else {
        let size = if quick { codeloom::bench::BenchSize::QUICK } else { codeloom::bench::BenchSize::FULL };
        let mut report = codeloom::bench::run(work, size, seed, &mut |m| eprintln!("measuring {m} ..."))?;
        eprintln!("measuring the transcript view ...");
        report.measurements.extend(window.bench(quick, seed));
        report
    };
    let text = serde_json::to_string_pretty(&report)?;
    println!("{text}");
    if let Some(o) = out {
        codeloom::output::write_bytes(o, text.as_bytes(), &codeloom::output::Protect::none())?;
    }
    Ok(0)
}
