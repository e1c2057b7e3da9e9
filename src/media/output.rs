//! Where played sound goes: the [`Output`] trait, the sound device ([`DeviceOutput`],
//! through `cpal`), and [`NullOutput`], a silent output that takes sound at the pace a
//! device would, used by the tests and whenever no sound device can be opened (a server,
//! CI, a remote session), so that everything but the sound keeps working.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the player is playing through.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Device {
    /// A sound device, by name.
    Sound { name: String },
    /// No sound: why, in words a researcher can act on.
    Silent { reason: String },
}

/// A place to write one channel of sound to. Calls never block.
pub trait Output {
    /// Samples per second the output plays.
    fn sample_rate(&self) -> u32;
    /// Takes as many of `samples` as there is room for; returns how many it took.
    fn write(&mut self, samples: &[f32]) -> usize;
    /// Samples written but not yet heard.
    fn queued(&mut self) -> usize;
    /// Drops every sample not yet heard (a seek or a pause).
    fn clear(&mut self);
    /// What this output is.
    fn device(&self) -> Device;
}

/// How much sound an output holds: half a second.
const CAPACITY_SECONDS: f64 = 0.5;

/// A silent output that plays at real-time pace.
pub struct NullOutput {
    rate: u32,
    queued: f64,
    since: Instant,
    reason: String,
}

impl NullOutput {
    pub fn new(rate: u32, reason: &str) -> Self {
        NullOutput { rate: rate.max(1), queued: 0.0, since: Instant::now(), reason: reason.to_string() }
    }

    fn advance(&mut self) {
        let now = Instant::now();
        let played = now.duration_since(self.since).as_secs_f64() * f64::from(self.rate);
        self.queued = (self.queued - played).max(0.0);
        self.since = now;
    }
}

impl Output for NullOutput {
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn write(&mut self, samples: &[f32]) -> usize {
        self.advance();
        let room = (f64::from(self.rate) * CAPACITY_SECONDS - self.queued).max(0.0) as usize;
        let n = room.min(samples.len());
        self.queued += n as f64;
        n
    }
    fn queued(&mut self) -> usize {
        self.advance();
        self.queued.ceil() as usize
    }
    fn clear(&mut self) {
        self.queued = 0.0;
        self.since = Instant::now();
    }
    fn device(&self) -> Device {
        Device::Silent { reason: self.reason.clone() }
    }
}

/// The computer's sound device, fed from a queue that the device's callback empties.
pub struct DeviceOutput {
    rate: u32,
    name: String,
    queue: Arc<Mutex<VecDeque<f32>>>,
    capacity: usize,
    // Dropping the stream stops the sound; it lives as long as the output.
    _stream: cpal::Stream,
}

impl DeviceOutput {
    /// Opens the default sound device, or says why it cannot.
    pub fn open() -> Result<DeviceOutput, String> {
        use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
        let host = cpal::default_host();
        let device = host.default_output_device().ok_or("no sound device was found")?;
        let name = device.id().map(|d| d.to_string()).unwrap_or_else(|_| "sound device".into());
        let supported = device.default_output_config().map_err(|e| format!("the sound device cannot be used: {e}"))?;
        let format = supported.sample_format();
        let config: cpal::StreamConfig = supported.into();
        let rate = config.sample_rate;
        let queue = Arc::new(Mutex::new(VecDeque::with_capacity(rate as usize)));
        let stream = match format {
            cpal::SampleFormat::F32 => build::<f32>(&device, config, queue.clone()),
            cpal::SampleFormat::I16 => build::<i16>(&device, config, queue.clone()),
            cpal::SampleFormat::U16 => build::<u16>(&device, config, queue.clone()),
            cpal::SampleFormat::I32 => build::<i32>(&device, config, queue.clone()),
            other => return Err(format!("the sound device wants {other} samples, which Codeloom does not write")),
        }?;
        stream.play().map_err(|e| format!("the sound device does not start: {e}"))?;
        let capacity = (f64::from(rate) * CAPACITY_SECONDS) as usize;
        Ok(DeviceOutput { rate, name, queue, capacity, _stream: stream })
    }
}

fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    queue: Arc<Mutex<VecDeque<f32>>>,
) -> Result<cpal::Stream, String>
where
    T: cpal::SizedSample + cpal::FromSample<f32>,
{
    use cpal::traits::DeviceTrait;
    let channels = usize::from(config.channels).max(1);
    device
        .build_output_stream(
            config,
            move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
                let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
                for frame in data.chunks_mut(channels) {
                    let v = T::from_sample(q.pop_front().unwrap_or(0.0));
                    frame.fill(v);
                }
            },
            |e| eprintln!("sound device: {e}"),
            None,
        )
        .map_err(|e| format!("the sound device cannot play: {e}"))
}

impl Output for DeviceOutput {
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn write(&mut self, samples: &[f32]) -> usize {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let n = self.capacity.saturating_sub(q.len()).min(samples.len());
        q.extend(&samples[..n]);
        n
    }
    fn queued(&mut self) -> usize {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
    fn clear(&mut self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
    fn device(&self) -> Device {
        Device::Sound { name: self.name.clone() }
    }
}

/// The sound device, or (saying why) a silent output when there is none.
pub fn open_default() -> Box<dyn Output> {
    if std::env::var_os("CODELOOM_NO_SOUND").is_some() {
        return Box::new(NullOutput::new(48_000, "sound is turned off (CODELOOM_NO_SOUND is set)"));
    }
    match DeviceOutput::open() {
        Ok(d) => Box::new(d),
        Err(reason) => Box::new(NullOutput::new(48_000, &reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_silent_output_fills_and_empties_at_its_rate() {
        let mut out = NullOutput::new(1000, "test");
        assert_eq!(out.write(&[0.0; 2000]), 500, "half a second of room");
        assert_eq!(out.write(&[0.0; 10]), 0);
        let before = out.queued();
        std::thread::sleep(std::time::Duration::from_millis(30));
        assert!(out.queued() < before, "time plays the queue");
        out.clear();
        assert_eq!(out.queued(), 0);
        assert_eq!(out.device(), Device::Silent { reason: "test".into() });
    }
}
