//! Suggested codings learned from the team's own coding, on the researcher's machine
//! with nothing to download.
//!
//! - [`units`]: the passages suggestions are made for (sentences or turns).
//! - [`features`]: each passage's stems and stem pairs, from the same analysis as a
//!   stemmed search, weighted by rarity, as sparse vectors of length one.
//! - [`linear`]: a sparse L2 logistic regression, trained deterministically.
//! - `corpus`: the project's documents read once, and the labels the codings give.
//! - [`engine`]: training one model per code ([`train`]) into a [`Suggester`], which
//!   suggests passages for a document or across the project (the inbox), each with its
//!   score and reasons (the words that weighed most, the most similar passages already
//!   coded with the code).
//! - [`evaluate`]: how far the suggestions can be trusted: document folds, per code
//!   precision, recall, F1 and Krippendorff's α between the model and the team.
//! - [`similar`]: the passages most like a selection, across the project.
//! - [`embedding`]: a sentence-embedding model the researcher placed in a folder
//!   (model2vec's static layout), read and checked; nothing is ever downloaded.
//! - [`meaning`]: passages compared by meaning as well as words when there is such a
//!   model; the one place the two similarities are blended.
//! - [`coder`]: the suggester as a coder in agreement (`suggester`): its suggestions over
//!   the documents compared, each from models that did not learn from that document.
//!
//! Accepting and rejecting are store operations
//! ([`crate::store::suggestion_ops`]): nothing becomes a coding unless a person accepts
//! it; a rejection is remembered, never suggested again, and teaches the next model.
//!
//! Invariants: suggestions never overlap a coding of the same code (by any coder) nor a
//! rejected suggestion of that code; a code with fewer codings than
//! [`TrainOptions::min_examples`] is flagged and never suggested; training, evaluation
//! and suggestion IDs are deterministic (seeded; the same project gives the same
//! results); this module only reads the project.

pub mod coder;
pub mod corpus;
pub mod embedding;
pub mod engine;
pub mod evaluate;
pub mod features;
pub mod linear;
pub mod meaning;
pub mod similar;
pub mod units;

pub use coder::{CODER, CoderOptions, agreement_with_suggester, reliability_with_suggester};
pub use embedding::StaticEmbeddings;
pub use engine::{
    InboxOptions, SUGGESTION_THRESHOLD, SuggestOptions, Suggester, Suggestion, TrainOptions, WeightedWord, train,
    train_with_progress,
};
pub use evaluate::{CodeEvaluation, Confusion, EvalOptions, Evaluation, Figures, Statistic, evaluate};
pub use similar::{SimilarPassage, similar, similar_with};
pub use units::UnitKind;

/// The name of the model family, the first part of every model version.
pub const MODEL_NAME: &str = "linear-1";
