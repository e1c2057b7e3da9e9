//! Linking recordings to documents: what the project keeps about a file (its path,
//! relative to the project's folder when the file is inside it; its size and
//! fingerprint; what it holds), finding the recording beside a transcript (same base
//! name, same folder), and finding a linked recording again.

use super::decode::{MediaInfo, Source};
use super::fingerprint::{Whereabouts, fingerprint, locate};
use super::{MEDIA_EXTENSIONS, MediaError, MediaProblem, media_extension};
use crate::store::Project;
use crate::store::media_ops::{NewRecording, Recording};
use std::path::{Component, Path, PathBuf};

/// The folder a project's relative paths start from.
pub fn project_folder(project: &Path) -> PathBuf {
    let parent = project.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.canonicalize().unwrap_or_else(|_| parent.to_path_buf())
}

/// How the project stores the path of `file`: relative (with `/`) when the file is
/// inside the project's folder, else absolute.
pub fn stored_path(project: &Path, file: &Path) -> (String, bool) {
    let full = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
    let folder = project_folder(project);
    match full.strip_prefix(&folder) {
        Ok(rel) if rel.components().all(|c| matches!(c, Component::Normal(_))) => {
            let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            (parts.join("/"), true)
        }
        _ => (full.to_string_lossy().into_owned(), false),
    }
}

/// Where a linked recording should be, as a path on this computer.
pub fn recording_path(project: &Path, rec: &Recording) -> PathBuf {
    if rec.relative {
        rec.path.split('/').fold(project_folder(project), |p, part| p.join(part))
    } else {
        PathBuf::from(&rec.path)
    }
}

/// Where a linked recording is now: at its path, moved (found by fingerprint in its old
/// folder, the folder above it or the project's folder, and below them), replaced, or
/// missing.
pub fn whereabouts(project: &Path, rec: &Recording) -> Whereabouts {
    let path = recording_path(project, rec);
    let mut search = Vec::new();
    if let Some(parent) = path.parent() {
        search.push(parent.to_path_buf());
        if let Some(up) = parent.parent().filter(|u| !u.as_os_str().is_empty() && u.parent().is_some()) {
            search.push(up.to_path_buf());
        }
    }
    search.push(project_folder(project));
    let expected = super::fingerprint::Fingerprint { size: rec.size, hash: rec.fingerprint.clone() };
    locate(&path, &expected, &search)
}

/// What the project keeps about `file` as a recording: the file must be there and hold
/// a sound track Codeloom can play.
pub fn describe(project: &Path, file: &Path) -> Result<(NewRecording, MediaInfo), MediaError> {
    if !file.exists() {
        return Err(MediaError::new(file, MediaProblem::Missing));
    }
    let mut source = Source::open(file)?;
    if source.next_block()?.is_none() && source.info().duration_ms.is_none() {
        return Err(MediaError::new(file, MediaProblem::NoSound));
    }
    let info = source.info().clone();
    let print = fingerprint(file)?;
    let (path, relative) = stored_path(project, file);
    let format = media_extension(file).unwrap_or_default();
    Ok((
        NewRecording {
            path,
            relative,
            size: print.size,
            fingerprint: print.hash,
            format,
            duration_ms: info.duration_ms,
            has_video: info.has_video,
        },
        info,
    ))
}

/// Links `file` to the document `document_id` as one operation; returns the link.
pub fn link_file(project: &mut Project, document_id: &str, file: &Path) -> crate::Result<Recording> {
    project.document(document_id)?;
    let (rec, _) = describe(project.path(), file)?;
    project.link_recording(document_id, &rec)?;
    project.recording(document_id)?.ok_or_else(|| crate::Error::Invalid("the link was not stored".into()))
}

/// The recording beside a transcript: a file in the same folder with the same base name
/// and a recording's extension (in the order of [`MEDIA_EXTENSIONS`], sound before video).
pub fn beside(transcript: &Path) -> Option<PathBuf> {
    let stem = transcript.file_stem()?;
    let folder = transcript.parent()?;
    for ext in MEDIA_EXTENSIONS {
        for variant in [ext.to_string(), ext.to_uppercase()] {
            let mut name = stem.to_os_string();
            name.push(".");
            name.push(&variant);
            let candidate = folder.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_the_project_folder_are_relative() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("study.codeloom");
        std::fs::create_dir_all(dir.path().join("audio")).unwrap();
        let inside = dir.path().join("audio/P07_BL.m4a");
        std::fs::write(&inside, b"x").unwrap();
        assert_eq!(stored_path(&project, &inside), ("audio/P07_BL.m4a".to_string(), true));
        let other = tempfile::tempdir().unwrap();
        let outside = other.path().join("P07_BL.m4a");
        std::fs::write(&outside, b"x").unwrap();
        let (p, relative) = stored_path(&project, &outside);
        assert!(!relative && Path::new(&p).is_absolute(), "{p}");
    }

    #[test]
    fn the_recording_beside_a_transcript_has_its_base_name() {
        let dir = tempfile::tempdir().unwrap();
        let vtt = dir.path().join("P07_BL.vtt");
        std::fs::write(&vtt, "WEBVTT\n").unwrap();
        assert_eq!(beside(&vtt), None);
        std::fs::write(dir.path().join("P07_BL_extra.m4a"), b"x").unwrap();
        assert_eq!(beside(&vtt), None);
        std::fs::write(dir.path().join("P07_BL.MP4"), b"x").unwrap();
        assert_eq!(beside(&vtt), Some(dir.path().join("P07_BL.MP4")));
        std::fs::write(dir.path().join("P07_BL.m4a"), b"x").unwrap();
        assert_eq!(beside(&vtt), Some(dir.path().join("P07_BL.m4a")), "sound before video");
    }
}
