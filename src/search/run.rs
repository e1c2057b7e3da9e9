//! Running a query on an open index: every matching passage located and counted per
//! document, participant and wave, ordered by relevance or by document, and the hits
//! of the page asked for highlighted with their context lines.

use super::highlight::{Highlighter, Kwic, kwic, sentence_around};
use super::index::{DocInfo, SearchIndex};
use super::query::{QueryError, parse};
use super::{CountRow, Counts, Hit, HitKind, SearchOptions, SearchResults, Sort};
use crate::error::{Error, Result};
use crate::model::offsets::slice_chars;
use std::collections::{BTreeMap, HashMap};
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

/// A matching passage: its document's index number (none for memos and codes), its
/// turn ordinal, and where tantivy keeps it.
type Located = (Option<u64>, u64, DocAddress);

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
        let compiled = self.compile(&node, options.exact, &mut matchers, false).map_err(|e| query_error(query, e))?;
        let searcher = self.reader.searcher();
        let all = searcher.search(&*compiled, &DocSetCollector).map_err(|e| self.error(e))?;
        let mut located = self.locate(&searcher, all)?;
        let counts = self.counts(&located);
        let ordered = match options.sort {
            Sort::Document => self.in_document_order(&searcher, &mut located)?,
            Sort::Relevance => self.by_relevance(&searcher, &*compiled, &located, options.limit)?,
        };
        let mut highlighter = Highlighter::new(matchers);
        let limit = options.limit.unwrap_or(usize::MAX);
        let mut hits = Vec::new();
        let mut more = false;
        for (addr, score) in ordered {
            if hits.len() >= limit {
                more = true;
                break;
            }
            let doc: TantivyDocument = searcher.doc(addr).map_err(|e| self.error(e))?;
            more |= self.hits_in(&doc, score, &mut highlighter, options, limit, &mut hits);
        }
        Ok(SearchResults { query: query.to_string(), hits, counts, more })
    }

    /// Where each passage is.
    fn locate(&self, searcher: &Searcher, all: std::collections::HashSet<DocAddress>) -> Result<Vec<Located>> {
        let mut located: Vec<Located> = Vec::with_capacity(all.len());
        let mut columns = HashMap::new();
        for addr in &all {
            let seg = addr.segment_ord;
            if let std::collections::hash_map::Entry::Vacant(slot) = columns.entry(seg) {
                let r = searcher.segment_reader(seg);
                let ix = r.fast_fields().u64("doc_ix").map_err(|e| self.error(e))?;
                let ord = r.fast_fields().u64("ordinal").map_err(|e| self.error(e))?;
                slot.insert((ix, ord));
            }
            let (ix, ord) = &columns[&seg];
            located.push((ix.first(addr.doc_id), ord.first(addr.doc_id).unwrap_or(0), *addr));
        }
        Ok(located)
    }

    /// Counts per document, participant and wave.
    fn counts(&self, located: &[Located]) -> Counts {
        let mut counts = Counts::default();
        let mut per_doc: HashMap<u64, usize> = HashMap::new();
        for (ix, _, _) in located {
            match ix {
                Some(ix) => *per_doc.entry(*ix).or_default() += 1,
                None => counts.other += 1,
            }
        }
        let mut per_participant: BTreeMap<String, usize> = BTreeMap::new();
        let mut per_wave: HashMap<String, usize> = HashMap::new();
        let mut doc_rows: Vec<(usize, CountRow)> = Vec::new();
        for (ix, n) in &per_doc {
            let Some(info) = self.catalog.documents.get(ix) else { continue };
            doc_rows.push((info.rank, CountRow { key: info.id.clone(), label: info.name.clone(), passages: *n }));
            let p = info.participant.clone().unwrap_or_else(|| "(none)".into());
            *per_participant.entry(p).or_default() += n;
            let w = info.wave.clone().unwrap_or_else(|| "(none)".into());
            *per_wave.entry(w).or_default() += n;
        }
        doc_rows.sort_by_key(|(rank, _)| *rank);
        counts.documents = doc_rows.into_iter().map(|(_, r)| r).collect();
        counts.participants =
            per_participant.into_iter().map(|(k, n)| CountRow { key: k.clone(), label: k, passages: n }).collect();
        let wave_order: HashMap<String, usize> = {
            let mut seen = Vec::new();
            let mut infos: Vec<&DocInfo> = self.catalog.documents.values().collect();
            infos.sort_by_key(|i| i.rank);
            for i in infos {
                if let Some(w) = &i.wave
                    && !seen.contains(w)
                {
                    seen.push(w.clone());
                }
            }
            seen.into_iter().enumerate().map(|(i, w)| (w, i)).collect()
        };
        let mut waves: Vec<(String, usize)> = per_wave.into_iter().collect();
        waves.sort_by_key(|(w, _)| (wave_order.get(w).copied().unwrap_or(usize::MAX), w.clone()));
        counts.waves = waves.into_iter().map(|(w, n)| CountRow { key: w.clone(), label: w, passages: n }).collect();
        counts.passages = located.len();
        counts
    }

    fn rank(&self, ix: &Option<u64>) -> usize {
        ix.and_then(|ix| self.catalog.documents.get(&ix)).map(|i| i.rank).unwrap_or(usize::MAX)
    }

    /// Turns by document and position; memos and code descriptions last, by kind and
    /// title, so the order never depends on segments.
    fn in_document_order(&self, searcher: &Searcher, located: &mut [Located]) -> Result<Vec<(DocAddress, f32)>> {
        located.sort_by_key(|a| (self.rank(&a.0), a.1, a.2));
        let (turns, others): (Vec<_>, Vec<_>) = located.iter().partition(|(ix, _, _)| ix.is_some());
        let mut others = others
            .into_iter()
            .map(|(_, _, a)| {
                let d: TantivyDocument = searcher.doc(a).map_err(|e| self.error(e))?;
                let get = |f| d.get_first(f).and_then(|v| v.as_str()).unwrap_or("").to_string();
                Ok(((get(self.fields.kind), get(self.fields.title), get(self.fields.id)), a))
            })
            .collect::<Result<Vec<_>>>()?;
        others.sort();
        Ok(turns.iter().map(|(_, _, a)| (*a, 0.0)).chain(others.into_iter().map(|(_, a)| (a, 0.0))).collect())
    }

    /// The best `limit` passages; equal scores in document order, so a rebuilt index
    /// answers the same.
    fn by_relevance(
        &self,
        searcher: &Searcher,
        compiled: &dyn Query,
        located: &[Located],
        limit: Option<usize>,
    ) -> Result<Vec<(DocAddress, f32)>> {
        let n = limit.unwrap_or(located.len()).min(located.len()).max(1);
        let top = searcher.search(compiled, &TopDocs::with_limit(n).order_by_score()).map_err(|e| self.error(e))?;
        let place: HashMap<DocAddress, (usize, u64)> =
            located.iter().map(|(ix, ord, a)| (*a, (self.rank(ix), *ord))).collect();
        let mut top: Vec<(DocAddress, f32)> = top.into_iter().map(|(s, a)| (a, s)).collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| place.get(&a.0).cmp(&place.get(&b.0))));
        Ok(top)
    }

    /// Adds the hits in one passage, up to `limit` hits in all; true when some were left out.
    fn hits_in(
        &self,
        doc: &TantivyDocument,
        score: f32,
        highlighter: &mut Highlighter,
        options: &SearchOptions,
        limit: usize,
        hits: &mut Vec<Hit>,
    ) -> bool {
        let f = self.fields;
        let text_of = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let num = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
        let text = text_of(f.text);
        let kind = match text_of(f.kind).as_str() {
            "memo" => HitKind::Memo,
            "code" => HitKind::Code,
            _ => HitKind::Turn,
        };
        let id = text_of(f.id);
        let (base, turn_end) = match kind {
            HitKind::Turn => (num(f.start), num(f.end)),
            _ => (0, text.chars().count()),
        };
        let info = doc.get_first(f.doc_ix).and_then(|v| v.as_u64()).and_then(|ix| self.catalog.documents.get(&ix));
        let speaker = doc.get_first(f.speaker_label).and_then(|v| v.as_str()).map(str::to_string);
        let title = (kind != HitKind::Turn).then(|| text_of(f.title));
        let mut found = highlighter.find(&text);
        let whole = found.is_empty();
        if whole {
            found.push((0, text.chars().count()));
        }
        for (s, e) in found {
            if hits.len() >= limit {
                return true;
            }
            let line =
                if whole { opening(&text, options.context_chars) } else { kwic(&text, s, e, options.context_chars) };
            let (ss, se) = sentence_around(&text, s, e);
            hits.push(Hit {
                kind,
                id: id.clone(),
                document: info.map(|i| i.name.clone()),
                participant: info.and_then(|i| i.participant.clone()),
                wave: info.and_then(|i| i.wave.clone()),
                speaker: speaker.clone(),
                title: title.clone(),
                turn: (kind == HitKind::Turn).then(|| num(f.ordinal)),
                start: base + s,
                end: base + e,
                whole_passage: whole,
                turn_start: base,
                turn_end,
                sentence_start: base + ss,
                sentence_end: base + se,
                before: line.before,
                matched: line.matched,
                after: line.after,
                score,
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
