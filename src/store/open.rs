//! Opening a project file: recognising it as a Codeloom project before changing
//! anything, opening it for writing (damage check, WAL, migrations with a backup first,
//! the daily backup) or read-only, creating a new one, and waiting for another writer.
//!
//! Invariants: a file is recognised from its SQLite header (`application_id`
//! [`APPLICATION_ID`]) or, for files written before Codeloom set it, from a read-only
//! look at its `meta` table; until that has said "ours", nothing is written and no
//! journal is switched. A read-only open never writes to the file.

use super::locks::{Wait, busy_handler, busy_or, is_busy};
use super::{Project, backup, new_id, now_ms, schema, sibling};
use crate::error::{Error, Result, sqlite_message};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// SQLite's `application_id` in every Codeloom project: the ASCII letters "CLOM".
pub const APPLICATION_ID: i32 = 0x434C_4F4D;

/// Files of schema versions up to this one were written before Codeloom set
/// [`APPLICATION_ID`]; they are recognised by their `meta` table instead.
const LAST_SCHEMA_WITHOUT_ID: i64 = 2;

pub use super::locks::{DEFAULT_WAIT, WAIT_VARIABLE};

/// A day, in milliseconds: the longest a project opened for writing goes without a backup.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

pub use crate::error::is_damage;

/// Whether a write-ahead log with content lies beside the file: then the header in the
/// file itself may be out of date.
fn wal_has_content(path: &Path) -> bool {
    std::fs::metadata(sibling(path, "-wal")).is_ok_and(|m| m.len() > 0)
}

/// What the file's first bytes say.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// It carries Codeloom's application ID.
    Ours,
    /// It may be a project written before the application ID; look inside (read-only).
    LookInside { wal: bool },
}

fn not_ours(path: &Path, why: &str) -> Error {
    Error::Project {
        path: path.to_path_buf(),
        message: format!("not a Codeloom project ({why}); it was left unchanged"),
    }
}

/// Reads the file's SQLite header with plain file I/O and decides whether it may be a
/// project, without SQLite opening it.
fn inspect(path: &Path) -> Result<Verdict> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Project {
        path: path.to_path_buf(),
        message: if e.kind() == std::io::ErrorKind::NotFound {
            "no such project file".into()
        } else {
            format!("cannot read the file: {e}")
        },
    })?;
    if !meta.is_file() {
        return Err(Error::Project { path: path.to_path_buf(), message: "not a file".into() });
    }
    let mut head = Vec::with_capacity(100);
    std::fs::File::open(path)
        .and_then(|f| f.take(100).read_to_end(&mut head))
        .map_err(|e| Error::Project { path: path.to_path_buf(), message: format!("cannot read the file: {e}") })?;
    let wal = wal_has_content(path);
    if head.is_empty() && !wal {
        return Err(not_ours(path, "the file is empty"));
    }
    if head.is_empty() {
        return Ok(Verdict::LookInside { wal });
    }
    if head.len() < 100 || !head.starts_with(SQLITE_MAGIC) {
        return Err(not_ours(path, "the file is not a SQLite database"));
    }
    let word = |at: usize| i32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let (user_version, application_id) = (word(60) as i64, word(68));
    if application_id == APPLICATION_ID {
        return Ok(Verdict::Ours);
    }
    if application_id != 0 {
        return Err(not_ours(
            path,
            &format!("it is another program's SQLite database, application ID {application_id:#010x}"),
        ));
    }
    if !wal && !(1..=LAST_SCHEMA_WITHOUT_ID).contains(&user_version) {
        return Err(not_ours(path, "a SQLite database without Codeloom's tables"));
    }
    Ok(Verdict::LookInside { wal })
}

/// `file:` URI of a path, for SQLite's URI parameters.
fn file_uri(path: &Path, query: &str) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file:");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str(query);
    out
}

/// A read-only connection. `immutable` reads the file without locks or the WAL index
/// and creates no file beside it; only for a file nobody writes to.
fn connect_read_only(path: &Path, immutable: bool) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let query = if immutable { "?mode=ro&immutable=1" } else { "?mode=ro" };
    let conn = Connection::open_with_flags(file_uri(path, query), flags)?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    Ok(conn)
}

/// Looks inside a file whose header did not settle it: a project written before
/// Codeloom set its application ID has a `meta` table with a `project_id`. Reads only;
/// with no write-ahead log beside the file, the look creates no file either.
fn look_inside(path: &Path, wal: bool) -> Result<()> {
    let conn = connect_read_only(path, !wal).map_err(|e| open_error(path, e))?;
    let check = || -> rusqlite::Result<Option<&'static str>> {
        let application_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if application_id == APPLICATION_ID {
            return Ok(None);
        }
        if application_id != 0 {
            return Ok(Some("it is another program's SQLite database"));
        }
        if !(1..=LAST_SCHEMA_WITHOUT_ID).contains(&version) {
            return Ok(Some("a SQLite database without Codeloom's tables"));
        }
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'operations', 'codings')",
            [],
            |r| r.get(0),
        )?;
        if tables < 3 {
            return Ok(Some("a SQLite database without Codeloom's tables"));
        }
        let id: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'project_id'", [], |r| r.get(0)).optional()?;
        Ok(id.is_none().then_some("a SQLite database without a Codeloom project ID"))
    };
    match check().map_err(|e| open_error(path, e))? {
        None => Ok(()),
        Some(why) => Err(not_ours(path, why)),
    }
}

/// Whether this process may create files in `dir` (and so SQLite its -wal and -shm).
fn may_write(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return false };
        // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
        unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
    }
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Refuses to write when SQLite could not: a read-only folder or file.
fn check_writable(path: &Path) -> Result<()> {
    if !may_write(&folder_of(path)) {
        return Err(Error::ReadOnlyFolder { path: path.to_path_buf() });
    }
    if !may_write(path) {
        return Err(Error::Project {
            path: path.to_path_buf(),
            message: "the project file is read-only (its permissions do not let you change it); commands that only read it still work".into(),
        });
    }
    Ok(())
}

/// Whether `path` lies in a backups folder; backups are never opened for writing.
fn in_backups_folder(path: &Path) -> bool {
    let dir = path.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().into_owned());
    dir.is_some_and(|d| d.ends_with(backup::FOLDER_SUFFIX))
}

/// An error from opening a file with SQLite, naming the file once.
pub(crate) fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => not_ours(path, "the file is not a SQLite database"),
        Some(ErrorCode::DatabaseCorrupt) => super::damaged(path, &sqlite_message(&e)),
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly) if !may_write(&folder_of(path)) => {
            Error::ReadOnlyFolder { path: path.to_path_buf() }
        }
        Some(ErrorCode::CannotOpen) => Error::Project {
            path: path.to_path_buf(),
            message: format!(
                "cannot open the file ({}); check that it exists and that you may read and write it",
                sqlite_message(&e)
            ),
        },
        _ => Error::Project {
            path: path.to_path_buf(),
            message: format!("cannot open the project: {}", sqlite_message(&e)),
        },
    }
}

impl Project {
    fn with_connection(mut conn: Connection, path: &Path, read_only: bool) -> Result<Project> {
        let wait = Arc::new(Wait::from_env());
        conn.busy_handler(Some(busy_handler(wait.clone()))).map_err(|e| open_error(path, e))?;
        // Participants and documents are listed in natural order (P2 before P10).
        conn.create_collation("natural_order", crate::model::order::natural_cmp).map_err(|e| open_error(path, e))?;
        Ok(Project {
            conn,
            path: path.to_path_buf(),
            coder: super::DEFAULT_CODER.to_string(),
            read_only,
            schema: 0,
            wait,
        })
    }

    /// Creates a new, empty project file. Fails if `path` exists.
    pub fn create(path: &Path) -> Result<Project> {
        if path.exists() || path.symlink_metadata().is_ok() {
            return Err(Error::Project {
                path: path.to_path_buf(),
                message: "a file already exists there; choose another name or open it".into(),
            });
        }
        let dir = folder_of(path);
        if !dir.is_dir() {
            return Err(Error::Project {
                path: path.to_path_buf(),
                message: format!("the folder {} does not exist", dir.display()),
            });
        }
        if !may_write(&dir) {
            return Err(Error::ReadOnlyFolder { path: path.to_path_buf() });
        }
        let result = Project::create_new(path);
        if result.is_err() {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(sibling(path, suffix));
            }
        }
        result
    }

    fn create_new(path: &Path) -> Result<Project> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
        // Before anything else, so that even a header the write-ahead log has not yet
        // reached says whose file this is.
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(|e| open_error(path, e))?;
        let mut project = Project::with_connection(conn, path, false)?;
        project.configure().map_err(|e| e.in_project(path))?;
        let tx = project.begin_write()?;
        for sql in schema::MIGRATIONS {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", schema::SCHEMA_VERSION)?;
        let now = now_ms().to_string();
        for (key, value) in [("project_id", new_id()), ("created_at", now), ("change_counter", "0".to_string())] {
            tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", [key, value.as_str()])?;
        }
        tx.commit()?;
        project.schema = schema::SCHEMA_VERSION;
        Ok(project)
    }

    /// Opens an existing project file for writing. Checks first, changing nothing, that
    /// it is a Codeloom project, that this version can write its schema and that it is
    /// not damaged; then brings an older schema up to date (after a backup) and makes
    /// the daily backup when the last one is more than a day old.
    pub fn open(path: &Path) -> Result<Project> {
        let (project, upkeep) = Self::open_leaving_upkeep_above(path, u64::MAX)?;
        debug_assert!(upkeep.is_none());
        Ok(project)
    }

    /// [`Project::open`], except that for a file larger than [`ALWAYS_CHECK_BYTES`] the
    /// day's damage check and backup, when due, are not done but returned as the
    /// [`Upkeep`] to do next, on a thread of its own ([`Upkeep::run`]): the window shows
    /// a large study at once rather than after the seconds they take (about 12 s for a
    /// 1.7 GB study of 10,000 transcripts). A migration still backs up first.
    pub fn open_leaving_upkeep(path: &Path) -> Result<(Project, Upkeep)> {
        Self::open_leaving_upkeep_above(path, ALWAYS_CHECK_BYTES)
    }

    /// Another connection to a project this process already has open (a worker thread
    /// of the window's): the day's check and backup of a large file are left to the
    /// [`Upkeep`] of the first opening, so that a worker never makes a second backup.
    pub fn open_another(path: &Path) -> Result<Project> {
        Ok(Self::open_leaving_upkeep(path)?.0)
    }

    /// [`Project::open_leaving_upkeep`] for files larger than `above` bytes.
    pub fn open_leaving_upkeep_above(path: &Path, above: u64) -> Result<(Project, Upkeep)> {
        if in_backups_folder(path) {
            return Err(Error::Project {
                path: path.to_path_buf(),
                message: "this is a backup, which Codeloom never changes; restore it with `codeloom backup restore PROJECT BACKUP`, or copy it out of the backups folder to work on the copy".into(),
            });
        }
        let mut project = Self::recognised_for_writing(path)?;
        let version = project.checked_version()?;
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(u64::MAX);
        let last_check = project.meta(LAST_CHECK_KEY).ok().flatten().and_then(|v| v.parse().ok());
        // A file about to be migrated is checked first, whatever its size.
        let leave = bytes > above && version >= schema::SCHEMA_VERSION;
        let checked = damage_check_due(bytes, last_check, now_ms());
        let mut upkeep = Upkeep { path: path.to_path_buf(), check_damage: checked && leave, backup: false };
        if checked && !leave {
            project.check_damage()?;
        }
        project.configure().map_err(|e| e.in_project(path))?;
        if version < schema::SCHEMA_VERSION {
            project.backup_now().map_err(|e| e.in_project(path))?;
            project.migrate().map_err(|e| e.in_project(path))?;
        } else if project.application_id()? != APPLICATION_ID {
            let tx = project.begin_write()?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.commit()?;
        }
        project.project_id()?;
        project.schema = schema::SCHEMA_VERSION;
        if checked && !leave && bytes > ALWAYS_CHECK_BYTES {
            project.record_check()?;
        }
        if leave {
            upkeep.backup = project.backup_due()?;
        } else if project.backup_due()? {
            project.backup_now().map_err(|e| e.in_project(path))?;
        }
        Ok((project, upkeep))
    }

    /// Notes that the file was found undamaged now (outside the log).
    fn record_check(&self) -> Result<()> {
        self.set_meta(LAST_CHECK_KEY, &now_ms().to_string())
    }

    /// Notes what an [`Upkeep`] done on another connection found and made: the damage
    /// check's time and the backup's, so that they are not due again for a day.
    pub fn record_upkeep(&self, done: &UpkeepDone) -> Result<()> {
        if done.checked {
            self.record_check()?;
        }
        if done.backup.is_some() {
            self.set_meta(super::backup::LAST_BACKUP_KEY, &now_ms().to_string())?;
        }
        Ok(())
    }

    /// Makes the day's damage check and backup due again, as if the file had not been
    /// opened for a day (for the bench and tests of opening a large study).
    pub fn make_upkeep_due(&self) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM meta WHERE key = ?1", [LAST_CHECK_KEY])?;
        tx.execute("DELETE FROM meta WHERE key = ?1", [super::backup::LAST_BACKUP_KEY])?;
        tx.execute("UPDATE meta SET value = '0' WHERE key = 'created_at'", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Opens an existing project file only to read it: no migration, no journal switch,
    /// no backup, nothing written. An older schema is read as it is; a query it cannot
    /// answer says to open the project once for writing (see [`explain_older`]). In a
    /// folder this process may not write to, the file is read as it is on disk.
    pub fn open_read_only(path: &Path) -> Result<Project> {
        let verdict = inspect(path)?;
        if let Verdict::LookInside { wal } = verdict {
            look_inside(path, wal)?;
        }
        let conn = match connect_read_only(path, false) {
            Ok(c) => c,
            Err(_) if !may_write(&folder_of(path)) && !wal_has_content(path) => {
                connect_read_only(path, true).map_err(|e| open_error(path, e))?
            }
            Err(e) => return Err(open_error(path, e)),
        };
        let mut project = Project::with_connection(conn, path, true)?;
        project.schema = project.checked_version()?;
        project.project_id()?;
        Ok(project)
    }

    /// A project recognised as Codeloom's (looking inside when the header cannot tell)
    /// and opened for writing, before its version is checked.
    fn recognised_for_writing(path: &Path) -> Result<Project> {
        match inspect(path)? {
            Verdict::Ours => {}
            Verdict::LookInside { wal } => look_inside(path, wal)?,
        }
        check_writable(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
        Project::with_connection(conn, path, false)
    }

    /// Opens a project for writing with no checks beyond recognising it: for restoring
    /// a backup over a damaged file.
    pub(crate) fn open_unchecked(path: &Path) -> Result<Project> {
        let project = Self::recognised_for_writing(path)?;
        project.checked_version()?;
        Ok(project)
    }

    fn application_id(&self) -> Result<i32> {
        self.conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(|e| open_error(&self.path, e))
    }

    /// The file's schema version; a newer one than this build knows is refused.
    fn checked_version(&self) -> Result<i64> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| busy_or(&self.path, &self.wait, e))
            .map_err(|e| e.in_project(&self.path))?;
        if version > schema::SCHEMA_VERSION {
            return Err(Error::NewerSchema {
                path: self.path.clone(),
                found: version,
                supported: schema::SCHEMA_VERSION,
            });
        }
        Ok(version)
    }

    /// `PRAGMA quick_check`: refuses a damaged file, naming the last backup. Reads every
    /// page, so [`Project::open`] runs it when [`damage_check_due`] says so.
    pub(crate) fn check_damage(&self) -> Result<()> {
        let found = (|| -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare("PRAGMA quick_check(5)")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect()
        })();
        match found {
            Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(()),
            Ok(rows) => {
                let lines: Vec<&str> =
                    rows.iter().flat_map(|r| r.lines()).map(str::trim).filter(|l| !l.starts_with("***")).collect();
                let more = if lines.len() > 3 { "; ..." } else { "" };
                Err(super::damaged(&self.path, &format!("{}{more}", lines[..lines.len().min(3)].join("; "))))
            }
            Err(e) if is_busy(&e) => Err(busy_or(&self.path, &self.wait, e)),
            Err(e) => Err(super::damaged(&self.path, &sqlite_message(&e))),
        }
    }

    fn configure(&self) -> Result<()> {
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    /// Brings the schema up to date, one numbered migration per transaction. Another
    /// process may be migrating the same file: each step re-reads the version inside
    /// its transaction and skips what is done.
    fn migrate(&mut self) -> Result<()> {
        let coder = self.coder.clone();
        for (i, sql) in schema::MIGRATIONS.iter().enumerate() {
            let target = i as i64 + 1;
            let tx = self.begin_write()?;
            let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if version >= target {
                continue;
            }
            schema::before_migration(&tx, target, &coder)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.pragma_update(None, "user_version", target)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Whether a backup is due: the last one (or, for a project never backed up, its
    /// creation) is more than a day old.
    fn backup_due(&self) -> Result<bool> {
        let stamp = |key: &str| -> Result<Option<i64>> { Ok(self.meta(key)?.and_then(|v| v.parse().ok())) };
        let last = match stamp(backup::LAST_BACKUP_KEY)? {
            Some(t) => t,
            None => stamp("created_at")?.unwrap_or(0),
        };
        // A last backup "in the future" means the clock was wrong then or is now: back up.
        Ok((now_ms() - last).abs() > DAY_MS)
    }
}

/// The day's upkeep of a large project that opening left to be done on a connection of
/// its own: the damage check and the backup, each when due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upkeep {
    pub path: PathBuf,
    pub check_damage: bool,
    pub backup: bool,
}

/// What an [`Upkeep`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpkeepDone {
    /// The file was checked and found undamaged.
    pub checked: bool,
    /// The backup made.
    pub backup: Option<super::backup::BackupFile>,
}

impl Upkeep {
    /// Whether there is nothing to do.
    pub fn is_none(&self) -> bool {
        !self.check_damage && !self.backup
    }

    /// Does it, reading the file through a read-only connection of its own (the backup
    /// copies one consistent state of the file while the opener goes on writing). A
    /// damaged file is an error naming it and its last backup, and is not backed up.
    /// Record what was done with [`Project::record_upkeep`].
    pub fn run(&self) -> Result<UpkeepDone> {
        if self.is_none() {
            return Ok(UpkeepDone { checked: false, backup: None });
        }
        let run = || -> Result<UpkeepDone> {
            let reader = Project::open_read_only(&self.path)?;
            if self.check_damage {
                reader.check_damage()?;
            }
            let backup = if self.backup { Some(reader.backup_now()?) } else { None };
            Ok(UpkeepDone { checked: self.check_damage, backup })
        };
        run().map_err(|e| e.in_project(&self.path))
    }
}

/// Files up to this size are checked for damage each time they are opened for writing
/// (the scan takes a fraction of a second); larger ones once a day, since the scan reads
/// every page (about 3 s for a 640 MB project of 10,000 transcripts). A damaged page met
/// in between is still an error naming the file and its last backup when it is read.
pub const ALWAYS_CHECK_BYTES: u64 = 64 << 20;

/// Where the time of the last damage check of a large file is kept (outside the log).
const LAST_CHECK_KEY: &str = "last_quick_check_at";

/// Whether opening a file of `bytes` for writing checks it for damage, given the time of
/// the last check (milliseconds) and now: always for a file up to [`ALWAYS_CHECK_BYTES`],
/// otherwise when the last check is more than a day old, unknown or in the future.
pub fn damage_check_due(bytes: u64, last_check_ms: Option<i64>, now_ms: i64) -> bool {
    bytes <= ALWAYS_CHECK_BYTES || last_check_ms.is_none_or(|t| (now_ms - t).abs() > DAY_MS)
}

/// An error from a project opened read-only with an older schema: a query that needs
/// tables or columns added since then says to open the project once for writing.
pub fn explain_older(e: Error, path: &Path, schema: i64) -> Error {
    let missing = match &e {
        Error::Sqlite(s) => {
            let m = sqlite_message(s);
            m.contains("no such table") || m.contains("no such column")
        }
        _ => false,
    };
    if missing && schema < schema::SCHEMA_VERSION {
        return Error::Project {
            path: path.to_path_buf(),
            message: format!(
                "this project was written by an older Codeloom (schema {schema}; this version writes {}) and was opened read-only; open it once for writing (for example `codeloom backup now {}`) to bring it up to date",
                schema::SCHEMA_VERSION,
                path.display()
            ),
        };
    }
    e.in_project(path)
}

impl Project {
    /// Names the file in an error from this project, explaining errors that come from
    /// reading an older schema read-only.
    pub fn explain(&self, e: Error) -> Error {
        if self.read_only { explain_older(e, &self.path, self.schema) } else { e.in_project(&self.path) }
    }

    /// The schema version the file had when it was opened.
    pub fn opened_schema(&self) -> i64 {
        self.schema
    }
}

/// Errors are defined below the store; naming the project file in one is the store's
/// work, because a damaged file's error names its last backup.
impl Error {
    /// This error with the project file named: a database or log error that names no
    /// file becomes one about `path` (a damaged file says where the last backup is).
    /// Other errors already name what they are about and are returned as they are.
    pub fn in_project(self, path: &std::path::Path) -> Error {
        match self {
            Error::Sqlite(e) if is_damage(&e) => super::damaged(path, &sqlite_message(&e)),
            Error::Sqlite(e) => Error::Project { path: path.to_path_buf(), message: sqlite_message(&e) },
            Error::Log(e) => Error::Project {
                path: path.to_path_buf(),
                message: format!("an operation log entry is unreadable: {e}"),
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_what_sqlite_would_read_as_parameters() {
        assert_eq!(
            file_uri(Path::new("/a b/x?y#z%.codeloom"), "?mode=ro"),
            "file:/a%20b/x%3Fy%23z%25.codeloom?mode=ro"
        );
    }

    #[test]
    fn the_application_id_spells_clom() {
        assert_eq!(&APPLICATION_ID.to_be_bytes(), b"CLOM");
    }
}
