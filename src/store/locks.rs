//! Who holds a project: when a write gives up waiting, the error names the program
//! that holds SQLite's write lock. On Linux that is the process holding a POSIX write
//! lock on the project's `-shm` file (the WAL write lock, byte 120) or on the file
//! itself, found in `/proc/locks` by inode and named from `/proc/PID/cmdline`;
//! elsewhere, "another program". How long a write waits before giving up is kept here
//! too ([`Wait`], SQLite's busy handler).

use crate::error::Error;
use rusqlite::ErrorCode;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a write waits for another program's write by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// The environment variable that sets the wait, in seconds.
pub const WAIT_VARIABLE: &str = "CODELOOM_WAIT_SECONDS";

/// How long the busy handler waits, shared between a [`Project`] and its handler.
#[derive(Debug)]
pub(crate) struct Wait {
    millis: AtomicU64,
}

impl Wait {
    pub(crate) fn from_env() -> Wait {
        let wait = std::env::var(WAIT_VARIABLE)
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s.min(24.0 * 3600.0)))
            .unwrap_or(DEFAULT_WAIT);
        Wait { millis: AtomicU64::new(wait.as_millis() as u64) }
    }

    pub(crate) fn set(&self, wait: Duration) {
        self.millis.store(wait.as_millis().min(u64::MAX as u128) as u64, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::Relaxed))
    }
}

/// SQLite's busy handler: sleeps with a growing back-off (1 ms doubling to 100 ms) until
/// the wait is used up, then gives up so the caller can say who holds the project.
pub(crate) fn busy_handler(wait: Arc<Wait>) -> impl FnMut(i32) -> bool + Send + 'static {
    let mut started = Instant::now();
    move |count| {
        if count == 0 {
            started = Instant::now();
        }
        let limit = wait.get();
        let elapsed = started.elapsed();
        if elapsed >= limit {
            return false;
        }
        let step = Duration::from_millis(1 << count.clamp(0, 7)).min(Duration::from_millis(100));
        std::thread::sleep(step.min(limit - elapsed));
        true
    }
}

/// Whether an error means another connection holds the lock.
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// [`Error::Busy`] naming who holds the project when `e` says it is locked; otherwise `e`.
pub(crate) fn busy_or(path: &Path, wait: &Wait, e: rusqlite::Error) -> Error {
    if is_busy(&e) {
        Error::Busy { path: path.to_path_buf(), holder: holder(path), waited_s: wait.get().as_secs() }
    } else {
        Error::from(e)
    }
}

/// A person-readable name for whoever holds the project's write lock, such as
/// `codeloom import (pid 4242)`.
pub(crate) fn holder(path: &Path) -> String {
    #[cfg(target_os = "linux")]
    if let Some(pid) = linux::holder_pid(path) {
        let own = if pid == std::process::id() { ", this program" } else { "" };
        return format!("{} (pid {pid}{own})", linux::program(pid));
    }
    let _ = path;
    "another program".to_string()
}

#[cfg(target_os = "linux")]
mod linux {
    use super::super::sibling;
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;

    /// The offset of SQLite's WAL write lock in the `-shm` file.
    const WAL_WRITE_LOCK: u64 = 120;
    /// `/proc/locks` is read up to this size.
    const MAX_LOCKS_BYTES: u64 = 8 << 20;

    /// One line of `/proc/locks`: `1: POSIX  ADVISORY  WRITE 4242 08:01:1234 120 120`.
    struct Lock {
        pid: u32,
        inode: u64,
        start: u64,
        end: Option<u64>,
    }

    fn parse(line: &str) -> Option<Lock> {
        let mut f = line.split_whitespace().skip(1);
        let kind = f.next()?;
        if kind == "->" || kind != "POSIX" {
            return None;
        }
        let _advisory = f.next()?;
        if f.next()? != "WRITE" {
            return None;
        }
        let pid = f.next()?.parse().ok()?;
        let inode = f.next()?.rsplit(':').next()?.parse().ok()?;
        let start = f.next()?.parse().ok()?;
        let end = f.next()?;
        Some(Lock { pid, inode, start, end: if end == "EOF" { None } else { end.parse().ok() } })
    }

    /// How many times `/proc/locks` is read before giving up. The kernel hands the file
    /// out a page at a time and finds each page's first line by its number; when another
    /// program drops a lock listed before ours between two pages, our line moves back
    /// and is never shown. Busy machines (a build beside the test, other writers) do that
    /// often enough; the holder's lock stays, so another reading finds it.
    const ATTEMPTS: usize = 8;

    pub(super) fn holder_pid(path: &Path) -> Option<u32> {
        let inode = |p: &Path| std::fs::metadata(p).ok().map(|m| m.ino());
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            let (shm, db) = (inode(&sibling(path, "-shm")), inode(path));
            let mut text = String::new();
            let read =
                std::fs::File::open("/proc/locks").and_then(|f| f.take(MAX_LOCKS_BYTES).read_to_string(&mut text));
            if read.is_err() {
                return None;
            }
            let locks: Vec<Lock> = text.lines().filter_map(parse).collect();
            let on_shm = locks.iter().find(|l| {
                Some(l.inode) == shm && l.start <= WAL_WRITE_LOCK && l.end.is_none_or(|e| e >= WAL_WRITE_LOCK)
            });
            if let Some(l) = on_shm.or_else(|| locks.iter().find(|l| Some(l.inode) == db)) {
                return Some(l.pid);
            }
        }
        None
    }

    /// The program and its first word of arguments, such as `codeloom import`.
    pub(super) fn program(pid: u32) -> String {
        let mut raw = Vec::new();
        let read = std::fs::File::open(format!("/proc/{pid}/cmdline")).and_then(|f| f.take(4096).read_to_end(&mut raw));
        if read.is_err() || raw.is_empty() {
            return "another program".to_string();
        }
        let args: Vec<String> =
            raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        let Some(first) = args.first() else { return "another program".to_string() };
        let name = Path::new(first).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(first.clone());
        match args.get(1) {
            Some(sub)
                if sub.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
            {
                format!("{name} {sub}")
            }
            _ => name,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn lock_lines_are_read() {
            let l = parse("4: POSIX  ADVISORY  WRITE 4242 fe:00:10028657 120 120").unwrap();
            assert_eq!((l.pid, l.inode, l.start, l.end), (4242, 10028657, 120, Some(120)));
            let l = parse("9: POSIX  ADVISORY  WRITE 7 08:01:99 0 EOF").unwrap();
            assert_eq!(l.end, None);
            assert!(parse("4: POSIX  ADVISORY  READ 4242 fe:00:1 128 128").is_none(), "readers do not block writers");
            assert!(parse("1: FLOCK  ADVISORY  WRITE 21573 fe:00:6228191 0 EOF").is_none());
            assert!(parse("2: -> POSIX  ADVISORY  WRITE 5 fe:00:1 120 120").is_none(), "a waiter holds nothing");
        }

        /// While other locks come and go, a held write lock is still found every time.
        #[test]
        fn the_holder_is_found_while_other_locks_churn() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("held.db");
            let holder = rusqlite::Connection::open(&path).unwrap();
            holder.pragma_update(None, "journal_mode", "WAL").unwrap();
            holder.execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);").unwrap();
            let stop = std::sync::atomic::AtomicBool::new(false);
            let missed = std::thread::scope(|scope| {
                for k in 0..2 {
                    let (dir, stop) = (dir.path(), &stop);
                    scope.spawn(move || {
                        let files: Vec<std::fs::File> = (0..150)
                            .map(|i| std::fs::File::create(dir.join(format!("churn{k}_{i}"))).unwrap())
                            .collect();
                        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                            files.iter().for_each(|f| f.lock().unwrap());
                            files.iter().for_each(|f| f.unlock().unwrap());
                        }
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
                let missed = (0..1000).filter(|_| holder_pid(&path) != Some(std::process::id())).count();
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                missed
            });
            assert_eq!(missed, 0, "the holder was not found in {missed} of 1000 lookups");
        }

        #[test]
        fn this_process_is_named() {
            let name = program(std::process::id());
            assert!(!name.is_empty() && name != "another program", "{name}");
        }
    }
}
