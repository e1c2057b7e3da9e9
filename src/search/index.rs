//! The index on disk: opening it, keeping it up to date, and rebuilding it when it
//! cannot be trusted.
//!
//! The index lives in a folder beside the project file (`study.codeloom` →
//! `study.codeloom.search/`) with a stamp file holding the index schema version, the
//! project's ID and change counter, and a fingerprint of every indexed document (its
//! text, participant, wave, attributes and codings). When the change counter moves,
//! only documents whose fingerprint changed are indexed again, so undo, redo and edits
//! from other connections are all handled the same way. A missing, unreadable, foreign
//! or damaged index in a folder of Codeloom's is rebuilt; anything else at the folder's
//! name is reported and left alone ([`super::folder`]).
//!
//! Opening an up-to-date index writes nothing: it is read through a read-only
//! directory under the folder's shared lock. Updating takes the exclusive lock, looks
//! again (another process may have done the work while this one waited) and writes
//! only what changed. When the folder cannot be written, an index whose content is up
//! to date is still searched, and a stale one is built in memory for this run, with the
//! reason in [`UpdateReport::rebuilt_because`]: a researcher reading a study on a
//! read-only disk can still search it, and is told how to keep the index between runs.

use super::folder::{self, Folder, LOCK_WAIT, ReadOnlyDirectory, Refused, UpdateLock};
use super::schema::{Fields, INDEX_SCHEMA_VERSION, build_schema, register};
use super::{Progress, UpdateReport};
use crate::error::{Error, Result};
use crate::model::{Code, Coding, Memo, Participant};
use crate::store::Project;
use crate::store::queries::{AttributeDef, CodingFilter, DocumentSummary};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// The index folder of a project file.
pub fn index_dir(project_path: &Path) -> PathBuf {
    let mut name = project_path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".search");
    project_path.with_file_name(name)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

impl Stamp {
    /// The stamp of an empty index.
    fn new(project_id: String) -> Stamp {
        Stamp { schema_version: INDEX_SCHEMA_VERSION, project_id, change_counter: -1, ..Default::default() }
    }
}

/// What the query compiler and the result builder need to know about the project.
#[derive(Debug, Clone, Default)]
pub(super) struct Catalog {
    /// By index number: document ID, name, participant, wave, and rank in document order.
    pub(super) documents: HashMap<u64, DocInfo>,
    pub(super) participants: Vec<(String, Vec<(String, crate::model::AttributeValue)>)>,
    pub(super) attributes: Vec<AttributeDef>,
    pub(super) codes: Vec<Code>,
    pub(super) code_paths: HashMap<String, String>,
}

#[derive(Debug, Clone)]
pub(super) struct DocInfo {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) participant: Option<String>,
    pub(super) wave: Option<String>,
    pub(super) rank: usize,
}

/// The project as the index needs it, read once per update.
struct Snapshot {
    counter: i64,
    docs: Vec<DocumentSummary>,
    participants: Vec<Participant>,
    attributes: Vec<AttributeDef>,
    codes: Vec<Code>,
    codings: Vec<Coding>,
    memos: Vec<Memo>,
}

impl Snapshot {
    fn read(project: &Project) -> Result<Snapshot> {
        Ok(Snapshot {
            counter: project.change_counter()?,
            docs: project.documents()?,
            participants: project.participants()?,
            attributes: project.attributes()?,
            codes: project.codes()?,
            codings: project.codings(&CodingFilter::default())?,
            memos: project.memos(None)?,
        })
    }

    fn codings_of(&self) -> HashMap<&str, Vec<&Coding>> {
        let mut codings_of: HashMap<&str, Vec<&Coding>> = HashMap::new();
        for c in &self.codings {
            codings_of.entry(c.document_id.as_str()).or_default().push(c);
        }
        codings_of
    }

    fn attributes_of(&self) -> HashMap<&str, &Vec<(String, crate::model::AttributeValue)>> {
        self.participants.iter().map(|p| (p.label.as_str(), &p.attributes)).collect()
    }

    /// Each document's fingerprint: its text, name, participant, wave, the participant's
    /// attributes and the document's codings.
    fn fingerprints(&self) -> BTreeMap<String, String> {
        let codings_of = self.codings_of();
        let attrs_of = self.attributes_of();
        let mut wanted = BTreeMap::new();
        for d in &self.docs {
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
        wanted
    }

    /// The fingerprint of all memos and code descriptions.
    fn extras(&self) -> String {
        let mut h = Sha256::new();
        for m in &self.memos {
            h.update(format!("{}\u{1}{}\u{1}{}\u{1}{}\u{2}", m.id, m.title, m.body, m.target.as_str()).as_bytes());
        }
        for c in &self.codes {
            let d = &c.description;
            h.update(
                format!(
                    "{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{2}",
                    c.id, c.name, d.definition, d.inclusion, d.exclusion, d.example
                )
                .as_bytes(),
            );
        }
        hex(&h.finalize())
    }

    /// What the index needs to know about the project to answer queries.
    fn catalog(&self, stamp: &Stamp) -> Catalog {
        let mut catalog = Catalog::default();
        for (rank, d) in self.docs.iter().enumerate() {
            let doc = &d.document;
            if let Some((ix, _)) = stamp.documents.get(&doc.id) {
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
        catalog.participants = self.participants.iter().map(|p| (p.label.clone(), p.attributes.clone())).collect();
        catalog.attributes = self.attributes.clone();
        let by_id: HashMap<&str, &Code> = self.codes.iter().map(|c| (c.id.as_str(), c)).collect();
        for c in &self.codes {
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
        catalog.codes = self.codes.clone();
        catalog
    }
}

/// What an update has to write.
struct Changes {
    /// Every document's fingerprint now.
    wanted: BTreeMap<String, String>,
    /// Indexed documents that are gone from the project.
    stale: Vec<String>,
    /// Documents that are new or changed, in document order.
    changed: Vec<String>,
    /// The memos' and code descriptions' fingerprint now.
    extras: String,
    extras_changed: bool,
}

impl Changes {
    fn new(snapshot: &Snapshot, stamp: &Stamp) -> Changes {
        let wanted = snapshot.fingerprints();
        let stale = stamp.documents.keys().filter(|id| !wanted.contains_key(*id)).cloned().collect();
        let changed = snapshot
            .docs
            .iter()
            .map(|d| d.document.id.clone())
            .filter(|id| stamp.documents.get(id).map(|(_, f)| f) != wanted.get(id))
            .collect();
        let extras = snapshot.extras();
        let extras_changed = extras != stamp.extras;
        Changes { wanted, stale, changed, extras, extras_changed }
    }

    fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.changed.is_empty() && !self.extras_changed
    }
}

/// An open search index of one project.
pub struct SearchIndex {
    /// Read through a [`ReadOnlyDirectory`] on disk; in RAM for an index in memory.
    index: tantivy::Index,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    /// The folder; `None` for an index in memory.
    dir: Option<PathBuf>,
    stamp: Stamp,
    pub(super) catalog: Catalog,
    /// How long to wait for another process's update.
    wait: Duration,
}

fn index_error(dir: &Path, e: impl std::fmt::Display) -> Error {
    Error::SearchIndex { path: dir.to_path_buf(), message: e.to_string() }
}

/// The report of an open or update that found nothing to do.
fn nothing_done(index: &SearchIndex) -> UpdateReport {
    UpdateReport { documents: index.document_count(), ..Default::default() }
}

impl SearchIndex {
    /// Opens the project's index, building it when it is missing, from another schema
    /// or project, or damaged, and brings it up to date. `progress` hears about every
    /// document indexed. An index that is up to date is only read.
    pub fn open(project: &Project, progress: &mut dyn FnMut(Progress)) -> Result<(SearchIndex, UpdateReport)> {
        Self::open_waiting(project, progress, LOCK_WAIT)
    }

    /// [`SearchIndex::open`], waiting at most `wait` for another process that is
    /// updating the index.
    pub fn open_waiting(
        project: &Project,
        progress: &mut dyn FnMut(Progress),
        wait: Duration,
    ) -> Result<(SearchIndex, UpdateReport)> {
        let dir = index_dir(project.path());
        let project_id = project.project_id()?;
        let snapshot = Snapshot::read(project)?;
        let mut opened = None;
        if folder::inspect(&dir)? == Folder::Ours {
            let shared = UpdateLock::shared(&dir, wait)?;
            match Self::open_on_disk(&dir, &project_id, wait) {
                Ok(mut index) if index.stamp.change_counter == snapshot.counter => {
                    index.catalog = snapshot.catalog(&index.stamp);
                    let report = nothing_done(&index);
                    return Ok((index, report));
                }
                Ok(index) => opened = Some(index),
                Err(_) => {}
            }
            drop(shared);
        }
        match UpdateLock::exclusive(&dir, wait) {
            Ok(lock) => Self::under_lock(&dir, project, project_id, &snapshot, progress, wait, &lock),
            Err(Refused::CannotWrite(why)) => {
                Self::unwritable(&dir, project, project_id, &snapshot, progress, opened, &why)
            }
            Err(Refused::Failed(e)) => Err(e),
        }
    }

    /// An index in memory, for tests and the bench's scratch runs.
    pub fn in_memory(project: &Project) -> Result<SearchIndex> {
        let mut index = Self::memory(project.project_id()?)?;
        index.apply(project, &Snapshot::read(project)?, &mut |_| {})?;
        Ok(index)
    }

    fn memory(project_id: String) -> Result<SearchIndex> {
        let (schema, _) = build_schema();
        Self::wrap(tantivy::Index::create_in_ram(schema), None, Stamp::new(project_id), LOCK_WAIT)
    }

    /// Holding the exclusive lock: opens the index again (another process may have
    /// updated it while this one waited), and brings it up to date, rebuilding it if it
    /// cannot be used. Writes nothing if it is up to date.
    fn under_lock(
        dir: &Path,
        project: &Project,
        project_id: String,
        snapshot: &Snapshot,
        progress: &mut dyn FnMut(Progress),
        wait: Duration,
        _lock: &UpdateLock,
    ) -> Result<(SearchIndex, UpdateReport)> {
        let opened = match folder::inspect(dir)? {
            Folder::Ours => Self::open_on_disk(dir, &project_id, wait),
            Folder::Free | Folder::Missing => Err("there was no index".to_string()),
        };
        if let Ok(index) = &opened
            && index.stamp.change_counter == snapshot.counter
        {
            let mut index = opened.map_err(|e| index_error(dir, e))?;
            index.catalog = snapshot.catalog(&index.stamp);
            let report = nothing_done(&index);
            return Ok((index, report));
        }
        match folder::writable(dir) {
            Ok(()) => {}
            Err(Refused::CannotWrite(why)) => {
                return Self::unwritable(dir, project, project_id, snapshot, progress, opened.ok(), &why);
            }
            Err(Refused::Failed(e)) => return Err(e),
        }
        let (mut index, rebuilt_because) = match opened {
            Ok(index) => (index, None),
            Err(reason) => (Self::create_on_disk(dir, project_id, wait)?, Some(reason)),
        };
        let mut report = index.apply(project, snapshot, progress)?;
        report.rebuilt_because = rebuilt_because;
        Ok((index, report))
    }

    /// When the folder cannot be written: the index opened from it if only its change
    /// counter is behind, or else an index built in memory for this run.
    fn unwritable(
        dir: &Path,
        project: &Project,
        project_id: String,
        snapshot: &Snapshot,
        progress: &mut dyn FnMut(Progress),
        opened: Option<SearchIndex>,
        why: &str,
    ) -> Result<(SearchIndex, UpdateReport)> {
        if let Some(mut index) = opened
            && Changes::new(snapshot, &index.stamp).is_empty()
        {
            index.stamp.change_counter = snapshot.counter;
            index.catalog = snapshot.catalog(&index.stamp);
            let report = nothing_done(&index);
            return Ok((index, report));
        }
        let mut index = Self::memory(project_id)?;
        let mut report = index.apply(project, snapshot, progress)?;
        report.rebuilt_because = Some(format!(
            "the index folder {} cannot be written ({why}), so this run searched an index built in memory; \
             make the folder writable, or move it away, to keep the index between runs",
            dir.display()
        ));
        Ok((index, report))
    }

    /// Clears the folder and makes an empty index in it, stamped before anything else.
    fn create_on_disk(dir: &Path, project_id: String, wait: Duration) -> Result<SearchIndex> {
        folder::clear(dir)?;
        let stamp = Stamp::new(project_id);
        folder::write_stamp(dir, &serde_json::to_string(&stamp)?)?;
        let (schema, _) = build_schema();
        tantivy::Index::create_in_dir(dir, schema).map_err(|e| index_error(dir, e))?;
        let index = Self::read_only_index(dir).map_err(|e| index_error(dir, e))?;
        Self::wrap(index, Some(dir.to_path_buf()), stamp, wait)
    }

    fn read_only_index(dir: &Path) -> std::result::Result<tantivy::Index, String> {
        tantivy::Index::open(ReadOnlyDirectory::open(dir)?).map_err(|e| e.to_string())
    }

    /// Opens the index in `dir` for reading, or says why it cannot be used.
    fn open_on_disk(dir: &Path, project_id: &str, wait: Duration) -> std::result::Result<SearchIndex, String> {
        // tantivy may panic on damaged files rather than return an error.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Self::open_checked(dir, project_id, wait)))
            .unwrap_or_else(|_| Err("the index is damaged (its files cannot be read)".to_string()))
    }

    fn open_checked(dir: &Path, project_id: &str, wait: Duration) -> std::result::Result<SearchIndex, String> {
        let raw = folder::read_stamp(dir).ok_or_else(|| "the index has no stamp".to_string())?;
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
        let index = Self::read_only_index(dir).map_err(|e| format!("the index is damaged ({e})"))?;
        let (expected, _) = build_schema();
        if index.schema() != expected {
            return Err("the index has another schema".into());
        }
        match index.validate_checksum() {
            Ok(damaged) if damaged.is_empty() => {}
            Ok(damaged) => return Err(format!("the index is damaged ({} files fail their checksum)", damaged.len())),
            Err(e) => return Err(format!("the index is damaged ({e})")),
        }
        let wrapped = Self::wrap(index, Some(dir.to_path_buf()), stamp, wait)
            .map_err(|e| format!("the index is damaged ({e})"))?;
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

    fn wrap(index: tantivy::Index, dir: Option<PathBuf>, stamp: Stamp, wait: Duration) -> Result<SearchIndex> {
        register(&index);
        let here = dir.clone().unwrap_or_default();
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(|e| index_error(&here, e))?;
        let (_, fields) = build_schema();
        Ok(SearchIndex { index, reader, fields, dir, stamp, catalog: Catalog::default(), wait })
    }

    fn here(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| PathBuf::from("(index in memory)"))
    }

    /// An error of this index, naming its folder.
    pub(super) fn error(&self, e: impl std::fmt::Display) -> Error {
        index_error(&self.here(), e)
    }

    /// The folder the index is kept in; `None` when it is in memory.
    pub fn folder(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The change counter of the project the index reflects.
    pub fn change_counter(&self) -> i64 {
        self.stamp.change_counter
    }

    /// Number of documents (transcripts) indexed.
    pub fn document_count(&self) -> usize {
        self.stamp.documents.len()
    }

    /// The IDs of the documents indexed (for tests and tools).
    pub fn documents_indexed(&self) -> Vec<String> {
        self.stamp.documents.keys().cloned().collect()
    }

    /// Brings the index up to date with the project: indexes documents that are new or
    /// whose text, participant, wave, attributes or codings changed, drops documents
    /// that are gone, and re-indexes memos and code descriptions when they changed.
    /// Takes the folder's lock; if another process changed the index meanwhile, starts
    /// from what it wrote. If the folder can no longer be written, goes on in memory.
    pub fn update(&mut self, project: &Project, progress: &mut dyn FnMut(Progress)) -> Result<UpdateReport> {
        if project.change_counter()? == self.stamp.change_counter {
            return Ok(nothing_done(self));
        }
        let snapshot = Snapshot::read(project)?;
        let Some(dir) = self.dir.clone() else { return self.apply(project, &snapshot, progress) };
        let project_id = self.stamp.project_id.clone();
        let lock = match UpdateLock::exclusive(&dir, self.wait) {
            Ok(lock) => lock,
            Err(Refused::CannotWrite(why)) => return self.go_on_unwritable(&dir, project, &snapshot, progress, &why),
            Err(Refused::Failed(e)) => return Err(e),
        };
        let on_disk: Option<Stamp> = folder::read_stamp(&dir).and_then(|s| serde_json::from_str(&s).ok());
        if on_disk.as_ref() != Some(&self.stamp) {
            let (fresh, report) = Self::under_lock(&dir, project, project_id, &snapshot, progress, self.wait, &lock)?;
            *self = fresh;
            return Ok(report);
        }
        match folder::writable(&dir) {
            Ok(()) => self.apply(project, &snapshot, progress),
            Err(Refused::CannotWrite(why)) => self.go_on_unwritable(&dir, project, &snapshot, progress, &why),
            Err(Refused::Failed(e)) => Err(e),
        }
    }

    fn go_on_unwritable(
        &mut self,
        dir: &Path,
        project: &Project,
        snapshot: &Snapshot,
        progress: &mut dyn FnMut(Progress),
        why: &str,
    ) -> Result<UpdateReport> {
        let project_id = self.stamp.project_id.clone();
        let current = std::mem::replace(self, Self::memory(project_id.clone())?);
        let (fresh, report) = Self::unwritable(dir, project, project_id, snapshot, progress, Some(current), why)?;
        *self = fresh;
        Ok(report)
    }

    /// Writes what changed, then the stamp; writes nothing when nothing changed.
    fn apply(
        &mut self,
        project: &Project,
        snapshot: &Snapshot,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<UpdateReport> {
        let changes = Changes::new(snapshot, &self.stamp);
        let mut report = UpdateReport::default();
        let moved = snapshot.counter != self.stamp.change_counter;
        if !changes.is_empty() {
            self.write_changes(project, snapshot, &changes, progress, &mut report)?;
        }
        if moved || !changes.is_empty() {
            self.stamp.change_counter = snapshot.counter;
            if let Some(dir) = &self.dir {
                folder::write_stamp(dir, &serde_json::to_string(&self.stamp)?)?;
            }
        }
        self.catalog = snapshot.catalog(&self.stamp);
        report.documents = self.stamp.documents.len();
        Ok(report)
    }

    /// A writer on the index: on disk through a directory that may write (the caller
    /// holds the folder's lock), in memory on the index itself.
    fn writer(&self) -> Result<IndexWriter<TantivyDocument>> {
        let here = self.here();
        let index = match &self.dir {
            Some(dir) => {
                let index = tantivy::Index::open_in_dir(dir).map_err(|e| index_error(dir, e))?;
                register(&index);
                index
            }
            None => self.index.clone(),
        };
        index.writer(100_000_000).map_err(|e| index_error(&here, e))
    }

    fn write_changes(
        &mut self,
        project: &Project,
        snapshot: &Snapshot,
        changes: &Changes,
        progress: &mut dyn FnMut(Progress),
        report: &mut UpdateReport,
    ) -> Result<()> {
        let mut writer = self.writer()?;
        let f = self.fields;
        if self.stamp.documents.is_empty() && self.stamp.extras.is_empty() {
            // A first build: nothing a crashed earlier attempt left may stay.
            writer.delete_all_documents().map_err(|e| self.error(e))?;
        }
        for id in &changes.stale {
            writer.delete_term(Term::from_field_text(f.id, id));
            self.stamp.documents.remove(id);
        }
        report.removed = changes.stale.len();
        let total = changes.changed.len();
        let by_id: HashMap<&str, &DocumentSummary> =
            snapshot.docs.iter().map(|d| (d.document.id.as_str(), d)).collect();
        let codings_of = snapshot.codings_of();
        let attrs_of = snapshot.attributes_of();
        for (n, id) in changes.changed.iter().enumerate() {
            progress(Progress { done: n, total });
            let Some(summary) = by_id.get(id.as_str()) else { continue };
            writer.delete_term(Term::from_field_text(f.id, id));
            let ix = match self.stamp.documents.get(id) {
                Some((ix, _)) => *ix,
                None => {
                    self.stamp.next_ix += 1;
                    self.stamp.next_ix
                }
            };
            let codings = codings_of.get(id.as_str()).map(|v| v.as_slice()).unwrap_or(&[]);
            let attrs = summary.document.participant.as_deref().and_then(|p| attrs_of.get(p).copied());
            self.add_document(&writer, project, summary, ix, codings, attrs)?;
            self.stamp.documents.insert(id.clone(), (ix, changes.wanted.get(id).cloned().unwrap_or_default()));
        }
        report.indexed = total;
        if changes.extras_changed {
            self.add_extras(&writer, snapshot)?;
            self.stamp.extras = changes.extras.clone();
            report.extras = snapshot.memos.len() + snapshot.codes.len();
        }
        writer.commit().map_err(|e| self.error(e))?;
        writer.wait_merging_threads().map_err(|e| self.error(e))?;
        progress(Progress { done: total, total });
        self.reader.reload().map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Adds every turn of a document (the whole text as one turn when it has none).
    fn add_document(
        &self,
        writer: &IndexWriter<TantivyDocument>,
        project: &Project,
        summary: &DocumentSummary,
        ix: u64,
        codings: &[&Coding],
        attrs: Option<&Vec<(String, crate::model::AttributeValue)>>,
    ) -> Result<()> {
        let f = self.fields;
        let doc = &summary.document;
        let id = doc.id.as_str();
        let text = project.document_text(id)?;
        let turns = project.turns(id)?;
        let attrs: Vec<String> = attrs
            .map(|a| a.iter().map(|(n, v)| format!("{}={}", n.to_lowercase(), v.value.to_lowercase())).collect())
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
            let (Some(bs), Some(be)) = (index.char_to_byte(t.start), index.char_to_byte(t.end.max(t.start))) else {
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
            writer.add_document(d).map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    /// Replaces the memos and code descriptions.
    fn add_extras(&self, writer: &IndexWriter<TantivyDocument>, snapshot: &Snapshot) -> Result<()> {
        let f = self.fields;
        writer.delete_term(Term::from_field_text(f.kind, "memo"));
        writer.delete_term(Term::from_field_text(f.kind, "code"));
        for m in &snapshot.memos {
            let mut d = TantivyDocument::default();
            d.add_text(f.kind, "memo");
            d.add_text(f.id, &m.id);
            d.add_text(f.title, &m.title);
            d.add_text(f.text, memo_text(&m.title, &m.body));
            d.add_text(f.stems, memo_text(&m.title, &m.body));
            writer.add_document(d).map_err(|e| self.error(e))?;
        }
        for c in &snapshot.codes {
            let text = code_text(c);
            let mut d = TantivyDocument::default();
            d.add_text(f.kind, "code");
            d.add_text(f.id, &c.id);
            d.add_text(f.title, &c.name);
            d.add_text(f.text, &text);
            d.add_text(f.stems, &text);
            writer.add_document(d).map_err(|e| self.error(e))?;
        }
        Ok(())
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
