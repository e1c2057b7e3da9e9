//! A project's documents read once for the models: each document's passages and their
//! bags of features, and the labels the team's codings give them.
//!
//! Labels follow the rule: a passage carries a code (a positive example) when a
//! coding of that code overlaps it; it does not (a negative example) when it lies in a
//! document someone coded at all and no coding of that code overlaps it, or when a coder
//! rejected a suggestion of that code there. A passage in a document nobody coded, and
//! that nobody rejected, is not an example.

use super::features::{Bag, Featurizer, Terms};
use super::units::{Unit, UnitKind, split};
use crate::error::Result;
use crate::model::Coding;
use crate::store::Project;
use crate::store::suggestion_ops::Rejection;
use std::collections::{HashMap, HashSet};

/// One document's passages.
#[derive(Debug, Clone)]
pub struct CorpusDocument {
    pub id: String,
    pub name: String,
    pub participant: Option<String>,
    pub wave: Option<String>,
    pub text: String,
    pub units: Vec<Unit>,
    pub bags: Vec<Bag>,
}

impl CorpusDocument {
    /// The passages that share a character with `[start, end)`, as a range of indices.
    pub fn overlapping(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        let from = self.units.partition_point(|u| u.end <= start);
        let to = from + self.units[from..].partition_point(|u| u.start < end);
        from..to.max(from)
    }
}

/// Every document of a project, split and read.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub kind: UnitKind,
    pub documents: Vec<CorpusDocument>,
    pub terms: Terms,
    by_id: HashMap<String, usize>,
}

/// Reads one document's passages; with `terms`, features are interned there, otherwise
/// only the features `known` are kept.
fn read_document(
    project: &Project,
    summary: &crate::model::Document,
    kind: UnitKind,
    featurizer: &mut Featurizer,
    terms: &mut Terms,
) -> Result<CorpusDocument> {
    let text = project.document_text(&summary.id)?;
    let turns = project.turns(&summary.id)?;
    let units = split(&text, &turns, kind);
    let bags = units.iter().map(|u| featurizer.bag(u.text(&text), terms)).collect();
    Ok(CorpusDocument {
        id: summary.id.clone(),
        name: summary.name.clone(),
        participant: summary.participant.clone(),
        wave: summary.wave.clone(),
        text,
        units,
        bags,
    })
}

impl Corpus {
    /// Reads every document of `project`, telling `progress` (done, total) after each.
    pub fn load(project: &Project, kind: UnitKind, progress: &dyn Fn(usize, usize)) -> Result<Corpus> {
        let summaries = project.documents()?;
        let mut featurizer = Featurizer::default();
        let mut terms = Terms::default();
        let mut documents = Vec::with_capacity(summaries.len());
        for (i, s) in summaries.iter().enumerate() {
            documents.push(read_document(project, &s.document, kind, &mut featurizer, &mut terms)?);
            progress(i + 1, summaries.len());
        }
        let by_id = documents.iter().enumerate().map(|(i, d)| (d.id.clone(), i)).collect();
        Ok(Corpus { kind, documents, terms, by_id })
    }

    /// The index of document `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// A document that is not in the corpus (imported since it was read), with the
    /// features the corpus knows.
    pub fn read_new(&self, project: &Project, id: &str) -> Result<CorpusDocument> {
        let document = project.document(id)?;
        let mut featurizer = Featurizer::default();
        let text = project.document_text(id)?;
        let turns = project.turns(id)?;
        let units = split(&text, &turns, self.kind);
        let bags = units.iter().map(|u| featurizer.known_bag(u.text(&text), &self.terms)).collect();
        Ok(CorpusDocument {
            id: document.id,
            name: document.name,
            participant: document.participant,
            wave: document.wave,
            text,
            units,
            bags,
        })
    }
}

/// A passage: document index and unit index.
pub type At = (u32, u32);

/// What the codings say about the passages of some documents.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    /// The passages that are an example of anything: every passage of a coded document,
    /// and every rejected passage.
    pub examples: Vec<At>,
    /// Per code (in the order given): per example, `Some(true)` positive, `Some(false)`
    /// negative, `None` not an example for this code.
    pub by_code: Vec<Vec<Option<bool>>>,
    /// Per code: the codings of it that were read.
    pub codings: Vec<usize>,
}

/// What the team has said about passages: codings (already filtered by coder), the IDs
/// of those that are accepted suggestions, and rejections.
#[derive(Clone, Copy)]
pub struct Evidence<'a> {
    pub codings: &'a [Coding],
    pub accepted: &'a HashSet<String>,
    pub rejections: &'a [Rejection],
}

/// Labels of the passages of the documents `in_scope` allows, for `codes`.
pub fn labels(corpus: &Corpus, codes: &[String], evidence: Evidence, in_scope: &dyn Fn(usize) -> bool) -> Labels {
    let Evidence { codings, accepted, rejections } = evidence;
    let code_index: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
    let n_docs = corpus.documents.len();
    // Per document: per code, the units a coding overlaps (positives) or a rejection names.
    let mut positive: Vec<HashMap<usize, Vec<u32>>> = vec![HashMap::new(); n_docs];
    let mut rejected: Vec<HashMap<usize, Vec<u32>>> = vec![HashMap::new(); n_docs];
    let mut coded = vec![false; n_docs];
    let mut counts = vec![0usize; codes.len()];
    let mark = |into: &mut Vec<HashMap<usize, Vec<u32>>>, doc: &str, code: &str, start: usize, end: usize| {
        let (Some(d), Some(&k)) = (corpus.position(doc), code_index.get(code)) else { return None };
        if !in_scope(d) {
            return None;
        }
        let range = corpus.documents[d].overlapping(start, end);
        into[d].entry(k).or_default().extend(range.map(|u| u as u32));
        Some((d, k))
    };
    for c in codings {
        let by_hand = !accepted.contains(&c.id);
        if let Some((d, k)) = mark(&mut positive, &c.document_id, &c.code_id, c.start, c.end) {
            coded[d] |= by_hand;
            counts[k] += 1;
        } else if let Some(d) = corpus.position(&c.document_id).filter(|&d| in_scope(d)) {
            coded[d] |= by_hand;
        }
    }
    for r in rejections {
        mark(&mut rejected, &r.document_id, &r.code_id, r.start, r.end);
    }
    let mut out = Labels { codings: counts, by_code: vec![Vec::new(); codes.len()], ..Default::default() };
    for d in 0..n_docs {
        let units = corpus.documents[d].units.len();
        let mut extra: Vec<u32> = rejected[d].values().chain(positive[d].values()).flatten().copied().collect();
        extra.sort_unstable();
        extra.dedup();
        let chosen: Vec<u32> = if coded[d] { (0..units as u32).collect() } else { extra };
        for &u in &chosen {
            out.examples.push((d as u32, u));
        }
        let mut mask = vec![0u8; units];
        for (k, labels) in out.by_code.iter_mut().enumerate() {
            mask.iter_mut().for_each(|m| *m = 0);
            for &u in rejected[d].get(&k).into_iter().flatten() {
                mask[u as usize] = 2;
            }
            for &u in positive[d].get(&k).into_iter().flatten() {
                mask[u as usize] = 1;
            }
            labels.extend(chosen.iter().map(|&u| match mask[u as usize] {
                1 => Some(true),
                2 => Some(false),
                _ => coded[d].then_some(false),
            }));
        }
    }
    out
}
