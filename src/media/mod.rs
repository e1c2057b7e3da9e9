//! Interview recordings linked to transcripts: reading them, keeping track of where they
//! are, tying their time to the text, and playing them.
//!
//! [`decode`] reads the sound track of the formats researchers record in (WAV, MP3,
//! M4A/AAC, FLAC, Ogg Vorbis; MP4, MOV, MKV and WebM play their sound track only) with
//! the pure-Rust `symphonia`. [`fingerprint`] recognises a file by its size and a hash of
//! its first and last MiB, so that a moved recording is found again and a replaced one is
//! reported; [`link`] turns a file into what the store keeps (never the file itself) and
//! finds the recording beside a transcript. [`sync`] holds the pure arithmetic between
//! times and character positions. [`player`] is the playback engine: a thread of its own
//! behind a command channel, writing to an [`output::Output`] (the sound device through
//! `cpal`, or a silent clock when there is none), at 0.5×–2× with the pitch kept
//! ([`stretch`]). [`waveform`] computes a recording's overview in the background and
//! caches it beside the project.
//!
//! This module never changes a project except through the store's operations, and the
//! window never waits on it: decoding and output run on their own threads.

pub mod decode;
pub mod fingerprint;
pub mod link;
pub mod output;
pub mod player;
pub mod resample;
pub mod stretch;
pub mod sync;
pub mod waveform;

use std::path::{Path, PathBuf};

/// The extensions of files linked as recordings, sound first, then video containers whose
/// sound track is played.
pub const MEDIA_EXTENSIONS: &[&str] =
    &["wav", "mp3", "m4a", "aac", "flac", "ogg", "oga", "mp4", "m4v", "mov", "mkv", "webm"];

/// The containers that normally hold a picture as well as sound.
pub const VIDEO_EXTENSIONS: &[&str] = &["mp4", "m4v", "mov", "mkv", "webm"];

/// The lower-case extension of `path`, if it is one of [`MEDIA_EXTENSIONS`].
pub fn media_extension(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_string_lossy().to_lowercase();
    MEDIA_EXTENSIONS.contains(&ext.as_str()).then_some(ext)
}

/// Why a recording cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaProblem {
    #[error("the file is not there (moved, renamed or on a drive that is not connected?)")]
    Missing,
    #[error("not a regular file")]
    NotAFile,
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    #[error(
        "unsupported file type \"{0}\" (Codeloom plays .wav, .mp3, .m4a, .aac, .flac, .ogg, and the sound of .mp4, .mov, .mkv and .webm)"
    )]
    UnsupportedType(String),
    #[error("the sound is stored as {0}, which Codeloom cannot play yet; convert it (for example to .m4a or .wav)")]
    UnsupportedCodec(String),
    #[error("the file holds no sound track")]
    NoSound,
    #[error("the file is damaged or not what its name says: {0}")]
    Corrupt(String),
}

/// A recording that cannot be used, naming the file and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct MediaError {
    pub path: PathBuf,
    pub problem: MediaProblem,
}

impl MediaError {
    pub fn new(path: &Path, problem: MediaProblem) -> Self {
        MediaError { path: path.to_path_buf(), problem }
    }
}
