//! Training one model per code and suggesting passages with them.
//!
//! [`train`] reads the project once (every document's passages and features, the
//! codings and the rejections), builds the vocabulary over every passage, and trains a
//! [`linear`](super::linear) model for each code with at least
//! [`TrainOptions::min_examples`] codings, on two threads or as many as the machine
//! has, each code from its own seed. The [`Suggester`] keeps what it read, so that
//! suggesting for an open document is a few thousand dot products.

use super::corpus::{At, Corpus, CorpusDocument, Evidence, labels};
use super::embedding::StaticEmbeddings;
use super::features::{SparseVec, Vocabulary};
use super::linear::{self, Model, Params};
use super::meaning::{Meaning, blend};
use super::similar::{SimilarPassage, passage};
use super::units::UnitKind;
use crate::error::{Error, Result};
use crate::model::Coding;
use crate::store::Project;
use crate::store::queries::CodingFilter;
use crate::store::suggestion_ops::{Rejection, SuggestedCoding};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// The passages suggested: sentences or turns.
    pub unit: UnitKind,
    /// Learn from these coders' codings only (all coders when empty).
    pub coders: Vec<String>,
    /// A code with fewer codings than this is flagged and not suggested.
    pub min_examples: usize,
    /// Seeds the order in which each model sees its examples.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { unit: UnitKind::Sentence, coders: Vec::new(), min_examples: 8, seed: 1 }
    }
}

/// A passage scoring at least this is suggested, unless asked otherwise.
pub const SUGGESTION_THRESHOLD: f64 = 0.5;

/// What to suggest in one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestOptions {
    /// These codes only (every code with a model when empty).
    pub codes: Vec<String>,
    /// Suggestions scoring below this are left out (0 to 1).
    pub min_score: f64,
    /// At most this many suggestions, the highest scores first.
    pub limit: Option<usize>,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions { codes: Vec::new(), min_score: SUGGESTION_THRESHOLD, limit: None }
    }
}

/// What the inbox gathers across the project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxOptions {
    /// These codes only (every code with a model when empty).
    pub codes: Vec<String>,
    /// These documents only (by ID; every document when empty).
    pub documents: Vec<String>,
    /// Documents of this wave only (by name).
    pub wave: Option<String>,
    /// Documents of these participants only (by label; all when empty).
    pub participants: Vec<String>,
    /// The highest-scoring suggestions per code, at most this many.
    pub per_code: usize,
    /// Suggestions scoring below this are left out.
    pub min_score: f64,
}

impl Default for InboxOptions {
    fn default() -> Self {
        InboxOptions {
            codes: Vec::new(),
            documents: Vec::new(),
            wave: None,
            participants: Vec::new(),
            per_code: 20,
            min_score: SUGGESTION_THRESHOLD,
        }
    }
}

/// A word (a stem, or two stems) and how much it weighed in a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightedWord {
    pub word: String,
    pub weight: f64,
}

/// A passage the model thinks carries a code, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// A short ID from the document, code and range (`s` and 10 hex digits).
    pub id: String,
    pub document_id: String,
    pub document_name: String,
    pub code_id: String,
    pub start: usize,
    pub end: usize,
    /// The model's probability that the passage carries the code, 0 to 1.
    pub score: f64,
    /// The model that made it (`linear-1 @ log 42`).
    pub model_version: String,
    /// The words that weighed most for it, heaviest first.
    pub words: Vec<WeightedWord>,
    /// The most similar passages already coded with the code.
    pub similar: Vec<SimilarPassage>,
}

impl Suggestion {
    /// What accepting or rejecting it records.
    pub fn to_suggested_coding(&self) -> SuggestedCoding {
        SuggestedCoding {
            document_id: self.document_id.clone(),
            code_id: self.code_id.clone(),
            start: self.start,
            end: self.end,
            model_version: self.model_version.clone(),
            score: self.score,
        }
    }
}

/// The ID of the suggestion of `code` at `[start, end)` of `document`.
pub fn suggestion_id(document: &str, code: &str, start: usize, end: usize) -> String {
    let digest = Sha256::digest(format!("{document}\u{0}{code}\u{0}{start}\u{0}{end}").as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("s{hex}")
}

/// The words shown as reasons, at most.
const REASON_WORDS: usize = 5;
/// The similar coded passages shown as reasons, at most.
const REASON_PASSAGES: usize = 3;
/// A code's coded passages compared with a suggestion, at most (evenly spread).
const SIMILAR_SCAN: usize = 2000;

/// One code's trained model.
#[derive(Debug, Clone)]
pub(crate) struct CodeModel {
    pub code_id: String,
    pub model: Model,
    /// The passages coded with it.
    pub positives: Vec<At>,
}

/// The models of every code with enough codings, and what they read.
#[derive(Debug, Clone)]
pub struct Suggester {
    pub(crate) corpus: Corpus,
    pub(crate) vocabulary: Vocabulary,
    /// Per document, per passage.
    pub(crate) vectors: Vec<Vec<SparseVec>>,
    pub(crate) models: Vec<CodeModel>,
    flagged: Vec<(String, usize)>,
    examples: Vec<(String, usize)>,
    version: String,
    /// The passages' meanings, when a sentence-embedding model was given
    /// ([`Suggester::with_meaning`]).
    pub(crate) meaning: Option<Meaning>,
}

/// Trains suggestions on `project` (see [`train_with_progress`]).
pub fn train(project: &Project, options: &TrainOptions) -> Result<Suggester> {
    train_with_progress(project, options, &|_, _| {})
}

/// The codings training reads: every coding, or those of the coders named.
pub(crate) fn codings_of(project: &Project, coders: &[String]) -> Result<Vec<Coding>> {
    let all = project.codings(&CodingFilter::default())?;
    if coders.is_empty() {
        return Ok(all);
    }
    let known: Vec<String> = project.coders()?.into_iter().map(|c| c.name).collect();
    if let Some(missing) = coders.iter().find(|c| !known.contains(c)) {
        return Err(Error::NotFound { kind: "coder", query: missing.clone() });
    }
    Ok(all.into_iter().filter(|c| coders.contains(&c.coder)).collect())
}

/// Codes trained together in one pass over the examples (see [`linear::train_many`]).
const CODES_PER_PASS: usize = 16;

/// Trains one model per code on the examples `labels` gives (`vectors[d][u]`), for the
/// codes `trainable` allows, in groups of [`CODES_PER_PASS`] on every core;
/// `progress` hears (codes done, codes).
pub(crate) fn fit(
    vectors: &[Vec<SparseVec>],
    labels: &super::corpus::Labels,
    trainable: &[bool],
    dim: usize,
    seed: u64,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Option<Model>> {
    let codes: Vec<usize> = (0..trainable.len()).filter(|&k| trainable[k]).collect();
    let groups: Vec<&[usize]> = codes.chunks(CODES_PER_PASS).collect();
    let xs: Vec<&SparseVec> = labels.examples.iter().map(|&(d, u)| &vectors[d as usize][u as usize]).collect();
    let params = Params { seed, ..Params::default() };
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let results: Vec<Vec<(usize, Model)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    while let Some(group) = groups.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let columns: Vec<&[Option<bool>]> =
                            group.iter().map(|&k| labels.by_code[k].as_slice()).collect();
                        let models = linear::train_many(&xs, &columns, dim, &params);
                        mine.extend(group.iter().copied().zip(models));
                        progress(done.fetch_add(group.len(), Ordering::Relaxed) + group.len(), codes.len());
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    let mut out: Vec<Option<Model>> = vec![None; trainable.len()];
    for (k, m) in results.into_iter().flatten() {
        out[k] = Some(m);
    }
    out
}

/// Trains suggestions on `project`: reads every document (`progress` hears
/// (documents read, documents) and then (codes trained, codes) as a second phase, the
/// numbers offset by the documents), and trains a model for each code with enough
/// codings. The result is `Send`, so a window can train on a background thread.
pub fn train_with_progress(
    project: &Project,
    options: &TrainOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Suggester> {
    let version = format!("{} @ log {}", super::MODEL_NAME, project.log_position()?);
    let n_docs = project.documents()?.len();
    let codes: Vec<String> = project.codes()?.into_iter().map(|c| c.id).collect();
    let work = n_docs + codes.len();
    let corpus = Corpus::load(project, options.unit, &|done, _| progress(done, work))?;
    let codings = codings_of(project, &options.coders)?;
    let rejections = project.suggestion_rejections()?;
    let accepted = project.accepted_suggestion_codings()?;
    let evidence = Evidence { codings: &codings, accepted: &accepted, rejections: &rejections };
    let labels = labels(&corpus, &codes, evidence, &|_| true);
    let vocabulary = Vocabulary::build(corpus.documents.iter().flat_map(|d| d.bags.iter()), corpus.terms.len());
    let vectors: Vec<Vec<SparseVec>> =
        corpus.documents.iter().map(|d| d.bags.iter().map(|b| vocabulary.vector(b)).collect()).collect();
    let trainable: Vec<bool> = labels.codings.iter().map(|&n| n >= options.min_examples.max(1)).collect();
    let fitted =
        fit(&vectors, &labels, &trainable, vocabulary.len(), options.seed, &|done, _| progress(n_docs + done, work));
    let mut models = Vec::new();
    let mut flagged = Vec::new();
    for (k, model) in fitted.into_iter().enumerate() {
        let code_id = codes[k].clone();
        match model {
            Some(model) => {
                let positives = labels
                    .examples
                    .iter()
                    .zip(&labels.by_code[k])
                    .filter(|(_, l)| **l == Some(true))
                    .map(|(&at, _)| at)
                    .collect();
                models.push(CodeModel { code_id, model, positives });
            }
            None => flagged.push((code_id, labels.codings[k])),
        }
    }
    let examples = codes.iter().cloned().zip(labels.codings.iter().copied()).collect();
    progress(work, work);
    Ok(Suggester { corpus, vocabulary, vectors, models, flagged, examples, version, meaning: None })
}

/// A document's codings and rejections, by code.
#[derive(Default)]
struct Taken<'a> {
    codings: HashMap<&'a str, Vec<(usize, usize)>>,
    rejections: HashMap<&'a str, Vec<(usize, usize)>>,
}

impl<'a> Taken<'a> {
    /// Every document's codings and rejections, by document ID.
    fn by_document(codings: &'a [Coding], rejections: &'a [Rejection]) -> HashMap<&'a str, Taken<'a>> {
        let mut all: HashMap<&str, Taken> = HashMap::new();
        for c in codings {
            let t = all.entry(c.document_id.as_str()).or_default();
            t.codings.entry(c.code_id.as_str()).or_default().push((c.start, c.end));
        }
        for r in rejections {
            let t = all.entry(r.document_id.as_str()).or_default();
            t.rejections.entry(r.code_id.as_str()).or_default().push((r.start, r.end));
        }
        all
    }

    /// Whether a passage may not be suggested for `code`: coded with it (by anyone), or
    /// a suggestion of it there was rejected.
    fn excludes(&self, code: &str, start: usize, end: usize) -> bool {
        let hit =
            |list: Option<&Vec<(usize, usize)>>| list.is_some_and(|l| l.iter().any(|&(s, e)| s < end && start < e));
        hit(self.codings.get(code)) || hit(self.rejections.get(code))
    }
}

/// A candidate before its reasons are worked out: model, document, passage, score.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    model: usize,
    doc: usize,
    unit: usize,
    score: f64,
}

/// Per model, the best candidates so far, the highest scores first, then in document
/// and passage order; cut back to `keep` whenever twice that many have gathered.
/// Candidates arrive in document and passage order, so once a model has `keep`, a new
/// one must score above the last kept to enter.
struct Best {
    keep: usize,
    min_score: f64,
    lists: Vec<Vec<Candidate>>,
    /// The score of the last kept candidate, once a model has `keep`.
    floor: Vec<Option<f64>>,
}

fn best_first(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)).then(a.unit.cmp(&b.unit))
}

impl Best {
    fn new(models: usize, keep: usize, min_score: f64) -> Best {
        Best { keep, min_score, lists: vec![Vec::new(); models], floor: vec![None; models] }
    }

    fn admits(&self, model: usize, score: f64) -> bool {
        score >= self.min_score && self.floor[model].is_none_or(|f| score > f)
    }

    fn push(&mut self, c: Candidate) {
        let list = &mut self.lists[c.model];
        list.push(c);
        if list.len() >= self.keep.saturating_mul(2).max(2) {
            list.sort_by(best_first);
            list.truncate(self.keep);
            self.floor[c.model] = list.last().map(|l| l.score);
        }
    }

    /// Every model's best, in model order.
    fn into_candidates(self) -> Vec<Candidate> {
        let keep = self.keep;
        self.lists
            .into_iter()
            .flat_map(|mut list| {
                list.sort_by(best_first);
                list.truncate(keep);
                list
            })
            .collect()
    }
}

/// A document the suggester may read: from the corpus, or read since.
enum Doc {
    Known(usize),
    New(Box<CorpusDocument>, Vec<SparseVec>),
}

impl Suggester {
    /// The model version (`linear-1 @ log 42`): the model family and the point of the
    /// operation log that training read.
    pub fn model_version(&self) -> &str {
        &self.version
    }

    /// The passages suggestions are made for.
    pub fn unit(&self) -> UnitKind {
        self.corpus.kind
    }

    /// The codes with too few codings to be suggested, with their numbers of codings.
    pub fn flagged(&self) -> Vec<(String, usize)> {
        self.flagged.clone()
    }

    /// Every code with its number of codings read (training examples).
    pub fn examples(&self) -> &[(String, usize)] {
        &self.examples
    }

    /// The codes that have a model.
    pub fn trained_codes(&self) -> Vec<String> {
        self.models.iter().map(|m| m.code_id.clone()).collect()
    }

    /// The models asked for (all when `codes` is empty); a code without a model is an
    /// error that says why.
    fn chosen_models(&self, codes: &[String]) -> Result<Vec<usize>> {
        if codes.is_empty() {
            return Ok((0..self.models.len()).collect());
        }
        codes
            .iter()
            .map(|c| {
                if let Some(i) = self.models.iter().position(|m| &m.code_id == c) {
                    return Ok(i);
                }
                match self.flagged.iter().find(|f| &f.0 == c) {
                    Some((_, n)) => Err(Error::Invalid(format!(
                        "code {c} has {n} codings, too few to learn from; it is flagged and not suggested"
                    ))),
                    None => Err(Error::NotFound { kind: "code", query: c.clone() }),
                }
            })
            .collect()
    }

    /// Scores the passages of one document for the chosen models into `best`, leaving
    /// out those the team coded or rejected.
    fn score_document(
        &self,
        (doc, document, vectors): (usize, &CorpusDocument, &[SparseVec]),
        taken: &Taken,
        models: &[usize],
        best: &mut Best,
    ) {
        for &m in models {
            let model = &self.models[m];
            for (u, unit) in document.units.iter().enumerate() {
                let x = &vectors[u];
                if !x.suggestible() {
                    continue;
                }
                let score = model.model.score(x);
                if best.admits(m, score) && !taken.excludes(&model.code_id, unit.start, unit.end) {
                    best.push(Candidate { model: m, doc, unit: u, score });
                }
            }
        }
    }

    /// The reasons for a candidate and the suggestion itself.
    fn explain(&self, c: &Candidate, document: &CorpusDocument, x: &SparseVec) -> Suggestion {
        let model = &self.models[c.model];
        let unit = document.units[c.unit];
        let mut words: Vec<(f64, u32)> = x
            .index
            .iter()
            .zip(&x.value)
            .map(|(&i, &v)| ((model.model.weights[i as usize] * v) as f64, i))
            .filter(|w| w.0 > 0.0)
            .collect();
        words.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        words.truncate(REASON_WORDS);
        let words = words
            .into_iter()
            .map(|(weight, i)| WeightedWord {
                word: self.corpus.terms.name(self.vocabulary.term(i)).to_string(),
                weight,
            })
            .collect();
        let stride = model.positives.len().div_ceil(SIMILAR_SCAN).max(1);
        let here = self.corpus.position(&document.id);
        let meaning = self.meaning.as_ref().map(|m| (m, self.passage_meaning(m, here, document, c.unit)));
        let mut near: Vec<(f64, At)> = model
            .positives
            .iter()
            .step_by(stride)
            .filter(|&&(d, u)| !(Some(d as usize) == here && u as usize == c.unit))
            .map(|&(d, u)| {
                let words = f64::from(self.vectors[d as usize][u as usize].dot(x)).min(1.0);
                let cosine = meaning.as_ref().map(|(m, q)| m.cosine(q, d as usize, u as usize));
                (blend(words, cosine), (d, u))
            })
            .filter(|s| s.0 > 0.0)
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        near.truncate(REASON_PASSAGES);
        let similar = near
            .into_iter()
            .map(|(score, (d, u))| passage(&self.corpus.documents[d as usize], u as usize, score))
            .collect();
        Suggestion {
            id: suggestion_id(&document.id, &model.code_id, unit.start, unit.end),
            document_id: document.id.clone(),
            document_name: document.name.clone(),
            code_id: model.code_id.clone(),
            start: unit.start,
            end: unit.end,
            score: c.score,
            model_version: self.version.clone(),
            words,
            similar,
        }
    }

    /// The meaning of passage `unit` of `document`: held when the document is in the
    /// corpus (at `here`), else embedded now.
    fn passage_meaning<'m>(
        &self,
        meaning: &'m Meaning,
        here: Option<usize>,
        document: &CorpusDocument,
        unit: usize,
    ) -> Cow<'m, [f32]> {
        match here.and_then(|d| meaning.passage(d, unit)) {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(meaning.model.embed(document.units[unit].text(&document.text))),
        }
    }

    /// A document by ID, from the corpus or read from the project when it was imported
    /// after training.
    fn document(&self, project: &Project, id: &str) -> Result<Doc> {
        if let Some(d) = self.corpus.position(id) {
            return Ok(Doc::Known(d));
        }
        let document = self.corpus.read_new(project, id)?;
        let vectors = document.bags.iter().map(|b| self.vocabulary.vector(b)).collect();
        Ok(Doc::New(Box::new(document), vectors))
    }

    /// Suggestions for one document, the highest scores first.
    pub fn suggest_document(
        &self,
        project: &Project,
        document_id: &str,
        options: &SuggestOptions,
    ) -> Result<Vec<Suggestion>> {
        let models = self.chosen_models(&options.codes)?;
        let codings =
            project.codings(&CodingFilter { document_id: Some(document_id.to_string()), ..Default::default() })?;
        let rejections = project.suggestion_rejections()?;
        let taken = Taken::by_document(&codings, &rejections).remove(document_id).unwrap_or_default();
        let doc = self.document(project, document_id)?;
        let (document, vectors) = match &doc {
            Doc::Known(d) => (&self.corpus.documents[*d], &self.vectors[*d]),
            Doc::New(document, vectors) => (&**document, vectors),
        };
        let mut best = Best::new(self.models.len(), options.limit.unwrap_or(usize::MAX), options.min_score);
        self.score_document((0, document, vectors), &taken, &models, &mut best);
        let mut found = best.into_candidates();
        found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.unit.cmp(&b.unit)).then(a.model.cmp(&b.model)));
        if let Some(limit) = options.limit {
            found.truncate(limit);
        }
        Ok(found.iter().map(|c| self.explain(c, document, &vectors[c.unit])).collect())
    }

    /// The inbox: per code, the highest-scoring passages not yet coded with it across the
    /// documents chosen, in code order, the highest scores first.
    pub fn inbox(&self, project: &Project, options: &InboxOptions) -> Result<Vec<Suggestion>> {
        let models = self.chosen_models(&options.codes)?;
        let summaries = project.documents()?;
        let chosen: Vec<&crate::model::Document> = summaries
            .iter()
            .map(|s| &s.document)
            .filter(|d| options.documents.is_empty() || options.documents.contains(&d.id))
            .filter(|d| options.wave.as_ref().is_none_or(|w| d.wave.as_ref() == Some(w)))
            .filter(|d| {
                options.participants.is_empty()
                    || d.participant.as_ref().is_some_and(|p| options.participants.contains(p))
            })
            .collect();
        if let Some(missing) = options.documents.iter().find(|id| !summaries.iter().any(|s| &s.document.id == *id)) {
            return Err(Error::NotFound { kind: "document", query: missing.clone() });
        }
        let codings = project.codings(&CodingFilter::default())?;
        let rejections = project.suggestion_rejections()?;
        let taken = Taken::by_document(&codings, &rejections);
        let none = Taken::default();
        let mut docs: Vec<Doc> = Vec::with_capacity(chosen.len());
        let mut best = Best::new(self.models.len(), options.per_code, options.min_score);
        for (i, d) in chosen.iter().enumerate() {
            docs.push(self.document(project, &d.id)?);
            let (document, vectors) = self.resolve(&docs[i]);
            let taken = taken.get(d.id.as_str()).unwrap_or(&none);
            self.score_document((i, document, vectors), taken, &models, &mut best);
        }
        let found = best.into_candidates();
        Ok(found
            .iter()
            .map(|c| {
                let (document, vectors) = self.resolve(&docs[c.doc]);
                self.explain(c, document, &vectors[c.unit])
            })
            .collect())
    }

    fn resolve<'s>(&'s self, doc: &'s Doc) -> (&'s CorpusDocument, &'s [SparseVec]) {
        match doc {
            Doc::Known(d) => (&self.corpus.documents[*d], &self.vectors[*d]),
            Doc::New(document, vectors) => (document, vectors),
        }
    }

    /// The current suggestion with this ID, at any score: the model is asked again for
    /// every passage not coded or rejected. An ID that names no current suggestion
    /// (made by another model, or since accepted or rejected) is an error naming it.
    pub fn find(&self, project: &Project, id: &str) -> Result<Suggestion> {
        let codings = project.codings(&CodingFilter::default())?;
        let rejections = project.suggestion_rejections()?;
        let taken = Taken::by_document(&codings, &rejections);
        let none = Taken::default();
        for (d, document) in self.corpus.documents.iter().enumerate() {
            let taken = taken.get(document.id.as_str()).unwrap_or(&none);
            for (m, model) in self.models.iter().enumerate() {
                for (u, unit) in document.units.iter().enumerate() {
                    if suggestion_id(&document.id, &model.code_id, unit.start, unit.end) != id
                        || taken.excludes(&model.code_id, unit.start, unit.end)
                    {
                        continue;
                    }
                    let x = &self.vectors[d][u];
                    let c = Candidate { model: m, doc: d, unit: u, score: model.model.score(x) };
                    return Ok(self.explain(&c, document, x));
                }
            }
        }
        Err(Error::Invalid(format!(
            "no current suggestion has the ID \"{id}\": it was made by another model, or its passage has been coded or rejected since; list the suggestions again"
        )))
    }
}

impl Suggester {
    /// The `limit` passages (of the suggester's unit) most like `[start, end)` of
    /// `document`, from what training read.
    pub fn similar(
        &self,
        project: &Project,
        document: &str,
        start: usize,
        end: usize,
        limit: usize,
    ) -> Result<Vec<SimilarPassage>> {
        let text = super::similar::selection(project, document, start, end)?;
        let query =
            self.vocabulary.vector(&super::features::Featurizer::default().known_bag(&text, &self.corpus.terms));
        let meaning = self.meaning.as_ref().map(|m| (m, m.model.embed(&text)));
        let meaning = meaning.as_ref().map(|(m, q)| (*m, q.as_slice()));
        Ok(super::similar::nearest(&self.corpus, &self.vectors, (&query, meaning), (document, start, end), limit))
    }

    /// This suggester comparing passages by meaning too, with `model` (see
    /// [`super::meaning`]): every passage it read is embedded once; `progress` hears
    /// (passages done, passages).
    pub fn with_meaning(mut self, model: Arc<StaticEmbeddings>, progress: &dyn Fn(usize, usize)) -> Suggester {
        self.meaning = Some(Meaning::of_corpus(model, &self.corpus, progress));
        self
    }

    /// The sentence-embedding model this suggester compares meanings with, if any.
    pub fn meaning_model(&self) -> Option<&StaticEmbeddings> {
        self.meaning.as_ref().map(|m| &*m.model)
    }
}
