//! The recordings of a REFI-QDA import: finding each audio or video source's file, and
//! reading it as [`crate::media::link::describe`] does, before the plan is stored.
//!
//! A recording inside the `.qdpx` (`internal://NAME`, looked up in `sources/` in any letter
//! case) is unpacked beside the project into `PROJECT-NAME.media/`, streamed through a
//! temporary file and bounded by [`MAX_UNPACKED_RECORDING_BYTES`]. A recording outside it
//! (`relative:///PATH`, `absolute:///PATH`) is looked for under the file's `basePath`,
//! beside the `.qdpx` (at the relative path, in `NAME Media/` as ATLAS.ti exports it, and by
//! its file name) and at its absolute path. A recording not found, or one that does not
//! play, is named in the report with the reason and the places looked at; it never stops
//! the import. Recordings unpacked by an import that then fails are removed again.

use super::{ImportPlan, PlanRecording, QdpxReport};
use crate::media::link::describe;
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest recording unpacked from a `.qdpx` (what REFI-QDA allows an internal file).
pub const MAX_UNPACKED_RECORDING_BYTES: u64 = super::qdpx_export::MAX_EMBEDDED_RECORDING_BYTES;

/// Where a path attribute points.
pub(crate) enum Location {
    Internal(String),
    External(String),
}

pub(crate) fn location(raw: &str) -> Option<Location> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    let lower = t.to_lowercase();
    if lower.starts_with("internal:") {
        return Some(Location::Internal(t["internal:".len()..].trim_start_matches('/').to_string()));
    }
    if lower.starts_with("relative:") || lower.starts_with("absolute:") || lower.contains("://") {
        return Some(Location::External(t.to_string()));
    }
    Some(Location::Internal(t.to_string()))
}

/// What became of one audio or video source's recording.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingOutcome {
    /// The source's name in the file.
    pub source: String,
    /// Its path as the file says.
    pub path: String,
    /// The documents made from its transcripts.
    pub documents: usize,
    /// The file linked to them, when it was found and plays.
    pub linked: Option<String>,
    /// Why it was not linked.
    pub problem: Option<String>,
}

impl RecordingOutcome {
    /// The outcome as a line of the import report.
    pub fn line(&self) -> String {
        let path = if self.path.is_empty() { String::new() } else { format!(" ({})", self.path) };
        match (&self.linked, &self.problem) {
            (Some(file), _) => format!(
                "recording of \"{}\"{path} linked to {} document{}: {file}",
                self.source,
                self.documents,
                if self.documents == 1 { "" } else { "s" }
            ),
            (None, problem) => format!(
                "recording of \"{}\"{path} not linked: {}",
                self.source,
                problem.as_deref().unwrap_or("unknown reason")
            ),
        }
    }
}

/// The files an import unpacked, removed again when the import fails.
#[derive(Debug, Default)]
pub(crate) struct Unpacked {
    files: Vec<PathBuf>,
    /// The media folder, when the import created it.
    folder: Option<PathBuf>,
}

impl Unpacked {
    /// Removes what was unpacked (the import failed and stored nothing).
    pub(crate) fn remove(self) {
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
        if let Some(folder) = &self.folder {
            // Only when empty: nothing else may be lost.
            let _ = std::fs::remove_dir(folder);
        }
    }
}

/// Where a project's unpacked recordings go: `NAME.media/` beside the project `home`.
pub fn media_folder(home: &Path) -> PathBuf {
    let stem = home.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "project".into());
    let parent = home.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!("{stem}.media"))
}

/// Finds and reads the recording of every audio and video source of `plan`, read from
/// `qdpx`, for a project that lives (or will live) at `home`; fills in
/// [`crate::model::exchange::PlanMedia::recording`] and the report.
pub(crate) fn find_recordings(plan: &mut ImportPlan, report: &mut QdpxReport, qdpx: &Path, home: &Path) -> Unpacked {
    let mut unpacked = Unpacked::default();
    let base = plan.base_path.clone();
    for m in &mut plan.media {
        let mut outcome = RecordingOutcome {
            source: m.source.clone(),
            path: m.path.clone(),
            documents: m.documents.len(),
            linked: None,
            problem: None,
        };
        let found = if m.path.trim().is_empty() {
            Err("the source names no file".to_string())
        } else {
            match location(&m.path) {
                Some(Location::Internal(name)) => inside(qdpx, &name, home, m.documents.is_empty(), &mut unpacked),
                Some(Location::External(raw)) => outside(&raw, base.as_deref(), qdpx),
                None => Err("the source names no file".to_string()),
            }
        };
        match found {
            Err(problem) => outcome.problem = Some(problem),
            Ok(_) if m.documents.is_empty() => {
                outcome.problem = Some(
                    "the file is there, but no document came from the source (it has no transcript with text)".into(),
                )
            }
            Ok(file) => match describe(home, &file) {
                Ok((rec, _)) => {
                    outcome.linked = Some(file.display().to_string());
                    m.recording = Some(PlanRecording {
                        path: rec.path,
                        relative: rec.relative,
                        size: rec.size,
                        fingerprint: rec.fingerprint,
                        format: rec.format,
                        duration_ms: rec.duration_ms,
                        has_video: rec.has_video,
                    });
                }
                Err(e) => outcome.problem = Some(e.to_string()),
            },
        }
        report.recordings.push(outcome);
    }
    unpacked
}

/// The entry of a zip archive named `name` in `sources/` or at the root, in any letter case.
fn entry_name<R: Read + std::io::Seek>(zip: &zip::ZipArchive<R>, name: &str) -> Option<String> {
    let want = name.trim().trim_start_matches('/').replace('\\', "/").to_lowercase();
    let candidates = [format!("sources/{want}"), want];
    zip.file_names()
        .filter_map(|n| n.ok())
        .find(|n| candidates.iter().any(|c| n.to_lowercase() == *c))
        .map(|n| n.into_owned())
}

/// A recording inside the archive: unpacked beside the project (unless `only_check`, when
/// nothing would be linked to it); a bare `.qde` looks in `sources/` beside it instead.
fn inside(qdpx: &Path, name: &str, home: &Path, only_check: bool, unpacked: &mut Unpacked) -> Result<PathBuf, String> {
    let file = std::fs::File::open(qdpx).map_err(|e| format!("cannot read {}: {e}", qdpx.display()))?;
    let Ok(mut zip) = zip::ZipArchive::new(file) else {
        // A bare project.qde: its sources folder, if any, is beside it.
        let folder = qdpx.parent().unwrap_or(Path::new("."));
        let tried = [folder.join("sources").join(name), folder.join("Sources").join(name), folder.join(name)];
        return tried.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
            format!("missing: not beside the .qde (looked at {})", tried.map(|p| p.display().to_string()).join(", "))
        });
    };
    let Some(entry) = entry_name(&zip, name) else {
        return Err(format!("missing: {name} is not in the archive"));
    };
    if only_check {
        return Ok(PathBuf::from(entry));
    }
    let mut e = zip.by_name(&entry).map_err(|e| format!("{entry} cannot be read: {e}"))?;
    if e.size() > MAX_UNPACKED_RECORDING_BYTES {
        return Err(format!(
            "{entry} holds {} bytes, more than {MAX_UNPACKED_RECORDING_BYTES}; not unpacked",
            e.size()
        ));
    }
    let file_name = Path::new(&entry)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != ".." && n != ".")
        .ok_or_else(|| format!("{entry} has no file name"))?;
    let folder = media_folder(home);
    if !folder.exists() {
        std::fs::create_dir_all(&folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        unpacked.folder = Some(folder.clone());
    }
    let target = free_name(&folder, &file_name);
    let fail = |e: std::io::Error| format!("cannot unpack {entry} into {}: {e}", folder.display());
    let mut tmp = tempfile::NamedTempFile::new_in(&folder).map_err(fail)?;
    let copied =
        std::io::copy(&mut (&mut e).take(MAX_UNPACKED_RECORDING_BYTES + 1), tmp.as_file_mut()).map_err(fail)?;
    if copied > MAX_UNPACKED_RECORDING_BYTES {
        return Err(format!("{entry} unpacks to more than {MAX_UNPACKED_RECORDING_BYTES} bytes; not unpacked"));
    }
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist_noclobber(&target).map_err(|e| fail(e.error))?;
    unpacked.files.push(target.clone());
    Ok(target)
}

/// `folder/name`, or `folder/STEM (2).EXT`… when that is taken.
fn free_name(folder: &Path, name: &str) -> PathBuf {
    let first = folder.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.to_string(), String::new()),
    };
    (2..).map(|n| folder.join(format!("{stem} ({n}){ext}"))).find(|p| !p.exists()).unwrap_or(first)
}

/// A recording outside the archive: the places a `relative:///` or `absolute:///` path
/// (or any other) may mean, the first that holds a file.
fn outside(raw: &str, base: Option<&str>, qdpx: &Path) -> Result<PathBuf, String> {
    let beside = qdpx.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let lower = raw.to_lowercase();
    let (scheme, rest) = match raw.split_once(':') {
        Some((s, r))
            if lower.starts_with("relative:") || lower.starts_with("absolute:") || lower.starts_with("file:") =>
        {
            (s.to_lowercase(), r.trim_start_matches('/'))
        }
        _ => (String::new(), raw.trim_start_matches('/')),
    };
    let rel = rest.replace('\\', "/");
    let file_name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
    let join =
        |root: &Path| rel.split('/').filter(|p| !p.is_empty() && *p != "..").fold(root.to_path_buf(), |p, s| p.join(s));
    let mut tried: Vec<PathBuf> = Vec::new();
    if scheme == "relative" {
        if let Some(base) = base.filter(|b| !b.trim().is_empty()) {
            tried.push(join(Path::new(base.trim())));
        }
        tried.push(join(&beside));
        let stem = qdpx.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        tried.push(join(&beside.join(format!("{stem} Media"))));
    } else {
        // An absolute path: `/C:/…` on Windows, `/home/…` elsewhere.
        let drive = rel.len() > 1 && rel.as_bytes()[1] == b':';
        tried.push(if drive { PathBuf::from(&rel) } else { PathBuf::from(format!("/{rel}")) });
    }
    tried.push(beside.join(&file_name));
    tried.dedup();
    tried.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!(
            "missing: the file is not there (looked at {})",
            tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_recordings_are_looked_for_under_the_base_path_and_beside_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let qdpx = dir.path().join("Study.qdpx");
        let e = outside("relative:///AB.m4a", Some("/nowhere/media"), &qdpx).unwrap_err();
        assert!(e.starts_with("missing") && e.contains("/nowhere/media/AB.m4a") && e.contains("Study Media"), "{e}");
        std::fs::create_dir(dir.path().join("Study Media")).unwrap();
        std::fs::write(dir.path().join("Study Media/AB.m4a"), b"x").unwrap();
        assert_eq!(outside("relative:///AB.m4a", None, &qdpx).unwrap(), dir.path().join("Study Media/AB.m4a"));
        let abs = dir.path().join("Study Media/AB.m4a");
        let raw = format!("absolute://{}", abs.display());
        assert_eq!(outside(&raw, None, &qdpx).unwrap(), abs);
        assert_eq!(media_folder(Path::new("/a/b/study.codeloom")), Path::new("/a/b/study.media"));
        std::fs::write(dir.path().join("x.wav"), b"x").unwrap();
        assert_eq!(free_name(dir.path(), "x.wav"), dir.path().join("x (2).wav"));
    }
}
