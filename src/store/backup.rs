//! Backups of a project file: whole copies made with SQLite's online backup API, kept in
//! `NAME.codeloom.backups/NAME-YYYYMMDD-HHMMSS.codeloom` beside the project (UTC times),
//! the newest N kept (the project setting [`KEEP_SETTING`], default [`DEFAULT_KEEP`]).
//! One is made before every schema migration and when a project opened for writing was
//! last backed up more than a day ago; `codeloom backup` makes, lists and restores them.
//!
//! Invariants: a backup appears under its name only when it is complete (it is written
//! to a hidden `.partial` file, synced, then linked into place), so a killed backup
//! leaves the project and the folder sound; backups are standalone files (no `-wal`);
//! nothing here follows a symbolic link out of the folder, deletes anything but files
//! named like backups, or opens a backup for writing; a restore checks the backup, keeps
//! a backup of the current file first, and replaces the content in one transaction.

use super::{Project, now_ms, sibling};
use crate::error::{Error, Result, sqlite_message};
use crate::model::time;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The backups folder is the project's file name with this added.
pub const FOLDER_SUFFIX: &str = ".backups";
/// The `meta` key holding when the last backup was made (ms since the epoch).
pub const LAST_BACKUP_KEY: &str = "last_backup_at";
/// The project setting holding how many backups to keep.
pub const KEEP_SETTING: &str = "backups_kept";
/// How many backups are kept unless the project says otherwise.
pub const DEFAULT_KEEP: usize = 10;
const MAX_KEEP: usize = 10_000;
/// A `.partial` file older than this was left by a killed backup and is removed.
const STALE_PARTIAL: Duration = Duration::from_secs(3600);
/// The most names tried for backups made within the same second.
const MAX_SAME_SECOND: usize = 100;

/// One backup in a project's backups folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupFile {
    /// The file name, which `codeloom backup restore` takes.
    pub name: String,
    pub path: PathBuf,
    /// When it was made (from its name), ms since the epoch.
    pub made_at_ms: i64,
    pub bytes: u64,
}

/// What [`restore`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    /// The backup now in the project file.
    pub backup: PathBuf,
    /// The backup of the file as it was just before, or `None` if it could not be read
    /// as a database (then [`Restored::raw_copy`] holds its bytes).
    pub previous: Option<BackupFile>,
    /// A byte-for-byte copy of a file too damaged for SQLite to back up.
    pub raw_copy: Option<PathBuf>,
}

/// The backups folder of a project: `NAME.codeloom.backups` beside it.
pub fn backup_dir(project: &Path) -> PathBuf {
    sibling(project, FOLDER_SUFFIX)
}

fn stem_and_extension(project: &Path) -> (String, String) {
    let stem = project.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "project".into());
    let ext = project.extension().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "codeloom".into());
    (stem, ext)
}

/// When a backup named `{stem}-YYYYMMDD-HHMMSS[-N].{ext}` was made; `None` for any
/// other name.
fn made_at(name: &str, stem: &str, ext: &str) -> Option<(i64, u32)> {
    let rest = name.strip_prefix(stem)?.strip_prefix('-')?.strip_suffix(ext)?.strip_suffix('.')?;
    let (stamp, n) = match rest.len() {
        15 => (rest, 1),
        16.. => (&rest[..15], rest[15..].strip_prefix('-')?.parse().ok()?),
        _ => return None,
    };
    let b = stamp.as_bytes();
    if b[8] != b'-' || !b.iter().enumerate().all(|(i, c)| i == 8 || c.is_ascii_digit()) {
        return None;
    }
    let days = time::parse_iso_date(&format!("{}-{}-{}", &stamp[0..4], &stamp[4..6], &stamp[6..8]))?;
    let (h, m, s): (i64, i64, i64) =
        (stamp[9..11].parse().ok()?, stamp[11..13].parse().ok()?, stamp[13..15].parse().ok()?);
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(((days * 86400 + h * 3600 + m * 60 + s) * 1000, n))
}

fn folder_error(dir: &Path, message: impl Into<String>) -> Error {
    Error::Project { path: dir.to_path_buf(), message: message.into() }
}

/// Checks that the backups folder, if it exists, is a real folder and not a link.
fn check_folder(dir: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(folder_error(
            dir,
            "the backups folder is a symbolic link, which Codeloom does not follow; replace it with a real folder",
        )),
        Ok(m) if !m.is_dir() => Err(folder_error(dir, "the backups folder is not a folder; move the file away")),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(folder_error(dir, format!("cannot read the backups folder: {e}"))),
    }
}

/// The project's backups, oldest first. Only regular files named like backups count;
/// links and anything else in the folder are ignored.
pub fn list(project: &Path) -> Result<Vec<BackupFile>> {
    let dir = backup_dir(project);
    if !check_folder(&dir)? {
        return Ok(Vec::new());
    }
    let (stem, ext) = stem_and_extension(project);
    let entries = std::fs::read_dir(&dir).map_err(|e| folder_error(&dir, format!("cannot read the folder: {e}")))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| folder_error(&dir, format!("cannot read the folder: {e}")))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((made, n)) = made_at(&name, &stem, &ext) else { continue };
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else { continue };
        if meta.is_file() {
            out.push((made, n, BackupFile { name, path: entry.path(), made_at_ms: made, bytes: meta.len() }));
        }
    }
    out.sort_by_key(|a| (a.0, a.1));
    Ok(out.into_iter().map(|(_, _, b)| b).collect())
}

/// Copies every page of `from` into `to` in one step (one read transaction on the
/// source, one write transaction on the destination), waiting up to `wait` for locks.
fn copy_pages(from: &Connection, to: &mut Connection, wait: Duration) -> rusqlite::Result<()> {
    let backup = Backup::new(from, to)?;
    let started = Instant::now();
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked if started.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the database stayed locked".into()),
                ));
            }
        }
    }
}

/// Removes `.partial` files (and their journals) left by killed backups.
fn remove_stale_partials(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial = name.starts_with('.') && (name.ends_with(".partial") || name.ends_with(".partial-journal"));
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else { continue };
        let old = meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age > STALE_PARTIAL);
        if partial && old && meta.is_file() {
            // A stale leftover that cannot be removed is only clutter; the next backup tries again.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The name of a backup made at `ms`; `n` > 1 for further backups in the same second.
fn backup_name(stem: &str, ext: &str, ms: i64, n: usize) -> String {
    let t = time::format_timestamp(ms);
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let stamp = format!("{}-{}", &digits[..8], &digits[8..14]);
    if n <= 1 { format!("{stem}-{stamp}.{ext}") } else { format!("{stem}-{stamp}-{n}.{ext}") }
}

/// Writes a backup of `conn`'s database into `dir` under a new name; returns its path.
fn write_backup(conn: &Connection, project: &Path, dir: &Path, wait: Duration) -> Result<PathBuf> {
    let (stem, ext) = stem_and_extension(project);
    let now = now_ms();
    // After the newest of this second, never in a gap pruning left: names must sort in
    // the order the backups were made.
    let second = now.div_euclid(1000) * 1000;
    let first = list(project)?
        .iter()
        .filter_map(|b| made_at(&b.name, &stem, &ext))
        .filter(|(made, _)| *made == second)
        .map(|(_, n)| n as usize + 1)
        .max()
        .unwrap_or(1);
    let partial = dir.join(format!(".{}.{}.partial", backup_name(&stem, &ext, now, 1), std::process::id()));
    let fail =
        |what: &str, e: &dyn std::fmt::Display| folder_error(dir, format!("cannot write a backup ({what}: {e})"));
    std::fs::OpenOptions::new().write(true).create_new(true).open(&partial).map_err(|e| fail("create", &e))?;
    let cleanup = || {
        for suffix in ["", "-journal"] {
            let _ = std::fs::remove_file(sibling(&partial, suffix));
        }
    };
    let written = (|| -> Result<()> {
        let flags =
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let mut to = Connection::open_with_flags(&partial, flags).map_err(|e| fail("open", &sqlite_message(&e)))?;
        copy_pages(conn, &mut to, wait).map_err(|e| fail("copy", &sqlite_message(&e)))?;
        // A backup is one standalone file: no write-ahead log beside it.
        to.pragma_update(None, "journal_mode", "DELETE").map_err(|e| fail("journal", &sqlite_message(&e)))?;
        to.close().map_err(|(_, e)| fail("close", &sqlite_message(&e)))?;
        std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(|e| fail("sync", &e))?;
        Ok(())
    })();
    if let Err(e) = written {
        cleanup();
        return Err(e);
    }
    for n in first..first + MAX_SAME_SECOND {
        let target = dir.join(backup_name(&stem, &ext, now, n));
        // A hard link never replaces an existing file, so two backups in the same second
        // by two processes both survive.
        match std::fs::hard_link(&partial, &target) {
            Ok(()) => {
                cleanup();
                sync_folder(dir);
                return Ok(target);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) if std::fs::symlink_metadata(&target).is_err() => {
                // No hard links on this file system: rename, after checking the name is free.
                let renamed = std::fs::rename(&partial, &target);
                cleanup();
                renamed.map_err(|e| fail("rename", &e))?;
                sync_folder(dir);
                return Ok(target);
            }
            Err(_) => continue,
        }
    }
    cleanup();
    Err(folder_error(dir, "cannot find a free name for the backup"))
}

fn sync_folder(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        // The rename is durable once the folder is synced; a failure leaves a sound, if
        // perhaps not yet durable, backup.
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Deletes the oldest backups beyond the newest `keep`.
fn prune(project: &Path, keep: usize) -> Result<Vec<String>> {
    let all = list(project)?;
    let mut removed = Vec::new();
    for b in all.iter().take(all.len().saturating_sub(keep.max(1))) {
        std::fs::remove_file(&b.path)
            .map_err(|e| folder_error(&b.path, format!("cannot remove an old backup: {e}")))?;
        removed.push(b.name.clone());
    }
    Ok(removed)
}

fn file_backup(path: &Path) -> Result<BackupFile> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(BackupFile { name, path: path.to_path_buf(), made_at_ms: now_ms(), bytes })
}

impl Project {
    /// How many backups this project keeps.
    pub fn backups_kept(&self) -> Result<usize> {
        let value = self.setting(KEEP_SETTING)?;
        Ok(value.and_then(|v| v.trim().parse().ok()).map_or(DEFAULT_KEEP, |n: usize| n.clamp(1, MAX_KEEP)))
    }

    /// Sets how many backups this project keeps (one operation, undoable).
    pub fn set_backups_kept(&mut self, keep: usize) -> Result<()> {
        if !(1..=MAX_KEEP).contains(&keep) {
            return Err(Error::Invalid(format!("keep between 1 and {MAX_KEEP} backups")));
        }
        self.set_setting(KEEP_SETTING, &keep.to_string())
    }

    /// Makes a backup now, then deletes the oldest beyond the number kept.
    pub fn backup_now(&self) -> Result<BackupFile> {
        let made = self.backup_unpruned()?;
        prune(&self.path, self.backups_kept()?)?;
        Ok(made)
    }

    fn backup_unpruned(&self) -> Result<BackupFile> {
        let dir = backup_dir(&self.path);
        if !check_folder(&dir)? {
            std::fs::create_dir(&dir)
                .map_err(|e| folder_error(&dir, format!("cannot create the backups folder: {e}")))?;
        }
        remove_stale_partials(&dir);
        let path = write_backup(&self.conn, &self.path, &dir, self.wait.get())?;
        if !self.read_only {
            self.set_meta(LAST_BACKUP_KEY, &now_ms().to_string())?;
        }
        file_backup(&path)
    }
}

/// Finds the backup `which` names: a name from [`list`] (with or without the
/// extension), its `YYYYMMDD-HHMMSS` stamp, or a path to a backup file.
pub fn find(project: &Path, which: &str) -> Result<PathBuf> {
    let all = list(project)?;
    let wanted = which.trim();
    let found = all.iter().find(|b| {
        b.name == wanted
            || Path::new(&b.name).file_stem().is_some_and(|s| s.to_string_lossy() == wanted)
            || b.name.contains(&format!("-{wanted}."))
    });
    if let Some(b) = found {
        return Ok(b.path.clone());
    }
    let path = Path::new(wanted);
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => Ok(path.to_path_buf()),
        Ok(m) if m.file_type().is_symlink() => Err(Error::Project {
            path: path.to_path_buf(),
            message: "is a symbolic link; Codeloom restores only the backup file itself".into(),
        }),
        _ => Err(Error::NotFound { kind: "backup", query: format!("{wanted} (see `codeloom backup list`)") }),
    }
}

/// Puts backup `which` (see [`find`]) back into the project file at `project`: checks
/// that the backup is a sound Codeloom project of the same project, keeps a backup of
/// the current file, then copies the backup's pages into the project in one
/// transaction, so a reader sees the old project or the restored one, never a mixture.
/// A project file too damaged for SQLite to open (or gone) is replaced whole instead,
/// after a byte-for-byte copy of it is kept, but only when its backups folder holds
/// backups: a file that never was a Codeloom project is never written over.
pub fn restore(project: &Path, which: &str) -> Result<Restored> {
    let source_path = find(project, which)?;
    let source = Project::open_read_only(&source_path)?;
    source.check_damage()?;
    let source_id = source.project_id()?;
    let restored = match Project::open_unchecked(project) {
        Ok(current) => restore_in_place(current, &source, &source_id)?,
        Err(e) if project.exists() && list(project)?.is_empty() => return Err(e),
        Err(_) => restore_by_replacing(project, &source)?,
    };
    prune(project, Project::open_read_only(project)?.backups_kept()?)?;
    Ok(Restored { backup: source_path, ..restored })
}

fn restore_in_place(mut current: Project, source: &Project, source_id: &str) -> Result<Restored> {
    let project = current.path.clone();
    if let Ok(id) = current.project_id()
        && id != source_id
    {
        return Err(Error::Project {
            path: source.path.clone(),
            message: format!("is a backup of another project (ID {source_id}, not {id}); nothing was restored"),
        });
    }
    let counter_before = current.change_counter().ok();
    let (previous, raw) = match current.backup_unpruned() {
        Ok(b) => (Some(b), None),
        Err(_) => (None, Some(raw_copy(&project)?)),
    };
    let wait = current.wait.get();
    copy_pages(&source.conn, &mut current.conn, wait).map_err(|e| Error::Project {
        path: project.clone(),
        message: format!("cannot restore (the project is unchanged): {}", sqlite_message(&e)),
    })?;
    // The counter moves past every value the project had, so derived data such as the
    // search index sees that the content changed.
    let counter = counter_before.unwrap_or(0).max(current.change_counter().unwrap_or(0)) + 1;
    current
        .conn
        .execute("UPDATE meta SET value = ?1 WHERE key = 'change_counter'", [counter.to_string()])
        .map_err(|e| Error::from(e).in_project(&project))?;
    Ok(Restored { backup: PathBuf::new(), previous, raw_copy: raw })
}

fn restore_by_replacing(project: &Path, source: &Project) -> Result<Restored> {
    let raw = if project.exists() { Some(raw_copy(project)?) } else { None };
    let folder = project.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = project.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = folder.join(format!(".{name}.{}.restoring", std::process::id()));
    let fail = |e: &dyn std::fmt::Display| Error::Project {
        path: project.to_path_buf(),
        message: format!("cannot restore (the damaged file was kept): {e}"),
    };
    let written = (|| -> Result<()> {
        std::fs::OpenOptions::new().write(true).create_new(true).open(&temp).map_err(|e| fail(&e))?;
        let flags =
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let mut to = Connection::open_with_flags(&temp, flags).map_err(|e| fail(&sqlite_message(&e)))?;
        copy_pages(&source.conn, &mut to, source.wait.get()).map_err(|e| fail(&sqlite_message(&e)))?;
        to.close().map_err(|(_, e)| fail(&sqlite_message(&e)))?;
        std::fs::File::open(&temp).and_then(|f| f.sync_all()).map_err(|e| fail(&e))?;
        // The old write-ahead log belongs to the damaged file; it must not be applied
        // to the restored one.
        for suffix in ["-wal", "-shm"] {
            match std::fs::remove_file(sibling(project, suffix)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail(&e)),
                _ => {}
            }
        }
        std::fs::rename(&temp, project).map_err(|e| fail(&e))?;
        sync_folder(folder);
        Ok(())
    })();
    if written.is_err() {
        for suffix in ["", "-journal"] {
            let _ = std::fs::remove_file(sibling(&temp, suffix));
        }
    }
    written?;
    Ok(Restored { backup: PathBuf::new(), previous: None, raw_copy: raw })
}

/// A byte-for-byte copy of the project file (and its write-ahead log) into the
/// backups folder, for a file SQLite cannot read.
fn raw_copy(project: &Path) -> Result<PathBuf> {
    let dir = backup_dir(project);
    if !check_folder(&dir)? {
        std::fs::create_dir(&dir).map_err(|e| folder_error(&dir, format!("cannot create the backups folder: {e}")))?;
    }
    let (stem, ext) = stem_and_extension(project);
    let name = format!("{}-damaged", backup_name(&stem, &ext, now_ms(), 1));
    let target = dir.join(name);
    std::fs::copy(project, &target).map_err(|e| folder_error(&target, format!("cannot copy the damaged file: {e}")))?;
    if std::fs::metadata(sibling(project, "-wal")).is_ok() {
        std::fs::copy(sibling(project, "-wal"), sibling(&target, "-wal"))
            .map_err(|e| folder_error(&target, format!("cannot copy the damaged file's log: {e}")))?;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_round_trip() {
        let ms = 1_767_225_600_000 + 3_723_000; // 2026-01-01 01:02:03 UTC
        let name = backup_name("study", "codeloom", ms, 1);
        assert_eq!(name, "study-20260101-010203.codeloom");
        assert_eq!(made_at(&name, "study", "codeloom"), Some((ms, 1)));
        assert_eq!(made_at(&backup_name("study", "codeloom", ms, 3), "study", "codeloom"), Some((ms, 3)));
        for other in [
            "study.codeloom",
            "study-20260101-010203.codeloom-wal",
            ".study-20260101-010203.codeloom.1.partial",
            "study-20261301-010203.codeloom",
            "other-20260101-010203.codeloom",
            "study-2026010-0102033.codeloom",
        ] {
            assert_eq!(made_at(other, "study", "codeloom"), None, "{other}");
        }
    }
}
