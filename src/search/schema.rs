//! The index schema and the word analysis that indexing, querying and highlighting
//! share, so that a hit found by tantivy is always found again by the highlighter.
//!
//! Words are UAX #29 word segments (`unicode-segmentation`), lower-cased: "don't" stays
//! one word, accents are kept, each CJK ideograph is its own word. The stemmed field
//! adds the English Snowball stemmer on top.

use tantivy::schema::{Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};
use unicode_segmentation::UnicodeSegmentation;

/// Bump when the schema or the word analysis changes: an index with another version
/// is rebuilt.
pub const INDEX_SCHEMA_VERSION: u32 = 1;

/// Name of the unstemmed analyzer.
pub const WORDS: &str = "codeloom_words";
/// Name of the stemmed analyzer.
pub const STEMS: &str = "codeloom_stems";

/// Words longer than this (in bytes) are not indexed (tantivy limits term length).
const LONGEST_WORD: usize = 200;

/// The fields of an index document (a turn, a memo or a code description).
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `turn`, `memo` or `code`.
    pub kind: Field,
    /// Document ID (turns), memo ID or code ID.
    pub id: Field,
    /// The document's index number (turns), for counting hits per document from fast fields.
    pub doc_ix: Field,
    /// Turn ordinal within its document.
    pub ordinal: Field,
    /// Char offsets of the turn in its document.
    pub start: Field,
    pub end: Field,
    /// Unstemmed words of the text.
    pub text: Field,
    /// Stemmed words of the same text.
    pub stems: Field,
    /// Lower-cased filter values.
    pub speaker: Field,
    /// The speaker as written, for display.
    pub speaker_label: Field,
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
}

/// Builds the schema and names its fields.
pub fn build_schema() -> (Schema, Fields) {
    let mut sb = Schema::builder();
    let text_options = |analyzer: &str, stored: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored { o.set_stored() } else { o }
    };
    let fields = Fields {
        kind: sb.add_text_field("kind", STRING | STORED),
        id: sb.add_text_field("id", STRING | STORED),
        doc_ix: sb.add_u64_field("doc_ix", INDEXED | STORED | tantivy::schema::FAST),
        ordinal: sb.add_u64_field("ordinal", STORED | tantivy::schema::FAST),
        start: sb.add_u64_field("start", STORED),
        end: sb.add_u64_field("end", STORED),
        text: sb.add_text_field("text", text_options(WORDS, true)),
        stems: sb.add_text_field("stems", text_options(STEMS, false)),
        speaker: sb.add_text_field("speaker", STRING),
        speaker_label: sb.add_text_field("speaker_label", STORED),
        participant: sb.add_text_field("participant", STRING),
        wave: sb.add_text_field("wave", STRING),
        document: sb.add_text_field("document", STRING),
        codes: sb.add_text_field("codes", STRING),
        coders: sb.add_text_field("coders", STRING),
        attrs: sb.add_text_field("attrs", STRING),
        title: sb.add_text_field("title", STRING | STORED),
    };
    (sb.build(), fields)
}

/// The unstemmed or stemmed analyzer.
pub fn analyzer(stemmed: bool) -> TextAnalyzer {
    let base = TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser);
    if stemmed { base.filter(Stemmer::new(Language::English)).build() } else { base.build() }
}

/// Registers both analyzers with an index.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(WORDS, analyzer(false));
    index.tokenizers().register(STEMS, analyzer(true));
}

/// One analysed word: byte range in the text, position, and its (lower-cased, maybe stemmed) form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub from: usize,
    pub to: usize,
    pub position: usize,
    pub form: String,
}

/// Runs an analyzer over `text`.
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(Word { from: t.offset_from, to: t.offset_to, position: t.position, form: t.text.clone() });
    }
    out
}

/// Splits text into UAX #29 words, with byte offsets.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
    spans: Vec<(usize, usize)>,
}

/// The token stream of [`WordTokenizer`].
pub struct WordStream<'a> {
    text: &'a str,
    spans: std::vec::IntoIter<(usize, usize)>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        self.spans.clear();
        self.spans.extend(text.unicode_word_indices().map(|(b, w)| (b, b + w.len())));
        WordStream { text, spans: std::mem::take(&mut self.spans).into_iter(), token: &mut self.token }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((from, to)) = self.spans.next() else { return false };
        self.token.position = self.token.position.wrapping_add(1);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_apostrophes_accents_and_split_cjk() {
        let mut a = analyzer(false);
        let w = words(&mut a, "Don't café, 我喜欢 😀 P07");
        let forms: Vec<&str> = w.iter().map(|w| w.form.as_str()).collect();
        assert_eq!(forms, ["don't", "café", "我", "喜", "欢", "p07"]);
        assert_eq!(w.iter().map(|w| w.position).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
        let mut s = analyzer(true);
        let forms: Vec<String> = words(&mut s, "Walking medications").into_iter().map(|w| w.form).collect();
        assert_eq!(forms, ["walk", "medic"]);
    }
}
