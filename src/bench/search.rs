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

/// The median of some timings (0 for none).
fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(0.0)
}

/// Bytes in a folder and its subfolders.
fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(|e| e.ok())
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => folder_bytes(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// The queries of the scale scenario, by kind.
fn scale_queries(study: &super::scale::ScaleProject) -> Vec<(&'static str, String)> {
    vec![
        ("common_word", study.common_word.clone()),
        ("rare_word", study.rare_word.clone()),
        ("phrase", "\"side effects\"".into()),
        ("boolean", "(sleep OR tired) AND NOT work".into()),
        ("filtered", format!("{} wave:3M", study.common_word)),
        ("prefix", "medic*".into()),
    ]
}

/// Runs of each timed query (the machine is shared: medians are reported).
pub(crate) const RUNS: usize = 7;

/// The search figures of the scale scenario: building the index of the study, its
/// size against the text, searching it in this process, through the window's search
/// thread and as a whole `codeloom search` process (with `exe`, the `codeloom`
/// binary, beside a `grep -rwoic` of the transcripts), and updating it after one coding.
pub fn measure_at_scale(
    study: &super::scale::ScaleProject,
    exe: Option<&Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Measurement>> {
    let n = study.size.transcripts;
    let dir = crate::search::index_dir(&study.path);
    if dir.exists() {
        crate::search::folder::clear(&dir)?;
    }
    progress("scale: building the search index");
    let project = Project::open(&study.path)?;
    let t = Instant::now();
    let (index, report) = SearchIndex::open(&project, &mut |_| {})?;
    let build = t.elapsed().as_secs_f64();
    let index_bytes = folder_bytes(&dir);
    let mut out = vec![Measurement {
        name: format!("scale_search_index_build_{n}"),
        what: format!("build the search index of {n} transcripts of about 40,000 characters (1,000,000 codings)"),
        seconds: build,
        target_seconds: Some(30.0),
        details: serde_json::json!({
            "documents": report.documents,
            "index_bytes": index_bytes,
            "text_bytes": study.text_bytes,
            "index_to_text": index_bytes as f64 / study.text_bytes.max(1) as f64,
            "index_to_text_target": 0.6,
        }),
    }];
    drop(index);
    let t = Instant::now();
    let (index, _) = SearchIndex::open(&project, &mut |_| {})?;
    let reopen = t.elapsed().as_secs_f64();
    progress("scale: searching in this process");
    let options = SearchOptions { limit: Some(50), ..Default::default() };
    let mut per_query = serde_json::Map::new();
    let mut worst: f64 = 0.0;
    for (kind, q) in scale_queries(study) {
        let mut times = Vec::new();
        let mut found = (0, 0);
        for _ in 0..RUNS {
            let t = Instant::now();
            let r = index.search(&q, &options)?;
            times.push(t.elapsed().as_secs_f64());
            found = (r.hits.len(), r.counts.passages);
        }
        let m = median(times);
        worst = worst.max(m);
        per_query.insert(
            kind.into(),
            serde_json::json!({"query": q, "median_seconds": m, "hits": found.0, "matching_passages": found.1}),
        );
    }
    out.push(Measurement {
        name: format!("scale_search_in_process_{n}"),
        what: format!("open the up-to-date index, then each query's first page of 50 hits with counts over {n} transcripts (in this process); seconds is the slowest query's median"),
        seconds: worst,
        target_seconds: Some(0.02),
        details: serde_json::json!({ "open_up_to_date_seconds": reopen, "runs": RUNS, "queries": per_query }),
    });
    drop(index);
    out.push(measure_window(study, progress)?);
    if let Some(exe) = exe {
        out.push(measure_process(study, exe, progress)?);
    }
    out.push(measure_update(study, progress)?);
    Ok(out)
}

/// Query to results through the window's search thread.
fn measure_window(study: &super::scale::ScaleProject, progress: &mut dyn FnMut(&str)) -> Result<Measurement> {
    progress("scale: searching through the window's search thread");
    let mut service = crate::search::Service::start(&study.path);
    let until = Instant::now() + std::time::Duration::from_secs(600);
    loop {
        match service.status() {
            crate::search::Status::Ready { .. } => break,
            crate::search::Status::Failed(e) => {
                return Err(crate::Error::Invalid(format!("the search thread failed: {e}")));
            }
            _ if Instant::now() > until => {
                return Err(crate::Error::Invalid("the search thread never got ready".into()));
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
    let options = SearchOptions { limit: Some(50), ..Default::default() };
    let mut per_query = serde_json::Map::new();
    let mut worst: f64 = 0.0;
    for (kind, q) in scale_queries(study) {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let ticket = service.query(&q, options.clone());
            let answer = service.wait_for(ticket, std::time::Duration::from_secs(120));
            times.push(t.elapsed().as_secs_f64());
            match answer {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(crate::Error::Invalid(format!("{q}: {e}"))),
                None => return Err(crate::Error::Invalid(format!("{q}: no answer from the search thread"))),
            }
        }
        let m = median(times);
        worst = worst.max(m);
        per_query.insert(kind.into(), serde_json::json!({"query": q, "median_seconds": m}));
    }
    let n = study.size.transcripts;
    Ok(Measurement {
        name: format!("scale_search_window_{n}"),
        what: format!(
            "the window's search thread: query to the first page of 50 hits with counts over {n} transcripts; seconds is the slowest query's median"
        ),
        seconds: worst,
        target_seconds: Some(0.02),
        details: serde_json::json!({ "runs": RUNS, "queries": per_query }),
    })
}

/// Whole `codeloom search` processes beside `grep -rwoic` over the same transcripts.
fn measure_process(
    study: &super::scale::ScaleProject,
    exe: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Measurement> {
    use std::process::{Command, Stdio};
    progress("scale: whole `codeloom search` processes and grep");
    let run = |cmd: &mut Command| -> Result<f64> {
        let t = Instant::now();
        let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status();
        let seconds = t.elapsed().as_secs_f64();
        match status {
            Ok(s) if s.success() || s.code() == Some(1) => Ok(seconds),
            Ok(s) => Err(crate::Error::Invalid(format!("{cmd:?} failed ({s})"))),
            Err(e) => Err(crate::Error::Invalid(format!("{cmd:?}: {e}"))),
        }
    };
    let mut per_query = serde_json::Map::new();
    let mut worst: f64 = 0.0;
    let mut common = 0.0;
    for (kind, q) in scale_queries(study) {
        let times = (0..RUNS)
            .map(|_| run(Command::new(exe).arg("search").arg(&study.path).arg(&q).args(["--limit", "50"])))
            .collect::<Result<Vec<f64>>>()?;
        let m = median(times);
        worst = worst.max(m);
        if kind == "common_word" {
            common = m;
        }
        per_query.insert(kind.into(), serde_json::json!({"query": q, "median_seconds": m}));
    }
    let grep = (0..3)
        .map(|_| run(Command::new("grep").arg("-rwoic").arg(&study.common_word).arg(&study.corpus)))
        .collect::<Result<Vec<f64>>>();
    let (grep_seconds, note) = match grep {
        Ok(times) => (Some(median(times)), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let n = study.size.transcripts;
    Ok(Measurement {
        name: format!("scale_search_cli_{n}"),
        what: format!(
            "a whole `codeloom search STUDY QUERY --limit 50` process (open, read the stamp and the log position, search, print 50 hits and the counts) over {n} transcripts; seconds is the slowest query's median"
        ),
        seconds: worst,
        target_seconds: Some(0.1),
        details: serde_json::json!({
            "runs": RUNS,
            "queries": per_query,
            "grep_rwoic_common_word_seconds": grep_seconds,
            "grep_note": note,
            "grep_over_search_common_word": grep_seconds.map(|g| g / common.max(1e-9)),
            "grep_over_search_target": 40.0,
        }),
    })
}

/// Updating the index after one coding (and after undoing it).
fn measure_update(study: &super::scale::ScaleProject, progress: &mut dyn FnMut(&str)) -> Result<Measurement> {
    progress("scale: updating the index after one coding");
    let mut project = Project::open(&study.path)?;
    project.set_coder("bench")?;
    let (mut index, _) = SearchIndex::open(&project, &mut |_| {})?;
    let docs: Vec<(String, usize)> = project
        .document_places()?
        .into_iter()
        .map(|p| p.id)
        .take(200)
        .map(|id| project.document(&id).map(|d| (d.id, d.char_count)))
        .collect::<Result<_>>()?;
    let code = project.codes()?.first().map(|c| c.id.clone()).unwrap_or_default();
    let mut rng = corpus::Rng::new(17);
    let (mut applied, mut undone, mut indexed) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (id, chars) = &docs[rng.below(docs.len())];
        let start = rng.below(chars.saturating_sub(50).max(1));
        project.apply_coding(crate::store::ops::NewCoding {
            document_id: id.clone(),
            start,
            end: (start + 40).min(*chars).max(start + 1),
            code_id: code.clone(),
            coder: None,
            memo: None,
            illustrative: false,
        })?;
        let t = Instant::now();
        let report = index.update(&project, &mut |_| {})?;
        applied.push(t.elapsed().as_secs_f64());
        indexed.push(report.indexed);
        project.undo()?;
        let t = Instant::now();
        index.update(&project, &mut |_| {})?;
        undone.push(t.elapsed().as_secs_f64());
    }
    let n = study.size.transcripts;
    Ok(Measurement {
        name: format!("scale_search_update_one_coding_{n}"),
        what: format!("bring the search index of {n} transcripts up to date after one coding; seconds is the median"),
        seconds: median(applied),
        target_seconds: Some(0.05),
        details: serde_json::json!({ "runs": RUNS, "documents_indexed": indexed, "after_undo_median_seconds": median(undone) }),
    })
}
