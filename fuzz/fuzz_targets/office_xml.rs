//! Fuzzes the Word and OpenDocument XML readers behind a valid zip archive, so that the
//! fuzzer spends its time on the XML rather than on zip headers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    codeloom_fuzz::check_format("docx", &codeloom_fuzz::office_archive("docx", data));
    codeloom_fuzz::check_format("odt", &codeloom_fuzz::office_archive("odt", data));
});
