//! Exact hit positions and keyword-in-context lines.
//!
//! tantivy finds the turns that match and keeps only token positions, so the text of
//! each turn found is analysed again with the very analyzers used for indexing, and
//! every word is checked against the query's matchers (words, phrases, prefixes, fuzzy
//! words). A word may be indexed under several forms at one position (`daughter’s` as
//! `daughter's` and `daughter`; `follow-up` also as `followup`), each covering the whole
//! word, so a match on any form highlights the word as written. Word offsets come in UTF-8 bytes; they
//! become char offsets here, through [`CharIndex`], and nowhere else in search.

use super::schema::{Word, analyzer, words};
use crate::model::offsets::CharIndex;
use tantivy::tokenizer::TextAnalyzer;
use unicode_segmentation::UnicodeSegmentation;

/// What a positive part of a query matches in the text, with its words already
/// analysed the way the index analysed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// One word, or several that follow one another (a phrase). `stemmed` says which
    /// forms they are.
    Words { forms: Vec<String>, stemmed: bool },
    /// Unstemmed words that start with this.
    Prefix(String),
    /// Unstemmed words within `distance` edits (a swap of neighbours counts as one).
    Fuzzy { form: String, distance: u8 },
}

/// Finds matches in texts; holds the analyzers so they are built once.
pub struct Highlighter {
    matchers: Vec<Matcher>,
    plain: TextAnalyzer,
    stemmed: Option<TextAnalyzer>,
}

impl Highlighter {
    pub fn new(matchers: Vec<Matcher>) -> Self {
        let needs_stems = matchers.iter().any(|m| matches!(m, Matcher::Words { stemmed: true, .. }));
        Highlighter { matchers, plain: analyzer(false), stemmed: needs_stems.then(|| analyzer(true)) }
    }

    /// Whether the query has anything to highlight (a query of filters only has not).
    pub fn is_empty(&self) -> bool {
        self.matchers.is_empty()
    }

    /// The matches in `text` as sorted, non-overlapping half-open char ranges.
    pub fn find(&mut self, text: &str) -> Vec<(usize, usize)> {
        if self.matchers.is_empty() {
            return Vec::new();
        }
        let plain = words(&mut self.plain, text);
        let stems = self.stemmed.as_mut().map(|a| words(a, text)).unwrap_or_default();
        let mut bytes: Vec<(usize, usize)> = Vec::new();
        for m in &self.matchers {
            match m {
                Matcher::Words { forms, stemmed } => {
                    let list = if *stemmed { &stems } else { &plain };
                    find_sequence(list, forms, &mut bytes);
                }
                Matcher::Prefix(p) => {
                    bytes.extend(plain.iter().filter(|w| w.form.starts_with(p.as_str())).map(|w| (w.from, w.to)))
                }
                Matcher::Fuzzy { form, distance } => bytes
                    .extend(plain.iter().filter(|w| within_distance(&w.form, form, *distance)).map(|w| (w.from, w.to))),
            }
        }
        bytes.sort_unstable();
        let index = CharIndex::new(text);
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (from, to) in bytes {
            let (Some(s), Some(e)) = (index.byte_to_char(from), index.byte_to_char(to)) else { continue };
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        out
    }
}

/// Pushes the byte range of every place where `forms` follow one another, one form per
/// position. `list` is in position order and may hold several forms at a position.
fn find_sequence(list: &[Word], forms: &[String], out: &mut Vec<(usize, usize)>) {
    let Some(first) = forms.first() else { return };
    let at = |position: usize, form: &String| {
        let from = list.partition_point(|w| w.position < position);
        list[from..].iter().take_while(|w| w.position == position).find(|w| &w.form == form)
    };
    for w in list.iter().filter(|w| &w.form == first) {
        let mut end = w.to;
        let rest_match = forms[1..].iter().enumerate().all(|(k, f)| match at(w.position + k + 1, f) {
            Some(next) => {
                end = next.to;
                true
            }
            None => false,
        });
        if rest_match {
            out.push((w.from, end));
        }
    }
}

/// Whether `a` is within `d` edits of `b` (insert, delete, substitute, or swap two
/// neighbours), counting chars: the distance tantivy's fuzzy query uses.
pub fn within_distance(a: &str, b: &str, d: u8) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let d = d as usize;
    if a.len().abs_diff(b.len()) > d {
        return false;
    }
    // Optimal string alignment distance with full rows (words are short).
    let (n, m) = (a.len(), b.len());
    let mut prev2 = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m] <= d
}

/// A keyword-in-context line: the words before, the match, the words after.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Kwic {
    pub before: String,
    pub matched: String,
    pub after: String,
}

/// The context line of the char range `[start, end)` of `text`, with about `context`
/// chars either side, cut at word boundaries, on one line.
pub fn kwic(text: &str, start: usize, end: usize, context: usize) -> Kwic {
    let index = CharIndex::new(text);
    let byte = |c: usize| index.char_to_byte(c.min(index.char_len())).unwrap_or(text.len());
    let (bs, be) = (byte(start), byte(end.max(start)));
    let left_from = byte(start.saturating_sub(context));
    let right_to = byte(end + context);
    let mut before = &text[left_from..bs];
    if left_from > 0 {
        // Drop the partial word at the cut.
        if let Some((i, _)) = before.split_word_bound_indices().nth(1) {
            before = &before[i..];
        }
    }
    let mut after = &text[be..right_to];
    if right_to < text.len()
        && let Some((i, _)) = after.split_word_bound_indices().next_back()
        && i > 0
    {
        after = &after[..i];
    }
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let lead = if left_from > 0 { "…" } else { "" };
    let tail = if right_to < text.len() { "…" } else { "" };
    let mut b = one_line(before);
    if before.ends_with(char::is_whitespace) && !b.is_empty() {
        b.push(' ');
    }
    let mut a = one_line(after);
    if after.starts_with(char::is_whitespace) && !a.is_empty() {
        a.insert(0, ' ');
    }
    Kwic { before: format!("{lead}{b}"), matched: one_line(&text[bs..be]), after: format!("{a}{tail}") }
}

/// The char range of the sentence(s) of `text` that hold `[start, end)`, without
/// trailing white space.
pub fn sentence_around(text: &str, start: usize, end: usize) -> (usize, usize) {
    let index = CharIndex::new(text);
    let mut from = None;
    let mut to = index.char_len();
    for (b, s) in text.split_sentence_bound_indices() {
        let Some(s_start) = index.byte_to_char(b) else { continue };
        let Some(s_end) = index.byte_to_char(b + s.trim_end().len()) else { continue };
        let s_full = s_start + s.chars().count();
        if from.is_none() && start < s_full {
            from = Some(s_start);
        }
        if end <= s_full {
            to = s_end.max(from.unwrap_or(s_start) + 1).min(s_full);
            break;
        }
    }
    (from.unwrap_or(0), to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::offsets::slice_chars;
    use proptest::prelude::*;

    fn words_of(s: &str) -> Vec<String> {
        vec![s.to_string()]
    }

    #[test]
    fn each_matcher_kind_on_non_ascii_text() {
        let text = "Le café 😀 était très chaud. Médicaments: 我喜欢茶 and 茶 again; Painful pains.";
        let mut h = Highlighter::new(vec![Matcher::Words { forms: words_of("café"), stemmed: false }]);
        let got = h.find(text);
        assert_eq!(got.iter().map(|&(s, e)| slice_chars(text, s, e).unwrap()).collect::<Vec<_>>(), ["café"]);
        let mut h = Highlighter::new(vec![Matcher::Words { forms: vec!["喜".into(), "欢".into()], stemmed: false }]);
        let got = h.find(text);
        assert_eq!(got.iter().map(|&(s, e)| slice_chars(text, s, e).unwrap()).collect::<Vec<_>>(), ["喜欢"]);
        let mut h = Highlighter::new(vec![
            Matcher::Prefix("médic".into()),
            Matcher::Fuzzy { form: "tres".into(), distance: 1 },
        ]);
        let got = h.find(text);
        assert_eq!(
            got.iter().map(|&(s, e)| slice_chars(text, s, e).unwrap()).collect::<Vec<_>>(),
            ["très", "Médicaments"]
        );
        let mut h = Highlighter::new(vec![Matcher::Words { forms: vec!["pain".into()], stemmed: true }]);
        let got = h.find(text);
        assert_eq!(
            got.iter().map(|&(s, e)| slice_chars(text, s, e).unwrap()).collect::<Vec<_>>(),
            ["Painful", "pains"]
        );
        let mut h = Highlighter::new(vec![Matcher::Words { forms: vec!["茶".into()], stemmed: false }]);
        assert_eq!(h.find(text).len(), 2);
    }

    #[test]
    fn fuzzy_distance() {
        assert!(within_distance("medication", "medicaton", 1));
        assert!(within_distance("medication", "mediaction", 1), "a swap is one edit");
        assert!(!within_distance("medication", "medic", 2));
        assert!(within_distance("café", "cafe", 1));
        assert!(!within_distance("café", "cafe", 0));
    }

    #[test]
    fn kwic_and_sentences() {
        let text = "First sentence here. The pain came back at night, and then\nit stayed. Last one!";
        let s = text.find("pain").unwrap();
        let k = kwic(text, s, s + 4, 12);
        assert_eq!(k.matched, "pain");
        assert!(k.before.ends_with("The "), "{k:?}");
        assert!(k.after.starts_with(" came back"), "{k:?}");
        let (a, b) = sentence_around(text, s, s + 4);
        assert_eq!(slice_chars(text, a, b).unwrap(), "The pain came back at night, and then");
        let whole = kwic("short", 0, 5, 20);
        assert_eq!((whole.before.as_str(), whole.matched.as_str(), whole.after.as_str()), ("", "short", ""));
    }

    #[test]
    fn apostrophes_and_hyphens_highlight_the_word_as_written() {
        let text = "My daughter’s flat, my daughterʼs car, daughter`s dog; I don’t know, dont ask. A follow‐up and a follow-up call.";
        let found = |m: Matcher| {
            let mut h = Highlighter::new(vec![m]);
            h.find(text).into_iter().map(|(s, e)| slice_chars(text, s, e).unwrap().to_string()).collect::<Vec<_>>()
        };
        let word = |w: &str| Matcher::Words { forms: vec![w.into()], stemmed: false };
        assert_eq!(found(word("daughter")), ["daughter’s", "daughterʼs", "daughter`s"]);
        assert_eq!(found(word("daughter's")), ["daughter’s", "daughterʼs", "daughter`s"]);
        assert_eq!(found(word("dont")), ["don’t", "dont"]);
        assert_eq!(found(word("don't")), ["don’t"]);
        assert_eq!(found(word("up")), ["up", "up"]);
        assert_eq!(found(word("followup")), ["follow‐up", "follow-up"]);
        assert_eq!(
            found(Matcher::Words { forms: vec!["follow".into(), "up".into(), "call".into()], stemmed: false }),
            ["follow-up call"]
        );
        assert_eq!(
            found(Matcher::Words { forms: vec!["daughter".into(), "flat".into()], stemmed: false }),
            ["daughter’s flat"]
        );
        assert_eq!(found(Matcher::Prefix("daught".into())), ["daughter’s", "daughterʼs", "daughter`s"]);
        assert_eq!(found(Matcher::Fuzzy { form: "dont".into(), distance: 0 }), ["don’t", "dont"]);
        assert_eq!(found(Matcher::Words { forms: vec!["daughter".into()], stemmed: true }).len(), 3);
    }

    proptest! {
        // Every reported range is a char range whose text analyses to the searched word,
        // and there is one range for each position that has the word among its forms.
        #[test]
        fn offsets_are_exact_chars(
            parts in proptest::collection::vec(
                prop_oneof![
                    "café", "Café", "naïve", "😀", "中文", "日本語", "pain", "PAIN", " ", ", ", "\n", "é", "ß",
                    "daughter’s", "Daughterʼs", "daughter`s", "daughter's", "don’t", "dont", "’", "ʼ", "`", "'",
                    "s", "t", "follow-up", "follow‐up", "-", "‐", "up", "follow", "café’s",
                ],
                0..30),
            word in prop_oneof![
                "café", "pain", "中", "naïve", "daughter", "daughter's", "daughters", "dont", "don't", "follow",
                "up", "followup", "s",
            ],
        ) {
            let text: String = parts.concat();
            let mut h = Highlighter::new(vec![Matcher::Words { forms: vec![word.clone()], stemmed: false }]);
            let found = h.find(&text);
            let mut a = analyzer(false);
            let positions: std::collections::BTreeSet<usize> =
                words(&mut a, &text).into_iter().filter(|w| w.form == word).map(|w| w.position).collect();
            prop_assert_eq!(found.len(), positions.len());
            for (s, e) in found {
                let slice = slice_chars(&text, s, e).unwrap();
                prop_assert!(
                    words(&mut a, slice).iter().any(|w| w.form == word && w.from == 0 && w.to == slice.len()),
                    "{:?} in {:?}", slice, text
                );
                let sentence = sentence_around(&text, s, e);
                prop_assert!(sentence.0 <= s && e <= sentence.1);
            }
        }
    }
}
