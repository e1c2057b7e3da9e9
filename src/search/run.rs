//! Running a query on an open index: one pass of the [`Tally`] collector counts the
//! matching passages per document (and through the catalog per participant and wave)
//! and keeps the passages of the page asked for, in relevance or document order; then
//! the text of each turn on the page is read from the project (that turn alone, cut from
//! its document's text by SQLite) and its hits are highlighted with their context lines.

use super::build::indexed_turns;
use super::catalog::{DocInfo, NO_RANK};
use super::highlight::{Highlighter, Kwic, kwic, sentence_around};
use super::index::SearchIndex;
use super::query::{QueryError, parse};
use super::tally::{Order, Passage, Tallied, Tally};
use super::{CountRow, Counts, Hit, HitKind, SearchOptions, SearchResults, Sort};
use crate::error::{Error, Result};
use crate::model::offsets::slice_chars;
use std::collections::{BTreeMap, HashMap};
use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

/// The longest query shown in an error message, in characters.
const SHOWN_QUERY: usize = 60;

/// A query error that quotes at most the first [`SHOWN_QUERY`] characters of the query.
fn query_error(query: &str, e: QueryError) -> Error {
    let shown = match query.char_indices().nth(SHOWN_QUERY) {
        Some((b, _)) => format!("{}…", &query[..b]),
        None => query.to_string(),
    };
    Error::Query { query: shown, position: e.position, message: e.message }
}

impl SearchIndex {
    /// Runs a query. With `options.limit`, stops after that many hits (the first page);
    /// the counts always cover every passage that matches.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Result<SearchResults> {
        let node = parse(query).map_err(|e| query_error(query, e))?;
        let mut matchers = Vec::new();
        let searcher = self.reader.searcher();
        let order = match options.sort {
            Sort::Relevance => Order::Relevance,
            Sort::Document => Order::Document,
        };
        let tally = Tally { ranks: self.stamp.catalog.ranks(), order, keep: options.limit };
        // tantivy may panic on damaged files rather than return an error (compiling reads
        // the segments' dictionaries too).
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let compiled = self.compile(&searcher, &node, options.exact, &mut matchers, false);
            compiled.map(|q| searcher.search(&*q, &tally))
        }))
        .map_err(|_| {
            self.error(
                "the index is damaged (its files cannot be read); delete its folder and search again to rebuild it",
            )
        })?
        .map_err(|e| query_error(query, e))?
        .map_err(|e| self.error(e))?;
        let counts = self.counts(&found);
        let mut stored = HashMap::new();
        let ordered = self.ordered(&searcher, found, &mut stored)?;
        let mut page = Page {
            index: self,
            searcher: &searcher,
            stored,
            highlighter: Highlighter::new(matchers),
            options,
            limit: options.limit.unwrap_or(usize::MAX),
            hits: Vec::new(),
        };
        let mut used = 0;
        let mut cut = false;
        for passage in &ordered {
            if page.hits.len() >= page.limit {
                break;
            }
            cut |= page.add(passage)?;
            used += 1;
        }
        let more = cut || used < counts.passages;
        Ok(SearchResults { query: query.to_string(), hits: page.hits, counts, more })
    }

    /// Counts per document, participant and wave, from the counts per document number.
    fn counts(&self, found: &Tallied) -> Counts {
        let catalog = &self.stamp.catalog;
        let mut counts = Counts { passages: found.passages, other: found.other, ..Default::default() };
        let mut per_participant: BTreeMap<String, usize> = BTreeMap::new();
        let mut per_wave: HashMap<String, usize> = HashMap::new();
        for d in &catalog.documents {
            let n = usize::try_from(d.ix).ok().and_then(|i| found.per_document.get(i)).copied().unwrap_or(0) as usize;
            if n == 0 {
                continue;
            }
            counts.documents.push(CountRow { key: d.id.clone(), label: d.name.clone(), passages: n });
            *per_participant.entry(d.participant.clone().unwrap_or_else(|| "(none)".into())).or_default() += n;
            *per_wave.entry(d.wave.clone().unwrap_or_else(|| "(none)".into())).or_default() += n;
        }
        counts.participants =
            per_participant.into_iter().map(|(k, n)| CountRow { key: k.clone(), label: k, passages: n }).collect();
        let wave_order = catalog.wave_order();
        let mut waves: Vec<(String, usize)> = per_wave.into_iter().collect();
        waves.sort_by_key(|(w, _)| (wave_order.get(w.as_str()).copied().unwrap_or(usize::MAX), w.clone()));
        counts.waves = waves.into_iter().map(|(w, n)| CountRow { key: w.clone(), label: w, passages: n }).collect();
        counts
    }

    /// The kept passages in the order asked for. In document order, memos and code
    /// descriptions follow the turns, by kind, title and ID (read from their stored
    /// fields, which are kept in `stored`), so the order never depends on segments.
    fn ordered(
        &self,
        searcher: &Searcher,
        found: Tallied,
        stored: &mut HashMap<DocAddress, TantivyDocument>,
    ) -> Result<Vec<Passage>> {
        let mut ordered = found.kept;
        if found.others.is_empty() {
            return Ok(ordered);
        }
        let mut others = Vec::with_capacity(found.others.len());
        for p in found.others {
            let d: TantivyDocument = searcher.doc(p.addr).map_err(|e| self.error(e))?;
            let f = self.fields;
            let key = (stored_text(&d, f.kind), stored_text(&d, f.title), stored_text(&d, f.id));
            stored.insert(p.addr, d);
            others.push((key, p));
        }
        others.sort_by(|a, b| a.0.cmp(&b.0));
        ordered.extend(others.into_iter().map(|(_, p)| p));
        Ok(ordered)
    }
}

fn stored_text(d: &TantivyDocument, field: tantivy::schema::Field) -> String {
    d.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_string()
}

/// Where a passage's hits are: its text and what the hits say about it.
struct Shown<'a> {
    kind: HitKind,
    id: String,
    info: Option<&'a DocInfo>,
    speaker: Option<String>,
    title: Option<String>,
    turn: Option<usize>,
    /// The char offset of the passage's text in the document (0 for memos and codes).
    base: usize,
    /// The char offset just past the passage's text.
    end: usize,
}

/// The hits of a page, built passage by passage.
struct Page<'a> {
    index: &'a SearchIndex,
    searcher: &'a Searcher,
    /// Memos and code descriptions already read.
    stored: HashMap<DocAddress, TantivyDocument>,
    highlighter: Highlighter,
    options: &'a SearchOptions,
    limit: usize,
    hits: Vec<Hit>,
}

impl<'a> Page<'a> {
    /// Adds the hits of one passage, up to the limit; true when some were left out.
    fn add(&mut self, p: &Passage) -> Result<bool> {
        match p.ix.filter(|_| p.rank != NO_RANK) {
            Some(ix) => self.add_turn(ix, p),
            None if p.ix.is_some() => Ok(false),
            None => self.add_extra(p),
        }
    }

    fn add_turn(&mut self, ix: u64, p: &Passage) -> Result<bool> {
        let catalog = &self.index.stamp.catalog;
        let Some(info) = catalog.document(ix) else { return Ok(false) };
        let missing = || {
            self.index.error(format!(
                "turn {} of document \"{}\" is not in the project as it was indexed; search again to update the index",
                p.ordinal, info.name
            ))
        };
        let ordinal = usize::try_from(p.ordinal).map_err(|_| missing())?;
        let (turn, text) = match self.index.texts.turn_with_text(&info.id, ordinal)? {
            Some(found) => found,
            // A document without turns is indexed as one turn over its whole text.
            None if ordinal == 0 && self.index.texts.turns(&info.id)?.is_empty() => {
                let text = self.index.texts.document_text(&info.id)?;
                let chars = text.chars().count();
                let turn = indexed_turns(Vec::new(), chars).remove(0);
                (turn, text)
            }
            None => return Err(missing()),
        };
        let shown = Shown {
            kind: HitKind::Turn,
            id: info.id.clone(),
            info: Some(info),
            speaker: turn.speaker.clone(),
            title: None,
            turn: Some(ordinal),
            base: turn.start,
            end: turn.end,
        };
        Ok(self.hits_in(&text, shown, p.score))
    }

    fn add_extra(&mut self, p: &Passage) -> Result<bool> {
        let d = match self.stored.remove(&p.addr) {
            Some(d) => d,
            None => self.searcher.doc(p.addr).map_err(|e| self.index.error(e))?,
        };
        let f = self.index.fields;
        let text = stored_text(&d, f.body);
        let kind = if stored_text(&d, f.kind) == "code" { HitKind::Code } else { HitKind::Memo };
        let shown = Shown {
            kind,
            id: stored_text(&d, f.id),
            info: None,
            speaker: None,
            title: Some(stored_text(&d, f.title)),
            turn: None,
            base: 0,
            end: text.chars().count(),
        };
        Ok(self.hits_in(&text, shown, p.score))
    }

    /// Adds the hits in one passage's text; true when some were left out.
    fn hits_in(&mut self, text: &str, shown: Shown, score: f32) -> bool {
        let context = self.options.context_chars;
        let mut found = self.highlighter.find(text);
        let whole = found.is_empty();
        if whole {
            found.push((0, text.chars().count()));
        }
        let base = shown.base;
        for (s, e) in found {
            if self.hits.len() >= self.limit {
                return true;
            }
            let line = if whole { opening(text, context) } else { kwic(text, s, e, context) };
            let (ss, se) = sentence_around(text, s, e);
            self.hits.push(Hit {
                kind: shown.kind,
                id: shown.id.clone(),
                document: shown.info.map(|i| i.name.clone()),
                participant: shown.info.and_then(|i| i.participant.clone()),
                wave: shown.info.and_then(|i| i.wave.clone()),
                speaker: shown.speaker.clone(),
                title: shown.title.clone(),
                turn: shown.turn,
                start: base + s,
                end: base + e,
                whole_passage: whole,
                turn_start: base,
                turn_end: shown.end,
                sentence_start: base + ss,
                sentence_end: base + se,
                before: line.before,
                matched: line.matched,
                after: line.after,
                score: if self.options.sort == Sort::Relevance { score } else { 0.0 },
            });
        }
        false
    }
}

/// The context line of a passage that matched as a whole: its opening words.
fn opening(text: &str, context_chars: usize) -> Kwic {
    let shown = slice_chars(text, 0, text.chars().count().min(2 * context_chars)).unwrap_or("");
    let cut = shown.chars().count() < text.chars().count();
    Kwic {
        before: String::new(),
        matched: shown.split_whitespace().collect::<Vec<_>>().join(" "),
        after: if cut { "…".into() } else { String::new() },
    }
}
