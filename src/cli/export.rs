//! `codeloom export quotes|matrix|codebook`: the reports of [`codeloom::export`] written
//! to a file. The format comes from `--format` or, failing that, from the extension of
//! `--out`.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use codeloom::Project;
use codeloom::export::matrix::{self, Count};
use codeloom::export::quotes::{QuoteOptions, Selection, WaveGroup, WaveSplit};
use codeloom::export::{Format, appendix, data::StudyData, quotes};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Themes and subthemes with illustrative quotes and attributes (DOCX, XLSX, CSV, Markdown, HTML).
    Quotes(QuotesArgs),
    /// Counts per code: by wave, by participant, by attribute, or co-occurrence (CSV, XLSX; also DOCX, MD, HTML).
    Matrix(MatrixArgs),
    /// The codebook as an appendix: definitions, examples, counts (DOCX, Markdown; also HTML, CSV, XLSX).
    Codebook(CodebookArgs),
    /// The whole project as a REFI-QDA .qdpx for NVivo, ATLAS.ti, MAXQDA, QualCoder and others.
    Qdpx(super::interop::QdpxExportArgs),
}

#[derive(Args, Debug, Clone)]
pub struct Output {
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// docx, xlsx, csv, md or html (default: from the extension of --out).
    #[arg(long)]
    pub format: Option<String>,
    /// Print a JSON summary instead of a line of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct QuotesArgs {
    pub project: PathBuf,
    #[command(flatten)]
    pub output: Output,
    /// Themes to report, by name, path (Theme / Subtheme) or ID (default: every top-level code).
    #[arg(long, num_args = 1..)]
    pub themes: Vec<String>,
    /// Subthemes to keep (default: every child of each theme).
    #[arg(long, num_args = 1..)]
    pub subthemes: Vec<String>,
    /// The attribution after each quote; {name} is an attribute or participant, wave, document, coder, code.
    #[arg(long, default_value = "[{participant}, {wave}]")]
    pub template: String,
    /// One column of quotes per wave.
    #[arg(long)]
    pub by_wave: bool,
    /// A column for a group of waves, such as Before=BL or After=3M,6M (repeat for each column).
    #[arg(long = "wave-group", value_name = "LABEL=WAVES", conflicts_with = "by_wave")]
    pub wave_groups: Vec<String>,
    /// Only the starred quotes (the default).
    #[arg(long, conflicts_with = "propose")]
    pub starred_only: bool,
    /// Fill each cell with up to N quotes: starred first, then proposed by length and participant spread.
    #[arg(long, value_name = "N")]
    pub propose: Option<usize>,
    /// At most N starred quotes per cell.
    #[arg(long, value_name = "N", conflicts_with = "propose")]
    pub per_cell: Option<usize>,
    /// Cut quotes longer than N words at a word boundary, with "…".
    #[arg(long, value_name = "N")]
    pub max_words: Option<usize>,
    /// Only this coder's codings.
    #[arg(long)]
    pub coder: Option<String>,
    #[arg(long, default_value = "Themes and illustrative quotes")]
    pub title: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MatrixKind {
    /// Codings and distinct participants per code per wave.
    CodeWave,
    /// Codings per code per participant (with --by-wave: per participant and wave).
    CodeParticipant,
    /// Participants (or codings) per code per value of --attribute.
    CodeAttribute,
    /// Overlapping codings of two codes by the same coder in one document.
    Cooccurrence,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CountArg {
    Participants,
    Codings,
}

#[derive(Args, Debug)]
pub struct MatrixArgs {
    pub project: PathBuf,
    #[command(flatten)]
    pub output: Output,
    #[arg(long, value_enum)]
    pub kind: MatrixKind,
    /// The attribute for --kind code-attribute.
    #[arg(long)]
    pub attribute: Option<String>,
    /// Cut points that bin a number attribute, such as 40,60 (default: one column per value).
    #[arg(long, value_delimiter = ',', value_name = "CUTS")]
    pub bins: Vec<f64>,
    /// What code-attribute cells count.
    #[arg(long, value_enum, default_value = "participants")]
    pub count: CountArg,
    /// code-participant: one column per participant and wave.
    #[arg(long)]
    pub by_wave: bool,
    /// cooccurrence: count overlapping codings by different coders too (default: same coder only).
    #[arg(long)]
    pub any_coder: bool,
    /// Count only codings made with each code itself, not with the codes below it.
    #[arg(long)]
    pub no_rollup: bool,
    /// Only this coder's codings.
    #[arg(long)]
    pub coder: Option<String>,
}

#[derive(Args, Debug)]
pub struct CodebookArgs {
    pub project: PathBuf,
    #[command(flatten)]
    pub output: Output,
    /// Leave out each code's first starred quote.
    #[arg(long)]
    pub no_quotes: bool,
    /// Count only this coder's codings.
    #[arg(long)]
    pub coder: Option<String>,
    #[arg(long, default_value = "Codebook")]
    pub title: String,
}

fn format_of(output: &Output, allowed: &[Format]) -> Result<Format> {
    let f = match &output.format {
        Some(s) => {
            Format::parse(s).with_context(|| format!("unknown format \"{s}\"; use docx, xlsx, csv, md or html"))?
        }
        None => Format::from_path(&output.out).with_context(|| {
            format!("{}: cannot tell the format from the file name; add --format", output.out.display())
        })?,
    };
    if !allowed.contains(&f) {
        let names: Vec<&str> = allowed.iter().map(|f| f.extension()).collect();
        bail!("this export is written as {}, not {f}", names.join(", "));
    }
    Ok(f)
}

fn finish(
    project: &Project,
    output: &Output,
    format: Format,
    bytes: &[u8],
    summary: serde_json::Value,
    line: String,
) -> Result<()> {
    codeloom::output::write_bytes(&output.out, bytes, &codeloom::output::Protect::project(project.path()))?;
    if output.json {
        let mut s = summary;
        s["out"] = json!(output.out.display().to_string());
        s["format"] = json!(format.extension());
        s["bytes"] = json!(bytes.len());
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!("wrote {} ({format}): {line}", output.out.display());
    }
    Ok(())
}

fn open(path: &Path) -> Result<Project> {
    super::open_read_only(path)
}

/// Runs one `codeloom export` subcommand.
pub fn run(command: ExportCommand) -> Result<()> {
    match command {
        ExportCommand::Qdpx(a) => super::interop::export(super::interop::ExportCommand::Qdpx(a)).map(|_| ()),
        ExportCommand::Quotes(a) => {
            let all = [Format::Docx, Format::Xlsx, Format::Csv, Format::Markdown, Format::Html];
            let format = format_of(&a.output, &all)?;
            let p = open(&a.project)?;
            let resolve =
                |names: &[String]| -> Result<Vec<String>> { names.iter().map(|n| Ok(p.resolve_code(n)?)).collect() };
            let waves = if a.by_wave {
                WaveSplit::EachWave
            } else if !a.wave_groups.is_empty() {
                WaveSplit::Groups(a.wave_groups.iter().map(|g| WaveGroup::parse(g)).collect::<Result<_, _>>()?)
            } else {
                WaveSplit::Together
            };
            let selection = match a.propose {
                Some(0) => bail!("--propose needs at least 1 quote per cell"),
                Some(n) => Selection::Propose { per_cell: n },
                None => Selection::Starred { per_cell: a.per_cell },
            };
            let options = QuoteOptions {
                title: a.title.clone(),
                themes: resolve(&a.themes)?,
                subthemes: resolve(&a.subthemes)?,
                selection,
                template: a.template.clone(),
                waves,
                max_words: a.max_words.filter(|n| *n > 0),
                coder: a.coder.clone(),
            };
            let report = quotes::quote_report(&p, &options)?;
            for w in &report.warnings {
                eprintln!("warning: {w}");
            }
            let bytes = quotes::render(&report, format)?;
            let line = format!(
                "{} theme(s), {} quote(s){}",
                report.themes.len(),
                report.quote_count(),
                if report.empty_themes.is_empty() {
                    String::new()
                } else {
                    format!("; no quotes for {}", report.empty_themes.join(", "))
                }
            );
            let summary = json!({"themes": report.themes.len(), "quotes": report.quote_count(),
                "empty_themes": report.empty_themes, "warnings": report.warnings, "columns": report.columns});
            finish(&p, &a.output, format, &bytes, summary, line)
        }
        ExportCommand::Matrix(a) => {
            let all = [Format::Csv, Format::Xlsx, Format::Docx, Format::Markdown, Format::Html];
            let format = format_of(&a.output, &all)?;
            if a.kind != MatrixKind::CodeAttribute && a.attribute.is_some() {
                bail!("--attribute goes with --kind code-attribute");
            }
            let p = open(&a.project)?;
            let data = StudyData::load(&p, a.coder.as_deref())?;
            let rollup = !a.no_rollup;
            let (m, sheet) = match a.kind {
                MatrixKind::CodeWave => (matrix::code_wave(&data, rollup), "Code × wave"),
                MatrixKind::CodeParticipant => {
                    (matrix::code_participant(&data, rollup, a.by_wave), "Code × participant")
                }
                MatrixKind::CodeAttribute => {
                    let Some(attr) = &a.attribute else {
                        bail!("--kind code-attribute needs --attribute NAME");
                    };
                    let count = match a.count {
                        CountArg::Participants => Count::Participants,
                        CountArg::Codings => Count::Codings,
                    };
                    (matrix::code_attribute(&data, attr, &a.bins, count, rollup)?, "Code × attribute")
                }
                MatrixKind::Cooccurrence => (matrix::cooccurrence(&data, a.any_coder), "Co-occurrence"),
            };
            let bytes = m.render(sheet, format)?;
            let line = format!("{} codes × {} columns", m.rows.len(), m.columns.len());
            let summary = json!({"title": m.title, "rows": m.rows.len(), "columns": m.columns});
            finish(&p, &a.output, format, &bytes, summary, line)
        }
        ExportCommand::Codebook(a) => {
            let all = [Format::Docx, Format::Markdown, Format::Html, Format::Csv, Format::Xlsx];
            let format = format_of(&a.output, &all)?;
            let p = open(&a.project)?;
            let options = appendix::AppendixOptions {
                title: a.title.clone(),
                starred_examples: !a.no_quotes,
                coder: a.coder.clone(),
                ..appendix::AppendixOptions::default()
            };
            let ap = appendix::appendix(&p, &options)?;
            let bytes = appendix::render(&ap, format)?;
            let line = format!("{} codes, {} codings", ap.entries.len(), ap.total_codings);
            let summary = json!({"codes": ap.entries.len(), "codings": ap.total_codings, "version": ap.version});
            finish(&p, &a.output, format, &bytes, summary, line)
        }
    }
}
