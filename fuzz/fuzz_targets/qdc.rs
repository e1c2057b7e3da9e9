//! Fuzzes the REFI-QDA codebook reader (`.qdc`) from raw bytes: it returns codes or an
//! error, never panics, and the codes have unique IDs with parents listed first.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(book) = codeloom::codebook::qdc::parse_qdc(Path::new("fuzz.qdc"), data) else { return };
    let mut seen = HashSet::new();
    for c in &book.codes {
        assert!(c.parent_id.as_ref().is_none_or(|p| seen.contains(p)), "{c:?} before its parent");
        assert!(seen.insert(c.id.clone().unwrap_or_default()), "{c:?}: an ID used twice");
    }
});
