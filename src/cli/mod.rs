//! The `codeloom` command line: clap definitions and one small function per
//! subcommand, each calling the library. Human-readable output by default, JSON with
//! `--json`; every JSON record carries the object's `id`.

mod agreement;
mod backup;
mod codebook;
mod export;
mod extract;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use codeloom::Project;
use codeloom::model::time;
use std::path::{Path, PathBuf};

mod interop;
mod media;
mod project;
mod search;
mod suggest;

/// Codeloom: a workbench for qualitative interview research.
///
/// With no arguments, or with a project file, opens the workbench window. With a
/// subcommand, does the same work from the command line.
#[derive(Parser, Debug)]
#[command(name = "codeloom", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// A project file to open in the workbench.
    pub project: Option<PathBuf>,
    /// Open the workbench at this document (its name or ID).
    #[arg(long, requires = "project", value_name = "DOCUMENT")]
    pub document: Option<String>,
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
    /// Suggested codings learned from the team's coding: the inbox, accept or reject by ID, --evaluate.
    Suggest(suggest::SuggestArgs),
    /// The passages most like a selection, across the project.
    Similar(suggest::SimilarArgs),
    /// Reports for a paper (quotes by theme, count matrices, the codebook appendix) and the
    /// whole project as REFI-QDA .qdpx for other tools.
    Export {
        #[command(subcommand)]
        command: export::ExportCommand,
    },
    /// Interview recordings: link them to documents, list and unlink them, set sync points.
    Media {
        #[command(subcommand)]
        command: media::MediaCommand,
    },
    /// Backups of a project: list them, make one now, restore one, or set how many are kept.
    Backup {
        #[command(subcommand)]
        command: backup::BackupCommand,
    },
    /// Reads a PDF's text for the importer, in a child process (internal).
    #[command(name = "__extract-pdf", hide = true)]
    ExtractPdf(extract::ExtractPdfArgs),
    /// Measure speed on synthetic corpora; prints JSON.
    Bench {
        /// A small run that checks the bench works, not the real sizes.
        #[arg(long)]
        quick: bool,
        /// Only the scale scenario: 10,000 transcripts of real length with 1,000,000 codings (a tenth with --quick).
        #[arg(long)]
        scale: bool,
        /// Work in this folder and keep what is built there (a scale study found there is reused).
        #[arg(long, value_name = "DIR")]
        work: Option<PathBuf>,
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

/// The project the command opened, to name it in errors that come from its database.
struct Opened {
    path: PathBuf,
    read_only: bool,
    schema: i64,
}

static OPENED: std::sync::Mutex<Option<Opened>> = std::sync::Mutex::new(None);

fn remember(p: &Project) {
    if let Ok(mut o) = OPENED.lock() {
        *o = Some(Opened { path: p.path().to_path_buf(), read_only: p.is_read_only(), schema: p.opened_schema() });
    }
}

/// Opens a project to change it, with changes recorded under `--as` (or the default coder).
fn open(path: &Path, common: Option<&Common>) -> Result<Project> {
    let mut p = Project::open(path)?;
    remember(&p);
    if let Some(c) = common {
        p.set_coder(&codeloom::store::default_coder(c.coder.as_deref())?)?;
    }
    Ok(p)
}

/// Opens a project only to read it: nothing in the file changes.
fn open_read_only(path: &Path) -> Result<Project> {
    let p = Project::open_read_only(path)?;
    remember(&p);
    Ok(p)
}

/// An error from the project's database names the project file, once.
fn name_project(e: anyhow::Error) -> anyhow::Error {
    let opened = OPENED.lock().ok().and_then(|mut o| o.take());
    let (Some(o), true) = (opened, e.chain().count() == 1) else { return e };
    match e.downcast::<codeloom::Error>() {
        Ok(inner) if o.read_only => codeloom::store::open::explain_older(inner, &o.path, o.schema).into(),
        Ok(inner) => inner.in_project(&o.path).into(),
        Err(e) => e,
    }
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

/// What the command line may ask of the window, which it does not import: `main` passes
/// the workbench in (`codeloom demo --open`, and the transcript view's bench scenarios).
pub trait Window {
    /// Opens the workbench on a project; returns when the window is closed.
    fn open(&self, project: PathBuf) -> Result<()>;
    /// The window's own speed measurements (`codeloom bench`).
    fn bench(&self, quick: bool, seed: u64) -> Vec<codeloom::bench::Measurement>;
    /// The window's measurements on the scale study at `project` (`codeloom bench --scale`).
    fn bench_scale(&self, project: &Path) -> codeloom::Result<Vec<codeloom::bench::Measurement>>;
}

/// Runs a subcommand; returns the process exit code.
pub fn run(command: Command, window: &dyn Window) -> Result<i32> {
    run_command(command, window).map_err(name_project)
}

fn run_command(command: Command, window: &dyn Window) -> Result<i32> {
    match command {
        Command::New { project, from: Some(from), json, common } => interop::new_from(&project, &from, json, &common),
        Command::New { project, .. } => project::new(&project),
        Command::Import { project, paths, json, common, .. } if paths.iter().any(|p| interop::is_qdpx(p)) => {
            interop::import(&project, &paths, json, &common)
        }
        Command::Import { project, paths, pattern, json, common } => {
            project::import(&project, &paths, pattern, json, &common)
        }
        Command::Docs { project, json } => project::docs(&project, json),
        Command::Show { project, doc, json } => project::show(&project, &doc, json),
        Command::Participants { project, json } => project::participants(&project, json),
        Command::Attributes { command: AttributesCommand::Import { project, file, types, common } } => {
            project::import_attributes(&project, &file, &types, &common)
        }
        Command::Pattern { project, set, test, common } => project::pattern(&project, set, &test, &common),
        Command::Code { command } => codebook::run_code(command).map(|()| 0),
        Command::Copy(args) => codebook::run_copy(args).map(|()| 0),
        Command::Merge(args) => codebook::run_merge(args).map(|()| 0),
        Command::Codings { project, doc, code, coder, version, json } => {
            project::codings(&project, doc, code, coder, version.as_deref(), json)
        }
        Command::Codebook { command } => codebook::run_codebook(command).map(|()| 0),
        Command::Undo { project, common } => project::undo(&project, &common, true),
        Command::Redo { project, common } => project::undo(&project, &common, false),
        Command::Log { project, json } => project::log(&project, json),
        Command::Demo { path, sources, open } => project::demo(path, sources, open, window),
        Command::Agreement(args) => agreement::run_agreement(args).map(|()| 0),
        Command::Assign(args) => agreement::run_assign(args).map(|()| 0),
        Command::Adjudicate(args) => agreement::run_adjudicate(args).map(|()| 0),
        Command::Search(args) => search::run(args),
        Command::Suggest(args) => suggest::run(args),
        Command::Similar(args) => suggest::similar(args),
        Command::Export { command } => export::run(command).map(|()| 0),
        Command::Backup { command } => backup::run(command).map(|()| 0),
        Command::Media { command } => media::run(command).map(|()| 0),
        Command::Bench { quick, scale, seed, out, work } => {
            project::bench(quick, scale, seed, out.as_deref(), work.as_deref(), window)
        }
        Command::ExtractPdf(args) => Ok(extract::run(args)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_definitions_are_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
