//! Reliability data from a project, and the agreement report computed from it.
//!
//! This module owns the step from coded transcripts to the shapes of AGREEMENT.md §0: which
//! coders, documents and codes are compared ([`Selection`]), the unit of analysis ([`UnitKind`]:
//! characters, speaker turns (paragraphs in documents without speakers), sentences within turns,
//! or code presence per document), and assignments as missing data: a coder who was not assigned a
//! document gives no value for it, which is different from not applying a code. A coder with no
//! assignments at all is taken to have been assigned every document.
//!
//! [`ReliabilityInput::load`] is the only function here that reads the project; everything else is
//! pure computation on [`ReliabilityInput`], so benches and tests can build the input directly.
//! The statistics themselves come from [`super::stats`], [`super::spans`] and
//! [`super::bootstrap`]. Pooled figures sum counts (pattern tables, coincidences, unitizing
//! tallies) over documents and codes; they are never averages of per-document values.
//!
//! Documents are always taken in the order of their IDs, so the order in which they were chosen
//! changes nothing, including the bootstrap resamples (clusters are documents).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

use super::bands::Band;
use super::bootstrap::{BootstrapConfig, multiplicities, summarise};
use super::report::{AgreementReport, ReportSettings, ResultRow, Scope, StatKind, Statistic, UnitizingSummary};
use super::spans::{LayeredDocument, SpanData, UnitizingTally, Variable};
use super::stats;
pub use super::unit::{GroupBy, UnitKind};
use super::units::ReliabilityData;
use super::{AgreementError, Estimate, SplitMix64, Undefined};
use crate::error::{Error, Result};
use crate::store::Project;

/// The most coders one analysis may compare (value patterns are counted in a table of 3^m cells).
pub const MAX_CODERS: usize = 8;

/// Which documents to compare. Every filter that is given must hold; the sample is drawn last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    /// Only documents of these waves (by name).
    pub waves: Vec<String>,
    /// Only documents of these participants (by label).
    pub participants: Vec<String>,
    /// Only these documents (by ID).
    pub documents: Vec<String>,
    /// A seeded random sample of this many of the documents left: `(size, seed)`.
    pub sample: Option<(usize, u64)>,
}

impl DocumentFilter {
    /// The filter in words, for the report's settings.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.waves.is_empty() {
            parts.push(format!("waves {}", self.waves.join(", ")));
        }
        if !self.participants.is_empty() {
            parts.push(format!("participants {}", self.participants.join(", ")));
        }
        if !self.documents.is_empty() {
            parts.push(format!("{} listed documents", self.documents.len()));
        }
        if let Some((n, seed)) = self.sample {
            parts.push(format!("a random sample of {n} (seed {seed})"));
        }
        if parts.is_empty() { "all documents".to_string() } else { parts.join("; ") }
    }

    /// Applies the filter to documents given as `(id, participant, wave)`; returns the chosen IDs
    /// in ID order.
    pub fn apply<'a>(
        &self,
        documents: impl IntoIterator<Item = (&'a str, Option<&'a str>, Option<&'a str>)>,
    ) -> Vec<String> {
        let mut ids: Vec<String> = documents
            .into_iter()
            .filter(|(_, _, w)| self.waves.is_empty() || w.is_some_and(|w| self.waves.iter().any(|x| x == w)))
            .filter(|(_, p, _)| {
                self.participants.is_empty() || p.is_some_and(|p| self.participants.iter().any(|x| x == p))
            })
            .filter(|(id, _, _)| self.documents.is_empty() || self.documents.iter().any(|x| x == id))
            .map(|(id, _, _)| id.to_string())
            .collect();
        ids.sort();
        if let Some((n, seed)) = self.sample
            && n < ids.len()
        {
            // A partial Fisher–Yates shuffle with the module's seeded generator.
            let mut rng = SplitMix64::new(seed);
            for i in 0..n {
                let j = i + rng.below((ids.len() - i) as u64) as usize;
                ids.swap(i, j);
            }
            ids.truncate(n);
            ids.sort();
        }
        ids
    }
}

/// What to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The coders (names), at least two.
    pub coders: Vec<String>,
    /// Which documents.
    pub documents: DocumentFilter,
    /// Which codes (IDs); `None` for every code.
    pub codes: Option<Vec<String>>,
    /// The unit of analysis.
    pub unit: UnitKind,
}

/// A code taking part in an analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeRef {
    /// The code's UUID.
    pub id: String,
    /// Its path in the code tree, such as `Managing pain / Pacing`.
    pub name: String,
}

/// One document of the reliability input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInput {
    /// The document's ID.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its participant, when known.
    pub participant: Option<String>,
    /// Its wave, when known.
    pub wave: Option<String>,
    /// Its length in characters.
    pub length: u64,
    /// The segments (turns or sentences) for the segment units; empty for the others.
    pub segments: Vec<(u64, u64)>,
    /// For each coder: whether the coder was assigned this document.
    pub assigned: Vec<bool>,
    /// `spans[code][coder]`: that coder's codings of the code, merged and sorted.
    pub spans: Vec<Vec<Vec<(u64, u64)>>>,
}

/// Everything an agreement analysis needs, read from a project once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReliabilityInput {
    /// The coders, in column order.
    pub coders: Vec<String>,
    /// The codes compared.
    pub codes: Vec<CodeRef>,
    /// The unit of analysis.
    pub unit: UnitKind,
    /// The documents, in ID order.
    pub documents: Vec<DocumentInput>,
    /// The document filter in words.
    pub selection_note: String,
    /// Warnings raised while reading (merged spans, codings outside segments).
    pub warnings: Vec<String>,
    /// Lines the report's settings add, `(name, value)`: how a coder added with
    /// [`ReliabilityInput::add_coder`] coded, say.
    pub notes: Vec<(String, String)>,
}

/// Sorts and merges overlapping or touching intervals; returns whether anything merged.
pub fn merge_spans(spans: &mut Vec<(u64, u64)>) -> bool {
    spans.retain(|(s, e)| e > s);
    spans.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    let mut merged = false;
    for &(s, e) in spans.iter() {
        match out.last_mut() {
            Some(last) if s <= last.1 => {
                last.1 = last.1.max(e);
                merged = true;
            }
            _ => out.push((s, e)),
        }
    }
    *spans = out;
    merged
}

/// The sentences of `text[turn]` as char ranges, whitespace at their ends left out.
fn sentences(text: &str, chars: &crate::model::offsets::CharIndex, turn: (u64, u64)) -> Vec<(u64, u64)> {
    let (Some(bs), Some(be)) = (chars.char_to_byte(turn.0 as usize), chars.char_to_byte(turn.1 as usize)) else {
        return vec![turn];
    };
    let Some(body) = text.get(bs..be) else { return vec![turn] };
    let mut out = Vec::new();
    for (offset, sentence) in body.split_sentence_bound_indices() {
        let trimmed = sentence.trim_end();
        let lead = trimmed.len() - trimmed.trim_start().len();
        if trimmed.trim().is_empty() {
            continue;
        }
        let start = chars.byte_to_char(bs + offset + lead);
        let end = chars.byte_to_char(bs + offset + trimmed.len());
        if let (Some(s), Some(e)) = (start, end)
            && e > s
        {
            out.push((s as u64, e as u64));
        }
    }
    out
}

impl ReliabilityInput {
    /// Reads the reliability input for `selection` from a project.
    pub fn load(project: &Project, selection: &Selection) -> Result<ReliabilityInput> {
        Self::load_leaving_room(project, selection, 0)
    }

    /// Reads the reliability input for `selection`, leaving room for `more` coders that the
    /// caller adds with [`ReliabilityInput::add_coder`]: one coder of the project and one
    /// added make the two an analysis needs.
    pub fn load_leaving_room(project: &Project, selection: &Selection, more: usize) -> Result<ReliabilityInput> {
        let coders = selection.coders.clone();
        if coders.len() + more < 2 {
            return Err(Error::Invalid("agreement needs at least two coders".into()));
        }
        if coders.len() + more > MAX_CODERS {
            return Err(Error::Invalid(format!("agreement compares at most {MAX_CODERS} coders at once")));
        }
        for (i, c) in coders.iter().enumerate() {
            if coders[..i].contains(c) {
                return Err(Error::Invalid(format!("coder {c} is listed twice")));
            }
        }
        let known = project.coders()?;
        for c in &coders {
            if !known.iter().any(|k| &k.name == c) {
                return Err(Error::NotFound { kind: "coder", query: c.clone() });
            }
        }
        let all_codes = project.codes()?;
        let code_ids: Vec<String> = match &selection.codes {
            Some(ids) => {
                for id in ids {
                    if !all_codes.iter().any(|c| &c.id == id) {
                        return Err(Error::NotFound { kind: "code", query: id.clone() });
                    }
                }
                all_codes.iter().filter(|c| ids.contains(&c.id)).map(|c| c.id.clone()).collect()
            }
            None => all_codes.iter().map(|c| c.id.clone()).collect(),
        };
        let codes = code_ids
            .iter()
            .map(|id| Ok(CodeRef { id: id.clone(), name: project.code_path(id)? }))
            .collect::<Result<Vec<_>>>()?;
        let code_index: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();

        let summaries = project.documents()?;
        let chosen = selection.documents.apply(
            summaries
                .iter()
                .map(|d| (d.document.id.as_str(), d.document.participant.as_deref(), d.document.wave.as_deref())),
        );
        let assignments: Vec<Option<HashSet<String>>> =
            coders.iter().map(|c| project.assigned_documents(c)).collect::<Result<_>>()?;

        let mut by_id: HashMap<&str, &crate::store::queries::DocumentSummary> =
            summaries.iter().map(|d| (d.document.id.as_str(), d)).collect();
        let mut documents = Vec::with_capacity(chosen.len());
        let mut position: HashMap<String, usize> = HashMap::new();
        for id in &chosen {
            let Some(summary) = by_id.remove(id.as_str()) else { continue };
            let d = &summary.document;
            let segments = match selection.unit {
                UnitKind::Char | UnitKind::Document => Vec::new(),
                UnitKind::Turn | UnitKind::Sentence => {
                    let turns: Vec<(u64, u64)> = project
                        .turns(&d.id)?
                        .into_iter()
                        .filter(|t| t.end > t.start)
                        .map(|t| (t.start as u64, t.end as u64))
                        .collect();
                    let turns = if turns.is_empty() { vec![(0, d.char_count as u64)] } else { turns };
                    if selection.unit == UnitKind::Turn {
                        turns
                    } else {
                        let text = project.document_text(&d.id)?;
                        let index = crate::model::offsets::CharIndex::new(&text);
                        turns.into_iter().flat_map(|t| sentences(&text, &index, t)).collect()
                    }
                }
            };
            position.insert(d.id.clone(), documents.len());
            documents.push(DocumentInput {
                id: d.id.clone(),
                name: d.name.clone(),
                participant: d.participant.clone(),
                wave: d.wave.clone(),
                length: d.char_count as u64,
                segments,
                assigned: assignments.iter().map(|a| a.as_ref().is_none_or(|set| set.contains(&d.id))).collect(),
                spans: vec![vec![Vec::new(); coders.len()]; codes.len()],
            });
        }
        let coder_index: HashMap<&str, usize> = coders.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        project.each_coding_span(|document, code, coder, start, end| {
            if let (Some(&di), Some(&k), Some(&ci)) =
                (position.get(document), code_index.get(code), coder_index.get(coder))
            {
                documents[di].spans[k][ci].push((start, end));
            }
        })?;
        let mut warnings = Vec::new();
        for d in &mut documents {
            for (k, per_coder) in d.spans.iter_mut().enumerate() {
                for (ci, spans) in per_coder.iter_mut().enumerate() {
                    if merge_spans(spans) {
                        warnings.push(format!(
                            "{}: {}'s overlapping codings of {} were merged (union)",
                            d.name, coders[ci], codes[k].name
                        ));
                    }
                }
            }
        }
        Ok(ReliabilityInput {
            coders,
            codes,
            unit: selection.unit,
            documents,
            selection_note: selection.documents.describe(),
            warnings,
            notes: Vec::new(),
        })
    }

    /// Adds a coder who is not in the project (a model, say), assigned every document, with
    /// `layers[document][code]` its spans (documents and codes in the input's order; clipped
    /// to each document and merged).
    pub fn add_coder(
        &mut self,
        name: &str,
        layers: Vec<Vec<Vec<(u64, u64)>>>,
    ) -> std::result::Result<(), AgreementError> {
        if self.coders.iter().any(|c| c == name) {
            return Err(AgreementError::DuplicateCoder(name.to_string()));
        }
        if self.coders.len() >= MAX_CODERS {
            return Err(AgreementError::InvalidCase(format!("at most {MAX_CODERS} coders can be compared at once")));
        }
        if layers.len() != self.documents.len() || layers.iter().any(|l| l.len() != self.codes.len()) {
            return Err(AgreementError::InvalidCase(format!(
                "coder {name} needs one layer per document and code ({} documents, {} codes)",
                self.documents.len(),
                self.codes.len()
            )));
        }
        self.coders.push(name.to_string());
        for (doc, by_code) in self.documents.iter_mut().zip(layers) {
            doc.assigned.push(true);
            for (per_coder, mut spans) in doc.spans.iter_mut().zip(by_code) {
                spans.iter_mut().for_each(|s| *s = (s.0.min(doc.length), s.1.min(doc.length)));
                merge_spans(&mut spans);
                per_coder.push(spans);
            }
        }
        Ok(())
    }

    /// The input of the coders `keep` only (indices into [`ReliabilityInput::coders`], in
    /// that order), without the warnings read for all of them.
    pub fn coders_only(&self, keep: &[usize]) -> ReliabilityInput {
        let documents = self
            .documents
            .iter()
            .map(|d| DocumentInput {
                id: d.id.clone(),
                name: d.name.clone(),
                participant: d.participant.clone(),
                wave: d.wave.clone(),
                length: d.length,
                segments: d.segments.clone(),
                assigned: keep.iter().filter_map(|&i| d.assigned.get(i).copied()).collect(),
                spans: d.spans.iter().map(|per| keep.iter().filter_map(|&i| per.get(i).cloned()).collect()).collect(),
            })
            .collect();
        ReliabilityInput {
            coders: keep.iter().filter_map(|&i| self.coders.get(i).cloned()).collect(),
            codes: self.codes.clone(),
            unit: self.unit,
            documents,
            selection_note: self.selection_note.clone(),
            warnings: Vec::new(),
            notes: self.notes.clone(),
        }
    }

    /// The input with the documents in ID order (what every computation here assumes).
    fn canonical(&self) -> std::borrow::Cow<'_, ReliabilityInput> {
        if self.documents.windows(2).all(|w| w[0].id <= w[1].id) {
            std::borrow::Cow::Borrowed(self)
        } else {
            let mut copy = self.clone();
            copy.documents.sort_by(|a, b| a.id.cmp(&b.id));
            std::borrow::Cow::Owned(copy)
        }
    }
}

/// Counts of value patterns over units: one cell per combination of the coders' values
/// (missing, absent, present), so every D1/D2 statistic can be computed from at most 3^m rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternCounts {
    m: usize,
    counts: Vec<u64>,
}

/// A coder's value on a unit in a [`PatternCounts`] pattern.
const MISSING: usize = 0;
const ABSENT: usize = 1;
const PRESENT: usize = 2;

impl PatternCounts {
    /// An empty table for `m` coders.
    pub fn new(m: usize) -> Self {
        PatternCounts { m, counts: vec![0; 3usize.pow(m as u32)] }
    }

    /// Adds `weight` units with the given per-coder values (0 missing, 1 absent, 2 present).
    fn add_pattern(&mut self, values: &[usize], weight: u64) {
        let index = values.iter().rev().fold(0usize, |acc, v| acc * 3 + v);
        self.counts[index] += weight;
    }

    /// Adds another table `times` times.
    pub fn add(&mut self, other: &PatternCounts, times: u64) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b * times;
        }
    }

    /// The values of pattern `index`, one per coder.
    fn decode(&self, mut index: usize) -> Vec<usize> {
        (0..self.m)
            .map(|_| {
                let v = index % 3;
                index /= 3;
                v
            })
            .collect()
    }

    /// Form A reliability data with categories `0` (absent) and `1` (present) declared, one
    /// weighted row per pattern that occurs.
    pub fn reliability_data(&self, coders: &[String]) -> std::result::Result<ReliabilityData, AgreementError> {
        let mut rows = Vec::new();
        let mut weights = Vec::new();
        for (index, &w) in self.counts.iter().enumerate() {
            if w == 0 {
                continue;
            }
            rows.push(
                self.decode(index)
                    .into_iter()
                    .map(|v| match v {
                        MISSING => None,
                        ABSENT => Some(0),
                        _ => Some(1),
                    })
                    .collect(),
            );
            weights.push(w);
        }
        let categories = vec!["0".to_string(), "1".to_string()];
        ReliabilityData::from_indices(coders.to_vec(), categories, true, rows)?
            .with_weights(weights)
            .ok_or_else(|| AgreementError::InvalidCase("one weight per pattern".into()))
    }

    /// The total number of units counted (missing values included).
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The pattern table of one (document, code).
fn document_code_patterns(input: &ReliabilityInput, doc: &DocumentInput, code: usize) -> PatternCounts {
    let m = input.coders.len();
    let mut table = PatternCounts::new(m);
    if doc.length == 0 {
        return table;
    }
    let spans = &doc.spans[code];
    let mut values = vec![MISSING; m];
    match input.unit {
        UnitKind::Document => {
            for (i, v) in values.iter_mut().enumerate() {
                *v = if !doc.assigned[i] {
                    MISSING
                } else if spans[i].is_empty() {
                    ABSENT
                } else {
                    PRESENT
                };
            }
            table.add_pattern(&values, 1);
        }
        UnitKind::Turn | UnitKind::Sentence => {
            for &(s, e) in &doc.segments {
                for (i, v) in values.iter_mut().enumerate() {
                    *v = if !doc.assigned[i] {
                        MISSING
                    } else {
                        let list = &spans[i];
                        let first = list.partition_point(|x| x.1 <= s);
                        if list.get(first).is_some_and(|x| x.0 < e) { PRESENT } else { ABSENT }
                    };
                }
                table.add_pattern(&values, 1);
            }
        }
        UnitKind::Char => {
            let mut bounds: Vec<u64> = vec![0, doc.length];
            for list in spans {
                for &(s, e) in list {
                    bounds.push(s.min(doc.length));
                    bounds.push(e.min(doc.length));
                }
            }
            bounds.sort_unstable();
            bounds.dedup();
            let mut cursor = vec![0usize; m];
            for w in bounds.windows(2) {
                let (lo, hi) = (w[0], w[1]);
                if hi <= lo {
                    continue;
                }
                for i in 0..m {
                    values[i] = if !doc.assigned[i] {
                        MISSING
                    } else {
                        let list = &spans[i];
                        while cursor[i] < list.len() && list[cursor[i]].1 <= lo {
                            cursor[i] += 1;
                        }
                        if list.get(cursor[i]).is_some_and(|x| x.0 <= lo) { PRESENT } else { ABSENT }
                    };
                }
                table.add_pattern(&values, hi - lo);
            }
        }
    }
    table
}

/// Options of an agreement analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalysisOptions {
    /// The bootstrap (clusters are documents); `None` for point estimates only.
    pub bootstrap: Option<BootstrapConfig>,
    /// Also report rows per document or per wave, pooled over codes.
    pub group_by: Option<GroupBy>,
}

/// The point estimates of one row, from its pooled pattern table.
struct PointStats {
    units: u64,
    prevalence: Option<f64>,
    minority: u64,
    values: Vec<(StatKind, Estimate)>,
}

fn point_stats(table: &PatternCounts, coders: &[String]) -> PointStats {
    let data = match table.reliability_data(coders) {
        Ok(data) => data,
        Err(_) => {
            let why = Estimate::Undefined(Undefined::NoPairableUnits);
            let kappa = if coders.len() == 2 { StatKind::CohenKappa } else { StatKind::FleissKappa };
            return PointStats {
                units: 0,
                prevalence: None,
                minority: 0,
                values: [
                    StatKind::PercentAgreement,
                    kappa,
                    StatKind::KrippendorffAlpha,
                    StatKind::GwetAc1,
                    StatKind::BrennanPrediger,
                ]
                .into_iter()
                .map(|k| (k, why))
                .collect(),
            };
        }
    };
    let pa = stats::percent_agreement(&data);
    let alpha = stats::krippendorff_alpha_nominal(&data);
    let margins = alpha.coincidences.margins();
    let n = alpha.coincidences.total();
    let prevalence = (n > 0.0).then(|| margins.get(1).copied().unwrap_or(0.0) / n);
    let minority = margins.iter().copied().fold(f64::INFINITY, f64::min);
    let kappa = if coders.len() == 2 {
        (StatKind::CohenKappa, stats::cohen_kappa(&data, 0, 1).value)
    } else {
        (StatKind::FleissKappa, stats::fleiss_kappa_generalized(&data).value)
    };
    PointStats {
        units: pa.n_pairable_units as u64,
        prevalence,
        minority: if minority.is_finite() { minority.round() as u64 } else { 0 },
        values: vec![
            (StatKind::PercentAgreement, pa.pairwise_mean),
            kappa,
            (StatKind::KrippendorffAlpha, alpha.value()),
            (StatKind::GwetAc1, stats::gwet_ac1(&data).value),
            (StatKind::BrennanPrediger, stats::brennan_prediger(&data).value),
        ],
    }
}

/// Builds a report row from per-document pattern tables (the bootstrap clusters).
fn row_from_clusters(
    scope: Scope,
    id: Option<String>,
    label: String,
    clusters: &[PatternCounts],
    coders: &[String],
    draws: Option<&[Vec<u32>]>,
) -> ResultRow {
    let m = coders.len();
    let mut pooled = PatternCounts::new(m);
    for c in clusters {
        pooled.add(c, 1);
    }
    let point = point_stats(&pooled, coders);
    let documents = clusters.iter().filter(|c| c.counts.iter().any(|&x| x > 0)).count();
    let mut replicates: Vec<Vec<f64>> = vec![Vec::new(); point.values.len()];
    let resamples = draws.map_or(0, |d| d.len());
    if let Some(draws) = draws {
        let mut resampled = PatternCounts::new(m);
        for times in draws {
            resampled.counts.iter_mut().for_each(|x| *x = 0);
            for (c, &t) in clusters.iter().zip(times) {
                if t > 0 {
                    resampled.add(c, u64::from(t));
                }
            }
            let r = point_stats(&resampled, coders);
            for (slot, (_, v)) in replicates.iter_mut().zip(&r.values) {
                if let Some(x) = v.value() {
                    slot.push(x);
                }
            }
        }
    }
    let statistics = point
        .values
        .iter()
        .zip(replicates)
        .map(|(&(kind, value), reps)| {
            let boot = draws.map(|_| summarise(reps, resamples, clusters.len()));
            let band = match kind {
                StatKind::PercentAgreement => None,
                StatKind::KrippendorffAlpha => {
                    Some(Band::for_estimate_with_data(value, point.units as usize, point.minority as usize))
                }
                _ => Some(Band::for_estimate(value)),
            };
            Statistic {
                kind,
                value,
                ci95: boot.as_ref().and_then(|b| b.ci95),
                skipped: boot.as_ref().map_or(0, |b| b.skipped),
                band,
            }
        })
        .collect();
    ResultRow {
        scope,
        id,
        label,
        documents,
        units: point.units,
        prevalence: point.prevalence,
        minority: point.minority,
        statistics,
    }
}

/// Pools unitizing tallies with multiplicities and returns one coefficient.
fn pooled_tally(tallies: &[UnitizingTally], m: usize, times: Option<&[u32]>) -> UnitizingTally {
    let k = tallies.first().map_or(2, UnitizingTally::n_values);
    let mut pooled = UnitizingTally::empty(m, k);
    for (i, t) in tallies.iter().enumerate() {
        let w = times.map_or(1, |x| x[i]);
        if w > 0 {
            pooled.add(t, f64::from(w));
        }
    }
    pooled
}

/// A unitizing statistic with its document bootstrap.
fn unitizing_stat(
    kind: StatKind,
    tallies: &std::result::Result<Vec<UnitizingTally>, Undefined>,
    m: usize,
    draws: Option<&[Vec<u32>]>,
    f: impl Fn(&UnitizingTally) -> Estimate,
) -> Statistic {
    let (value, boot) = match tallies {
        Err(why) => (Estimate::Undefined(*why), None),
        Ok(tallies) => {
            let value = f(&pooled_tally(tallies, m, None));
            let boot = draws.map(|draws| {
                let reps: Vec<f64> =
                    draws.iter().filter_map(|times| f(&pooled_tally(tallies, m, Some(times))).value()).collect();
                summarise(reps, draws.len(), tallies.len())
            });
            (value, boot)
        }
    };
    Statistic {
        kind,
        value,
        ci95: boot.as_ref().and_then(|b| b.ci95),
        skipped: boot.as_ref().map_or(0, |b| b.skipped),
        band: Some(Band::for_estimate(value)),
    }
}

/// The form B data of the documents `docs` (characters): every coder's spans of every code.
fn span_data(input: &ReliabilityInput, docs: &[usize]) -> std::result::Result<SpanData, AgreementError> {
    let layered = docs
        .iter()
        .map(|&d| {
            let doc = &input.documents[d];
            let by_code = doc
                .spans
                .iter()
                .map(|per_coder| {
                    per_coder.iter().map(|list| list.iter().map(|&(s, e)| (s, e.min(doc.length))).collect()).collect()
                })
                .collect();
            LayeredDocument { length: doc.length, by_code }
        })
        .collect();
    let codes = input.codes.iter().map(|c| c.id.clone()).collect();
    SpanData::from_layers(input.coders.clone(), codes, layered, BTreeMap::new())
}

/// The extra rows of a report: one per document or one per wave, pooled over codes
/// (`overall_clusters` holds each document's table pooled over codes).
fn group_rows(
    input: &ReliabilityInput,
    options: &AnalysisOptions,
    overall_clusters: &[PatternCounts],
) -> std::result::Result<Vec<ResultRow>, AgreementError> {
    let mut groups = Vec::new();
    match options.group_by {
        Some(GroupBy::Document) => {
            for (d, doc) in input.documents.iter().enumerate() {
                groups.push(row_from_clusters(
                    Scope::Document,
                    Some(doc.id.clone()),
                    doc.name.clone(),
                    std::slice::from_ref(&overall_clusters[d]),
                    &input.coders,
                    None,
                ));
            }
        }
        Some(GroupBy::Wave) => {
            let mut waves: Vec<Option<String>> = input.documents.iter().map(|d| d.wave.clone()).collect();
            waves.sort_by_key(|w| w.as_deref().map(crate::model::wave::wave_sort_key));
            waves.dedup();
            for wave in waves {
                let members: Vec<PatternCounts> = input
                    .documents
                    .iter()
                    .zip(overall_clusters)
                    .filter(|(d, _)| d.wave == wave)
                    .map(|(_, t)| t.clone())
                    .collect();
                let wave_draws = match options.bootstrap {
                    Some(config) => Some(multiplicities(members.len(), config)?),
                    None => None,
                };
                groups.push(row_from_clusters(
                    Scope::Wave,
                    wave.clone(),
                    wave.clone().unwrap_or_else(|| "(no wave)".into()),
                    &members,
                    &input.coders,
                    wave_draws.as_deref(),
                ));
            }
        }
        None => {}
    }
    Ok(groups)
}

/// The report's warnings: the input's, the span data's, unitizing on fewer documents, and
/// coders who applied none of the codes.
fn warnings(input: &ReliabilityInput, span_data: Option<&SpanData>, unitizing_docs: usize) -> Vec<String> {
    let mut warnings = input.warnings.clone();
    if let Some(data) = span_data {
        warnings.extend(data.warnings().iter().cloned());
        if unitizing_docs < input.documents.len() {
            warnings.push(format!(
                "the unitizing alphas use the {} of {} documents that every coder was assigned",
                unitizing_docs,
                input.documents.len()
            ));
        }
    }
    for (ci, coder) in input.coders.iter().enumerate() {
        let applied = input.documents.iter().any(|d| d.spans.iter().any(|per| !per[ci].is_empty()));
        if !applied {
            warnings.push(format!("coder {coder} applied none of the selected codes in the selected documents"));
        }
    }
    warnings
}

/// Computes the agreement report of `input`.
pub fn analyse(
    input: &ReliabilityInput,
    options: &AnalysisOptions,
) -> std::result::Result<AgreementReport, AgreementError> {
    let input = input.canonical();
    let input = input.as_ref();
    let m = input.coders.len();
    if m > MAX_CODERS {
        return Err(AgreementError::InvalidCase(format!("at most {MAX_CODERS} coders can be compared at once")));
    }
    let n_docs = input.documents.len();
    // tables[document][code]
    let tables: Vec<Vec<PatternCounts>> = input
        .documents
        .iter()
        .map(|d| (0..input.codes.len()).map(|k| document_code_patterns(input, d, k)).collect())
        .collect();
    let draws = match options.bootstrap {
        Some(config) => Some(multiplicities(n_docs, config)?),
        None => None,
    };
    let draws = draws.as_deref();

    // Unitizing: documents every coder was assigned, characters only.
    let unitizing_docs: Vec<usize> = if input.unit == UnitKind::Char {
        (0..n_docs)
            .filter(|&d| input.documents[d].length > 0 && input.documents[d].assigned.iter().all(|a| *a))
            .collect()
    } else {
        Vec::new()
    };
    let span_data = if input.unit == UnitKind::Char { Some(span_data(input, &unitizing_docs)?) } else { None };
    let unitizing_draws = match (options.bootstrap, &span_data) {
        (Some(config), Some(_)) => Some(multiplicities(unitizing_docs.len(), config)?),
        _ => None,
    };
    let unitizing_draws = unitizing_draws.as_deref();

    let mut codes = Vec::with_capacity(input.codes.len());
    for (k, code) in input.codes.iter().enumerate() {
        let clusters: Vec<PatternCounts> = tables.iter().map(|row| row[k].clone()).collect();
        let mut row =
            row_from_clusters(Scope::Code, Some(code.id.clone()), code.name.clone(), &clusters, &input.coders, draws);
        if let Some(data) = &span_data {
            let tallies = if data.codes().iter().any(|c| c == &code.id) {
                data.tallies(Variable::Code(&code.id))
            } else {
                Err(Undefined::NoGapsOrNoValuedUnits)
            };
            row.statistics
                .push(unitizing_stat(StatKind::BinaryUAlpha, &tallies, m, unitizing_draws, |t| t.binary_u_alpha()));
        }
        codes.push(row);
    }
    let overall_clusters: Vec<PatternCounts> = tables
        .iter()
        .map(|row| {
            let mut t = PatternCounts::new(m);
            for c in row {
                t.add(c, 1);
            }
            t
        })
        .collect();
    let overall =
        row_from_clusters(Scope::Overall, None, "All codes (pooled)".into(), &overall_clusters, &input.coders, draws);

    let groups = group_rows(input, options, &overall_clusters)?;

    let unitizing = span_data.as_ref().map(|data| {
        let all = data.tallies(Variable::AllCodes);
        let any = data.tallies(Variable::AnyCode);
        let coverage = match &all {
            Ok(t) => pooled_tally(t, m, None).cu_alpha().1,
            Err(_) => None,
        };
        UnitizingSummary {
            documents: unitizing_docs.len(),
            u_alpha: unitizing_stat(StatKind::UAlpha, &all, m, unitizing_draws, |t| t.u_alpha()),
            binary_u_alpha: unitizing_stat(StatKind::BinaryUAlpha, &any, m, unitizing_draws, |t| t.binary_u_alpha()),
            cu_alpha: unitizing_stat(StatKind::CuAlpha, &all, m, unitizing_draws, |t| t.cu_alpha().0),
            cu_coverage: coverage,
        }
    });
    let warnings = warnings(input, span_data.as_ref(), unitizing_docs.len());
    let settings = ReportSettings {
        coders: input.coders.clone(),
        unit: input.unit,
        unit_description: input.unit.describe().to_string(),
        documents: n_docs,
        document_selection: input.selection_note.clone(),
        codes: input.codes.len(),
        assignments_missing: input.documents.iter().any(|d| d.assigned.iter().any(|a| !a)),
        resamples: options.bootstrap.map_or(0, |b| b.resamples),
        seed: options.bootstrap.map(|b| b.seed),
        group_by: options.group_by,
        notes: input.notes.clone(),
    };
    Ok(AgreementReport { settings, codes, overall, groups, pairs: Vec::new(), unitizing, warnings })
}

/// Coder `coder` of `input` against each other coder, one row per pair ("A vs B"), every
/// code and document pooled: what the two agree on, whatever the other coders did.
pub fn pair_rows(
    input: &ReliabilityInput,
    options: &AnalysisOptions,
    coder: usize,
) -> std::result::Result<Vec<ResultRow>, AgreementError> {
    let Some(name) = input.coders.get(coder) else {
        return Err(AgreementError::InvalidCase(format!("there is no coder {} of {}", coder + 1, input.coders.len())));
    };
    let options = AnalysisOptions { group_by: None, ..*options };
    let mut rows = Vec::new();
    for (other, other_name) in input.coders.iter().enumerate().filter(|(i, _)| *i != coder) {
        let report = analyse(&input.coders_only(&[other, coder]), &options)?;
        rows.push(ResultRow {
            scope: Scope::Pair,
            id: Some(format!("{name}|{other_name}")),
            label: format!("{name} vs {other_name}"),
            ..report.overall
        });
    }
    Ok(rows)
}

/// One place where the coders' layers of a code differ: for characters, a stretch of text
/// covered by at least one coder's coding (overlapping codings joined) on which the layers are
/// not identical; for segment units, a segment (turn, sentence, document) whose presence values differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// The document's ID.
    pub document_id: String,
    /// The document's name.
    pub document: String,
    /// The code's ID.
    pub code_id: String,
    /// The code's path.
    pub code: String,
    /// Start of the stretch or segment (chars).
    pub start: u64,
    /// End of the stretch or segment (chars, exclusive).
    pub end: u64,
    /// Each coder's spans of the code within `[start, end)`, in coder order (`None`: not assigned).
    pub spans: Vec<Option<Vec<(u64, u64)>>>,
    /// Whether the coders agree here (listed only when agreements are asked for).
    pub agreed: bool,
}

fn clip(list: &[(u64, u64)], start: u64, end: u64) -> Vec<(u64, u64)> {
    list.iter().map(|&(s, e)| (s.max(start), e.min(end))).filter(|(s, e)| s < e).collect()
}

/// The places where the coders' layers differ (and, with `with_agreements`, also those where
/// they agree), sorted by code (in input order), then document, then position.
pub fn disagreements(input: &ReliabilityInput, with_agreements: bool) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for (k, code) in input.codes.iter().enumerate() {
        for doc in &input.documents {
            let assigned: Vec<usize> = (0..input.coders.len()).filter(|&i| doc.assigned[i]).collect();
            if assigned.len() < 2 {
                continue;
            }
            let spans = &doc.spans[k];
            let ranges: Vec<(u64, u64)> = match input.unit {
                UnitKind::Char => {
                    let mut all: Vec<(u64, u64)> = assigned.iter().flat_map(|&i| spans[i].iter().copied()).collect();
                    merge_spans(&mut all);
                    all
                }
                UnitKind::Turn | UnitKind::Sentence => doc.segments.clone(),
                UnitKind::Document => vec![(0, doc.length)],
            };
            for (start, end) in ranges {
                let per: Vec<Option<Vec<(u64, u64)>>> =
                    (0..input.coders.len()).map(|i| doc.assigned[i].then(|| clip(&spans[i], start, end))).collect();
                let present: Vec<&Vec<(u64, u64)>> = per.iter().flatten().collect();
                let agreed = match input.unit {
                    UnitKind::Char => present.windows(2).all(|w| w[0] == w[1]),
                    _ => present.windows(2).all(|w| w[0].is_empty() == w[1].is_empty()),
                };
                if agreed && (!with_agreements || present.iter().all(|p| p.is_empty())) {
                    continue;
                }
                out.push(Disagreement {
                    document_id: doc.id.clone(),
                    document: doc.name.clone(),
                    code_id: code.id.clone(),
                    code: code.name.clone(),
                    start,
                    end,
                    spans: per,
                    agreed,
                });
            }
        }
    }
    out
}

/// The union of several coders' spans.
pub fn union_of(layers: &[&[(u64, u64)]]) -> Vec<(u64, u64)> {
    let mut all: Vec<(u64, u64)> = layers.iter().flat_map(|l| l.iter().copied()).collect();
    merge_spans(&mut all);
    all
}

/// The intersection of several coders' spans (what every one of them coded).
pub fn intersection_of(layers: &[&[(u64, u64)]]) -> Vec<(u64, u64)> {
    let Some((first, rest)) = layers.split_first() else { return Vec::new() };
    let mut acc: Vec<(u64, u64)> = first.to_vec();
    merge_spans(&mut acc);
    for layer in rest {
        let mut next = Vec::new();
        for &(s, e) in &acc {
            for &(t, u) in layer.iter() {
                let (a, b) = (s.max(t), e.min(u));
                if a < b {
                    next.push((a, b));
                }
            }
        }
        merge_spans(&mut next);
        acc = next;
    }
    acc
}
