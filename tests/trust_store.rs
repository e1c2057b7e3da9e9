//! "Never lose a project": the real `codeloom` binary leaves files that are not projects
//! byte-for-byte alone, never changes a project it only reads, stores an identical
//! coding once, refuses a damaged file for writing and names the backup, says each error
//! once with the path, refuses blank coder names, and keeps, prunes and restores backups.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{codeloom, json, ok, root};

fn digest(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

/// The names in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Runs `codeloom ARGS`, which must fail; returns what it said on standard error.
fn fails(args: &[&str]) -> String {
    let out = codeloom(args);
    assert!(!out.status.success(), "codeloom {args:?} succeeded:\n{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A project with one document "P01_BL" and one code "Pain" applied once.
fn small_project(dir: &Path, name: &str) -> PathBuf {
    let project = dir.join(name);
    ok(&["new", s(&project)]);
    let text = dir.join("P01_BL.txt");
    let body: String =
        (0..40).map(|i| format!("INTERVIEWER: Question {i}?\n\nP01: Answer {i}, some pain.\n\n")).collect();
    std::fs::write(&text, body).unwrap();
    ok(&["import", s(&project), s(&text)]);
    ok(&["code", "add", s(&project), "Pain"]);
    ok(&["code", "apply", s(&project), "--doc", "P01_BL", "--start", "0", "--end", "11", "--code", "Pain"]);
    project
}

/// Every command, as it would be run on `f`; the first group only reads.
fn every_command<'a>(f: &'a str, scratch: &'a str, other: &'a str) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let out = |n: &str| format!("{scratch}/{n}");
    let v = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let reads = vec![
        v(&["docs", f]),
        v(&["show", f, "P01_BL"]),
        v(&["participants", f]),
        v(&["codings", f]),
        v(&["log", f]),
        v(&["codebook", "show", f]),
        v(&["codebook", "versions", f]),
        v(&["codebook", "history", f]),
        v(&["codebook", "diff", f, "current", "current"]),
        v(&["codebook", "export", f, "--format", "json", "--out", &out("cb.json")]),
        v(&["agreement", f, "--coders", "tester,ben", "--resamples", "0"]),
        v(&["search", f, "pain"]),
        v(&["copy", f, "--coder", "a", "--out", &out("copy.codeloom")]),
        v(&["export", "qdpx", f, "--out", &out("x.qdpx")]),
        v(&["export", "quotes", f, "--out", &out("q.md")]),
        v(&["export", "matrix", f, "--kind", "code-wave", "--out", &out("m.csv")]),
        v(&["export", "codebook", f, "--out", &out("a.md")]),
    ];
    let writes = vec![
        v(&["import", f, &out("P01_BL.txt")]),
        v(&["code", "add", f, "X"]),
        v(&["code", "apply", f, "--doc", "P01_BL", "--start", "0", "--end", "1", "--code", "Pain"]),
        v(&["undo", f]),
        v(&["redo", f]),
        v(&["attributes", "import", f, &out("attrs.csv")]),
        v(&["pattern", f, "--set", "(?P<participant>P\\d+)_(?P<wave>\\w+)"]),
        v(&["codebook", "import", f, &out("cb.json")]),
        v(&["codebook", "version", f, "--name", "v1"]),
        v(&["codebook", "reconcile", f, other]),
        v(&["assign", f, "--coder", "a", "--docs", "P01_BL"]),
        v(&["adjudicate", f, "--coders", "a,b", "list"]),
        v(&["merge", f, other]),
        v(&["search", f, "pain", "--code-all", "Pain"]),
        v(&["backup", "now", f]),
        v(&["backup", "keep", f, "3"]),
        v(&["backup", "restore", f, other]),
    ];
    (reads, writes)
}

#[test]
fn files_that_are_not_projects_are_left_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let other = small_project(&scratch, "other.codeloom");
    std::fs::write(scratch.join("attrs.csv"), "participant,age\nP01,40\n").unwrap();
    ok(&["codebook", "export", s(&other), "--format", "json", "--out", s(&scratch.join("cb.json"))]);

    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    let make = |name: &str, setup: &str| {
        let path = foreign.join(name);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(setup).unwrap();
        drop(conn);
        path
    };
    let files = [
        make(
            "notes-v1.codeloom",
            "PRAGMA journal_mode = DELETE; PRAGMA user_version = 1; CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');",
        ),
        make(
            "wal-v1.codeloom",
            "PRAGMA journal_mode = WAL; PRAGMA user_version = 1; CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('owner', 'x');",
        ),
        make("plain.codeloom", "CREATE TABLE t (x); INSERT INTO t VALUES (1);"),
        make(
            "app.codeloom",
            "PRAGMA application_id = 305419896; PRAGMA user_version = 2; CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('project_id', 'theirs');",
        ),
        {
            let p = foreign.join("empty.codeloom");
            std::fs::write(&p, b"").unwrap();
            p
        },
    ];
    let listing = names(&foreign);
    let sums: Vec<Vec<u8>> = files.iter().map(|f| digest(f)).collect();
    for (file, sum) in files.iter().zip(&sums) {
        let (reads, writes) = every_command(s(file), s(&scratch), s(&other));
        for args in reads.iter().chain(&writes) {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let err = fails(&args);
            assert!(
                err.contains(s(file))
                    && err.contains("not a Codeloom project")
                    && err.matches("not a Codeloom").count() == 1,
                "{args:?}: {err}"
            );
            assert_eq!(&digest(file), sum, "{args:?} changed {}", file.display());
            assert_eq!(names(&foreign), listing, "{args:?} left files beside {}", file.display());
        }
    }
    // Listing backups reads only the folder.
    assert!(ok(&["backup", "list", s(&files[0])]).contains("no backups"));
    assert_eq!(names(&foreign), listing);
}

#[test]
fn reading_a_project_never_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let other = small_project(&scratch, "other.codeloom");
    let project = small_project(dir.path(), "study.codeloom");
    let p = s(&project);
    ok(&["code", "apply", p, "--doc", "P01_BL", "--start", "3", "--end", "11", "--code", "Pain", "--coder", "ben"]);
    let before = digest(&project);
    let (reads, _) = every_command(s(&project), s(&scratch), s(&other));
    for args in &reads {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = codeloom(&args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(digest(&project), before, "{args:?} changed the project");
    }
    assert!(!root().join("study.codeloom.backups").exists());
    assert!(!dir.path().join("study.codeloom.backups").exists(), "reading made no backup");

    // An older schema read read-only stays as it is; what it cannot answer says what to do.
    let old = dir.path().join("v1.codeloom");
    std::fs::copy(root().join("tests/compat/v1.codeloom"), &old).unwrap();
    {
        // A second coder, so that agreement gets as far as the tables schema 1 lacks.
        let conn = rusqlite::Connection::open(&old).unwrap();
        conn.execute("INSERT INTO coders (id, name, created_at) VALUES ('c2', 'amara', 0)", []).unwrap();
    }
    let before = digest(&old);
    assert_eq!(json(&["codings", s(&old), "--json"])[0]["text"], "little and often");
    let err = fails(&["agreement", s(&old), "--coders", "ben,amara", "--resamples", "0"]);
    assert!(
        err.contains("older Codeloom") && err.contains("open it once for writing") && err.contains(s(&old)),
        "{err}"
    );
    assert_eq!(digest(&old), before, "a read-only open migrated the file");
    assert!(!dir.path().join("v1.codeloom.backups").exists());
}

#[test]
fn an_identical_coding_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let project = small_project(dir.path(), "study.codeloom");
    let p = s(&project);
    let apply = ["code", "apply", p, "--doc", "P01_BL", "--start", "0", "--end", "11", "--code", "Pain"];
    for _ in 0..3 {
        let out = ok(&apply);
        assert!(out.contains("already has this code") && out.contains("nothing was added"), "{out}");
    }
    assert_eq!(json(&["codings", p, "--json"]).as_array().unwrap().len(), 1);
    let shown = json(&["codebook", "show", p, "--json"]);
    assert_eq!(shown[0]["codings"], 1);
    let log = json(&["log", p, "--json"]);
    assert_eq!(log.as_array().unwrap().iter().filter(|e| e["kind"] == "apply_coding").count(), 1);
    let matrix = dir.path().join("m.csv");
    ok(&["export", "matrix", p, "--kind", "code-wave", "--out", s(&matrix)]);
    let csv = std::fs::read_to_string(&matrix).unwrap();
    assert!(csv.lines().any(|l| l.starts_with("Pain,1,1,1,1,")), "{csv}");
    // Another coder's identical span is their own coding.
    ok(&[&apply[..], &["--coder", "ben"]].concat());
    assert_eq!(json(&["codings", p, "--json"]).as_array().unwrap().len(), 2);
}

#[test]
fn blank_coder_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let project = small_project(dir.path(), "study.codeloom");
    let p = s(&project);
    let before = digest(&project);
    for args in [
        vec!["code", "add", p, "X", "--as", ""],
        vec!["code", "add", p, "X", "--as", "   "],
        vec!["code", "apply", p, "--doc", "P01_BL", "--start", "1", "--end", "4", "--code", "Pain", "--coder", ""],
        vec!["undo", p, "--as", " "],
    ] {
        let err = fails(&args);
        assert!(err.contains("a coder needs a name"), "{args:?}: {err}");
    }
    assert_eq!(digest(&project), before);
}

/// Overwrites page `n` (counting from 1) of a SQLite file with junk.
fn spoil_page(path: &Path, n: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start((n - 1) * 4096)).unwrap();
    f.write_all(&[0xA5; 4096]).unwrap();
}

#[test]
fn a_damaged_project_is_refused_for_writing_and_the_backup_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    let project = small_project(dir.path(), "study.codeloom");
    let p = s(&project);
    let long = dir.path().join("P02_BL.txt");
    let body: String = (0..3000).map(|i| format!("P02: Line {i} about walking and pacing.\n\n")).collect();
    std::fs::write(&long, body).unwrap();
    ok(&["import", p, s(&long)]);
    let made = json(&["backup", "now", p, "--json"]);
    let backup_name = made["name"].as_str().unwrap().to_string();
    ok(&["code", "add", p, "After the backup"]);
    let pages = std::fs::metadata(&project).unwrap().len() / 4096;
    assert!(pages > 20, "{pages} pages");
    spoil_page(&project, pages / 2);
    let spoiled = digest(&project);
    for args in [vec!["code", "add", p, "X"], vec!["undo", p], vec!["import", p, s(&long)]] {
        let err = fails(&args);
        assert!(
            err.contains("damaged") && err.contains(&backup_name) && err.contains("codeloom backup restore"),
            "{err}"
        );
        assert!(err.starts_with(&format!("error: {p}: ")) && err.matches("damaged").count() == 1, "{err}");
        assert_eq!(digest(&project), spoiled, "{args:?} wrote to a damaged file");
    }
    // Restoring keeps the damaged file as a backup first, then puts the good one back.
    let out = ok(&["backup", "restore", p, &backup_name]);
    assert!(out.contains("restored") && out.contains("kept the project as it was"), "{out}");
    ok(&["code", "add", p, "Writable again"]);
    let codes = json(&["codebook", "show", p, "--json"]);
    let names: Vec<&str> = codes.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Writable again") && !names.contains(&"After the backup"), "{names:?}");
    assert_eq!(json(&["docs", p, "--json"]).as_array().unwrap().len(), 2);
}

#[test]
fn database_errors_are_said_once_and_name_the_file_and_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let project = small_project(dir.path(), "study.codeloom");
    let p = s(&project);
    {
        let conn = rusqlite::Connection::open(&project).unwrap();
        conn.execute("UPDATE documents SET text = CAST(X'5032C328' AS TEXT)", []).unwrap();
    }
    let err = fails(&["show", p, "P01_BL"]);
    assert!(err.contains(p) && err.contains("\"P01_BL\"") && err.contains("not valid UTF-8"), "{err}");
    assert_eq!(err.matches("UTF-8").count(), 1, "{err}");

    // A malformed file read read-only: SQLite's words once, with the path.
    let project = small_project(&dir.path().join("x").tap_mkdir(), "study.codeloom");
    let p = s(&project);
    let pages = std::fs::metadata(&project).unwrap().len() / 4096;
    for n in 2..=pages {
        spoil_page(&project, n);
    }
    let err = fails(&["codings", p]);
    assert!(err.contains(p), "{err}");
    let words = ["malformed", "damaged", "not a SQLite database"];
    let said: usize = words.iter().map(|w| err.matches(w).count()).sum();
    assert!((1..=2).contains(&said) && !err.contains("malformed: database disk image is malformed"), "{err}");
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

#[test]
fn backups_are_made_before_a_migration_and_daily_pruned_and_restored() {
    let dir = tempfile::tempdir().unwrap();
    for v in ["v1", "v2", "v5"] {
        let old = dir.path().join(format!("{v}.codeloom"));
        std::fs::copy(root().join(format!("tests/compat/{v}.codeloom")), &old).unwrap();
        let before = digest(&old);
        ok(&["code", "add", s(&old), "New"]);
        let list = json(&["backup", "list", s(&old), "--json"]);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1, "{v}: {list:?}");
        let backup = PathBuf::from(list[0]["path"].as_str().unwrap());
        assert!(backup.starts_with(dir.path().join(format!("{v}.codeloom.backups"))));
        let conn = rusqlite::Connection::open_with_flags(&backup, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version.to_string(), v[1..], "the backup holds the file as it was before the upgrade");
        drop(conn);
        assert_eq!(names(backup.parent().unwrap()).len(), 1, "no -wal or partial files beside the backup");
        assert_ne!(digest(&old), before, "the project itself was brought up to date");
    }

    let project = small_project(dir.path(), "study.codeloom");
    let p = s(&project);
    assert!(json(&["backup", "list", p, "--json"]).as_array().unwrap().is_empty(), "a new project has no backup yet");
    // A day after the last backup, opening for writing makes one; the next open does not.
    let two_days_ago =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64 - 2 * 86_400_000;
    {
        let conn = rusqlite::Connection::open(&project).unwrap();
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_backup_at', ?1)",
            [two_days_ago.to_string()],
        )
        .unwrap();
    }
    ok(&["code", "add", p, "Day two"]);
    assert_eq!(json(&["backup", "list", p, "--json"]).as_array().unwrap().len(), 1);
    ok(&["code", "add", p, "Day two, later"]);
    assert_eq!(json(&["backup", "list", p, "--json"]).as_array().unwrap().len(), 1);

    // Pruned to the number kept, newest kept.
    assert!(ok(&["backup", "keep", p, "3"]).contains("3 backups"));
    let mut made = vec![];
    for _ in 0..4 {
        made.push(json(&["backup", "now", p, "--json"])["name"].as_str().unwrap().to_string());
    }
    let list: Vec<String> = json(&["backup", "list", p, "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(list, made[1..], "the three newest are kept");

    // Restore: the content comes back, and the state before the restore is a backup.
    ok(&["code", "add", p, "After the last backup"]);
    let out = ok(&["backup", "restore", p, &made[3]]);
    assert!(out.contains("restored"), "{out}");
    let codes = |path: &str| -> Vec<String> {
        json(&["codebook", "show", path, "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!codes(p).contains(&"After the last backup".to_string()));
    let newest = json(&["backup", "list", p, "--json"]).as_array().unwrap().last().unwrap().clone();
    assert!(codes(newest["path"].as_str().unwrap()).contains(&"After the last backup".to_string()));
    // Undo still works after a restore, on the restored history.
    ok(&["undo", p]);

    // A backup is never a project to write to; one of another project is not restored.
    let err = fails(&["code", "add", newest["path"].as_str().unwrap(), "X"]);
    assert!(err.contains("this is a backup"), "{err}");
    let stranger = small_project(&dir.path().join("s").tap_mkdir(), "stranger.codeloom");
    let theirs = json(&["backup", "now", s(&stranger), "--json"]);
    let before = digest(&project);
    let err = fails(&["backup", "restore", p, theirs["path"].as_str().unwrap()]);
    assert!(err.contains("another project"), "{err}");
    assert_eq!(digest(&project), before);
}

#[test]
fn backups_never_follow_a_link_out_of_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let project = small_project(dir.path(), "study.codeloom");
    let p = s(&project);
    let elsewhere = dir.path().join("elsewhere").tap_mkdir();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&elsewhere, dir.path().join("study.codeloom.backups")).unwrap();
        let err = fails(&["backup", "now", p]);
        assert!(err.contains("symbolic link"), "{err}");
        assert!(names(&elsewhere).is_empty());
        std::fs::remove_file(dir.path().join("study.codeloom.backups")).unwrap();
        // A linked file in the folder is not a backup: not listed, not restored, not pruned.
        let made = json(&["backup", "now", p, "--json"]);
        let folder = dir.path().join("study.codeloom.backups");
        let outside = elsewhere.join("precious.codeloom");
        std::fs::copy(made["path"].as_str().unwrap(), &outside).unwrap();
        let link = folder.join("study-20000101-000000.codeloom");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        assert_eq!(json(&["backup", "list", p, "--json"]).as_array().unwrap().len(), 1);
        let err = fails(&["backup", "restore", p, s(&link)]);
        assert!(err.contains("symbolic link"), "{err}");
        ok(&["backup", "keep", p, "1"]);
        ok(&["backup", "now", p]);
        assert!(outside.exists() && link.symlink_metadata().is_ok(), "pruning left the link and its target alone");
    }
    let _ = (p, elsewhere);
}

/// Runs the binary as an unprivileged user when the tests run as root (so that
/// permissions apply), else as the current user.
fn run_as_user(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codeloom"));
    cmd.args(args).env("CODELOOM_CODER", "tester");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            cmd.uid(65534).gid(65534);
        }
    }
    cmd.output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_is_named_and_reading_still_works() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let folder = dir.path().join("shared").tap_mkdir();
    let project = small_project(&folder, "study.codeloom");
    for entry in std::fs::read_dir(&folder).unwrap() {
        std::fs::set_permissions(entry.unwrap().path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    let before = digest(&project);
    let out = run_as_user(&["code", "add", s(&project), "X"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "wrote in a read-only folder");
    assert!(err.contains("read-only folder") && err.contains(s(&folder)) && err.contains("only read"), "{err}");
    let out = run_as_user(&["codings", s(&project), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let codings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(codings.as_array().unwrap().len(), 1);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(digest(&project), before);
}

#[test]
fn a_killed_backup_leaves_the_project_and_the_folder_sound() {
    let dir = tempfile::tempdir().unwrap();
    let project = small_project(dir.path(), "study.codeloom");
    let p = s(&project);
    let files = dir.path().join("many");
    codeloom::bench::corpus::write_corpus(&files, 40, 20_000, 3).unwrap();
    ok(&["import", p, s(&files)]);
    for delay in [5u64, 20, 60, 150, 400] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_codeloom"))
            .args(["backup", "now", p])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        ok(&["code", "add", p, &format!("After a kill at {delay} ms")]);
        for b in json(&["backup", "list", p, "--json"]).as_array().unwrap() {
            let path = b["path"].as_str().unwrap();
            let docs = json(&["docs", path, "--json"]);
            assert_eq!(docs.as_array().unwrap().len(), 41, "{path}");
        }
    }
}
