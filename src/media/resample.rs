//! Changing the sample rate of one channel of sound, from the recording's rate to the
//! sound device's, by linear interpolation: enough for speech, cheap, and continuous
//! across blocks.

/// A resampler from one rate to another, fed block by block.
#[derive(Debug, Clone)]
pub struct Resampler {
    from: u32,
    to: u32,
    /// Where the next output sample lies, in input samples from the start of the next
    /// block (from -1, the last sample of the block before, upwards).
    pos: f64,
    last: f32,
}

impl Resampler {
    pub fn new(from: u32, to: u32) -> Self {
        Resampler { from: from.max(1), to: to.max(1), pos: 0.0, last: 0.0 }
    }

    /// Forgets the sound before (after a seek).
    pub fn reset(&mut self) {
        self.pos = 0.0;
        self.last = 0.0;
    }

    /// Appends `input` at the output rate to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.from == self.to {
            out.extend_from_slice(input);
            return;
        }
        if input.is_empty() {
            return;
        }
        let step = f64::from(self.from) / f64::from(self.to);
        let len = input.len() as f64;
        while self.pos < len - 1.0 {
            let i = self.pos.floor();
            let frac = (self.pos - i) as f32;
            let a = if i < 0.0 { self.last } else { input[i as usize] };
            let b = input[(i + 1.0) as usize];
            out.push(a + (b - a) * frac);
            self.pos += step;
        }
        self.pos -= len;
        self.last = input[input.len() - 1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::stretch::tests::{frequency, tone};

    #[test]
    fn a_second_stays_a_second_and_a_tone_keeps_its_pitch() {
        let input = tone(440.0, 44_100, 1.0);
        let mut r = Resampler::new(44_100, 48_000);
        let mut out = Vec::new();
        for block in input.chunks(1000) {
            r.process(block, &mut out);
        }
        assert!((out.len() as i64 - 48_000).abs() <= 2, "{} samples", out.len());
        let hz = frequency(&out, 48_000);
        assert!((hz - 440.0).abs() < 3.0, "{hz} Hz");
        let mut same = Resampler::new(8_000, 8_000);
        let mut o = Vec::new();
        same.process(&[0.5, -0.5], &mut o);
        assert_eq!(o, [0.5, -0.5]);
    }
}
