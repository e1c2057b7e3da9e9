//! Every output the command line writes goes through one atomic writer that never
//! replaces a project: these tests point each `--out`/`--csv` at the project, its side
//! files, its search index, another project, devices, pipes and links, and check that each
//! is refused with the path named and the project left byte-for-byte unchanged; that
//! permissions are kept or follow the umask; that a killed write leaves the old file and
//! no temporary file; and the bounds and filters that came with them (`--resamples`,
//! `new --from` that fails, `adjudicate list --json --undecided`).

#![cfg(unix)]

mod common;

use common::{codeloom, json, ok, root};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The demo study (coders amara and ben) at `dir/study.codeloom`, its search index built.
fn demo(dir: &Path) -> PathBuf {
    let project = dir.join("study.codeloom");
    ok(&["demo", s(&project), "--sources", s(&root())]);
    ok(&["search", s(&project), "pain", "--limit", "1"]);
    project
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 test path")
}

/// Every command that writes a user-named file, with `{P}` for the project and `{OUT}`
/// for the file.
const WRITERS: &[&[&str]] = &[
    &["export", "qdpx", "{P}", "--out", "{OUT}"],
    &["export", "quotes", "{P}", "--out", "{OUT}", "--format", "csv"],
    &["export", "matrix", "{P}", "--kind", "code-wave", "--out", "{OUT}", "--format", "csv"],
    &["export", "codebook", "{P}", "--out", "{OUT}", "--format", "md"],
    &["codebook", "export", "{P}", "--format", "json", "--out", "{OUT}"],
    &["codebook", "history", "{P}", "--format", "csv", "--out", "{OUT}"],
    &["search", "{P}", "pain", "--csv", "{OUT}"],
    &["agreement", "{P}", "--coders", "amara,ben", "--resamples", "0", "--out", "{OUT}"],
    &["copy", "{P}", "--coder", "ben", "--out", "{OUT}"],
];

fn args<'a>(template: &[&'a str], project: &'a str, out: &'a str) -> Vec<&'a str> {
    template
        .iter()
        .map(|a| {
            if *a == "{P}" {
                project
            } else if *a == "{OUT}" {
                out
            } else {
                a
            }
        })
        .collect()
}

/// The files and folders directly in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// The project's bytes after a read command has run (so its log is checkpointed).
fn settled(project: &Path) -> Vec<u8> {
    json(&["docs", s(project), "--json"]);
    fs::read(project).unwrap()
}

/// Runs every writer with `{OUT}` = `target`; each must fail naming `target`, and change
/// neither the project nor the folder.
fn every_writer_refuses(project: &Path, target: &Path) {
    let dir = project.parent().unwrap();
    let before = settled(project);
    let files = listing(dir);
    for template in WRITERS {
        let a = args(template, s(project), s(target));
        let out = codeloom(&a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "codeloom {a:?} wrote over {}", target.display());
        assert!(err.contains(s(target)), "codeloom {a:?}: the message does not name the path:\n{err}");
        assert_eq!(settled(project), before, "codeloom {a:?} changed the project");
        assert_eq!(listing(dir), files, "codeloom {a:?} left files behind");
    }
}

#[test]
fn outputs_never_go_over_the_project_or_its_side_files() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    every_writer_refuses(&project, &project);
    every_writer_refuses(&project, &dir.path().join("study.codeloom-wal"));
    every_writer_refuses(&project, &dir.path().join("study.codeloom-journal"));
    let err = String::from_utf8_lossy(
        &codeloom(&["export", "quotes", s(&project), "--out", s(&project), "--format", "csv"]).stderr,
    )
    .to_string();
    assert!(err.contains("refused") && err.contains("project file"), "{err}");
}

#[test]
fn outputs_never_go_into_the_search_index() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let index = dir.path().join("study.codeloom.search");
    let meta = index.join("meta.json");
    let stamp = fs::read(&meta).expect("the search index was built");
    let inside = listing(&index);
    every_writer_refuses(&project, &meta);
    every_writer_refuses(&project, &index.join("hits.csv"));
    assert_eq!(fs::read(&meta).unwrap(), stamp);
    assert_eq!(listing(&index), inside);
}

#[test]
fn outputs_never_replace_another_project_or_a_link_to_this_one() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let other = dir.path().join("other.codeloom");
    ok(&["new", s(&other)]);
    let other_bytes = settled(&other);
    every_writer_refuses(&project, &other);
    assert_eq!(settled(&other), other_bytes);
    let soft = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&project, &soft).unwrap();
    every_writer_refuses(&project, &soft);
    let hard = dir.path().join("hard.csv");
    fs::hard_link(&project, &hard).unwrap();
    every_writer_refuses(&project, &hard);
    assert!(fs::symlink_metadata(&soft).unwrap().file_type().is_symlink());
}

#[test]
fn outputs_never_go_to_devices_pipes_folders_or_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let fifo = dir.path().join("pipe.csv");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    every_writer_refuses(&project, &fifo);
    every_writer_refuses(&project, Path::new("/dev/null"));
    let folder = dir.path().join("a-folder");
    fs::create_dir(&folder).unwrap();
    every_writer_refuses(&project, &folder);
    every_writer_refuses(&project, &dir.path().join("missing/out.csv"));
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&fs::symlink_metadata(&fifo).unwrap().file_type()));
}

/// The process's umask, which the `codeloom` it starts inherits.
fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("Umask:")).expect("a Umask line");
    u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_new_output_follows_the_umask_and_a_replaced_one_keeps_its_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let p = s(&project);
    let quotes = dir.path().join("quotes.csv");
    let hits = dir.path().join("hits.csv");
    let report = dir.path().join("agreement.md");
    let writes: [Vec<&str>; 3] = [
        vec!["export", "quotes", p, "--out", s(&quotes)],
        vec!["search", p, "pain", "--csv", s(&hits)],
        vec!["agreement", p, "--coders", "amara,ben", "--resamples", "0", "--out", s(&report)],
    ];
    for (w, file) in writes.iter().zip([&quotes, &hits, &report]) {
        ok(w);
        assert_eq!(mode(file), 0o666 & !umask(), "{w:?}");
        fs::set_permissions(file, fs::Permissions::from_mode(0o640)).unwrap();
        fs::write(file, b"old").unwrap();
        ok(w);
        assert_eq!(mode(file), 0o640, "{w:?}");
        assert_ne!(fs::read(file).unwrap(), b"old", "{w:?}");
    }
    let mut expected = vec!["agreement.md", "hits.csv", "quotes.csv", "study.codeloom", "study.codeloom.search"];
    expected.sort();
    // SQLite's own -wal and -shm files may stay beside a WAL project after a read-only
    // open; nothing else may appear (no temporary files left by the writer).
    let listed: Vec<String> =
        listing(dir.path()).into_iter().filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm")).collect();
    assert_eq!(listed, expected);
}

/// Runs `codeloom ARGS` as the user `nobody` (for a test running as root, whom
/// permission bits do not stop), or `None` where that cannot be done here.
fn as_nobody(args: &[&str]) -> Option<std::process::Output> {
    let switch = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    let works = Command::new("setpriv").args(switch).arg("true").status().is_ok_and(|s| s.success());
    works.then(|| {
        Command::new("setpriv")
            .args(switch)
            .arg(env!("CARGO_BIN_EXE_codeloom"))
            .args(args)
            .env("CODELOOM_CODER", "tester")
            .output()
            .expect("run codeloom through setpriv")
    })
}

#[test]
fn writing_into_a_read_only_folder_fails_naming_the_folder() {
    let test = "writing_into_a_read_only_folder_fails_naming_the_folder";
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    let out = locked.join("quotes.csv");
    let args = ["export", "quotes", s(&project), "--out", s(&out)];
    let probe = locked.join("probe");
    let r = if fs::write(&probe, b"x").is_ok() {
        // Root: permission bits do not stop this process; try as another user.
        fs::remove_file(&probe).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        fs::set_permissions(&project, fs::Permissions::from_mode(0o666)).unwrap();
        match as_nobody(&args) {
            Some(r) => r,
            None => {
                common::skip(test, "running as root, and `setpriv` cannot run codeloom as another user here");
                return;
            }
        }
    } else {
        codeloom(&args)
    };
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success(), "{err}");
    assert!(err.contains(&format!("cannot create a file in the folder {}: ", locked.display())), "{err}");
    assert!(err.contains(s(&out)) && !err.contains(".codeloom-"), "{err}");
    assert!(listing(&locked).is_empty());
}

/// Whether the process `pid` has a file open in `dir` that has no name yet (Linux shows
/// an `O_TMPFILE` file as `DIR/#INODE (deleted)`) or a temporary name of ours.
fn writing_into(pid: u32, dir: &Path) -> bool {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.filter_map(|e| fs::read_link(e.ok()?.path()).ok()).any(|target| {
        target.parent() == Some(dir) && {
            let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name.starts_with('#') || name.starts_with(".codeloom-")
        }
    })
}

#[test]
fn a_killed_csv_export_leaves_the_old_file_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("big.codeloom");
    ok(&["new", s(&project)]);
    let transcripts = dir.path().join("transcripts");
    codeloom::bench::corpus::write_corpus(&transcripts, 300, 3000, 11).unwrap();
    ok(&["import", s(&project), s(&transcripts)]);
    // Build the search index first, so that each run below spends its time on the hits.
    ok(&["search", s(&project), "knee", "--limit", "1"]);
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let csv = out_dir.join("hits.csv");
    let old = b"kind,document\nold,file\n";
    // Killed as soon as it is seen writing; a run that ends first is tried again.
    let watched = fs::canonicalize(&out_dir).unwrap();
    let mut caught = false;
    for _ in 0..10 {
        fs::write(&csv, old).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_codeloom"))
            .args(["search", s(&project), "knee", "--limit", "1", "--csv", s(&csv)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut killed = false;
        while child.try_wait().unwrap().is_none() {
            if writing_into(child.id(), &watched) {
                child.kill().unwrap();
                killed = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let status = child.wait().unwrap();
        assert_eq!(listing(&out_dir), ["hits.csv"], "a temporary file was left behind");
        let now = fs::read(&csv).unwrap();
        if killed && !status.success() {
            assert_eq!(now, old, "a killed export replaced the old file");
            caught = true;
            break;
        } else {
            assert!(status.success());
            assert!(now.starts_with(b"kind,document,") && now.len() > 100_000, "{} bytes", now.len());
        }
    }
    assert!(caught, "the export was never caught while writing; make the corpus bigger");
    ok(&["search", s(&project), "pain", "--limit", "1", "--csv", s(&csv)]);
    assert!(fs::read(&csv).unwrap().starts_with(b"kind,document,"));
}

#[test]
fn new_from_a_broken_qdpx_leaves_nothing_and_a_rerun_works() {
    let dir = tempfile::tempdir().unwrap();
    let source = demo(dir.path());
    let good = dir.path().join("good.qdpx");
    ok(&["export", "qdpx", s(&source), "--out", s(&good)]);
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    let broken = dir.path().join("broken.qdpx");
    fs::write(&broken, b"PK\x03\x04 not really a zip").unwrap();
    let project = work.join("from-nvivo.codeloom");
    let r = codeloom(&["new", s(&project), "--from", s(&broken)]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("broken.qdpx"), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(listing(&work).is_empty(), "left behind: {:?}", listing(&work));
    let report = json(&["new", s(&project), "--from", s(&good), "--json"]);
    assert_eq!(report["imported"]["documents"], 17, "{report}");
    assert_eq!(listing(&work), ["from-nvivo.codeloom"]);
    assert_eq!(json(&["docs", s(&project), "--json"]).as_array().unwrap().len(), 17);
    let again = codeloom(&["new", s(&project), "--from", s(&good)]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn a_coders_copy_appears_only_when_complete_and_never_over_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let copy = dir.path().join("ben.codeloom");
    ok(&["copy", s(&project), "--coder", "ben", "--blind", "--out", s(&copy)]);
    assert_eq!(json(&["docs", s(&copy), "--json"]).as_array().unwrap().len(), 17);
    assert!(!listing(dir.path()).iter().any(|n| n.starts_with(".codeloom-")), "{:?}", listing(dir.path()));
    let bytes = settled(&copy);
    let r = codeloom(&["copy", s(&project), "--coder", "amara", "--out", s(&copy)]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("already exists"));
    assert_eq!(settled(&copy), bytes);
}

#[test]
fn resamples_are_bounded_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    for n in ["18446744073709551615", "4294967296", "100000000", "100001", "999"] {
        let r = codeloom(&["agreement", s(&project), "--coders", "amara,ben", "--resamples", n]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "--resamples {n} was accepted");
        assert!(err.contains("--resamples must be 0 (no bootstrap) or from 1000 to 100000"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    ok(&["agreement", s(&project), "--coders", "amara,ben", "--resamples", "0", "--json"]);

    use codeloom::agreement::bootstrap::{MAX_RESAMPLES, multiplicities};
    use codeloom::agreement::{AgreementError, BootstrapConfig};
    let config = |resamples| BootstrapConfig { resamples, seed: 7 };
    assert_eq!(config(MAX_RESAMPLES).check(), Ok(()));
    assert_eq!(config(0).check(), Err(AgreementError::NoResamples));
    assert_eq!(
        config(usize::MAX).check(),
        Err(AgreementError::TooManyResamples { resamples: usize::MAX, max: MAX_RESAMPLES })
    );
    // Within the bound on resamples, but too many draws to hold for this many documents:
    // refused before anything is allocated.
    assert!(matches!(multiplicities(10_000_000, config(1000)), Err(AgreementError::TooManyResamples { .. })));
    assert_eq!(multiplicities(3, config(1000)).unwrap().len(), 1000);
}

#[test]
fn adjudicate_list_json_undecided_lists_only_the_open_places() {
    let dir = tempfile::tempdir().unwrap();
    let project = demo(dir.path());
    let p = s(&project);
    ok(&["adjudicate", p, "--coders", "amara,ben", "decide", "--item", "2", "--skip"]);
    ok(&["adjudicate", p, "--coders", "amara,ben", "decide", "--item", "5", "--union"]);
    let all = json(&["adjudicate", p, "--coders", "amara,ben", "list", "--json"]);
    let open = json(&["adjudicate", p, "--coders", "amara,ben", "list", "--undecided", "--json"]);
    let total = all["items"].as_array().unwrap().len();
    assert!(total > 10);
    assert_eq!(all["total"], total);
    assert_eq!(all["decided"], 2);
    let numbers: Vec<u64> = all["items"].as_array().unwrap().iter().map(|i| i["item"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=total as u64).collect::<Vec<_>>());
    let items = open["items"].as_array().unwrap();
    assert_eq!(items.len(), total - 2);
    assert!(items.iter().all(|i| i["decision"].is_null()));
    let open_numbers: Vec<u64> = items.iter().map(|i| i["item"].as_u64().unwrap()).collect();
    assert!(!open_numbers.contains(&2) && !open_numbers.contains(&5) && open_numbers.contains(&1));
    assert_eq!(open["total"], total);
    // The text output lists the same places.
    let text = ok(&["adjudicate", p, "--coders", "amara,ben", "list", "--undecided"]);
    let listed = text.lines().filter(|l| l.contains("(open)")).count();
    assert_eq!(listed, items.len());
}
