//! The index on disk: opening it, keeping it up to date, and rebuilding it when it
//! cannot be trusted.
//!
//! The index lives in a folder beside the project file (`study.codeloom` →
//! `study.codeloom.search/`) with a stamp file holding the index schema version, the
//! project's ID, the entry of the project's operation log that the index reflects (its
//! sequence number and ID) and the name of the file holding the [catalog](super::catalog),
//! which is written only when the catalog changes. Opening reads the stamp
//! and the newest log entry and nothing else of the project: when they agree, the index
//! is up to date. When the log has moved on, [`Project::changes_since`] names what the
//! operations since then wrote, and only those documents, memos and codes are indexed
//! again ([`super::build`]), so an update costs what changed. When the entry the stamp
//! names is no longer in the log (a backup was restored, or the project was replaced)
//! or the stamp is missing, foreign, from another schema or the index damaged, the index
//! in a folder of Codeloom's is rebuilt; anything else at the folder's name is reported
//! and left alone ([`super::folder`]).
//!
//! Opening an up-to-date index writes nothing: it is read through a read-only
//! directory under the folder's shared lock. Updating takes the exclusive lock, looks
//! again (another process may have done the work while this one waited) and writes
//! only what changed. When the folder cannot be written, an index whose content is up
//! to date is still searched, and a stale one is built in memory for this run, with the
//! reason in [`UpdateReport::rebuilt_because`]: a researcher reading a study on a
//! read-only disk can still search it, and is told how to keep the index between runs.
//!
//! Turns keep no text in the index: a search reads the text of the turns it shows from
//! the project, through a read-only connection the index holds.

use super::build::{self, Plan};
use super::catalog::{Catalog, Stamp};
use super::folder::{self, Folder, LOCK_WAIT, ReadOnlyDirectory, Refused, UpdateLock};
use super::schema::{Fields, INDEX_SCHEMA_VERSION, build_schema, register};
use super::{Progress, UpdateReport};
use crate::error::{Error, Result};
use crate::store::Project;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tantivy::{IndexReader, ReloadPolicy};

/// The index folder of a project file.
pub fn index_dir(project_path: &Path) -> PathBuf {
    let mut name = project_path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".search");
    project_path.with_file_name(name)
}

/// More document numbers than this in a stamp mark it as damaged.
const MOST_DOCUMENT_NUMBERS: u64 = 1 << 24;

/// The part of a stamp that says which project and which point of its log it is of.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct StampHeader {
    schema_version: u32,
    project_id: String,
    log_seq: i64,
    log_id: Option<String>,
}

impl Stamp {
    /// The stamp of an empty index that has not been built.
    fn new(project_id: String) -> Stamp {
        Stamp { schema_version: INDEX_SCHEMA_VERSION, project_id, log_seq: -1, ..Default::default() }
    }

    fn header(&self) -> StampHeader {
        StampHeader {
            schema_version: self.schema_version,
            project_id: self.project_id.clone(),
            log_seq: self.log_seq,
            log_id: self.log_id.clone(),
        }
    }

    /// Whether the index reflects the project at this point of its log.
    fn is_at(&self, point: &(i64, Option<String>)) -> bool {
        self.log_seq == point.0 && self.log_id == point.1
    }

    /// Whether the document numbers are sound (each used once, none past `next_ix`).
    fn numbers_are_sound(&self) -> bool {
        let mut seen = HashSet::new();
        self.next_ix <= MOST_DOCUMENT_NUMBERS
            && self.catalog.documents.iter().all(|d| d.ix >= 1 && d.ix <= self.next_ix && seen.insert(d.ix))
    }
}

impl build::Target for SearchIndex {
    fn writer(&self, documents: usize) -> Result<tantivy::IndexWriter<tantivy::TantivyDocument>> {
        SearchIndex::writer(self, documents)
    }

    fn fields(&self) -> Fields {
        self.fields
    }

    fn error(&self, e: impl std::fmt::Display) -> Error {
        SearchIndex::error(self, e)
    }

    fn reload(&self) -> Result<()> {
        SearchIndex::reload(self)
    }
}

/// An open search index of one project.
pub struct SearchIndex {
    /// Read through a [`ReadOnlyDirectory`] on disk; in RAM for an index in memory.
    pub(super) index: tantivy::Index,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    /// The folder; `None` for an index in memory.
    dir: Option<PathBuf>,
    pub(super) stamp: Stamp,
    /// How long to wait for another process's update.
    wait: Duration,
    /// A read-only connection to the project, for the text of the turns shown.
    pub(super) texts: Project,
}

fn index_error(dir: &Path, e: impl std::fmt::Display) -> Error {
    Error::SearchIndex { path: dir.to_path_buf(), message: e.to_string() }
}

/// The report of an open or update that found nothing to do.
fn nothing_done(index: &SearchIndex) -> UpdateReport {
    UpdateReport { documents: index.document_count(), ..Default::default() }
}

/// Where the project is: its change counter, read first, and then the newest entry of
/// its log. A change between the two reads leaves the counter behind the log, so the
/// change is looked for again, never missed.
fn position(project: &Project) -> Result<(i64, (i64, Option<String>))> {
    let counter = project.change_counter()?;
    Ok((counter, project.log_point()?))
}

/// Whether the project's log still holds the entry the stamp names, so that the
/// changes since then are the project's history since the index was written.
fn history_continues(project: &Project, stamp: &Stamp, point: &(i64, Option<String>)) -> Result<bool> {
    if stamp.log_seq < 0 || stamp.log_seq > point.0 {
        return Ok(false);
    }
    Ok(project.operation_id(stamp.log_seq)? == stamp.log_id)
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
        let (counter, point) = position(project)?;
        let mut opened = None;
        if folder::inspect(&dir)? == Folder::Ours {
            let shared = UpdateLock::shared(&dir, wait)?;
            match Self::open_on_disk(&dir, project, &project_id, wait) {
                Ok(mut index) if index.stamp.is_at(&point) => {
                    index.stamp.change_counter = counter;
                    let report = nothing_done(&index);
                    return Ok((index, report));
                }
                Ok(index) => opened = Some(index),
                Err(_) => {}
            }
            drop(shared);
        }
        match UpdateLock::exclusive(&dir, wait) {
            Ok(lock) => Self::under_lock(&dir, project, &project_id, progress, wait, &lock),
            Err(Refused::CannotWrite(why)) => Self::unwritable(&dir, project, opened, progress, &why),
            Err(Refused::Failed(e)) => Err(e),
        }
    }

    /// An index in memory, for tests and the bench's scratch runs.
    pub fn in_memory(project: &Project) -> Result<SearchIndex> {
        let mut index = Self::memory(project)?;
        index.rebuild(project, &mut |_| {})?;
        Ok(index)
    }

    fn memory(project: &Project) -> Result<SearchIndex> {
        let (schema, _) = build_schema();
        let stamp = Stamp::new(project.project_id()?);
        Self::wrap(tantivy::Index::create_in_ram(schema), None, stamp, LOCK_WAIT, project.path())
    }

    /// Holding the exclusive lock: opens the index again (another process may have
    /// updated it while this one waited), and brings it up to date, rebuilding it if it
    /// cannot be used. Writes nothing if it is up to date.
    fn under_lock(
        dir: &Path,
        project: &Project,
        project_id: &str,
        progress: &mut dyn FnMut(Progress),
        wait: Duration,
        _lock: &UpdateLock,
    ) -> Result<(SearchIndex, UpdateReport)> {
        let (counter, point) = position(project)?;
        let opened = match folder::inspect(dir)? {
            Folder::Ours => Self::open_on_disk(dir, project, project_id, wait),
            Folder::Free | Folder::Missing => Err("there was no index".to_string()),
        };
        if let Ok(index) = &opened
            && index.stamp.is_at(&point)
        {
            let mut index = opened.map_err(|e| index_error(dir, e))?;
            index.stamp.change_counter = counter;
            let report = nothing_done(&index);
            return Ok((index, report));
        }
        match folder::writable(dir) {
            Ok(()) => {}
            Err(Refused::CannotWrite(why)) => return Self::unwritable(dir, project, opened.ok(), progress, &why),
            Err(Refused::Failed(e)) => return Err(e),
        }
        let usable = match opened {
            Ok(index) if history_continues(project, &index.stamp, &point)? => Ok(index),
            Ok(index) if index.stamp.log_seq < 0 => Err("the last build of the index did not finish".to_string()),
            Ok(_) => Err("the project's history is not the one indexed (was a backup restored?)".to_string()),
            Err(reason) => Err(reason),
        };
        match usable {
            Ok(mut index) => {
                let report = index.catch_up(project, progress)?;
                Ok((index, report))
            }
            Err(reason) => {
                let mut index = Self::create_on_disk(dir, project, project_id, wait)?;
                let mut report = index.rebuild(project, progress)?;
                report.rebuilt_because = Some(reason);
                Ok((index, report))
            }
        }
    }

    /// When the folder cannot be written: the index opened from it if nothing it holds
    /// has changed since it was written, or else an index built in memory for this run.
    fn unwritable(
        dir: &Path,
        project: &Project,
        opened: Option<SearchIndex>,
        progress: &mut dyn FnMut(Progress),
        why: &str,
    ) -> Result<(SearchIndex, UpdateReport)> {
        if let Some(mut index) = opened {
            let (counter, point) = position(project)?;
            if history_continues(project, &index.stamp, &point)? {
                let changes = project.changes_since(index.stamp.log_seq)?;
                let mut stamp = index.stamp.clone();
                let plan = Plan::read(project, &mut stamp.catalog, &changes)?;
                if !plan.writes_index() {
                    stamp.catalog.finish();
                    stamp.log_seq = changes.through_seq;
                    stamp.log_id = project.operation_id(changes.through_seq)?;
                    stamp.change_counter = counter;
                    index.stamp = stamp;
                    let report = nothing_done(&index);
                    return Ok((index, report));
                }
            }
        }
        let mut index = Self::memory(project)?;
        let mut report = index.rebuild(project, progress)?;
        report.rebuilt_because = Some(format!(
            "the index folder {} cannot be written ({why}), so this run searched an index built in memory; \
             make the folder writable, or move it away, to keep the index between runs",
            dir.display()
        ));
        Ok((index, report))
    }

    /// Clears the folder and makes an empty index in it, stamped before anything else.
    fn create_on_disk(dir: &Path, project: &Project, project_id: &str, wait: Duration) -> Result<SearchIndex> {
        folder::clear(dir)?;
        let stamp = Stamp::new(project_id.to_string());
        folder::write_stamp(dir, &serde_json::to_string(&stamp)?)?;
        let (schema, _) = build_schema();
        tantivy::Index::create_in_dir(dir, schema).map_err(|e| index_error(dir, e))?;
        let index = Self::read_only_index(dir).map_err(|e| index_error(dir, e))?;
        Self::wrap(index, Some(dir.to_path_buf()), stamp, wait, project.path())
    }

    fn read_only_index(dir: &Path) -> std::result::Result<tantivy::Index, String> {
        tantivy::Index::open(ReadOnlyDirectory::open(dir)?).map_err(|e| e.to_string())
    }

    /// Opens the index in `dir` for reading, or says why it cannot be used.
    fn open_on_disk(
        dir: &Path,
        project: &Project,
        project_id: &str,
        wait: Duration,
    ) -> std::result::Result<SearchIndex, String> {
        // tantivy may panic on damaged files rather than return an error.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Self::open_checked(dir, project, project_id, wait)))
            .unwrap_or_else(|_| Err("the index is damaged (its files cannot be read)".to_string()))
    }

    /// Reads the stamp and opens the index, checking that its files can be read (every
    /// segment, its fast fields, term dictionaries and document store open). The files'
    /// checksums are not computed here: that would read the whole index on every search.
    fn open_checked(
        dir: &Path,
        project: &Project,
        project_id: &str,
        wait: Duration,
    ) -> std::result::Result<SearchIndex, String> {
        let raw = folder::read_stamp(dir).ok_or_else(|| "the index has no stamp".to_string())?;
        let mut stamp: Stamp = serde_json::from_str(&raw).map_err(|_| "the index stamp is unreadable".to_string())?;
        if stamp.schema_version != INDEX_SCHEMA_VERSION {
            return Err(format!(
                "the index has schema {} (this version uses {INDEX_SCHEMA_VERSION})",
                stamp.schema_version
            ));
        }
        if stamp.project_id != project_id {
            return Err("the index belongs to another project".into());
        }
        if let Some(name) = &stamp.catalog_file {
            if folder::catalog_generation(name).is_none() {
                return Err(format!("the index stamp names \"{name}\", which is not a catalog file"));
            }
            let raw = folder::read_catalog(dir, name).ok_or_else(|| format!("the index catalog {name} is missing"))?;
            stamp.catalog =
                Catalog::from_file(&raw).ok_or_else(|| format!("the index catalog {name} is unreadable"))?;
        }
        if !stamp.numbers_are_sound() {
            return Err("the index stamp is damaged (its document numbers are not sound)".into());
        }
        stamp.catalog.finish();
        let index = Self::read_only_index(dir).map_err(|e| format!("the index is damaged ({e})"))?;
        let (expected, fields) = build_schema();
        if index.schema() != expected {
            return Err("the index has another schema".into());
        }
        let wrapped = Self::wrap(index, Some(dir.to_path_buf()), stamp, wait, project.path())
            .map_err(|e| format!("the index is damaged ({e})"))?;
        let searcher = wrapped.reader.searcher();
        for seg in searcher.segment_readers() {
            let damaged = |e: &dyn std::fmt::Display| format!("the index is damaged ({e})");
            let col = seg.fast_fields().u64("doc_ix").map_err(|e| damaged(&e))?;
            seg.fast_fields().u64("ordinal").map_err(|e| damaged(&e))?;
            for d in 0..seg.max_doc().min(64) {
                let _ = col.first(d);
            }
            for field in [fields.text, fields.id] {
                seg.inverted_index(field).map_err(|e| damaged(&e))?;
            }
            seg.get_store_reader(1).map_err(|e| damaged(&e))?;
        }
        Ok(wrapped)
    }

    fn wrap(
        index: tantivy::Index,
        dir: Option<PathBuf>,
        stamp: Stamp,
        wait: Duration,
        project_path: &Path,
    ) -> Result<SearchIndex> {
        let mut index = index;
        register(&index);
        let here = dir.clone().unwrap_or_default();
        // Segments are searched on every core (a phrase over common words reads many
        // positions); one core searches them in turn.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
        if cores > 1 {
            index.set_multithread_executor(cores).map_err(|e| index_error(&here, e))?;
        }
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(|e| index_error(&here, e))?;
        let (_, fields) = build_schema();
        let texts = Project::open_read_only(project_path)?;
        Ok(SearchIndex { index, reader, fields, dir, stamp, wait, texts })
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
        self.stamp.catalog.documents.len()
    }

    /// The IDs of the documents indexed (for tests and tools).
    pub fn documents_indexed(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.stamp.catalog.documents.iter().map(|d| d.id.clone()).collect();
        ids.sort();
        ids
    }

    /// Brings the index up to date with the project: indexes again what the operations
    /// since the index was written changed (documents, their codings, the attributes of
    /// their participants, memos, code descriptions) and drops what they removed. Takes
    /// the folder's lock; if another process changed the index meanwhile, starts from
    /// what it wrote. If the folder can no longer be written, goes on in memory.
    pub fn update(&mut self, project: &Project, progress: &mut dyn FnMut(Progress)) -> Result<UpdateReport> {
        let (counter, point) = position(project)?;
        if self.stamp.is_at(&point) {
            self.stamp.change_counter = counter;
            return Ok(nothing_done(self));
        }
        let Some(dir) = self.dir.clone() else {
            return if history_continues(project, &self.stamp, &point)? {
                self.catch_up(project, progress)
            } else {
                self.rebuild(project, progress)
            };
        };
        let project_id = self.stamp.project_id.clone();
        let lock = match UpdateLock::exclusive(&dir, self.wait) {
            Ok(lock) => lock,
            Err(Refused::CannotWrite(why)) => return self.go_on_unwritable(&dir, project, progress, &why),
            Err(Refused::Failed(e)) => return Err(e),
        };
        let on_disk: Option<StampHeader> = folder::read_stamp(&dir).and_then(|s| serde_json::from_str(&s).ok());
        if on_disk.as_ref() != Some(&self.stamp.header()) || !history_continues(project, &self.stamp, &point)? {
            let (fresh, report) = Self::under_lock(&dir, project, &project_id, progress, self.wait, &lock)?;
            *self = fresh;
            return Ok(report);
        }
        match folder::writable(&dir) {
            Ok(()) => self.catch_up(project, progress),
            Err(Refused::CannotWrite(why)) => self.go_on_unwritable(&dir, project, progress, &why),
            Err(Refused::Failed(e)) => Err(e),
        }
    }

    fn go_on_unwritable(
        &mut self,
        dir: &Path,
        project: &Project,
        progress: &mut dyn FnMut(Progress),
        why: &str,
    ) -> Result<UpdateReport> {
        let current = std::mem::replace(self, Self::memory(project)?);
        let (fresh, report) = Self::unwritable(dir, project, Some(current), progress, why)?;
        *self = fresh;
        Ok(report)
    }

    /// Indexes again what changed since the stamp's log entry, then writes the stamp.
    fn catch_up(&mut self, project: &Project, progress: &mut dyn FnMut(Progress)) -> Result<UpdateReport> {
        let counter = project.change_counter()?;
        let changes = project.changes_since(self.stamp.log_seq)?;
        let mut stamp = self.stamp.clone();
        let plan = Plan::read(project, &mut stamp.catalog, &changes)?;
        let mut report = UpdateReport::default();
        if plan.writes_index() {
            report = build::write_plan(self, project, &mut stamp, &plan, progress)?;
        }
        stamp.catalog.finish();
        stamp.log_seq = changes.through_seq;
        stamp.log_id = project.operation_id(changes.through_seq)?;
        stamp.change_counter = counter;
        self.save_stamp(stamp)?;
        report.documents = self.document_count();
        Ok(report)
    }

    /// Indexes the whole project into an empty index (or one that is cleared first).
    fn rebuild(&mut self, project: &Project, progress: &mut dyn FnMut(Progress)) -> Result<UpdateReport> {
        // Where the project is first: whatever is written after it is indexed again next time.
        let (counter, point) = position(project)?;
        let mut stamp = Stamp::new(self.stamp.project_id.clone());
        let mut report = build::write_all(self, project, &mut stamp, progress)?;
        stamp.catalog.finish();
        stamp.log_seq = point.0;
        stamp.log_id = point.1;
        stamp.change_counter = counter;
        self.save_stamp(stamp)?;
        report.documents = self.document_count();
        if report.rebuilt_because.is_none() {
            report.rebuilt_because = Some("the index was built from nothing".into());
        }
        Ok(report)
    }

    /// Writes the stamp, and before it the catalog when that changed (a new generation,
    /// so that the stamp on disk names a whole catalog at every moment); then deletes
    /// the catalogs no stamp names any more.
    fn save_stamp(&mut self, mut stamp: Stamp) -> Result<()> {
        if let Some(dir) = &self.dir {
            let kept = self.stamp.catalog_file.clone().filter(|_| stamp.catalog.same_as(&self.stamp.catalog));
            let written = match kept {
                Some(name) => {
                    stamp.catalog_file = Some(name);
                    false
                }
                None if stamp.catalog.same_as(&Default::default()) => {
                    stamp.catalog_file = None;
                    true
                }
                None => {
                    let last = self.stamp.catalog_file.as_deref().and_then(folder::catalog_generation);
                    let n = last.map_or(1, |n| n.saturating_add(1));
                    folder::write_catalog(dir, n, &stamp.catalog.to_file()?)?;
                    stamp.catalog_file = Some(folder::catalog_file(n));
                    true
                }
            };
            folder::write_stamp(dir, &serde_json::to_string(&stamp)?)?;
            if written {
                folder::drop_other_catalogs(dir, stamp.catalog_file.as_deref().unwrap_or(""))?;
            }
        }
        self.stamp = stamp;
        Ok(())
    }

    /// A writer on the index: on disk through a directory that may write (the caller
    /// holds the folder's lock), in memory on the index itself. `documents` is about how
    /// many documents it will index: a few get one thread and a small memory budget, a
    /// whole project every core.
    pub(super) fn writer(&self, documents: usize) -> Result<tantivy::IndexWriter<tantivy::TantivyDocument>> {
        let here = self.here();
        let index = match &self.dir {
            Some(dir) => {
                let index = tantivy::Index::open_in_dir(dir).map_err(|e| index_error(dir, e))?;
                register(&index);
                index
            }
            None => self.index.clone(),
        };
        let (threads, budget) = if documents <= 32 {
            (1, 32_000_000)
        } else {
            let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4);
            (cores, 192_000_000 * cores)
        };
        index.writer_with_num_threads(threads, budget).map_err(|e| index_error(&here, e))
    }

    /// Reloads the reader after a commit.
    pub(super) fn reload(&self) -> Result<()> {
        self.reader.reload().map_err(|e| self.error(e))
    }
}
