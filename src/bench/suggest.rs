//! The suggestions scenario of `codeloom bench`: on the bench study (its transcripts,
//! 60 codes, the bench's codings by 3 coders), training a model for every code,
//! suggestions for one document, the inbox over every transcript, and an evaluation
//! with 5 document folds.

use super::Measurement;
use crate::error::Result;
use crate::store::Project;
use crate::suggest::{self, EvalOptions, InboxOptions, SuggestOptions, TrainOptions};
use std::path::Path;
use std::time::Instant;

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
    Ok(vec![
        Measurement {
            name: "suggest_train".into(),
            what: format!("read {n} transcripts into sentences and train a model for every code on {codings} codings"),
            seconds: train,
            target_seconds: Some(10.0),
            details: serde_json::json!({
                "documents": n, "codings": codings, "codes_trained": trained,
                "passages": passages, "distinct_features": features, "read_seconds": read,
                "codes_flagged": suggester.flagged().len(),
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
    ])
}
