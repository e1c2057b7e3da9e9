//! The passages most like a selection, across the project: the cosine of their
//! feature vectors (the same features the models read), blended with the cosine of their
//! meanings when a sentence-embedding model is given ([`super::meaning::blend`]).

use super::corpus::{Corpus, CorpusDocument};
use super::embedding::StaticEmbeddings;
use super::features::{Featurizer, SparseVec, Vocabulary};
use super::meaning::{Meaning, blend};
use super::units::UnitKind;
use crate::error::{Error, Result};
use crate::model::offsets::slice_chars;
use crate::store::Project;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A passage's text is shown up to this many characters.
const SHORT_TEXT: usize = 160;

/// A passage like another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarPassage {
    pub document_id: String,
    pub document_name: String,
    pub start: usize,
    pub end: usize,
    /// Similarity, 0 to 1: the cosine of the words, blended with the cosine of the
    /// meanings when there is a model.
    pub score: f64,
    /// The passage's text, shortened with "…" past [`SHORT_TEXT`] characters.
    pub text: String,
}

/// `text` up to `SHORT_TEXT` characters.
fn short(text: &str) -> String {
    match text.char_indices().nth(SHORT_TEXT) {
        Some((b, _)) => format!("{}…", text[..b].trim_end()),
        None => text.to_string(),
    }
}

/// Passage `unit` of `document` as a [`SimilarPassage`] with `score`.
pub(crate) fn passage(document: &CorpusDocument, unit: usize, score: f64) -> SimilarPassage {
    let u = document.units[unit];
    SimilarPassage {
        document_id: document.id.clone(),
        document_name: document.name.clone(),
        start: u.start,
        end: u.end,
        score,
        text: short(u.text(&document.text)),
    }
}

/// The `limit` passages of `corpus` most like `query` (and, with a model, most like the
/// meaning `meaning.1`), apart from those overlapping `[start, end)` of document `exclude`.
pub(crate) fn nearest(
    corpus: &Corpus,
    vectors: &[Vec<SparseVec>],
    query: (&SparseVec, Option<(&Meaning, &[f32])>),
    exclude: (&str, usize, usize),
    limit: usize,
) -> Vec<SimilarPassage> {
    let (words, meaning) = query;
    let mut found: Vec<(f64, usize, usize)> = Vec::new();
    for (d, document) in corpus.documents.iter().enumerate() {
        for (u, unit) in document.units.iter().enumerate() {
            if document.id == exclude.0 && unit.overlaps(exclude.1, exclude.2) {
                continue;
            }
            let word = f64::from(vectors[d][u].dot(words)).min(1.0);
            let s = blend(word, meaning.map(|(m, q)| m.cosine(q, d, u)));
            if s > 0.0 {
                found.push((s, d, u));
            }
        }
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    found.truncate(limit);
    found.into_iter().map(|(s, d, u)| passage(&corpus.documents[d], u, s.min(1.0))).collect()
}

/// The selection's text, checked.
pub(crate) fn selection(project: &Project, document: &str, start: usize, end: usize) -> Result<String> {
    let text = project.document_text(document)?;
    let len = text.chars().count();
    crate::model::check_range(start, end, len).map_err(Error::Invalid)?;
    Ok(slice_chars(&text, start, end).unwrap_or_default().to_string())
}

/// The `limit` sentences of the project most like `[start, end)` of `document`, the
/// most similar first (passages overlapping the selection itself are left out). Reads
/// the whole project; a window with a [`Suggester`](super::Suggester) uses
/// [`Suggester::similar`](super::Suggester::similar).
pub fn similar(
    project: &Project,
    document: &str,
    start: usize,
    end: usize,
    limit: usize,
) -> Result<Vec<SimilarPassage>> {
    similar_with(project, (document, start, end), limit, None)
}

/// [`similar`], comparing meanings too when `model` is given: every sentence of the
/// project is embedded once for the query.
pub fn similar_with(
    project: &Project,
    (document, start, end): (&str, usize, usize),
    limit: usize,
    model: Option<Arc<StaticEmbeddings>>,
) -> Result<Vec<SimilarPassage>> {
    let text = selection(project, document, start, end)?;
    let corpus = Corpus::load(project, UnitKind::Sentence, &|_, _| {})?;
    let vocabulary = Vocabulary::build(corpus.documents.iter().flat_map(|d| d.bags.iter()), corpus.terms.len());
    let vectors: Vec<Vec<SparseVec>> =
        corpus.documents.iter().map(|d| d.bags.iter().map(|b| vocabulary.vector(b)).collect()).collect();
    let query = vocabulary.vector(&Featurizer::default().known_bag(&text, &corpus.terms));
    let meaning = model.map(|m| {
        let q = m.embed(&text);
        (Meaning::of_corpus(m, &corpus, &|_, _| {}), q)
    });
    let meaning = meaning.as_ref().map(|(m, q)| (m, q.as_slice()));
    Ok(nearest(&corpus, &vectors, (&query, meaning), (document, start, end), limit))
}
