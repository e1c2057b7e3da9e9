//! The on-disk index: building it, keeping it up to date, and throwing it away when it
//! cannot be trusted.
//!
//! The index lives in a folder beside the project file (`study.codeloom` →
//! `study.codeloom.search/`) with a stamp file, `codeloom-stamp.json`, holding the index
//! schema version, the project's ID and change counter, and a fingerprint of every
//! indexed document (its text, participant, wave, attributes and codings). When the
//! change counter moves, only documents whose fingerprint changed are indexed again,
//! so undo, redo and edits from other connections are all handled the same way.
//! A missing, unreadable, foreign or damaged index is deleted and rebuilt.

use super::highlight::{Highlighter, kwic, sentence_around};
use super::query::{Comparison, Node, parse};
use super::schema::{Fields, INDEX_SCHEMA_VERSION, analyzer, build_schema, primary_forms, register};
use super::{CountRow, Counts, Hit, HitKind, Progress, SearchOptions, SearchResults, Sort, UpdateReport};
use crate::error::{Error, Result};
use crate::model::offsets::slice_chars;
use crate::model::{AttributeKind, Code};
use crate::store::Project;
use crate::store::queries::{AttributeDef, CodingFilter};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery, TermSetQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, IndexReader, ReloadPolicy, TantivyDocument, Term};

const STAMP_FILE: &str = "codeloom-stamp.json";

/// The index folder of a project file.
pub fn index_dir(project_path: &Path) -> PathBuf {
    let mut name = project_path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".search");
    project_path.with_file_name(name)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stamp {
    schema_version: u32,
    project_id: String,
    change_counter: i64,
    next_ix: u64,
    /// Document ID → (index number, fingerprint).
    documents: BTreeMap<String, (u64, String)>,
    /// Fingerprint of all memos and code descriptions.
    extras: String,
}

/// What the query compiler and the result builder need to know about the project.
#[derive(Debug, Clone, Default)]
struct Catalog {
    /// By index number: document ID, name, participant, wave, and rank in document order.
    documents: HashMap<u64, DocInfo>,
    participants: Vec<(String, Vec<(String, crate::model::AttributeValue)>)>,
    attributes: Vec<AttributeDef>,
    codes: Vec<Code>,
    code_paths: HashMap<String, String>,
}

#[derive(Debug, Clone)]
struct DocInfo {
    id: String,
    name: String,
    participant: Option<String>,
    wave: Option<String>,
    rank: usize,
}

/// An open search index of one project.
pub struct SearchIndex {
    index: tantivy::Index,
    reader: IndexReader,
    fields: Fields,
    dir: Option<PathBuf>,
    stamp: Stamp,
    catalog: Catalog,
}

fn index_error(dir: &Path, e: impl std::fmt::Display) -> Error {
    Error::SearchIndex { path: dir.to_path_buf(), message: e.to_string() }
}

impl SearchIndex {
    /// Opens the project's index, building it when it is missing, from another schema
    /// or project, or damaged, and brings it up to date. `progress` hears about every
    /// document indexed.
    pub fn open(project: &Project, progress: &mut dyn FnMut(Progress)) -> Result<(SearchIndex, UpdateReport)> {
        let dir = index_dir(project.path());
        let project_id = project.project_id()?;
        // tantivy may panic on damaged files rather than return an error.
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Self::open_existing(&dir, &project_id)))
            .unwrap_or_else(|_| Err("the index is damaged (its files cannot be read)".to_string()));
        let (mut index, rebuilt_because) = match attempt {
            Ok(index) => (index, None),
            Err(reason) => {
                if dir.exists() {
                    std::fs::remove_dir_all(&dir).map_err(|e| index_error(&dir, e))?;
                }
                std::fs::create_dir_all(&dir).map_err(|e| index_error(&dir, e))?;
                let (schema, _) = build_schema();
                let index = tantivy::Index::create_in_dir(&dir, schema).map_err(|e| index_error(&dir, e))?;
                let stamp = Stamp {
                    schema_version: INDEX_SCHEMA_VERSION,
                    project_id,
                    change_counter: -1,
                    ..Default::default()
                };
                (Self::wrap(index, Some(dir.clone()), stamp)?, Some(reason))
            }
        };
        let mut report = index.update(project, progress)?;
        report.rebuilt_because = rebuilt_because;
        Ok((index, report))
    }

    /// An index in memory, for tests and the bench's scratch runs.
    pub fn in_memory(project: &Project) -> Result<SearchIndex> {
        let (schema, _) = build_schema();
        let index = tantivy::Index::create_in_ram(schema);
        let stamp = Stamp {
            schema_version: INDEX_SCHEMA_VERSION,
            project_id: project.project_id()?,
            change_counter: -1,
            ..Default::default()
        };
        let mut s = Self::wrap(index, None, stamp)?;
        s.update(project, &mut |_| {})?;
        Ok(s)
    }

    fn open_existing(dir: &Path, project_id: &str) -> std::result::Result<SearchIndex, String> {
        if !dir.is_dir() {
            return Err("there was no index".into());
        }
        let raw = std::fs::read_to_string(dir.join(STAMP_FILE)).map_err(|_| "the index has no stamp".to_string())?;
        let stamp: Stamp = serde_json::from_str(&raw).map_err(|_| "the index stamp is unreadable".to_string())?;
        if stamp.schema_version != INDEX_SCHEMA_VERSION {
            return Err(format!(
                "the index has schema {} (this version uses {INDEX_SCHEMA_VERSION})",
                stamp.schema_version
            ));
        }
        if stamp.project_id != project_id {
            return Err("the index belongs to another project".into());
        }
        let index = tantivy::Index::open_in_dir(dir).map_err(|e| format!("the index is damaged ({e})"))?;
        let (expected, _) = build_schema();
        if index.schema() != expected {
            return Err("the index has another schema".into());
        }
        match index.validate_checksum() {
            Ok(damaged) if damaged.is_empty() => {}
            Ok(damaged) => return Err(format!("the index is damaged ({} files fail their checksum)", damaged.len())),
            Err(e) => return Err(format!("the index is damaged ({e})")),
        }
        let wrapped =
            Self::wrap(index, Some(dir.to_path_buf()), stamp).map_err(|e| format!("the index is damaged ({e})"))?;
        // Reading every document's number proves the segments can be read.
        let searcher = wrapped.reader.searcher();
        for seg in searcher.segment_readers() {
            let col = seg.fast_fields().u64("doc_ix").map_err(|e| format!("the index is damaged ({e})"))?;
            for d in 0..seg.max_doc().min(64) {
                let _ = col.first(d);
            }
            seg.get_store_reader(1).map_err(|e| format!("the index is damaged ({e})"))?;
        }
        Ok(wrapped)
    }

    fn wrap(index: tantivy::Index, dir: Option<PathBuf>, stamp: Stamp) -> Result<SearchIndex> {
        register(&index);
        let here = dir.clone().unwrap_or_default();
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(|e| index_error(&here, e))?;
        let (_, fields) = build_schema();
        Ok(SearchIndex { index, reader, fields, dir, stamp, catalog: Catalog::default() })
    }

    fn here(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| PathBuf::from("(index in memory)"))
    }

    /// The change counter of the project the index reflects.
    pub fn change_counter(&self) -> i64 {
        self.stamp.change_counter
    }

    /// Number of documents (transcripts) indexed.
    pub fn document_count(&self) -> usize {
        self.stamp.documents.len()
    }

    /// Brings the index up to date with the project: indexes documents that are new or
    /// whose text, participant, wave, attributes or codings changed, drops documents
    /// that are gone, and re-indexes memos and code descriptions when they changed.
    pub fn update(&mut self, project: &Project, progress: &mut dyn FnMut(Progress)) -> Result<UpdateReport> {
        let counter = project.change_counter()?;
        let mut report = UpdateReport::default();
        if counter == self.stamp.change_counter && !self.catalog.documents.is_empty() {
            return Ok(report);
        }
        let here = self.here();
        let docs = project.documents()?;
        let participants = project.participants()?;
        let attributes = project.attributes()?;
        let codes = project.codes()?;
        let all_codings = project.codings(&CodingFilter::default())?;
        let mut codings_of: HashMap<&str, Vec<&crate::model::Coding>> = HashMap::new();
        for c in &all_codings {
            codings_of.entry(c.document_id.as_str()).or_default().push(c);
        }
        let attrs_of: HashMap<&str, &Vec<(String, crate::model::AttributeValue)>> =
            participants.iter().map(|p| (p.label.as_str(), &p.attributes)).collect();

        // Fingerprints, and which documents need indexing.
        let mut wanted: BTreeMap<String, String> = BTreeMap::new();
        for d in &docs {
            let doc = &d.document;
            let mut h = Sha256::new();
            for part in [
                doc.content_hash.as_str(),
                &doc.revision.to_string(),
                &doc.name,
                doc.participant.as_deref().unwrap_or("\u{0}"),
                doc.wave.as_deref().unwrap_or("\u{0}"),
            ] {
                h.update(part.as_bytes());
                h.update([0xff]);
            }
            if let Some(p) = &doc.participant
                && let Some(attrs) = attrs_of.get(p.as_str())
            {
                for (name, v) in attrs.iter() {
                    h.update(format!("{name}\u{1}{}\u{1}", v.value).as_bytes());
                }
            }
            for c in codings_of.get(doc.id.as_str()).map(|v| v.as_slice()).unwrap_or(&[]) {
                h.update(format!("{}:{}:{}:{}\u{1}", c.start, c.end, c.code_id, c.coder).as_bytes());
            }
            wanted.insert(doc.id.clone(), hex(&h.finalize()));
        }
        let stale: Vec<String> = self.stamp.documents.keys().filter(|id| !wanted.contains_key(*id)).cloned().collect();
        let changed: Vec<&str> = docs
            .iter()
            .map(|d| d.document.id.as_str())
            .filter(|id| self.stamp.documents.get(*id).map(|(_, f)| f) != wanted.get(*id))
            .collect();
        let memos = project.memos(None)?;
        let mut h = Sha256::new();
        for m in &memos {
            h.update(format!("{}\u{1}{}\u{1}{}\u{1}{}\u{2}", m.id, m.title, m.body, m.target.as_str()).as_bytes());
        }
        for c in &codes {
            let d = &c.description;
            h.update(
                format!(
                    "{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{2}",
                    c.id, c.name, d.definition, d.inclusion, d.exclusion, d.example
                )
                .as_bytes(),
            );
        }
        let extras = hex(&h.finalize());

        if !stale.is_empty() || !changed.is_empty() || extras != self.stamp.extras {
            let mut writer: tantivy::IndexWriter<TantivyDocument> =
                self.index.writer(100_000_000).map_err(|e| index_error(&here, e))?;
            let f = self.fields;
            for id in &stale {
                writer.delete_term(Term::from_field_text(f.id, id));
                self.stamp.documents.remove(id);
            }
            report.removed = stale.len();
            let total = changed.len();
            let by_id: HashMap<&str, &crate::store::queries::DocumentSummary> =
                docs.iter().map(|d| (d.document.id.as_str(), d)).collect();
            for (n, id) in changed.iter().enumerate() {
                progress(Progress { done: n, total });
                let Some(summary) = by_id.get(id) else { continue };
                let doc = &summary.document;
                writer.delete_term(Term::from_field_text(f.id, id));
                let ix = match self.stamp.documents.get(*id) {
                    Some((ix, _)) => *ix,
                    None => {
                        self.stamp.next_ix += 1;
                        self.stamp.next_ix
                    }
                };
                let text = project.document_text(id)?;
                let turns = project.turns(id)?;
                let codings = codings_of.get(id).map(|v| v.as_slice()).unwrap_or(&[]);
                let attrs: Vec<String> = doc
                    .participant
                    .as_deref()
                    .and_then(|p| attrs_of.get(p))
                    .map(|a| {
                        a.iter().map(|(n, v)| format!("{}={}", n.to_lowercase(), v.value.to_lowercase())).collect()
                    })
                    .unwrap_or_default();
                let full_turns = if turns.is_empty() {
                    vec![crate::model::Turn {
                        speaker: None,
                        start: 0,
                        end: doc.char_count,
                        time_start_ms: None,
                        time_end_ms: None,
                    }]
                } else {
                    turns
                };
                let index = crate::model::offsets::CharIndex::new(&text);
                for (ordinal, t) in full_turns.iter().enumerate() {
                    let (Some(bs), Some(be)) = (index.char_to_byte(t.start), index.char_to_byte(t.end.max(t.start)))
                    else {
                        continue;
                    };
                    let turn_text = &text[bs..be];
                    let mut d = TantivyDocument::default();
                    d.add_text(f.kind, "turn");
                    d.add_text(f.id, id);
                    d.add_u64(f.doc_ix, ix);
                    d.add_u64(f.ordinal, ordinal as u64);
                    d.add_u64(f.start, t.start as u64);
                    d.add_u64(f.end, t.end as u64);
                    d.add_text(f.text, turn_text);
                    d.add_text(f.stems, turn_text);
                    if let Some(s) = &t.speaker {
                        d.add_text(f.speaker, s.to_lowercase());
                        d.add_text(f.speaker_label, s);
                    }
                    if let Some(p) = &doc.participant {
                        d.add_text(f.participant, p.to_lowercase());
                    }
                    if let Some(w) = &doc.wave {
                        d.add_text(f.wave, w.to_lowercase());
                    }
                    d.add_text(f.document, doc.name.to_lowercase());
                    for a in &attrs {
                        d.add_text(f.attrs, a);
                    }
                    let mut seen = HashSet::new();
                    for c in codings.iter().filter(|c| c.start < t.end && c.end > t.start) {
                        if seen.insert(("c", c.code_id.as_str())) {
                            d.add_text(f.codes, &c.code_id);
                        }
                        if seen.insert(("k", c.coder.as_str())) {
                            d.add_text(f.coders, c.coder.to_lowercase());
                        }
                    }
                    writer.add_document(d).map_err(|e| index_error(&here, e))?;
                }
                self.stamp.documents.insert(id.to_string(), (ix, wanted.get(*id).cloned().unwrap_or_default()));
            }
            report.indexed = total;
            if extras != self.stamp.extras {
                writer.delete_term(Term::from_field_text(f.kind, "memo"));
                writer.delete_term(Term::from_field_text(f.kind, "code"));
                for m in &memos {
                    let mut d = TantivyDocument::default();
                    d.add_text(f.kind, "memo");
                    d.add_text(f.id, &m.id);
                    d.add_text(f.title, &m.title);
                    d.add_text(f.text, memo_text(&m.title, &m.body));
                    d.add_text(f.stems, memo_text(&m.title, &m.body));
                    writer.add_document(d).map_err(|e| index_error(&here, e))?;
                }
                for c in &codes {
                    let text = code_text(c);
                    let mut d = TantivyDocument::default();
                    d.add_text(f.kind, "code");
                    d.add_text(f.id, &c.id);
                    d.add_text(f.title, &c.name);
                    d.add_text(f.text, &text);
                    d.add_text(f.stems, &text);
                    writer.add_document(d).map_err(|e| index_error(&here, e))?;
                }
                self.stamp.extras = extras;
                report.extras = memos.len() + codes.len();
            }
            writer.commit().map_err(|e| index_error(&here, e))?;
            progress(Progress { done: total, total });
            self.reader.reload().map_err(|e| index_error(&here, e))?;
        }
        self.stamp.change_counter = counter;
        self.write_stamp()?;

        // The catalog.
        let ix_of: HashMap<&str, u64> = self.stamp.documents.iter().map(|(id, (ix, _))| (id.as_str(), *ix)).collect();
        let mut catalog = Catalog::default();
        for (rank, d) in docs.iter().enumerate() {
            let doc = &d.document;
            if let Some(ix) = ix_of.get(doc.id.as_str()) {
                catalog.documents.insert(
                    *ix,
                    DocInfo {
                        id: doc.id.clone(),
                        name: doc.name.clone(),
                        participant: doc.participant.clone(),
                        wave: doc.wave.clone(),
                        rank,
                    },
                );
            }
        }
        catalog.participants = participants.into_iter().map(|p| (p.label, p.attributes)).collect();
        catalog.attributes = attributes;
        let by_id: HashMap<&str, &Code> = codes.iter().map(|c| (c.id.as_str(), c)).collect();
        for c in &codes {
            let mut names = vec![c.name.as_str()];
            let mut cur = c.parent_id.as_deref();
            while let Some(p) = cur.and_then(|p| by_id.get(p)) {
                names.push(&p.name);
                cur = p.parent_id.as_deref();
                if names.len() > 64 {
                    break;
                }
            }
            names.reverse();
            catalog.code_paths.insert(c.id.clone(), names.join(" / "));
        }
        catalog.codes = codes;
        self.catalog = catalog;
        report.documents = self.stamp.documents.len();
        Ok(report)
    }

    fn write_stamp(&self) -> Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let tmp = dir.join(format!("{STAMP_FILE}.tmp"));
        let body = serde_json::to_string(&self.stamp)?;
        std::fs::write(&tmp, body).map_err(|e| index_error(dir, e))?;
        std::fs::rename(&tmp, dir.join(STAMP_FILE)).map_err(|e| index_error(dir, e))?;
        Ok(())
    }

    /// Runs a query. With `options.limit`, stops after that many hits (the first page);
    /// the counts always cover every passage that matches.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Result<SearchResults> {
        let node = parse(query).map_err(|e| Error::Query {
            query: query.to_string(),
            position: e.position,
            message: e.message,
        })?;
        let mut matchers = Vec::new();
        let compiled = self.compile(&node, options.exact, &mut matchers, false).map_err(|e| Error::Query {
            query: query.to_string(),
            position: e.position,
            message: e.message,
        })?;
        let here = self.here();
        let searcher = self.reader.searcher();
        let all = searcher.search(&*compiled, &DocSetCollector).map_err(|e| index_error(&here, e))?;

        // Where each passage is: (document ix or none, ordinal).
        let mut located: Vec<(Option<u64>, u64, DocAddress)> = Vec::with_capacity(all.len());
        let mut columns = HashMap::new();
        for addr in &all {
            let seg = addr.segment_ord;
            if let std::collections::hash_map::Entry::Vacant(slot) = columns.entry(seg) {
                let r = searcher.segment_reader(seg);
                let ix = r.fast_fields().u64("doc_ix").map_err(|e| index_error(&here, e))?;
                let ord = r.fast_fields().u64("ordinal").map_err(|e| index_error(&here, e))?;
                slot.insert((ix, ord));
            }
            let (ix, ord) = &columns[&seg];
            located.push((ix.first(addr.doc_id), ord.first(addr.doc_id).unwrap_or(0), *addr));
        }

        // Counts per document, participant and wave.
        let mut counts = Counts::default();
        let mut per_doc: HashMap<u64, usize> = HashMap::new();
        for (ix, _, _) in &located {
            match ix {
                Some(ix) => *per_doc.entry(*ix).or_default() += 1,
                None => counts.other += 1,
            }
        }
        let mut per_participant: BTreeMap<String, usize> = BTreeMap::new();
        let mut per_wave: HashMap<String, (usize, usize)> = HashMap::new();
        let mut doc_rows: Vec<(usize, CountRow)> = Vec::new();
        for (ix, n) in &per_doc {
            let Some(info) = self.catalog.documents.get(ix) else { continue };
            doc_rows.push((info.rank, CountRow { key: info.id.clone(), label: info.name.clone(), passages: *n }));
            let p = info.participant.clone().unwrap_or_else(|| "(none)".into());
            *per_participant.entry(p).or_default() += n;
            let w = info.wave.clone().unwrap_or_else(|| "(none)".into());
            let e = per_wave.entry(w).or_insert((usize::MAX, 0));
            e.0 = e.0.min(info.rank);
            e.1 += n;
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
        let mut waves: Vec<(String, usize)> = per_wave.into_iter().map(|(w, (_, n))| (w, n)).collect();
        waves.sort_by_key(|(w, _)| (wave_order.get(w).copied().unwrap_or(usize::MAX), w.clone()));
        counts.waves = waves.into_iter().map(|(w, n)| CountRow { key: w.clone(), label: w, passages: n }).collect();
        counts.passages = located.len();

        // The passages in the order asked for.
        let ordered: Vec<(DocAddress, f32)> = match options.sort {
            Sort::Document => {
                let rank = |ix: &Option<u64>| {
                    ix.and_then(|ix| self.catalog.documents.get(&ix)).map(|i| i.rank).unwrap_or(usize::MAX)
                };
                located.sort_by_key(|a| (rank(&a.0), a.1, a.2));
                let (turns, others): (Vec<_>, Vec<_>) = located.iter().partition(|(ix, _, _)| ix.is_some());
                // Memos and code descriptions last, by kind and title, so the order never depends on segments.
                let mut others = others
                    .into_iter()
                    .map(|(_, _, a)| {
                        let d: TantivyDocument = searcher.doc(a).map_err(|e| index_error(&here, e))?;
                        let get = |f| d.get_first(f).and_then(|v| v.as_str()).unwrap_or("").to_string();
                        Ok(((get(self.fields.kind), get(self.fields.title), get(self.fields.id)), a))
                    })
                    .collect::<Result<Vec<_>>>()?;
                others.sort();
                turns.iter().map(|(_, _, a)| (*a, 0.0)).chain(others.into_iter().map(|(_, a)| (a, 0.0))).collect()
            }
            Sort::Relevance => {
                let n = options.limit.unwrap_or(located.len()).min(located.len()).max(1);
                let top = searcher
                    .search(&*compiled, &TopDocs::with_limit(n).order_by_score())
                    .map_err(|e| index_error(&here, e))?;
                // Equal scores in document order, so a rebuilt index answers the same.
                let place: HashMap<DocAddress, (usize, u64)> = located
                    .iter()
                    .map(|(ix, ord, a)| {
                        let rank =
                            ix.and_then(|ix| self.catalog.documents.get(&ix)).map(|i| i.rank).unwrap_or(usize::MAX);
                        (*a, (rank, *ord))
                    })
                    .collect();
                let mut top: Vec<(DocAddress, f32)> = top.into_iter().map(|(s, a)| (a, s)).collect();
                top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| place.get(&a.0).cmp(&place.get(&b.0))));
                top
            }
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
            let doc: TantivyDocument = searcher.doc(addr).map_err(|e| index_error(&here, e))?;
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
                    more = true;
                    break;
                }
                let line = if whole {
                    let shown =
                        slice_chars(&text, 0, text.chars().count().min(2 * options.context_chars)).unwrap_or("");
                    let cut = shown.chars().count() < text.chars().count();
                    super::highlight::Kwic {
                        before: String::new(),
                        matched: shown.split_whitespace().collect::<Vec<_>>().join(" "),
                        after: if cut { "…".into() } else { String::new() },
                    }
                } else {
                    kwic(&text, s, e, options.context_chars)
                };
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
        }
        Ok(SearchResults { query: query.to_string(), hits, counts, more })
    }

    /// Turns a parsed query into a tantivy query and collects the matchers of its
    /// positive parts.
    fn compile(
        &self,
        node: &Node,
        exact: bool,
        matchers: &mut Vec<super::highlight::Matcher>,
        negated: bool,
    ) -> std::result::Result<Box<dyn Query>, super::query::QueryError> {
        use super::highlight::Matcher;
        use super::query::QueryError;
        let f = self.fields;
        let qerr = |position: usize, message: String| QueryError { position, message };
        Ok(match node {
            Node::Word(w) | Node::Phrase(w) => {
                let mut a = analyzer(!exact);
                let forms = primary_forms(&mut a, w);
                let field = if exact { f.text } else { f.stems };
                if forms.is_empty() {
                    return Ok(Box::new(EmptyQuery));
                }
                if !negated {
                    matchers.push(Matcher::Words { forms: forms.clone(), stemmed: !exact });
                }
                if forms.len() == 1 {
                    Box::new(TermQuery::new(Term::from_field_text(field, &forms[0]), IndexRecordOption::WithFreqs))
                } else {
                    Box::new(PhraseQuery::new(forms.iter().map(|s| Term::from_field_text(field, s)).collect()))
                }
            }
            Node::Prefix(p) | Node::Fuzzy(p, _) => {
                let mut a = analyzer(false);
                let forms = primary_forms(&mut a, p);
                if forms.len() > 1 {
                    return Err(qerr(0, format!("\"{p}\" is more than one word; * and ~ work on single words")));
                }
                if forms.is_empty() {
                    return Err(qerr(0, format!("\"{p}\" is longer than any word the index holds")));
                }
                let term = Term::from_field_text(f.text, &forms[0]);
                match node {
                    Node::Fuzzy(_, d) => {
                        if !negated {
                            matchers.push(Matcher::Fuzzy { form: forms[0].clone(), distance: *d });
                        }
                        Box::new(FuzzyTermQuery::new(term, *d, true))
                    }
                    _ => {
                        if !negated {
                            matchers.push(Matcher::Prefix(forms[0].clone()));
                        }
                        Box::new(FuzzyTermQuery::new_prefix(term, 0, true))
                    }
                }
            }
            Node::Filter { name, value, comparison, position } => self.filter(name, value, *comparison, *position)?,
            Node::Not(inner) => {
                let q = self.compile(inner, exact, matchers, !negated)?;
                Box::new(BooleanQuery::new(vec![(Occur::Must, Box::new(AllQuery)), (Occur::MustNot, q)]))
            }
            Node::And(parts) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for p in parts {
                    match p {
                        Node::Not(inner) => {
                            clauses.push((Occur::MustNot, self.compile(inner, exact, matchers, !negated)?))
                        }
                        _ => clauses.push((Occur::Must, self.compile(p, exact, matchers, negated)?)),
                    }
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Node::Or(parts) => {
                let clauses = parts
                    .iter()
                    .map(|p| Ok((Occur::Should, self.compile(p, exact, matchers, negated)?)))
                    .collect::<std::result::Result<Vec<_>, QueryError>>()?;
                Box::new(BooleanQuery::new(clauses))
            }
        })
    }

    fn filter(
        &self,
        name: &str,
        value: &str,
        comparison: Comparison,
        position: usize,
    ) -> std::result::Result<Box<dyn Query>, super::query::QueryError> {
        use super::query::QueryError;
        let f = self.fields;
        let lower = value.to_lowercase();
        let term_query = |field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic))
        };
        let plain_field = match name {
            "speaker" => Some(f.speaker),
            "participant" => Some(f.participant),
            "wave" => Some(f.wave),
            "document" | "doc" => Some(f.document),
            "coder" => Some(f.coders),
            _ => None,
        };
        if let Some(field) = plain_field {
            if comparison != Comparison::Equal {
                return Err(QueryError { position, message: format!("{name}: takes a name, not a comparison") });
            }
            return Ok(term_query(field, &lower));
        }
        if name == "code" {
            let ids = self.codes_named(value);
            if ids.is_empty() {
                return Err(QueryError { position, message: format!("no code is named \"{value}\"") });
            }
            return Ok(Box::new(TermSetQuery::new(ids.into_iter().map(|id| Term::from_field_text(f.codes, &id)))));
        }
        let Some(attr) = self.catalog.attributes.iter().find(|a| a.name.to_lowercase() == name) else {
            let mut known: Vec<String> =
                ["speaker", "wave", "participant", "document", "code", "coder"].iter().map(|s| s.to_string()).collect();
            known.extend(self.catalog.attributes.iter().map(|a| a.name.to_lowercase()));
            return Err(QueryError {
                position: position.saturating_sub(name.chars().count() + 1),
                message: format!("there is no filter \"{name}:\"; filters are {}", known.join(", ")),
            });
        };
        let numeric = attr.kind == AttributeKind::Number;
        if comparison == Comparison::Equal && !numeric {
            return Ok(term_query(f.attrs, &format!("{}={}", attr.name.to_lowercase(), lower)));
        }
        if attr.kind != AttributeKind::Number && attr.kind != AttributeKind::Date {
            return Err(QueryError {
                position,
                message: format!(
                    "{} is a {} attribute; only numbers and dates compare with < and >",
                    attr.name, attr.kind
                ),
            });
        }
        let wanted: Option<f64> = value.parse().ok();
        if numeric && wanted.is_none() {
            return Err(QueryError { position, message: format!("{} takes a number, not \"{value}\"", attr.name) });
        }
        let keep = |v: &str| -> bool {
            let ord = if numeric {
                match (v.parse::<f64>().ok(), wanted) {
                    (Some(a), Some(b)) => a.partial_cmp(&b),
                    _ => None,
                }
            } else {
                Some(v.cmp(value))
            };
            let Some(ord) = ord else { return false };
            match comparison {
                Comparison::Equal => ord.is_eq(),
                Comparison::Less => ord.is_lt(),
                Comparison::LessOrEqual => ord.is_le(),
                Comparison::Greater => ord.is_gt(),
                Comparison::GreaterOrEqual => ord.is_ge(),
            }
        };
        let people: Vec<Term> = self
            .catalog
            .participants
            .iter()
            .filter(|(_, attrs)| attrs.iter().any(|(n, v)| n == &attr.name && keep(&v.value)))
            .map(|(label, _)| Term::from_field_text(f.participant, &label.to_lowercase()))
            .collect();
        Ok(if people.is_empty() { Box::new(EmptyQuery) } else { Box::new(TermSetQuery::new(people)) })
    }

    /// The IDs of the codes a name or path names, with all their subcodes.
    fn codes_named(&self, value: &str) -> Vec<String> {
        let want = value.trim().to_lowercase();
        let roots: Vec<&str> = self
            .catalog
            .codes
            .iter()
            .filter(|c| {
                c.id == value
                    || c.name.to_lowercase() == want
                    || self.catalog.code_paths.get(&c.id).is_some_and(|p| {
                        let p = p.to_lowercase();
                        want.contains('/')
                            && (p == want.split('/').map(str::trim).collect::<Vec<_>>().join(" / ")
                                || p.ends_with(&format!(
                                    " / {}",
                                    want.split('/').map(str::trim).collect::<Vec<_>>().join(" / ")
                                )))
                    })
            })
            .map(|c| c.id.as_str())
            .collect();
        let mut out: Vec<String> = roots.iter().map(|s| s.to_string()).collect();
        let mut i = 0;
        while i < out.len() {
            let parent = out[i].clone();
            for c in &self.catalog.codes {
                if c.parent_id.as_deref() == Some(parent.as_str()) && !out.contains(&c.id) {
                    out.push(c.id.clone());
                }
            }
            i += 1;
        }
        out
    }

    /// The document ID behind a hit's index number (for tests and tools).
    pub fn documents_indexed(&self) -> Vec<String> {
        self.stamp.documents.keys().cloned().collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The searchable text of a memo: its title, a blank line, its body.
pub fn memo_text(title: &str, body: &str) -> String {
    if title.trim().is_empty() { body.to_string() } else { format!("{title}\n\n{body}") }
}

/// The searchable text of a code: its name and the parts of its description, one per paragraph.
pub fn code_text(c: &Code) -> String {
    let d = &c.description;
    [c.name.as_str(), &d.definition, &d.inclusion, &d.exclusion, &d.example]
        .iter()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n\n")
}
