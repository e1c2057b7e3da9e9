//! The passages suggestions are made for: a document's sentences or turns, as char
//! ranges `[start, end)` of its stored text, trimmed of white space.
//!
//! Sentences are UAX #29 sentences (the bounds search uses for "code all hits at
//! sentence extent"), found inside each turn, so that no sentence runs across two
//! speakers. A document without turns is read as one turn. A unit with no letter or
//! digit (a lone "—") is left out.

use crate::model::Turn;
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// What a passage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// A sentence of a turn.
    #[default]
    Sentence,
    /// A whole turn (a speaker's contribution, or a paragraph).
    Turn,
}

impl UnitKind {
    /// The name researchers type (`sentence`, `turn`).
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Sentence => "sentence",
            UnitKind::Turn => "turn",
        }
    }

    /// Reads `sentence` or `turn`.
    pub fn parse(s: &str) -> Option<UnitKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sentence" | "sentences" => Some(UnitKind::Sentence),
            "turn" | "turns" => Some(UnitKind::Turn),
            _ => None,
        }
    }
}

/// One passage: char and byte ranges of the document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    pub start: usize,
    pub end: usize,
    pub byte_start: usize,
    pub byte_end: usize,
}

impl Unit {
    /// The passage's text.
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.byte_start..self.byte_end]
    }

    /// Whether the passage shares a character with `[start, end)`.
    pub fn overlaps(&self, start: usize, end: usize) -> bool {
        self.start < end && start < self.end
    }
}

/// Converts increasing byte offsets of one text to char offsets, walking the text once.
struct Chars<'a> {
    text: &'a str,
    byte: usize,
    char: usize,
}

impl Chars<'_> {
    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.char = 0;
        }
        self.char += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.char
    }
}

/// The byte range of `text[from..to]` without leading and trailing white space, if
/// anything with a letter or digit is left.
fn trimmed(text: &str, from: usize, to: usize) -> Option<(usize, usize)> {
    let s = &text[from..to];
    let lead = s.len() - s.trim_start().len();
    let body = s.trim();
    body.chars().any(char::is_alphanumeric).then_some((from + lead, from + lead + body.len()))
}

/// The byte ranges of the turns (the whole text when there are none).
fn turn_bytes(text: &str, turns: &[Turn]) -> Vec<(usize, usize)> {
    if turns.is_empty() {
        return vec![(0, text.len())];
    }
    let mut bytes = Vec::with_capacity(turns.len());
    let mut chars = text.char_indices().map(|(b, _)| b).chain(std::iter::once(text.len())).enumerate();
    let mut next = chars.next();
    let mut byte_of = |c: usize| -> Option<usize> {
        while let Some((i, b)) = next {
            if i == c {
                return Some(b);
            }
            if i > c {
                return None;
            }
            next = chars.next();
        }
        None
    };
    let mut sorted: Vec<&Turn> = turns.iter().filter(|t| t.start < t.end).collect();
    sorted.sort_by_key(|t| (t.start, t.end));
    let mut last_end = 0;
    for t in sorted {
        if t.start < last_end {
            continue;
        }
        if let (Some(a), Some(b)) = (byte_of(t.start), byte_of(t.end)) {
            bytes.push((a, b));
            last_end = t.end;
        }
    }
    bytes
}

/// A document's units of the given kind, in text order, never overlapping.
pub fn split(text: &str, turns: &[Turn], kind: UnitKind) -> Vec<Unit> {
    let mut chars = Chars { text, byte: 0, char: 0 };
    let mut out = Vec::new();
    let mut push = |a: usize, b: usize, out: &mut Vec<Unit>| {
        if let Some((a, b)) = trimmed(text, a, b) {
            let start = chars.at(a);
            let end = chars.at(b);
            out.push(Unit { start, end, byte_start: a, byte_end: b });
        }
    };
    for (from, to) in turn_bytes(text, turns) {
        match kind {
            UnitKind::Turn => push(from, to, &mut out),
            UnitKind::Sentence => {
                for (b, s) in text[from..to].split_sentence_bound_indices() {
                    push(from + b, from + b + s.len(), &mut out);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::offsets::slice_chars;

    fn texts(text: &str, units: &[Unit]) -> Vec<String> {
        units.iter().map(|u| slice_chars(text, u.start, u.end).unwrap().to_string()).collect()
    }

    #[test]
    fn sentences_stay_inside_turns_and_are_trimmed() {
        let text = "INTERVIEWER: How are the knees? Tell me.\n\nP01: Sore. Café days — they help!\n";
        let turns = crate::import::turns::detect_turns(text);
        let units = split(text, &turns, UnitKind::Sentence);
        assert_eq!(texts(text, &units), ["How are the knees?", "Tell me.", "Sore.", "Café days — they help!"]);
        for u in &units {
            assert_eq!(u.text(text), slice_chars(text, u.start, u.end).unwrap());
        }
        let units = split(text, &turns, UnitKind::Turn);
        assert_eq!(texts(text, &units), ["How are the knees? Tell me.", "Sore. Café days — they help!"]);
    }

    #[test]
    fn a_text_without_turns_is_one_turn_and_empty_passages_are_left_out() {
        let text = "  é — First one.   Second one?\n\n — \n";
        let units = split(text, &[], UnitKind::Sentence);
        assert_eq!(texts(text, &units), ["é — First one.", "Second one?"]);
        assert_eq!(texts(text, &split(text, &[], UnitKind::Turn)), ["é — First one.   Second one?\n\n —"]);
        assert!(split("   ", &[], UnitKind::Sentence).is_empty());
        assert_eq!(UnitKind::parse("Turns"), Some(UnitKind::Turn));
        assert_eq!(UnitKind::parse("word"), None);
    }
}
