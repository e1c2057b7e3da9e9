//! The agreement scenario of `codeloom bench`: every statistic at character level for the bench
//! study (its transcripts × 3 coders × 60 codes), without and with 1,000 bootstrap resamples.

use super::Measurement;
use crate::agreement::BootstrapConfig;
use crate::agreement::project::{AnalysisOptions, DocumentFilter, ReliabilityInput, Selection, UnitKind, analyse};
use crate::error::{Error, Result};
use crate::store::Project;
use std::path::Path;
use std::time::Instant;

/// Measures reading the reliability data and computing the report on the study at `study`.
pub fn measure(study: &Path, progress: &mut dyn FnMut(&str)) -> Result<Vec<Measurement>> {
    progress("agreement at character level, 3 coders");
    let project = Project::open(study)?;
    let selection = Selection {
        coders: vec!["amara".into(), "ben".into(), "chen".into()],
        documents: DocumentFilter::default(),
        codes: None,
        unit: UnitKind::Char,
    };
    let t = Instant::now();
    let input = ReliabilityInput::load(&project, &selection)?;
    let load = t.elapsed().as_secs_f64();
    let failed = |e: crate::agreement::AgreementError| Error::Invalid(format!("agreement bench: {e}"));
    let t = Instant::now();
    let plain = analyse(&input, &AnalysisOptions { bootstrap: None, group_by: None }).map_err(failed)?;
    let without = t.elapsed().as_secs_f64();
    progress("agreement with 1,000 bootstrap resamples");
    let t = Instant::now();
    let config = BootstrapConfig { resamples: 1000, seed: 7 };
    let boot = analyse(&input, &AnalysisOptions { bootstrap: Some(config), group_by: None }).map_err(failed)?;
    let with = t.elapsed().as_secs_f64();
    let spans: usize = input.documents.iter().flat_map(|d| d.spans.iter().flatten()).map(Vec::len).sum();
    let what = format!(
        "{} transcripts × 3 coders × {} codes at character level: % agreement, Fleiss' κ, α, AC1, Brennan–Prediger per code and pooled, |uα per code, uα, |uα and cuα overall",
        input.documents.len(),
        input.codes.len()
    );
    let overall_alpha =
        plain.overall.get(crate::agreement::report::StatKind::KrippendorffAlpha).and_then(|s| s.value.value());
    Ok(vec![
        Measurement {
            name: "agreement_char".into(),
            what: format!("{what}; no bootstrap"),
            seconds: without,
            target_seconds: Some(1.0),
            details: serde_json::json!({
                "load_seconds": load, "documents": input.documents.len(), "codes": input.codes.len(),
                "merged_spans": spans, "overall_alpha": overall_alpha,
            }),
        },
        Measurement {
            name: "agreement_char_bootstrap".into(),
            what: format!("{what}; with 1,000 bootstrap resamples (document clusters) for every statistic"),
            seconds: with,
            target_seconds: Some(5.0),
            details: serde_json::json!({ "resamples": 1000, "rows": boot.codes.len() + 1 }),
        },
    ])
}
