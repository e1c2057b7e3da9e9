//! Fuzzes the search query parser, and the word analysis that query words and indexed
//! text go through: parsing never panics, an error points inside the query, a parsed
//! tree stays within the nesting bound, and every word's byte range lies on char
//! boundaries of the text.
//!
//! Run with `cargo fuzz run query` from the repository root.

#![no_main]

use codeloom::search::query::{DEEPEST_NESTING, parse};
use codeloom::search::schema::{analyzer, primary_forms, words};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(text) {
        Ok(node) => assert!(node.depth() <= 2 * DEEPEST_NESTING + 3, "a tree {} deep", node.depth()),
        Err(e) => assert!(e.position <= text.chars().count(), "{e} is past the end"),
    }
    for stemmed in [false, true] {
        let mut a = analyzer(stemmed);
        for w in words(&mut a, text) {
            assert!(w.from < w.to && text.is_char_boundary(w.from) && text.is_char_boundary(w.to), "{w:?}");
        }
        let _ = primary_forms(&mut a, text);
    }
});
