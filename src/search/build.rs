//! Writing into the index: a whole project at once, or what a change set names.
//!
//! Every turn of a document becomes one index document, with the words of its text
//! (as written and stemmed, see [`super::schema`]), its document's number and its ordinal as fast fields, and
//! the filter values of its document (name, participant, wave), its speaker, its
//! participant's attributes and the codes and coders of the codings that overlap it. A
//! document with no turns is indexed as one turn covering its whole text. Memos and
//! code descriptions are one index document each.
//!
//! [`Plan::read`] turns a [`ChangeSet`] into the documents, memos and codes to index
//! again: a document whose row, turns or codings were written; the documents of a
//! participant whose label or attributes changed, of a wave that was renamed and of a
//! coder who was renamed; a memo that was written; a code whose row was written (its
//! description is its own entry; turns hold code IDs, so a rename changes no turn).

use super::catalog::Stamp;
use super::catalog::{AttributeInfo, Catalog, CodeInfo, DocInfo, ParticipantInfo, WaveInfo};
use super::schema::Fields;
use super::{Progress, UpdateReport};
use crate::error::{Error, Result};
use crate::model::offsets::CharSlicer;
use crate::model::{Code, Coding, Memo, Turn};
use crate::store::Project;
use crate::store::change_set::ChangeSet;
use crate::store::queries::CodingFilter;
use crate::store::search_source::DocumentPlace;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use tantivy::{IndexWriter, TantivyDocument, Term};

/// What an update must index again.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Documents to index again, or to drop when they are gone, by ID.
    documents: BTreeSet<String>,
    /// Memos to index again or drop.
    memos: BTreeSet<String>,
    /// Code descriptions to index again or drop.
    codes: BTreeSet<String>,
}

impl Plan {
    /// Works out from a change set what must be indexed again, and brings the
    /// catalog's participants, attributes, waves, codes and coders up to date (its
    /// documents follow when they are indexed). Reads only the small tables a change
    /// set names, and the documents of participants, waves and coders that changed.
    pub(super) fn read(project: &Project, catalog: &mut Catalog, changes: &ChangeSet) -> Result<Plan> {
        let mut documents = changes.all_documents();
        if !changes.participants.is_empty() || changes.touches("attributes") {
            let now = participants(project)?;
            let mut changed: Vec<String> = now
                .iter()
                .filter(|(id, p)| catalog.participants.get(*id) != Some(p))
                .map(|(id, _)| id.clone())
                .collect();
            changed.extend(catalog.participants.keys().filter(|id| !now.contains_key(*id)).cloned());
            documents.extend(project.documents_of_participants(&changed)?);
            catalog.participants = now;
        }
        if changes.touches("attributes") {
            catalog.attributes = attributes(project)?;
        }
        if changes.touches("waves") {
            let now = waves(project)?;
            let renamed: Vec<String> = catalog
                .waves
                .iter()
                .filter(|old| !now.iter().any(|w| w.id == old.id && w.name == old.name))
                .map(|w| w.id.clone())
                .collect();
            documents.extend(project.documents_in_waves(&renamed)?);
            catalog.waves = now;
        }
        if changes.touches("coders") {
            let now = coders(project)?;
            let renamed: Vec<String> = catalog
                .coders
                .iter()
                .filter(|(id, name)| now.get(*id) != Some(name))
                .map(|(id, _)| id.clone())
                .collect();
            documents.extend(project.documents_coded_by(&renamed)?);
            catalog.coders = now;
        }
        if !changes.codes.is_empty() {
            catalog.codes = project.codes()?.iter().map(CodeInfo::of).collect();
        }
        Ok(Plan { documents, memos: changes.memos.clone(), codes: changes.codes.clone() })
    }

    /// Whether the plan changes the index (and not only the catalog).
    pub(super) fn writes_index(&self) -> bool {
        !(self.documents.is_empty() && self.memos.is_empty() && self.codes.is_empty())
    }
}

fn participants(project: &Project) -> Result<BTreeMap<String, ParticipantInfo>> {
    Ok(project
        .participants()?
        .into_iter()
        .map(|p| {
            let attributes = p.attributes.into_iter().map(|(n, v)| (n, v.value)).collect();
            (p.id, ParticipantInfo { label: p.label, attributes })
        })
        .collect())
}

fn attributes(project: &Project) -> Result<Vec<AttributeInfo>> {
    Ok(project.attributes()?.into_iter().map(|a| AttributeInfo { name: a.name, kind: a.kind }).collect())
}

fn waves(project: &Project) -> Result<Vec<WaveInfo>> {
    Ok(project.waves()?.into_iter().map(|w| WaveInfo { id: w.id, name: w.name, position: w.position }).collect())
}

fn coders(project: &Project) -> Result<BTreeMap<String, String>> {
    Ok(project.coders()?.into_iter().map(|c| (c.id, c.name)).collect())
}

/// What writing needs of an open index ([`super::index::SearchIndex`]): a writer, the
/// index's fields, errors that name the index, and a reader that sees what was written.
pub(super) trait Target {
    fn writer(&self, documents: usize) -> Result<IndexWriter<TantivyDocument>>;
    fn fields(&self) -> Fields;
    fn error(&self, e: impl std::fmt::Display) -> Error;
    fn reload(&self) -> Result<()>;
}

/// Indexes the whole project into `stamp` (whose catalog starts empty), replacing
/// whatever the index held.
pub(super) fn write_all(
    index: &impl Target,
    project: &Project,
    stamp: &mut Stamp,
    progress: &mut dyn FnMut(Progress),
) -> Result<UpdateReport> {
    let catalog = &mut stamp.catalog;
    catalog.participants = participants(project)?;
    catalog.attributes = attributes(project)?;
    catalog.waves = waves(project)?;
    catalog.coders = coders(project)?;
    let codes = project.codes()?;
    catalog.codes = codes.iter().map(CodeInfo::of).collect();
    let places = project.document_places()?;
    catalog.documents = places.iter().map(|p| DocInfo::new(0, p)).collect();
    catalog.finish();
    // Numbered in document order, so that index order is document order.
    for (rank, d) in catalog.documents.iter_mut().enumerate() {
        d.ix = rank as u64 + 1;
    }
    catalog.finish();
    stamp.next_ix = catalog.documents.len() as u64;
    let by_id: HashMap<&str, &DocumentPlace> = places.iter().map(|p| (p.id.as_str(), p)).collect();
    let writer = index.writer(places.len())?;
    writer.delete_all_documents().map_err(|e| index.error(e))?;
    let total = catalog.documents.len();
    for (n, d) in catalog.documents.iter().enumerate() {
        progress(Progress { done: n, total });
        if let Some(place) = by_id.get(d.id.as_str()) {
            add_document(&writer, index.fields(), project, catalog, place, d.ix).map_err(|e| index.error(e))?;
        }
    }
    let memos = project.memos(None)?;
    for m in &memos {
        add_memo(&writer, index.fields(), m).map_err(|e| index.error(e))?;
    }
    for c in &codes {
        add_code(&writer, index.fields(), c).map_err(|e| index.error(e))?;
    }
    finish(index, writer)?;
    progress(Progress { done: total, total });
    Ok(UpdateReport { indexed: total, extras: memos.len() + codes.len(), ..Default::default() })
}

/// Indexes again what `plan` names, keeping the catalog's documents in step.
pub(super) fn write_plan(
    index: &impl Target,
    project: &Project,
    stamp: &mut Stamp,
    plan: &Plan,
    progress: &mut dyn FnMut(Progress),
) -> Result<UpdateReport> {
    let f = index.fields();
    let ids: Vec<String> = plan.documents.iter().cloned().collect();
    let places: HashMap<String, DocumentPlace> =
        project.document_places_of(&ids)?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let writer = index.writer(ids.len())?;
    let mut report = UpdateReport::default();
    let old: HashMap<String, u64> = stamp.catalog.documents.iter().map(|d| (d.id.clone(), d.ix)).collect();
    let mut gone = HashSet::new();
    let mut fresh = Vec::new();
    let total = ids.len();
    for (n, id) in ids.iter().enumerate() {
        progress(Progress { done: n, total });
        let before = old.get(id).copied();
        if let Some(ix) = before {
            writer.delete_term(Term::from_field_u64(f.doc_ix, ix));
        }
        match places.get(id) {
            Some(place) => {
                let ix = before.unwrap_or_else(|| {
                    stamp.next_ix += 1;
                    stamp.next_ix
                });
                add_document(&writer, f, project, &stamp.catalog, place, ix).map_err(|e| index.error(e))?;
                fresh.push(DocInfo::new(ix, place));
                report.indexed += 1;
            }
            None if before.is_some() => {
                gone.insert(id.clone());
                report.removed += 1;
            }
            None => {}
        }
    }
    let replaced: HashSet<&str> = fresh.iter().map(|d| d.id.as_str()).collect();
    stamp.catalog.documents.retain(|d| !gone.contains(&d.id) && !replaced.contains(d.id.as_str()));
    stamp.catalog.documents.extend(fresh);
    for id in &plan.memos {
        writer.delete_term(Term::from_field_text(f.id, id));
    }
    let memos: Vec<String> = plan.memos.iter().cloned().collect();
    for m in project.memos_by_id(&memos)? {
        add_memo(&writer, f, &m).map_err(|e| index.error(e))?;
        report.extras += 1;
    }
    for id in &plan.codes {
        writer.delete_term(Term::from_field_text(f.id, id));
        match project.code(id) {
            Ok(c) => {
                add_code(&writer, f, &c).map_err(|e| index.error(e))?;
                report.extras += 1;
            }
            Err(crate::Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    finish(index, writer)?;
    progress(Progress { done: total, total });
    Ok(report)
}

/// Commits, waits for merges and reloads the reader.
fn finish(index: &impl Target, mut writer: IndexWriter<TantivyDocument>) -> Result<()> {
    writer.commit().map_err(|e| index.error(e))?;
    writer.wait_merging_threads().map_err(|e| index.error(e))?;
    index.reload()
}

/// The turns a document is indexed and shown by: its turns, or when it has none one
/// turn over its whole text of `chars` characters. Turn `i` here has ordinal `i`.
pub(super) fn indexed_turns(turns: Vec<Turn>, chars: usize) -> Vec<Turn> {
    if !turns.is_empty() {
        return turns;
    }
    vec![Turn { speaker: None, start: 0, end: chars, time_start_ms: None, time_end_ms: None }]
}

/// Adds every turn of a document.
fn add_document(
    writer: &IndexWriter<TantivyDocument>,
    f: Fields,
    project: &Project,
    catalog: &Catalog,
    place: &DocumentPlace,
    ix: u64,
) -> Result<()> {
    let id = place.id.as_str();
    let text = project.document_text(id)?;
    let slicer = CharSlicer::new(&text);
    let turns = indexed_turns(project.turns(id)?, slicer.char_len());
    let codings = project.codings(&CodingFilter { document_id: Some(id.to_string()), ..Default::default() })?;
    let attrs = catalog.attribute_terms(place.participant_id.as_deref());
    let name = place.name.to_lowercase();
    let participant = place.participant.as_ref().map(|p| p.to_lowercase());
    let wave = place.wave.as_ref().map(|w| w.to_lowercase());
    for (ordinal, t) in turns.iter().enumerate() {
        let Some(turn_text) = slicer.slice(t.start, t.end.max(t.start)) else { continue };
        let mut d = TantivyDocument::default();
        d.add_u64(f.doc_ix, ix);
        d.add_u64(f.ordinal, ordinal as u64);
        d.add_text(f.text, turn_text);
        if let Some(s) = &t.speaker {
            d.add_text(f.speaker, s.to_lowercase());
        }
        if let Some(p) = &participant {
            d.add_text(f.participant, p);
        }
        if let Some(w) = &wave {
            d.add_text(f.wave, w);
        }
        d.add_text(f.document, &name);
        for a in &attrs {
            d.add_text(f.attrs, a);
        }
        add_codings(&mut d, f, &codings, t);
        writer.add_document(d).map_err(|e| crate::Error::Invalid(e.to_string()))?;
    }
    Ok(())
}

/// The codes and coders of the codings that overlap a turn, each once.
fn add_codings(d: &mut TantivyDocument, f: Fields, codings: &[Coding], t: &Turn) {
    let mut seen: HashSet<(bool, &str)> = HashSet::new();
    for c in codings.iter().filter(|c| c.start < t.end && c.end > t.start) {
        if seen.insert((true, c.code_id.as_str())) {
            d.add_text(f.codes, &c.code_id);
        }
        if seen.insert((false, c.coder.as_str())) {
            d.add_text(f.coders, c.coder.to_lowercase());
        }
    }
}

fn add_memo(writer: &IndexWriter<TantivyDocument>, f: Fields, m: &Memo) -> Result<()> {
    let text = memo_text(&m.title, &m.body);
    add_extra(writer, f, "memo", &m.id, &m.title, &text)
}

fn add_code(writer: &IndexWriter<TantivyDocument>, f: Fields, c: &Code) -> Result<()> {
    add_extra(writer, f, "code", &c.id, &c.name, &code_text(c))
}

/// A memo or code description: kind, ID, title and text kept, the text's words indexed.
fn add_extra(
    writer: &IndexWriter<TantivyDocument>,
    f: Fields,
    kind: &str,
    id: &str,
    title: &str,
    text: &str,
) -> Result<()> {
    let mut d = TantivyDocument::default();
    d.add_text(f.kind, kind);
    d.add_text(f.id, id);
    d.add_text(f.title, title);
    d.add_text(f.body, text);
    d.add_text(f.text, text);
    writer.add_document(d).map_err(|e| crate::Error::Invalid(e.to_string()))?;
    Ok(())
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
