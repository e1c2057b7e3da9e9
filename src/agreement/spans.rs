//! Form B data: coded spans on text continua, and the statistics on them (AGREEMENT.md §1.1,
//! §1.7–§1.9): the character-level view (shape D2: NVivo percent agreement and κ, character α),
//! Krippendorff's unitizing family (shape D3: uα, |uα, cuα with coverage, (k)uα) and MAXQDA-style
//! segment matching (shape D4).
//!
//! Offsets are half-open `[start, end)` positions in whatever unit the caller uses consistently
//! (Codeloom stores Unicode scalar offsets). Overlapping or adjacent spans of the same code by the
//! same coder are merged (union) when the data are built, with a warning.

use std::collections::BTreeMap;

use super::units::CoincidenceMatrix;
use super::{AgreementError, Estimate, Undefined};

/// Relative tolerance for "this denominator is zero" in the unitizing coefficients.
const REL_TOL: f64 = 1e-12;

/// One coded span as entered by a coder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The coder's name (must be one of the data's coders).
    pub coder: String,
    /// The code applied.
    pub code: String,
    /// Start offset (inclusive).
    pub start: u64,
    /// End offset (exclusive).
    pub end: u64,
}

/// One document: its continuum length and every coder's spans on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanDocument {
    /// Length L of the continuum (for text: characters).
    pub length: u64,
    /// All coders' spans in this document.
    pub spans: Vec<Span>,
}

/// One document before normalisation: its continuum length and every coder's intervals of
/// every code (`by_code[code][coder]`), as [`SpanData::from_layers`] takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayeredDocument {
    /// Length L of the continuum (for text: characters).
    pub length: u64,
    /// `by_code[code][coder]`: that coder's intervals of the code, in any order.
    pub by_code: Vec<Vec<Vec<(u64, u64)>>>,
}

/// A half-open interval with a value index (≥ 1; 0 is the gap ∅).
type Segment = (u64, u64, usize);

/// One document after normalisation.
#[derive(Debug, Clone, PartialEq)]
struct NormalizedDocument {
    length: u64,
    /// `by_code[code][coder]`: that coder's merged, sorted intervals of the code.
    by_code: Vec<Vec<Vec<(u64, u64)>>>,
}

/// Span data for a set of coders over one or more documents (the documents are pooled by summing
/// the coincidences, as ATLAS.ti does; no unit crosses a document boundary).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanData {
    coders: Vec<String>,
    codes: Vec<String>,
    domains: BTreeMap<String, String>,
    documents: Vec<NormalizedDocument>,
    warnings: Vec<String>,
}

/// Which variable (set of values) a unitizing coefficient is computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variable<'a> {
    /// One code against everything else (its quotations vs. the rest of the text).
    Code(&'a str),
    /// All codes as the values of one variable (they must not overlap within a coder).
    AllCodes,
    /// The codes of one semantic domain as the values (they must not overlap within a coder).
    Domain(&'a str),
    /// The semantic domains as values (ATLAS.ti Cu-α, assumed reading); a coder's spans of one
    /// domain are merged, spans of different domains must not overlap. Codes without a domain are
    /// left out.
    DomainsAsValues,
    /// Any code against uncoded text: each coder's union of all coded spans.
    AnyCode,
}

/// The sufficient statistics of the unitizing coefficients for one variable, summable over
/// documents: l_ck, W_c and T_c. Value index 0 is the gap ∅.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitizingTally {
    m: usize,
    k: usize,
    /// Observed coincidences l_ck (already divided by m − 1), row-major k × k.
    l: Vec<f64>,
    /// W_c (ℓ² summed for valued c; plain length for the gap).
    w: Vec<f64>,
    /// T_c of cuα (summed over ordered coder pairs).
    t: Vec<f64>,
    /// Σ L over the documents.
    length: f64,
}

/// The unitizing coefficients for one variable.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitizingResult {
    /// The value labels; value `i` of the variable is `values[i - 1]` (0 is the gap).
    pub values: Vec<String>,
    /// l·· = m Σ L (0 when the variable is not computable).
    pub l_total: f64,
    /// uα: boundaries and values together, gap included among the values.
    pub u_alpha: Estimate,
    /// |uα ("α-binary"): relevant vs. irrelevant matter.
    pub binary_u_alpha: Estimate,
    /// cuα: the coding of intersecting valued units, ignoring unitizing errors.
    pub cu_alpha: Estimate,
    /// cuα's coverage cl / l·· (a share, not a percentage), when l·· > 0.
    pub cu_coverage: Option<f64>,
    /// (k)uα for each value, in the order of `values`.
    pub k_u_alpha: Vec<Estimate>,
}

impl UnitizingResult {
    fn not_computable(values: Vec<String>, why: Undefined) -> Self {
        let k_u_alpha = vec![Estimate::Undefined(why); values.len()];
        UnitizingResult {
            values,
            l_total: 0.0,
            u_alpha: Estimate::Undefined(why),
            binary_u_alpha: Estimate::Undefined(why),
            cu_alpha: Estimate::Undefined(why),
            cu_coverage: None,
            k_u_alpha,
        }
    }
}

/// Character-level (shape D2) statistics for one code, pooled over documents.
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterLevel {
    /// Total characters Σ L.
    pub units: u64,
    /// Share of characters on which all coders agree (all coded or none coded).
    pub percent_agreement_all_coders: Estimate,
    /// Krippendorff's α with characters as units and coded/not coded as the values.
    pub alpha_binary: Estimate,
    /// The coincidence matrix behind `alpha_binary` (category 0 = not coded, 1 = coded).
    pub coincidences: CoincidenceMatrix,
}

/// NVivo's coding comparison for one (code, source) and two users (§1.8).
#[derive(Debug, Clone, PartialEq)]
pub struct NvivoComparison {
    /// TU: source size in units.
    pub units: u64,
    /// TA: units coded by A.
    pub a: u64,
    /// TB: units coded by B.
    pub b: u64,
    /// Units coded by both.
    pub a_and_b: u64,
    /// Units coded by neither.
    pub neither: u64,
    /// Percentage agreement, in percent (agreement units / TU × 100).
    pub percent_agreement: Estimate,
    /// κ = (agreement − EF)/(TU − EF); undefined (NVivo shows 1) when every unit agrees.
    pub kappa: Estimate,
}

impl NvivoComparison {
    fn from_counts(units: u64, a: u64, b: u64, a_and_b: u64) -> Self {
        let neither = units.saturating_sub((a + b).saturating_sub(a_and_b));
        let tu = units as f64;
        let agree = (a_and_b + neither) as f64;
        let percent_agreement = Estimate::ratio(100.0 * agree, tu, 0.0, Undefined::EmptyContinuum);
        let kappa = if units == 0 {
            Estimate::Undefined(Undefined::EmptyContinuum)
        } else {
            let ef = (a as f64 * b as f64 + (tu - a as f64) * (tu - b as f64)) / tu;
            Estimate::ratio(agree - ef, tu - ef, REL_TOL * tu, Undefined::NvivoAllUnitsAgree)
        };
        NvivoComparison { units, a, b, a_and_b, neither, percent_agreement, kappa }
    }

    /// The size-weighted mean κ over sources, Σ TU_s κ_s / Σ TU_s (NVivo's suggested averaging;
    /// label it as such). Sources with an undefined κ are left out.
    pub fn size_weighted_mean_kappa(comparisons: &[NvivoComparison]) -> Estimate {
        let (num, den) = comparisons
            .iter()
            .filter_map(|c| c.kappa.value().map(|k| (c.units as f64 * k, c.units as f64)))
            .fold((0.0, 0.0), |(n, d), (x, y)| (n + x, d + y));
        Estimate::ratio(num, den, 0.0, Undefined::NvivoAllUnitsAgree)
    }
}

/// MAXQDA-style segment matching for one code and two coders (§1.9, criterion 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentMatchCode {
    /// The code.
    pub code: String,
    /// Coder 1's (merged) segments of the code.
    pub coder1_segments: usize,
    /// Coder 1's segments matched by a coder 2 segment of the code.
    pub coder1_matched: usize,
    /// Coder 2's (merged) segments of the code.
    pub coder2_segments: usize,
    /// Coder 2's segments matched by a coder 1 segment of the code.
    pub coder2_matched: usize,
}

impl SegmentMatchCode {
    /// Matched segments over all segments of both coders, in percent (0 when there are none).
    pub fn percent_segments_matched(&self) -> f64 {
        let total = self.coder1_segments + self.coder2_segments;
        if total == 0 { 0.0 } else { 100.0 * (self.coder1_matched + self.coder2_matched) as f64 / total as f64 }
    }
}

/// MAXQDA-style segment-level agreement and Brennan–Prediger κ (§1.9). Assumptions of the
/// reference computation: overlap = |s∩s′| / |s∪s′|; a = coder 1 segments matched,
/// b = coder 1 segments unmatched, c = coder 2 segments unmatched, d = 0.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentMatching {
    /// The intersection-over-union threshold t.
    pub threshold: f64,
    /// Per code, in code order (codes that either coder applied).
    pub per_code: Vec<SegmentMatchCode>,
    /// Cell a.
    pub a: usize,
    /// Cell b.
    pub b: usize,
    /// Cell c.
    pub c: usize,
    /// P_obs = a / (a + b + c).
    pub p_observed: Estimate,
    /// P_chance = 1 / number of codes in the table.
    pub p_chance: Estimate,
    /// κ = (P_obs − P_chance) / (1 − P_chance).
    pub kappa_brennan_prediger: Estimate,
}

/// Merges sorted intervals; `adjacent` also merges intervals that touch. Returns whether anything merged.
fn merge_intervals(intervals: &mut Vec<(u64, u64)>, adjacent: bool) -> bool {
    intervals.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(intervals.len());
    let mut any = false;
    for &(s, e) in intervals.iter() {
        match merged.last_mut() {
            Some(last) if s < last.1 || (adjacent && s == last.1) => {
                last.1 = last.1.max(e);
                any = true;
            }
            _ => merged.push((s, e)),
        }
    }
    *intervals = merged;
    any
}

fn intersection(a: (u64, u64), b: (u64, u64)) -> u64 {
    a.1.min(b.1).saturating_sub(a.0.max(b.0))
}

impl SpanData {
    /// Builds span data from coder names, documents and an optional code → semantic domain map.
    ///
    /// Spans with `start == end` are ignored with a warning; spans of one code by one coder that
    /// overlap or touch are merged (union) with a warning. A span outside its document or naming
    /// an unknown coder is an error.
    pub fn new(
        coders: Vec<String>,
        documents: Vec<SpanDocument>,
        domains: BTreeMap<String, String>,
    ) -> Result<Self, AgreementError> {
        let mut codes: Vec<String> = documents.iter().flat_map(|d| d.spans.iter().map(|s| s.code.clone())).collect();
        codes.sort();
        codes.dedup();
        let code_index: std::collections::HashMap<&str, usize> =
            codes.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        let mut layered = Vec::with_capacity(documents.len());
        for doc in &documents {
            let mut by_code = vec![vec![Vec::new(); coders.len()]; codes.len()];
            for span in &doc.spans {
                let coder = coders
                    .iter()
                    .position(|c| *c == span.coder)
                    .ok_or_else(|| AgreementError::UnknownCoder(span.coder.clone()))?;
                by_code[code_index[span.code.as_str()]][coder].push((span.start, span.end));
            }
            layered.push(LayeredDocument { length: doc.length, by_code });
        }
        Self::from_layers(coders, codes, layered, domains)
    }

    /// Builds span data from each document's intervals by code and coder
    /// (`by_code[code][coder]`, codes as in `codes`), normalised as [`SpanData::new`] does:
    /// empty intervals are dropped with a warning, a coder's intervals of one code that
    /// overlap or touch are merged with a warning, and an interval outside its document is an
    /// error. Only the codes that have an interval are kept, sorted.
    pub fn from_layers(
        coders: Vec<String>,
        codes: Vec<String>,
        documents: Vec<LayeredDocument>,
        domains: BTreeMap<String, String>,
    ) -> Result<Self, AgreementError> {
        for (i, c) in coders.iter().enumerate() {
            if coders[..i].contains(c) {
                return Err(AgreementError::DuplicateCoder(c.clone()));
            }
        }
        let mut kept: Vec<usize> = (0..codes.len())
            .filter(|&k| documents.iter().any(|d| d.by_code.get(k).is_some_and(|c| c.iter().any(|l| !l.is_empty()))))
            .collect();
        kept.sort_by(|&a, &b| codes[a].cmp(&codes[b]));
        let mut warnings = Vec::new();
        let many = documents.len() > 1;
        let mut normalized = Vec::with_capacity(documents.len());
        for (d, mut doc) in documents.into_iter().enumerate() {
            let place = if many { format!(" (document {d})") } else { String::new() };
            let mut by_code = Vec::with_capacity(kept.len());
            for &k in &kept {
                let mut per_coder = std::mem::take(&mut doc.by_code[k]);
                per_coder.resize(coders.len(), Vec::new());
                for (i, intervals) in per_coder.iter_mut().enumerate() {
                    for &(start, end) in intervals.iter() {
                        if end < start || end > doc.length {
                            return Err(AgreementError::SpanOutOfRange {
                                coder: coders[i].clone(),
                                code: codes[k].clone(),
                                start,
                                end,
                                length: doc.length,
                            });
                        }
                        if end == start {
                            warnings.push(format!(
                                "coder {} code {}: empty span at {start} ignored{place}",
                                coders[i], codes[k]
                            ));
                        }
                    }
                    intervals.retain(|(s, e)| e > s);
                    if merge_intervals(intervals, true) {
                        warnings.push(format!(
                            "coder {} code {}: overlapping/adjacent spans merged (union){place}",
                            coders[i], codes[k]
                        ));
                    }
                }
                by_code.push(per_coder);
            }
            normalized.push(NormalizedDocument { length: doc.length, by_code });
        }
        let codes = kept.iter().map(|&k| codes[k].clone()).collect();
        Ok(SpanData { coders, codes, domains, documents: normalized, warnings })
    }

    /// The coder names.
    pub fn coders(&self) -> &[String] {
        &self.coders
    }

    /// The codes that occur in the spans, sorted.
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    /// The code → semantic domain map.
    pub fn domains(&self) -> &BTreeMap<String, String> {
        &self.domains
    }

    /// The distinct semantic domains of the codes that occur, sorted.
    pub fn domain_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.codes.iter().filter_map(|c| self.domains.get(c).cloned()).collect();
        names.sort();
        names.dedup();
        names
    }

    /// Warnings raised while normalising the spans (merges, empty spans).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Total continuum length Σ L over the documents.
    pub fn total_length(&self) -> u64 {
        self.documents.iter().fold(0u64, |acc, d| acc.saturating_add(d.length))
    }

    /// Number of documents.
    pub fn n_documents(&self) -> usize {
        self.documents.len()
    }

    /// A coder's merged intervals of one code in one document.
    pub fn coder_intervals(&self, document: usize, code: &str, coder: usize) -> Option<&[(u64, u64)]> {
        let k = self.codes.iter().position(|c| c == code)?;
        self.documents.get(document)?.by_code.get(k)?.get(coder).map(Vec::as_slice)
    }

    /// The value labels of a variable, and the value (1-based) of each code (`None`: not part of it).
    fn labelling(&self, variable: Variable<'_>) -> (Vec<String>, Vec<Option<usize>>) {
        match variable {
            Variable::Code(code) => {
                (vec![code.to_string()], self.codes.iter().map(|c| (c == code).then_some(1)).collect())
            }
            Variable::AllCodes => (self.codes.clone(), (1..=self.codes.len()).map(Some).collect()),
            Variable::Domain(domain) => {
                let members: Vec<String> =
                    self.codes.iter().filter(|c| self.domains.get(*c).is_some_and(|d| d == domain)).cloned().collect();
                let labels = self.codes.iter().map(|c| members.iter().position(|m| m == c).map(|i| i + 1)).collect();
                (members, labels)
            }
            Variable::DomainsAsValues => {
                let names = self.domain_names();
                let labels = self
                    .codes
                    .iter()
                    .map(|c| self.domains.get(c).and_then(|d| names.iter().position(|n| n == d)).map(|i| i + 1))
                    .collect();
                (names, labels)
            }
            Variable::AnyCode => (vec!["any code".to_string()], vec![Some(1); self.codes.len()]),
        }
    }

    /// Every coder's partition of every document for a variable: `[document][coder]` sorted,
    /// non-overlapping valued segments. Same-value spans from different codes are merged where they
    /// overlap; different values overlapping within a coder make the variable not computable.
    fn partitions(&self, labels: &[Option<usize>]) -> Result<Vec<Vec<Vec<Segment>>>, Undefined> {
        let n_values = labels.iter().flatten().max().copied().unwrap_or(0);
        // The codes that are part of the variable, with their values; a value that several
        // codes share needs their intervals merged first.
        let labelled: Vec<(usize, usize)> =
            labels.iter().enumerate().filter_map(|(k, label)| label.map(|v| (k, v))).collect();
        let mut from_codes = vec![0usize; n_values + 1];
        for &(_, v) in &labelled {
            from_codes[v] += 1;
        }
        let shared = from_codes.iter().any(|&n| n > 1);
        let mut out = Vec::with_capacity(self.documents.len());
        for doc in &self.documents {
            let mut per_coder = Vec::with_capacity(self.coders.len());
            for coder in 0..self.coders.len() {
                let intervals = |k: usize| doc.by_code.get(k).and_then(|c| c.get(coder)).map_or(&[][..], Vec::as_slice);
                let mut segments: Vec<Segment> = Vec::new();
                if shared {
                    let mut by_value: Vec<Vec<(u64, u64)>> = vec![Vec::new(); n_values + 1];
                    for &(k, v) in &labelled {
                        by_value[v].extend_from_slice(intervals(k));
                    }
                    for (v, intervals) in by_value.iter_mut().enumerate() {
                        if from_codes[v] > 1 {
                            merge_intervals(intervals, false);
                        }
                        segments.extend(intervals.iter().map(|&(s, e)| (s, e, v)));
                    }
                } else {
                    for &(k, v) in &labelled {
                        segments.extend(intervals(k).iter().map(|&(s, e)| (s, e, v)));
                    }
                }
                segments.sort_unstable();
                if segments.windows(2).any(|w| w[1].0 < w[0].1) {
                    return Err(Undefined::OverlappingCodes);
                }
                per_coder.push(segments);
            }
            out.push(per_coder);
        }
        Ok(out)
    }

    /// The unitizing tallies of a variable, one per document, or why the variable is not computable.
    pub fn tallies(&self, variable: Variable<'_>) -> Result<Vec<UnitizingTally>, Undefined> {
        let (values, labels) = self.labelling(variable);
        let partitions = self.partitions(&labels)?;
        Ok(self
            .documents
            .iter()
            .zip(&partitions)
            .map(|(doc, parts)| UnitizingTally::from_partitions(doc.length, parts, values.len() + 1))
            .collect())
    }

    /// uα, |uα, cuα (with coverage) and (k)uα for a variable, pooled over the documents.
    pub fn unitizing(&self, variable: Variable<'_>) -> UnitizingResult {
        let (values, _) = self.labelling(variable);
        match self.tallies(variable) {
            Err(why) => UnitizingResult::not_computable(values, why),
            Ok(tallies) => {
                let mut pooled = UnitizingTally::empty(self.coders.len(), values.len() + 1);
                for t in &tallies {
                    pooled.add(t, 1.0);
                }
                pooled.result(values)
            }
        }
    }

    /// Character-level statistics for one code (coded vs. not coded per character), pooled over documents.
    pub fn character_level(&self, code: &str) -> CharacterLevel {
        let m = self.coders.len();
        let mut coincidences = CoincidenceMatrix::new(2);
        let mut agree = 0u64;
        let total = self.total_length();
        if let Ok(partitions) = self.partitions(&self.labelling(Variable::Code(code)).1) {
            for (doc, parts) in self.documents.iter().zip(&partitions) {
                each_elementary_stretch(doc.length, parts, |len, coded| {
                    let c = coded.iter().filter(|&&v| v != 0).count();
                    coincidences.add_unit(&[m - c, c], len as f64);
                    if c == 0 || c == m {
                        agree += len;
                    }
                });
            }
        }
        let percent_agreement_all_coders = if m < 2 {
            Estimate::Undefined(Undefined::FewerThanTwoCoders)
        } else {
            Estimate::ratio(agree as f64, total as f64, 0.0, Undefined::EmptyContinuum)
        };
        let alpha_binary = match coincidences.alpha(super::Metric::Nominal, None) {
            Ok(parts) if m >= 2 => parts.value,
            Ok(_) => Estimate::Undefined(Undefined::FewerThanTwoCoders),
            Err(_) => Estimate::Undefined(Undefined::NoPairableUnits),
        };
        CharacterLevel { units: total, percent_agreement_all_coders, alpha_binary, coincidences }
    }

    /// NVivo coding comparison of one code between coders `a` and `b`, one entry per document (source).
    pub fn nvivo(&self, code: &str, a: usize, b: usize) -> Vec<NvivoComparison> {
        self.documents
            .iter()
            .enumerate()
            .map(|(d, doc)| {
                let empty: &[(u64, u64)] = &[];
                let xa = self.coder_intervals(d, code, a).unwrap_or(empty);
                let xb = self.coder_intervals(d, code, b).unwrap_or(empty);
                let ta: u64 = xa.iter().map(|(s, e)| e - s).sum();
                let tb: u64 = xb.iter().map(|(s, e)| e - s).sum();
                let both: u64 = xa.iter().map(|&g| xb.iter().map(|&h| intersection(g, h)).sum::<u64>()).sum();
                NvivoComparison::from_counts(doc.length, ta, tb, both)
            })
            .collect()
    }

    /// MAXQDA-style segment matching between coders `a` (coder 1) and `b` (coder 2) with the
    /// intersection-over-union threshold `threshold` in (0, 1].
    pub fn segment_matching(&self, a: usize, b: usize, threshold: f64) -> Result<SegmentMatching, AgreementError> {
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(AgreementError::InvalidThreshold(threshold));
        }
        let matched = |g: (u64, u64), others: &[(u64, u64)]| {
            others.iter().any(|&h| {
                let inter = intersection(g, h);
                let union = (g.1 - g.0) + (h.1 - h.0) - inter;
                union > 0 && inter as f64 / union as f64 >= threshold
            })
        };
        let mut per_code = Vec::new();
        for code in &self.codes {
            let mut row = SegmentMatchCode {
                code: code.clone(),
                coder1_segments: 0,
                coder1_matched: 0,
                coder2_segments: 0,
                coder2_matched: 0,
            };
            for d in 0..self.documents.len() {
                let empty: &[(u64, u64)] = &[];
                let x1 = self.coder_intervals(d, code, a).unwrap_or(empty);
                let x2 = self.coder_intervals(d, code, b).unwrap_or(empty);
                row.coder1_segments += x1.len();
                row.coder2_segments += x2.len();
                row.coder1_matched += x1.iter().filter(|&&g| matched(g, x2)).count();
                row.coder2_matched += x2.iter().filter(|&&g| matched(g, x1)).count();
            }
            if row.coder1_segments + row.coder2_segments > 0 {
                per_code.push(row);
            }
        }
        let a_cell: usize = per_code.iter().map(|r| r.coder1_matched).sum();
        let b_cell: usize = per_code.iter().map(|r| r.coder1_segments - r.coder1_matched).sum();
        let c_cell: usize = per_code.iter().map(|r| r.coder2_segments - r.coder2_matched).sum();
        let p_observed = Estimate::ratio(a_cell as f64, (a_cell + b_cell + c_cell) as f64, 0.0, Undefined::NoSegments);
        let p_chance = Estimate::ratio(1.0, per_code.len() as f64, 0.0, Undefined::NoSegments);
        let kappa_brennan_prediger = match (p_observed, p_chance) {
            (Estimate::Defined(po), Estimate::Defined(pc)) => {
                Estimate::ratio(po - pc, 1.0 - pc, REL_TOL, Undefined::TooFewCategories)
            }
            (Estimate::Undefined(why), _) | (_, Estimate::Undefined(why)) => Estimate::Undefined(why),
        };
        Ok(SegmentMatching {
            threshold,
            per_code,
            a: a_cell,
            b: b_cell,
            c: c_cell,
            p_observed,
            p_chance,
            kappa_brennan_prediger,
        })
    }
}

/// Splits `[0, length)` at every segment boundary of every coder and hands `each`, for every
/// elementary stretch, its length and each coder's value on it (0 = gap).
fn each_elementary_stretch(length: u64, parts: &[Vec<Segment>], mut each: impl FnMut(u64, &[usize])) {
    let mut bounds: Vec<u64> = Vec::with_capacity(2 + 2 * parts.iter().map(Vec::len).sum::<usize>());
    bounds.extend([0, length]);
    for segs in parts {
        for &(s, e, _) in segs {
            bounds.push(s);
            bounds.push(e);
        }
    }
    bounds.sort_unstable();
    bounds.dedup();
    let mut cursor = vec![0usize; parts.len()];
    let mut values = vec![0usize; parts.len()];
    for w in bounds.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        if hi <= lo || lo >= length {
            continue;
        }
        for ((segs, cur), value) in parts.iter().zip(cursor.iter_mut()).zip(values.iter_mut()) {
            while *cur < segs.len() && segs[*cur].1 <= lo {
                *cur += 1;
            }
            *value = match segs.get(*cur) {
                Some(&(s, _, v)) if s <= lo => v,
                _ => 0,
            };
        }
        each(hi - lo, &values);
    }
}

impl UnitizingTally {
    /// An all-zero tally for `m` coders and `k` values (gap included).
    pub fn empty(m: usize, k: usize) -> Self {
        UnitizingTally { m, k, l: vec![0.0; k * k], w: vec![0.0; k], t: vec![0.0; k], length: 0.0 }
    }

    /// The tally of one document from each coder's partition (`parts[coder]`), with `k` values (gap included).
    fn from_partitions(length: u64, parts: &[Vec<Segment>], k: usize) -> Self {
        let m = parts.len();
        let mut tally = UnitizingTally::empty(m, k);
        tally.length = length as f64;
        if m < 2 {
            return tally;
        }
        // l_ck sums, over ordered pairs of different coders, the length on which the first
        // has c and the second k: whole numbers, exact in f64, divided by m − 1 once at the end.
        each_elementary_stretch(length, parts, |len, values| {
            for (i, &a) in values.iter().enumerate() {
                for (j, &b) in values.iter().enumerate() {
                    if i != j {
                        tally.l[a * k + b] += len as f64;
                    }
                }
            }
        });
        let inv = 1.0 / (m - 1) as f64;
        tally.l.iter_mut().for_each(|x| *x *= inv);
        for (i, segs) in parts.iter().enumerate() {
            let valued: u64 = segs.iter().map(|(s, e, _)| e - s).sum();
            tally.w[0] += length.saturating_sub(valued) as f64;
            for &(s, e, v) in segs {
                let len = (e - s) as f64;
                tally.w[v] += len * len;
                for (j, other) in parts.iter().enumerate() {
                    if j == i {
                        continue;
                    }
                    let first = other.partition_point(|h| h.1 <= s);
                    let x: u64 =
                        other[first..].iter().take_while(|h| h.0 < e).map(|h| intersection((s, e), (h.0, h.1))).sum();
                    tally.t[v] += (x as f64) * (x as f64);
                }
            }
        }
        tally
    }

    /// Number of values of the variable, the gap included.
    pub fn n_values(&self) -> usize {
        self.k
    }

    /// Adds another tally (for another document) with a multiplicity.
    pub fn add(&mut self, other: &UnitizingTally, weight: f64) {
        for (a, b) in self.l.iter_mut().zip(&other.l) {
            *a += b * weight;
        }
        for (a, b) in self.w.iter_mut().zip(&other.w) {
            *a += b * weight;
        }
        for (a, b) in self.t.iter_mut().zip(&other.t) {
            *a += b * weight;
        }
        self.length += other.length * weight;
    }

    fn get(&self, c: usize, k: usize) -> f64 {
        self.l[c * self.k + k]
    }

    /// l·· = Σ_ck l_ck (= m Σ L).
    pub fn l_total(&self) -> f64 {
        self.l.iter().sum()
    }

    fn undefined_reason(&self) -> Option<Undefined> {
        if self.m < 2 {
            Some(Undefined::FewerThanTwoCoders)
        } else if self.length <= 0.0 {
            Some(Undefined::EmptyContinuum)
        } else {
            None
        }
    }

    /// Expected coincidences e_ck.
    fn expected(&self) -> Vec<f64> {
        let k = self.k;
        let lt = self.l_total();
        let margins: Vec<f64> = (0..k).map(|c| (0..k).map(|j| self.get(c, j)).sum()).collect();
        let den = lt * lt - self.w.iter().sum::<f64>();
        let mut e = vec![0.0; k * k];
        if den <= 0.0 {
            return e;
        }
        for c in 0..k {
            for j in 0..k {
                let diag = if c == j { self.w[c] } else { 0.0 };
                e[c * k + j] = lt * (margins[c] * margins[j] - diag) / den;
            }
        }
        e
    }

    /// uα (§1.7).
    pub fn u_alpha(&self) -> Estimate {
        if let Some(why) = self.undefined_reason() {
            return Estimate::Undefined(why);
        }
        let lt = self.l_total();
        let e = self.expected();
        let observed = lt - (0..self.k).map(|c| self.get(c, c)).sum::<f64>();
        let expected = lt - (0..self.k).map(|c| e[c * self.k + c]).sum::<f64>();
        Estimate::one_minus_ratio(observed, expected, REL_TOL * lt, Undefined::NoExpectedDisagreement)
    }

    /// |uα = 1 − l_∅V / e_∅V (§1.7).
    pub fn binary_u_alpha(&self) -> Estimate {
        if let Some(why) = self.undefined_reason() {
            return Estimate::Undefined(why);
        }
        let lt = self.l_total();
        let e = self.expected();
        let l_gv: f64 = (1..self.k).map(|j| self.get(0, j)).sum();
        let e_gv: f64 = (1..self.k).map(|j| e[j]).sum();
        Estimate::one_minus_ratio(l_gv, e_gv, REL_TOL * lt, Undefined::NoGapsOrNoValuedUnits)
    }

    /// cl_c for every value (index 0, the gap, is 0), and the ce matrix when defined.
    fn coding_parts(&self) -> (Vec<f64>, f64, Option<Vec<f64>>) {
        let k = self.k;
        let mut cl = vec![0.0; k];
        for (c, slot) in cl.iter_mut().enumerate().skip(1) {
            *slot = (1..k).map(|j| self.get(c, j)).sum();
        }
        let cl_total: f64 = cl.iter().sum();
        if self.m < 2 || cl_total <= REL_TOL * self.l_total() {
            return (cl, cl_total, None);
        }
        let mf = (self.m - 1) as f64;
        let t_total: f64 = self.t.iter().skip(1).sum();
        let den = cl_total - t_total / (cl_total * mf);
        if den.abs() <= REL_TOL * cl_total {
            return (cl, cl_total, None);
        }
        let mut ce = vec![0.0; k * k];
        for c in 1..k {
            for j in 1..k {
                let diag = if c == j { self.t[c] / mf } else { 0.0 };
                ce[c * k + j] = (cl[c] * cl[j] - diag) / den;
            }
        }
        (cl, cl_total, Some(ce))
    }

    /// cuα and its coverage cl / l·· (§1.7).
    pub fn cu_alpha(&self) -> (Estimate, Option<f64>) {
        let lt = self.l_total();
        let coverage = (lt > 0.0).then(|| self.coding_parts().1 / lt);
        if let Some(why) = self.undefined_reason() {
            return (Estimate::Undefined(why), coverage);
        }
        let used = (1..self.k).filter(|&c| (0..self.k).any(|j| self.get(c, j) > 0.0)).count();
        if used < 2 {
            return (Estimate::Undefined(Undefined::NeedsTwoValuedCategories), coverage);
        }
        let (_, cl_total, ce) = self.coding_parts();
        let Some(ce) = ce else {
            return (Estimate::Undefined(Undefined::NoIntersectingValuedUnits), coverage);
        };
        let k = self.k;
        let observed = cl_total - (1..k).map(|c| self.get(c, c)).sum::<f64>();
        let expected = cl_total - (1..k).map(|c| ce[c * k + c]).sum::<f64>();
        let value =
            Estimate::one_minus_ratio(observed, expected, REL_TOL * cl_total, Undefined::NoExpectedDisagreement);
        (value, coverage)
    }

    /// (k)uα for value `v` (1-based; 0 is the gap) (§1.7).
    pub fn k_u_alpha(&self, v: usize) -> Estimate {
        if let Some(why) = self.undefined_reason() {
            return Estimate::Undefined(why);
        }
        if v == 0 || v >= self.k {
            return Estimate::Undefined(Undefined::NoIntersectingValuedUnits);
        }
        let (cl, cl_total, ce) = self.coding_parts();
        let Some(ce) = ce else {
            return Estimate::Undefined(Undefined::NoIntersectingValuedUnits);
        };
        let k = self.k;
        let tol = REL_TOL * cl_total;
        if cl[v] <= tol {
            return Estimate::Undefined(Undefined::NoIntersectingValuedUnits);
        }
        let ce_row: f64 = (1..k).map(|j| ce[v * k + j]).sum();
        let ratio = ce_row / cl[v];
        Estimate::one_minus_ratio(
            ratio * (cl[v] - self.get(v, v)),
            ce_row - ce[v * k + v],
            tol,
            Undefined::NoExpectedDisagreement,
        )
    }

    /// All unitizing coefficients for this tally, with the given value labels.
    pub fn result(&self, values: Vec<String>) -> UnitizingResult {
        let (cu_alpha, cu_coverage) = self.cu_alpha();
        let k_u_alpha = (1..=values.len()).map(|v| self.k_u_alpha(v)).collect();
        UnitizingResult {
            values,
            l_total: self.l_total(),
            u_alpha: self.u_alpha(),
            binary_u_alpha: self.binary_u_alpha(),
            cu_alpha,
            cu_coverage,
            k_u_alpha,
        }
    }
}
