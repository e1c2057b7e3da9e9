//! The suggester as a coder in agreement: the model's suggestions counted as the codings
//! of one more coder, named [`CODER`] (`suggester`), so that an agreement report shows how
//! far the model agrees with the team beside how far the team agrees with itself.
//!
//! The suggester learns from the codings (and rejections) of the coders compared, as
//! [`train`](super::train) learns. By default no document is coded by a model that learned
//! from it: the documents compared are dealt into folds as the evaluation deals them, and
//! each fold's documents are coded by models trained on every other document of the
//! project. Its codings of a document are the passages (sentences; turns when the unit of
//! analysis is the turn) that a code's model scores at least the minimum score for: all of
//! them, coded or rejected by someone or not, since this is the model's own reading of the
//! text. A code with too few codings to learn from is not coded by the suggester (a
//! warning says so). Nothing is written to the project.
//!
//! This module brings `agreement` and `suggest` together; `agreement` knows nothing of
//! suggestions: it takes the suggester's layers through
//! [`ReliabilityInput::add_coder`] like any other coder's.

use super::corpus::{Corpus, Evidence};
use super::engine::{SUGGESTION_THRESHOLD, codings_of};
use super::evaluate::{deal, fold_models, suggests};
use super::units::UnitKind;
use crate::agreement::AgreementError;
use crate::agreement::project::{
    AnalysisOptions, ReliabilityInput, Selection, UnitKind as AgreementUnit, analyse, pair_rows,
};
use crate::agreement::report::AgreementReport;
use crate::error::{Error, Result};
use crate::store::Project;
use std::collections::HashMap;

/// The name of the suggester's column in an agreement report.
pub const CODER: &str = "suggester";

/// How the suggester codes.
#[derive(Debug, Clone, PartialEq)]
pub struct CoderOptions {
    /// A passage scoring at least this (0 to 1) is one of the suggester's codings.
    pub min_score: f64,
    /// Document folds: each document compared is coded by models trained on the other
    /// folds and on every document not compared. 0: one model trained on every document,
    /// those compared included (its agreement is then optimistic).
    pub folds: usize,
    /// Deals the documents into folds and orders the examples.
    pub seed: u64,
    /// A code with fewer codings than this in the documents learned from is not coded.
    pub min_examples: usize,
}

impl Default for CoderOptions {
    fn default() -> Self {
        CoderOptions { min_score: SUGGESTION_THRESHOLD, folds: 5, seed: 1, min_examples: 8 }
    }
}

/// The passages the suggester codes for a unit of analysis: turns for turns, sentences
/// otherwise.
fn passages_for(unit: AgreementUnit) -> UnitKind {
    match unit {
        AgreementUnit::Turn => UnitKind::Turn,
        AgreementUnit::Char | AgreementUnit::Sentence | AgreementUnit::Document => UnitKind::Sentence,
    }
}

fn invalid(e: AgreementError) -> Error {
    Error::Invalid(e.to_string())
}

/// The reliability input of `selection` with the suggester added as the last coder, its
/// layers computed as the module says; the report's settings say how it coded.
/// `selection` may name a single coder of the project. `progress` hears (steps done,
/// steps): the documents read, then the folds trained.
pub fn reliability_with_suggester(
    project: &Project,
    selection: &Selection,
    options: &CoderOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ReliabilityInput> {
    if !(0.0..=1.0).contains(&options.min_score) {
        return Err(Error::Invalid(format!(
            "the suggester's min score must be from 0 to 1, not {}",
            options.min_score
        )));
    }
    if selection.coders.iter().any(|c| c == CODER) {
        return Err(Error::Invalid(format!(
            "a coder of the project is called \"{CODER}\"; leave them out of the coders to count the suggester as a coder"
        )));
    }
    let mut input = ReliabilityInput::load_leaving_room(project, selection, 1)?;
    let n_compared = input.documents.len();
    let folds = options.folds.min(n_compared);
    // Without folds, one round codes every document compared.
    let rounds: Vec<Option<usize>> = match (options.folds, n_compared) {
        (_, 0) => Vec::new(),
        (0, _) => vec![None],
        _ => (0..folds).map(Some).collect(),
    };
    let n_docs = project.documents()?.len();
    let steps = n_docs + rounds.len();
    let corpus = Corpus::load(project, passages_for(selection.unit), &|done, _| progress(done, steps))?;
    let code_ids: Vec<String> = input.codes.iter().map(|c| c.id.clone()).collect();
    let codings = codings_of(project, &selection.coders)?;
    let rejections = project.suggestion_rejections()?;
    let accepted = project.accepted_suggestion_codings()?;
    let evidence = Evidence { codings: &codings, accepted: &accepted, rejections: &rejections };
    let position: HashMap<&str, usize> = input.documents.iter().enumerate().map(|(i, d)| (d.id.as_str(), i)).collect();
    // Per corpus document: its index in the input, when it is compared.
    let compared: Vec<Option<usize>> = corpus.documents.iter().map(|d| position.get(d.id.as_str()).copied()).collect();
    let is_compared: Vec<bool> = compared.iter().map(Option::is_some).collect();
    let fold = deal(&corpus, &is_compared, folds.max(1), options.seed);
    let mut layers = vec![vec![Vec::new(); code_ids.len()]; input.documents.len()];
    let mut untrained = vec![0usize; code_ids.len()];
    let min_examples = options.min_examples.max(1);
    for (r, round) in rounds.iter().enumerate() {
        let held_out = |d: usize| round.is_some_and(|f| fold[d] == Some(f));
        let coded_here = |d: usize| is_compared[d] && (round.is_none() || held_out(d));
        let (vectors, models) = fold_models(
            &corpus,
            &code_ids,
            evidence,
            (&|d| !held_out(d), &coded_here),
            &|_, n| n >= min_examples,
            options.seed,
        );
        for (k, model) in models.iter().enumerate() {
            let Some(model) = model else {
                untrained[k] += 1;
                continue;
            };
            for (d, doc) in corpus.documents.iter().enumerate().filter(|(d, _)| coded_here(*d)) {
                let Some(i) = compared[d] else { continue };
                for (unit, x) in doc.units.iter().zip(&vectors[d]) {
                    if suggests(model, x, options.min_score) {
                        layers[i][k].push((unit.start as u64, unit.end as u64));
                    }
                }
            }
        }
        progress(n_docs + r + 1, steps);
    }
    let learned_from = selection.coders.join(", ");
    input.notes.push((
        CODER.to_string(),
        if options.folds == 0 {
            format!(
                "trained on every document, those compared included (optimistic), min score {:.2}; its codings are the {}s scoring at least that for a code, learned from the codings of {learned_from}, never stored",
                options.min_score,
                passages_for(selection.unit).as_str()
            )
        } else {
            format!(
                "trained on other documents, {} folds, min score {:.2}; each document's codings are the {}s that models trained without it score at least that for a code, learned from the codings of {learned_from}, never stored",
                rounds.len(),
                options.min_score,
                passages_for(selection.unit).as_str()
            )
        },
    ));
    for (k, &n) in untrained.iter().enumerate().filter(|(_, n)| **n > 0) {
        let code = &input.codes[k].name;
        input.warnings.push(if n < rounds.len() {
            format!(
                "the suggester has no model of {code} in {n} of {} folds (fewer than {min_examples} codings in the documents it learned from): it codes none of it in those documents",
                rounds.len()
            )
        } else {
            format!("the suggester has no model of {code} (fewer than {min_examples} codings to learn from): it codes none of it")
        });
    }
    let from_suggestions = codings
        .iter()
        .filter(|c| accepted.contains(&c.id) && position.contains_key(c.document_id.as_str()))
        .filter(|c| code_ids.contains(&c.code_id))
        .count();
    if from_suggestions > 0 {
        input.warnings.push(format!(
            "{from_suggestions} of the codings compared are accepted suggestions: the suggester agrees with those more easily than with codings made by hand"
        ));
    }
    input.add_coder(CODER, layers).map_err(invalid)?;
    Ok(input)
}

/// The agreement report of `selection` with the suggester as a coder, and its rows
/// against each coder (`pairs`: "suggester vs amara", every code and document pooled).
pub fn agreement_with_suggester(
    project: &Project,
    selection: &Selection,
    analysis: &AnalysisOptions,
    options: &CoderOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<AgreementReport> {
    let input = reliability_with_suggester(project, selection, options, progress)?;
    let mut report = analyse(&input, analysis).map_err(invalid)?;
    report.pairs = pair_rows(&input, analysis, input.coders.len() - 1).map_err(invalid)?;
    Ok(report)
}
