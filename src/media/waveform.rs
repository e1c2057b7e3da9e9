//! A recording's overview: the loudest sample of every 20 ms (looking at about 12,000
//! samples a second), computed once in the
//! background (the recording split among the cores, each part decoded from its own seek)
//! and cached beside the project (`study.codeloom.media/<fingerprint>.peaks`), then drawn at
//! any width from a pyramid of halvings, so a frame costs about one value per column.
//!
//! The cache is derived data: a file that is damaged or from another version is ignored
//! and computed again.

use super::decode::Source;
use super::{MediaError, MediaProblem};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

/// The length of sound each peak stands for.
pub const BUCKET_MS: u32 = 20;
/// The longest recording an overview is computed for: 24 hours.
pub const MAX_DURATION_MS: u64 = 24 * 3600 * 1000;
const MAGIC: &[u8; 8] = b"CLWAVE1\n";

/// The loudness of a recording over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Waveform {
    pub bucket_ms: u32,
    pub duration_ms: u64,
    /// Halvings of the peaks: `levels[0]` has one value (0–255) per bucket, each next
    /// level the larger of each pair.
    levels: Vec<Vec<u8>>,
}

impl Waveform {
    /// An overview from one peak (0–255) per [`BUCKET_MS`].
    pub fn from_peaks(peaks: Vec<u8>, duration_ms: u64) -> Waveform {
        let mut levels = vec![peaks];
        while let Some(last) = levels.last()
            && last.len() > 1
        {
            let next: Vec<u8> = last.chunks(2).map(|c| c.iter().copied().max().unwrap_or(0)).collect();
            levels.push(next);
        }
        Waveform { bucket_ms: BUCKET_MS, duration_ms, levels }
    }

    /// One peak per bucket.
    pub fn peaks(&self) -> &[u8] {
        &self.levels[0]
    }

    /// The peaks (0–255) for `columns` equal slices of the recording.
    pub fn overview(&self, columns: usize) -> Vec<u8> {
        if columns == 0 || self.peaks().is_empty() {
            return vec![0; columns];
        }
        // The coarsest level that still has at least one value per column.
        let level = self.levels.iter().rev().find(|l| l.len() >= columns).unwrap_or(&self.levels[0]);
        let n = level.len();
        (0..columns)
            .map(|c| {
                let a = c * n / columns;
                let b = ((c + 1) * n / columns).max(a + 1).min(n);
                level[a..b].iter().copied().max().unwrap_or(0)
            })
            .collect()
    }

    /// Computes the overview of the recording at `path`, using up to `workers` threads.
    /// Stops early (with an error) when `cancel` is set.
    pub fn compute(path: &Path, workers: usize, cancel: &AtomicBool) -> Result<Waveform, MediaError> {
        let source = Source::open(path)?;
        let duration = source.info().duration_ms;
        let parts = match duration {
            Some(d) if d > 60_000 => workers.clamp(1, 8),
            _ => 1,
        };
        let duration_ms = duration.unwrap_or(MAX_DURATION_MS).min(MAX_DURATION_MS);
        let span = duration_ms.div_ceil(parts as u64).max(1);
        let mut results: Vec<Result<Vec<(usize, u8)>, MediaError>> = Vec::new();
        std::thread::scope(|scope| {
            let mut handles = Vec::new();
            let mut first = Some(source);
            for i in 0..parts {
                let (from, to) = (i as u64 * span, ((i as u64 + 1) * span).min(duration_ms));
                let given = first.take();
                let spawned = std::thread::Builder::new()
                    .name(format!("media-waveform-{i}"))
                    .spawn_scoped(scope, move || peaks_between(path, given, from, to, cancel));
                handles.push(spawned);
            }
            for h in handles {
                results.push(match h {
                    Ok(h) => h.join().unwrap_or_else(|_| {
                        Err(MediaError::new(path, MediaProblem::Corrupt("the decoder failed on this file".into())))
                    }),
                    Err(e) => Err(MediaError::new(path, MediaProblem::Unreadable(e.to_string()))),
                });
            }
        });
        let mut peaks: Vec<u8> = Vec::new();
        let mut end_bucket = 0;
        for r in results {
            for (bucket, peak) in r? {
                if bucket >= peaks.len() {
                    peaks.resize(bucket + 1, 0);
                }
                peaks[bucket] = peaks[bucket].max(peak);
                end_bucket = end_bucket.max(bucket + 1);
            }
        }
        peaks.truncate(end_bucket);
        let measured = peaks.len() as u64 * u64::from(BUCKET_MS);
        Ok(Waveform::from_peaks(peaks, duration.unwrap_or(measured)))
    }

    /// Reads a cached overview; `None` when there is none or it cannot be used.
    pub fn load(cache: &Path) -> Option<Waveform> {
        let bytes = std::fs::read(cache).ok()?;
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        let bucket = u32::from_le_bytes(rest.get(0..4)?.try_into().ok()?);
        let duration = u64::from_le_bytes(rest.get(4..12)?.try_into().ok()?);
        let n = u64::from_le_bytes(rest.get(12..20)?.try_into().ok()?);
        let peaks = rest.get(20..)?;
        if bucket != BUCKET_MS || peaks.len() as u64 != n || duration > MAX_DURATION_MS {
            return None;
        }
        Some(Waveform::from_peaks(peaks.to_vec(), duration))
    }

    /// Writes the overview to `cache` (whole or not at all).
    pub fn save(&self, cache: &Path) -> std::io::Result<()> {
        let dir = cache.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut bytes = Vec::with_capacity(28 + self.peaks().len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&self.bucket_ms.to_le_bytes());
        bytes.extend_from_slice(&self.duration_ms.to_le_bytes());
        bytes.extend_from_slice(&(self.peaks().len() as u64).to_le_bytes());
        bytes.extend_from_slice(self.peaks());
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut tmp, &bytes)?;
        tmp.persist(cache).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The peaks of `[from, to)` ms, as (bucket, peak) pairs.
fn peaks_between(
    path: &Path,
    given: Option<Source>,
    from: u64,
    to: u64,
    cancel: &AtomicBool,
) -> Result<Vec<(usize, u8)>, MediaError> {
    let mut source = match given {
        Some(s) => s,
        None => Source::open(path)?,
    };
    if from > 0 {
        source.seek(from)?;
    }
    let rate = f64::from(source.info().sample_rate);
    // Samples per bucket (882 at 44.1 kHz), so that each bucket's samples are one slice.
    let per_bucket = rate * f64::from(BUCKET_MS) / 1000.0;
    // One sample in `stride` (about 12,000 a second) is enough for the loudness of speech.
    let stride = (source.info().sample_rate / 12_000).max(1) as usize;
    let mut out: Vec<(usize, u8)> = Vec::new();
    let (mut bucket, mut peak) = (usize::MAX, 0f32);
    while let Some(block) = source.next_block()? {
        if cancel.load(Ordering::Relaxed) {
            return Err(MediaError::new(path, MediaProblem::Unreadable("the overview was cancelled".into())));
        }
        if block.start_ms >= to as f64 || block.start_ms >= MAX_DURATION_MS as f64 {
            break;
        }
        let first = block.start_ms * rate / 1000.0;
        let last = (to as f64 * rate / 1000.0 - first).max(0.0) as usize;
        let samples = &block.samples[..block.samples.len().min(last)];
        let mut i = 0;
        while i < samples.len() {
            let b = ((first + i as f64) / per_bucket) as usize;
            let end = ((((b + 1) as f64 * per_bucket) - first).ceil().max(i as f64 + 1.0) as usize).min(samples.len());
            if b != bucket {
                if bucket != usize::MAX {
                    out.push((bucket, to_byte(peak)));
                }
                (bucket, peak) = (b, 0.0);
            }
            peak = samples[i..end].iter().step_by(stride).fold(peak, |m, s| m.max(s.abs()));
            i = end;
        }
    }
    if bucket != usize::MAX {
        out.push((bucket, to_byte(peak)));
    }
    Ok(out)
}

fn to_byte(peak: f32) -> u8 {
    (peak.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// Where the overview of a recording with this fingerprint is cached, beside the project.
pub fn cache_path(project: &Path, fingerprint: &str) -> PathBuf {
    let mut name = project.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".media");
    let short: String = fingerprint.chars().filter(|c| c.is_ascii_hexdigit()).take(32).collect();
    project.with_file_name(name).join(format!("{short}.peaks"))
}

/// An overview being computed on a thread of its own.
pub struct WaveformJob {
    rx: Receiver<Result<Arc<Waveform>, MediaError>>,
    cancel: Arc<AtomicBool>,
    done: Option<Result<Arc<Waveform>, MediaError>>,
}

impl WaveformJob {
    /// Loads the overview from `cache` or computes it (and then caches it).
    pub fn start(path: PathBuf, cache: Option<PathBuf>) -> WaveformJob {
        let (tx, rx) = std::sync::mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = cancel.clone();
        let work = move || {
            if let Some(w) = cache.as_deref().and_then(Waveform::load) {
                let _ = tx.send(Ok(Arc::new(w)));
                return;
            }
            let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
            let result = Waveform::compute(&path, workers, &stop);
            if let (Ok(w), Some(c)) = (&result, &cache)
                && let Err(e) = w.save(c)
            {
                eprintln!("{}: the overview cannot be cached: {e}", c.display());
            }
            let _ = tx.send(result.map(Arc::new));
        };
        if let Err(e) = std::thread::Builder::new().name("media-waveform".into()).spawn(work) {
            let (tx, rx2) = std::sync::mpsc::channel();
            let _ = tx.send(Err(MediaError::new(Path::new("(overview)"), MediaProblem::Unreadable(e.to_string()))));
            return WaveformJob { rx: rx2, cancel, done: None };
        }
        WaveformJob { rx, cancel, done: None }
    }

    /// The overview once it is ready.
    pub fn poll(&mut self) -> Option<&Result<Arc<Waveform>, MediaError>> {
        if self.done.is_none() {
            match self.rx.try_recv() {
                Ok(r) => self.done = Some(r),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.done = Some(Err(MediaError::new(
                        Path::new("(overview)"),
                        MediaProblem::Unreadable("the overview stopped".into()),
                    )))
                }
            }
        }
        self.done.as_ref()
    }

    /// Waits for the overview (for the CLI, tests and the bench).
    pub fn wait(mut self) -> Result<Arc<Waveform>, MediaError> {
        if let Some(done) = self.done.take() {
            return done;
        }
        self.rx.recv().unwrap_or_else(|_| {
            Err(MediaError::new(Path::new("(overview)"), MediaProblem::Unreadable("the overview stopped".into())))
        })
    }
}

impl Drop for WaveformJob {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overviews_at_any_width_keep_the_loudest_peak() {
        let mut peaks = vec![0u8; 1000];
        peaks[637] = 200;
        let w = Waveform::from_peaks(peaks, 20_000);
        for columns in [1, 7, 100, 999, 1000, 2500] {
            let o = w.overview(columns);
            assert_eq!(o.len(), columns);
            assert_eq!(o.iter().copied().max(), Some(200), "{columns} columns");
            let at = o.iter().position(|&p| p == 200).unwrap();
            let expected = 637 * columns / 1000;
            assert!(at.abs_diff(expected) <= 1 + columns / 1000, "{columns}: at {at}, not {expected}");
        }
    }

    #[test]
    fn the_cache_round_trips_and_a_damaged_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("study.codeloom");
        let cache = cache_path(&project, "abcdef0123");
        assert_eq!(cache, dir.path().join("study.codeloom.media/abcdef0123.peaks"));
        let w = Waveform::from_peaks(vec![1, 2, 3, 250], 80);
        w.save(&cache).unwrap();
        assert_eq!(Waveform::load(&cache), Some(w));
        let mut bytes = std::fs::read(&cache).unwrap();
        bytes.pop();
        std::fs::write(&cache, bytes).unwrap();
        assert_eq!(Waveform::load(&cache), None);
    }
}
