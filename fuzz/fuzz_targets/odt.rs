//! Fuzzes the .odt importer from raw bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| codeloom_fuzz::check_format("odt", data));
