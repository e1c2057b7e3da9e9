//! Recording speed: seeking in a 2-hour M4A, starting playback, computing its overview
//! in the background, and preparing the overview for one frame of the player.
//!
//! The recording is made in the scratch folder from a tone whose loudness rises and falls
//! like speech, encoded to AAC by `ffmpeg` when it is installed (no Rust crate encodes
//! AAC); without `ffmpeg` a WAV file of the same length is written instead and the
//! report says so. The file is deleted afterwards.

use super::{Measurement, corpus::Rng};
use crate::error::{Error, Result};
use crate::media::decode::Source;
use crate::media::output::NullOutput;
use crate::media::player::{Command, PlayState, Player};
use crate::media::waveform::Waveform;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The length of the recording: 2 hours, or 5 minutes for `--quick`.
pub const FULL_SECONDS: u64 = 7200;
pub const QUICK_SECONDS: u64 = 300;

/// Runs the media scenarios in `work`.
pub fn measure(work: &Path, quick: bool, seed: u64, progress: &mut dyn FnMut(&str)) -> Result<Vec<Measurement>> {
    let seconds = if quick { QUICK_SECONDS } else { FULL_SECONDS };
    progress(&format!("media: making a {} minute recording", seconds / 60));
    let t = Instant::now();
    let (path, format) = make_recording(work, seconds)?;
    let made = t.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let about =
        serde_json::json!({"recording_seconds": seconds, "format": format, "bytes": bytes, "made_in_seconds": made});
    let result = run_on(&path, seconds, seed, &about, progress);
    let _ = std::fs::remove_file(&path);
    result
}

/// Runs the media scenarios on a recording of one's own (which is left in place).
pub fn measure_file(path: &Path, seed: u64, progress: &mut dyn FnMut(&str)) -> Result<Vec<Measurement>> {
    let info = crate::media::decode::probe(path)?;
    let seconds = info.duration_ms.unwrap_or(0) / 1000;
    if seconds == 0 {
        return Err(Error::Invalid(format!("{}: the recording is shorter than a second", path.display())));
    }
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let about = serde_json::json!({"recording_seconds": seconds, "format": format!("{} ({}, given)", info.format, info.codec), "bytes": bytes});
    run_on(path, seconds, seed, &about, progress)
}

fn run_on(
    path: &Path,
    seconds: u64,
    seed: u64,
    about: &serde_json::Value,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Measurement>> {
    let mut out = Vec::new();
    progress("media: seeking");
    let mut rng = Rng::new(seed);
    let mut source = Source::open(path)?;
    let mut times = Vec::new();
    for _ in 0..20 {
        let target = rng.below(seconds as usize * 1000) as u64;
        let t = Instant::now();
        source.seek(target)?;
        source.next_block()?;
        times.push(t.elapsed().as_secs_f64());
    }
    out.push(spread(
        "media_seek",
        "seek to a random point of the recording and decode the first block there",
        &times,
        0.1,
        about,
    ));

    progress("media: starting playback");
    let mut player = Player::with_output(|| Box::new(NullOutput::new(48_000, "bench")));
    player.send(Command::Load(path.to_path_buf()));
    player
        .wait(Duration::from_secs(60), |s| s.state == PlayState::Paused)
        .ok_or_else(|| Error::Invalid(format!("{}: the player did not open it", path.display())))?;
    let mut starts = Vec::new();
    for _ in 0..10 {
        player.send(Command::Seek(rng.below(seconds as usize * 1000) as u64));
        let t = Instant::now();
        player.send(Command::Play);
        player.wait(Duration::from_secs(10), |s| s.started_after.is_some());
        starts.push(t.elapsed().as_secs_f64());
        player.send(Command::Pause);
        player.wait(Duration::from_secs(10), |s| s.state == PlayState::Paused);
    }
    drop(player);
    out.push(spread(
        "media_start_playback",
        "from the Play command (after a seek) to the first sound handed to the output",
        &starts,
        0.15,
        about,
    ));

    progress("media: the overview");
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let t = Instant::now();
    let waveform = Waveform::compute(path, workers, &Default::default())?;
    let computed = t.elapsed().as_secs_f64();
    out.push(Measurement {
        name: "media_waveform".into(),
        what: format!("compute the overview of the whole recording on {workers} threads"),
        seconds: computed,
        target_seconds: Some(10.0),
        details: serde_json::json!({"recording": about, "buckets": waveform.peaks().len()}),
    });

    let frames: u32 = 200;
    let t = Instant::now();
    let mut total = 0usize;
    for i in 0..frames {
        // A new width each frame: the player's cache never helps, the worst case.
        let columns = 1200 + (i % 7) as usize;
        total += waveform.overview(columns).iter().map(|&p| usize::from(p)).sum::<usize>() & 1;
    }
    out.push(Measurement {
        name: "media_waveform_frame".into(),
        what: "prepare the overview of the whole recording for a 1,200-pixel-wide player (the player caches it per width; this is the uncached cost)".into(),
        seconds: t.elapsed().as_secs_f64() / f64::from(frames),
        target_seconds: Some(0.001),
        details: serde_json::json!({"recording": about, "frames": frames, "checksum": total}),
    });
    Ok(out)
}

fn spread(name: &str, what: &str, times: &[f64], target: f64, about: &serde_json::Value) -> Measurement {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let worst = sorted.last().copied().unwrap_or(0.0);
    Measurement {
        name: name.into(),
        what: format!("{what} (the slowest of {})", times.len()),
        seconds: worst,
        target_seconds: Some(target),
        details: serde_json::json!({"median_seconds": median, "runs": times.len(), "recording": about}),
    }
}

/// Makes the recording: an M4A (AAC) through ffmpeg when it runs, else a WAV.
fn make_recording(work: &Path, seconds: u64) -> Result<(PathBuf, &'static str)> {
    let m4a = work.join("bench-interview.m4a");
    let speechlike = format!("aevalsrc=0.5*sin(2*PI*180*t)*(0.55+0.45*sin(2*PI*0.7*t)):s=44100:d={seconds}");
    let made = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", &speechlike])
        .args(["-ac", "1", "-c:a", "aac", "-b:a", "48k"])
        .arg(&m4a)
        .status();
    if made.is_ok_and(|s| s.success()) {
        return Ok((m4a, "m4a (AAC, 44.1 kHz mono, 48 kbit/s)"));
    }
    let wav = work.join("bench-interview.wav");
    write_wav(&wav, seconds).map_err(|e| Error::Invalid(format!("{}: {e}", wav.display())))?;
    Ok((wav, "wav (16 kHz mono 16-bit; ffmpeg was not found to make an M4A)"))
}

fn write_wav(path: &Path, seconds: u64) -> std::io::Result<()> {
    use std::io::Write;
    let rate: u32 = 16_000;
    let n = u32::try_from(seconds * u64::from(rate)).unwrap_or(u32::MAX / 2 - 64);
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    w.write_all(b"RIFF")?;
    w.write_all(&(36 + n * 2).to_le_bytes())?;
    w.write_all(b"WAVEfmt ")?;
    w.write_all(&16u32.to_le_bytes())?;
    w.write_all(&1u16.to_le_bytes())?;
    w.write_all(&1u16.to_le_bytes())?;
    w.write_all(&rate.to_le_bytes())?;
    w.write_all(&(rate * 2).to_le_bytes())?;
    w.write_all(&2u16.to_le_bytes())?;
    w.write_all(&16u16.to_le_bytes())?;
    w.write_all(b"data")?;
    w.write_all(&(n * 2).to_le_bytes())?;
    for i in 0..n {
        let t = f64::from(i) / f64::from(rate);
        let v =
            0.5 * (std::f64::consts::TAU * 180.0 * t).sin() * (0.55 + 0.45 * (std::f64::consts::TAU * 0.7 * t).sin());
        w.write_all(&((v * 32_000.0) as i16).to_le_bytes())?;
    }
    w.flush()
}
