//! Playback at 0.5×–2× with the pitch kept: time stretching with Signalsmith Stretch
//! (through the `signalsmith-stretch` crate), a phase-vocoder stretcher that keeps speech
//! clear. At normal speed the sound passes through untouched.

use signalsmith_stretch::Stretch;

/// The slowest and fastest playback speeds.
pub const MIN_SPEED: f32 = 0.5;
pub const MAX_SPEED: f32 = 2.0;

/// A speed brought into the allowed range (a speed that is not a number is normal speed).
pub fn clamp_speed(speed: f32) -> f32 {
    if speed.is_finite() { speed.clamp(MIN_SPEED, MAX_SPEED) } else { 1.0 }
}

/// Stretches one channel of sound block by block.
pub struct Stretcher {
    rate: u32,
    inner: Option<Stretch>,
    /// The fraction of an output sample owed from earlier blocks.
    carry: f64,
}

impl Stretcher {
    pub fn new(sample_rate: u32) -> Self {
        Stretcher { rate: sample_rate.max(1), inner: None, carry: 0.0 }
    }

    /// Forgets the sound before (after a seek).
    pub fn reset(&mut self) {
        if let Some(s) = &mut self.inner {
            s.reset();
        }
        self.carry = 0.0;
    }

    /// Appends `input` played at `speed` to `out`: `input.len() / speed` samples at the
    /// same pitch.
    pub fn process(&mut self, input: &[f32], speed: f32, out: &mut Vec<f32>) {
        let speed = clamp_speed(speed);
        if (speed - 1.0).abs() < 1e-3 {
            if self.inner.take().is_some() {
                self.carry = 0.0;
            }
            out.extend_from_slice(input);
            return;
        }
        let rate = self.rate;
        let inner = self.inner.get_or_insert_with(|| Stretch::preset_default(1, rate));
        let want = input.len() as f64 / f64::from(speed) + self.carry;
        let n = want.floor().max(0.0) as usize;
        self.carry = want - n as f64;
        let start = out.len();
        out.resize(start + n, 0.0);
        inner.process(input, &mut out[start..]);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tone of `hz` at `rate`, `seconds` long.
    pub(crate) fn tone(hz: f32, rate: u32, seconds: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n).map(|i| 0.5 * (std::f32::consts::TAU * hz * i as f32 / rate as f32).sin()).collect()
    }

    /// The frequency of a tone, from its upward zero crossings.
    pub(crate) fn frequency(samples: &[f32], rate: u32) -> f32 {
        let crossings = samples.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        crossings as f32 * rate as f32 / samples.len() as f32
    }

    #[test]
    fn slower_and_faster_keep_the_pitch() {
        let rate = 16_000;
        let input = tone(300.0, rate, 2.0);
        for speed in [0.5f32, 0.75, 1.5, 2.0] {
            let mut s = Stretcher::new(rate);
            let mut out = Vec::new();
            for block in input.chunks(1024) {
                s.process(block, speed, &mut out);
            }
            let expected = input.len() as f32 / speed;
            assert!((out.len() as f32 - expected).abs() <= 1.0, "speed {speed}: {} samples, not {expected}", out.len());
            // Skip the stretcher's start-up latency, then measure the pitch.
            let steady = &out[out.len() / 4..out.len() * 3 / 4];
            let hz = frequency(steady, rate);
            assert!((hz - 300.0).abs() < 15.0, "speed {speed}: the tone is at {hz} Hz");
        }
    }

    #[test]
    fn normal_speed_passes_through_and_speeds_are_bounded() {
        let mut s = Stretcher::new(8_000);
        let mut out = Vec::new();
        s.process(&[0.1, 0.2, 0.3], 1.0, &mut out);
        assert_eq!(out, [0.1, 0.2, 0.3]);
        assert_eq!(clamp_speed(5.0), MAX_SPEED);
        assert_eq!(clamp_speed(0.1), MIN_SPEED);
        assert_eq!(clamp_speed(f32::NAN), 1.0);
    }
}
