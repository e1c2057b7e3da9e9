//! The index schema and the word analysis that indexing, querying and highlighting
//! share, so that a hit found by tantivy is always found again by the highlighter.
//!
//! Words are UAX #29 word segments (`unicode-segmentation`), lower-cased: "don't" stays
//! one word, accents are kept, each CJK ideograph is its own word. Typographic
//! apostrophes are read as `'`; a word with an apostrophe is also indexed run together
//! and, for English possessives and contractions, as the word before the apostrophe;
//! hyphenated compounds are split into their parts and also indexed run together (see
//! [`split_words`]). The stemmed analysis adds the English Snowball stemmer on top.
//!
//! The index has one field of words: each word under its forms as written (lower-cased)
//! and, at the same position, under its stem marked with [`STEM_MARK`] when the stem is
//! not the word itself ([`MarkedStems`]). An exact search looks for the forms; a stemmed
//! one for the marked stem or, when the stem is a word whose own stem it is, that word.
//! Most words of running text (`the`, `and`, `pain`) are their own stem, so the index
//! holds their positions once rather than twice, and a text is split into words once.

use std::collections::HashMap;
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    Language, RawTokenizer, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};
use unicode_segmentation::UnicodeSegmentation;

/// Bump when the schema or the word analysis changes: an index with another version
/// is rebuilt. 2: typographic apostrophes, apostrophe and compound forms. 3: turns keep
/// no stored fields (their text is read from the project), documents are numbered, words
/// and marked stems share one field.
pub const INDEX_SCHEMA_VERSION: u32 = 3;

/// Name of the analyzer of the words field: forms as written and marked stems.
pub const WORDS_AND_STEMS: &str = "codeloom_words_and_stems";

/// What a stem starts with in the words field. No word contains `#` (it is no part of a
/// UAX #29 word), and three of them put every stem more edits away from every word than
/// a fuzzy search allows, so prefix and fuzzy searches never reach a stem.
pub const STEM_MARK: &str = "###";

/// Words longer than this (in bytes) are not indexed (tantivy limits term length).
const LONGEST_WORD: usize = 200;

/// The fields of an index document: a turn, a memo or a code description.
///
/// A turn stores nothing: it is found by its document's number and its ordinal (fast
/// fields), and its text is read from the project when it is shown. Memos and code
/// descriptions, which are short, keep their kind, ID, title and text.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `memo` or `code` (turns have none).
    pub kind: Field,
    /// Memo ID or code ID (turns have none).
    pub id: Field,
    /// The number of a turn's document (see the catalog); indexed, so that a document's
    /// turns can be deleted together, and fast, for counting and ordering hits.
    pub doc_ix: Field,
    /// Turn ordinal within its document.
    pub ordinal: Field,
    /// The words of the text as written (lower-cased), and their marked stems.
    pub text: Field,
    /// Lower-cased filter values.
    pub speaker: Field,
    pub participant: Field,
    pub wave: Field,
    pub document: Field,
    /// Code IDs of codings that overlap the turn.
    pub codes: Field,
    /// Coder names (lower-cased) of codings that overlap the turn.
    pub coders: Field,
    /// Participant attributes as `name=value`, lower-cased.
    pub attrs: Field,
    /// A memo's title or a code's name.
    pub title: Field,
    /// The searchable text of a memo or code, as shown.
    pub body: Field,
}

/// Builds the schema and names its fields.
pub fn build_schema() -> (Schema, Fields) {
    let mut sb = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS_AND_STEMS)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    // Filter values: whole values, no frequencies or positions, and no field norms (a
    // byte per passage per field that only scoring by length would use).
    let value = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let fields = Fields {
        kind: sb.add_text_field("kind", value.clone() | STORED),
        id: sb.add_text_field("id", value.clone() | STORED),
        doc_ix: sb.add_u64_field("doc_ix", INDEXED | FAST),
        ordinal: sb.add_u64_field("ordinal", FAST),
        text: sb.add_text_field("text", words),
        speaker: sb.add_text_field("speaker", value.clone()),
        participant: sb.add_text_field("participant", value.clone()),
        wave: sb.add_text_field("wave", value.clone()),
        document: sb.add_text_field("document", value.clone()),
        codes: sb.add_text_field("codes", value.clone()),
        coders: sb.add_text_field("coders", value.clone()),
        attrs: sb.add_text_field("attrs", value),
        title: sb.add_text_field("title", STORED),
        body: sb.add_text_field("body", STORED),
    };
    (sb.build(), fields)
}

/// The unstemmed or stemmed analyzer.
pub fn analyzer(stemmed: bool) -> TextAnalyzer {
    let base = TextAnalyzer::builder(WordTokenizer::default()).filter(RemoveLongFilter::limit(LONGEST_WORD));
    if stemmed {
        base.filter(Stemmer::new(Language::English)).filter(DistinctForms).build()
    } else {
        base.filter(DistinctForms).build()
    }
}

/// The analyzer of the words field: the unstemmed analysis, each word followed by its
/// marked stem when that differs.
pub fn words_and_stems() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(DistinctForms)
        .filter(MarkedStems)
        .build()
}

/// Registers the words field's analyzer with an index.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(WORDS_AND_STEMS, words_and_stems());
}

/// The stem of one lower-cased word, when it is not the word itself.
pub fn stem_of(word: &str) -> Option<String> {
    StemCache::default().stem(word).map(str::to_string)
}

/// One analysed word: byte range in the text, position, and its (lower-cased, maybe stemmed) form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub from: usize,
    pub to: usize,
    pub position: usize,
    pub form: String,
}

/// Runs an analyzer over `text`: every form of every word, by position (a position may
/// have several forms, the word as written first).
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(Word { from: t.offset_from, to: t.offset_to, position: t.position, form: t.text.clone() });
    }
    out
}

/// The forms the words of a query are searched by: one per position, the word as
/// written (lower-cased, maybe stemmed), without the forms [`split_words`] adds. So
/// `daughter's` looks for the possessive only, `follow-up` for the phrase "follow up".
pub fn primary_forms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut last = None;
    for w in words(analyzer, text) {
        if last != Some(w.position) {
            last = Some(w.position);
            out.push(w.form);
        }
    }
    out
}

/// Characters written for an apostrophe: the right single quotation mark (as Word and
/// Otter write it), the modifier letter apostrophe and the grave accent. Each is read as
/// `'`, so `daughter’s` and `daughter's` are the same word.
pub const APOSTROPHES: [char; 3] = ['\u{2019}', '\u{02BC}', '`'];

/// Hyphens that join the parts of a compound word (`follow-up`).
const HYPHENS: [char; 3] = ['-', '\u{2010}', '\u{2011}'];

/// What follows the apostrophe of an English contraction whose first part is a word of
/// its own (`she'll`, `he'd`, `I'm`, `we're`, `I've`). Run together, these would make
/// other words (`shell`, `wed`, `were`, `well`), so they are indexed by their first part
/// only.
const CLITICS: [&str; 5] = ["d", "ll", "m", "re", "ve"];

/// A compound of more parts than this gets no run-together form.
const LONGEST_COMPOUND: usize = 6;

/// One word of a text before stemming: its byte range in the text, its position, and
/// where in [`Pieces::forms`] the form it is indexed under is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub from: usize,
    pub to: usize,
    pub position: usize,
    pub form: std::ops::Range<usize>,
}

/// The words of a text as [`split_words`] finds them, with their forms lower-cased in
/// one buffer (kept from text to text, so that splitting allocates nothing once warm).
#[derive(Debug, Clone, Default)]
pub struct Pieces {
    pub forms: String,
    pub list: Vec<Piece>,
    /// The byte ranges of the text's words (kept to be reused).
    spans: Vec<(usize, usize)>,
}

impl Pieces {
    /// A piece's form.
    pub fn form(&self, piece: &Piece) -> &str {
        &self.forms[piece.form.clone()]
    }

    /// Adds a form, lower-cased char by char (`c.to_lowercase()`, as tantivy's
    /// lower-caser does), and returns where it is.
    fn add(&mut self, parts: &[&str]) -> std::ops::Range<usize> {
        let start = self.forms.len();
        for part in parts {
            if part.is_ascii() {
                let at = self.forms.len();
                self.forms.push_str(part);
                self.forms[at..].make_ascii_lowercase();
            } else {
                for c in part.chars() {
                    self.forms.extend(c.to_lowercase());
                }
            }
        }
        start..self.forms.len()
    }
}

/// Splits `text` into words, each at its own position, and gives some words more forms
/// at the same position, all covering the whole word; every form is lower-cased:
///
/// - A word is a UAX #29 word segment, found after every character in [`APOSTROPHES`] is
///   read as `'`; its first form is the word as written, apostrophes as `'` (`don't`).
/// - A word with an apostrophe is also indexed by what a researcher may type for it:
///   ending in `'s` or a clitic of [`CLITICS`], by the part before the apostrophe
///   (`daughter's`: `daughter`; `she'll`: `she`, not `shell`); otherwise run together
///   (`don't`: `dont`, not `don`; `o'clock`: `oclock`). Exact searches stay exact:
///   `daughters` does not find `daughter's` (a stemmed search does, through the stem).
/// - Hyphens split words (UAX #29 does), so the parts of `follow-up` are words at
///   consecutive positions and the phrase "follow up" finds it; the first part's
///   position also carries the parts run together (`followup`), covering the whole
///   compound, when a part has a letter and there are at most six parts.
pub fn split_words(text: &str) -> Pieces {
    let mut out = Pieces::default();
    split_words_into(text, &mut out);
    out
}

/// [`split_words`] into `out`, reusing its buffers.
pub fn split_words_into(text: &str, out: &mut Pieces) {
    let folded = Folded::new(text);
    out.forms.clear();
    out.list.clear();
    let mut spans = std::mem::take(&mut out.spans);
    spans.clear();
    spans.extend(folded.text.unicode_word_indices().map(|(b, w)| (b, b + w.len())));
    let hyphen_after = |i: usize| {
        spans.get(i + 1).is_some_and(|next| {
            let mut gap = folded.text[spans[i].1..next.0].chars();
            gap.next().is_some_and(|c| HYPHENS.contains(&c)) && gap.next().is_none()
        })
    };
    for (position, &(b, e)) in spans.iter().enumerate() {
        let word = &folded.text[b..e];
        let (from, to) = (folded.original(b), folded.original(e));
        let form = out.add(&[word]);
        out.list.push(Piece { from, to, position, form });
        if let Some((head, tail)) = word.rsplit_once('\'') {
            let clitic = tail.eq_ignore_ascii_case("s") || CLITICS.iter().any(|c| tail.eq_ignore_ascii_case(c));
            let form = if !clitic {
                let parts: Vec<&str> = word.split('\'').collect();
                Some(out.add(&parts))
            } else if !head.is_empty() {
                Some(out.add(&[head]))
            } else {
                None
            };
            if let Some(form) = form {
                out.list.push(Piece { from, to, position, form });
            }
        }
        // The first part of a compound: the parts run together.
        if (position == 0 || !hyphen_after(position - 1)) && hyphen_after(position) {
            let mut last = position + 1;
            while hyphen_after(last) && last - position < LONGEST_COMPOUND {
                last += 1;
            }
            let parts = &spans[position..=last];
            let whole = parts.len() <= LONGEST_COMPOUND && !hyphen_after(last);
            let lettered = parts.iter().any(|&(b, e)| folded.text[b..e].chars().any(char::is_alphabetic));
            if whole && lettered {
                let words: Vec<&str> = parts.iter().map(|&(b, e)| &folded.text[b..e]).collect();
                let form = out.add(&words);
                out.list.push(Piece { from, to: folded.original(spans[last].1), position, form });
            }
        }
    }
    out.spans = spans;
}

/// A text with every apostrophe character written as `'`, and the way back to byte
/// offsets in the original.
struct Folded<'a> {
    text: std::borrow::Cow<'a, str>,
    /// (offset in the folded text just after a shortened apostrophe, bytes saved up to there).
    shifts: Vec<(usize, usize)>,
}

impl<'a> Folded<'a> {
    fn new(text: &'a str) -> Folded<'a> {
        if !text.contains(APOSTROPHES) {
            return Folded { text: std::borrow::Cow::Borrowed(text), shifts: Vec::new() };
        }
        let mut folded = String::with_capacity(text.len());
        let mut shifts = Vec::new();
        let mut saved = 0;
        for c in text.chars() {
            if APOSTROPHES.contains(&c) {
                folded.push('\'');
                if c.len_utf8() > 1 {
                    saved += c.len_utf8() - 1;
                    shifts.push((folded.len(), saved));
                }
            } else {
                folded.push(c);
            }
        }
        Folded { text: std::borrow::Cow::Owned(folded), shifts }
    }

    /// The byte offset in the original text of a char boundary of the folded text.
    fn original(&self, at: usize) -> usize {
        match self.shifts.partition_point(|&(p, _)| p <= at) {
            0 => at,
            i => at + self.shifts[i - 1].1,
        }
    }
}

/// Splits text into words with [`split_words`], with byte offsets into the text.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
    pieces: Pieces,
}

/// The token stream of [`WordTokenizer`].
pub struct WordStream<'a> {
    pieces: &'a Pieces,
    next: usize,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        let WordTokenizer { token, pieces } = self;
        token.reset();
        split_words_into(text, pieces);
        WordStream { pieces, next: 0, token }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(piece) = self.pieces.list.get(self.next) else { return false };
        self.next += 1;
        self.token.position = piece.position;
        self.token.offset_from = piece.from;
        self.token.offset_to = piece.to;
        self.token.text.clear();
        self.token.text.push_str(self.pieces.form(piece));
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Strings kept at one position, reused from position to position so that keeping one
/// allocates nothing once warm.
#[derive(Debug, Clone, Default)]
struct Seen {
    forms: Vec<String>,
    used: usize,
}

impl Seen {
    fn clear(&mut self) {
        self.used = 0;
    }

    fn contains(&self, form: &str) -> bool {
        self.forms[..self.used].iter().any(|f| f == form)
    }

    fn push(&mut self, parts: &[&str]) {
        if self.used == self.forms.len() {
            self.forms.push(String::new());
        }
        let slot = &mut self.forms[self.used];
        slot.clear();
        for p in parts {
            slot.push_str(p);
        }
        self.used += 1;
    }
}

/// Drops a token whose form is already at its position (`daughter's` and `daughter`
/// both stem to `daughter`), so that a word counts once for relevance.
#[derive(Clone, Copy, Default)]
pub struct DistinctForms;

impl TokenFilter for DistinctForms {
    type Tokenizer<T: Tokenizer> = DistinctFormsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> DistinctFormsFilter<T> {
        DistinctFormsFilter { tokenizer, seen: Seen::default() }
    }
}

/// [`DistinctForms`] around a tokenizer.
#[derive(Clone)]
pub struct DistinctFormsFilter<T> {
    tokenizer: T,
    seen: Seen,
}

impl<T: Tokenizer> Tokenizer for DistinctFormsFilter<T> {
    type TokenStream<'a> = DistinctFormsStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.seen.clear();
        DistinctFormsStream { tail: self.tokenizer.token_stream(text), seen: &mut self.seen, position: None }
    }
}

/// The token stream of [`DistinctFormsFilter`].
pub struct DistinctFormsStream<'a, T> {
    tail: T,
    /// The forms already given at `position`.
    seen: &'a mut Seen,
    position: Option<usize>,
}

impl<T: TokenStream> TokenStream for DistinctFormsStream<'_, T> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            let t = self.tail.token();
            if self.position != Some(t.position) {
                self.position = Some(t.position);
                self.seen.clear();
            }
            if !self.seen.contains(&t.text) {
                self.seen.push(&[&t.text]);
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Follows each word with its stem, marked with [`STEM_MARK`], at the same position and
/// over the same text, when the stem differs from the word and is not already there.
#[derive(Clone, Copy, Default)]
pub struct MarkedStems;

impl TokenFilter for MarkedStems {
    type Tokenizer<T: Tokenizer> = MarkedStemsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MarkedStemsFilter<T> {
        MarkedStemsFilter { tokenizer, stems: StemCache::default() }
    }
}

/// Stems of words already seen: words recur (running text is mostly a few thousand
/// words), so most are stemmed once. Forgets everything past [`StemCache::KEPT`] words.
#[derive(Clone)]
struct StemCache {
    stemmer: TextAnalyzer,
    /// Word → its stem, or `None` when the word is its own stem.
    known: HashMap<String, Option<String>, rustc_hash::FxBuildHasher>,
}

impl Default for StemCache {
    fn default() -> Self {
        let stemmer = TextAnalyzer::builder(RawTokenizer::default()).filter(Stemmer::new(Language::English)).build();
        StemCache { stemmer, known: HashMap::default() }
    }
}

impl StemCache {
    const KEPT: usize = 100_000;

    fn stem(&mut self, word: &str) -> Option<&str> {
        if !self.known.contains_key(word) {
            if self.known.len() >= Self::KEPT {
                self.known.clear();
            }
            let mut stream = self.stemmer.token_stream(word);
            let stem = if stream.advance() { stream.token().text.clone() } else { word.to_string() };
            self.known.insert(word.to_string(), (stem != word).then_some(stem));
        }
        self.known.get(word).and_then(|s| s.as_deref())
    }
}

/// [`MarkedStems`] around a tokenizer.
#[derive(Clone)]
pub struct MarkedStemsFilter<T> {
    tokenizer: T,
    stems: StemCache,
}

impl<T: Tokenizer> Tokenizer for MarkedStemsFilter<T> {
    type TokenStream<'a> = MarkedStemsStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MarkedStemsStream {
            tail: self.tokenizer.token_stream(text),
            stems: &mut self.stems,
            marked: Token::default(),
            pending: false,
            showing_marked: false,
            seen: Seen::default(),
            position: None,
        }
    }
}

/// The token stream of [`MarkedStemsFilter`].
pub struct MarkedStemsStream<'a, T> {
    tail: T,
    stems: &'a mut StemCache,
    /// The marked stem of the last word, to be given next when `pending`.
    marked: Token,
    pending: bool,
    showing_marked: bool,
    /// The stems already given at `position`.
    seen: Seen,
    position: Option<usize>,
}

impl<T: TokenStream> TokenStream for MarkedStemsStream<'_, T> {
    fn advance(&mut self) -> bool {
        if self.pending {
            self.pending = false;
            self.showing_marked = true;
            return true;
        }
        self.showing_marked = false;
        if !self.tail.advance() {
            return false;
        }
        let t = self.tail.token();
        if self.position != Some(t.position) {
            self.position = Some(t.position);
            self.seen.clear();
        }
        if let Some(stem) = self.stems.stem(&t.text)
            && !self.seen.contains(stem)
        {
            self.marked.text.clear();
            self.marked.text.push_str(STEM_MARK);
            self.marked.text.push_str(stem);
            self.marked.offset_from = t.offset_from;
            self.marked.offset_to = t.offset_to;
            self.marked.position = t.position;
            self.marked.position_length = t.position_length;
            self.seen.push(&[stem]);
            self.pending = true;
        }
        true
    }

    fn token(&self) -> &Token {
        if self.showing_marked { &self.marked } else { self.tail.token() }
    }

    fn token_mut(&mut self) -> &mut Token {
        if self.showing_marked { &mut self.marked } else { self.tail.token_mut() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (the original text of the word, position, form) for every token.
    fn analysed(text: &str, stemmed: bool) -> Vec<(&str, usize, String)> {
        let mut a = analyzer(stemmed);
        words(&mut a, text).into_iter().map(|w| (&text[w.from..w.to], w.position, w.form)).collect()
    }

    fn forms(text: &str) -> Vec<String> {
        analysed(text, false).into_iter().map(|(_, _, f)| f).collect()
    }

    #[test]
    fn words_keep_apostrophes_accents_and_split_cjk() {
        let mut a = analyzer(false);
        let w = words(&mut a, "Don't café, 我喜欢 😀 P07");
        let forms: Vec<&str> = w.iter().map(|w| w.form.as_str()).collect();
        assert_eq!(forms, ["don't", "dont", "café", "我", "喜", "欢", "p07"]);
        assert_eq!(w.iter().map(|w| w.position).collect::<Vec<_>>(), [0, 0, 1, 2, 3, 4, 5]);
        let mut s = analyzer(true);
        let forms: Vec<String> = words(&mut s, "Walking medications").into_iter().map(|w| w.form).collect();
        assert_eq!(forms, ["walk", "medic"]);
    }

    #[test]
    fn every_apostrophe_character_makes_the_same_possessive() {
        for apostrophe in ['\'', '\u{2019}', '\u{02BC}', '`'] {
            let text = format!("My Daughter{apostrophe}s flat");
            let word = format!("Daughter{apostrophe}s");
            assert_eq!(
                analysed(&text, false),
                [
                    ("My", 0, "my".to_string()),
                    (word.as_str(), 1, "daughter's".to_string()),
                    (word.as_str(), 1, "daughter".to_string()),
                    ("flat", 2, "flat".to_string()),
                ],
                "{apostrophe:?}"
            );
            // Stemmed, the two forms are one.
            assert_eq!(
                analysed(&text, true),
                [
                    ("My", 0, "my".to_string()),
                    (word.as_str(), 1, "daughter".to_string()),
                    ("flat", 2, "flat".to_string())
                ],
                "{apostrophe:?}"
            );
        }
    }

    #[test]
    fn contractions_get_the_forms_a_researcher_types() {
        for apostrophe in ['\'', '\u{2019}', '\u{02BC}', '`'] {
            let f = |w: &str| forms(&w.replace('\'', &apostrophe.to_string()));
            assert_eq!(f("don't"), ["don't", "dont"], "{apostrophe:?}: n't keeps no stem");
            assert_eq!(f("It's"), ["it's", "it"]);
            // Not `shell`, `were`, `well`, `wed`: those are other words.
            assert_eq!(f("she'll"), ["she'll", "she"]);
            assert_eq!(f("we'll"), ["we'll", "we"]);
            assert_eq!(f("I'm"), ["i'm", "i"]);
            assert_eq!(f("we're"), ["we're", "we"]);
            assert_eq!(f("I've"), ["i've", "i"]);
            assert_eq!(f("we'd"), ["we'd", "we"]);
            assert_eq!(f("o'clock"), ["o'clock", "oclock"]);
            assert_eq!(f("rock'n'roll"), ["rock'n'roll", "rocknroll"]);
        }
        // An apostrophe that is a quotation mark is no part of a word.
        assert_eq!(forms("\u{2018}kids\u{2019} `games` 'fun'"), ["kids", "games", "fun"]);
        assert_eq!(forms("parents\u{2019} house"), ["parents", "house"]);
    }

    #[test]
    fn hyphenated_compounds_are_parts_and_one_word() {
        for hyphen in ['-', '\u{2010}', '\u{2011}'] {
            let text = format!("a follow{hyphen}up call");
            let compound = format!("follow{hyphen}up");
            assert_eq!(
                analysed(&text, false),
                [
                    ("a", 0, "a".to_string()),
                    ("follow", 1, "follow".to_string()),
                    (compound.as_str(), 1, "followup".to_string()),
                    ("up", 2, "up".to_string()),
                    ("call", 3, "call".to_string()),
                ],
                "{hyphen:?}"
            );
        }
        assert_eq!(forms("mother-in-law's"), ["mother", "motherinlaw's", "in", "law's", "law"]);
        assert_eq!(forms("covid-19"), ["covid", "covid19", "19"]);
        // No run-together form: numbers only, a double hyphen or a dash, more than six parts.
        assert_eq!(forms("10-15"), ["10", "15"]);
        assert_eq!(forms("follow--up follow – up"), ["follow", "up", "follow", "up"]);
        assert_eq!(forms("a-b-c-d-e-f"), ["a", "abcdef", "b", "c", "d", "e", "f"]);
        assert_eq!(forms("a-b-c-d-e-f-g"), ["a", "b", "c", "d", "e", "f", "g"]);
    }

    #[test]
    fn offsets_cover_the_original_text_after_wide_apostrophes() {
        let text = "It\u{2019}s my daughter\u{02BC}s — don\u{2019}t café\u{2019}s follow\u{2010}up";
        for (word, _, _) in analysed(text, false) {
            assert!(!word.is_empty());
        }
        let words: Vec<&str> = analysed(text, false).into_iter().map(|(w, _, _)| w).collect();
        assert_eq!(
            words,
            [
                "It\u{2019}s",
                "It\u{2019}s",
                "my",
                "daughter\u{02BC}s",
                "daughter\u{02BC}s",
                "don\u{2019}t",
                "don\u{2019}t",
                "café\u{2019}s",
                "café\u{2019}s",
                "follow",
                "follow\u{2010}up",
                "up",
            ]
        );
    }

    #[test]
    fn queries_use_the_word_as_written() {
        let mut a = analyzer(false);
        assert_eq!(primary_forms(&mut a, "Daughter\u{2019}s follow-up"), ["daughter's", "follow", "up"]);
        assert_eq!(primary_forms(&mut a, "dont"), ["dont"]);
        let mut s = analyzer(true);
        assert_eq!(primary_forms(&mut s, "daughter\u{2019}s don't"), ["daughter", "don't"]);
    }

    #[test]
    fn the_words_field_holds_forms_and_marked_stems_that_differ() {
        let mut a = words_and_stems();
        let got: Vec<(usize, String)> =
            words(&mut a, "Walking daughter's pain, the walks").into_iter().map(|w| (w.position, w.form)).collect();
        let want = [
            (0, "walking"),
            (0, "###walk"),
            (1, "daughter's"),
            (1, "###daughter"),
            (1, "daughter"),
            (2, "pain"),
            (3, "the"),
            (4, "walks"),
            (4, "###walk"),
        ];
        assert_eq!(got, want.map(|(p, f)| (p, f.to_string())));
        assert_eq!(stem_of("walking").as_deref(), Some("walk"));
        assert_eq!(stem_of("walk"), None);
    }
}
