//! Fuzzes the PDF importer from raw bytes, in process (the `codeloom` binary reads PDFs in
//! a child process with limits; this target finds what those limits have to contain).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| codeloom_fuzz::check_format("pdf", data));
