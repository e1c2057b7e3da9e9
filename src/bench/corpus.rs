//! Synthetic transcripts for benchmarks: interviewer and participant turns of
//! plausible words, deterministic for a given seed.

use crate::error::{Error, Result};
use std::path::Path;

/// A small, fast, deterministic random number generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }
}

/// The words the synthetic transcripts are made of.
pub const WORDS: &[&str] = &[
    "pain",
    "knee",
    "back",
    "sleep",
    "tired",
    "group",
    "walk",
    "walking",
    "pacing",
    "doctor",
    "tablets",
    "morning",
    "night",
    "worse",
    "better",
    "family",
    "daughter",
    "son",
    "work",
    "shift",
    "money",
    "bus",
    "stairs",
    "flat",
    "session",
    "physio",
    "exercise",
    "breathing",
    "worry",
    "anxious",
    "low",
    "hope",
    "plan",
    "flare",
    "week",
    "day",
    "really",
    "just",
    "think",
    "know",
    "feel",
    "felt",
    "went",
    "used",
    "because",
    "little",
    "bit",
    "things",
    "people",
    "them",
    "said",
    "thought",
    "again",
    "before",
    "after",
    "always",
    "never",
    "sometimes",
    "today",
    "still",
    "much",
    "the",
    "and",
    "a",
    "to",
    "of",
    "I",
    "it",
    "that",
    "was",
    "in",
    "my",
    "you",
    "with",
    "but",
    "so",
    "on",
    "for",
    "café",
    "naïve",
    "señora",
    "años",
    "dolor",
    "mañana",
];

const QUESTIONS: &[&str] = &[
    "Can you tell me about a typical day at the moment?",
    "How has the pain affected your sleep?",
    "What did you make of the group sessions?",
    "And how did that feel?",
    "What has changed since we last spoke?",
    "Could you say a bit more about that?",
];

/// Appends a word of a sentence: capitalised when it is the first, after a space otherwise.
pub(crate) fn push_word(out: &mut String, w: &str, first: bool) {
    if first {
        let mut c = w.chars();
        if let Some(f) = c.next() {
            out.extend(f.to_uppercase());
            out.push_str(c.as_str());
        }
    } else {
        out.push(' ');
        out.push_str(w);
    }
}

/// One transcript of about `words` words.
pub fn transcript(rng: &mut Rng, participant: usize, words: usize) -> String {
    let mut out = format!("Synthetic interview - participant {participant}\n\n");
    let mut n = 0;
    while n < words {
        out.push_str("INTERVIEWER: ");
        out.push_str(QUESTIONS[rng.below(QUESTIONS.len())]);
        out.push_str("\n\n");
        out.push_str(&format!("P{participant:02}: "));
        let sentences = rng.below(8) + 2;
        for _ in 0..sentences {
            let len = rng.below(18) + 4;
            for i in 0..len {
                push_word(&mut out, WORDS[rng.below(WORDS.len())], i == 0);
            }
            out.push_str(". ");
            n += len;
        }
        out.push_str("\n\n");
    }
    out
}

/// Writes `count` transcripts named `P<n>_<wave>.txt` into `dir`; returns the total
/// number of words written.
pub fn write_corpus(dir: &Path, count: usize, words: usize, seed: u64) -> Result<usize> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Invalid(format!("{}: {e}", dir.display())))?;
    let mut rng = Rng::new(seed);
    let waves = ["BL", "3M", "6M"];
    let mut total = 0;
    for i in 0..count {
        let participant = i / 3 + 1;
        let text = transcript(&mut rng, participant, words);
        total += text.split_whitespace().count();
        let path = dir.join(format!("P{participant:02}_{}.txt", waves[i % 3]));
        std::fs::write(&path, text).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    }
    Ok(total)
}
