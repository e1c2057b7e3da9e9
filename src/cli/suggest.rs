//! `codeloom suggest` and `codeloom similar`: suggested codings learned from the team's
//! coding (the inbox, accepting and rejecting by ID, the evaluation) and the passages
//! most like a selection, compared by meaning too when a sentence-embedding model is
//! given (`--embeddings`, `$CODELOOM_EMBEDDINGS` or the settings file).

use super::{Common, open, open_read_only, print_json};
use anyhow::{Result, bail};
use clap::Args;
use codeloom::Project;
use codeloom::settings::Settings;
use codeloom::suggest::{
    self, EvalOptions, Evaluation, InboxOptions, StaticEmbeddings, Statistic, Suggester, Suggestion, TrainOptions,
    UnitKind,
};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The environment variable that names a sentence-embedding model folder.
const EMBEDDINGS_VARIABLE: &str = "CODELOOM_EMBEDDINGS";

/// Which sentence-embedding model compares passages by meaning.
#[derive(Args, Debug, Clone)]
pub struct MeaningArgs {
    /// A folder holding a sentence-embedding model (model2vec's static layout:
    /// model.safetensors and tokenizer.json) to compare passages by meaning as well as
    /// words (default: $CODELOOM_EMBEDDINGS, else the settings file's embedding_model).
    /// Nothing is downloaded.
    #[arg(long, value_name = "FOLDER")]
    pub embeddings: Option<PathBuf>,
    /// Compare passages by their words only, whatever the settings say.
    #[arg(long, conflicts_with = "embeddings")]
    pub no_embeddings: bool,
}

impl MeaningArgs {
    /// The model asked for, loaded and checked: --embeddings, else $CODELOOM_EMBEDDINGS,
    /// else the settings file; none with --no-embeddings.
    fn load(&self) -> Result<Option<Arc<StaticEmbeddings>>> {
        if self.no_embeddings {
            return Ok(None);
        }
        let folder = match (&self.embeddings, std::env::var_os(EMBEDDINGS_VARIABLE).filter(|v| !v.is_empty())) {
            (Some(f), _) => Some(f.clone()),
            (None, Some(f)) => Some(PathBuf::from(f)),
            (None, None) => Settings::load()?.embedding_model,
        };
        match folder {
            Some(f) => Ok(Some(Arc::new(StaticEmbeddings::load(&f)?))),
            None => Ok(None),
        }
    }
}

/// What compared the passages, in words: "words and meaning: FOLDER (…)" or "words only".
fn compared_by(model: Option<&StaticEmbeddings>) -> String {
    model.map_or_else(|| "words only".to_string(), |m| format!("words and meaning: {}", m.describe()))
}

/// The model in JSON: its folder, dimensions and vocabulary, or null.
fn model_json(model: Option<&StaticEmbeddings>) -> serde_json::Value {
    model.map_or(
        serde_json::Value::Null,
        |m| json!({"folder": m.folder(), "dims": m.dims(), "vocabulary": m.vocabulary()}),
    )
}

/// Suggested codings: passages the models learned from the team's codings think carry a
/// code, with their scores and reasons. Nothing is coded until someone accepts.
///
/// `codeloom suggest PROJECT` lists the inbox (per code, the highest-scoring passages not
/// yet coded with it); `codeloom suggest PROJECT accept ID…` codes them as the coder of
/// --as, with the model version and score recorded; `codeloom suggest PROJECT reject
/// ID…` remembers them as wrong (never suggested again, and a negative example next
/// time); `--evaluate` measures how far the suggestions can be trusted.
#[derive(Args, Debug)]
pub struct SuggestArgs {
    pub project: PathBuf,
    /// `accept ID…` or `reject ID…` (IDs as listed).
    #[arg(value_name = "accept|reject ID")]
    pub action: Vec<String>,
    /// Only these codes (names, paths or IDs), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub codes: Vec<String>,
    /// Only these documents (names or IDs), comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with = "wave")]
    pub docs: Vec<String>,
    /// Only documents of this wave.
    #[arg(long)]
    pub wave: Option<String>,
    /// Only documents of these participants, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub participants: Vec<String>,
    /// The passages suggested: sentence or turn.
    #[arg(long, default_value = "sentence")]
    pub unit: String,
    /// Learn from these coders' codings only (all coders when left out), comma-separated.
    #[arg(long = "coder", value_delimiter = ',')]
    pub coders: Vec<String>,
    /// Leave out suggestions scoring below this (0 to 1).
    #[arg(long, default_value_t = codeloom::suggest::SUGGESTION_THRESHOLD)]
    pub min_score: f64,
    /// At most this many suggestions per code.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Measure the suggestions instead: train on some documents, test on the others.
    #[arg(long, conflicts_with = "action")]
    pub evaluate: bool,
    /// The number of document folds for --evaluate.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    #[command(flatten)]
    pub meaning: MeaningArgs,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: Common,
}

/// The passages most like a selection, across the project.
#[derive(Args, Debug)]
pub struct SimilarArgs {
    pub project: PathBuf,
    /// The selection's document (name or ID).
    #[arg(long)]
    pub doc: String,
    /// The selection's first character.
    #[arg(long)]
    pub start: usize,
    /// One past the selection's last character.
    #[arg(long)]
    pub end: usize,
    /// At most this many passages.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    #[command(flatten)]
    pub meaning: MeaningArgs,
    #[arg(long)]
    pub json: bool,
}

fn unit(name: &str) -> Result<UnitKind> {
    match UnitKind::parse(name) {
        Some(u) => Ok(u),
        None => bail!("--unit takes sentence or turn, not \"{name}\""),
    }
}

pub fn run(args: SuggestArgs) -> Result<i32> {
    if !(0.0..=1.0).contains(&args.min_score) {
        bail!("--min-score takes a number from 0 to 1, not {}", args.min_score);
    }
    let unit = unit(&args.unit)?;
    if args.meaning.embeddings.is_some() && (args.evaluate || !args.action.is_empty()) {
        // Meaning changes the passages shown beside a suggestion, never its score or ID:
        // what these measure and decide comes from the learned models alone.
        eprintln!(
            "note: --embeddings is not used by {}: suggestion scores and IDs come from the learned models alone",
            if args.evaluate { "--evaluate" } else { "accept and reject" }
        );
    }
    if args.evaluate {
        let p = open_read_only(&args.project)?;
        let options = EvalOptions { folds: args.folds, unit, coders: args.coders.clone(), ..Default::default() };
        let evaluation = suggest::evaluate(&p, &options)?;
        return print_evaluation(&evaluation, args.json).map(|()| 0);
    }
    let options = TrainOptions { unit, coders: args.coders.clone(), ..Default::default() };
    match args.action.split_first() {
        None => {
            // The model is read before the project, so that a bad folder is refused at once.
            let model = args.meaning.load()?;
            let p = open_read_only(&args.project)?;
            let mut suggester = suggest::train(&p, &options)?;
            if let Some(m) = model {
                suggester = suggester.with_meaning(m, &|_, _| {});
            }
            inbox(&p, &suggester, &args)
        }
        Some((verb, ids)) if verb == "accept" || verb == "reject" => {
            if ids.is_empty() {
                bail!("{verb} needs the IDs of the suggestions, as listed by `codeloom suggest`");
            }
            codeloom::store::default_coder(args.common.coder.as_deref())?;
            let mut p = open(&args.project, Some(&args.common))?;
            let suggester = suggest::train(&p, &options)?;
            decide(&mut p, &suggester, verb == "accept", ids, args.json)
        }
        Some((other, _)) => bail!("unknown action \"{other}\": use accept ID… or reject ID…"),
    }
}

/// Code names by ID.
fn code_names(p: &Project) -> Result<HashMap<String, String>> {
    Ok(p.codes()?.into_iter().map(|c| (c.id.clone(), c.name)).collect())
}

fn inbox(p: &Project, suggester: &Suggester, args: &SuggestArgs) -> Result<i32> {
    let codes = args.codes.iter().map(|c| p.resolve_code(c)).collect::<codeloom::Result<Vec<_>>>()?;
    let documents = args.docs.iter().map(|d| p.resolve_document(d)).collect::<codeloom::Result<Vec<_>>>()?;
    let options = InboxOptions {
        codes,
        documents,
        wave: args.wave.clone(),
        participants: args.participants.clone(),
        per_code: args.limit,
        min_score: args.min_score,
    };
    let list = suggester.inbox(p, &options)?;
    let names = code_names(p)?;
    let flagged: Vec<_> = suggester
        .flagged()
        .into_iter()
        .map(|(id, n)| json!({"code_id": id, "code": names.get(&id), "codings": n}))
        .collect();
    if args.json {
        let list: Vec<_> = list
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["code"] = json!(names.get(&s.code_id));
                v
            })
            .collect();
        print_json(&json!({
            "model_version": suggester.model_version(),
            "unit": suggester.unit(),
            "embeddings": model_json(suggester.meaning_model()),
            "suggestions": list,
            "flagged": flagged,
        }))?;
        return Ok(0);
    }
    println!("{} suggestions ({}, {})", list.len(), suggester.unit().as_str(), suggester.model_version());
    println!("passages compared by {}", compared_by(suggester.meaning_model()));
    for s in &list {
        print_suggestion(s, names.get(&s.code_id).map_or("?", String::as_str));
    }
    for (id, n) in suggester.flagged() {
        let name = names.get(&id).map_or(id.as_str(), String::as_str);
        println!("not suggested: {name} has {} (fewer than 8)", codeloom::model::words::count(n, "coding"));
    }
    Ok(0)
}

fn print_suggestion(s: &Suggestion, code: &str) {
    let words: Vec<&str> = s.words.iter().map(|w| w.word.as_str()).collect();
    println!(
        "{}  {:.2}  {:<28} {} [{}, {})  because: {}",
        s.id,
        s.score,
        code,
        s.document_name,
        s.start,
        s.end,
        words.join(", ")
    );
    for near in &s.similar {
        println!("      like {} [{}, {}): {}", near.document_name, near.start, near.end, near.text);
    }
}

/// Accepts or rejects the suggestions named, all in one operation, after finding every
/// one (an ID that names no current suggestion changes nothing).
fn decide(p: &mut Project, suggester: &Suggester, accept: bool, ids: &[String], json: bool) -> Result<i32> {
    let found = ids.iter().map(|id| suggester.find(p, id)).collect::<codeloom::Result<Vec<_>>>()?;
    let coded: Vec<_> = found.iter().map(Suggestion::to_suggested_coding).collect();
    let stored = if accept { p.accept_suggestions(&coded)? } else { p.reject_suggestions(&coded)? };
    let names = code_names(p)?;
    if json {
        let key = if accept { "coding_id" } else { "rejection_id" };
        let list: Vec<_> = found
            .iter()
            .zip(&stored)
            .map(|(s, id)| {
                json!({"id": s.id, key: id, "document_id": s.document_id, "code_id": s.code_id,
                       "start": s.start, "end": s.end, "score": s.score, "model_version": s.model_version})
            })
            .collect();
        let mut out = serde_json::Map::new();
        out.insert(if accept { "accepted" } else { "rejected" }.into(), json!(list));
        out.insert("coder".into(), json!(p.coder()));
        print_json(&out)?;
        return Ok(0);
    }
    for s in &found {
        let code = names.get(&s.code_id).map_or("?", String::as_str);
        let verb = if accept { "accepted" } else { "rejected" };
        println!(
            "{verb} {}: {} [{}, {}) as {code} ({:.2}, {})",
            s.id, s.document_name, s.start, s.end, s.score, s.model_version
        );
    }
    Ok(0)
}

fn stat(s: &Statistic) -> String {
    s.value.map_or_else(|| "—".to_string(), |v| format!("{v:.3}"))
}

fn print_evaluation(e: &Evaluation, json: bool) -> Result<()> {
    if json {
        return print_json(e);
    }
    println!(
        "{} folds over {} coded documents, by {}; a suggestion scores at least {}",
        e.folds,
        e.documents,
        e.unit.as_str(),
        e.threshold
    );
    println!(
        "{:<32} {:>8} {:>6} {:>6} {:>6} {:>9} {:>7} {:>7} {:>7}",
        "code", "codings", "TP", "FP", "FN", "precision", "recall", "F1", "alpha"
    );
    let mut rows: Vec<(&str, Option<usize>, &suggest::Figures)> =
        e.codes.iter().map(|c| (c.code_name.as_str(), Some(c.examples), &c.figures)).collect();
    rows.push(("pooled", None, &e.pooled));
    for (name, examples, f) in rows {
        let c = &f.confusion;
        println!(
            "{:<32} {:>8} {:>6} {:>6} {:>6} {:>9} {:>7} {:>7} {:>7}",
            name,
            examples.map_or(String::new(), |n| n.to_string()),
            c.true_positives,
            c.false_positives,
            c.false_negatives,
            stat(&f.precision),
            stat(&f.recall),
            stat(&f.f1),
            stat(&f.alpha)
        );
    }
    for (_, name, n) in &e.flagged {
        println!("not evaluated: {name} has {} (fewer than 8)", codeloom::model::words::count(*n, "coding"));
    }
    Ok(())
}

pub fn similar(args: SimilarArgs) -> Result<i32> {
    let model = args.meaning.load()?;
    let p = open_read_only(&args.project)?;
    let doc = p.resolve_document(&args.doc)?;
    let compared = compared_by(model.as_deref());
    let found = suggest::similar_with(&p, (doc.as_str(), args.start, args.end), args.limit, model)?;
    if args.json {
        // The list stays the whole of standard output; what compared it goes to standard error.
        eprintln!("passages compared by {compared}");
        print_json(&found)?;
        return Ok(0);
    }
    println!("passages compared by {compared}");
    for s in &found {
        println!("{:.3}  {} [{}, {})  {}", s.score, s.document_name, s.start, s.end, s.text);
    }
    Ok(0)
}
