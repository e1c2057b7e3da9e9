//! Fuzzes speaker and turn detection (and the line-number margin) on any text, with the
//! first line naming bold labels.
#![no_main]
use codeloom::import::{Extracted, decode, line_numbers, turns};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (hints, body) = text.split_once('\n').unwrap_or(("", text));
    let hints = turns::LabelHints::bold(hints.split('|'));
    let (mut body, _) = decode::normalise_newlines(body);
    if let Some(stripped) = line_numbers::strip_line_numbers(&body) {
        body = decode::normalise_newlines(&stripped).0;
    }
    let found = turns::detect_turns_with(&body, &hints);
    codeloom_fuzz::check_document("turns", &Extracted { text: body, turns: found, warnings: vec![] });
});
