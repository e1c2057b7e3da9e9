//! The index folder on disk: whose it is, the lock that lets one process at a time
//! change it, clearing it for a rebuild, and opening it for reading without writing a
//! byte.
//!
//! A folder is Codeloom's when it holds the stamp file ([`STAMP_FILE`]); Codeloom writes
//! the stamp before anything else in a new folder and deletes it last when it clears
//! one, so a folder it made is never left without it. A folder with nothing in it but
//! the lock file (and, for a moment, a stamp being written) is free to use. Anything
//! else at the index's name (a file, a link to nothing, a folder of someone's own
//! files) is reported and never touched.
//!
//! Updates take an exclusive `flock` on [`LOCK_FILE`] inside the folder; readers take a
//! shared one while they open the index, so they never see an update half done. Both
//! wait a bounded time. Readers open the index through [`ReadOnlyDirectory`], which
//! refuses every write and takes no tantivy lock files, so an up-to-date index is
//! searched in a folder that cannot be written.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};

/// The stamp: what the index holds (schema version, project, log entry, and the name of
/// its catalog file).
pub const STAMP_FILE: &str = "codeloom-stamp.json";

/// The file updaters lock; it stays in the folder.
pub const LOCK_FILE: &str = "codeloom-update.lock";

/// A stamp being written.
const STAMP_TMP: &str = "codeloom-stamp.json.tmp";

/// The start of the names of the catalog files (`codeloom-catalog-N.json`): what the
/// index knows of the project besides its words, written only when that changes.
const CATALOG_PREFIX: &str = "codeloom-catalog-";

/// A catalog being written.
const CATALOG_TMP: &str = "codeloom-catalog.json.tmp";

/// The start of the name of the file that checks whether the folder can be written.
const PROBE: &str = ".codeloom-probe";

/// How long to wait for another process to finish updating the index.
pub const LOCK_WAIT: Duration = Duration::from_secs(300);

/// What is at the index folder's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// Nothing.
    Missing,
    /// A folder with Codeloom's stamp.
    Ours,
    /// A folder holding nothing, or only the lock file.
    Free,
}

fn not_ours(dir: &Path, reason: &str) -> Error {
    Error::NotSearchIndex { path: dir.to_path_buf(), reason: reason.to_string() }
}

pub fn io_error(dir: &Path, what: &str, e: io::Error) -> Error {
    Error::SearchIndex { path: dir.to_path_buf(), message: format!("{what}: {e}") }
}

/// Says what is at `dir`; anything Codeloom may not use is an error naming it.
pub fn inspect(dir: &Path) -> Result<Folder> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Folder::Missing),
        Err(e) => return Err(io_error(dir, "cannot look at the index folder", e)),
    };
    if meta.is_symlink() {
        match std::fs::metadata(dir) {
            Ok(target) if target.is_dir() => {}
            Ok(_) => return Err(not_ours(dir, "it is a link to a file")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_ours(dir, "it is a link to nothing")),
            Err(e) => return Err(io_error(dir, "cannot follow the link at the index folder", e)),
        }
    } else if !meta.is_dir() {
        return Err(not_ours(dir, "it is a file, not a folder"));
    }
    if dir.join(STAMP_FILE).is_file() {
        return Ok(Folder::Ours);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, "cannot list the index folder", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, "cannot list the index folder", e))?;
        if !housekeeping(&entry.file_name().to_string_lossy()) {
            return Err(not_ours(dir, &format!("it is a folder without {STAMP_FILE} that holds other files")));
        }
    }
    Ok(Folder::Free)
}

/// The files Codeloom has in a folder before it is stamped: the lock file, and for a
/// moment a new stamp being written or the probe of [`writable`].
fn housekeeping(name: &str) -> bool {
    name == LOCK_FILE || name == STAMP_TMP || name.starts_with(PROBE)
}

/// Deletes everything in a folder of Codeloom's except the lock file, the stamp last,
/// so that an interrupted clearing leaves a folder that is still known as Codeloom's.
pub fn clear(dir: &Path) -> Result<()> {
    if inspect(dir)? == Folder::Missing {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, "cannot list the index folder", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, "cannot list the index folder", e))?;
        let name = entry.file_name();
        if name == LOCK_FILE || name == STAMP_FILE {
            continue;
        }
        let path = entry.path();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        let removed = if is_dir { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(dir, &format!("cannot delete {}", path.display()), e)),
        }
    }
    match std::fs::remove_file(dir.join(STAMP_FILE)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(dir, "cannot delete the index stamp", e)),
    }
}

/// Why an exclusive lock was not taken.
#[derive(Debug)]
pub enum Refused {
    /// The folder cannot be created or written (read-only, immutable, no permission).
    CannotWrite(String),
    Failed(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Refused::Failed(e)
    }
}

/// A held lock on the index folder, released when dropped.
#[derive(Debug)]
pub struct UpdateLock {
    _file: Option<File>,
}

fn cannot_write(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem)
}

impl UpdateLock {
    /// The lock updaters take: creates the folder when it is missing and waits up to
    /// `wait` for other updaters and readers. The lock file may be writable in a folder
    /// that is not: see [`writable`] before writing.
    pub fn exclusive(dir: &Path, wait: Duration) -> std::result::Result<UpdateLock, Refused> {
        if inspect(dir)? == Folder::Missing {
            match std::fs::create_dir(dir) {
                Ok(()) => {}
                // Another process made it first; what it made is checked below.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) if cannot_write(&e) => return Err(Refused::CannotWrite(e.kind().to_string())),
                Err(e) => return Err(io_error(dir, "cannot create the index folder", e).into()),
            }
            inspect(dir)?;
        }
        let path = dir.join(LOCK_FILE);
        let file = match OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path) {
            Ok(f) => f,
            Err(e) if cannot_write(&e) => return Err(Refused::CannotWrite(e.kind().to_string())),
            Err(e) => return Err(io_error(dir, "cannot create the index lock file", e).into()),
        };
        Ok(Self::wait(dir, file, wait, true)?)
    }

    /// The lock readers take while they open the index, so that no update is half done
    /// under them. `None` when the folder has no lock file (an index written before
    /// there was one) or it cannot be opened: then nothing is updating with a lock either.
    pub fn shared(dir: &Path, wait: Duration) -> Result<Option<UpdateLock>> {
        match File::open(dir.join(LOCK_FILE)) {
            Ok(file) => Self::wait(dir, file, wait, false).map(Some),
            Err(_) => Ok(None),
        }
    }

    fn wait(dir: &Path, file: File, wait: Duration, exclusive: bool) -> Result<UpdateLock> {
        let until = Instant::now() + wait;
        loop {
            let attempt = if exclusive { file.try_lock() } else { file.try_lock_shared() };
            match attempt {
                Ok(()) => return Ok(UpdateLock { _file: Some(file) }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                // A file system without locks: tantivy's own writer lock still keeps two
                // writers apart.
                Err(std::fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {
                    return Ok(UpdateLock { _file: None });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_error(dir, "cannot lock the index folder", e)),
            }
            if Instant::now() >= until {
                return Err(Error::SearchIndex {
                    path: dir.to_path_buf(),
                    message: format!(
                        "another Codeloom has been updating this index for more than {}; try again when it has finished",
                        if wait.as_secs() > 0 {
                            format!("{} s", wait.as_secs())
                        } else {
                            format!("{} ms", wait.as_millis())
                        }
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// An index folder opened for reading only: writes fail, and tantivy's lock files are
/// neither created nor taken (the shared [`UpdateLock`] does their job).
#[derive(Debug, Clone)]
pub struct ReadOnlyDirectory(MmapDirectory);

impl ReadOnlyDirectory {
    pub fn open(dir: &Path) -> std::result::Result<ReadOnlyDirectory, String> {
        MmapDirectory::open(dir).map(ReadOnlyDirectory).map_err(|e| e.to_string())
    }
}

fn read_only(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::ReadOnlyFilesystem, format!("{} is opened for reading only", path.display()))
}

impl Directory for ReadOnlyDirectory {
    fn get_file_handle(&self, path: &Path) -> std::result::Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> std::result::Result<(), DeleteError> {
        Err(DeleteError::IoError { io_error: Arc::new(read_only(path)), filepath: path.to_path_buf() })
    }

    fn exists(&self, path: &Path) -> std::result::Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> std::result::Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::wrap_io_error(read_only(path), path.to_path_buf()))
    }

    fn atomic_read(&self, path: &Path) -> std::result::Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(read_only(path))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> std::result::Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(watch_callback)
    }
}

/// The largest stamp or catalog file read (a catalog of 10,000 documents is about 1 MB):
/// a larger one is taken for damaged rather than read into memory.
const MOST_BYTES: u64 = 512 << 20;

/// A file's text, if it can be read and is not larger than `most` bytes ([`MOST_BYTES`]).
fn read_bounded(path: &Path, most: u64) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    File::open(path).ok()?.take(most + 1).read_to_string(&mut text).ok()?;
    (text.len() as u64 <= most).then_some(text)
}

/// The folder's stamp text, if it has one that can be read.
pub fn read_stamp(dir: &Path) -> Option<String> {
    read_bounded(&dir.join(STAMP_FILE), MOST_BYTES)
}

/// Writes the stamp through a temporary file, so it is never seen half written.
pub fn write_stamp(dir: &Path, body: &str) -> Result<()> {
    write_through(dir, STAMP_TMP, STAMP_FILE, body, "cannot write the index stamp")
}

/// Writes `name` in the folder through the temporary file `tmp`, renamed over it.
fn write_through(dir: &Path, tmp: &str, name: &str, body: &str, what: &str) -> Result<()> {
    let tmp: PathBuf = dir.join(tmp);
    std::fs::write(&tmp, body).map_err(|e| io_error(dir, what, e))?;
    std::fs::rename(&tmp, dir.join(name)).map_err(|e| io_error(dir, what, e))
}

/// The name of the catalog file of generation `n`.
pub fn catalog_file(n: u64) -> String {
    format!("{CATALOG_PREFIX}{n}.json")
}

/// The generation of a catalog file's name; `None` for any other name (so a stamp can
/// name no file outside the folder, nor one that is not a catalog).
pub fn catalog_generation(name: &str) -> Option<u64> {
    let n = name.strip_prefix(CATALOG_PREFIX)?.strip_suffix(".json")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// A catalog file's text, if the name is a catalog's and the file can be read.
pub fn read_catalog(dir: &Path, name: &str) -> Option<String> {
    catalog_generation(name)?;
    read_bounded(&dir.join(name), MOST_BYTES)
}

/// Writes catalog generation `n` through a temporary file. The stamp that names it is
/// written after it, so a reader never finds a stamp naming a catalog not yet there.
pub fn write_catalog(dir: &Path, n: u64, body: &str) -> Result<()> {
    write_through(dir, CATALOG_TMP, &catalog_file(n), body, "cannot write the index catalog")
}

/// Deletes every catalog file but `keep` (older generations, and one an update that
/// was stopped wrote without naming it in a stamp). Called holding the update lock.
pub fn drop_other_catalogs(dir: &Path, keep: &str) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, "cannot list the index folder", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, "cannot list the index folder", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != keep && (catalog_generation(&name).is_some() || name == CATALOG_TMP) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(dir, &format!("cannot delete {}", entry.path().display()), e)),
            }
        }
    }
    Ok(())
}

/// Whether files can be written in the folder: tried with a file that is deleted at once.
pub fn writable(dir: &Path) -> std::result::Result<(), Refused> {
    match tempfile::Builder::new().prefix(PROBE).tempfile_in(dir) {
        Ok(_) => Ok(()),
        Err(e) if cannot_write(&e) => Err(Refused::CannotWrite(e.kind().to_string())),
        Err(e) => Err(io_error(dir, "cannot write in the index folder", e).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn housekeeping_files_leave_a_folder_free_and_anything_else_makes_it_foreign() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("s.codeloom.search");
        assert_eq!(inspect(&index).unwrap(), Folder::Missing);
        std::fs::create_dir(&index).unwrap();
        assert_eq!(inspect(&index).unwrap(), Folder::Free);
        for name in [LOCK_FILE, STAMP_TMP, ".codeloom-probeXYZ"] {
            std::fs::write(index.join(name), "").unwrap();
        }
        assert_eq!(inspect(&index).unwrap(), Folder::Free);
        std::fs::write(index.join("notes.txt"), "mine").unwrap();
        let e = inspect(&index).unwrap_err().to_string();
        assert!(e.contains(&index.display().to_string()) && e.contains("without codeloom-stamp.json"), "{e}");
        std::fs::write(index.join(STAMP_FILE), "{}").unwrap();
        assert_eq!(inspect(&index).unwrap(), Folder::Ours);
    }

    #[test]
    fn only_catalog_names_are_catalogs_and_updates_delete_the_others() {
        assert_eq!(catalog_generation(&catalog_file(12)), Some(12));
        for name in [
            "codeloom-catalog-.json",
            "codeloom-catalog-+1.json",
            "codeloom-catalog-1.json.tmp",
            "../codeloom-catalog-1.json",
            "codeloom-catalog-1/../../x.json",
            "codeloom-catalog-99999999999999999999999.json",
            CATALOG_TMP,
            STAMP_FILE,
        ] {
            assert_eq!(catalog_generation(name), None, "{name}");
        }
        let dir = tempfile::tempdir().unwrap();
        for name in [&catalog_file(1), &catalog_file(2), CATALOG_TMP, STAMP_FILE, LOCK_FILE, "meta.json"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        write_catalog(dir.path(), 3, "{}").unwrap();
        drop_other_catalogs(dir.path(), &catalog_file(3)).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["codeloom-catalog-3.json", STAMP_FILE, LOCK_FILE, "meta.json"]);
        assert_eq!(read_catalog(dir.path(), &catalog_file(3)).as_deref(), Some("{}"));
        assert_eq!(read_catalog(dir.path(), "meta.json"), None);
        // A file past the bound is not read.
        let big = dir.path().join("big");
        std::fs::write(&big, "0123456789").unwrap();
        assert_eq!(read_bounded(&big, 10).as_deref(), Some("0123456789"));
        assert_eq!(read_bounded(&big, 9), None);
    }

    #[test]
    fn clearing_keeps_the_lock_and_never_follows_links() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("s.codeloom.search");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(index.join("sub")).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep.txt"), "keep").unwrap();
        for name in [LOCK_FILE, STAMP_FILE, "meta.json", "sub/x.idx"] {
            std::fs::write(index.join(name), "x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, index.join("link")).unwrap();
        clear(&index).unwrap();
        let left: Vec<String> =
            std::fs::read_dir(&index).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(left, [LOCK_FILE]);
        assert_eq!(std::fs::read_to_string(outside.join("keep.txt")).unwrap(), "keep");
        assert_eq!(inspect(&index).unwrap(), Folder::Free);
    }

    #[test]
    fn a_read_only_directory_refuses_every_write() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "a").unwrap();
        let d = ReadOnlyDirectory::open(dir.path()).unwrap();
        assert!(d.atomic_write(Path::new("b"), b"b").is_err());
        assert!(d.open_write(Path::new("b")).is_err());
        assert!(d.delete(Path::new("a")).is_err());
        assert!(d.acquire_lock(&Lock { filepath: PathBuf::from(".tantivy-meta.lock"), is_blocking: true }).is_ok());
        assert_eq!(d.atomic_read(Path::new("a")).unwrap(), b"a");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no file was made");
    }
}
