//! Meaning beside words: when the researcher has placed a sentence-embedding model in a
//! folder ([`StaticEmbeddings`]), passages are compared by what they say as well as by the
//! words they share, so that "I could not face the stairs any more" can be found from "my
//! knee stops me climbing", which shares no word with it.
//!
//! [`blend`] is the one place where the two meet, for "passages like this" and for the
//! coded passages a suggestion is shown to be like:
//!
//! > similarity = ½ · word similarity + ½ · max(0, cosine of the two meanings)
//!
//! Word similarity is the cosine of the feature vectors the models read (0 to 1); the
//! meaning's cosine can be negative, and a negative one counts as 0, so a blended
//! similarity is 0 to 1 too. Without a model, similarity is the word similarity alone,
//! exactly as before.
//!
//! A suggestion's score is left to the models learned from the team's codings: it is the
//! probability those models give, the number the threshold, the evaluation and the
//! suggester's agreement with the team are all about.
//!
//! Memory is bounded: at most [`MAX_HELD_VALUES`] numbers of passage meanings are kept
//! (131,072 passages of a 256-dimension model); passages beyond, in project order, are
//! compared by words only (their meaning's cosine counts as 0).

use super::corpus::Corpus;
use super::embedding::{StaticEmbeddings, cosine};
use std::sync::Arc;

/// The most numbers of passage meanings kept (2^25, 128 MiB).
pub const MAX_HELD_VALUES: usize = 1 << 25;

/// Passages embedded at once.
const BATCH: usize = 2048;

/// The similarity of two passages from their word similarity (0 to 1) and, when there is
/// a model, the cosine of their meanings: see the module documentation.
pub fn blend(words: f64, meaning: Option<f32>) -> f64 {
    match meaning {
        None => words,
        Some(cosine) => 0.5 * words + 0.5 * f64::from(cosine.max(0.0)),
    }
}

/// The meanings of a corpus's passages, in corpus order, as far as [`MAX_HELD_VALUES`]
/// allows, with the model that made them.
#[derive(Debug, Clone)]
pub struct Meaning {
    pub model: Arc<StaticEmbeddings>,
    /// Per document, the number of its first passage among all passages.
    starts: Vec<usize>,
    /// How many passages have a meaning (the first ones).
    held: usize,
    /// `held × dims` numbers.
    vectors: Vec<f32>,
}

impl Meaning {
    /// Embeds the passages of `corpus` with `model`, telling `progress` (done, total).
    pub fn of_corpus(model: Arc<StaticEmbeddings>, corpus: &Corpus, progress: &dyn Fn(usize, usize)) -> Meaning {
        let dims = model.dims();
        let mut starts = Vec::with_capacity(corpus.documents.len());
        let mut texts: Vec<&str> = Vec::new();
        for d in &corpus.documents {
            starts.push(texts.len());
            texts.extend(d.units.iter().map(|u| u.text(&d.text)));
        }
        let held = texts.len().min(MAX_HELD_VALUES / dims);
        let mut vectors = Vec::with_capacity(held * dims);
        for batch in texts[..held].chunks(BATCH) {
            vectors.extend(model.embed_many(batch));
            progress(vectors.len() / dims, held);
        }
        Meaning { model, starts, held, vectors }
    }

    /// The passages that have a meaning.
    pub fn held(&self) -> usize {
        self.held
    }

    /// The meaning of passage `unit` of document `doc` (by position in the corpus), when
    /// it is held.
    pub fn passage(&self, doc: usize, unit: usize) -> Option<&[f32]> {
        let n = self.starts.get(doc)? + unit;
        let dims = self.model.dims();
        (n < self.held).then(|| &self.vectors[n * dims..(n + 1) * dims])
    }

    /// The cosine of `query` with passage `unit` of document `doc`; 0 for a passage
    /// without a held meaning.
    pub fn cosine(&self, query: &[f32], doc: usize, unit: usize) -> f32 {
        self.passage(doc, unit).map_or(0.0, |v| cosine(query, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blend_is_words_alone_without_a_model_and_half_each_with_one() {
        assert_eq!(blend(0.4, None), 0.4);
        assert!((blend(0.4, Some(0.8)) - 0.6).abs() < 1e-6);
        assert!((blend(0.0, Some(0.9)) - 0.45).abs() < 1e-6);
        assert_eq!(blend(0.4, Some(-0.7)), 0.2, "a negative cosine counts as 0");
        assert!((blend(1.0, Some(1.0)) - 1.0).abs() < 1e-6);
    }
}
