//! The `codeloom` command line: clap definitions and one small function per
//! subcommand, each calling the library. Human-readable output by default, JSON with
//! `--json`; every JSON record carries the object's `id`.

mod agreement;
mod codebook;
mod export;
mod extract;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use codeloom::import::naming::{NamePattern, PATTERN_SETTING};
use codeloom::import::{self, FileOutcome};
use codeloom::model::{AttributeKind, offsets::slice_chars, time};
use codeloom::store::queries::CodingFilter;
use codeloom::{Project, demo};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod interop;
mod search;

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
    /// Create a new, empty project file (or, with --from, one holding a REFI-QDA project).
    New {
        project: PathBuf,
        /// A REFI-QDA project (.qdpx) from another tool to fill the new project with.
        #[arg(long)]
        from: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Import transcripts (.txt .md .docx .odt .rtf .pdf .vtt .srt) and folders of them, or a REFI-QDA project (.qdpx).
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
    /// Codes: add, apply, rename, redefine, move, merge, split, delete.
    Code {
        #[command(subcommand)]
        command: codebook::CodeCommand,
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
        /// Only codings made under this codebook version (name or ID; "none" for before any version).
        #[arg(long)]
        version: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The codebook: show, versions, diff, history, import, export, reconcile.
    Codebook {
        #[command(subcommand)]
        command: codebook::CodebookCommand,
    },
    /// Hand a coder a copy of the project to code independently.
    Copy(codebook::CopyArgs),
    /// Merge coders' copies back into the project, resolving conflicts; prints a report.
    Merge(codebook::MergeArgs),
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
    /// Inter-coder agreement of a project (per code, overall, per document or wave, with
    /// bootstrap CIs), or of a reference case file with --input.
    Agreement(agreement::AgreementArgs),
    /// Say which documents a coder was given, so that the others count as missing data.
    Assign(agreement::AssignArgs),
    /// The disagreement queue: list it, decide places into the consensus layer, adopt agreements.
    Adjudicate(agreement::AdjudicateArgs),
    /// Search transcripts, memos and code descriptions; code all hits; export them as CSV.
    Search(search::SearchArgs),
    /// Reports for a paper (quotes by theme, count matrices, the codebook appendix) and the
    /// whole project as REFI-QDA .qdpx for other tools.
    Export {
        #[command(subcommand)]
        command: export::ExportCommand,
    },
    /// Reads a PDF's text for the importer, in a child process (internal).
    #[command(name = "__extract-pdf", hide = true)]
    ExtractPdf(extract::ExtractPdfArgs),
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

/// One line of the operation log: number, time, coder, summary, and its state unless applied.
fn print_log_entry(e: &codeloom::store::log::LogEntry) {
    let state = if e.state == "applied" || e.state == "marker" { String::new() } else { format!(" ({})", e.state) };
    println!("{:>5}  {}  {:<12} {}{state}", e.seq, time::format_timestamp(e.created_at_ms), e.coder, e.summary);
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

/// Runs a subcommand; returns the process exit code.
pub fn run(command: Command) -> Result<i32> {
    match command {
        Command::New { project, from: Some(from), json, common } => {
            return interop::new_from(&project, &from, json, &common);
        }
        Command::New { project, .. } => {
            Project::create(&project)?;
            println!("created {}", project.display());
        }
        Command::Import { project, paths, json, common, .. } if paths.iter().any(|p| interop::is_qdpx(p)) => {
            return interop::import(&project, &paths, json, &common);
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
        Command::Code { command } => codebook::run_code(command)?,
        Command::Copy(args) => codebook::run_copy(args)?,
        Command::Merge(args) => codebook::run_merge(args)?,
        Command::Codings { project, doc, code, coder, version, json } => {
            let p = open(&project, None)?;
            let filter = CodingFilter {
                document_id: doc.map(|d| p.resolve_document(&d)).transpose()?,
                code_id: code.map(|c| p.resolve_code(&c)).transpose()?,
                coder,
            };
            let codings = match version.as_deref() {
                None => p.codings(&filter)?,
                Some(v) if v.eq_ignore_ascii_case("none") => {
                    codeloom::codebook::versions::codings_under(&p, None, &filter)?
                }
                Some(v) => codeloom::codebook::versions::codings_under(&p, Some(v), &filter)?,
            };
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
        Command::Codebook { command } => codebook::run_codebook(command)?,
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
                for e in &h {
                    print_log_entry(e);
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
        Command::Agreement(args) => agreement::run_agreement(args)?,
        Command::Assign(args) => agreement::run_assign(args)?,
        Command::Adjudicate(args) => agreement::run_adjudicate(args)?,
        Command::Search(args) => return search::run(args),
        Command::Export { command } => export::run(command)?,
        Command::ExtractPdf(args) => return Ok(extract::run(args)),
        Command::Bench { quick, seed, out } => {
            let work = tempfile::tempdir().context("cannot make a scratch folder")?;
            let size = if quick { codeloom::bench::BenchSize::QUICK } else { codeloom::bench::BenchSize::FULL };
            let mut report = codeloom::bench::run(work.path(), size, seed, &mut |m| eprintln!("measuring {m} ..."))?;
            eprintln!("measuring the transcript view ...");
            let view_size =
                if quick { crate::ui::bench::ViewBenchSize::QUICK } else { crate::ui::bench::ViewBenchSize::FULL };
            report.measurements.extend(crate::ui::bench::transcript_view(&view_size, seed));
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
