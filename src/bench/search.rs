//! Search speed: building the index for a synthetic corpus of many transcripts, and the
//! time to the first page of highlighted results for each kind of query.

use super::{Measurement, corpus};
use crate::error::Result;
use crate::import::{ParsedDocument, turns::detect_turns};
use crate::search::{SearchIndex, SearchOptions};
use crate::store::Project;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Transcripts and words per transcript of the full run (4 million words) and of `--quick`.
pub const FULL: (usize, usize) = (10_000, 400);
pub const QUICK: (usize, usize) = (150, 300);

/// The queries timed, by kind.
const QUERIES: &[(&str, &[&str])] = &[
    ("word", &["physio", "tablets", "daughter", "café", "stairs"]),
    ("phrase", &["\"pain and\"", "\"the group\"", "\"really tired\"", "\"bus stairs\"", "\"señora años\""]),
    (
        "boolean",
        &[
            "(sleep OR tired) AND NOT work",
            "doctor AND tablets",
            "anxious OR worry -money",
            "flare NOT plan",
            "bus OR stairs",
        ],
    ),
    ("prefix", &["walk*", "flar*", "anx*", "physi*", "tabl*"]),
    ("fuzzy", &["tablts~1", "physoi~1", "daugter~1", "anxiuos~2", "stairz~1"]),
    (
        "filtered",
        &[
            "doctor wave:3M",
            "pain speaker:interviewer",
            "physio participant:P07",
            "sleep wave:BL speaker:P10",
            "hope -wave:6M",
        ],
    ),
];

/// Builds a project of `transcripts` synthetic transcripts of `words` words each,
/// indexes it, and times queries. Returns the measurements.
pub fn measure(
    work: &Path,
    transcripts: usize,
    words: usize,
    seed: u64,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Measurement>> {
    progress(&format!("search: a project of {transcripts} transcripts"));
    let path = work.join("search.codeloom");
    let mut project = Project::create(&path)?;
    let mut rng = corpus::Rng::new(seed);
    let waves = ["BL", "3M", "6M"];
    let mut total_words = 0;
    let mut batch = Vec::new();
    for i in 0..transcripts {
        let participant = i / 3 + 1;
        let text = corpus::transcript(&mut rng, participant, words);
        total_words += text.split_whitespace().count();
        let name = format!("P{participant:02}_{}", waves[i % 3]);
        batch.push(ParsedDocument {
            source: PathBuf::from(format!("{name}.txt")),
            original_name: format!("{name}.txt"),
            format: "txt".into(),
            turns: detect_turns(&text),
            participant: Some(format!("P{participant:02}")),
            wave: Some(waves[i % 3].to_string()),
            name,
            text,
            warnings: vec![],
        });
        if batch.len() == 500 {
            project.import_documents(std::mem::take(&mut batch))?;
        }
    }
    project.import_documents(batch)?;

    progress("search: building the index");
    let t = Instant::now();
    let (index, report) = SearchIndex::open(&project, &mut |_| {})?;
    let build = t.elapsed().as_secs_f64();
    let index_bytes: u64 = std::fs::read_dir(crate::search::index_dir(&path))
        .map(|d| d.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0);
    let mut out = vec![Measurement {
        name: format!("search_index_build_{transcripts}x{words}_words"),
        what: format!("build the on-disk search index of {transcripts} transcripts of about {words} words each"),
        seconds: build,
        target_seconds: None,
        details: serde_json::json!({
            "transcripts": report.documents,
            "words": total_words,
            "words_per_second": (total_words as f64 / build).round(),
            "index_bytes": index_bytes,
        }),
    }];

    progress("search: queries");
    let options = SearchOptions { limit: Some(50), ..Default::default() };
    for (kind, queries) in QUERIES {
        let mut times = Vec::new();
        let mut hits = Vec::new();
        let mut passages = Vec::new();
        for round in 0..10 {
            for q in *queries {
                let t = Instant::now();
                let r = index.search(q, &options)?;
                times.push(t.elapsed().as_secs_f64());
                if round == 0 {
                    hits.push(r.hits.len());
                    passages.push(r.counts.passages);
                }
            }
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
        out.push(Measurement {
            name: format!("search_{kind}_{transcripts}x{words}_words"),
            what: format!(
                "{kind} queries over {transcripts} transcripts: time to the first page (50 highlighted context lines, with counts per document, participant and wave); seconds is the median"
            ),
            seconds: median,
            target_seconds: Some(0.02),
            details: serde_json::json!({
                "queries": queries,
                "runs": times.len(),
                "median_seconds": median,
                "p95_seconds": p95,
                "hits_on_first_page": hits,
                "matching_passages": passages,
            }),
        });
    }
    Ok(out)
}
