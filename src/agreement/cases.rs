//! Case files (the JSON forms of `design/agreement/README.md`) to module types, and every
//! statistic of a case to one JSON object, as a future `codeloom agreement --input CASE.json --json`
//! prints it.
//!
//! * Form A (values per unit): `{"coders": [...], "units": [[label or null per coder], ...],
//!   "categories": [...]?}`.
//! * Form B (spans on one text continuum): `{"coders": [...], "continuum_length": L, "spans":
//!   [{"coder", "code", "start", "end"}], "domains": {code: domain}?,
//!   "segment_overlap_threshold": 0.9?}`.
//!
//! Labels may be JSON strings, numbers or booleans; they are compared as text (`1` and `"1"`
//! are the same label, `1` and `1.0` are not). The output keys mirror the reference out files:
//! a reference entry `stat.formula` is `stat` here and `stat.formula_x` is `stat.x`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::bands::{Band, LandisKoch};
use super::bootstrap::{BootstrapConfig, BootstrapResult, bootstrap_alpha};
use super::spans::{NvivoComparison, SpanData, SpanDocument, UnitizingResult, Variable};
use super::stats::{ChanceCorrected, TwoCoderCoefficient, units_report};
use super::units::{Metric, ReliabilityData};
use super::{AgreementError, Estimate, Span};

/// The default MAXQDA segment overlap threshold (intersection over union).
pub const DEFAULT_SEGMENT_OVERLAP_THRESHOLD: f64 = 0.9;

/// A parsed case file.
#[derive(Debug, Clone, PartialEq)]
pub enum Case {
    /// Form A: values per unit.
    Units(ReliabilityData),
    /// Form B: spans on a continuum.
    Spans {
        /// The span data (one document).
        data: SpanData,
        /// The continuum length L.
        continuum_length: u64,
        /// The MAXQDA-style segment overlap threshold.
        segment_overlap_threshold: f64,
    },
}

/// What to compute besides the closed-form statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOptions {
    /// The unit bootstrap of nominal α (form A); `None` to skip it.
    pub bootstrap: Option<BootstrapConfig>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { bootstrap: Some(BootstrapConfig::default()) }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    coders: Vec<Value>,
    #[serde(default)]
    units: Option<Vec<Vec<Value>>>,
    #[serde(default)]
    categories: Option<Vec<Value>>,
    #[serde(default)]
    continuum_length: Option<u64>,
    #[serde(default)]
    spans: Option<Vec<RawSpan>>,
    #[serde(default)]
    domains: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    segment_overlap_threshold: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpan {
    coder: Value,
    code: Value,
    start: u64,
    end: u64,
}

/// A JSON scalar as a label; `Ok(None)` for `null`.
fn label(value: &Value, what: &str) -> Result<Option<String>, AgreementError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => {
            Err(AgreementError::InvalidCase(format!("{what} must be a string, number or boolean")))
        }
    }
}

fn required_label(value: &Value, what: &str) -> Result<String, AgreementError> {
    label(value, what)?.ok_or_else(|| AgreementError::InvalidCase(format!("{what} must not be null")))
}

/// Parses a case file (form A or form B).
pub fn parse_case(text: &str) -> Result<Case, AgreementError> {
    let raw: RawCase = serde_json::from_str(text).map_err(|e| AgreementError::InvalidCase(e.to_string()))?;
    let coders = raw.coders.iter().map(|c| required_label(c, "a coder")).collect::<Result<Vec<_>, _>>()?;
    match (raw.units, raw.spans) {
        (Some(units), None) => {
            if raw.continuum_length.is_some() || raw.domains.is_some() || raw.segment_overlap_threshold.is_some() {
                return Err(AgreementError::InvalidCase("form A case with form B fields".into()));
            }
            let units = units
                .iter()
                .map(|row| row.iter().map(|v| label(v, "a value")).collect::<Result<Vec<_>, _>>())
                .collect::<Result<Vec<_>, _>>()?;
            let categories = raw
                .categories
                .map(|cats| cats.iter().map(|c| required_label(c, "a category")).collect::<Result<Vec<_>, _>>())
                .transpose()?;
            Ok(Case::Units(ReliabilityData::new(coders, units, categories)?))
        }
        (None, Some(spans)) => {
            if raw.categories.is_some() {
                return Err(AgreementError::InvalidCase("form B case with \"categories\"".into()));
            }
            let continuum_length = raw
                .continuum_length
                .ok_or_else(|| AgreementError::InvalidCase("form B case without \"continuum_length\"".into()))?;
            let spans = spans
                .iter()
                .map(|s| {
                    Ok(Span {
                        coder: required_label(&s.coder, "a span's coder")?,
                        code: required_label(&s.code, "a span's code")?,
                        start: s.start,
                        end: s.end,
                    })
                })
                .collect::<Result<Vec<_>, AgreementError>>()?;
            let domains = raw
                .domains
                .unwrap_or_default()
                .into_iter()
                .map(|(code, domain)| Ok((code, required_label(&domain, "a domain")?)))
                .collect::<Result<BTreeMap<_, _>, AgreementError>>()?;
            let threshold = raw.segment_overlap_threshold.unwrap_or(DEFAULT_SEGMENT_OVERLAP_THRESHOLD);
            if !(threshold > 0.0 && threshold <= 1.0) {
                return Err(AgreementError::InvalidThreshold(threshold));
            }
            let data = SpanData::new(coders, vec![SpanDocument { length: continuum_length, spans }], domains)?;
            Ok(Case::Spans { data, continuum_length, segment_overlap_threshold: threshold })
        }
        _ => Err(AgreementError::InvalidCase("a case has either \"units\" (form A) or \"spans\" (form B)".into())),
    }
}

/// Parses a case file and reports all its statistics.
pub fn report_from_json(text: &str, options: &ReportOptions) -> Result<Value, AgreementError> {
    Ok(report(&parse_case(text)?, options))
}

/// Every statistic of a case as one JSON object.
pub fn report(case: &Case, options: &ReportOptions) -> Value {
    match case {
        Case::Units(data) => units_json(data, options),
        Case::Spans { data, continuum_length, segment_overlap_threshold } => {
            spans_json(data, *continuum_length, *segment_overlap_threshold)
        }
    }
}

/// A number, or `null` when undefined.
fn num(estimate: Estimate) -> Value {
    match estimate.value() {
        Some(v) if v.is_finite() => json!(v),
        _ => Value::Null,
    }
}

fn opt(value: Option<f64>) -> Value {
    value.filter(|v| v.is_finite()).map_or(Value::Null, |v| json!(v))
}

/// Inserts `key: value` and, when undefined, a `note_key: reason`.
fn put(map: &mut Map<String, Value>, key: &str, estimate: Estimate, note_key: &str) {
    map.insert(key.into(), num(estimate));
    if let Some(why) = estimate.undefined_reason() {
        map.insert(note_key.into(), json!(why.note()));
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn chance_corrected_json(c: &ChanceCorrected) -> Value {
    let mut map = object(json!({ "pa": opt(c.pa), "pe": opt(c.pe), "q": c.q }));
    put(&mut map, "value", c.value, "note");
    Value::Object(map)
}

fn two_coder_json(c: &TwoCoderCoefficient) -> Value {
    let mut map = object(json!({ "po": opt(c.po), "pe": opt(c.pe), "n": c.n }));
    put(&mut map, "value", c.value, "note");
    if let Some(lk) = LandisKoch::for_estimate(c.value) {
        map.insert("landis_koch".into(), json!(lk.label()));
    }
    Value::Object(map)
}

fn bootstrap_json(b: &BootstrapResult, config: BootstrapConfig) -> Value {
    json!({
        "method": "unit bootstrap (percentile)",
        "B": b.resamples,
        "seed": config.seed,
        "clusters": b.clusters,
        "skipped_undefined": b.skipped,
        "ci95": b.ci95.map_or(Value::Null, |(lo, hi)| json!([lo, hi])),
        "q_alpha_lt_0.667": num(b.p_below_tentative),
        "q_alpha_lt_0.8": num(b.p_below_reliable),
    })
}

fn units_json(data: &ReliabilityData, options: &ReportOptions) -> Value {
    let r = units_report(data);
    let cats = data.categories();
    let mut out = Map::new();
    out.insert("form".into(), json!("units"));
    out.insert("n_coders".into(), json!(data.n_coders()));
    out.insert("n_units".into(), json!(data.n_units()));
    out.insert("categories".into(), json!(cats));
    out.insert("categories_observed".into(), json!(data.categories_observed()));
    out.insert("q".into(), json!(data.q()));
    if data.n_coders() < 2 {
        out.insert("note".into(), json!(super::Undefined::FewerThanTwoCoders.note()));
    }

    let pa = &r.percent_agreement;
    let mut pa_map = object(json!({ "n_pairable_units": pa.n_pairable_units }));
    put(&mut pa_map, "pairwise_mean", pa.pairwise_mean, "note");
    put(&mut pa_map, "all_coders_agree", pa.all_coders_agree, "note");
    put(&mut pa_map, "pairwise_pooled", pa.pairwise_pooled, "note");
    out.insert("percent_agreement".into(), Value::Object(pa_map));

    let alpha = &r.alpha_nominal;
    // Non-zero cells, plus the diagonal of every category among the pairable values.
    let margins = alpha.coincidences.margins();
    let mut coincidences = Map::new();
    for (c, cl) in cats.iter().enumerate() {
        for (k, kl) in cats.iter().enumerate() {
            let o = alpha.coincidences.get(c, k);
            if o != 0.0 || (c == k && margins[c] > 0.0) {
                coincidences.insert(format!("{cl}|{kl}"), json!(o));
            }
        }
    }
    let mut alpha_map = object(json!({
        "Do": opt(alpha.parts.d_o),
        "De": opt(alpha.parts.d_e),
        "n_pairable_values": alpha.parts.n,
        "coincidences": coincidences,
    }));
    put(&mut alpha_map, "value", alpha.value(), "note");
    let band = Band::for_estimate(alpha.value());
    alpha_map.insert("band".into(), json!({ "colour": band.colour(), "label": band.label() }));
    out.insert("krippendorff_alpha_nominal".into(), Value::Object(alpha_map));

    if !r.alpha_other.is_empty() {
        let other: Map<String, Value> = r.alpha_other.iter().map(|(m, e)| (m.name().to_string(), num(*e))).collect();
        out.insert("krippendorff_alpha_other_metrics".into(), Value::Object(other));
    }

    out.insert("gwet_ac1".into(), chance_corrected_json(&r.gwet_ac1));
    out.insert("brennan_prediger".into(), chance_corrected_json(&r.brennan_prediger));

    let fc = &r.fleiss_complete;
    let category_kappa: Map<String, Value> =
        cats.iter().zip(&fc.category_kappa).map(|(c, k)| (c.clone(), num(*k))).collect();
    let mut fc_map = object(json!({
        "po": opt(fc.po),
        "pe": opt(fc.pe),
        "n_units_used": fc.n_units_used,
        "category_kappa": category_kappa,
    }));
    put(&mut fc_map, "value", fc.value, "note");
    out.insert(
        "fleiss_kappa".into(),
        json!({ "complete_units": fc_map, "generalized_missing": chance_corrected_json(&r.fleiss_generalized) }),
    );

    if let Some(c) = &r.cohen_kappa {
        out.insert("cohen_kappa".into(), two_coder_json(c));
    }
    if let Some(c) = &r.scott_pi {
        out.insert("scott_pi".into(), two_coder_json(c));
    }
    if let Some(l) = &r.light_kappa {
        let coders = data.coders();
        let mut map = object(json!({
            "pairwise": l.pairwise.iter().map(|(_, k)| num(*k)).collect::<Vec<_>>(),
            "pairs": l.pairwise.iter().map(|((a, b), _)| json!([coders[*a], coders[*b]])).collect::<Vec<_>>(),
            "n_pairs_undefined": l.n_pairs_undefined,
        }));
        put(&mut map, "value", l.value, "note");
        out.insert("light_kappa_mean_pairwise_cohen".into(), Value::Object(map));
    }
    if let Some(prev) = &r.prevalence {
        let map: Map<String, Value> = cats.iter().zip(prev).map(|(c, p)| (c.clone(), json!(p))).collect();
        out.insert("prevalence_among_pairable_values".into(), Value::Object(map));
    }
    if let Some(config) = options.bootstrap
        && let Ok(b) = bootstrap_alpha(data, Metric::Nominal, config)
    {
        out.insert("bootstrap_alpha_nominal".into(), bootstrap_json(&b, config));
    }
    Value::Object(out)
}

fn unitizing_json(u: &UnitizingResult, l_total: f64) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("l..".into(), json!(l_total));
    put(&mut map, "u_alpha", u.u_alpha, "u_note");
    put(&mut map, "binary_u_alpha", u.binary_u_alpha, "binary_note");
    put(&mut map, "cu_alpha", u.cu_alpha, "cu_note");
    if let Some(c) = u.cu_coverage {
        map.insert("cu_coverage_pct".into(), json!(100.0 * c));
    }
    let k_u: Map<String, Value> = u.values.iter().zip(&u.k_u_alpha).map(|(v, k)| (v.clone(), num(*k))).collect();
    map.insert("k_u_alpha".into(), Value::Object(k_u));
    map
}

fn nvivo_json(c: &NvivoComparison) -> Value {
    let mut map = object(json!({
        "units": c.units,
        "A": c.a,
        "B": c.b,
        "A_and_B": c.a_and_b,
        "neither": c.neither,
        "percent_agreement": num(c.percent_agreement),
    }));
    put(&mut map, "kappa", c.kappa, "note");
    if c.kappa.undefined_reason() == Some(super::Undefined::NvivoAllUnitsAgree) {
        map.insert("kappa_as_nvivo_displays".into(), json!(1.0));
    }
    Value::Object(map)
}

fn spans_json(data: &SpanData, continuum_length: u64, threshold: f64) -> Value {
    let m = data.coders().len();
    let l_total = m as f64 * data.total_length() as f64;
    let mut out = Map::new();
    out.insert("form".into(), json!("spans"));
    out.insert("n_coders".into(), json!(m));
    out.insert("continuum_length".into(), json!(continuum_length));
    out.insert("codes".into(), json!(data.codes()));
    out.insert("warnings".into(), json!(data.warnings()));
    out.insert(
        "shapes".into(),
        json!({
            "per_code": "D2 character (char_*, nvivo) and D3 unitizing, code vs. rest (*u_alpha*)",
            "maxqda_style_segment_level": "D4 segment matching",
            "all_codes_one_variable": "D3 unitizing, all codes as values of one variable",
        }),
    );

    let mut per_code = Map::new();
    for code in data.codes() {
        let mut map = Map::new();
        let chars = data.character_level(code);
        put(&mut map, "char_percent_agreement_all_coders", chars.percent_agreement_all_coders, "char_note");
        if m == 2 {
            let comparisons = data.nvivo(code, 0, 1);
            if let [single] = comparisons.as_slice() {
                map.insert("nvivo".into(), nvivo_json(single));
            } else {
                map.insert("nvivo_per_source".into(), Value::Array(comparisons.iter().map(nvivo_json).collect()));
                map.insert(
                    "nvivo_size_weighted_mean_kappa".into(),
                    num(NvivoComparison::size_weighted_mean_kappa(&comparisons)),
                );
            }
        }
        put(&mut map, "char_kripp_alpha_binary", chars.alpha_binary, "char_alpha_note");
        let u = data.unitizing(Variable::Code(code));
        put(&mut map, "binary_u_alpha_code_vs_rest", u.binary_u_alpha, "binary_note");
        put(&mut map, "u_alpha_code_vs_rest", u.u_alpha, "u_note");
        let band = Band::for_estimate(u.binary_u_alpha);
        map.insert("band_binary_u_alpha".into(), json!({ "colour": band.colour(), "label": band.label() }));
        per_code.insert(code.clone(), Value::Object(map));
    }
    out.insert("per_code".into(), Value::Object(per_code));

    if m == 2
        && let Ok(seg) = data.segment_matching(0, 1, threshold)
    {
        let per_code: Map<String, Value> = seg
            .per_code
            .iter()
            .map(|r| {
                (
                    r.code.clone(),
                    json!({
                        "coder1_segments": r.coder1_segments,
                        "coder1_matched": r.coder1_matched,
                        "coder2_segments": r.coder2_segments,
                        "coder2_matched": r.coder2_matched,
                        "percent_segments_matched": r.percent_segments_matched(),
                    }),
                )
            })
            .collect();
        let mut map = object(json!({
            "threshold_intersection_over_union": seg.threshold,
            "per_code": per_code,
            "table": { "a": seg.a, "b": seg.b, "c": seg.c },
            "p_observed": num(seg.p_observed),
            "p_chance_1_over_codes": num(seg.p_chance),
            "note": "cell d (neither coder) undefined for free segmentation, set to 0",
        }));
        put(&mut map, "kappa_brennan_prediger", seg.kappa_brennan_prediger, "kappa_note");
        out.insert("maxqda_style_segment_level".into(), Value::Object(map));
    }

    let all = data.unitizing(Variable::AllCodes);
    out.insert("all_codes_one_variable".into(), Value::Object(unitizing_json(&all, l_total)));
    out.insert("global_binary_u_alpha_any_code".into(), num(data.unitizing(Variable::AnyCode).binary_u_alpha));

    if !data.domains().is_empty() {
        let by_domain = data.unitizing(Variable::DomainsAsValues);
        let mut map = Map::new();
        put(&mut map, "Cu_alpha_assumed", by_domain.cu_alpha, "cu_note");
        put(&mut map, "u_alpha", by_domain.u_alpha, "u_note");
        put(&mut map, "binary_u_alpha", by_domain.binary_u_alpha, "binary_note");
        map.insert(
            "note".into(),
            json!("Cu-alpha computed as cu-alpha with semantic domains as values; assumption, verify against ATLAS.ti"),
        );
        out.insert("domains_as_values".into(), Value::Object(map));
        let per_domain: Map<String, Value> = data
            .domain_names()
            .into_iter()
            .map(|d| {
                let u = data.unitizing(Variable::Domain(&d));
                (d, Value::Object(unitizing_json(&u, l_total)))
            })
            .collect();
        out.insert("per_domain".into(), Value::Object(per_domain));
    }
    Value::Object(out)
}
