//! Property tests: swapping coders and reordering units change nothing; identical coding with
//! variation gives α = 1; the unitizing coefficients reduce to ordinary α as AGREEMENT.md §1.7
//! states (checks 1 and 2) and do not depend on coder order.

use std::collections::BTreeMap;

use codeloom::agreement::spans::Variable;
use codeloom::agreement::stats::{UnitsReport, krippendorff_alpha, krippendorff_alpha_nominal, units_report};
use codeloom::agreement::{Estimate, Metric, ReliabilityData, Span, SpanData, SpanDocument};
use proptest::prelude::*;

const EPS: f64 = 1e-10;

fn same(a: Estimate, b: Estimate) -> bool {
    match (a.value(), b.value()) {
        (Some(x), Some(y)) => (x - y).abs() <= EPS,
        (None, None) => true,
        _ => false,
    }
}

/// The order-free statistics of a report (Light's κ only as its mean).
fn summary(r: &UnitsReport) -> Vec<Estimate> {
    let mut v = vec![
        r.percent_agreement.pairwise_mean,
        r.percent_agreement.pairwise_pooled,
        r.percent_agreement.all_coders_agree,
        r.alpha_nominal.value(),
        r.gwet_ac1.value,
        r.brennan_prediger.value,
        r.fleiss_complete.value,
        r.fleiss_generalized.value,
    ];
    v.extend(r.fleiss_complete.category_kappa.iter().copied());
    v.extend(r.alpha_other.iter().map(|(_, e)| *e));
    v.extend(r.cohen_kappa.iter().map(|c| c.value));
    v.extend(r.scott_pi.iter().map(|c| c.value));
    v.extend(r.light_kappa.iter().map(|l| l.value));
    v
}

fn assert_same_report(a: &UnitsReport, b: &UnitsReport) -> Result<(), TestCaseError> {
    let (x, y) = (summary(a), summary(b));
    prop_assert_eq!(x.len(), y.len());
    for (i, (p, q)) in x.iter().zip(&y).enumerate() {
        prop_assert!(same(*p, *q), "statistic {} differs: {:?} vs {:?}", i, p, q);
    }
    Ok(())
}

fn data(m: usize, q: usize, rows: Vec<Vec<Option<usize>>>) -> ReliabilityData {
    let coders = (0..m).map(|i| format!("c{i}")).collect();
    let categories = (1..=q).map(|k| k.to_string()).collect();
    ReliabilityData::from_indices(coders, categories, true, rows).expect("valid indices")
}

/// (m, q, rows): m coders, q numeric categories, rows with missing values.
fn reliability() -> impl Strategy<Value = (usize, usize, Vec<Vec<Option<usize>>>)> {
    (2usize..=5, 2usize..=4, 1usize..=20).prop_flat_map(|(m, q, n)| {
        let cell = prop_oneof![1 => Just(None), 4 => (0..q).prop_map(Some)];
        (Just(m), Just(q), prop::collection::vec(prop::collection::vec(cell, m), n))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn swapping_coders_changes_nothing((m, q, rows) in reliability(), seed in any::<u64>()) {
        let d = data(m, q, rows);
        let mut order: Vec<usize> = (0..m).collect();
        // A seeded permutation (Fisher–Yates with a simple LCG).
        let mut s = seed | 1;
        for i in (1..m).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let swapped = d.with_coder_order(&order).expect("permutation");
        assert_same_report(&units_report(&d), &units_report(&swapped))?;
    }

    #[test]
    fn unit_order_does_not_matter((m, q, rows) in reliability(), seed in any::<u64>()) {
        let d = data(m, q, rows);
        let n = d.n_units();
        let mut order: Vec<usize> = (0..n).collect();
        let mut s = seed | 1;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let shuffled = d.with_units(&order).expect("permutation");
        assert_same_report(&units_report(&d), &units_report(&shuffled))?;
    }

    #[test]
    fn identical_coding_with_variation_gives_alpha_one(
        m in 2usize..=5,
        truth in prop::collection::vec(0usize..3, 2..25),
        missing in prop::collection::vec(prop::collection::vec(any::<bool>(), 5), 25),
    ) {
        prop_assume!(truth.iter().any(|&v| v != truth[0]));
        // Every coder gives the true value; some coders skip units, but every unit keeps >= 2 values.
        let rows: Vec<Vec<Option<usize>>> = truth
            .iter()
            .zip(&missing)
            .map(|(&v, skip)| (0..m).map(|i| if i >= 2 && skip[i] { None } else { Some(v) }).collect())
            .collect();
        let d = data(m, 3, rows);
        for metric in [Metric::Nominal, Metric::Ordinal, Metric::Interval, Metric::Ratio] {
            let a = krippendorff_alpha(&d, metric).expect("numeric categories");
            prop_assert_eq!(a.value(), Estimate::Defined(1.0), "{:?}", metric);
        }
        let r = units_report(&d);
        prop_assert_eq!(r.percent_agreement.pairwise_mean, Estimate::Defined(1.0));
        prop_assert_eq!(r.percent_agreement.all_coders_agree, Estimate::Defined(1.0));
        prop_assert!(same(r.gwet_ac1.value, Estimate::Defined(1.0)));
        prop_assert!(same(r.fleiss_generalized.value, Estimate::Defined(1.0)));
        if let Some(c) = &r.cohen_kappa {
            prop_assert!(same(c.value, Estimate::Defined(1.0)));
        }
    }

    #[test]
    fn identical_coding_without_variation_is_undefined(m in 2usize..=5, n in 1usize..10, v in 0usize..3) {
        let d = data(m, 3, vec![vec![Some(v); m]; n]);
        prop_assert!(!krippendorff_alpha_nominal(&d).value().is_defined());
        prop_assert!(!units_report(&d).fleiss_generalized.value.is_defined());
    }
}

/// Spans on even positions only (so no two spans of one coder touch): (m, L, spans per coder as
/// (position, code)).
fn sparse_spans() -> impl Strategy<Value = (usize, u64, Vec<Vec<(u64, usize)>>)> {
    (2usize..=4, 4u64..=40).prop_flat_map(|(m, len)| {
        let half = len / 2;
        let coder = prop::collection::btree_map(0..half, 0usize..3, 0..=(half as usize))
            .prop_map(|map| map.into_iter().map(|(p, c)| (2 * p, c)).collect::<Vec<_>>());
        (Just(m), Just(len), prop::collection::vec(coder, m))
    })
}

fn span_data(m: usize, len: u64, per_coder: &[Vec<(u64, usize)>]) -> SpanData {
    let coders: Vec<String> = (0..m).map(|i| format!("c{i}")).collect();
    let spans = per_coder
        .iter()
        .enumerate()
        .flat_map(|(i, spans)| {
            spans.iter().map(move |&(p, c)| Span {
                coder: format!("c{i}"),
                code: format!("k{c}"),
                start: p,
                end: p + 1,
            })
        })
        .collect();
    SpanData::new(coders, vec![SpanDocument { length: len, spans }], BTreeMap::new()).expect("valid spans")
}

fn characters_as_units(m: usize, len: u64, per_coder: &[Vec<(u64, usize)>]) -> ReliabilityData {
    let coders = (0..m).map(|i| format!("c{i}")).collect();
    let units = (0..len)
        .map(|pos| {
            per_coder
                .iter()
                .map(|spans| {
                    Some(spans.iter().find(|(p, _)| *p == pos).map_or("gap".to_string(), |(_, c)| format!("k{c}")))
                })
                .collect()
        })
        .collect();
    ReliabilityData::new(coders, units, None).expect("valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// AGREEMENT.md §1.7 check 2: with every valued unit of length 1, uα equals character-level α
    /// with "gap" as a value.
    #[test]
    fn u_alpha_with_unit_length_one_is_character_alpha((m, len, spans) in sparse_spans()) {
        let u = span_data(m, len, &spans).unitizing(Variable::AllCodes).u_alpha;
        let a = krippendorff_alpha_nominal(&characters_as_units(m, len, &spans)).value();
        prop_assert!(same(u, a), "uα {:?} vs α {:?}", u, a);
    }

    /// AGREEMENT.md §1.7 check 1: with identical boundaries and units of length 1, cuα equals
    /// nominal α over the units.
    #[test]
    fn cu_alpha_with_identical_boundaries_is_nominal_alpha(
        m in 2usize..=4,
        codes in prop::collection::btree_map(0u64..20, prop::collection::vec(0usize..3, 4), 1..20),
    ) {
        let len = 40;
        let per_coder: Vec<Vec<(u64, usize)>> =
            (0..m).map(|i| codes.iter().map(|(&p, cs)| (2 * p, cs[i])).collect()).collect();
        let result = span_data(m, len, &per_coder).unitizing(Variable::AllCodes);
        let coders = (0..m).map(|i| format!("c{i}")).collect();
        let units = codes.values().map(|cs| (0..m).map(|i| Some(format!("k{}", cs[i]))).collect()).collect();
        let alpha = krippendorff_alpha_nominal(&ReliabilityData::new(coders, units, None).expect("valid")).value();
        match (result.cu_alpha.value(), alpha.value()) {
            (Some(x), Some(y)) => prop_assert!((x - y).abs() <= EPS, "cuα {} vs α {}", x, y),
            (x, y) => prop_assert!(x.is_none() && y.is_none(), "cuα {:?} vs α {:?}", x, y),
        }
    }

    #[test]
    fn unitizing_does_not_depend_on_coder_order((m, len, spans) in sparse_spans()) {
        let forward = span_data(m, len, &spans);
        let reversed: Vec<Vec<(u64, usize)>> = spans.iter().rev().cloned().collect();
        let backward = span_data(m, len, &reversed);
        for variable in [Variable::AllCodes, Variable::AnyCode, Variable::Code("k0")] {
            let (a, b) = (forward.unitizing(variable), backward.unitizing(variable));
            prop_assert!(same(a.u_alpha, b.u_alpha));
            prop_assert!(same(a.binary_u_alpha, b.binary_u_alpha));
            prop_assert!(same(a.cu_alpha, b.cu_alpha));
            for (x, y) in a.k_u_alpha.iter().zip(&b.k_u_alpha) {
                prop_assert!(same(*x, *y));
            }
        }
    }

    /// |uα equals uα after relabelling every valued segment with one common value (§1.7).
    #[test]
    fn binary_u_alpha_is_u_alpha_of_relabelled_data((m, len, spans) in sparse_spans()) {
        let all = span_data(m, len, &spans).unitizing(Variable::AllCodes);
        let relabelled: Vec<Vec<(u64, usize)>> =
            spans.iter().map(|s| s.iter().map(|&(p, _)| (p, 0)).collect()).collect();
        let one = span_data(m, len, &relabelled).unitizing(Variable::AllCodes);
        prop_assert!(same(all.binary_u_alpha, one.u_alpha), "{:?} vs {:?}", all.binary_u_alpha, one.u_alpha);
    }

    #[test]
    fn identical_spans_with_variation_give_u_alpha_one(
        m in 2usize..=4,
        coded in prop::collection::btree_map(0u64..20, 0usize..3, 1..15),
    ) {
        let per_coder: Vec<Vec<(u64, usize)>> = (0..m).map(|_| coded.iter().map(|(&p, &c)| (2 * p, c)).collect()).collect();
        let u = span_data(m, 40, &per_coder).unitizing(Variable::AllCodes);
        prop_assert_eq!(u.u_alpha, Estimate::Defined(1.0));
        prop_assert_eq!(u.binary_u_alpha, Estimate::Defined(1.0));
    }
}
