//! Reading a recording's sound track with `symphonia`: what it holds ([`MediaInfo`]),
//! its samples in blocks (mixed down to one channel, as interview speech is played), and
//! seeking to a time. Every failure is a [`MediaError`] naming the file; a damaged packet
//! is skipped, and too many damaged packets in a row end the reading with an error.

use super::{MediaError, MediaProblem, VIDEO_EXTENSIONS};
use std::path::{Path, PathBuf};
use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoder, AudioDecoderOptions, well_known as codecs};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{Time, TimeBase, Timestamp};

/// Damaged packets in a row after which a file is given up as unreadable.
const MAX_BAD_PACKETS: usize = 64;

/// What a recording holds.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// The container, as the file's lower-case extension.
    pub format: String,
    /// The sound's codec, in words (`AAC`, `MP3`, ...).
    pub codec: String,
    pub sample_rate: u32,
    pub channels: usize,
    /// The length of the sound track, when the file says.
    pub duration_ms: Option<u64>,
    /// The file has a picture too (played as sound only).
    pub has_video: bool,
}

/// A block of decoded sound.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// Where the block starts in the recording, in milliseconds.
    pub start_ms: f64,
    /// One channel (the file's channels averaged), at [`MediaInfo::sample_rate`].
    pub samples: Vec<f32>,
}

/// An open recording, read block by block.
pub struct Source {
    path: PathBuf,
    info: MediaInfo,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    time_base: Option<TimeBase>,
    /// After a seek: samples before this time (ms) are dropped.
    skip_until_ms: Option<f64>,
    interleaved: Vec<f32>,
}

/// A codec's name in words, for messages.
pub fn codec_name(id: AudioCodecId) -> String {
    let known = [
        (codecs::CODEC_ID_AAC, "AAC"),
        (codecs::CODEC_ID_MP3, "MP3"),
        (codecs::CODEC_ID_MP2, "MP2"),
        (codecs::CODEC_ID_VORBIS, "Vorbis"),
        (codecs::CODEC_ID_OPUS, "Opus"),
        (codecs::CODEC_ID_FLAC, "FLAC"),
        (codecs::CODEC_ID_ALAC, "ALAC"),
        (codecs::CODEC_ID_AC3, "AC-3"),
        (codecs::CODEC_ID_EAC3, "E-AC-3"),
        (codecs::CODEC_ID_WMA, "WMA"),
        (codecs::CODEC_ID_SPEEX, "Speex"),
    ];
    match known.iter().find(|(k, _)| *k == id) {
        Some((_, name)) => name.to_string(),
        None if id.to_string().starts_with("0x1") => format!("codec {id}"),
        None => "PCM".to_string(),
    }
}

fn corrupt(path: &Path, e: SymError) -> MediaError {
    let problem = match e {
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::NotFound => MediaProblem::Missing,
        SymError::IoError(io) => MediaProblem::Unreadable(io.to_string()),
        SymError::Unsupported(what) => MediaProblem::Corrupt(format!("unsupported content ({what})")),
        other => MediaProblem::Corrupt(other.to_string()),
    };
    MediaError::new(path, problem)
}

impl Source {
    /// Opens a recording and prepares to read its first sound track.
    pub fn open(path: &Path) -> Result<Source, MediaError> {
        let ext = super::media_extension(path).ok_or_else(|| {
            let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or("(none)".into());
            MediaError::new(path, MediaProblem::UnsupportedType(ext))
        })?;
        let file = std::fs::File::open(path).map_err(|e| {
            let problem = if e.kind() == std::io::ErrorKind::NotFound {
                MediaProblem::Missing
            } else {
                MediaProblem::Unreadable(e.to_string())
            };
            MediaError::new(path, problem)
        })?;
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(MediaError::new(path, MediaProblem::NotAFile));
        }
        let stream = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        hint.with_extension(&ext);
        let opened = crate::guard::guarded("recording", || {
            Ok(symphonia::default::get_probe()
                .probe(&hint, stream, FormatOptions::default(), MetadataOptions::default())
                .map_err(|e| corrupt(path, e))
                .and_then(|format| Self::with_format(path, ext.clone(), format)))
        });
        opened.map_err(|e| match e {
            crate::error::ExtractError::ReaderFailed(m) => MediaError::new(path, MediaProblem::Corrupt(m)),
            other => MediaError::new(path, MediaProblem::Corrupt(other.to_string())),
        })?
    }

    fn with_format(path: &Path, ext: String, format: Box<dyn FormatReader>) -> Result<Source, MediaError> {
        let has_video = format.tracks().iter().any(|t| matches!(t.codec_params, Some(CodecParameters::Video(_))))
            || (VIDEO_EXTENSIONS.contains(&ext.as_str()) && format.default_track(TrackType::Video).is_some());
        let track =
            format.default_track(TrackType::Audio).ok_or_else(|| MediaError::new(path, MediaProblem::NoSound))?;
        let Some(params) = track.codec_params.as_ref().and_then(|c| c.audio()) else {
            return Err(MediaError::new(path, MediaProblem::NoSound));
        };
        let codec = codec_name(params.codec);
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|_| MediaError::new(path, MediaProblem::UnsupportedCodec(codec.clone())))?;
        let sample_rate = params.sample_rate.filter(|r| *r > 0).unwrap_or(44_100);
        let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(1).max(1);
        let time_base = track.time_base;
        let duration_ms = match (track.duration, time_base) {
            (Some(d), Some(tb)) => tb.calc_duration(d).map(|t| t.as_millis().max(0) as u64),
            _ => None,
        }
        .or_else(|| track.num_frames.map(|n| n * 1000 / u64::from(sample_rate)));
        let track_id = track.id;
        Ok(Source {
            path: path.to_path_buf(),
            info: MediaInfo { format: ext, codec, sample_rate, channels, duration_ms, has_video },
            format,
            decoder,
            track_id,
            time_base,
            skip_until_ms: None,
            interleaved: Vec::new(),
        })
    }

    /// What the recording holds.
    pub fn info(&self) -> &MediaInfo {
        &self.info
    }

    /// The recording's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn ms_of(&self, ts: Timestamp, frames_fallback: f64) -> f64 {
        match self.time_base.and_then(|tb| tb.calc_time(ts)) {
            Some(t) => t.as_secs_f64() * 1000.0,
            None => frames_fallback,
        }
    }

    /// The next block of sound, or `None` at the end. A decoder that fails on a hostile
    /// file (a panic) becomes an error naming the file.
    pub fn next_block(&mut self) -> Result<Option<Block>, MediaError> {
        let path = self.path.clone();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.read_block())).unwrap_or_else(|_| {
            Err(MediaError::new(&path, MediaProblem::Corrupt("the decoder failed on this file".into())))
        })
    }

    fn read_block(&mut self) -> Result<Option<Block>, MediaError> {
        let mut bad = 0;
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) | Err(SymError::ResetRequired) => return Ok(None),
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(e) => return Err(corrupt(&self.path, e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let start_ms = self.ms_of(packet.pts, 0.0);
            let decoded = match self.decoder.decode(&packet) {
                Ok(buf) => buf,
                Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                    bad += 1;
                    if bad > MAX_BAD_PACKETS {
                        return Err(MediaError::new(
                            &self.path,
                            MediaProblem::Corrupt(format!("{MAX_BAD_PACKETS} damaged packets in a row")),
                        ));
                    }
                    continue;
                }
                Err(e) => return Err(corrupt(&self.path, e)),
            };
            bad = 0;
            let channels = decoded.spec().channels().count().max(1);
            let rate = decoded.spec().rate().max(1);
            decoded.copy_to_vec_interleaved(&mut self.interleaved);
            let mut samples: Vec<f32> = if channels == 1 {
                self.interleaved.clone()
            } else {
                self.interleaved.chunks(channels).map(|f| f.iter().sum::<f32>() / channels as f32).collect()
            };
            let mut start_ms = start_ms;
            if let Some(until) = self.skip_until_ms {
                let end_ms = start_ms + samples.len() as f64 * 1000.0 / f64::from(rate);
                if end_ms <= until {
                    continue;
                }
                let drop = (((until - start_ms) * f64::from(rate) / 1000.0).max(0.0) as usize).min(samples.len());
                samples.drain(..drop);
                start_ms += drop as f64 * 1000.0 / f64::from(rate);
                self.skip_until_ms = None;
            }
            if samples.is_empty() {
                continue;
            }
            return Ok(Some(Block { start_ms, samples }));
        }
    }

    /// Moves to `ms` from the start (clamped to the recording); the next block starts there.
    pub fn seek(&mut self, ms: u64) -> Result<(), MediaError> {
        let target = self.info.duration_ms.map_or(ms, |d| ms.min(d));
        let time = Time::from_millis_u64(target);
        let seeked = self.format.seek(SeekMode::Accurate, SeekTo::Time { time, track_id: Some(self.track_id) });
        match seeked {
            Ok(_) => {
                self.decoder.reset();
                self.skip_until_ms = Some(target as f64);
                Ok(())
            }
            // Past the end: nothing more to play.
            Err(SymError::SeekError(_)) => {
                self.skip_until_ms = Some(f64::MAX);
                Ok(())
            }
            Err(e) => Err(corrupt(&self.path, e)),
        }
    }
}

/// What a recording holds, read from its headers (and, when the length is not given
/// there, by reading it through).
pub fn probe(path: &Path) -> Result<MediaInfo, MediaError> {
    let mut source = Source::open(path)?;
    // The first block proves the sound can be decoded.
    let first = source.next_block()?;
    if first.is_none() && source.info.duration_ms.is_none() {
        return Err(MediaError::new(path, MediaProblem::NoSound));
    }
    if source.info.duration_ms.is_none() {
        let mut last = first.map(|b| b.start_ms + b.samples.len() as f64 * 1000.0 / f64::from(source.info.sample_rate));
        while let Some(b) = source.next_block()? {
            last = Some(b.start_ms + b.samples.len() as f64 * 1000.0 / f64::from(source.info.sample_rate));
        }
        source.info.duration_ms = last.map(|ms| ms.round() as u64);
    }
    Ok(source.info)
}
