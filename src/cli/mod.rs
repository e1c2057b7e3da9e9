//! The `codeloom` command line: clap definitions and one small function per
//! subcommand, each calling the library. Human-readable output by default, JSON with
//! `--json`; every JSON record carries the object's `id`.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use codeloom::import::naming::{NamePattern, PATTERN_SETTING};
use codeloom::import::{self, FileOutcome};
use codeloom::model::{AttributeKind, CodeDescription, offsets::slice_chars, time};
use codeloom::store::ops::{NewCode, NewCoding};
use codeloom::store::queries::CodingFilter;
use codeloom::{Project, demo};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Codeloom: a workbench for qualitative interview research.
///
/// With no arguments, or with a project file, opens the workbench window. With a
/// subcommand, does the same work from the command line.
#[derive(Parser, Debug)]
#[command(name = "codeloom", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// A project file to open in the workbench.
    pub project: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// The coder this change is recorded under (default: $CODELOOM_CODER, $USER, or "researcher").
    #[arg(long = "as", id = "as_coder", global = true, value_name = "CODER")]
    pub coder: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new, empty project file.
    New { project: PathBuf },
    /// Import transcripts (.txt .md .docx .odt .rtf .pdf .vtt .srt) and folders of them.
    Import {
        project: PathBuf,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A file-name pattern for this import (a regular expression with groups `participant` and `wave`).
        #[arg(long)]
        pattern: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// List the documents with participant, wave, turns, speakers and characters.
    Docs {
        project: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Print a document (by name or ID) with its turns.
    Show {
        project: PathBuf,
        doc: String,
        #[arg(long)]
        json: bool,
    },
    /// List participants with their attributes.
    Participants {
        project: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Participant attributes.
    Attributes {
        #[command(subcommand)]
        command: AttributesCommand,
    },
    /// See or set how participant and wave are read from file names.
    Pattern {
        project: PathBuf,
        /// Set the project's pattern (a regular expression with groups `participant` and `wave`).
        #[arg(long)]
        set: Option<String>,
        /// File names to try the pattern on.
        #[arg(long = "test", value_name = "FILE_NAME")]
        test: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Codes: add one, apply one to text.
    Code {
        #[command(subcommand)]
        command: CodeCommand,
    },
    /// List codings, each with the coded text.
    Codings {
        project: PathBuf,
        #[arg(long)]
        doc: Option<String>,
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        coder: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The codebook: show the code tree, import a codebook file.
    Codebook {
        #[command(subcommand)]
        command: CodebookCommand,
    },
    /// Undo the last operation.
    Undo {
        project: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Redo the operation undone last.
    Redo {
        project: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// The operation log: every change, who made it and when.
    Log {
        project: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Build the demo study from fixtures/ and print its path.
    Demo {
        /// Where to write the demo project (default: demo.codeloom in the current folder).
        path: Option<PathBuf>,
        /// The repository folder that holds fixtures/ and codebooks/.
        #[arg(long)]
        sources: Option<PathBuf>,
        /// Open the workbench on the demo afterwards.
        #[arg(long)]
        open: bool,
    },
    /// Inter-coder agreement of a reference case file (forms A and B of the agreement
    /// specification): every statistic, so any implementation can be checked against ours.
    Agreement {
        /// A case file: {"coders", "units"} (values per unit) or {"coders", "continuum_length", "spans"}.
        #[arg(long)]
        input: PathBuf,
        /// Bootstrap resamples for the confidence interval (at least 1000; 0 to skip).
        #[arg(long, default_value_t = 2000)]
        resamples: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// Measure speed on synthetic corpora; prints JSON.
    Bench {
        /// A small run that checks the bench works, not the real sizes.
        #[arg(long)]
        quick: bool,
        #[arg(long, default_value_t = 20261123)]
        seed: u64,
        /// Write the JSON report here as well as to standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AttributesCommand {
    /// Import participant attributes from a CSV file (first column: participant).
    Import {
        project: PathBuf,
        file: PathBuf,
        /// Set a column's type: NAME=text|number|date|category (repeatable).
        #[arg(long = "type", value_name = "COLUMN=KIND")]
        types: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand, Debug)]
pub enum CodeCommand {
    /// Add a code to the codebook.
    Add {
        project: PathBuf,
        name: String,
        /// Parent code (name, path or ID).
        #[arg(long)]
        parent: Option<String>,
        /// Definition of the code.
        #[arg(long)]
        description: Option<String>,
        /// Colour as #rrggbb.
        #[arg(long)]
        color: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Apply a code to a range [start, end) of a document (character offsets).
    Apply {
        project: PathBuf,
        #[arg(long)]
        doc: String,
        #[arg(long)]
        start: usize,
        #[arg(long)]
        end: usize,
        #[arg(long)]
        code: String,
        /// The coder (default: --as, $CODELOOM_CODER, $USER).
        #[arg(long)]
        coder: Option<String>,
        #[arg(long)]
        memo: Option<String>,
        /// Star the coding as an illustrative quote.
        #[arg(long)]
        star: bool,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand, Debug)]
pub enum CodebookCommand {
    /// Show the code tree with counts.
    Show {
        project: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Add the codes of a Codeloom codebook JSON file.
    Import {
        project: PathBuf,
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

fn default_coder(given: &Option<String>) -> String {
    given
        .clone()
        .or_else(|| std::env::var("CODELOOM_CODER").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| codeloom::store::DEFAULT_CODER.to_string())
}

fn open(path: &Path, common: Option<&Common>) -> Result<Project> {
    let mut p = Project::open(path)?;
    if let Some(c) = common {
        p.set_coder(&default_coder(&c.coder))?;
    }
    Ok(p)
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// The repository folder holding fixtures/ and codebooks/: given, next to the
/// executable's build tree, or the source tree it was built from.
pub fn find_sources(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(g) = given {
        return Ok(g);
    }
    let mut candidates = vec![];
    if let Ok(cwd) = std::env::current_dir() {
        candidates.push(cwd);
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    candidates
        .into_iter()
        .find(|c| c.join("fixtures/demo").is_dir() && c.join("codebooks").is_dir())
        .context("cannot find fixtures/ and codebooks/; run from the repository or pass --sources DIR")
}

/// One line per headline figure of an agreement report; `undefined` where there is none.
fn print_agreement_summary(report: &serde_json::Value) {
    fn headline(key: &str) -> bool {
        key == "value"
            || key == "pairwise_mean"
            || key == "kappa"
            || key == "percent_agreement"
            || key.contains("alpha")
            || key.starts_with("char_")
            || key == "cu_coverage_pct"
    }
    fn walk(path: &str, v: &serde_json::Value, depth: usize) {
        let Some(map) = v.as_object() else { return };
        for (k, sub) in map {
            let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
            match sub {
                serde_json::Value::Object(_) if depth < 3 && !k.starts_with("band") && k != "coincidences" => {
                    walk(&here, sub, depth + 1)
                }
                serde_json::Value::Number(n) if headline(k) => {
                    println!("{here:<56} {:.4}", n.as_f64().unwrap_or(f64::NAN))
                }
                serde_json::Value::Null if headline(k) => println!("{here:<56} undefined"),
                _ => {}
            }
        }
    }
    walk("", report, 0);
    println!("(every figure, its parts and the reasons for undefined values: --json)");
}

/// Runs a subcommand; returns the process exit code.
pub fn run(command: Command) -> Result<i32> {
    match command {
        Command::New { project } => {
            Project::create(&project)?;
            println!("created {}", project.display());
        }
        Command::Import { project, paths, pattern, json, common } => {
            let mut p = open(&project, Some(&common))?;
            let pattern = pattern.map(|s| NamePattern::new(&s)).transpose().map_err(anyhow::Error::msg)?;
            let bar = indicatif::ProgressBar::new(0);
            if json {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let report = import::import_paths(&mut p, &paths, pattern.as_ref(), &mut |pr| {
                bar.set_length(pr.total as u64);
                bar.set_position(pr.done as u64);
                bar.set_message(pr.current.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
            })?;
            bar.finish_and_clear();
            if json {
                print_json(&report)?;
            } else {
                for f in &report.files {
                    let name = f.path.display();
                    match &f.outcome {
                        FileOutcome::Imported { name: doc, participant, wave, turns, speakers, characters, .. } => {
                            println!(
                                "imported  {doc}  participant {}  wave {}  {turns} turns  {characters} characters  speakers: {}",
                                participant.as_deref().unwrap_or("-"),
                                wave.as_deref().unwrap_or("-"),
                                if speakers.is_empty() {
                                    "(none: paragraphs)".to_string()
                                } else {
                                    speakers.join(", ")
                                }
                            )
                        }
                        FileOutcome::Duplicate { existing_name, .. } => {
                            println!(
                                "duplicate {name}: the same text is already in the project as {existing_name}; not imported again"
                            )
                        }
                        FileOutcome::Failed { reason } => eprintln!("error     {name}: {reason}"),
                        FileOutcome::Skipped { reason } => println!("skipped   {name}: {reason}"),
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
            if report.failed() > 0 {
                return Ok(1);
            }
        }
        Command::Docs { project, json } => {
            let p = open(&project, None)?;
            let docs = p.documents()?;
            if json {
                print_json(&docs)?;
            } else {
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
            }
        }
        Command::Show { project, doc, json } => {
            let p = open(&project, None)?;
            let id = p.resolve_document(&doc)?;
            let d = p.document(&id)?;
            let text = p.document_text(&id)?;
            let turns = p.turns(&id)?;
            if json {
                print_json(&json!({
                    "id": d.id, "name": d.name, "original_name": d.original_name, "format": d.format,
                    "participant": d.participant, "wave": d.wave, "content_hash": d.content_hash,
                    "characters": d.char_count, "text": text, "turns": turns,
                }))?;
            } else {
                println!(
                    "{} ({}), participant {}, wave {}, {} turns\n",
                    d.name,
                    d.original_name,
                    d.participant.as_deref().unwrap_or("-"),
                    d.wave.as_deref().unwrap_or("-"),
                    turns.len()
                );
                for t in &turns {
                    let time = t.time_start_ms.map(|ms| format!("[{}] ", time::format_clock(ms))).unwrap_or_default();
                    let body = slice_chars(&text, t.start, t.end).unwrap_or("");
                    match &t.speaker {
                        Some(s) => println!("{time}{s}: {body}\n"),
                        None => println!("{time}{body}\n"),
                    }
                }
            }
        }
        Command::Participants { project, json } => {
            let p = open(&project, None)?;
            let parts = p.participants()?;
            if json {
                let list: Vec<_> = parts
                    .iter()
                    .map(|x| {
                        let attrs: serde_json::Map<String, serde_json::Value> = x
                            .attributes
                            .iter()
                            .map(|(k, v)| (k.clone(), json!({"kind": v.kind, "value": v.value})))
                            .collect();
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
        }
        Command::Attributes { command: AttributesCommand::Import { project, file, types, common } } => {
            let mut p = open(&project, Some(&common))?;
            let mut kinds = HashMap::new();
            for t in types {
                let Some((col, kind)) = t.split_once('=') else { bail!("--type expects COLUMN=KIND, got \"{t}\"") };
                let Some(k) = AttributeKind::parse(kind) else {
                    bail!("unknown attribute type \"{kind}\" (text, number, date, category)")
                };
                kinds.insert(col.trim().to_string(), k);
            }
            let bytes = std::fs::read(&file).with_context(|| format!("{}: cannot read the file", file.display()))?;
            let table = import::attributes::parse_attributes_csv(&file, &bytes, &kinds)?;
            p.import_attributes(&table)?;
            for (name, kind) in &table.columns {
                println!("{name}: {kind}");
            }
            println!("imported {} attributes for {} participants", table.columns.len(), table.rows.len());
        }
        Command::Pattern { project, set, test, common } => {
            let mut p = open(&project, Some(&common))?;
            if let Some(s) = set {
                NamePattern::new(&s).map_err(anyhow::Error::msg)?;
                p.set_setting(PATTERN_SETTING, &s)?;
            }
            let pattern = import::project_pattern(&p)?;
            println!("pattern: {}", pattern.as_str());
            for name in test {
                let stem =
                    Path::new(&name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or(name.clone());
                let parts = pattern.parse(&stem);
                println!(
                    "{name}: participant {}, wave {}",
                    parts.participant.as_deref().unwrap_or("(none)"),
                    parts.wave.as_deref().unwrap_or("(none)")
                );
            }
        }
        Command::Code { command: CodeCommand::Add { project, name, parent, description, color, common } } => {
            let mut p = open(&project, Some(&common))?;
            let parent_id = parent.map(|x| p.resolve_code(&x)).transpose()?;
            let id = p.create_code(NewCode {
                id: None,
                name: name.clone(),
                parent_id,
                color,
                description: CodeDescription { definition: description.unwrap_or_default(), ..Default::default() },
            })?;
            println!("created code {name} ({id})");
        }
        Command::Code { command: CodeCommand::Apply { project, doc, start, end, code, coder, memo, star, common } } => {
            let mut p = open(&project, Some(&common))?;
            let document_id = p.resolve_document(&doc)?;
            let code_id = p.resolve_code(&code)?;
            let coder = coder.unwrap_or_else(|| p.coder().to_string());
            let id = p.apply_coding(NewCoding {
                document_id,
                start,
                end,
                code_id,
                coder: Some(coder),
                memo,
                illustrative: star,
            })?;
            println!("applied coding {id}");
        }
        Command::Codings { project, doc, code, coder, json } => {
            let p = open(&project, None)?;
            let filter = CodingFilter {
                document_id: doc.map(|d| p.resolve_document(&d)).transpose()?,
                code_id: code.map(|c| p.resolve_code(&c)).transpose()?,
                coder,
            };
            let codings = p.codings(&filter)?;
            let mut texts: HashMap<String, String> = HashMap::new();
            let mut names: HashMap<String, String> = HashMap::new();
            let mut records = Vec::new();
            for c in &codings {
                if !texts.contains_key(&c.document_id) {
                    texts.insert(c.document_id.clone(), p.document_text(&c.document_id)?);
                    names.insert(c.document_id.clone(), p.document(&c.document_id)?.name);
                }
                if !names.contains_key(&c.code_id) {
                    names.insert(c.code_id.clone(), p.code_path(&c.code_id)?);
                }
                let text = slice_chars(&texts[&c.document_id], c.start, c.end).unwrap_or("").to_string();
                records.push((c, text));
            }
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
            } else {
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
                println!("{} codings", records.len());
            }
        }
        Command::Codebook { command: CodebookCommand::Show { project, json } } => {
            let p = open(&project, None)?;
            let codes = p.codes()?;
            let counts = p.code_counts()?;
            if json {
                let list: Vec<_> = codes
                    .iter()
                    .map(|c| {
                        let n = counts.get(&c.id).copied().unwrap_or_default();
                        json!({"id": c.id, "name": c.name, "parent_id": c.parent_id, "color": c.color,
                               "description": c.description, "codings": n.codings, "participants": n.participants})
                    })
                    .collect();
                print_json(&list)?;
            } else {
                let depth = |c: &codeloom::model::Code| {
                    let mut d = 0;
                    let mut cur = c.parent_id.clone();
                    while let Some(pid) = cur {
                        d += 1;
                        cur = codes.iter().find(|x| x.id == pid).and_then(|x| x.parent_id.clone());
                    }
                    d
                };
                for c in &codes {
                    let n = counts.get(&c.id).copied().unwrap_or_default();
                    println!(
                        "{}{}  ({} codings, {} participants)",
                        "  ".repeat(depth(c)),
                        c.name,
                        n.codings,
                        n.participants
                    );
                }
            }
        }
        Command::Codebook { command: CodebookCommand::Import { project, file, common } } => {
            let mut p = open(&project, Some(&common))?;
            let r = codeloom::codebook::import_codebook(&mut p, &file)?;
            println!("imported {} codes", r.created.len());
            if !r.already_present.is_empty() {
                println!("already in the project (left unchanged): {}", r.already_present.join(", "));
            }
        }
        Command::Undo { project, common } => {
            let mut p = open(&project, Some(&common))?;
            let e = p.undo()?;
            println!("undone: {}", e.summary);
        }
        Command::Redo { project, common } => {
            let mut p = open(&project, Some(&common))?;
            let e = p.redo()?;
            println!("redone: {}", e.summary);
        }
        Command::Log { project, json } => {
            let p = open(&project, None)?;
            let h = p.history()?;
            if json {
                print_json(&h)?;
            } else {
                for e in h {
                    let state = if e.state == "applied" || e.state == "marker" {
                        String::new()
                    } else {
                        format!(" ({})", e.state)
                    };
                    println!(
                        "{:>5}  {}  {:<12} {}{state}",
                        e.seq,
                        time::format_timestamp(e.created_at_ms),
                        e.coder,
                        e.summary
                    );
                }
            }
        }
        Command::Demo { path, sources, open: open_gui } => {
            let root = find_sources(sources)?;
            let path = path.unwrap_or_else(|| PathBuf::from("demo.codeloom"));
            let summary = demo::build_demo(&path, &demo::DemoSources::in_repository(&root))?;
            eprintln!("built the demo: {} documents, {} codings", summary.import.imported(), summary.codings);
            println!("{}", summary.path.display());
            if open_gui {
                crate::ui::run(Some(summary.path))?;
            }
        }
        Command::Agreement { input, resamples, seed, json } => {
            if resamples != 0 && resamples < 1000 {
                bail!("--resamples must be 0 (no bootstrap) or at least 1000");
            }
            let text = std::fs::read_to_string(&input)
                .with_context(|| format!("{}: cannot read the file", input.display()))?;
            let options = codeloom::agreement::cases::ReportOptions {
                bootstrap: (resamples > 0).then_some(codeloom::agreement::BootstrapConfig { resamples, seed }),
            };
            let report = codeloom::agreement::cases::report_from_json(&text, &options)
                .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
            if json {
                print_json(&report)?;
            } else {
                print_agreement_summary(&report);
            }
        }
        Command::Bench { quick, seed, out } => {
            let work = tempfile::tempdir().context("cannot make a scratch folder")?;
            let size = if quick { codeloom::bench::BenchSize::QUICK } else { codeloom::bench::BenchSize::FULL };
            let report = codeloom::bench::run(work.path(), size, seed, &mut |m| eprintln!("measuring {m} ..."))?;
            let text = serde_json::to_string_pretty(&report)?;
            println!("{text}");
            if let Some(o) = out {
                std::fs::write(&o, &text).with_context(|| format!("{}: cannot write", o.display()))?;
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_definitions_are_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
