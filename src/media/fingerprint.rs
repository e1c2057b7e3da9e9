//! Recognising a recording without reading all of it: its size and a SHA-256 of its size,
//! first MiB and last MiB. Two files with the same fingerprint are taken to be the same
//! recording, so a recording that was moved or renamed is found again by searching the
//! folders near where it was, and one replaced by another file at the same path is told
//! apart. Searching is bounded in depth and in the number of entries looked at.

use super::{MediaError, MediaProblem};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// How much of each end of the file is hashed.
pub const END_BYTES: u64 = 1024 * 1024;
/// How deep below each searched folder a moved recording is looked for.
pub const SEARCH_DEPTH: usize = 3;
/// The most folder entries one search looks at.
pub const SEARCH_ENTRIES: usize = 20_000;

/// A file's size and the hash of its ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub size: u64,
    /// Lower-case hex.
    pub hash: String,
}

/// Computes the fingerprint of the file at `path`.
pub fn fingerprint(path: &Path) -> Result<Fingerprint, MediaError> {
    let fail = |e: std::io::Error| {
        let problem = if e.kind() == std::io::ErrorKind::NotFound {
            MediaProblem::Missing
        } else {
            MediaProblem::Unreadable(e.to_string())
        };
        MediaError::new(path, problem)
    };
    let mut file = std::fs::File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if !meta.is_file() {
        return Err(MediaError::new(path, MediaProblem::NotAFile));
    }
    let size = meta.len();
    let mut hasher = Sha256::new();
    hasher.update(size.to_le_bytes());
    let head = size.min(END_BYTES);
    let mut buf = vec![0u8; head as usize];
    file.read_exact(&mut buf).map_err(fail)?;
    hasher.update(&buf);
    let tail = size.min(END_BYTES);
    file.seek(SeekFrom::Start(size - tail)).map_err(fail)?;
    buf.resize(tail as usize, 0);
    file.read_exact(&mut buf).map_err(fail)?;
    hasher.update(&buf);
    let hash = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Fingerprint { size, hash })
}

/// Where a recording is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whereabouts {
    /// At the path the project remembers, unchanged.
    Found(PathBuf),
    /// Not at its path, but the same file (by fingerprint) is here.
    Moved(PathBuf),
    /// At its path there is another file now.
    Replaced(PathBuf),
    /// Nowhere to be found near where it was.
    Missing(PathBuf),
}

impl Whereabouts {
    /// The file to play, when there is one that is the recording.
    pub fn playable(&self) -> Option<&Path> {
        match self {
            Whereabouts::Found(p) | Whereabouts::Moved(p) => Some(p),
            Whereabouts::Replaced(_) | Whereabouts::Missing(_) => None,
        }
    }
}

/// Looks for the recording remembered as `expected` at `path`: there, or (when it is
/// gone) in the folders in `search` and below them, up to [`SEARCH_DEPTH`] levels and
/// [`SEARCH_ENTRIES`] entries in all.
pub fn locate(path: &Path, expected: &Fingerprint, search: &[PathBuf]) -> Whereabouts {
    if path.is_file() {
        return match fingerprint(path) {
            Ok(f) if f == *expected => Whereabouts::Found(path.to_path_buf()),
            _ => Whereabouts::Replaced(path.to_path_buf()),
        };
    }
    let mut budget = SEARCH_ENTRIES;
    let mut seen = std::collections::HashSet::new();
    for dir in search {
        let key = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if !seen.insert(key) {
            continue;
        }
        if let Some(found) = search_folder(dir, expected, SEARCH_DEPTH, &mut budget) {
            return Whereabouts::Moved(found);
        }
    }
    Whereabouts::Missing(path.to_path_buf())
}

/// A breadth-first search below `dir` for a file with the expected size and fingerprint.
/// Links are not followed, so a loop of links cannot make it run on.
fn search_folder(dir: &Path, expected: &Fingerprint, depth: usize, budget: &mut usize) -> Option<PathBuf> {
    let mut level = vec![dir.to_path_buf()];
    for _ in 0..=depth {
        let mut next = Vec::new();
        for folder in level {
            let Ok(entries) = std::fs::read_dir(&folder) else { continue };
            let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
            entries.sort_by_key(|e| e.file_name());
            for entry in entries {
                if *budget == 0 {
                    return None;
                }
                *budget -= 1;
                let Ok(kind) = entry.file_type() else { continue };
                let p = entry.path();
                if kind.is_dir() {
                    next.push(p);
                } else if kind.is_file()
                    && entry.metadata().is_ok_and(|m| m.len() == expected.size)
                    && fingerprint(&p).is_ok_and(|f| f == *expected)
                {
                    return Some(p);
                }
            }
        }
        level = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ends_and_the_size_make_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.wav");
        let mut big = vec![7u8; 3 * END_BYTES as usize];
        std::fs::write(&a, &big).unwrap();
        let first = fingerprint(&a).unwrap();
        big[END_BYTES as usize + 10] = 1;
        std::fs::write(&a, &big).unwrap();
        assert_eq!(fingerprint(&a).unwrap(), first, "the middle is not read");
        big[5] = 1;
        std::fs::write(&a, &big).unwrap();
        assert_ne!(fingerprint(&a).unwrap(), first, "a change at the start is seen");
        std::fs::write(&a, b"short").unwrap();
        assert_eq!(fingerprint(&a).unwrap().size, 5);
        let missing = fingerprint(&dir.path().join("none.wav")).unwrap_err();
        assert_eq!(missing.problem, MediaProblem::Missing);
        assert!(missing.to_string().contains("none.wav"), "{missing}");
    }

    #[test]
    fn a_moved_file_is_found_and_a_replaced_one_reported() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("P07.m4a");
        std::fs::write(&a, b"recording one").unwrap();
        let f = fingerprint(&a).unwrap();
        assert_eq!(locate(&a, &f, &[]), Whereabouts::Found(a.clone()));
        std::fs::create_dir_all(dir.path().join("audio/done")).unwrap();
        let moved = dir.path().join("audio/done/renamed.m4a");
        std::fs::rename(&a, &moved).unwrap();
        std::fs::write(dir.path().join("audio/other.m4a"), b"recording two").unwrap();
        assert_eq!(locate(&a, &f, &[dir.path().to_path_buf()]), Whereabouts::Moved(moved.clone()));
        assert_eq!(locate(&a, &f, &[]), Whereabouts::Missing(a.clone()));
        std::fs::write(&a, b"recording two").unwrap();
        assert_eq!(locate(&a, &f, &[dir.path().to_path_buf()]), Whereabouts::Replaced(a.clone()));
    }
}
