//! Walking the folders given to an import: the files to read, the files skipped (and
//! why), and the folders that could not be read.
//!
//! Links are followed, but never into a folder already read (a link back up the tree,
//! `a/loop -> ../a`) or into a folder that holds the folders being imported
//! (`self -> ..`), so a loop of links ends. Nesting deeper than [`MAX_FOLDER_DEPTH`] and
//! more than [`MAX_FILES`] entries stop the walk with a message instead of running on.

use super::{ExtractError, ImportError, SUPPORTED};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The deepest folder nesting read below a folder given to an import.
pub const MAX_FOLDER_DEPTH: usize = 64;
/// The most files (imported or skipped) taken from the folders of one import.
pub const MAX_FILES: usize = 100_000;

/// The files found for an import.
#[derive(Debug, Default)]
pub struct Collected {
    /// Files to read, in order.
    pub files: Vec<PathBuf>,
    /// Entries not imported, each with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Folders that could not be read, and limits reached.
    pub errors: Vec<ImportError>,
}

/// Identifies a folder however it was reached: device and inode on Unix, the canonical
/// path elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FolderId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn folder_id(path: &Path, meta: &std::fs::Metadata) -> FolderId {
    #[cfg(unix)]
    {
        let _ = path;
        use std::os::unix::fs::MetadataExt;
        FolderId::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        FolderId::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

struct Walk {
    found: Collected,
    visited: HashSet<FolderId>,
    /// The canonical paths of the folders given, to refuse links to their ancestors.
    roots: Vec<PathBuf>,
    stopped: bool,
    max_depth: usize,
    max_files: usize,
}

fn skip_reason(p: &Path) -> String {
    let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    if ext == "csv" {
        "not a transcript; to import participant attributes use `codeloom attributes import`".to_string()
    } else {
        "not a supported transcript format".to_string()
    }
}

impl Walk {
    fn count(&self) -> usize {
        self.found.files.len() + self.found.skipped.len()
    }

    fn add_file(&mut self, p: PathBuf, from: &Path) {
        if self.count() >= self.max_files {
            self.stopped = true;
            self.found.errors.push(ImportError::new(
                from,
                ExtractError::TooLarge(format!(
                    "more than {} files in the folders given; stopped here, the rest were not read \
                     (import fewer folders at a time)",
                    self.max_files
                )),
            ));
            return;
        }
        let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
        if SUPPORTED.contains(&ext.as_str()) {
            self.found.files.push(p);
        } else {
            let reason = skip_reason(&p);
            self.found.skipped.push((p, reason));
        }
    }

    /// Whether the folder at `p` (reached through a link) holds a folder given to the import.
    fn holds_a_root(&self, p: &Path) -> bool {
        std::fs::canonicalize(p).is_ok_and(|target| self.roots.iter().any(|r| r.starts_with(&target)))
    }

    fn enter(&mut self, dir: &Path, depth: usize) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                return self.found.errors.push(ImportError::new(dir, ExtractError::Unreadable(e.to_string())));
            }
        };
        let mut list: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        list.sort();
        for p in list {
            if self.stopped {
                return;
            }
            if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&p) else {
                let reason = "a link to something that is not there (a broken link)".to_string();
                self.found.skipped.push((p, reason));
                continue;
            };
            if !meta.is_dir() {
                self.add_file(p, dir);
                continue;
            }
            let is_link = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
            if depth + 1 > self.max_depth {
                self.found.errors.push(ImportError::new(
                    &p,
                    ExtractError::Unreadable(format!(
                        "folders nested more than {} deep; this folder was not read",
                        self.max_depth
                    )),
                ));
            } else if !self.visited.insert(folder_id(&p, &meta)) {
                let reason = "a link to a folder already read (a loop of links); not followed".to_string();
                self.found.skipped.push((p, reason));
            } else if is_link && self.holds_a_root(&p) {
                let reason = "a link to a folder that holds the folders being imported; not followed".to_string();
                self.found.skipped.push((p, reason));
            } else {
                self.enter(&p, depth + 1);
            }
        }
    }
}

/// Expands folders (recursively, skipping hidden entries) into the files to import.
/// Files in folders with unsupported extensions are returned separately as skipped.
pub fn collect_files(paths: &[PathBuf]) -> Collected {
    collect_within(paths, MAX_FOLDER_DEPTH, MAX_FILES)
}

fn collect_within(paths: &[PathBuf], max_depth: usize, max_files: usize) -> Collected {
    let roots = paths.iter().filter(|p| p.is_dir()).filter_map(|p| std::fs::canonicalize(p).ok()).collect();
    let mut walk =
        Walk { found: Collected::default(), visited: HashSet::new(), roots, stopped: false, max_depth, max_files };
    for p in paths {
        if walk.stopped {
            break;
        }
        match std::fs::metadata(p) {
            Ok(meta) if meta.is_dir() => {
                if walk.visited.insert(folder_id(p, &meta)) {
                    walk.enter(p, 0);
                }
            }
            Ok(_) => {
                if walk.count() < walk.max_files {
                    walk.found.files.push(p.clone());
                } else {
                    walk.add_file(p.clone(), p);
                }
            }
            Err(_) => {
                walk.found.errors.push(ImportError::new(p, ExtractError::Unreadable("no such file or folder".into())))
            }
        }
    }
    walk.found
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(paths: &[PathBuf], root: &Path) -> Vec<String> {
        paths.iter().map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string()).collect()
    }

    #[test]
    fn links_back_up_the_tree_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("study");
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/P01_W1.txt"), "Dan: hello").unwrap();
        std::fs::write(dir.path().join("outside.txt"), "not part of the study").unwrap();
        symlink("..", root.join("a/loop")).unwrap();
        symlink("..", root.join("self")).unwrap();
        let found = collect_files(std::slice::from_ref(&root));
        assert_eq!(names(&found.files, &root), ["a/P01_W1.txt"]);
        let skipped = names(&found.skipped.iter().map(|s| s.0.clone()).collect::<Vec<_>>(), &root);
        assert_eq!(skipped, ["a/loop", "self"]);
        assert!(found.skipped[0].1.contains("already read"), "{:?}", found.skipped);
        assert!(found.skipped[1].1.contains("holds the folders being imported"), "{:?}", found.skipped);
        assert!(found.errors.is_empty());
    }

    #[test]
    fn a_link_to_a_sibling_folder_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("wave1")).unwrap();
        std::fs::write(root.join("wave1/P01.txt"), "x").unwrap();
        symlink("wave1", root.join("also")).unwrap();
        let found = collect_files(&[root.to_path_buf()]);
        assert_eq!(found.files.len(), 1, "{:?}", found.files);
        assert_eq!(found.skipped.len(), 1);
    }

    #[test]
    fn deep_nesting_stops_with_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let mut deep = dir.path().to_path_buf();
        for _ in 0..(MAX_FOLDER_DEPTH + 2) {
            deep.push("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("lost.txt"), "x").unwrap();
        let found = collect_files(&[dir.path().to_path_buf()]);
        assert!(found.files.is_empty());
        assert_eq!(found.errors.len(), 1);
        assert!(found.errors[0].to_string().contains("nested more than 64 deep"), "{}", found.errors[0]);
    }

    #[test]
    fn too_many_files_stop_the_walk_with_a_message() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(dir.path().join(format!("P0{i}.txt")), "x").unwrap();
        }
        let found = collect_within(&[dir.path().to_path_buf()], MAX_FOLDER_DEPTH, 3);
        assert_eq!(found.files.len(), 3);
        assert_eq!(found.errors.len(), 1, "one message, not one per file left");
        assert!(found.errors[0].to_string().contains("more than 3 files"), "{}", found.errors[0]);
        assert_eq!(collect_files(&[dir.path().to_path_buf()]).files.len(), 5);
    }

    #[test]
    fn missing_paths_broken_links_and_csv() {
        let dir = tempfile::tempdir().unwrap();
        symlink("nowhere", dir.path().join("broken.txt")).unwrap();
        std::fs::write(dir.path().join("people.csv"), "participant\nP01").unwrap();
        let found = collect_files(&[dir.path().to_path_buf(), dir.path().join("absent.txt")]);
        assert!(found.files.is_empty());
        assert_eq!(found.skipped.len(), 2);
        assert!(found.skipped.iter().any(|s| s.1.contains("broken link")));
        assert!(found.skipped.iter().any(|s| s.1.contains("attributes import")));
        assert!(found.errors[0].to_string().contains("no such file or folder"));
    }
}
