//! The reports bench: every report of `crate::export` built on the study project and
//! the quote report written as DOCX and XLSX, each step timed.

use super::Measurement;
use crate::error::Result;
use crate::export::{Format, appendix, data, matrix, quotes};
use std::path::Path;

/// Builds every report on the project at `path` and writes the quote report as DOCX and
/// XLSX, timing each step.
pub fn measurement(path: &Path) -> Result<Measurement> {
    use std::time::Instant;
    let total = Instant::now();
    let mut lap = Instant::now();
    let mut steps = serde_json::Map::new();
    let mut step = |name: &str| {
        steps.insert(name.to_string(), serde_json::json!(lap.elapsed().as_secs_f64()));
        lap = Instant::now();
    };
    let project = crate::Project::open(path)?;
    let data = data::StudyData::load(&project, None)?;
    step("load");
    let options = quotes::QuoteOptions {
        selection: quotes::Selection::Propose { per_cell: 3 },
        waves: quotes::WaveSplit::EachWave,
        max_words: Some(40),
        template: "[{participant}, {wave}]".into(),
        ..quotes::QuoteOptions::default()
    };
    let report = quotes::build(&data, &options, &mut |id| project.document_text(id))?;
    step("quote_report");
    let docx = quotes::render(&report, Format::Docx)?;
    let xlsx = quotes::render(&report, Format::Xlsx)?;
    step("write_docx_and_xlsx");
    let code_wave = matrix::code_wave(&data, true);
    let cooccurrence = matrix::cooccurrence(&data, false);
    step("code_wave_and_cooccurrence");
    let appendix =
        appendix::build(&data, None, &appendix::AppendixOptions::default(), &mut |id| project.document_text(id))?;
    step("codebook_appendix");
    Ok(Measurement {
        name: "export_reports".into(),
        what: format!(
            "build the quote report (3 proposed quotes per cell, by wave), write it as DOCX and XLSX, count codes per \
             wave and co-occurrence, and build the codebook appendix, over {} codings",
            data.codings.len()
        ),
        seconds: total.elapsed().as_secs_f64(),
        target_seconds: None,
        details: serde_json::json!({
            "codings": data.codings.len(), "quotes": report.quote_count(), "docx_bytes": docx.len(),
            "xlsx_bytes": xlsx.len(), "codes": code_wave.rows.len(),
            "cooccurring_pairs": cooccurrence.rows.iter().enumerate()
                .map(|(i, r)| r.values.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, v)| v).sum::<usize>())
                .sum::<usize>() / 2,
            "appendix_codes": appendix.entries.len(), "step_seconds": steps,
        }),
    })
}
