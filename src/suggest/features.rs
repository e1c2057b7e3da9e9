//! What the models read: each passage's words and word pairs, weighted by how rare they
//! are, as a sparse vector of length one.
//!
//! Words come from the same analysis as a stemmed search (`search::schema::analyzer`):
//! UAX #29 words, lower-cased, typographic apostrophes read as `'`, English Snowball
//! stems; one form per word position. A passage's features are its stems and each pair
//! of neighbouring stems (`knee pain`). A [`Vocabulary`] is built from a set of passages:
//! the features found in at least [`MIN_DOCUMENT_FREQUENCY`] of them (at most
//! [`MAX_FEATURES`], the most frequent first), each weighted by its inverse document
//! frequency `ln((1 + n) / (1 + df)) + 1`. A passage's vector holds `(1 + ln tf) · idf`
//! for each feature, scaled to length one.

use crate::search::schema::{analyzer, primary_forms};
use rustc_hash::FxHashMap;
use tantivy::tokenizer::TextAnalyzer;

/// Features found in fewer passages than this are left out of a vocabulary.
pub const MIN_DOCUMENT_FREQUENCY: u32 = 2;

/// A vocabulary keeps at most this many features.
pub const MAX_FEATURES: usize = 1 << 18;

/// Words longer than this (in bytes) are not features.
const LONGEST_TERM: usize = 40;

/// Interned feature names: every word and word pair of a corpus gets a number once.
#[derive(Debug, Default, Clone)]
pub struct Terms {
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
}

impl Terms {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The feature's name (a stem, or two stems with a space between).
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// How many features are known.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no feature is known.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A passage's features: interned IDs with counts, sorted by ID.
pub type Bag = Vec<(u32, u16)>;

/// Counts one more of `id` (saturating: a count past 65,535 stays there).
fn bump(counts: &mut FxHashMap<u32, u16>, id: u32) {
    let n = counts.entry(id).or_default();
    *n = n.saturating_add(1);
}

/// Reads passages into bags of features, interning them in [`Terms`].
pub struct Featurizer {
    analyzer: TextAnalyzer,
    pair: String,
    counts: FxHashMap<u32, u16>,
}

impl Default for Featurizer {
    fn default() -> Self {
        Featurizer { analyzer: analyzer(true), pair: String::new(), counts: FxHashMap::default() }
    }
}

impl Featurizer {
    /// The stems of `text`, one per word position.
    pub fn stems(&mut self, text: &str) -> Vec<String> {
        let mut forms = primary_forms(&mut self.analyzer, text);
        forms.retain(|f| f.len() <= LONGEST_TERM);
        forms
    }

    /// The bag of `text`'s stems and neighbouring pairs, interned in `terms`.
    pub fn bag(&mut self, text: &str, terms: &mut Terms) -> Bag {
        let stems = self.stems(text);
        self.counts.clear();
        for (i, s) in stems.iter().enumerate() {
            bump(&mut self.counts, terms.id(s));
            if let Some(next) = stems.get(i + 1) {
                self.pair.clear();
                self.pair.push_str(s);
                self.pair.push(' ');
                self.pair.push_str(next);
                let id = terms.id(&self.pair);
                bump(&mut self.counts, id);
            }
        }
        let mut bag: Bag = self.counts.iter().map(|(&k, &v)| (k, v)).collect();
        bag.sort_unstable();
        bag
    }

    /// The bag of `text` with only features `terms` already knows (nothing is added).
    pub fn known_bag(&mut self, text: &str, terms: &Terms) -> Bag {
        let stems = self.stems(text);
        self.counts.clear();
        for (i, s) in stems.iter().enumerate() {
            if let Some(&id) = terms.ids.get(s.as_str()) {
                bump(&mut self.counts, id);
            }
            if let Some(next) = stems.get(i + 1) {
                self.pair.clear();
                self.pair.push_str(s);
                self.pair.push(' ');
                self.pair.push_str(next);
                if let Some(&id) = terms.ids.get(self.pair.as_str()) {
                    bump(&mut self.counts, id);
                }
            }
        }
        let mut bag: Bag = self.counts.iter().map(|(&k, &v)| (k, v)).collect();
        bag.sort_unstable();
        bag
    }
}

/// A sparse vector: feature indices (ascending) and values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    pub index: Vec<u32>,
    pub value: Vec<f32>,
}

impl SparseVec {
    /// The dot product with a dense vector.
    pub fn dot_dense(&self, w: &[f32]) -> f32 {
        self.index.iter().zip(&self.value).map(|(&i, &v)| w[i as usize] * v).sum()
    }

    /// The dot product with another sparse vector (both sorted by index).
    pub fn dot(&self, other: &SparseVec) -> f32 {
        let (mut i, mut j, mut sum) = (0, 0, 0.0);
        while i < self.index.len() && j < other.index.len() {
            match self.index[i].cmp(&other.index[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += self.value[i] * other.value[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }

    /// Whether the vector has no feature.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Whether its passage says enough to be suggested: at least [`FEWEST_TO_SUGGEST`]
    /// features, so that "Well." or "Yes." is never put forward on one word's weight.
    pub fn suggestible(&self) -> bool {
        self.index.len() >= FEWEST_TO_SUGGEST
    }
}

/// The fewest features (stems and stem pairs) a passage needs to be suggested: two words
/// and the pair they make.
pub const FEWEST_TO_SUGGEST: usize = 3;

/// The features a model uses, with their weights.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Interned term ID → feature index (`u32::MAX` when the term is not a feature).
    index_of: Vec<u32>,
    /// Feature index → interned term ID.
    term_of: Vec<u32>,
    idf: Vec<f32>,
}

impl Vocabulary {
    /// The vocabulary of `bags` (passages), over terms numbered below `n_terms`.
    pub fn build<'a>(bags: impl Iterator<Item = &'a Bag>, n_terms: usize) -> Vocabulary {
        let mut df = vec![0u32; n_terms];
        let mut n = 0usize;
        for bag in bags {
            n += 1;
            for &(t, _) in bag {
                df[t as usize] += 1;
            }
        }
        let mut kept: Vec<u32> = (0..n_terms as u32).filter(|&t| df[t as usize] >= MIN_DOCUMENT_FREQUENCY).collect();
        if kept.len() > MAX_FEATURES {
            kept.sort_by_key(|&t| (std::cmp::Reverse(df[t as usize]), t));
            kept.truncate(MAX_FEATURES);
            kept.sort_unstable();
        }
        let mut index_of = vec![u32::MAX; n_terms];
        let mut idf = Vec::with_capacity(kept.len());
        for (i, &t) in kept.iter().enumerate() {
            index_of[t as usize] = i as u32;
            idf.push((((1 + n) as f64 / (1 + df[t as usize]) as f64).ln() + 1.0) as f32);
        }
        Vocabulary { index_of, term_of: kept, idf }
    }

    /// How many features there are.
    pub fn len(&self) -> usize {
        self.term_of.len()
    }

    /// Whether there is no feature.
    pub fn is_empty(&self) -> bool {
        self.term_of.is_empty()
    }

    /// The interned term of feature `index`.
    pub fn term(&self, index: u32) -> u32 {
        self.term_of[index as usize]
    }

    /// A passage's vector: `(1 + ln tf) · idf` per feature, scaled to length one.
    pub fn vector(&self, bag: &Bag) -> SparseVec {
        let mut v = SparseVec::default();
        for &(t, count) in bag {
            let Some(&i) = self.index_of.get(t as usize) else { continue };
            if i == u32::MAX {
                continue;
            }
            v.index.push(i);
            v.value.push((1.0 + (count as f32).ln()) * self.idf[i as usize]);
        }
        let mut order: Vec<usize> = (0..v.index.len()).collect();
        order.sort_unstable_by_key(|&k| v.index[k]);
        let index: Vec<u32> = order.iter().map(|&k| v.index[k]).collect();
        let mut value: Vec<f32> = order.iter().map(|&k| v.value[k]).collect();
        let norm = value.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            value.iter_mut().for_each(|x| *x /= norm);
        }
        SparseVec { index, value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_pairs_with_idf_weights_of_length_one() {
        let mut f = Featurizer::default();
        let mut terms = Terms::default();
        let a = f.bag("Knees hurt. The knee’s pain!", &mut terms);
        let b = f.bag("My knee pain, again.", &mut terms);
        let c = f.bag("Nothing here.", &mut terms);
        let names = |bag: &Bag| {
            let mut v: Vec<String> = bag.iter().map(|&(t, n)| format!("{}:{n}", terms.name(t))).collect();
            v.sort();
            v
        };
        assert!(names(&a).contains(&"knee:2".to_string()), "{:?}", names(&a));
        assert!(names(&b).contains(&"knee pain:1".to_string()), "{:?}", names(&b));
        let vocab = Vocabulary::build([&a, &b, &c].into_iter(), terms.len());
        // Only features in two passages are kept: knee, pain, knee pain.
        let mut kept: Vec<&str> = (0..vocab.len() as u32).map(|i| terms.name(vocab.term(i))).collect();
        kept.sort();
        assert_eq!(kept, ["knee", "knee pain", "pain"]);
        let v = vocab.vector(&a);
        assert!((v.dot(&v) - 1.0).abs() < 1e-6);
        // knee occurs twice in a: (1 + ln 2) · idf against 1 · idf for pain and knee pain.
        let idf = ((4.0f64 / 3.0).ln() + 1.0) as f32;
        let raw = [(1.0 + 2f32.ln()) * idf, idf, idf];
        let norm = raw.iter().map(|x| x * x).sum::<f32>().sqrt();
        let knee = (0..vocab.len() as u32).find(|&i| terms.name(vocab.term(i)) == "knee").unwrap();
        let at = v.index.iter().position(|&i| i == knee).unwrap();
        assert!((v.value[at] - raw[0] / norm).abs() < 1e-6);
        assert!(vocab.vector(&c).is_empty());
        assert_eq!(f.known_bag("knee pain", &terms).len(), 3);
        // One word is too little to suggest a passage on; two words and their pair are enough.
        assert!(!vocab.vector(&f.known_bag("Knee.", &terms)).suggestible());
        assert!(vocab.vector(&f.known_bag("Knee pain.", &terms)).suggestible());
    }
}
