//! The bootstrap (seeded, deterministic, close to the reference computation's unit bootstrap,
//! which used another PRNG) and the interpretation bands. Only the comparison with the
//! reference computation needs `../shared`; every other test builds its data here.

use std::collections::BTreeMap;
use std::fs;

use codeloom::agreement::bands::{Band, LandisKoch};
use codeloom::agreement::bootstrap::{UnitizingCoefficient, bootstrap_alpha, bootstrap_unitizing, quantile};
use codeloom::agreement::cases::{Case, ReportOptions, parse_case, report};
use codeloom::agreement::spans::Variable;
use codeloom::agreement::{
    AgreementError, BootstrapConfig, Estimate, Metric, ReliabilityData, Span, SpanData, SpanDocument, SplitMix64,
    Undefined,
};

mod common;
use common::{DIR, shared_present};

/// Krippendorff (2011) §C: 4 coders × 12 units, values 1–5, with missing values (`.`), as a
/// case file in form A.
const KRIPP2011: &str = r#"{"coders": ["A", "B", "C", "D"], "units": [
    [1, 1, null, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [null, 5, 5, 5], [null, null, 1, 1], [null, 3, null, null]]}"#;

fn kripp2011() -> ReliabilityData {
    match parse_case(KRIPP2011) {
        Ok(Case::Units(data)) => data,
        other => panic!("not a form A case: {other:?}"),
    }
}

fn units_case(name: &str) -> ReliabilityData {
    let text = fs::read_to_string(format!("{DIR}/cases/{name}.json")).expect("case");
    match parse_case(&text) {
        Ok(Case::Units(data)) => data,
        other => panic!("not a form A case: {other:?}"),
    }
}

#[test]
fn splitmix64_matches_the_published_sequence() {
    // Reference values of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
    let mut rng = SplitMix64::new(1234567);
    let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
    assert_eq!(first, vec![6457827717110365317, 3203168211198807973, 9817491932198370423]);
    let mut rng = SplitMix64::new(0);
    assert!((0..10_000).all(|_| rng.below(7) < 7));
}

#[test]
fn bootstrap_is_deterministic() {
    let data = kripp2011();
    let config = BootstrapConfig { resamples: 1000, seed: 11 };
    let a = bootstrap_alpha(&data, Metric::Nominal, config).expect("bootstrap");
    let b = bootstrap_alpha(&data, Metric::Nominal, config).expect("bootstrap");
    assert_eq!(a, b);
    let c = bootstrap_alpha(&data, Metric::Nominal, BootstrapConfig { resamples: 1000, seed: 12 }).expect("bootstrap");
    assert_ne!(a.ci95, c.ci95);
    assert_eq!(
        bootstrap_alpha(&data, Metric::Nominal, BootstrapConfig { resamples: 0, seed: 1 }),
        Err(AgreementError::NoResamples)
    );
}

/// The reference printed B = 5000, seed 7 with numpy; our PRNG differs, so only closeness is expected.
#[test]
fn bootstrap_is_close_to_the_reference_computation() {
    if !shared_present("bootstrap_is_close_to_the_reference_computation") {
        return;
    }
    let config = BootstrapConfig { resamples: 5000, seed: 7 };
    let cases = [
        ("P9_hayes_krippendorff2007_5x40", Metric::Ordinal, (0.6223348694864848, 0.8417204714622627), 0.0828, 0.823),
        ("P9_hayes_krippendorff2007_5x40", Metric::Nominal, (0.33368073792796193, 0.6019534094808194), 0.999, 1.0),
        ("P1_kripp2011_4x12", Metric::Nominal, (0.42435424354243545, 1.0), 0.3124, 0.6648),
    ];
    for (name, metric, (lo, hi), q667, q8) in cases {
        let b = bootstrap_alpha(&units_case(name), metric, config).expect("bootstrap");
        let (got_lo, got_hi) = b.ci95.expect("ci");
        println!(
            "{name} {metric:?}: ci [{got_lo:.4}, {got_hi:.4}] vs [{lo:.4}, {hi:.4}]; q667 {:?} vs {q667}; q8 {:?} vs {q8}",
            b.p_below_tentative, b.p_below_reliable
        );
        assert!((got_lo - lo).abs() < 0.03 && (got_hi - hi).abs() < 0.03, "{name}: CI too far from the reference");
        assert!((b.p_below_tentative.value().unwrap_or(-1.0) - q667).abs() < 0.03);
        assert!((b.p_below_reliable.value().unwrap_or(-1.0) - q8).abs() < 0.03);
        assert_eq!(b.skipped, 0);
    }
}

#[test]
fn bootstrap_skips_undefined_replicates() {
    // Two units only one of which varies: many resamples have no variation.
    let data = ReliabilityData::new(
        vec!["a".into(), "b".into()],
        vec![vec![Some("x".into()), Some("x".into())], vec![Some("x".into()), Some("y".into())]],
        None,
    )
    .expect("valid");
    let b = bootstrap_alpha(&data, Metric::Nominal, BootstrapConfig { resamples: 1000, seed: 3 }).expect("bootstrap");
    assert!(b.skipped > 0 && b.skipped < 1000, "skipped {}", b.skipped);
    let single = ReliabilityData::new(
        vec!["a".into()],
        vec![vec![Some("x".into())], vec![Some("y".into())], vec![Some("x".into())]],
        None,
    )
    .expect("valid");
    let b = bootstrap_alpha(&single, Metric::Nominal, BootstrapConfig::default()).expect("bootstrap");
    assert_eq!(b.skipped, b.resamples);
    assert_eq!(b.ci95, None);
    assert_eq!(b.p_below_tentative, Estimate::Undefined(Undefined::NoDefinedReplicates));
}

#[test]
fn document_bootstrap_pools_documents() {
    let doc = |spans: &[(&str, u64, u64)]| SpanDocument {
        length: 50,
        spans: spans.iter().map(|&(c, s, e)| Span { coder: c.into(), code: "k".into(), start: s, end: e }).collect(),
    };
    let data = SpanData::new(
        vec!["A".into(), "B".into()],
        vec![doc(&[("A", 0, 10), ("B", 2, 10)]), doc(&[("A", 20, 30), ("B", 20, 35)]), doc(&[("A", 5, 9)])],
        BTreeMap::new(),
    )
    .expect("valid");
    let b = bootstrap_unitizing(
        &data,
        Variable::Code("k"),
        UnitizingCoefficient::Binary,
        BootstrapConfig { resamples: 1000, seed: 5 },
    )
    .expect("bootstrap");
    assert_eq!(b.clusters, 3);
    let (lo, hi) = b.ci95.expect("ci");
    let point = data.unitizing(Variable::Code("k")).binary_u_alpha.value().expect("defined");
    assert!(lo <= point && point <= hi, "{lo} {point} {hi}");
}

#[test]
fn quantile_interpolates_like_numpy() {
    let v = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(quantile(&v, 0.5), Some(2.5));
    assert_eq!(quantile(&v, 0.025), Some(1.075));
    assert_eq!(quantile(&[], 0.5), None);
}

#[test]
fn bands_follow_krippendorffs_cutoffs() {
    assert_eq!(Band::for_estimate(Estimate::Defined(0.8)), Band::Reliable);
    assert_eq!(Band::for_estimate(Estimate::Defined(0.7999)), Band::Tentative);
    assert_eq!(Band::for_estimate(Estimate::Defined(0.667)), Band::Tentative);
    assert_eq!(Band::for_estimate(Estimate::Defined(0.6669)), Band::Unreliable);
    assert_eq!(Band::for_estimate(Estimate::Defined(-0.2)), Band::Unreliable);
    assert_eq!(Band::for_estimate(Estimate::Undefined(Undefined::NoVariation)), Band::Undefined);
    assert_eq!(Band::for_estimate_with_data(Estimate::Defined(0.9), 9, 5), Band::Undefined);
    assert_eq!(Band::for_estimate_with_data(Estimate::Defined(0.9), 10, 4), Band::Undefined);
    assert_eq!(Band::for_estimate_with_data(Estimate::Defined(0.9), 10, 5), Band::Reliable);
    let colours: Vec<&str> =
        [Band::Reliable, Band::Tentative, Band::Unreliable, Band::Undefined].iter().map(|b| b.colour()).collect();
    assert_eq!(colours, ["green", "yellow", "red", "grey"]);
    let lk = |v| LandisKoch::for_estimate(Estimate::Defined(v)).map(LandisKoch::label);
    assert_eq!(lk(-0.1), Some("poor"));
    assert_eq!(lk(0.2), Some("slight"));
    assert_eq!(lk(0.3), Some("fair"));
    assert_eq!(lk(0.5), Some("moderate"));
    assert_eq!(lk(0.7), Some("substantial"));
    assert_eq!(lk(0.9), Some("almost perfect"));
}

#[test]
fn report_includes_the_bootstrap_and_band() {
    let case = parse_case(KRIPP2011).expect("parse");
    let json = report(&case, &ReportOptions::default());
    let boot = &json["bootstrap_alpha_nominal"];
    assert_eq!(boot["B"], 2000);
    assert_eq!(boot["ci95"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["krippendorff_alpha_nominal"]["band"]["colour"], "yellow");
    // α = 113/152 (see agreement_hand_values.rs), inside its own bootstrap interval.
    let alpha = json["krippendorff_alpha_nominal"]["value"].as_f64().expect("α");
    assert!((alpha - 113.0 / 152.0).abs() < 1e-9, "{alpha}");
    let ci: Vec<f64> = boot["ci95"].as_array().expect("ci").iter().filter_map(|v| v.as_f64()).collect();
    assert!(ci[0] <= alpha && alpha <= ci[1], "{ci:?}");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for bad in [
        "",
        "[]",
        r#"{"coders": ["a"]}"#,
        r#"{"coders": ["a", "b"], "units": [["x"]]}"#,
        r#"{"coders": ["a", "a"], "units": [["x", "y"]]}"#,
        r#"{"coders": ["a", "b"], "units": [["x", "z"]], "categories": ["x", "y"]}"#,
        r#"{"coders": ["a", "b"], "units": [[["x"], "y"]]}"#,
        r#"{"coders": ["a"], "continuum_length": 5, "spans": [{"coder": "b", "code": "k", "start": 0, "end": 1}]}"#,
        r#"{"coders": ["a"], "continuum_length": 5, "spans": [{"coder": "a", "code": "k", "start": 3, "end": 9}]}"#,
        r#"{"coders": ["a"], "continuum_length": 5, "spans": [{"coder": "a", "code": "k", "start": 3, "end": 2}]}"#,
        r#"{"coders": ["a"], "continuum_length": 5, "spans": [], "segment_overlap_threshold": 0}"#,
        r#"{"coders": ["a"], "continuum_length": 5, "spans": [{"coder": "a", "code": "k", "start": -1, "end": 2}]}"#,
    ] {
        assert!(parse_case(bad).is_err(), "accepted: {bad}");
    }
}

#[test]
fn overlapping_codes_make_multi_valued_alphas_not_computable() {
    let span = |coder: &str, code: &str, start, end| Span { coder: coder.into(), code: code.into(), start, end };
    let data = SpanData::new(
        vec!["A".into(), "B".into()],
        vec![SpanDocument {
            length: 30,
            spans: vec![span("A", "x", 0, 10), span("A", "y", 5, 15), span("B", "x", 0, 10), span("B", "y", 10, 15)],
        }],
        BTreeMap::new(),
    )
    .expect("valid");
    let all = data.unitizing(Variable::AllCodes);
    assert_eq!(all.u_alpha, Estimate::Undefined(Undefined::OverlappingCodes));
    assert_eq!(all.cu_alpha, Estimate::Undefined(Undefined::OverlappingCodes));
    // Per-code and any-code statistics stay available.
    assert!(data.unitizing(Variable::Code("x")).binary_u_alpha.is_defined());
    assert!(data.unitizing(Variable::AnyCode).binary_u_alpha.is_defined());
}
