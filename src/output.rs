//! Output files: every file Codeloom writes for the user (reports, exports, CSVs, codebook
//! files, coders' copies, new projects from another tool's file) goes through this module.
//!
//! A file is written whole or not at all. It is written into a temporary file in the
//! target's folder (on Linux an unnamed one, so that even a killed process leaves nothing
//! behind), flushed to disk, renamed over the target, and the folder is flushed. Before
//! anything is written, a target that could lose a project is refused with the reason: the
//! open project's file, its `-wal`, `-shm` and `-journal` files and anything inside its
//! search-index folder (under any name: symbolic and hard links are caught too), any
//! existing SQLite database (every Codeloom project is one) and the side files of one,
//! anything that is not a regular file (a folder, a device such as `/dev/null`, a named
//! pipe, a socket), and a folder that does not exist. A replaced file keeps its permission
//! bits; a new one gets `0o666` less the umask, like any file a program creates.
//!
//! New project files ([`create_new`]) are built in a scratch folder beside the target and
//! moved into place only when complete, never over an existing file.
//!
//! This module writes files and nothing else: it never opens a project.

use crate::error::{Error, Result};
use std::fs::{self, File, Metadata};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The first 16 bytes of every SQLite database, so of every Codeloom project.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The files SQLite keeps beside a database while it is open or after a crash.
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// What the search index folder beside a project adds to the project's file name
/// (see `search::index_dir`).
const INDEX_SUFFIX: &str = ".search";

/// The prefix of the temporary files and folders this module makes beside a target.
const SCRATCH_PREFIX: &str = ".codeloom-";

/// The projects an output must never replace or damage, besides any SQLite database,
/// which is refused whatever this holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protect {
    projects: Vec<PathBuf>,
}

impl Protect {
    /// No open project: existing SQLite databases (so every project file) and their side
    /// files are still refused.
    pub fn none() -> Protect {
        Protect::default()
    }

    /// The project at `path` (its file, side files and search index) and any database.
    pub fn project(path: &Path) -> Protect {
        Protect { projects: vec![path.to_path_buf()] }
    }

    /// This protection and also the project at `path`.
    pub fn and(mut self, path: &Path) -> Protect {
        self.projects.push(path.to_path_buf());
        self
    }
}

/// Writes `bytes` to `path` whole or not at all, refusing targets that could lose a
/// project (see the module documentation). Errors name `path` and the reason.
pub fn write_bytes(path: &Path, bytes: &[u8], protect: &Protect) -> Result<()> {
    write_streamed(path, protect, |out| out.write_all(bytes).map_err(|e| write_error(path, e)))
}

/// Writes `path` whole or not at all with `write`, which writes the contents into the
/// buffered temporary file it is given (which can also seek, for zip files). `write`'s own
/// errors come back unchanged and leave no file behind; use [`write_error`] to name the
/// path in them. The checks of [`write_bytes`] happen before `write` runs and again just
/// before the rename.
pub fn write_streamed<T, E, F>(path: &Path, protect: &Protect, write: F) -> std::result::Result<T, E>
where
    E: From<Error>,
    F: FnOnce(&mut BufWriter<File>) -> std::result::Result<T, E>,
{
    write_staged(path, protect, true, write)
}

/// [`write_streamed`], with an unnamed temporary file where `unnamed` and the system allows.
fn write_staged<T, E, F>(path: &Path, protect: &Protect, unnamed: bool, write: F) -> std::result::Result<T, E>
where
    E: From<Error>,
    F: FnOnce(&mut BufWriter<File>) -> std::result::Result<T, E>,
{
    let target = resolve(path)?;
    check(path, &target, protect)?;
    let staged = Staged::create(path, &target, unnamed)?;
    let mut out = BufWriter::with_capacity(1 << 16, staged.file);
    let value = write(&mut out)?;
    let file = out.into_inner().map_err(|e| write_error(path, e.error()))?;
    file.sync_all().map_err(|e| write_error(path, e))?;
    // The target may have changed during a long write: check it again, as it is now.
    let again = resolve(path)?;
    if again.real != target.real {
        return Err(fail(path, "it changed while the file was being written; nothing was replaced".into()).into());
    }
    check(path, &again, protect)?;
    Staged { file, name: staged.name }.commit(path, &target)?;
    sync_folder(path, &target.folder)?;
    Ok(value)
}

/// An error writing `path`, naming it: for the closures given to [`write_streamed`].
pub fn write_error(path: &Path, e: impl std::fmt::Display) -> Error {
    fail(path, format!("cannot write the file: {e}"))
}

/// Checks, without writing anything, that `path` may be written by [`write_bytes`] with
/// `protect`: for a user interface to say so before a long computation.
pub fn check_target(path: &Path, protect: &Protect) -> Result<()> {
    let target = resolve(path)?;
    check(path, &target, protect)
}

/// Creates the new file `path`, which must not exist, with `build`: it is given a path in
/// a scratch folder beside `path` to create the file at (a new project, say) and must
/// have closed it when it returns. The file is moved to `path` only if `build` succeeds
/// and nothing has appeared at `path` meanwhile (an atomic no-clobber rename); otherwise
/// nothing is left behind. Names that belong to a project (its side files, its search
/// index, or those of `protect`) are refused as by [`write_bytes`].
pub fn create_new<T, E, F>(path: &Path, protect: &Protect, build: F) -> std::result::Result<T, E>
where
    E: From<Error>,
    F: FnOnce(&Path) -> std::result::Result<T, E>,
{
    if fs::symlink_metadata(path).is_ok() {
        return Err(fail(path, "a file already exists there; choose another name".into()).into());
    }
    let target = resolve(path)?;
    check(path, &target, protect)?;
    let folder = target.folder;
    let name = target.real.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    let scratch = tempfile::Builder::new()
        .prefix(&format!("{SCRATCH_PREFIX}new-"))
        .tempdir_in(&folder)
        .map_err(|e| cannot_create(path, &folder, e))?;
    let staged = scratch.path().join(&name);
    let value = build(&staged)?;
    for suffix in ["-wal", "-journal"] {
        if fs::metadata(with_suffix(&staged, suffix)).is_ok_and(|m| m.len() > 0) {
            return Err(
                fail(path, "the new file was still open when it was finished; nothing was created".into()).into()
            );
        }
    }
    File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(|e| fail(path, format!("the new file was not made: {e}")))?;
    rename_no_clobber(&staged, &folder.join(&name)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            fail(path, "a file appeared there meanwhile; it was left alone and nothing was created".into())
        } else {
            fail(path, format!("cannot put the new file in place: {e}"))
        }
    })?;
    sync_folder(path, &folder)?;
    let leftover = scratch.path().to_path_buf();
    scratch.close().map_err(|e| {
        fail(path, format!("created, but the scratch folder {} could not be removed: {e}", leftover.display()))
    })?;
    Ok(value)
}

fn fail(path: &Path, message: String) -> Error {
    Error::ExportFile { path: path.to_path_buf(), message }
}

/// A temporary file or folder cannot be made in `folder`: the system's reason alone, as
/// tempfile adds the name of a file that was never made.
fn cannot_create(path: &Path, folder: &Path, e: std::io::Error) -> Error {
    let text = e.to_string();
    let reason = text.split(" at path \"").next().unwrap_or(&text);
    fail(path, format!("cannot create a file in the folder {}: {reason}", folder.display()))
}

fn refused(path: &Path, reason: String) -> Error {
    fail(path, format!("refused to write there: {reason}; nothing was changed"))
}

/// Where an output really goes.
struct Target {
    /// The canonical folder joined with the file name (symbolic links followed).
    real: PathBuf,
    /// The canonical folder.
    folder: PathBuf,
    /// What is there now, if anything (symbolic links followed).
    existing: Option<Metadata>,
}

/// The canonical folder of `path` and its file name; the folder must exist.
fn folder_and_name(path: &Path) -> Result<(PathBuf, std::ffi::OsString)> {
    let name = path.file_name().ok_or_else(|| fail(path, "this names no file; give a file name".into()))?;
    let folder = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let real = fs::canonicalize(folder).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail(path, format!("the folder {} does not exist", folder.display())),
        _ => fail(path, format!("cannot reach the folder {}: {e}", folder.display())),
    })?;
    if !real.is_dir() {
        return Err(fail(path, format!("{} is not a folder", folder.display())));
    }
    Ok((real, name.to_os_string()))
}

fn resolve(path: &Path) -> Result<Target> {
    let link = match fs::symlink_metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(path, format!("cannot look at it: {e}"))),
    };
    let (real, folder) = if link.as_ref().is_some_and(|m| m.file_type().is_symlink()) {
        let real = fs::canonicalize(path)
            .map_err(|e| refused(path, format!("it is a symbolic link to something that cannot be reached ({e})")))?;
        let folder = real.parent().map(Path::to_path_buf).unwrap_or_else(|| real.clone());
        (real, folder)
    } else {
        let (folder, name) = folder_and_name(path)?;
        (folder.join(name), folder)
    };
    let existing = match fs::metadata(&real) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(path, format!("cannot look at it: {e}"))),
    };
    Ok(Target { real, folder, existing })
}

/// Refuses `target` (the user's `path`) if writing it could lose a project.
fn check(path: &Path, target: &Target, protect: &Protect) -> Result<()> {
    for project in &protect.projects {
        check_project(path, target, project)?;
    }
    check_other_projects(path, target)?;
    let Some(meta) = &target.existing else { return Ok(()) };
    if !meta.is_file() {
        return Err(refused(path, format!("it is {}, not a regular file", kind(meta))));
    }
    if is_database(&target.real)
        .map_err(|e| refused(path, format!("it cannot be read to make sure it is not a project ({e})")))?
    {
        return Err(refused(
            path,
            "it is a SQLite database, perhaps a Codeloom project, and an output never replaces one".into(),
        ));
    }
    Ok(())
}

/// Refuses the project file `project`, its side files and its search index, by path and
/// (for links) by identity.
fn check_project(path: &Path, target: &Target, project: &Path) -> Result<()> {
    let real = fs::canonicalize(project).unwrap_or_else(|_| std::path::absolute(project).unwrap_or_default());
    let shown = project.display();
    let mut guarded = vec![(real.clone(), format!("it is the project file {shown}"))];
    for suffix in SIDE_FILES {
        guarded.push((with_suffix(&real, suffix), format!("it is the project {shown}'s file {suffix}")));
    }
    for (file, reason) in &guarded {
        let same_place = target.real == *file;
        let same_file = match (&target.existing, fs::metadata(file)) {
            (Some(t), Ok(f)) => same_inode(t, &f),
            _ => false,
        };
        if same_place || same_file {
            let reason = if same_place { reason.clone() } else { format!("{reason} (under another name)") };
            return Err(refused(path, reason));
        }
    }
    let index = with_suffix(&real, INDEX_SUFFIX);
    let index_real = fs::canonicalize(&index).unwrap_or_else(|_| index.clone());
    if target.real.starts_with(&index) || target.real.starts_with(&index_real) {
        return Err(refused(path, format!("it is inside the search index of the project {shown}")));
    }
    Ok(())
}

/// Refuses a side file or a search-index file of any SQLite database, open or not.
fn check_other_projects(path: &Path, target: &Target) -> Result<()> {
    let name = target.real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for suffix in SIDE_FILES {
        if let Some(base) = name.strip_suffix(suffix)
            && !base.is_empty()
            && is_database(&target.real.with_file_name(base)).unwrap_or(false)
        {
            return Err(refused(path, format!("it is the {suffix} file of the database {base}")));
        }
    }
    for folder in target.real.ancestors().skip(1) {
        let name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(base) = name.strip_suffix(INDEX_SUFFIX)
            && !base.is_empty()
            && is_database(&folder.with_file_name(base)).unwrap_or(false)
        {
            return Err(refused(path, format!("it is inside the search index of the project {base}")));
        }
    }
    Ok(())
}

/// Whether the regular file at `path` starts like a SQLite database (false if missing or
/// not a regular file).
fn is_database(path: &Path) -> std::io::Result<bool> {
    if !fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Ok(false);
    }
    let mut head = Vec::with_capacity(SQLITE_HEADER.len());
    File::open(path)?.take(SQLITE_HEADER.len() as u64).read_to_end(&mut head)?;
    Ok(head == SQLITE_HEADER)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// What a non-regular file is, in words.
fn kind(meta: &Metadata) -> &'static str {
    if meta.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_char_device() {
            return "a character device (such as /dev/null)";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "something other than a file"
}

#[cfg(unix)]
fn same_inode(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_: &Metadata, _: &Metadata) -> bool {
    false
}

/// The temporary file an output is written into: unnamed (`name` is `None`, Linux) or a
/// named one removed when dropped.
struct Staged {
    file: File,
    name: Option<tempfile::TempPath>,
}

impl Staged {
    fn create(path: &Path, target: &Target, unnamed: bool) -> Result<Staged> {
        let folder = &target.folder;
        let cannot = |e: std::io::Error| cannot_create(path, folder, e);
        let staged = match unnamed.then(|| unnamed_file_in(folder)).flatten() {
            Some(file) => Staged { file, name: None },
            None => {
                let mut builder = tempfile::Builder::new();
                builder.prefix(SCRATCH_PREFIX).suffix(".tmp");
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    builder.permissions(fs::Permissions::from_mode(0o666));
                }
                let (file, name) = builder.tempfile_in(folder).map_err(cannot)?.into_parts();
                Staged { file, name: Some(name) }
            }
        };
        #[cfg(unix)]
        if let Some(meta) = &target.existing {
            use std::os::unix::fs::PermissionsExt;
            let bits = meta.permissions().mode() & 0o777;
            staged
                .file
                .set_permissions(fs::Permissions::from_mode(bits))
                .map_err(|e| fail(path, format!("cannot give the new file the old one's permissions: {e}")))?;
        }
        Ok(staged)
    }

    /// Renames the finished file over the target.
    fn commit(self, path: &Path, target: &Target) -> Result<()> {
        let cannot = |e: &dyn std::fmt::Display| fail(path, format!("cannot put the file in place: {e}"));
        match self.name {
            Some(name) => name.persist(&target.real).map_err(|e| cannot(&e.error)),
            None => {
                let name = link_unnamed(&self.file, &target.folder).map_err(|e| cannot(&e))?;
                fs::rename(&name, &target.real).map_err(|e| match fs::remove_file(&name) {
                    Ok(()) => cannot(&e),
                    Err(e2) => cannot(&format!("{e}; the temporary file {} remains ({e2})", name.display())),
                })
            }
        }
    }
}

/// An unnamed file in `folder` (Linux `O_TMPFILE`), created `0o666` less the umask; `None`
/// where the system or file system cannot make one, or cannot give it a name later.
#[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
fn unnamed_file_in(folder: &Path) -> Option<File> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::FromRawFd;
    if !Path::new("/proc/self/fd").is_dir() {
        return None;
    }
    let c = std::ffi::CString::new(folder.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path; the descriptor returned is owned by the
    // `File` made from it and by nothing else.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC, 0o666 as libc::c_uint) };
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` is a fresh, open descriptor that nothing else owns.
    Some(unsafe { File::from_raw_fd(fd) })
}

#[cfg(not(all(target_os = "linux", any(target_env = "gnu", target_env = "musl"))))]
fn unnamed_file_in(_folder: &Path) -> Option<File> {
    None
}

/// Gives the unnamed `file` a fresh temporary name in `folder` and returns it.
#[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
fn link_unnamed(file: &File, folder: &Path) -> std::io::Result<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::AsRawFd;
    let source =
        std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).map_err(std::io::Error::other)?;
    let mut last = std::io::Error::other("no free temporary name");
    for _ in 0..16 {
        let name = folder.join(format!("{SCRATCH_PREFIX}{}.tmp", uuid::Uuid::new_v4().simple()));
        let c = std::ffi::CString::new(name.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
        // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
        let r = unsafe {
            libc::linkat(libc::AT_FDCWD, source.as_ptr(), libc::AT_FDCWD, c.as_ptr(), libc::AT_SYMLINK_FOLLOW)
        };
        if r == 0 {
            return Ok(name);
        }
        last = std::io::Error::last_os_error();
        if last.kind() != std::io::ErrorKind::AlreadyExists {
            break;
        }
    }
    Err(last)
}

#[cfg(not(all(target_os = "linux", any(target_env = "gnu", target_env = "musl"))))]
fn link_unnamed(_file: &File, _folder: &Path) -> std::io::Result<PathBuf> {
    Err(std::io::Error::other("unnamed files are not supported here"))
}

/// Renames `from` to `to` unless something exists at `to` (then `AlreadyExists`), atomically.
#[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
fn rename_no_clobber(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let f = std::ffi::CString::new(from.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    let t = std::ffi::CString::new(to.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let r = unsafe { libc::renameat2(libc::AT_FDCWD, f.as_ptr(), libc::AT_FDCWD, t.as_ptr(), libc::RENAME_NOREPLACE) };
    if r == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        // The file system or kernel has no RENAME_NOREPLACE.
        Some(libc::EINVAL | libc::ENOSYS) => link_then_unlink(from, to),
        _ => Err(e),
    }
}

#[cfg(not(all(target_os = "linux", any(target_env = "gnu", target_env = "musl"))))]
fn rename_no_clobber(from: &Path, to: &Path) -> std::io::Result<()> {
    link_then_unlink(from, to)
}

/// A no-clobber rename where the system has none: a hard link fails if `to` exists.
fn link_then_unlink(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::hard_link(from, to)?;
    fs::remove_file(from)
}

/// Flushes a folder's entries (the rename) to disk.
fn sync_folder(path: &Path, folder: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(folder).and_then(|f| f.sync_all()).map_err(|e| {
        fail(path, format!("written, but the folder {} could not be flushed to disk: {e}", folder.display()))
    })?;
    #[cfg(not(unix))]
    let _ = (path, folder);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests;
