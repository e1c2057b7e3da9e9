//! The playback engine: a thread of its own that opens a recording, decodes it, plays it
//! at the chosen speed through an [`Output`] and reports where it is. The window sends
//! [`Command`]s and reads [`Status`]; it never waits on the sound.
//!
//! The position is the recording time of the sample being heard: the time of the last
//! sample handed to the output, less what is still queued there. A pause or a seek drops
//! what is queued and starts decoding again at the new place.

use super::decode::{MediaInfo, Source};
use super::output::{Device, Output};
use super::resample::Resampler;
use super::stretch::{Stretcher, clamp_speed};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Something for the player to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Opens a recording (paused at its start).
    Load(PathBuf),
    /// Closes the recording.
    Unload,
    Play,
    Pause,
    /// Play when paused, pause when playing.
    Toggle,
    /// Goes to a time (ms from the start).
    Seek(u64),
    /// Goes forward (or, negative, back) by this many ms.
    Skip(i64),
    /// Plays from `from` and pauses at `to` (ms): "Play this passage".
    PlayRange {
        from: u64,
        to: u64,
    },
    /// Playback speed, 0.5–2.
    Speed(f32),
}

/// What the player is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayState {
    /// No recording is open.
    Empty,
    Paused,
    Playing,
    /// Played to the end.
    Ended,
    /// The recording cannot be played: the reason, naming the file.
    Failed(String),
}

/// The player as the window shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub state: PlayState,
    pub file: Option<PathBuf>,
    pub info: Option<MediaInfo>,
    pub position_ms: u64,
    pub speed: f32,
    pub device: Option<Device>,
    /// Commands carried out so far, so a caller can wait for its own.
    pub handled: u64,
    /// When the last `Play` first reached the output (for the bench).
    pub started_after: Option<Duration>,
}

impl Status {
    /// A player with nothing loaded, at normal speed.
    pub fn empty() -> Status {
        Status {
            state: PlayState::Empty,
            file: None,
            info: None,
            position_ms: 0,
            speed: 1.0,
            device: None,
            handled: 0,
            started_after: None,
        }
    }
}

impl Status {
    /// The recording's length, when known.
    pub fn duration_ms(&self) -> Option<u64> {
        self.info.as_ref().and_then(|i| i.duration_ms)
    }

    pub fn is_playing(&self) -> bool {
        self.state == PlayState::Playing
    }
}

/// How far ahead of the ear the player decodes.
const AHEAD_SECONDS: f64 = 0.2;

/// A handle to the playback thread; dropping it stops the thread.
pub struct Player {
    tx: Option<Sender<Command>>,
    status: Arc<Mutex<Status>>,
    thread: Option<std::thread::JoinHandle<()>>,
    sent: u64,
}

impl Player {
    /// A player on the computer's sound device (or a silent output when there is none,
    /// saying why in [`Status::device`]). The device is opened on the player's thread.
    pub fn new() -> Player {
        Player::with_output(super::output::open_default)
    }

    /// A player writing to the output `make` opens (on the player's thread).
    pub fn with_output<F>(make: F) -> Player
    where
        F: FnOnce() -> Box<dyn Output> + Send + 'static,
    {
        let (tx, rx) = channel();
        let status = Arc::new(Mutex::new(Status::empty()));
        let shared = status.clone();
        let thread = std::thread::Builder::new()
            .name("media-player".into())
            .spawn(move || Engine::new(make(), shared).run(rx))
            .ok();
        if thread.is_none() {
            let mut s = status.lock().unwrap_or_else(|p| p.into_inner());
            s.state = PlayState::Failed("the player cannot start a thread".into());
        }
        Player { tx: Some(tx), status, thread, sent: 0 }
    }

    /// Sends a command; it is carried out on the player's thread.
    pub fn send(&mut self, command: Command) {
        if let Some(tx) = &self.tx
            && tx.send(command).is_ok()
        {
            self.sent += 1;
        }
    }

    /// The player's status now.
    pub fn status(&self) -> Status {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether every command sent so far has been carried out (a window asks for another
    /// frame until it has, to show what the command did).
    pub fn idle(&self) -> bool {
        self.status().handled >= self.sent
    }

    /// Waits (at most `timeout`) until every command sent so far has been carried out and
    /// `until` holds; returns the status then, or `None` on time-out.
    pub fn wait(&self, timeout: Duration, until: impl Fn(&Status) -> bool) -> Option<Status> {
        let end = Instant::now() + timeout;
        loop {
            let s = self.status();
            if s.handled >= self.sent && until(&s) {
                return Some(s);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Default for Player {
    fn default() -> Self {
        Player::new()
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The state of the playback thread.
struct Engine {
    out: Box<dyn Output>,
    shared: Arc<Mutex<Status>>,
    status: Status,
    source: Option<Source>,
    stretcher: Stretcher,
    resampler: Resampler,
    /// Samples ready for the output that it had no room for yet.
    pending: Vec<f32>,
    /// The recording time just after the last decoded sample.
    decoded_ms: f64,
    /// Where to pause in a "Play this passage".
    stop_at: Option<u64>,
    /// Where playing last started: the position never goes back before it.
    from_ms: u64,
    play_asked: Option<Instant>,
}

impl Engine {
    fn new(out: Box<dyn Output>, shared: Arc<Mutex<Status>>) -> Engine {
        let mut status = shared.lock().unwrap_or_else(|p| p.into_inner()).clone();
        status.device = Some(out.device());
        let rate = out.sample_rate();
        Engine {
            out,
            shared,
            status,
            source: None,
            stretcher: Stretcher::new(rate),
            resampler: Resampler::new(rate, rate),
            pending: Vec::new(),
            decoded_ms: 0.0,
            stop_at: None,
            from_ms: 0,
            play_asked: None,
        }
    }

    fn run(mut self, rx: Receiver<Command>) {
        self.publish();
        loop {
            let wait = if self.status.is_playing() { Duration::from_millis(5) } else { Duration::from_millis(250) };
            match rx.recv_timeout(wait) {
                Ok(c) => {
                    self.handle(c);
                    while let Ok(c) = rx.try_recv() {
                        self.handle(c);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self.status.is_playing() {
                self.fill();
            }
            self.publish();
        }
        self.out.clear();
    }

    fn publish(&mut self) {
        if self.status.is_playing() {
            self.status.position_ms = self.heard_ms();
        }
        let mut s = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        *s = self.status.clone();
    }

    /// The recording time being heard now.
    fn heard_ms(&mut self) -> u64 {
        let rate = f64::from(self.out.sample_rate());
        let queued = (self.out.queued() + self.pending.len()) as f64;
        let ms = self.decoded_ms - queued / rate * 1000.0 * f64::from(self.status.speed);
        let ms = (ms.max(0.0).round() as u64).max(self.from_ms);
        self.status.duration_ms().map_or(ms, |d| ms.min(d))
    }

    fn handle(&mut self, command: Command) {
        self.status.handled += 1;
        match command {
            Command::Load(path) => self.load(path),
            Command::Unload => {
                self.source = None;
                self.drop_queued();
                self.status.state = PlayState::Empty;
                self.status.file = None;
                self.status.info = None;
                self.status.position_ms = 0;
            }
            Command::Play => self.play(),
            Command::Pause => self.pause(),
            Command::Toggle if self.status.is_playing() => self.pause(),
            Command::Toggle => self.play(),
            Command::Seek(ms) => self.seek(ms),
            Command::Skip(delta) => {
                let now = if self.status.is_playing() { self.heard_ms() } else { self.status.position_ms };
                self.seek(now.saturating_add_signed(delta));
            }
            Command::PlayRange { from, to } => {
                self.seek(from);
                self.stop_at = Some(to.max(from));
                self.play();
            }
            Command::Speed(s) => {
                let pos = if self.status.is_playing() { Some(self.heard_ms()) } else { None };
                self.status.speed = clamp_speed(s);
                if let Some(p) = pos {
                    self.seek(p);
                }
            }
        }
    }

    fn load(&mut self, path: PathBuf) {
        self.drop_queued();
        self.stop_at = None;
        self.status.file = Some(path.clone());
        self.status.position_ms = 0;
        self.decoded_ms = 0.0;
        self.from_ms = 0;
        match Source::open(&path) {
            Ok(source) => {
                let rate = source.info().sample_rate;
                self.stretcher = Stretcher::new(rate);
                self.resampler = Resampler::new(rate, self.out.sample_rate());
                self.status.info = Some(source.info().clone());
                self.status.state = PlayState::Paused;
                self.source = Some(source);
            }
            Err(e) => {
                self.source = None;
                self.status.info = None;
                self.status.state = PlayState::Failed(e.to_string());
            }
        }
    }

    fn play(&mut self) {
        match self.status.state {
            PlayState::Paused => {}
            PlayState::Ended => self.seek(0),
            _ => return,
        }
        self.status.state = PlayState::Playing;
        self.status.started_after = None;
        self.play_asked = Some(Instant::now());
        self.fill();
    }

    fn pause(&mut self) {
        if !self.status.is_playing() {
            return;
        }
        let at = self.heard_ms();
        self.status.state = PlayState::Paused;
        self.stop_at = None;
        self.seek(at);
    }

    fn drop_queued(&mut self) {
        self.out.clear();
        self.pending.clear();
        self.stretcher.reset();
        self.resampler.reset();
    }

    fn seek(&mut self, ms: u64) {
        let ms = self.status.duration_ms().map_or(ms, |d| ms.min(d));
        self.drop_queued();
        let Some(source) = &mut self.source else { return };
        if let Err(e) = source.seek(ms) {
            self.status.state = PlayState::Failed(e.to_string());
            return;
        }
        self.decoded_ms = ms as f64;
        self.from_ms = ms;
        self.status.position_ms = ms;
        if self.status.state == PlayState::Ended {
            self.status.state = PlayState::Paused;
        }
    }

    /// Decodes and writes until the output holds [`AHEAD_SECONDS`] of sound.
    fn fill(&mut self) {
        let target = (f64::from(self.out.sample_rate()) * AHEAD_SECONDS) as usize;
        let mut reached_end = false;
        loop {
            if !self.pending.is_empty() {
                let n = self.out.write(&self.pending);
                self.pending.drain(..n);
                if n > 0 && self.status.started_after.is_none() {
                    self.status.started_after = self.play_asked.map(|t| t.elapsed());
                }
                if !self.pending.is_empty() {
                    break;
                }
            }
            if self.out.queued() >= target {
                break;
            }
            if self.stop_at.is_some_and(|s| self.decoded_ms >= s as f64) {
                break;
            }
            let Some(source) = &mut self.source else { break };
            let block = match source.next_block() {
                Ok(Some(b)) => b,
                Ok(None) => {
                    reached_end = true;
                    break;
                }
                Err(e) => {
                    self.status.state = PlayState::Failed(e.to_string());
                    return;
                }
            };
            let rate = f64::from(source.info().sample_rate);
            let mut samples = block.samples;
            if let Some(stop) = self.stop_at {
                let keep = ((stop as f64 - block.start_ms).max(0.0) * rate / 1000.0) as usize;
                samples.truncate(keep);
            }
            self.decoded_ms = block.start_ms + samples.len() as f64 * 1000.0 / rate;
            let mut stretched = Vec::with_capacity(samples.len() * 2);
            self.stretcher.process(&samples, self.status.speed, &mut stretched);
            self.resampler.process(&stretched, &mut self.pending);
        }
        let drained = self.pending.is_empty() && self.out.queued() == 0;
        if let Some(stop) = self.stop_at
            && self.decoded_ms >= stop as f64
            && drained
        {
            self.stop_at = None;
            self.status.state = PlayState::Paused;
            self.status.position_ms = stop;
            self.seek(stop);
        } else if reached_end && drained {
            self.status.state = PlayState::Ended;
            self.status.position_ms = self.status.duration_ms().unwrap_or(self.decoded_ms as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::output::NullOutput;

    fn wav(dir: &std::path::Path, seconds: f32) -> PathBuf {
        let path = dir.join("tone.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for s in crate::media::stretch::tests::tone(200.0, 8000, seconds) {
            w.write_sample((s * 20000.0) as i16).unwrap();
        }
        w.finalize().unwrap();
        path
    }

    fn silent() -> Box<dyn Output> {
        Box::new(NullOutput::new(8000, "no sound device in the tests"))
    }

    #[test]
    fn play_pause_seek_and_the_end_through_a_silent_output() {
        let dir = tempfile::tempdir().unwrap();
        let path = wav(dir.path(), 0.6);
        let mut p = Player::with_output(silent);
        let long = Duration::from_secs(10);
        assert!(matches!(p.status().device, None | Some(Device::Silent { .. })));
        p.send(Command::Load(path.clone()));
        let s = p.wait(long, |s| s.state == PlayState::Paused).expect("loaded");
        assert_eq!(s.duration_ms(), Some(600));
        assert_eq!(s.device, Some(Device::Silent { reason: "no sound device in the tests".into() }));
        p.send(Command::Seek(300));
        assert_eq!(p.wait(long, |_| true).unwrap().position_ms, 300);
        p.send(Command::Toggle);
        p.wait(long, |s| s.is_playing() && s.position_ms > 300).expect("the position moves while playing");
        p.send(Command::Toggle);
        let paused = p.wait(long, |s| s.state == PlayState::Paused).expect("paused");
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(p.status().position_ms, paused.position_ms, "a paused player stays where it is");
        p.send(Command::Play);
        let ended = p.wait(long, |s| s.state == PlayState::Ended).expect("plays to the end");
        assert_eq!(ended.position_ms, 600);
        p.send(Command::Skip(-5000));
        assert_eq!(p.wait(long, |_| true).unwrap().position_ms, 0, "back 5 s stops at the start");
        p.send(Command::PlayRange { from: 100, to: 250 });
        let s = p.wait(long, |s| s.state == PlayState::Paused).expect("a passage stops at its end");
        assert_eq!(s.position_ms, 250);
        p.send(Command::Speed(9.0));
        assert_eq!(p.wait(long, |_| true).unwrap().speed, 2.0);
    }

    #[test]
    fn a_missing_file_is_a_failure_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Player::with_output(silent);
        p.send(Command::Load(dir.path().join("gone.m4a")));
        let s = p.wait(Duration::from_secs(10), |_| true).unwrap();
        match s.state {
            PlayState::Failed(m) => assert!(m.contains("gone.m4a") && m.contains("not there"), "{m}"),
            other => panic!("{other:?}"),
        }
        p.send(Command::Play);
        assert!(matches!(p.wait(Duration::from_secs(10), |_| true).unwrap().state, PlayState::Failed(_)));
    }
}
