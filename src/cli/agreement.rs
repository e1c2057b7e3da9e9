//! `codeloom agreement`, `codeloom assign` and `codeloom adjudicate`: inter-coder agreement of a
//! project or a reference case file, coder assignments, and the scriptable disagreement queue.

use super::{Common, open, print_json};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use codeloom::Project;
use codeloom::agreement::BootstrapConfig;
use codeloom::agreement::adjudication::Queue;
use codeloom::agreement::bootstrap::MAX_RESAMPLES;
use codeloom::agreement::project::{
    AnalysisOptions, DocumentFilter, GroupBy, ReliabilityInput, Selection, UnitKind, analyse,
};
use codeloom::output::Protect;
use codeloom::store::adjudication::{Decision, ItemRef};
use codeloom::suggest::{CoderOptions, SUGGESTION_THRESHOLD, agreement_with_suggester};
use std::path::PathBuf;

/// Which coders, documents, codes and unit to compare.
#[derive(Args, Debug, Clone)]
pub struct SelectionArgs {
    /// The coders to compare, two or more: A,B[,C].
    #[arg(long, value_delimiter = ',')]
    pub coders: Vec<String>,
    /// The unit of analysis: char, turn (or paragraph), sentence or doc.
    #[arg(long, default_value = "char")]
    pub unit: String,
    /// Only these codes (names, paths or IDs), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub codes: Vec<String>,
    /// Only these documents (names or IDs), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub docs: Vec<String>,
    /// Only documents of these waves.
    #[arg(long, value_delimiter = ',')]
    pub wave: Vec<String>,
    /// Only documents of these participants.
    #[arg(long, value_delimiter = ',')]
    pub participants: Vec<String>,
    /// A seeded random sample of this many of the documents chosen (seed: --sample-seed).
    #[arg(long)]
    pub sample: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub sample_seed: u64,
}

impl SelectionArgs {
    /// The selection; `more` coders (the suggester) are added to those named.
    fn selection(&self, p: &Project, more: usize) -> Result<Selection> {
        let Some(unit) = UnitKind::parse(&self.unit) else {
            bail!("unknown unit \"{}\" (char, turn, paragraph, sentence, doc)", self.unit)
        };
        if self.coders.len() + more < 2 {
            if more > 0 {
                bail!("--coders needs at least one coder to compare the suggester with, such as --coders amara");
            }
            bail!("--coders needs at least two coders, such as --coders amara,ben");
        }
        let codes = if self.codes.is_empty() {
            None
        } else {
            Some(self.codes.iter().map(|c| p.resolve_code(c)).collect::<codeloom::Result<Vec<_>>>()?)
        };
        let documents = self.docs.iter().map(|d| p.resolve_document(d)).collect::<codeloom::Result<Vec<_>>>()?;
        Ok(Selection {
            coders: self.coders.iter().map(|c| c.trim().to_string()).collect(),
            documents: DocumentFilter {
                waves: self.wave.clone(),
                participants: self.participants.clone(),
                documents,
                sample: self.sample.map(|n| (n, self.sample_seed)),
            },
            codes,
            unit,
        })
    }
}

#[derive(Args, Debug)]
pub struct AgreementArgs {
    /// The project file (not needed with --input).
    pub project: Option<PathBuf>,
    /// A reference case file instead of a project: {"coders", "units"} or {"coders", "continuum_length", "spans"}.
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Also report rows per document or per wave (pooled over codes).
    #[arg(long)]
    pub by: Option<String>,
    /// Bootstrap resamples for the confidence intervals (1000 to 100000; 0 to skip).
    #[arg(long, default_value_t = 2000)]
    pub resamples: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
    /// Write the report to a file: .csv, .md, .xlsx or .json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Count the suggester as a coder ("suggester"): the model's suggestions, learned from
    /// the coders compared, each document's from models that did not learn from it; never stored.
    #[arg(long)]
    pub with_suggester: bool,
    /// The suggester's codings are the passages scoring at least this (0 to 1).
    #[arg(long, default_value_t = SUGGESTION_THRESHOLD, requires = "with_suggester")]
    pub min_score: f64,
    /// Document folds for the suggester: each document is coded by models trained on the
    /// other folds (0: one model trained on every document, those compared included).
    #[arg(long, default_value_t = 5, requires = "with_suggester")]
    pub folds: usize,
}

#[derive(Args, Debug)]
pub struct AssignArgs {
    pub project: PathBuf,
    /// The coder.
    #[arg(long)]
    pub coder: Option<String>,
    /// Documents (names or IDs), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub docs: Vec<String>,
    /// All documents of these waves.
    #[arg(long, value_delimiter = ',')]
    pub wave: Vec<String>,
    /// All documents of these participants.
    #[arg(long, value_delimiter = ',')]
    pub participants: Vec<String>,
    /// Remove these assignments instead of adding them.
    #[arg(long)]
    pub remove: bool,
    /// Remove all of the coder's assignments (the coder then counts as assigned every document).
    #[arg(long)]
    pub clear: bool,
    /// List every assignment.
    #[arg(long)]
    pub list: bool,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct AdjudicateArgs {
    pub project: PathBuf,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(subcommand)]
    pub action: AdjudicateAction,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Subcommand, Debug)]
pub enum AdjudicateAction {
    /// List the disagreements with their decisions and the progress.
    List {
        /// Only the places without a decision.
        #[arg(long)]
        undecided: bool,
        #[arg(long)]
        json: bool,
    },
    /// Decide one place (its number in `list`; default: the first undecided).
    Decide {
        #[arg(long)]
        item: Option<usize>,
        /// Accept this coder's coding.
        #[arg(long, group = "how")]
        accept: Option<String>,
        #[arg(long, group = "how")]
        union: bool,
        #[arg(long, group = "how")]
        intersection: bool,
        /// New boundaries: START-END[,START-END] (characters).
        #[arg(long, group = "how")]
        redraw: Option<String>,
        #[arg(long, group = "how")]
        skip: bool,
        /// Why.
        #[arg(long, default_value = "")]
        rationale: String,
    },
    /// Adopt every place where the coders agree into the consensus layer.
    Adopt,
    /// Remove a decision (by its ID) and its consensus codings.
    Clear { id: String },
}

fn resamples_ok(resamples: usize) -> Result<()> {
    if resamples != 0 && !(1000..=MAX_RESAMPLES).contains(&resamples) {
        bail!("--resamples must be 0 (no bootstrap) or from 1000 to {MAX_RESAMPLES}, not {resamples}");
    }
    Ok(())
}

/// One line per headline figure of a case report; `undefined` where there is none.
fn print_case_summary(report: &serde_json::Value) {
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

pub fn run_agreement(a: AgreementArgs) -> Result<()> {
    resamples_ok(a.resamples)?;
    let bootstrap = (a.resamples > 0).then_some(BootstrapConfig { resamples: a.resamples, seed: a.seed });
    if let Some(input) = &a.input {
        if a.with_suggester {
            bail!("--with-suggester needs a project, not a case file");
        }
        let text =
            std::fs::read_to_string(input).with_context(|| format!("{}: cannot read the file", input.display()))?;
        let options = codeloom::agreement::cases::ReportOptions { bootstrap };
        let report = codeloom::agreement::cases::report_from_json(&text, &options)
            .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
        if a.json {
            print_json(&report)?;
        } else {
            print_case_summary(&report);
        }
        return Ok(());
    }
    let Some(path) = &a.project else { bail!("give a project file, or a case file with --input") };
    let p = super::open_read_only(path)?;
    if let Some(out) = &a.out {
        // Refuse a bad target before the analysis, not after it.
        codeloom::output::check_target(out, &Protect::project(p.path()))?;
    }
    let selection = a.selection.selection(&p, usize::from(a.with_suggester))?;
    let group_by = match a.by.as_deref() {
        None => None,
        Some("document" | "doc") => Some(GroupBy::Document),
        Some("wave") => Some(GroupBy::Wave),
        Some(other) => bail!("--by must be document or wave, not \"{other}\""),
    };
    let analysis = AnalysisOptions { bootstrap, group_by };
    let report = if a.with_suggester {
        let options = CoderOptions { min_score: a.min_score, folds: a.folds, ..Default::default() };
        eprintln!("learning the suggester from the codings of {}…", selection.coders.join(", "));
        agreement_with_suggester(&p, &selection, &analysis, &options, &|_, _| {})?
    } else {
        analyse(&ReliabilityInput::load(&p, &selection)?, &analysis)?
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some(out) = &a.out {
        report.write_file(out, name.as_deref(), &Protect::project(p.path()))?;
        eprintln!("wrote {}", out.display());
    }
    if a.json {
        print_json(&report.to_json(name.as_deref()))?;
    } else if a.out.is_none() {
        print!("{}", report.to_markdown(name.as_deref()));
    }
    Ok(())
}

pub fn run_assign(a: AssignArgs) -> Result<()> {
    let mut p = open(&a.project, Some(&a.common))?;
    if a.list {
        let list = p.assignments()?;
        if a.json {
            print_json(&list)?;
        } else {
            for x in &list {
                println!(
                    "{}  {}",
                    x.coder,
                    p.document(&x.document_id).map(|d| d.name).unwrap_or(x.document_id.clone())
                );
            }
            println!("{} assignments (coders without any are assigned every document)", list.len());
        }
        return Ok(());
    }
    let Some(coder) = a.coder.as_deref() else { bail!("--coder is needed (or --list)") };
    let mut docs: Vec<String> = a.docs.iter().map(|d| p.resolve_document(d)).collect::<codeloom::Result<_>>()?;
    if !a.wave.is_empty() || !a.participants.is_empty() {
        let filter =
            DocumentFilter { waves: a.wave.clone(), participants: a.participants.clone(), ..Default::default() };
        let all = p.documents()?;
        docs.extend(filter.apply(
            all.iter().map(|d| (d.document.id.as_str(), d.document.participant.as_deref(), d.document.wave.as_deref())),
        ));
    }
    if a.clear {
        let n = p.unassign_coder(coder, None)?;
        println!("removed {n} assignments of {coder}; {coder} now counts as assigned every document");
    } else if docs.is_empty() {
        bail!("name the documents with --docs, --wave or --participants");
    } else if a.remove {
        let n = p.unassign_coder(coder, Some(&docs))?;
        println!("removed {n} assignments of {coder}");
    } else {
        let n = p.assign_coder(coder, &docs)?;
        println!("assigned {n} documents to {coder}");
    }
    Ok(())
}

fn parse_ranges(text: &str) -> Result<Vec<(u64, u64)>> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|part| {
            let (s, e) = part.split_once('-').with_context(|| format!("\"{part}\" is not START-END"))?;
            Ok((s.trim().parse()?, e.trim().parse()?))
        })
        .collect()
}

fn print_queue(q: &Queue, undecided: bool) {
    for (i, item) in q.items.iter().enumerate() {
        if undecided && item.decision.is_some() {
            continue;
        }
        let d = &item.disagreement;
        let layers: Vec<String> = q
            .coders
            .iter()
            .zip(&d.spans)
            .map(|(c, spans)| match spans {
                None => format!("{c}: not assigned"),
                Some(s) if s.is_empty() => format!("{c}: -"),
                Some(s) => {
                    format!("{c}: {}", s.iter().map(|(a, b)| format!("[{a}, {b})")).collect::<Vec<_>>().join(" "))
                }
            })
            .collect();
        let state = match &item.decision {
            Some(r) => match &r.accepted_coder {
                Some(c) => format!("decided: accept {c}"),
                None => format!("decided: {}", r.decision),
            },
            None => "open".into(),
        };
        println!("{:>4}  {}  {} [{}, {})  {}  ({state})", i + 1, d.code, d.document, d.start, d.end, layers.join("; "));
    }
    println!("{} of {} decided", q.decided, q.total());
}

/// The queue as JSON: with `undecided`, only the places without a decision, as `list`
/// prints them. Each place carries its number (`item`, for `decide --item`) and the whole
/// queue's size is in `total`.
fn queue_json(q: &Queue, undecided: bool) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(q)?;
    let items: Vec<serde_json::Value> = q
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| !undecided || item.decision.is_none())
        .map(|(i, item)| {
            let mut x = serde_json::to_value(item)?;
            x["item"] = serde_json::json!(i + 1);
            Ok(x)
        })
        .collect::<Result<_>>()?;
    v["items"] = serde_json::Value::Array(items);
    v["total"] = serde_json::json!(q.total());
    Ok(v)
}

pub fn run_adjudicate(a: AdjudicateArgs) -> Result<()> {
    let mut p = open(&a.project, Some(&a.common))?;
    let selection = a.selection.selection(&p, 0)?;
    match a.action {
        AdjudicateAction::List { undecided, json } => {
            let q = p.adjudication_queue(&selection)?;
            if json {
                print_json(&queue_json(&q, undecided)?)?;
            } else {
                print_queue(&q, undecided);
            }
        }
        AdjudicateAction::Decide { item, accept, union, intersection, redraw, skip, rationale } => {
            let q = p.adjudication_queue(&selection)?;
            let index = match item {
                Some(n) if n >= 1 && n <= q.total() => n - 1,
                Some(n) => bail!("there is no place {n}; the queue has {}", q.total()),
                None => q.next_undecided().context("every place has a decision")?,
            };
            let decision = if let Some(coder) = accept {
                Decision::Accept { coder }
            } else if union {
                Decision::Union
            } else if intersection {
                Decision::Intersection
            } else if let Some(r) = redraw {
                Decision::Redraw { spans: parse_ranges(&r)? }
            } else if skip {
                Decision::Skip
            } else {
                bail!("say what to do: --accept CODER, --union, --intersection, --redraw START-END or --skip")
            };
            let place = &q.items[index].disagreement;
            let id = p.decide(&selection, &ItemRef::from(place), decision, &rationale)?;
            println!(
                "decided place {} ({} in {} [{}, {})): {id}",
                index + 1,
                place.code,
                place.document,
                place.start,
                place.end
            );
            let q = p.adjudication_queue(&selection)?;
            println!("{} of {} decided", q.decided, q.total());
        }
        AdjudicateAction::Adopt => {
            let n = p.adopt_agreements(&selection)?;
            println!("adopted {n} agreed places into the consensus layer");
        }
        AdjudicateAction::Clear { id } => {
            p.clear_decision(&id)?;
            println!("cleared decision {id}");
        }
    }
    Ok(())
}
