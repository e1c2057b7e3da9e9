//! Fuzzes the REFI-QDA project reader (`.qdpx` zip or bare `.qde` XML) from raw bytes:
//! it returns a plan or an error, never panics, and a plan's references hold (parents
//! before children, codings inside their document, on codes of the plan).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((plan, _report)) = codeloom::interop::qdpx_import::read_qdpx_bytes(data, "fuzz.qdpx") else { return };
    for (i, c) in plan.codes.iter().enumerate() {
        assert!(c.parent.is_none_or(|p| p < i), "code {i} before its parent");
    }
    for c in &plan.codings {
        let doc = &plan.documents[c.document];
        assert!(c.start < c.end && c.end <= doc.text.chars().count(), "coding {c:?} outside its document");
        assert!(c.code < plan.codes.len(), "coding on a code not in the plan");
    }
});
