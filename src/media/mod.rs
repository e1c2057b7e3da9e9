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

use std::path::Path;

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

pub use crate::error::{MediaError, MediaProblem};
