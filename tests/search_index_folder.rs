//! The search index folder beside a project (issue 15 item 6): an up-to-date index is
//! searched without a single write, also in a folder that cannot be written; a stale
//! one there is searched from memory; concurrent searches after a change (threads and
//! processes) all succeed and only one of them writes; whatever else is at the folder's
//! name is reported by name and left alone; a lock held too long gives a clear error.

#![cfg(unix)]

use codeloom::Project;
use codeloom::search::folder::UpdateLock;
use codeloom::search::{SearchIndex, SearchOptions, Service, Status, index_dir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

mod common;
use common::{codeloom, ok};

/// A project of two interviews, with its index built.
fn project(dir: &Path) -> PathBuf {
    let p = dir.join("study.codeloom");
    ok(&["new", p.to_str().unwrap()]);
    for (name, text) in [
        ("P01_BL", "INTERVIEWER: How are the stairs?\n\nP01: The stairs are hard on my knee.\n"),
        ("P02_BL", "INTERVIEWER: And sleep?\n\nP02: I wake at four; my knee aches.\n"),
    ] {
        let f = dir.join(format!("{name}.txt"));
        std::fs::write(&f, text).unwrap();
        ok(&["import", p.to_str().unwrap(), f.to_str().unwrap()]);
    }
    let project = Project::open(&p).unwrap();
    let (_, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!(report.documents, 2);
    p
}

/// A change the index must follow: a third interview that mentions the knee.
fn change(dir: &Path, project: &Path) {
    let f = dir.join("P03_BL.txt");
    std::fs::write(&f, "INTERVIEWER: Walking?\n\nP03: My knee gives way on the hill.\n").unwrap();
    ok(&["import", project.to_str().unwrap(), f.to_str().unwrap()]);
}

fn knee_passages(project: &Path) -> usize {
    let project = Project::open(project).unwrap();
    let (index, _) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    index.search("knee", &SearchOptions::default()).unwrap().counts.passages
}

/// The folder's own modification time, and each entry's size and modification time by name.
type Listing = (Option<SystemTime>, BTreeMap<String, (u64, Option<SystemTime>)>);

/// What any write in a folder would change.
fn listing(dir: &Path) -> Listing {
    let entries = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (e.file_name().to_string_lossy().into_owned(), (m.len(), m.modified().ok()))
        })
        .collect();
    (std::fs::metadata(dir).unwrap().modified().ok(), entries)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Makes a folder that cannot be written for as long as it lives: permission bits for
/// an ordinary user; for root, whom permission bits do not stop, the immutable flag.
struct Unwritable(PathBuf);

impl Unwritable {
    fn make(test: &str, dir: &Path) -> Option<Unwritable> {
        if !is_root() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
            return Some(Unwritable(dir.to_path_buf()));
        }
        if !common::tool(test, "chattr", &["-V"]) {
            return None;
        }
        let set = Command::new("chattr").arg("+i").arg(dir).status().is_ok_and(|s| s.success());
        if !set {
            common::skip(test, "running as root and `chattr +i` is not permitted here, so no folder is unwritable");
            return None;
        }
        Some(Unwritable(dir.to_path_buf()))
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        if is_root() {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        } else {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn an_up_to_date_index_is_searched_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let index = index_dir(&p);
    let before = listing(&index);
    // Coarse file system clocks would hide a write made in the same tick.
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(knee_passages(&p), 2);
    let out = ok(&["search", p.to_str().unwrap(), "knee", "--json"]);
    assert!(out.contains("P02_BL"), "{out}");
    assert_eq!(listing(&index), before, "searching an up-to-date index wrote in its folder");
}

#[test]
fn an_unwritable_folder_is_still_searched() {
    let test = "an_unwritable_folder_is_still_searched";
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let index = index_dir(&p);
    let before = listing(&index);
    let Some(guard) = Unwritable::make(test, &index) else { return };

    // Up to date: searched from the folder.
    let project = Project::open(&p).unwrap();
    let (found, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!(report.rebuilt_because, None);
    assert_eq!(found.search("knee", &SearchOptions::default()).unwrap().counts.passages, 2);
    drop((found, project));

    // Stale: searched from memory, with the reason, which names the folder.
    change(dir.path(), &p);
    let project = Project::open(&p).unwrap();
    let (found, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    let why = report.rebuilt_because.clone().unwrap_or_default();
    assert!(why.contains(&index.display().to_string()) && why.contains("cannot be written"), "{why}");
    assert_eq!(found.search("knee", &SearchOptions::default()).unwrap().counts.passages, 3);
    drop((found, project));
    let out = codeloom(&["search", p.to_str().unwrap(), "knee"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be written"));
    // The GUI's search thread says that it keeps the index in memory.
    let service = Service::start(&p);
    let until = std::time::Instant::now() + Duration::from_secs(60);
    let note = loop {
        match service.status() {
            Status::Ready { note, documents, .. } => break (note, documents),
            Status::Failed(e) => panic!("{e}"),
            _ if std::time::Instant::now() > until => panic!("the search thread never got ready"),
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    assert_eq!(note.1, 3);
    assert!(note.0.is_some_and(|n| n.contains(&index.display().to_string()) && n.contains("in memory")));
    drop(service);
    assert_eq!(listing(&index), before, "nothing was written in the unwritable folder");

    // Writable again: the index on disk catches up by itself.
    drop(guard);
    let project = Project::open(&p).unwrap();
    let (_, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!((report.rebuilt_because, report.indexed), (None, 1));
}

#[test]
fn four_searches_in_threads_after_a_change_all_succeed_and_one_writes() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    change(dir.path(), &p);
    let start = std::sync::Arc::new(std::sync::Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (p, start) = (p.clone(), start.clone());
            std::thread::spawn(move || {
                let project = Project::open(&p).map_err(|e| e.to_string())?;
                start.wait();
                let (index, report) = SearchIndex::open(&project, &mut |_| {}).map_err(|e| e.to_string())?;
                let found = index.search("knee", &SearchOptions::default()).map_err(|e| e.to_string())?;
                Ok::<_, String>((report.indexed, found.counts.passages))
            })
        })
        .collect();
    let results: Vec<(usize, usize)> = threads.into_iter().map(|t| t.join().unwrap().unwrap()).collect();
    assert!(results.iter().all(|&(_, n)| n == 3), "{results:?}");
    let writers = results.iter().filter(|&&(indexed, _)| indexed > 0).count();
    assert_eq!(writers, 1, "one thread updates, the others find the index up to date: {results:?}");
}

#[test]
fn four_searches_in_processes_after_a_change_or_a_deletion_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let run_four = || {
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_codeloom"))
                    .args(["search", p.to_str().unwrap(), "knee", "--sort", "document"])
                    .env("CODELOOM_CODER", "tester")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        for o in &outs {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        assert!(outs.windows(2).all(|w| w[0].stdout == w[1].stdout), "all four answer the same");
        outs
    };
    change(dir.path(), &p);
    let outs = run_four();
    assert!(String::from_utf8_lossy(&outs[0].stdout).contains("P03_BL"));
    std::fs::remove_dir_all(index_dir(&p)).unwrap();
    let outs = run_four();
    let builders =
        outs.iter().filter(|o| String::from_utf8_lossy(&o.stderr).contains("built the search index")).count();
    assert_eq!(builders, 1, "one process builds the index, the others wait and search it");
}

#[test]
fn what_is_not_an_index_is_reported_by_name_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let index = index_dir(&p);
    std::fs::remove_dir_all(&index).unwrap();
    let project = Project::open(&p).unwrap();
    let refused = |what: &str| {
        let e = SearchIndex::open(&project, &mut |_| {}).err().unwrap_or_else(|| panic!("{what}: opened"));
        let message = e.to_string();
        assert!(
            message.contains(&index.display().to_string())
                && message.contains("not a Codeloom search index")
                && message.contains("move it away"),
            "{what}: {message}"
        );
        let out = codeloom(&["search", p.to_str().unwrap(), "knee"]);
        assert!(!out.status.success(), "{what}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(&index.display().to_string()), "{what}");
    };

    std::fs::write(&index, "my notes").unwrap();
    refused("a file");
    assert_eq!(std::fs::read_to_string(&index).unwrap(), "my notes");
    std::fs::remove_file(&index).unwrap();

    std::os::unix::fs::symlink(dir.path().join("nowhere"), &index).unwrap();
    refused("a link to nothing");
    assert!(std::fs::symlink_metadata(&index).unwrap().is_symlink() && !dir.path().join("nowhere").exists());
    std::fs::remove_file(&index).unwrap();

    std::os::unix::fs::symlink(dir.path().join("P01_BL.txt"), &index).unwrap();
    refused("a link to a file");
    std::fs::remove_file(&index).unwrap();

    std::fs::create_dir_all(index.join("drafts")).unwrap();
    std::fs::write(index.join("chapter.md"), "my chapter").unwrap();
    std::fs::write(index.join("drafts/one.md"), "a draft").unwrap();
    refused("a folder of the user's files");
    assert_eq!(std::fs::read_to_string(index.join("chapter.md")).unwrap(), "my chapter");
    assert_eq!(std::fs::read_to_string(index.join("drafts/one.md")).unwrap(), "a draft");
    std::fs::remove_dir_all(&index).unwrap();

    // An empty folder is free to use.
    std::fs::create_dir(&index).unwrap();
    let (_, report) = SearchIndex::open(&project, &mut |_| {}).unwrap();
    assert_eq!(report.documents, 2);
    assert!(index.join("codeloom-stamp.json").is_file());
}

#[test]
fn a_lock_held_too_long_gives_an_error_naming_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path());
    let index = index_dir(&p);
    // Waits a little: a child process another test is starting can hold a copy of a lock
    // this process just released until it has started its program.
    let held = UpdateLock::exclusive(&index, Duration::from_secs(10)).unwrap();
    let wait = Duration::from_millis(300);
    let project = Project::open(&p).unwrap();
    // Up to date: the reader waits for the update in progress, then gives up.
    let e = SearchIndex::open_waiting(&project, &mut |_| {}, wait).err().expect("the lock is held");
    assert!(e.to_string().contains(&index.display().to_string()) && e.to_string().contains("another Codeloom"), "{e}");
    // Stale: the same for the updater.
    change(dir.path(), &p);
    let project = Project::open(&p).unwrap();
    let e = SearchIndex::open_waiting(&project, &mut |_| {}, wait).err().expect("the lock is held");
    assert!(e.to_string().contains(&index.display().to_string()) && e.to_string().contains("another Codeloom"), "{e}");
    drop(held);
    let (_, report) = SearchIndex::open_waiting(&project, &mut |_| {}, wait).unwrap();
    assert_eq!(report.indexed, 1);
}
