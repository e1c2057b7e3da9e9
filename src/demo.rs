//! The demo study: a synthetic longitudinal study built from `fixtures/` and
//! `codebooks/`, so a newcomer sees a real project in seconds and later features have
//! realistic data (two coders who partly disagree, starred quotes, attributes).

use crate::error::{Error, Result};
use crate::import::{self, ImportReport};
use crate::model::MemoTarget;
use crate::store::Project;
use crate::store::ops::NewCoding;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where the demo's sources live: normally `fixtures/` and `codebooks/` of the repository.
#[derive(Debug, Clone)]
pub struct DemoSources {
    /// Holds `demo/` (transcripts and `participants.csv`) and `codings.json`.
    pub fixtures: PathBuf,
    /// Holds `moving-well-together.json`.
    pub codebooks: PathBuf,
}

impl DemoSources {
    /// The sources in a checkout of the repository rooted at `root`.
    pub fn in_repository(root: &Path) -> Self {
        DemoSources { fixtures: root.join("fixtures"), codebooks: root.join("codebooks") }
    }
}

#[derive(Deserialize)]
struct CodingsFile {
    codings: Vec<DemoCoding>,
}

#[derive(Deserialize)]
struct DemoCoding {
    document: String,
    code: String,
    coder: String,
    quote: String,
    #[serde(default)]
    occurrence: Option<usize>,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    memo: Option<String>,
}

/// What building the demo did.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub path: PathBuf,
    pub import: ImportReport,
    pub codings: usize,
}

/// The setting that marks a project as the demo study.
pub const DEMO_SETTING: &str = "demo_study";

/// What [`demo_at`] found or made.
#[derive(Debug, Clone)]
pub enum DemoOutcome {
    /// The demo was built there.
    Built(DemoSummary),
    /// The demo study was already there; it is left as it is, with any work done in it.
    Existing(PathBuf),
}

/// The demo study at `path`: built when nothing is there, left as it is when the demo is
/// already there (so a researcher trying things in it keeps them), and refused when any
/// other file is there. Never removes or replaces a file.
pub fn demo_at(path: &Path, sources: &DemoSources) -> Result<DemoOutcome> {
    if std::fs::symlink_metadata(path).is_err() {
        return build_demo(path, sources).map(DemoOutcome::Built);
    }
    let existing = Project::open_read_only(path)?;
    match existing.setting(DEMO_SETTING)? {
        Some(_) => Ok(DemoOutcome::Existing(path.to_path_buf())),
        None => Err(Error::Project {
            path: path.to_path_buf(),
            message: "a project that is not the demo study is already there; choose another path for the demo".into(),
        }),
    }
}

/// Builds the demo project at `path`, where no file may be yet. It is built beside the
/// target and moved into place only when complete.
pub fn build_demo(path: &Path, sources: &DemoSources) -> Result<DemoSummary> {
    let mut summary =
        crate::output::create_new(path, &crate::output::Protect::none(), |staged| build_into(staged, sources))?;
    summary.path = path.to_path_buf();
    Ok(summary)
}

fn build_into(path: &Path, sources: &DemoSources) -> Result<DemoSummary> {
    let mut project = Project::create(path)?;
    project.set_coder("amara")?;
    let report = import::import_paths(&mut project, &[sources.fixtures.join("demo")], None, &mut |_| {})?;
    if report.failed() > 0 {
        let first = report
            .files
            .iter()
            .find_map(|f| match &f.outcome {
                import::FileOutcome::Failed { reason } => Some(format!("{}: {reason}", f.path.display())),
                _ => None,
            })
            .unwrap_or_default();
        return Err(Error::Invalid(format!("a demo transcript failed to import: {first}")));
    }
    let csv = sources.fixtures.join("demo/participants.csv");
    let bytes = std::fs::read(&csv).map_err(|e| Error::Invalid(format!("{}: {e}", csv.display())))?;
    let table = import::attributes::parse_attributes_csv(&csv, &bytes, &HashMap::new())?;
    project.import_attributes(&table)?;
    crate::codebook::import_codebook(&mut project, &sources.codebooks.join("moving-well-together.json"))?;
    project.save_codebook_version("v1 starter", "The starter codebook, before any coding.")?;

    let codings_path = sources.fixtures.join("codings.json");
    let raw = std::fs::read(&codings_path).map_err(|e| Error::Invalid(format!("{}: {e}", codings_path.display())))?;
    let file: CodingsFile =
        serde_json::from_slice(&raw).map_err(|e| Error::Invalid(format!("{}: {e}", codings_path.display())))?;
    let mut texts: HashMap<String, (String, String)> = HashMap::new();
    let mut codes: HashMap<String, String> = HashMap::new();
    let mut by_coder: Vec<(String, Vec<NewCoding>)> = Vec::new();
    for c in &file.codings {
        if !texts.contains_key(&c.document) {
            let id = project.resolve_document(&c.document)?;
            let text = project.document_text(&id)?;
            texts.insert(c.document.clone(), (id, text));
        }
        let (doc_id, text) = &texts[&c.document];
        let code_id = match codes.get(&c.code) {
            Some(id) => id.clone(),
            None => {
                let id = project.resolve_code(&c.code)?;
                codes.insert(c.code.clone(), id.clone());
                id
            }
        };
        let n = c.occurrence.unwrap_or(1).max(1);
        let Some((byte, _)) = text.match_indices(c.quote.as_str()).nth(n - 1) else {
            return Err(Error::Invalid(format!(
                "{}: the quote \"{}\" is not in {}",
                codings_path.display(),
                c.quote,
                c.document
            )));
        };
        let start = text[..byte].chars().count();
        let coding = NewCoding {
            document_id: doc_id.clone(),
            start,
            end: start + c.quote.chars().count(),
            code_id,
            coder: Some(c.coder.clone()),
            memo: c.memo.clone(),
            illustrative: c.illustrative,
        };
        match by_coder.iter_mut().find(|(k, _)| *k == c.coder) {
            Some((_, list)) => list.push(coding),
            None => by_coder.push((c.coder.clone(), vec![coding])),
        }
    }
    let mut total = 0;
    for (coder, list) in by_coder {
        project.set_coder(&coder)?;
        total += list.len();
        project.apply_codings(list, &format!("Demo codings by {coder}"))?;
    }
    project.set_coder("amara")?;
    project.set_setting(DEMO_SETTING, "moving-well-together")?;
    project.add_memo(
        MemoTarget::Project,
        None,
        "About this demo",
        "Moving Well Together is an invented study made for Codeloom's demo: six adults with chronic pain \
         interviewed before an eight-week group programme (BL), after it (3M) and three months later (6M). \
         P04 withdrew before the 6-month interview. Amara and Ben coded every transcript independently with \
         the starter codebook.",
    )?;
    Ok(DemoSummary { path: path.to_path_buf(), import: report, codings: total })
}
