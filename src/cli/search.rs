//! `codeloom search`: run a query, print hits as context lines (or JSON), export them
//! as CSV, and code them all.

use super::{Common, open, print_json};
use anyhow::{Result, bail};
use clap::Args;
use codeloom::output::{self, Protect};
use codeloom::search::{Extent, SearchIndex, SearchOptions, Sort, codings_for_hits, write_csv};
use serde_json::json;
use std::path::PathBuf;

/// Search the transcripts, memos and code descriptions of a project.
///
/// Query language: words; "exact phrases"; AND, OR, NOT (in capitals) and parentheses;
/// +word / -word; prefix pain*; fuzzy medication~1; filters speaker:, wave:,
/// participant:, document:, code:, coder: and participant attributes (gender:female,
/// age:>60). Words are matched by stem unless --exact.
#[derive(Args, Debug)]
pub struct SearchArgs {
    pub project: PathBuf,
    pub query: String,
    #[arg(long)]
    pub json: bool,
    /// Show at most this many hits (0: all).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Match exact word forms instead of stems.
    #[arg(long)]
    pub exact: bool,
    /// relevance or document.
    #[arg(long, default_value = "relevance")]
    pub sort: String,
    /// Apply this code (name, path or ID) to every hit, as one undoable operation.
    #[arg(long = "code-all", value_name = "CODE")]
    pub code_all: Option<String>,
    /// How much each coding covers: hit, sentence or turn.
    #[arg(long, default_value = "hit")]
    pub extent: String,
    /// Write every hit to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(args: SearchArgs) -> Result<i32> {
    let Some(sort) = Sort::parse(&args.sort) else {
        bail!("--sort takes relevance or document, not \"{}\"", args.sort)
    };
    let Some(extent) = Extent::parse(&args.extent) else {
        bail!("--extent takes hit, sentence or turn, not \"{}\"", args.extent)
    };
    codeloom::store::default_coder(args.common.coder.as_deref())?;
    // Only coding every hit changes the project; a search alone opens it read-only.
    let mut project = match args.code_all {
        Some(_) => open(&args.project, Some(&args.common))?,
        None => super::open_read_only(&args.project)?,
    };
    if let Some(path) = &args.csv {
        // Refuse a bad target before the search, not after it.
        output::check_target(path, &Protect::project(project.path()))?;
    }
    let bar = indicatif::ProgressBar::hidden();
    if !args.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("indexing {bar:40} {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (index, report) = SearchIndex::open(&project, &mut |p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
    })?;
    bar.finish_and_clear();
    if let Some(why) = &report.rebuilt_because
        && !args.json
    {
        eprintln!("built the search index ({why}): {} documents", report.documents);
    }
    let page =
        SearchOptions { exact: args.exact, sort, limit: (args.limit > 0).then_some(args.limit), ..Default::default() };
    let results = index.search(&args.query, &page)?;
    let everything = if args.code_all.is_some() || args.csv.is_some() {
        Some(index.search(&args.query, &SearchOptions { limit: None, ..page.clone() })?)
    } else {
        None
    };
    if let (Some(path), Some(all)) = (&args.csv, &everything) {
        output::write_streamed(path, &Protect::project(project.path()), |out| {
            write_csv(&all.hits, out).map_err(|e| output::write_error(path, e))
        })?;
    }
    let mut coded = None;
    if let (Some(code), Some(all)) = (&args.code_all, &everything) {
        let code_id = project.resolve_code(code)?;
        let codings = codings_for_hits(&project, &all.hits, &code_id, extent, None)?;
        let n = codings.len();
        if n > 0 {
            let name = project.code_path(&code_id)?;
            project.apply_codings(
                codings,
                &format!("Code all hits of \"{}\" as {name} ({})", args.query, extent.as_str()),
            )?;
        }
        coded = Some((code_id, n));
    }

    if args.json {
        let mut v = serde_json::to_value(&results)?;
        if let Some((code_id, n)) = &coded {
            v["coded"] = json!({"code_id": code_id, "extent": extent, "codings": n});
        }
        print_json(&v)?;
        return Ok(0);
    }
    for h in &results.hits {
        let place = match h.kind {
            codeloom::search::HitKind::Turn => format!(
                "{} {} {} {}",
                h.document.as_deref().unwrap_or("-"),
                h.participant.as_deref().unwrap_or("-"),
                h.wave.as_deref().unwrap_or("-"),
                h.speaker.as_deref().unwrap_or("-"),
            ),
            codeloom::search::HitKind::Memo => format!("memo \"{}\"", h.title.as_deref().unwrap_or("")),
            codeloom::search::HitKind::Code => format!("code \"{}\"", h.title.as_deref().unwrap_or("")),
        };
        println!("{place} [{}, {})  {}[{}]{}", h.start, h.end, h.before, h.matched, h.after);
    }
    let c = &results.counts;
    let list = |rows: &[codeloom::search::CountRow]| {
        rows.iter().map(|r| format!("{} {}", r.label, r.passages)).collect::<Vec<_>>().join(", ")
    };
    println!(
        "{} hits shown{}; {} passages match in {} documents{}",
        results.hits.len(),
        if results.more { " (more with --limit 0)" } else { "" },
        c.passages,
        c.documents.len(),
        if c.other > 0 { format!(", {} memos or code descriptions", c.other) } else { String::new() }
    );
    if !c.participants.is_empty() {
        println!("participants: {}", list(&c.participants));
        println!("waves: {}", list(&c.waves));
    }
    if let Some(path) = &args.csv {
        println!("wrote {} hits to {}", everything.as_ref().map(|a| a.hits.len()).unwrap_or(0), path.display());
    }
    if let Some((_, n)) = coded {
        println!("coded {n} passages ({} extent) as one operation; undo with `codeloom undo`", extent.as_str());
    }
    Ok(0)
}
