use super::*;
use std::os::unix::fs::PermissionsExt;

/// The files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// A stand-in project file that is not a database, so that only the path and identity
/// checks can refuse it.
fn plain_project(dir: &Path) -> PathBuf {
    let p = dir.join("study.codeloom");
    fs::write(&p, b"project bytes").unwrap();
    p
}

fn message(r: Result<()>) -> String {
    match r {
        Ok(()) => panic!("the write was not refused"),
        Err(e) => e.to_string(),
    }
}

/// The process's umask from /proc (reading it with umask(2) would change it for every
/// thread for a moment).
fn umask() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Umask:"))?;
    u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).ok()
}

#[test]
fn writes_a_new_file_with_the_umask_permissions_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quotes.csv");
    write_bytes(&out, b"a,b\n1,2\n", &Protect::none()).unwrap();
    assert_eq!(fs::read(&out).unwrap(), b"a,b\n1,2\n");
    assert_eq!(listing(dir.path()), ["quotes.csv"]);
    match umask() {
        Some(mask) => assert_eq!(fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o666 & !mask),
        None => {
            let _ = writeln!(std::io::stderr().lock(), "SKIPPED new-file permissions: /proc/self/status has no Umask");
            assert!(std::env::var_os("CI").is_none(), "CI must provide /proc/self/status");
        }
    }
}

#[test]
fn replacing_a_file_keeps_its_permission_bits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.md");
    fs::write(&out, b"old").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
    write_bytes(&out, b"new", &Protect::none()).unwrap();
    assert_eq!(fs::read(&out).unwrap(), b"new");
    assert_eq!(fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o640);
    fs::set_permissions(&out, fs::Permissions::from_mode(0o604)).unwrap();
    write_bytes(&out, b"newer", &Protect::none()).unwrap();
    assert_eq!(fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o604);
}

#[test]
fn a_failed_or_panicking_write_leaves_the_old_file_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hits.csv");
    fs::write(&out, b"old contents").unwrap();
    let r: Result<()> = write_streamed(&out, &Protect::none(), |w| {
        w.write_all(&[b'x'; 200_000]).map_err(|e| write_error(&out, e))?;
        Err(Error::Invalid("the query failed half way".into()))
    });
    assert!(r.unwrap_err().to_string().contains("half way"));
    assert_eq!(fs::read(&out).unwrap(), b"old contents");
    assert_eq!(listing(dir.path()), ["hits.csv"]);

    let panicked = std::panic::catch_unwind(|| {
        let _: Result<()> = write_streamed(&out, &Protect::none(), |w| {
            w.write_all(&[b'y'; 200_000]).unwrap();
            panic!("a bug while writing");
        });
    });
    assert!(panicked.is_err());
    assert_eq!(fs::read(&out).unwrap(), b"old contents");
    assert_eq!(listing(dir.path()), ["hits.csv"]);

    let fresh = dir.path().join("fresh.csv");
    let r: Result<()> = write_streamed(&fresh, &Protect::none(), |_| Err(Error::Invalid("no".into())));
    assert!(r.is_err());
    assert_eq!(listing(dir.path()), ["hits.csv"]);
}

#[test]
fn the_streaming_form_returns_the_closures_value_and_can_seek() {
    use std::io::{Seek, SeekFrom};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("seek.bin");
    let n = write_streamed(&out, &Protect::none(), |w| -> Result<usize> {
        w.write_all(b"hello world").map_err(|e| write_error(&out, e))?;
        w.seek(SeekFrom::Start(0)).map_err(|e| write_error(&out, e))?;
        w.write_all(b"J").map_err(|e| write_error(&out, e))?;
        Ok(11)
    })
    .unwrap();
    assert_eq!(n, 11);
    assert_eq!(fs::read(&out).unwrap(), b"Jello world");
}

#[test]
fn the_project_its_side_files_and_its_search_index_are_refused_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let project = plain_project(dir.path());
    let index = dir.path().join("study.codeloom.search");
    fs::create_dir(&index).unwrap();
    fs::write(index.join("meta.json"), b"{}").unwrap();
    fs::write(dir.path().join("study.codeloom-wal"), b"wal").unwrap();
    let protect = Protect::project(&project);
    let before = listing(dir.path());
    let targets = [
        project.clone(),
        dir.path().join("study.codeloom-wal"),
        dir.path().join("study.codeloom-shm"),
        dir.path().join("study.codeloom-journal"),
        index.join("meta.json"),
        index.join("new-segment.idx"),
        dir.path().join("sub/../study.codeloom"),
    ];
    fs::create_dir(dir.path().join("sub")).unwrap();
    for t in &targets {
        let m = message(write_bytes(t, b"export", &protect));
        assert!(m.contains(&t.display().to_string()) && m.contains("refused"), "{m}");
    }
    assert_eq!(fs::read(&project).unwrap(), b"project bytes");
    assert_eq!(fs::read(index.join("meta.json")).unwrap(), b"{}");
    assert_eq!(fs::read(dir.path().join("study.codeloom-wal")).unwrap(), b"wal");
    let mut after = listing(dir.path());
    after.retain(|n| n != "sub");
    assert_eq!(after, before);
    // Another file in the same folder is fine.
    write_bytes(&dir.path().join("study.csv"), b"ok", &protect).unwrap();
}

#[test]
fn links_to_the_project_are_refused_and_other_links_are_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let project = plain_project(dir.path());
    let protect = Protect::project(&project);
    let hard = dir.path().join("hard.csv");
    fs::hard_link(&project, &hard).unwrap();
    let soft = dir.path().join("soft.csv");
    std::os::unix::fs::symlink(&project, &soft).unwrap();
    for t in [&hard, &soft] {
        let m = message(write_bytes(t, b"export", &protect));
        assert!(m.contains(&t.display().to_string()) && m.contains("project file"), "{m}");
    }
    assert_eq!(fs::read(&project).unwrap(), b"project bytes");

    let real = dir.path().join("real.csv");
    fs::write(&real, b"old").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    write_bytes(&link, b"new", &protect).unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
    assert_eq!(fs::read(&real).unwrap(), b"new");

    let dangling = dir.path().join("dangling.csv");
    std::os::unix::fs::symlink(dir.path().join("nowhere/x.csv"), &dangling).unwrap();
    let m = message(write_bytes(&dangling, b"x", &protect));
    assert!(m.contains("symbolic link"), "{m}");
}

#[test]
fn any_database_and_its_side_files_are_refused_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.codeloom");
    let mut bytes = SQLITE_HEADER.to_vec();
    bytes.extend_from_slice(&[0u8; 100]);
    fs::write(&other, &bytes).unwrap();
    let m = message(write_bytes(&other, b"export", &Protect::none()));
    assert!(m.contains("SQLite database") && m.contains("other.codeloom"), "{m}");
    // Even under a name that looks like an export.
    let renamed = dir.path().join("results.csv");
    fs::copy(&other, &renamed).unwrap();
    message(write_bytes(&renamed, b"export", &Protect::none()));
    assert_eq!(fs::read(&renamed).unwrap(), bytes);
    // Its side files and search index, though no project is given.
    message(write_bytes(&dir.path().join("other.codeloom-wal"), b"x", &Protect::none()));
    fs::create_dir(dir.path().join("other.codeloom.search")).unwrap();
    message(write_bytes(&dir.path().join("other.codeloom.search/x"), b"x", &Protect::none()));
    assert_eq!(listing(dir.path()), ["other.codeloom", "other.codeloom.search", "results.csv"]);
    // A file that merely starts like one is not refused.
    let near = dir.path().join("near.txt");
    fs::write(&near, b"SQLite format 2").unwrap();
    write_bytes(&near, b"fine", &Protect::none()).unwrap();
}

#[test]
fn folders_devices_pipes_and_missing_folders_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = message(write_bytes(dir.path(), b"x", &Protect::none()));
    assert!(m.contains("folder"), "{m}");
    let m = message(write_bytes(Path::new("/dev/null"), b"x", &Protect::none()));
    assert!(m.contains("/dev/null") && m.contains("character device"), "{m}");
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let m = message(write_bytes(&fifo, b"x", &Protect::none()));
    assert!(m.contains("named pipe"), "{m}");
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&fs::symlink_metadata(&fifo).unwrap().file_type()));
    let missing = dir.path().join("no-such-folder/out.csv");
    let m = message(write_bytes(&missing, b"x", &Protect::none()));
    assert!(m.contains("no-such-folder") && m.contains("does not exist"), "{m}");
    let m = message(write_bytes(Path::new("/"), b"x", &Protect::none()));
    assert!(m.contains("give a file name"), "{m}");
    check_target(&dir.path().join("fine.csv"), &Protect::none()).unwrap();
    assert!(check_target(&fifo, &Protect::none()).is_err());
}

#[test]
fn create_new_moves_the_file_in_only_when_complete() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("new.codeloom");
    let n = create_new(&target, &Protect::none(), |staged| -> Result<u8> {
        assert_ne!(staged, target, "built elsewhere");
        assert_eq!(staged.file_name(), target.file_name());
        fs::write(staged, b"built").unwrap();
        assert!(!target.exists(), "not there before it is complete");
        Ok(7)
    })
    .unwrap();
    assert_eq!(n, 7);
    assert_eq!(fs::read(&target).unwrap(), b"built");
    assert_eq!(listing(dir.path()), ["new.codeloom"]);

    // An existing file is refused before anything is built.
    let r: Result<()> = create_new(&target, &Protect::none(), |_| panic!("must not build"));
    assert!(r.unwrap_err().to_string().contains("already exists"));

    // A failure leaves nothing.
    let failed = dir.path().join("failed.codeloom");
    let r: Result<()> = create_new(&failed, &Protect::none(), |staged| {
        fs::write(staged, b"half").unwrap();
        Err(Error::Invalid("the import failed".into()))
    });
    assert!(r.unwrap_err().to_string().contains("import failed"));
    assert_eq!(listing(dir.path()), ["new.codeloom"]);

    // A file that appears meanwhile is left alone.
    let raced = dir.path().join("raced.codeloom");
    let r: Result<()> = create_new(&raced, &Protect::none(), |staged| {
        fs::write(staged, b"mine").unwrap();
        fs::write(&raced, b"someone else's").unwrap();
        Ok(())
    });
    let m = r.unwrap_err().to_string();
    assert!(m.contains("appeared") && m.contains("raced.codeloom"), "{m}");
    assert_eq!(fs::read(&raced).unwrap(), b"someone else's");
    assert_eq!(listing(dir.path()), ["new.codeloom", "raced.codeloom"]);

    // A database left open (a non-empty -wal beside it) is not moved in.
    let open = dir.path().join("open.codeloom");
    let r: Result<()> = create_new(&open, &Protect::none(), |staged| {
        fs::write(staged, b"db").unwrap();
        fs::write(with_suffix(staged, "-wal"), b"pages").unwrap();
        Ok(())
    });
    assert!(r.unwrap_err().to_string().contains("still open"));
    assert_eq!(listing(dir.path()), ["new.codeloom", "raced.codeloom"]);

    let m = create_new(&dir.path().join("missing/x.codeloom"), &Protect::none(), |_| -> Result<()> { Ok(()) })
        .unwrap_err()
        .to_string();
    assert!(m.contains("does not exist"), "{m}");

    // The side file or search index of a project is not a name for a new file.
    let project = plain_project(dir.path());
    for name in ["study.codeloom-wal", "study.codeloom-journal"] {
        let r: Result<()> =
            create_new(&dir.path().join(name), &Protect::project(&project), |_| panic!("must not build"));
        assert!(r.unwrap_err().to_string().contains("refused"));
    }
    fs::write(dir.path().join("db.codeloom"), SQLITE_HEADER).unwrap();
    let r: Result<()> = create_new(&dir.path().join("db.codeloom-wal"), &Protect::none(), |_| panic!("must not build"));
    assert!(r.unwrap_err().to_string().contains("refused"));
}

#[test]
fn the_no_clobber_rename_fallback_never_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    fs::write(&a, b"a").unwrap();
    fs::write(&b, b"b").unwrap();
    assert_eq!(link_then_unlink(&a, &b).unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(rename_no_clobber(&a, &b).unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(fs::read(&b).unwrap(), b"b");
    let c = dir.path().join("c");
    rename_no_clobber(&a, &c).unwrap();
    assert!(!a.exists());
    assert_eq!(fs::read(&c).unwrap(), b"a");
}

#[test]
fn the_named_temporary_file_also_keeps_permissions_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("named.csv");
    fs::write(&out, b"old").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
    write_staged(&out, &Protect::none(), false, |w| -> Result<()> {
        let names = listing(dir.path());
        assert_eq!(names.len(), 2, "a named temporary file beside the target: {names:?}");
        assert!(names.iter().any(|n| n.starts_with(SCRATCH_PREFIX)), "{names:?}");
        w.write_all(b"new").map_err(|e| write_error(&out, e))
    })
    .unwrap();
    assert_eq!(fs::read(&out).unwrap(), b"new");
    assert_eq!(fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(listing(dir.path()), ["named.csv"]);
    let fresh = dir.path().join("fresh.csv");
    write_staged(&fresh, &Protect::none(), false, |w| w.write_all(b"x").map_err(|e| write_error(&fresh, e))).unwrap();
    if let Some(mask) = umask() {
        assert_eq!(fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o666 & !mask);
    }
    let r: Result<()> = write_staged(&out, &Protect::none(), false, |_| Err(Error::Invalid("no".into())));
    assert!(r.is_err());
    assert_eq!(listing(dir.path()), ["fresh.csv", "named.csv"]);
    assert_eq!(fs::read(&out).unwrap(), b"new");
}

#[test]
fn on_linux_nothing_is_visible_in_the_folder_while_writing() {
    let dir = tempfile::tempdir().unwrap();
    if unnamed_file_in(dir.path()).is_none() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED unnamed temporary files: this system or file system cannot make them"
        );
        assert!(std::env::var_os("CI").is_none(), "CI runs on Linux with O_TMPFILE");
        return;
    }
    let out = dir.path().join("hits.csv");
    write_streamed(&out, &Protect::none(), |w| -> Result<()> {
        assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
        w.write_all(b"x").map_err(|e| write_error(&out, e))
    })
    .unwrap();
    assert_eq!(listing(dir.path()), ["hits.csv"]);
}
