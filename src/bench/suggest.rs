//! The suggestions scenario of `codeloom bench`: on the bench study (its transcripts,
//! 60 codes, the bench's codings by 3 coders), training a model for every code,
//! suggestions for one document, the inbox over every transcript, an evaluation
//! with 5 document folds, and meaning: loading a synthetic sentence-embedding model shaped
//! like potion-base-8M (30,000 tokens, 256 dimensions), embedding every sentence, and
//! "passages like this" by words and meaning.

use super::Measurement;
use crate::error::Result;
use crate::store::Project;
use crate::suggest::{self, EvalOptions, InboxOptions, SuggestOptions, TrainOptions};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// The synthetic model's vocabulary and dimensions: potion-base-8M's shape.
const MODEL_SHAPE: (usize, usize) = (30_000, 256);

/// Measures the suggestion engine on the study at `study`.
pub fn measure(study: &Path, progress: &mut dyn FnMut(&str)) -> Result<Vec<Measurement>> {
    let project = Project::open_read_only(study)?;
    let codings = project.codings(&Default::default())?.len();
    let documents = project.documents()?;
    progress("suggestions: reading the transcripts into sentences");
    let t = Instant::now();
    let corpus = suggest::corpus::Corpus::load(&project, suggest::UnitKind::Sentence, &|_, _| {})?;
    let read = t.elapsed().as_secs_f64();
    let passages: usize = corpus.documents.iter().map(|d| d.units.len()).sum();
    let features = corpus.terms.len();
    drop(corpus);
    progress("suggestions: training every code");
    let t = Instant::now();
    let suggester = suggest::train(&project, &TrainOptions::default())?;
    let train = t.elapsed().as_secs_f64();
    let trained = suggester.trained_codes().len();

    progress("suggestions for one document");
    let first = documents.first().map(|d| d.document.id.clone()).unwrap_or_default();
    let t = Instant::now();
    let one =
        suggester.suggest_document(&project, &first, &SuggestOptions { limit: Some(50), ..Default::default() })?;
    let one_seconds = t.elapsed().as_secs_f64();

    progress("the suggestions inbox");
    let t = Instant::now();
    let inbox = suggester.inbox(&project, &InboxOptions::default())?;
    let inbox_seconds = t.elapsed().as_secs_f64();

    progress("evaluating the suggestions with 5 folds");
    let t = Instant::now();
    let evaluation = suggest::evaluate(&project, &EvalOptions::default())?;
    let eval_seconds = t.elapsed().as_secs_f64();

    let n = documents.len();
    let flagged = suggester.flagged().len();
    let meaning = measure_meaning(study, suggester, &project, progress)?;
    Ok(vec![
        Measurement {
            name: "suggest_train".into(),
            what: format!("read {n} transcripts into sentences and train a model for every code on {codings} codings"),
            seconds: train,
            target_seconds: Some(10.0),
            details: serde_json::json!({
                "documents": n, "codings": codings, "codes_trained": trained,
                "passages": passages, "distinct_features": features, "read_seconds": read,
                "codes_flagged": flagged,
            }),
        },
        Measurement {
            name: "suggest_document".into(),
            what: format!("suggestions of {trained} codes for one open document, with their reasons"),
            seconds: one_seconds,
            target_seconds: Some(0.1),
            details: serde_json::json!({ "suggestions": one.len() }),
        },
        Measurement {
            name: "suggest_inbox".into(),
            what: format!("the suggestions inbox over {n} transcripts: the 20 best per code, with their reasons"),
            seconds: inbox_seconds,
            target_seconds: Some(2.0),
            details: serde_json::json!({ "suggestions": inbox.len() }),
        },
        Measurement {
            name: "suggest_evaluate".into(),
            what: format!(
                "evaluate the suggestions with 5 document folds over {} coded transcripts",
                evaluation.documents
            ),
            seconds: eval_seconds,
            target_seconds: Some(30.0),
            details: serde_json::json!({
                "codes": evaluation.codes.len(),
                "pooled_f1": evaluation.pooled.f1.value,
                "pooled_alpha": evaluation.pooled.alpha.value,
            }),
        },
        meaning,
    ])
}

/// Loads a synthetic model shaped like potion-base-8M, written beside the study, embeds
/// every sentence the suggester read, and finds the passages like one sentence by words
/// and meaning.
fn measure_meaning(
    study: &Path,
    suggester: suggest::Suggester,
    project: &Project,
    progress: &mut dyn FnMut(&str),
) -> Result<Measurement> {
    let folder = study.with_extension("model");
    let (vocabulary, dims) = MODEL_SHAPE;
    super::model::write_random_model(&folder, vocabulary, dims, 7)?;
    progress("suggestions: loading a sentence-embedding model");
    let t = Instant::now();
    let model = Arc::new(suggest::StaticEmbeddings::load(&folder)?);
    let load = t.elapsed().as_secs_f64();
    progress("suggestions: embedding every sentence");
    let t = Instant::now();
    let suggester = suggester.with_meaning(model, &|_, _| {});
    let embed = t.elapsed().as_secs_f64();
    let passages = suggester.meaning.as_ref().map_or(0, |m| m.held());
    let t = Instant::now();
    let mut like = Vec::new();
    if let Some(first) = suggester.corpus.documents.iter().find(|d| !d.units.is_empty()) {
        let unit = first.units[first.units.len() / 2];
        like = suggester.similar(project, &first.id, unit.start, unit.end, 20)?;
    }
    let similar = t.elapsed().as_secs_f64();
    Ok(Measurement {
        name: "suggest_embeddings".into(),
        what: format!(
            "load a {vocabulary}-token, {dims}-dimension sentence-embedding model and embed {passages} sentences"
        ),
        seconds: load + embed,
        target_seconds: None,
        details: serde_json::json!({
            "load_seconds": load, "embed_seconds": embed, "passages": passages,
            "passages_per_second": passages as f64 / embed.max(1e-9),
            "similar_seconds": similar, "similar_found": like.len(),
        }),
    })
}
