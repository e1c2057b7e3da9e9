//! How far the suggestions can be trusted: train on some documents, test on the others.
//!
//! The documents someone coded are dealt into folds (in an order drawn from the seed);
//! for each fold, models are trained on the other folds exactly as [`train`](super::train)
//! trains (vocabulary, labels and rejections of those documents only) and every passage
//! of the fold's documents is scored. Per code, the passages the model puts at or above
//! the threshold are compared with the team's coding of them (a passage carries the
//! code when a coding of it overlaps the passage): true and false positives and
//! negatives, precision, recall and F1, and Krippendorff's α (nominal, two coders —
//! the model and the team — binary presence per passage), computed by
//! `agreement::stats`. The pooled figures sum the counts (and so the coincidences) of
//! every code evaluated; they never average per-code values. A statistic that is not
//! defined (no passage predicted, say) is reported as undefined, with the reason.

use super::corpus::{Corpus, Evidence, labels};
use super::engine::{codings_of, fit};
use super::features::{SparseVec, Vocabulary};
use super::linear::Model;
use super::units::UnitKind;
use crate::agreement::stats::krippendorff_alpha_nominal;
use crate::agreement::units::ReliabilityData;
use crate::agreement::{Estimate, Undefined};
use crate::error::{Error, Result};
use crate::store::Project;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalOptions {
    /// Number of document folds (at least 2).
    pub folds: usize,
    pub unit: UnitKind,
    /// Deals the documents into folds and orders the examples.
    pub seed: u64,
    /// Learn from and compare with these coders' codings only (all when empty).
    pub coders: Vec<String>,
    /// Codes with fewer codings are flagged, not evaluated.
    pub min_examples: usize,
    /// A passage scoring at least this is a suggestion.
    pub threshold: f64,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            folds: 5,
            unit: UnitKind::Sentence,
            seed: 1,
            coders: Vec::new(),
            min_examples: 8,
            threshold: super::SUGGESTION_THRESHOLD,
        }
    }
}

/// Passages by what the model said and what the team coded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Suggested and coded.
    pub true_positives: u64,
    /// Suggested, not coded.
    pub false_positives: u64,
    /// Coded, not suggested.
    pub false_negatives: u64,
    /// Neither.
    pub true_negatives: u64,
}

impl Confusion {
    fn add(&mut self, other: &Confusion) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
        self.true_negatives += other.true_negatives;
    }

    fn count(&mut self, suggested: bool, coded: bool) {
        match (suggested, coded) {
            (true, true) => self.true_positives += 1,
            (true, false) => self.false_positives += 1,
            (false, true) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
        }
    }
}

/// A statistic's value, or why it is not defined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statistic {
    pub value: Option<f64>,
    pub undefined: Option<String>,
}

impl From<Estimate> for Statistic {
    fn from(e: Estimate) -> Self {
        match e {
            Estimate::Defined(v) => Statistic { value: Some(v), undefined: None },
            Estimate::Undefined(why) => Statistic { value: None, undefined: Some(why.note().to_string()) },
        }
    }
}

fn ratio(num: u64, den: u64, why: &str) -> Statistic {
    if den == 0 {
        Statistic { value: None, undefined: Some(why.to_string()) }
    } else {
        Statistic { value: Some(num as f64 / den as f64), undefined: None }
    }
}

/// Krippendorff's α (nominal) between the model and the team over binary presence per
/// passage, from the counts of the four patterns.
pub fn alpha(c: &Confusion) -> Statistic {
    let patterns =
        [(1, 1, c.true_positives), (1, 0, c.false_positives), (0, 1, c.false_negatives), (0, 0, c.true_negatives)];
    let (rows, weights): (Vec<Vec<Option<usize>>>, Vec<u64>) =
        patterns.iter().filter(|p| p.2 > 0).map(|&(m, h, n)| (vec![Some(m), Some(h)], n)).unzip();
    let categories = vec!["absent".to_string(), "present".to_string()];
    let data = ReliabilityData::from_indices(vec!["suggester".into(), "team".into()], categories, true, rows)
        .ok()
        .and_then(|d| d.with_weights(weights));
    match data {
        Some(d) => krippendorff_alpha_nominal(&d).value().into(),
        None => Estimate::Undefined(Undefined::NoPairableUnits).into(),
    }
}

/// The figures of one code, or of every code pooled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub confusion: Confusion,
    pub precision: Statistic,
    pub recall: Statistic,
    pub f1: Statistic,
    pub alpha: Statistic,
}

impl From<Confusion> for Figures {
    fn from(c: Confusion) -> Self {
        let tp = c.true_positives;
        Figures {
            confusion: c,
            precision: ratio(tp, tp + c.false_positives, "the model suggested no passage"),
            recall: ratio(tp, tp + c.false_negatives, "the team coded no passage"),
            f1: ratio(2 * tp, 2 * tp + c.false_positives + c.false_negatives, "neither suggested nor coded anywhere"),
            alpha: alpha(&c),
        }
    }
}

/// One code's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeEvaluation {
    pub code_id: String,
    pub code_name: String,
    /// The code's codings (the training examples of the model [`train`](super::train) makes).
    pub examples: usize,
    #[serde(flatten)]
    pub figures: Figures,
}

/// An evaluation of the suggestions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub unit: UnitKind,
    pub folds: usize,
    pub threshold: f64,
    /// The coded documents dealt into folds.
    pub documents: usize,
    pub codes: Vec<CodeEvaluation>,
    /// Every evaluated code's counts summed.
    pub pooled: Figures,
    /// Codes with too few codings (ID, name, codings), not evaluated.
    pub flagged: Vec<(String, String, usize)>,
}

/// The fold of each document `included` marks, in an order drawn from `seed` (`None` for
/// the others).
pub(crate) fn deal(corpus: &Corpus, included: &[bool], folds: usize, seed: u64) -> Vec<Option<usize>> {
    let mut order: Vec<(String, usize)> = corpus
        .documents
        .iter()
        .enumerate()
        .filter(|(d, _)| included[*d])
        .map(|(d, doc)| {
            let h = Sha256::digest(format!("{seed}\u{0}{}", doc.id).as_bytes());
            (h.iter().map(|b| format!("{b:02x}")).collect(), d)
        })
        .collect();
    order.sort();
    let mut fold = vec![None; corpus.documents.len()];
    for (i, (_, d)) in order.into_iter().enumerate() {
        fold[d] = Some(i % folds);
    }
    fold
}

/// Whether `model` suggests the passage `x`: it has enough words and scores at least
/// `threshold`.
pub(crate) fn suggests(model: &Model, x: &SparseVec, threshold: f64) -> bool {
    x.suggestible() && model.score(x) >= threshold
}

/// The models of one fold, learned as [`train`](super::train) learns but from the
/// documents `train_docs` allows only (their vocabulary, labels and rejections), for the
/// codes `trainable` allows (given the code's index and its codings in those documents).
/// Returns the vectors of every document `train_docs` or `scored` allows (empty for the
/// others), in that fold's vocabulary, and a model per code (`None` where not trained).
pub(crate) fn fold_models(
    corpus: &Corpus,
    code_ids: &[String],
    evidence: Evidence,
    (train_docs, scored): (&dyn Fn(usize) -> bool, &dyn Fn(usize) -> bool),
    trainable: &dyn Fn(usize, usize) -> bool,
    seed: u64,
) -> (Vec<Vec<SparseVec>>, Vec<Option<Model>>) {
    let train = labels(corpus, code_ids, evidence, train_docs);
    let vocabulary = Vocabulary::build(
        corpus.documents.iter().enumerate().filter(|(d, _)| train_docs(*d)).flat_map(|(_, doc)| doc.bags.iter()),
        corpus.terms.len(),
    );
    let vectors: Vec<Vec<SparseVec>> = corpus
        .documents
        .iter()
        .enumerate()
        .map(|(d, doc)| {
            if train_docs(d) || scored(d) {
                doc.bags.iter().map(|b| vocabulary.vector(b)).collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    let allowed: Vec<bool> = train.codings.iter().enumerate().map(|(k, &n)| trainable(k, n)).collect();
    let models = fit(&vectors, &train, &allowed, vocabulary.len(), seed, &|_, _| {});
    (vectors, models)
}

/// Evaluates the suggestions on `project` with document folds.
pub fn evaluate(project: &Project, options: &EvalOptions) -> Result<Evaluation> {
    let codes = project.codes()?;
    let code_ids: Vec<String> = codes.iter().map(|c| c.id.clone()).collect();
    let corpus = Corpus::load(project, options.unit, &|_, _| {})?;
    let codings = codings_of(project, &options.coders)?;
    let rejections = project.suggestion_rejections()?;
    let accepted = project.accepted_suggestion_codings()?;
    let with_rejections = Evidence { codings: &codings, accepted: &accepted, rejections: &rejections };
    let coded_only = Evidence { rejections: &[], ..with_rejections };
    let mut coded = vec![false; corpus.documents.len()];
    for c in codings.iter().filter(|c| !accepted.contains(&c.id)) {
        if let Some(d) = corpus.position(&c.document_id) {
            coded[d] = true;
        }
    }
    let n_coded = coded.iter().filter(|c| **c).count();
    if options.folds < 2 || n_coded < options.folds {
        return Err(Error::Invalid(format!(
            "an evaluation with {} folds needs at least 2 folds and as many coded documents ({n_coded} coded)",
            options.folds
        )));
    }
    let fold = deal(&corpus, &coded, options.folds, options.seed);
    let all = labels(&corpus, &code_ids, coded_only, &|_| true);
    let evaluated: Vec<bool> = all.codings.iter().map(|&n| n >= options.min_examples.max(1)).collect();
    let mut confusion = vec![Confusion::default(); codes.len()];
    for f in 0..options.folds {
        let (vectors, models) = fold_models(
            &corpus,
            &code_ids,
            with_rejections,
            (&|d| fold[d].is_some_and(|x| x != f), &|d| fold[d].is_some()),
            &|k, _| evaluated[k],
            options.seed,
        );
        let test = labels(&corpus, &code_ids, coded_only, &|d| fold[d] == Some(f));
        for (k, model) in models.iter().enumerate() {
            let Some(model) = model else { continue };
            for (&(d, u), label) in test.examples.iter().zip(&test.by_code[k]) {
                if let Some(coded) = label {
                    confusion[k].count(suggests(model, &vectors[d as usize][u as usize], options.threshold), *coded);
                }
            }
        }
    }
    let mut pooled = Confusion::default();
    let mut out = Vec::new();
    let mut flagged = Vec::new();
    for (k, code) in codes.iter().enumerate() {
        if !evaluated[k] {
            flagged.push((code.id.clone(), code.name.clone(), all.codings[k]));
            continue;
        }
        pooled.add(&confusion[k]);
        out.push(CodeEvaluation {
            code_id: code.id.clone(),
            code_name: code.name.clone(),
            examples: all.codings[k],
            figures: confusion[k].into(),
        });
    }
    Ok(Evaluation {
        unit: options.unit,
        folds: options.folds,
        threshold: options.threshold,
        documents: n_coded,
        codes: out,
        pooled: pooled.into(),
        flagged,
    })
}
