//! Reconciling a codebook that was built separately (another project file, no shared
//! code IDs) with the project's: suggested matches by name similarity and by overlap of
//! the text the two codes were applied to (documents matched by content), which the
//! user accepts, changes or rejects; then one operation that adds the unmatched codes
//! and brings the other file's codings in, recoded to the matched codes.

use crate::error::{Error, Result};
use crate::model::{Code, Coding};
use crate::store::Project;
use crate::store::changes::Writer;
use crate::store::log::Logged;
use crate::store::merge_ops::{
    add_code, add_coding, code_exists, coding_by_coder_name, coding_exists, ensure_coder, free_code_name,
};
use crate::store::ops::CodingRow;
use crate::store::queries::CodingFilter;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// A suggested match for one code of the other codebook.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub other_code_id: String,
    pub other_path: String,
    /// The project's code suggested as the same code, if any is close enough.
    pub code_id: Option<String>,
    pub path: Option<String>,
    /// 0..1: how alike the names are.
    pub name_similarity: f64,
    /// 0..1: shared coded characters over all characters either code covers.
    pub text_overlap: f64,
    pub score: f64,
}

/// What to do with one code of the other codebook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "code_id")]
pub enum Decision {
    /// It is the same as this project code: its codings are recoded to it.
    Match(String),
    /// Add it to the project as a new code, with its codings.
    Add,
    /// Leave it and its codings out.
    Skip,
}

/// What reconciling did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReconcileReport {
    pub codes_matched: usize,
    pub codes_added: Vec<String>,
    pub codes_skipped: Vec<String>,
    pub codings_added: usize,
    /// Already coded the same way by the same coder.
    pub codings_duplicate: usize,
    /// Codings not brought in, each with the reason.
    pub codings_not_merged: Vec<String>,
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn normal(s: &str) -> String {
    s.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect()
}

/// How alike two code names are, 0..1: the better of edit-distance similarity and
/// shared words.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (normal(a), normal(b));
    let (ca, cb): (Vec<char>, Vec<char>) = (
        a.split_whitespace().collect::<Vec<_>>().join(" ").chars().collect(),
        b.split_whitespace().collect::<Vec<_>>().join(" ").chars().collect(),
    );
    let longest = ca.len().max(cb.len());
    if longest == 0 {
        return 0.0;
    }
    let edit = 1.0 - levenshtein(&ca, &cb) as f64 / longest as f64;
    let wa: HashSet<&str> = a.split_whitespace().collect();
    let wb: HashSet<&str> = b.split_whitespace().collect();
    let words = if wa.is_empty() || wb.is_empty() {
        0.0
    } else {
        wa.intersection(&wb).count() as f64 / wa.union(&wb).count() as f64
    };
    edit.max(words)
}

/// Merged, sorted intervals per document content hash.
type Coverage = HashMap<String, Vec<(usize, usize)>>;

fn coverage(codings: &[Coding], hash_of: &HashMap<String, String>) -> HashMap<String, Coverage> {
    let mut out: HashMap<String, Coverage> = HashMap::new();
    for c in codings {
        let Some(h) = hash_of.get(&c.document_id) else { continue };
        out.entry(c.code_id.clone()).or_default().entry(h.clone()).or_default().push((c.start, c.end));
    }
    for cov in out.values_mut() {
        for list in cov.values_mut() {
            list.sort();
            let mut merged: Vec<(usize, usize)> = vec![];
            for &(s, e) in list.iter() {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            *list = merged;
        }
    }
    out
}

fn total(c: &Coverage) -> usize {
    c.values().flatten().map(|(s, e)| e - s).sum()
}

fn overlap(a: &Coverage, b: &Coverage) -> f64 {
    let mut inter = 0;
    for (doc, la) in a {
        let Some(lb) = b.get(doc) else { continue };
        let (mut i, mut j) = (0, 0);
        while i < la.len() && j < lb.len() {
            let (s, e) = (la[i].0.max(lb[j].0), la[i].1.min(lb[j].1));
            if s < e {
                inter += e - s;
            }
            if la[i].1 < lb[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    let union = total(a) + total(b) - inter;
    if union == 0 { 0.0 } else { inter as f64 / union as f64 }
}

/// The score below which no match is suggested.
pub const SUGGESTION_THRESHOLD: f64 = 0.45;

/// One suggestion per code of `other`, best matches first assigned one to one.
pub fn suggest_matches(project: &Project, other: &Project) -> Result<Vec<Suggestion>> {
    let ours = project.codes()?;
    let theirs = other.codes()?;
    let (our_paths, their_paths) = (super::diff::paths(&ours), super::diff::paths(&theirs));
    let hashes = |p: &Project| -> Result<HashMap<String, String>> {
        Ok(p.documents()?.into_iter().map(|d| (d.document.id, d.document.content_hash)).collect())
    };
    // Coded text is compared only on the documents both files hold.
    let (mut our_hashes, mut their_hashes) = (hashes(project)?, hashes(other)?);
    let shared: HashSet<String> =
        our_hashes.values().filter(|h| their_hashes.values().any(|x| x == *h)).cloned().collect();
    our_hashes.retain(|_, h| shared.contains(h));
    their_hashes.retain(|_, h| shared.contains(h));
    let our_cov = coverage(&project.codings(&CodingFilter::default())?, &our_hashes);
    let their_cov = coverage(&other.codings(&CodingFilter::default())?, &their_hashes);
    let empty = Coverage::new();
    let mut pairs: Vec<(f64, f64, f64, usize, usize)> = vec![];
    for (ti, t) in theirs.iter().enumerate() {
        for (oi, o) in ours.iter().enumerate() {
            let name = name_similarity(&t.name, &o.name);
            let text = overlap(their_cov.get(&t.id).unwrap_or(&empty), our_cov.get(&o.id).unwrap_or(&empty));
            let score = 0.7 * name.max(text) + 0.3 * name.min(text);
            if score >= SUGGESTION_THRESHOLD {
                pairs.push((score, name, text, ti, oi));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.3.cmp(&b.3)).then(a.4.cmp(&b.4)));
    let mut best: HashMap<usize, (f64, f64, f64, usize)> = HashMap::new();
    let mut taken = HashSet::new();
    for (score, name, text, ti, oi) in pairs {
        if best.contains_key(&ti) || taken.contains(&oi) {
            continue;
        }
        best.insert(ti, (score, name, text, oi));
        taken.insert(oi);
    }
    Ok(theirs
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let m = best.get(&ti);
            Suggestion {
                other_code_id: t.id.clone(),
                other_path: their_paths[&t.id].clone(),
                code_id: m.map(|m| ours[m.3].id.clone()),
                path: m.map(|m| our_paths[&ours[m.3].id].clone()),
                name_similarity: m.map_or(0.0, |m| m.1),
                text_overlap: m.map_or(0.0, |m| m.2),
                score: m.map_or(0.0, |m| m.0),
            }
        })
        .collect())
}

/// Decisions that accept every suggestion and add the codes without one.
pub fn accept_suggestions(suggestions: &[Suggestion]) -> HashMap<String, Decision> {
    suggestions
        .iter()
        .map(|s| {
            (
                s.other_code_id.clone(),
                match &s.code_id {
                    Some(c) => Decision::Match(c.clone()),
                    None => Decision::Add,
                },
            )
        })
        .collect()
}

/// Adds the other codebook's codes as `decisions` say (parents first, keeping their IDs
/// unless taken, under a free name); returns the other file's code IDs to the project's.
fn reconcile_codes(
    w: &mut Writer,
    theirs: &[Code],
    decisions: &HashMap<String, Decision>,
    report: &mut ReconcileReport,
) -> Result<HashMap<String, String>> {
    let mut map: HashMap<String, String> = HashMap::new();
    for t in theirs {
        match decisions.get(&t.id).cloned().unwrap_or(Decision::Add) {
            Decision::Match(c) => {
                map.insert(t.id.clone(), c);
                report.codes_matched += 1;
            }
            Decision::Skip => report.codes_skipped.push(t.name.clone()),
            Decision::Add => {
                let keep_id = (!code_exists(w, &t.id)?).then_some(t.id.as_str());
                let parent = t.parent_id.as_ref().and_then(|p| map.get(p)).cloned();
                let name = free_code_name(w, &t.name, parent.as_deref(), None, |i| format!("{} ({i})", t.name))?;
                let id = add_code(w, keep_id, t, &name, parent.as_deref(), "reconcile")?;
                map.insert(t.id.clone(), id);
                report.codes_added.push(name);
            }
        }
    }
    Ok(map)
}

impl Project {
    /// Brings another, separately built codebook and its codings into this project in
    /// one operation, as `decisions` (by the other file's code ID) say; codes without a
    /// decision are added.
    pub fn reconcile_codebook(
        &mut self,
        other: &Project,
        decisions: &HashMap<String, Decision>,
    ) -> Result<ReconcileReport> {
        let theirs: Vec<Code> = other.codes()?;
        let their_codings = other.codings(&CodingFilter::default())?;
        let their_docs: HashMap<String, (String, String)> = other
            .documents()?
            .into_iter()
            .map(|d| (d.document.id, (d.document.content_hash, d.document.name)))
            .collect();
        let our_docs: HashMap<String, String> =
            self.documents()?.into_iter().map(|d| (d.document.content_hash, d.document.id)).collect();
        for (id, d) in decisions {
            if let Decision::Match(c) = d {
                self.code(c)
                    .map_err(|_| Error::Invalid(format!("the match for {id} names no code of this project: {c}")))?;
            }
        }
        let source = other.path().display().to_string();
        self.execute("reconcile_codebook", |w, _| {
            let mut report = ReconcileReport::default();
            let map = reconcile_codes(w, &theirs, decisions, &mut report)?;
            for c in &their_codings {
                let (hash, doc_name) = their_docs.get(&c.document_id).cloned().unwrap_or_default();
                let label = format!("{doc_name} [{}, {}) by {}", c.start, c.end, c.coder);
                let Some(doc) = our_docs.get(&hash) else {
                    report.codings_not_merged.push(format!("{label}: its document is not in the project"));
                    continue;
                };
                let Some(code) = map.get(&c.code_id) else {
                    report.codings_not_merged.push(format!("{label}: its code was skipped"));
                    continue;
                };
                if coding_by_coder_name(w, doc, c.start, c.end, code, &c.coder)?.is_some() {
                    report.codings_duplicate += 1;
                    continue;
                }
                let coder_id = ensure_coder(w, &c.coder)?;
                let keep_id = (!coding_exists(w, &c.id)?).then_some(c.id.as_str());
                add_coding(
                    w,
                    &CodingRow {
                        id: keep_id,
                        document_id: doc,
                        start: c.start,
                        end: c.end,
                        code_id: code,
                        coder_id: &coder_id,
                        codebook_version_id: None,
                        memo: c.memo.as_deref(),
                        illustrative: c.illustrative,
                        created_at_ms: c.created_at_ms,
                    },
                )?;
                report.codings_added += 1;
            }
            Ok(Logged {
                summary: format!(
                    "Reconcile the codebook of {source}: {} matched, {} added, {} skipped, {} codings added",
                    report.codes_matched,
                    report.codes_added.len(),
                    report.codes_skipped.len(),
                    report.codings_added
                ),
                payload: json!({"source": source, "matches": map, "report": report}),
                value: report,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_overlap() {
        assert!((name_similarity("Pacing", "pacing") - 1.0).abs() < 1e-12);
        assert!(name_similarity("Fear of falling", "Falling, fear of") > 0.99);
        assert!(name_similarity("Pacing", "Sleep") < 0.3);
        assert_eq!(name_similarity("", "x"), 0.0);
        let a: Coverage = HashMap::from([("d".to_string(), vec![(0, 10)])]);
        let b: Coverage = HashMap::from([("d".to_string(), vec![(5, 15)])]);
        assert!((overlap(&a, &b) - 5.0 / 15.0).abs() < 1e-12);
        assert_eq!(overlap(&a, &Coverage::new()), 0.0);
    }
}
