//! Every agreement statistic against a value worked out by hand or taken from a published
//! example, with no file from outside the repository. Each expected value is an exact fraction
//! derived here (the arithmetic is in the comments) and compared to 1e-9; where the example is
//! published, the rounded published figure is cited next to it.
//!
//! Sources of the data (transcribed from the publications, not from any reference file):
//! Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability" §C (4 coders × 12 units);
//! Cohen (1960) p. 45; Fleiss (1971) p. 379; Brennan & Prediger (1981) p. 689, example 1;
//! Krippendorff (2004) Content Analysis p. 246 (tables 4a/4b); Gwet's kappa-paradox table
//! (Gwet 2008); Krippendorff (1995) p. 57 pair A; NVivo Help's coding comparison example.

use std::collections::BTreeMap;

use codeloom::agreement::bootstrap::summarise;
use codeloom::agreement::spans::{NvivoComparison, Variable};
use codeloom::agreement::stats::{
    brennan_prediger, cohen_kappa, fleiss_kappa_complete, fleiss_kappa_generalized, gwet_ac1, krippendorff_alpha,
    light_kappa, percent_agreement, prevalence, scott_pi, units_report,
};
use codeloom::agreement::{
    CoincidenceMatrix, Estimate, Metric, ReliabilityData, Span, SpanData, SpanDocument, Undefined,
};

const TOL: f64 = 1e-9;

/// `actual` is defined and within 1e-9 of `expected`.
#[track_caller]
fn close(actual: Estimate, expected: f64) {
    match actual {
        Estimate::Defined(v) => assert!((v - expected).abs() <= TOL, "got {v}, expected {expected}"),
        Estimate::Undefined(why) => panic!("undefined ({why}), expected {expected}"),
    }
}

#[track_caller]
fn close_f(actual: Option<f64>, expected: f64) {
    close(actual.map_or(Estimate::Undefined(Undefined::NoPairableUnits), Estimate::Defined), expected);
}

/// Reliability data from one string per coder, values separated by spaces, `.` = missing
/// (the layout of Krippendorff 2011's tables).
fn by_coder(coders: &[&str]) -> ReliabilityData {
    let columns: Vec<Vec<&str>> = coders.iter().map(|c| c.split_whitespace().collect()).collect();
    let units = (0..columns[0].len())
        .map(|u| columns.iter().map(|col| (col[u] != ".").then(|| col[u].to_string())).collect())
        .collect();
    ReliabilityData::new((0..coders.len()).map(|i| format!("c{i}")).collect(), units, None).expect("valid data")
}

/// Two coders from a contingency table: `count` units coded `a` by the first and `b` by the second.
fn two_coder_table(cells: &[(&str, &str, usize)]) -> ReliabilityData {
    let units = cells
        .iter()
        .flat_map(|&(a, b, n)| std::iter::repeat_n(vec![Some(a.to_string()), Some(b.to_string())], n))
        .collect();
    ReliabilityData::new(vec!["A".into(), "B".into()], units, None).expect("valid table")
}

/// Krippendorff (2011) §C: 4 coders × 12 units, values 1–5, with missing values.
fn kripp2011() -> ReliabilityData {
    by_coder(&[
        "1 2 3 3 2 1 4 1 2 . . .",
        "1 2 3 3 2 2 4 1 2 5 . 3",
        ". 3 3 3 2 3 4 2 2 5 1 .",
        "1 2 3 3 2 4 4 1 2 5 1 .",
    ])
}

/// Three coders × six units, binary, no missing value: small enough to do every statistic by hand.
///
/// ```text
///        u1 u2 u3 u4 u5 u6
///   A     1  1  0  0  1  0
///   B     1  1  0  1  0  0
///   C     1  0  0  0  1  0
/// ```
fn three_coders() -> ReliabilityData {
    by_coder(&["1 1 0 0 1 0", "1 1 0 1 0 0", "1 0 0 0 1 0"])
}

#[test]
fn krippendorff_2011_alpha_in_all_four_metrics() {
    let data = kripp2011();
    // Coincidences (Krippendorff 2011, p. 7), n = 40 pairable values: o11 = 7, o22 = 10,
    // o33 = 8, o44 = 4, o55 = 3, o12 = o23 = 4/3, o13 = o14 = o24 = o34 = 1/3; margins
    // n_c = 9, 13, 10, 5, 3.
    let nominal = krippendorff_alpha(&data, Metric::Nominal).expect("nominal");
    let o = &nominal.coincidences;
    assert_eq!((o.q(), o.get(5, 0), o.get(0, 5), o.get(5, 5)), (5, 0.0, 0.0, 0.0), "outside the matrix: 0");
    for (c, k, want) in [(0, 0, 7.0), (1, 1, 10.0), (2, 2, 8.0), (0, 1, 4.0 / 3.0), (2, 3, 1.0 / 3.0), (4, 4, 3.0)] {
        assert!((o.get(c, k) - want).abs() < TOL, "o[{c}][{k}] = {}", o.get(c, k));
    }
    for (got, want) in o.margins().iter().zip([9.0, 13.0, 10.0, 5.0, 3.0]) {
        assert!((got - want).abs() < TOL, "margin {got}, expected {want}");
    }
    // Nominal: D_o = 8/40 = 1/5; D_e = (40² − Σn_c²)/(40·39) = (1600 − 384)/1560 = 152/195;
    // α = 1 − (1/5)(195/152) = 1 − 39/152 = 113/152 (published .743).
    close_f(nominal.parts.d_o, 1.0 / 5.0);
    close_f(nominal.parts.d_e, 152.0 / 195.0);
    close(nominal.value(), 113.0 / 152.0);
    // Ordinal: δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)², e.g. δ²_12 = (22 − 11)² = 121,
    // δ²_15 = (40 − 6)² = 1156; D_o = Σ o_ck δ²_ck / n = 1891/40, D_e = Σ n_c n_k δ²_ck /
    // (n(n − 1)) = 3329/13; α = 1 − (1891/40)(13/3329) = 108577/133160 (published .815).
    let ordinal = krippendorff_alpha(&data, Metric::Ordinal).expect("ordinal");
    close_f(ordinal.parts.d_o, 1891.0 / 40.0);
    close_f(ordinal.parts.d_e, 3329.0 / 13.0);
    close(ordinal.value(), 108_577.0 / 133_160.0);
    // Interval: δ² = (c − k)²; Σ o_ck δ²_ck = 2(4/3 + 4/3) + 2(1/3)(4 + 9 + 4 + 1) = 52/3,
    // D_o = (52/3)/40 = 13/30, D_e = 112/39; α = 1 − (13/30)(39/112) = 951/1120 (published .849).
    let interval = krippendorff_alpha(&data, Metric::Interval).expect("interval");
    close_f(interval.parts.d_o, 13.0 / 30.0);
    close_f(interval.parts.d_e, 112.0 / 39.0);
    close(interval.value(), 951.0 / 1120.0);
    // Ratio: δ² = ((c − k)/(c + k))²; D_o = 59357/2646000, D_e = 4570493/41277600;
    // α = 18222619/22852465 (published .797).
    let ratio = krippendorff_alpha(&data, Metric::Ratio).expect("ratio");
    close_f(ratio.parts.d_o, 59_357.0 / 2_646_000.0);
    close_f(ratio.parts.d_e, 4_570_493.0 / 41_277_600.0);
    close(ratio.value(), 18_222_619.0 / 22_852_465.0);
}

#[test]
fn krippendorff_2011_percent_agreement_ac1_brennan_prediger_and_fleiss() {
    let data = kripp2011();
    // Eleven pairable units (unit 12 has one value). Share of agreeing ordered pairs per unit:
    // units 1, 3, 4, 5, 7, 9, 10, 11 agree fully (1); unit 2: 6/12 = 1/2; unit 6: 0;
    // unit 8: 6/12 = 1/2. Pairwise mean = (8 + 1/2 + 1/2)/11 = 9/11 (Gwet: .81818).
    // Pooled: agreeing ordered pairs over all ordered pairs (12 per unit with four values, 6
    // with three, 2 with two) = 86/110 = 43/55.
    // All coders agree in 8 of 11 units.
    let pa = percent_agreement(&data);
    assert_eq!(pa.n_pairable_units, 11);
    close(pa.pairwise_mean, 9.0 / 11.0);
    close(pa.pairwise_pooled, 43.0 / 55.0);
    close(pa.all_coders_agree, 8.0 / 11.0);
    // π_k = mean over the 12 units with a value of n_uk / r_u:
    // π = (1/4, 13/48, 7/24, 5/48, 1/12). AC1: pe = Σ π_k(1 − π_k)/(q − 1) with q = 5:
    // Σ π_k(1 − π_k) = 877/1152, pe = 877/4608; AC1 = (9/11 − 877/4608)/(1 − 877/4608)
    // = 31825/41041 (Gwet: .77544, pe .19032).
    let ac1 = gwet_ac1(&data);
    assert_eq!(ac1.q, 5);
    close_f(ac1.pe, 877.0 / 4608.0);
    close(ac1.value, 31_825.0 / 41_041.0);
    // Brennan–Prediger: (9/11 − 1/5)/(4/5) = 17/22.
    close(brennan_prediger(&data).value, 17.0 / 22.0);
    // Fleiss generalised (Gwet 2014): pe = Σ π_k² = 275/1152; κ = (9/11 − 275/1152)/(877/1152)
    // = 7343/9647 (irrCAC: .76117, pe .23872).
    let generalised = fleiss_kappa_generalized(&data);
    close_f(generalised.pe, 275.0 / 1152.0);
    close(generalised.value, 7343.0 / 9647.0);
    // Fleiss on the 8 complete units (units 2–9): P̄ = (6 × 1 + 1/2 + 0 + 1/2)/8 = 3/4,
    // p_j = (4, 13, 10, 5, 0)/32, P̄_e = (16 + 169 + 100 + 25)/1024 = 155/512;
    // κ = (3/4 − 155/512)/(357/512) = 229/357.
    let complete = fleiss_kappa_complete(&data);
    assert_eq!(complete.n_units_used, 8);
    close_f(complete.po, 3.0 / 4.0);
    close_f(complete.pe, 155.0 / 512.0);
    close(complete.value, 229.0 / 357.0);
    // Category κ_j = 1 − Σ n_ij(m − n_ij) / (N m (m − 1) p_j (1 − p_j)):
    // 3/7, 151/247, 39/55, 103/135; category 5 never occurs in a complete unit: undefined.
    let cats: Vec<Estimate> = complete.category_kappa.clone();
    for (got, want) in cats.iter().zip([3.0 / 7.0, 151.0 / 247.0, 39.0 / 55.0, 103.0 / 135.0]) {
        close(*got, want);
    }
    assert_eq!(cats[4], Estimate::Undefined(Undefined::CategoryNotVarying));
    // Light's κ: the mean of the six pairwise Cohen κ over the units both coders coded:
    // AB 49/58, AC 11/23, AD 17/20, BC 32/59, BD 67/77, CD 8/13.
    let light = light_kappa(&data);
    let pairs = [49.0 / 58.0, 11.0 / 23.0, 17.0 / 20.0, 32.0 / 59.0, 67.0 / 77.0, 8.0 / 13.0];
    for ((_, got), want) in light.pairwise.iter().zip(pairs) {
        close(*got, want);
    }
    assert_eq!(light.n_pairs_undefined, 0);
    close(light.value, pairs.iter().sum::<f64>() / 6.0);
    // Prevalence among pairable values: n_c / n = (9, 13, 10, 5, 3)/40.
    let prev = prevalence(&data).expect("pairable values");
    assert_eq!(prev.len(), 5);
    for (got, want) in prev.iter().zip([9.0, 13.0, 10.0, 5.0, 3.0]) {
        assert!((got - want / 40.0).abs() < TOL, "{prev:?}");
    }
}

#[test]
fn three_coders_by_hand() {
    let data = three_coders();
    // Per unit, agreeing ordered pairs of 6: u1 6, u2 2, u3 6, u4 2, u5 2, u6 6 → P̄ = 24/36 = 2/3.
    // All agree: u1, u3, u6 → 1/2.
    let pa = percent_agreement(&data);
    close(pa.pairwise_mean, 2.0 / 3.0);
    close(pa.pairwise_pooled, 2.0 / 3.0);
    close(pa.all_coders_agree, 1.0 / 2.0);
    // Coincidences: u1 → o11 += 3; u2 (1,1,0) → o11 += 1, o10 = o01 += 1; u3 → o00 += 3;
    // u4 (0,1,0) → o00 += 1, o01 = o10 += 1; u5 (1,0,1) → o11 += 1, o01 = o10 += 1; u6 → o00 += 3.
    // o00 = 7, o11 = 5, o01 = o10 = 3; n = 18, n0 = 10, n1 = 8.
    // α = [(n − 1)Σo_cc − Σn_c(n_c − 1)] / [n(n − 1) − Σn_c(n_c − 1)]
    //   = [17·12 − (90 + 56)] / [306 − 146] = 58/160 = 29/80.
    let alpha = krippendorff_alpha(&data, Metric::Nominal).expect("α");
    close(alpha.value(), 29.0 / 80.0);
    // Pooling adds matrices: the same data three times over is o × 3 (n = 54), and α becomes
    // [53·36 − (30·29 + 24·23)]/[54·53 − 1422] = 486/1440 = 27/80.
    let mut pooled = CoincidenceMatrix::new(2);
    pooled.add_matrix(&alpha.coincidences, 3.0);
    assert_eq!([pooled.get(0, 0), pooled.get(0, 1), pooled.get(1, 1), pooled.total()], [21.0, 9.0, 15.0, 54.0]);
    close(pooled.alpha(Metric::Nominal, None).expect("nominal").value, 27.0 / 80.0);
    // Fleiss: p_1 = 8/18 = 4/9, P̄_e = 16/81 + 25/81 = 41/81; κ = (2/3 − 41/81)/(40/81) = 13/40.
    // With two categories, each category κ_j equals κ: 1 − 6/(6·3·2·(4/9)(5/9)) = 13/40.
    let fleiss = fleiss_kappa_complete(&data);
    close(fleiss.value, 13.0 / 40.0);
    close(fleiss.category_kappa[0], 13.0 / 40.0);
    close(fleiss.category_kappa[1], 13.0 / 40.0);
    close(fleiss_kappa_generalized(&data).value, 13.0 / 40.0);
    // AC1: π_1 = 4/9, pe = 2·(4/9)(5/9)/(2 − 1) = 40/81; AC1 = (2/3 − 40/81)/(41/81) = 14/41.
    close(gwet_ac1(&data).value, 14.0 / 41.0);
    // Brennan–Prediger: (2/3 − 1/2)/(1/2) = 1/3.
    close(brennan_prediger(&data).value, 1.0 / 3.0);
    // Cohen per pair. AB: P_o = 4/6, marginals 1/2 and 1/2, P_e = 1/2 → κ = 1/3.
    // AC: P_o = 5/6, marginals 1/2 and 1/3, P_e = 1/6 + 1/3 = 1/2 → κ = 2/3.
    // BC: P_o = 3/6, P_e = 1/2 → κ = 0. Light's κ = (1/3 + 2/3 + 0)/3 = 1/3.
    close(cohen_kappa(&data, 0, 1).value, 1.0 / 3.0);
    close(cohen_kappa(&data, 0, 2).value, 2.0 / 3.0);
    close(cohen_kappa(&data, 1, 2).value, 0.0);
    close(light_kappa(&data).value, 1.0 / 3.0);
    // Scott's π for A and C: pooled p_1 = (3 + 2)/12 = 5/12, P_e = 25/144 + 49/144 = 74/144;
    // π = (5/6 − 37/72)/(35/72) = 23/35.
    close(scott_pi(&data, 0, 2).value, 23.0 / 35.0);
    // The full report of three coders has Light's κ and no two-coder coefficient; with two
    // coders (A and C), it is the other way round.
    let r = units_report(&data);
    close(r.light_kappa.expect("three coders").value, 1.0 / 3.0);
    assert!(r.cohen_kappa.is_none() && r.scott_pi.is_none());
    close(r.alpha_nominal.value(), 29.0 / 80.0);
    close(r.fleiss_complete.value, 13.0 / 40.0);
    // With two values every metric's δ² is one constant for c ≠ k, so α is the same in all.
    let metrics: Vec<Metric> = r.alpha_other.iter().map(|(m, _)| *m).collect();
    assert_eq!(metrics, [Metric::Ordinal, Metric::Interval, Metric::Ratio]);
    for (_, a) in &r.alpha_other {
        close(*a, 29.0 / 80.0);
    }
    let r = units_report(&by_coder(&["1 1 0 0 1 0", "1 0 0 0 1 0"]));
    assert!(r.light_kappa.is_none());
    close(r.cohen_kappa.expect("two coders").value, 2.0 / 3.0);
    close(r.scott_pi.expect("two coders").value, 23.0 / 35.0);
    let prev = r.prevalence.expect("pairable values");
    assert!((prev[0] - 7.0 / 12.0).abs() < TOL && (prev[1] - 5.0 / 12.0).abs() < TOL, "{prev:?}");
}

#[test]
fn units_without_any_value_are_ignored() {
    // The three-coder example with two units nobody coded: every statistic is unchanged
    // (AGREEMENT.md §3: "unit with no values at all: ignored"), including AC1's π_k, whose
    // N₁ counts only units with a value.
    let data = by_coder(&["1 . 1 0 0 1 0 .", "1 . 1 0 1 0 0 .", "1 . 0 0 0 1 0 ."]);
    assert_eq!(data.n_units(), 8);
    let pa = percent_agreement(&data);
    assert_eq!(pa.n_pairable_units, 6);
    close(pa.pairwise_mean, 2.0 / 3.0);
    close(krippendorff_alpha(&data, Metric::Nominal).expect("α").value(), 29.0 / 80.0);
    close(gwet_ac1(&data).value, 14.0 / 41.0);
    close(fleiss_kappa_generalized(&data).value, 13.0 / 40.0);
    close(fleiss_kappa_complete(&data).value, 13.0 / 40.0);
    close(brennan_prediger(&data).value, 1.0 / 3.0);
    close(light_kappa(&data).value, 1.0 / 3.0);
}

#[test]
fn cohen_1960_table() {
    // Cohen (1960, p. 45), 200 units, 3 categories. Rows (judge 1): 120, 60, 20; columns
    // (judge 2): 100, 60, 40. P_o = (88 + 40 + 12)/200 = 0.70;
    // P_e = (120·100 + 60·60 + 20·40)/200² = 0.41; κ = 0.29/0.59 = 29/59 (published .492).
    let data = two_coder_table(&[
        ("1", "1", 88),
        ("1", "2", 14),
        ("1", "3", 18),
        ("2", "1", 10),
        ("2", "2", 40),
        ("2", "3", 10),
        ("3", "1", 2),
        ("3", "2", 6),
        ("3", "3", 12),
    ]);
    let kappa = cohen_kappa(&data, 0, 1);
    assert_eq!(kappa.n, 200);
    close_f(kappa.po, 0.7);
    close_f(kappa.pe, 0.41);
    close(kappa.value, 29.0 / 59.0);
    // Scott: pooled proportions (220, 120, 60)/400; P_e = .3025 + .09 + .0225 = .415;
    // π = .285/.585 = 19/39. Fleiss's κ on two coders is Scott's π.
    let pi = scott_pi(&data, 0, 1);
    close_f(pi.pe, 0.415);
    close(pi.value, 19.0 / 39.0);
    close(fleiss_kappa_complete(&data).value, 19.0 / 39.0);
    close(fleiss_kappa_generalized(&data).value, 19.0 / 39.0);
    // Fleiss category κ_j = 1 − (disagreeing pairs in j)/(N·2·p_j(1 − p_j)):
    // j = 1: 1 − 44/(200·2·.55·.45) = 5/9; j = 2: 1 − 30/(400·.3·.7) = 11/21;
    // j = 3: 1 − 36/(400·.15·.85) = 5/17.
    let cats = fleiss_kappa_complete(&data).category_kappa;
    close(cats[0], 5.0 / 9.0);
    close(cats[1], 11.0 / 21.0);
    close(cats[2], 5.0 / 17.0);
    // AC1 (Gwet 2008 from the same table, published .5760): π_k = (.55, .3, .15),
    // pe = (.2475 + .21 + .1275)/(3 − 1) = .2925; AC1 = .4075/.7075 = 163/283.
    let ac1 = gwet_ac1(&data);
    close_f(ac1.pe, 0.2925);
    close(ac1.value, 163.0 / 283.0);
    // Brennan–Prediger: (.7 − 1/3)/(2/3) = .55.
    close(brennan_prediger(&data).value, 0.55);
    // α with two coders and no missing data: 1 − ((n − 1)/n)(1 − P_o)/(1 − P_e^π), n = 400:
    // 1 − (399/400)(.3/.585) = 127/260.
    close(krippendorff_alpha(&data, Metric::Nominal).expect("α").value(), 127.0 / 260.0);
}

#[test]
fn fleiss_1971_psychiatric_diagnoses() {
    // Fleiss (1971, p. 379): 30 subjects, 6 ratings each, 5 diagnoses. One string per subject.
    let subjects = "444444 222555 233335 555555 222444 113333 333355 113334 114444 555555 \
                    144444 124444 222333 144444 224445 333335 111455 111112 224444 133555 \
                    555555 244444 224555 114444 144445 222224 111155 224444 133333 555555";
    let units: Vec<Vec<Option<String>>> =
        subjects.split_whitespace().map(|s| s.chars().map(|c| Some(c.to_string())).collect()).collect();
    let data = ReliabilityData::new((1..=6).map(|i| format!("r{i}")).collect(), units, None).expect("valid");
    // Column totals 26, 26, 30, 55, 43 of 180 ratings. P̄ = 5/9 (published .5556);
    // P̄_e = (26² + 26² + 30² + 55² + 43²)/180² = 7126/32400 = 3563/16200 (published .2201);
    // κ = (5/9 − 3563/16200)/(12637/16200) = 5437/12637 (published .430).
    let fleiss = fleiss_kappa_complete(&data);
    assert_eq!(fleiss.n_units_used, 30);
    close_f(fleiss.po, 5.0 / 9.0);
    close_f(fleiss.pe, 3563.0 / 16200.0);
    close(fleiss.value, 5437.0 / 12637.0);
    // Category κ_j (published .245, .245, .520, .471, .566): 1 − Σ_i n_ij(6 − n_ij)/(30·6·5·p_j(1 − p_j)).
    // j = 1: p = 26/180, Σ n(6 − n) = 84 → 1 − 84/(900·(26/180)(154/180)) = 35/143.
    let want = [35.0 / 143.0, 35.0 / 143.0, 13.0 / 25.0, 3239.0 / 6875.0, 3335.0 / 5891.0];
    for (got, want) in fleiss.category_kappa.iter().zip(want) {
        close(*got, want);
    }
    // No missing data: the generalised form is the same, and percent agreement is P̄.
    close(fleiss_kappa_generalized(&data).value, 5437.0 / 12637.0);
    close(percent_agreement(&data).pairwise_mean, 5.0 / 9.0);
}

#[test]
fn brennan_prediger_1981_and_krippendorff_2004_tables() {
    // Brennan & Prediger (1981, p. 689), example 1 (proportions × 100):
    // P_o = .6; rows (.5, .3, .2), columns (.8, .1, .1): P_e = .4 + .03 + .02 = .45;
    // κ = .15/.55 = 3/11 (published .27); S = κ_n = (.6 − 1/3)/(2/3) = .4 (published .40).
    let bp81 = two_coder_table(&[("1", "1", 50), ("2", "1", 10), ("2", "2", 10), ("2", "3", 10), ("3", "1", 20)]);
    close(cohen_kappa(&bp81, 0, 1).value, 3.0 / 11.0);
    close(brennan_prediger(&bp81).value, 0.4);
    // Scott: pooled (1.3, .4, .3)/2 → P_e = .4225 + .04 + .0225 = .485; π = .115/.515 = 23/103.
    close(scott_pi(&bp81, 0, 1).value, 23.0 / 103.0);

    // Krippendorff (2004, p. 246): the same π, different κ. Both tables have P_o = .46 and the
    // same pooled margins (.3, .32, .38) → P_e^π = .09 + .1024 + .1444 = .3368,
    // π = .1232/.6632 = 154/829 (published .186); S = (.46 − 1/3)/(2/3) = .19.
    let t4a = two_coder_table(&[
        ("a", "a", 12),
        ("a", "b", 9),
        ("a", "c", 9),
        ("b", "a", 9),
        ("b", "b", 14),
        ("b", "c", 9),
        ("c", "a", 9),
        ("c", "b", 9),
        ("c", "c", 20),
    ]);
    let t4b = two_coder_table(&[
        ("a", "a", 12),
        ("a", "b", 18),
        ("a", "c", 18),
        ("b", "b", 14),
        ("b", "c", 18),
        ("c", "c", 20),
    ]);
    for t in [&t4a, &t4b] {
        close(scott_pi(t, 0, 1).value, 154.0 / 829.0);
        close(brennan_prediger(t).value, 0.19);
        // α = 1 − (199/200)(.54/.6632) = 1259/6632.
        close(krippendorff_alpha(t, Metric::Nominal).expect("α").value(), 1259.0 / 6632.0);
    }
    // κ: 4a has equal marginals, so κ = π = 154/829 (published .186); 4b: rows (.48, .32, .2),
    // columns (.12, .32, .56) → P_e = .0576 + .1024 + .112 = .272, κ = .188/.728 = 47/182
    // (published .258).
    close(cohen_kappa(&t4a, 0, 1).value, 154.0 / 829.0);
    close(cohen_kappa(&t4b, 0, 1).value, 47.0 / 182.0);
}

#[test]
fn gwet_kappa_paradox() {
    // 8 × (y, y), 1 × (n, n), 1 × (y, n): PA .9 but a skewed prevalence.
    let data = two_coder_table(&[("y", "y", 8), ("n", "n", 1), ("y", "n", 1)]);
    // π_y = 17/20, π_n = 3/20; AC1 pe = 2·(17/20)(3/20)/(2 − 1) = 51/200 (published .255);
    // AC1 = (9/10 − 51/200)/(149/200) = 129/149 (published .8658).
    let ac1 = gwet_ac1(&data);
    close_f(ac1.pe, 51.0 / 200.0);
    close(ac1.value, 129.0 / 149.0);
    // Cohen: rows (.9, .1), columns (.8, .2): P_e = .74, κ = .16/.26 = 8/13;
    // Scott: P_e = .85² + .15² = .745, π = .155/.255 = 31/51 (published .6078);
    // α = 1 − (19/20)(.1/.255) = 32/51; B–P = (.9 − .5)/.5 = .8.
    close(cohen_kappa(&data, 0, 1).value, 8.0 / 13.0);
    close(scott_pi(&data, 0, 1).value, 31.0 / 51.0);
    close(krippendorff_alpha(&data, Metric::Nominal).expect("α").value(), 32.0 / 51.0);
    close(brennan_prediger(&data).value, 0.8);
}

#[test]
fn declared_categories_change_only_ac1_and_brennan_prediger() {
    // Gwet's paradox table with a third, unused category declared: q = 3.
    let units: Vec<Vec<Option<String>>> = [("y", "y", 8), ("n", "n", 1), ("y", "n", 1)]
        .iter()
        .flat_map(|&(a, b, n)| std::iter::repeat_n(vec![Some(a.to_string()), Some(b.to_string())], n))
        .collect();
    let data =
        ReliabilityData::new(vec!["A".into(), "B".into()], units, Some(vec!["n".into(), "y".into(), "u".into()]))
            .expect("valid");
    assert_eq!(data.q(), 3);
    // AC1: pe = (2·(17/20)(3/20) + 0)/(3 − 1) = 51/400; AC1 = (9/10 − 51/400)/(349/400) = 309/349.
    close(gwet_ac1(&data).value, 309.0 / 349.0);
    // B–P: (.9 − 1/3)/(2/3) = .85. α and κ do not see the unused category.
    close(brennan_prediger(&data).value, 0.85);
    close(krippendorff_alpha(&data, Metric::Nominal).expect("α").value(), 32.0 / 51.0);
    close(cohen_kappa(&data, 0, 1).value, 8.0 / 13.0);
}

#[test]
fn undefined_statistics_say_why() {
    // Five units, both coders "x": no variation. α: D_e = 0; κ, π: P_e = 1; AC1 and B–P need q ≥ 2.
    let flat = by_coder(&["x x x x x", "x x x x x"]);
    let r = units_report(&flat);
    close(r.percent_agreement.pairwise_mean, 1.0);
    assert_eq!(r.alpha_nominal.value(), Estimate::Undefined(Undefined::NoVariation));
    assert_eq!(r.cohen_kappa.as_ref().map(|k| k.value), Some(Estimate::Undefined(Undefined::ChanceAgreementOne)));
    assert_eq!(r.scott_pi.as_ref().map(|k| k.value), Some(Estimate::Undefined(Undefined::ChanceAgreementOne)));
    assert_eq!(r.gwet_ac1.value, Estimate::Undefined(Undefined::TooFewCategories));
    assert_eq!(r.brennan_prediger.value, Estimate::Undefined(Undefined::TooFewCategories));
    // Declaring {x, y}: q = 2, AC1 pe = 2·1·0/1 = 0 → AC1 = pa = 1; B–P = (1 − 1/2)/(1/2) = 1.
    let units = vec![vec![Some("x".to_string()), Some("x".to_string())]; 5];
    let declared =
        ReliabilityData::new(vec!["a".into(), "b".into()], units, Some(vec!["x".into(), "y".into()])).expect("valid");
    close(gwet_ac1(&declared).value, 1.0);
    close(brennan_prediger(&declared).value, 1.0);
    assert_eq!(
        krippendorff_alpha(&declared, Metric::Nominal).expect("α").value(),
        Estimate::Undefined(Undefined::NoVariation)
    );
    // One coder: nothing is defined, and the reason says so.
    let single = by_coder(&["x y x"]);
    let r = units_report(&single);
    let fewer = Estimate::Undefined(Undefined::FewerThanTwoCoders);
    assert_eq!(r.alpha_nominal.value(), fewer);
    assert_eq!(r.percent_agreement.pairwise_mean, fewer);
    assert_eq!((r.fleiss_complete.value, r.fleiss_complete.n_units_used), (fewer, 0));
    assert_eq!((r.gwet_ac1.value, r.brennan_prediger.value, r.fleiss_generalized.value), (fewer, fewer, fewer));
    assert_eq!(light_kappa(&single).value, fewer);
    // A coder compared with itself, or one that is not there, is not a pair.
    let pair = three_coders();
    assert_eq!((cohen_kappa(&pair, 1, 1).value, cohen_kappa(&pair, 1, 1).n), (fewer, 0));
    assert_eq!(scott_pi(&pair, 0, 3).value, fewer);
    assert_eq!(cohen_kappa(&pair, 7, 0).value, fewer);
    // Light's κ of two coders is their Cohen κ (three_coders_by_hand: A–C, 2/3).
    let two = by_coder(&["1 1 0 0 1 0", "1 0 0 0 1 0"]);
    close(light_kappa(&two).value, 2.0 / 3.0);
    // Two coders who never coded the same unit.
    let disjoint = by_coder(&["x . y .", ". y . x"]);
    let r = units_report(&disjoint);
    assert_eq!(r.percent_agreement.pairwise_mean, Estimate::Undefined(Undefined::NoPairableUnits));
    assert_eq!(r.gwet_ac1.value, Estimate::Undefined(Undefined::NoPairableUnits));
    assert_eq!(r.cohen_kappa.map(|k| k.value), Some(Estimate::Undefined(Undefined::NoUnitsCodedByBoth)));
    assert_eq!(r.fleiss_complete.value, Estimate::Undefined(Undefined::NoCompleteUnits));
    // Light's κ leaves out a pair with an undefined κ and counts it: the third coder shares one
    // unit with each of the others, coded 1 by both (P_e = 1, undefined); the first pair is the
    // three-coder example's A–B, κ = 1/3.
    let light = light_kappa(&by_coder(&["1 1 0 0 1 0", "1 1 0 1 0 0", "1 . . . . ."]));
    assert_eq!(light.n_pairs_undefined, 2);
    close(light.value, 1.0 / 3.0);
}

// ---------------------------------------------------------------------------------------
// Spans (form B).

fn span(coder: &str, code: &str, start: u64, end: u64) -> Span {
    Span { coder: coder.into(), code: code.into(), start, end }
}

fn spans(coders: &[&str], documents: Vec<SpanDocument>) -> SpanData {
    SpanData::new(coders.iter().map(|c| c.to_string()).collect(), documents, BTreeMap::new()).expect("valid spans")
}

/// Krippendorff (1995, p. 57) pair A, L = 24: coder A at [2, 10) and [14, 20); B at [4, 8)
/// and [15, 17).
fn kripp1995_a() -> SpanDocument {
    SpanDocument {
        length: 24,
        spans: vec![span("A", "k", 2, 10), span("A", "k", 14, 20), span("B", "k", 4, 8), span("B", "k", 15, 17)],
    }
}

#[test]
fn kripp1995_pair_a_nvivo_character_alpha_and_binary_unitizing_alpha() {
    let data = spans(&["A", "B"], vec![kripp1995_a()]);
    // NVivo: TU = 24, TA = 14, TB = 6, both 6, neither 24 − 14 = 10; agreement 16 → PA 66.67 %.
    // EF = (14·6 + 10·18)/24 = 11; κ = (16 − 11)/(24 − 11) = 5/13 (DKPro: .385).
    let nvivo = &data.nvivo("k", 0, 1)[0];
    assert_eq!((nvivo.units, nvivo.a, nvivo.b, nvivo.a_and_b, nvivo.neither), (24, 14, 6, 6, 10));
    close(nvivo.percent_agreement, 200.0 / 3.0);
    close(nvivo.kappa, 5.0 / 13.0);
    // Character α: n = 48 values, coded share 20/48; P_e^π = (25 + 49)/144 = 37/72;
    // α = 1 − (47/48)(1/3)/(35/72) = 1 − 47/70 = 23/70 (DKPro: .329).
    let chars = data.character_level("k");
    close(chars.percent_agreement_all_coders, 16.0 / 24.0);
    close(chars.alpha_binary, 23.0 / 70.0);
    // |uα: l_∅∅ = 2·10 = 20, l_VV = 2·(4 + 2) = 12, l_∅V = l_V∅ = 8; l·· = 48.
    // W_∅ = 10 + 18 = 28 (gap lengths), W_V = 8² + 6² + 4² + 2² = 120.
    // e_∅V = 48·(28·20)/(48² − 148) = 26880/2156; |uα = 1 − 8·2156/26880 = 1 − 77/120 = 43/120.
    // With one code, uα is the same.
    let u = data.unitizing(Variable::Code("k"));
    assert_eq!(u.l_total, 48.0);
    close(u.binary_u_alpha, 43.0 / 120.0);
    close(u.u_alpha, 43.0 / 120.0);
    close(data.unitizing(Variable::AnyCode).binary_u_alpha, 43.0 / 120.0);
    // Pooled over two copies of the document (tallies summed, not α averaged):
    // l = (40, 16; 16, 24), W = (56, 240); e_∅V = 96·56·40/(96² − 296) = 215040/8920;
    // |uα = 1 − 16·8920/215040 = 113/336.
    let twice = spans(&["A", "B"], vec![kripp1995_a(), kripp1995_a()]);
    close(twice.unitizing(Variable::Code("k")).binary_u_alpha, 113.0 / 336.0);
}

#[test]
fn nvivo_help_example_and_size_weighted_mean() {
    // NVivo Help: 1000 characters, A at [0, 150), B at [100, 200): 50 by both, 150 by one
    // only, 800 by neither → PA (800 + 50)/1000 = 85 %. EF = (150·100 + 850·900)/1000 = 780;
    // κ = (850 − 780)/(1000 − 780) = 7/22.
    let doc = SpanDocument { length: 1000, spans: vec![span("A", "k", 0, 150), span("B", "k", 100, 200)] };
    let data = spans(&["A", "B"], vec![doc, kripp1995_a()]);
    let per_source = data.nvivo("k", 0, 1);
    close(per_source[0].percent_agreement, 85.0);
    close(per_source[0].kappa, 7.0 / 22.0);
    // Size-weighted mean over the two sources: (1000·7/22 + 24·5/13)/1024.
    close(NvivoComparison::size_weighted_mean_kappa(&per_source), (1000.0 * 7.0 / 22.0 + 24.0 * 5.0 / 13.0) / 1024.0);
    // A source where neither user coded the code: κ is 0/0 (NVivo shows 1); one user coded
    // nothing: κ = 0 exactly.
    let none = spans(&["A", "B"], vec![SpanDocument { length: 10, spans: vec![span("A", "other", 0, 5)] }]);
    assert_eq!(none.nvivo("k", 0, 1)[0].kappa, Estimate::Undefined(Undefined::NvivoAllUnitsAgree));
    let one = spans(&["A", "B"], vec![SpanDocument { length: 10, spans: vec![span("A", "k", 0, 5)] }]);
    close(one.nvivo("k", 0, 1)[0].kappa, 0.0);
}

/// Two coders, codes x and y, L = 10: A has x [0, 4), y [4, 8); B has x [0, 2), y [2, 8).
fn two_codes() -> SpanData {
    spans(
        &["A", "B"],
        vec![SpanDocument {
            length: 10,
            spans: vec![span("A", "x", 0, 4), span("A", "y", 4, 8), span("B", "x", 0, 2), span("B", "y", 2, 8)],
        }],
    )
}

#[test]
fn unitizing_alphas_of_two_codes_by_hand() {
    let u = two_codes().unitizing(Variable::AllCodes);
    // Stretches: [0, 2) x/x, [2, 4) x/y, [4, 8) y/y, [8, 10) ∅/∅.
    // l_xx = 4, l_xy = l_yx = 2, l_yy = 8, l_∅∅ = 4; l·· = 20; margins ∅ 4, x 6, y 10.
    // W_∅ = 2 + 2 = 4, W_x = 4² + 2² = 20, W_y = 4² + 6² = 52; l··² − ΣW = 400 − 76 = 324.
    // e_∅∅ = 20(16 − 4)/324 = 20/27, e_xx = 20(36 − 20)/324 = 80/81, e_yy = 20(100 − 52)/324 = 80/27.
    // uα = 1 − (20 − 16)/(20 − 380/81) = 1 − 324/1240 = 229/310.
    assert_eq!(u.values, ["x", "y"]);
    close(u.u_alpha, 229.0 / 310.0);
    // Both coders coded exactly [0, 8): |uα = 1 − 0/e_∅V = 1.
    close(u.binary_u_alpha, 1.0);
    // cuα: cl_x = 6, cl_y = 10, cl = 16. T_x = 4² + 2² = 20, T_y = 4² + 6² = 52 (each valued
    // segment's valued overlap with the other coder, squared). Denominator cl − T/(cl(m − 1))
    // = 16 − 72/16 = 23/2. ce_xx = (36 − 20)/(23/2) = 32/23, ce_xy = 60/(23/2) = 120/23,
    // ce_yy = (100 − 52)/(23/2) = 96/23. cuα = 1 − (16 − 12)/(16 − 128/23) = 1 − 92/240 = 37/60;
    // coverage cl/l·· = 16/20.
    close(u.cu_alpha, 37.0 / 60.0);
    assert!((u.cu_coverage.expect("coverage") - 0.8).abs() < TOL);
    // (x)uα = 1 − (ce_x·/cl_x)(cl_x − l_xx)/(ce_x· − ce_xx) = 1 − (152/138)·2/(120/23) = 26/45;
    // (y)uα = 1 − (216/230)·2/(120/23) = 16/25.
    close(u.k_u_alpha[0], 26.0 / 45.0);
    close(u.k_u_alpha[1], 16.0 / 25.0);
    // Code x alone against the rest: A [0, 4), B [0, 2): l_∅∅ = 12, l_xx = 4, l_∅x = l_x∅ = 2;
    // W_∅ = 6 + 8, W_x = 16 + 4; e_∅x = 20·14·6/(400 − 34) = 1680/366; |uα = 1 − 2·366/1680 = 79/140.
    close(two_codes().unitizing(Variable::Code("x")).binary_u_alpha, 79.0 / 140.0);
    // A domain holding both codes is the same variable as all codes.
    let mut domains = BTreeMap::new();
    domains.insert("x".to_string(), "feeling".to_string());
    domains.insert("y".to_string(), "feeling".to_string());
    let doc = SpanDocument {
        length: 10,
        spans: vec![span("A", "x", 0, 4), span("A", "y", 4, 8), span("B", "x", 0, 2), span("B", "y", 2, 8)],
    };
    let with_domain = SpanData::new(vec!["A".into(), "B".into()], vec![doc], domains).expect("valid");
    close(with_domain.unitizing(Variable::Domain("feeling")).u_alpha, 229.0 / 310.0);
    close(with_domain.unitizing(Variable::DomainsAsValues).binary_u_alpha, 1.0);
}

#[test]
fn unitizing_alphas_of_three_coders() {
    // L = 12. A: x [0, 4), y [6, 10); B: x [0, 4), x [6, 9); C: x [1, 4), y [4, 6), y [8, 12).
    let data = spans(
        &["A", "B", "C"],
        vec![SpanDocument {
            length: 12,
            spans: vec![
                span("A", "x", 0, 4),
                span("A", "y", 6, 10),
                span("B", "x", 0, 4),
                span("B", "x", 6, 9),
                span("C", "x", 1, 4),
                span("C", "y", 4, 6),
                span("C", "y", 8, 12),
            ],
        }],
    );
    let u = data.unitizing(Variable::AllCodes);
    // Stretches (A, B, C): [0,1) x x ∅; [1,4) x x x; [4,6) ∅ ∅ y; [6,8) y x ∅; [8,9) y x y;
    // [9,10) y ∅ y; [10,12) ∅ ∅ y. With m − 1 = 2, each stretch adds (ordered pairs)·len/2:
    // l = (∅∅ 4, ∅x 2, ∅y 6; x∅ 2, xx 10, xy 2; y∅ 6, yx 2, yy 2), l·· = 36.
    // W = (∅: 4 + 5 + 3 = 12; x: 16 + 16 + 9 + 9 = 50; y: 16 + 4 + 16 = 36), l··² − ΣW = 1198.
    // e_∅∅ = 36(144 − 12)/1198, e_xx = 36(196 − 50)/1198, e_yy = 36(100 − 36)/1198;
    // uα = 1 − (36 − 16)/(36 − 36·(132 + 146 + 64)/1198) = 857/3852.
    close(u.u_alpha, 857.0 / 3852.0);
    // |uα = 1 − l_∅V/e_∅V = 1 − 8/(36·12·24/1198) = 49/648.
    close(u.binary_u_alpha, 49.0 / 648.0);
    // cuα: cl_x = 12, cl_y = 4, cl = 16; T_x = 78, T_y = 18 (squared valued overlaps summed
    // over ordered coder pairs); cl − T/(cl·2) = 16 − 96/32 = 13. ce_xx = (144 − 39)/13,
    // ce_yy = (16 − 9)/13; cuα = 1 − (16 − 12)/(16 − 112/13) = 11/24; coverage 16/36.
    close(u.cu_alpha, 11.0 / 24.0);
    assert!((u.cu_coverage.expect("coverage") - 4.0 / 9.0).abs() < TOL);
    // (x)uα = 1 − ((153/13)/12)(12 − 10)/(48/13) = 15/32; (y)uα = 1 − ((55/13)/4)(4 − 2)/(48/13) = 41/96.
    close(u.k_u_alpha[0], 15.0 / 32.0);
    close(u.k_u_alpha[1], 41.0 / 96.0);
    // Code x at character level, coded by (A, B, C): [0,1) 110, [1,4) 111, [6,9) 010, else 000.
    // All coders agree on 8 of 12 characters. Coincidences per character (m_u = 3): 110 adds
    // o11 1, o10 1, o01 1; 111 adds o11 3; 010 adds o00 1, o01 1, o10 1; 000 adds o00 3.
    // o11 = 1 + 9 = 10, o00 = 3 + 15 = 18, o01 = o10 = 4; n = 36, n1 = 14, n0 = 22;
    // α = [35·28 − (22·21 + 14·13)]/[36·35 − 644] = 336/616 = 6/11.
    let chars = data.character_level("x");
    close(chars.percent_agreement_all_coders, 8.0 / 12.0);
    close(chars.alpha_binary, 6.0 / 11.0);
    // |uα of code x alone: 43/77.
    close(data.unitizing(Variable::Code("x")).binary_u_alpha, 43.0 / 77.0);
}

#[test]
fn segment_matching_by_hand() {
    // L = 100. A: x [0, 10), x [20, 30), y [50, 60). B: x [0, 10), x [21, 30), x [85, 90), y [70, 80).
    let data = spans(
        &["A", "B"],
        vec![SpanDocument {
            length: 100,
            spans: vec![
                span("A", "x", 0, 10),
                span("A", "x", 20, 30),
                span("A", "y", 50, 60),
                span("B", "x", 0, 10),
                span("B", "x", 21, 30),
                span("B", "x", 85, 90),
                span("B", "y", 70, 80),
            ],
        }],
    );
    // At t = .9: [0,10) ↔ [0,10) IoU 1; [20,30) ↔ [21,30) IoU 9/10 = .9, which counts (≥ t);
    // B's [85,90) and both y segments have no partner. a = 2 (A matched), b = 1 (A unmatched),
    // c = 2 (B unmatched); P_obs = 2/5, P_chance = 1/2 (two codes), κ = (.4 − .5)/.5 = −1/5.
    let m = data.segment_matching(0, 1, 0.9).expect("valid threshold");
    assert_eq!((m.a, m.b, m.c), (2, 1, 2));
    close(m.p_observed, 0.4);
    close(m.p_chance, 0.5);
    close(m.kappa_brennan_prediger, -0.2);
    let x = &m.per_code[0];
    assert_eq!((x.coder1_segments, x.coder1_matched, x.coder2_segments, x.coder2_matched), (2, 2, 3, 2));
    assert!((x.percent_segments_matched() - 80.0).abs() < TOL);
    assert_eq!(m.per_code[1].percent_segments_matched(), 0.0);
    // Just above .9, the second pair no longer matches: a = 1, b = 2, c = 3, P_obs = 1/6.
    let strict = data.segment_matching(0, 1, 0.91).expect("valid threshold");
    assert_eq!((strict.a, strict.b, strict.c), (1, 2, 3));
    close(strict.kappa_brennan_prediger, (1.0 / 6.0 - 0.5) / 0.5);
    assert!(data.segment_matching(0, 1, 0.0).is_err() && data.segment_matching(0, 1, 1.5).is_err());
}

#[test]
fn bootstrap_summary_shares_and_percentiles() {
    // Five defined replicates of seven: sorted (.5, .6, .7, .8, .9). Below .667: 2 of 5; below
    // .8: 3 of 5 (.8 itself is not below). 2.5 % quantile: position .1 → .5 + .1·.1 = .51;
    // 97.5 %: position 3.9 → .8 + .9·.1 = .89.
    let b = summarise(vec![0.9, 0.5, 0.8, 0.6, 0.7], 7, 12);
    assert_eq!((b.resamples, b.clusters, b.skipped), (7, 12, 2));
    close(b.p_below_tentative, 0.4);
    close(b.p_below_reliable, 0.6);
    let (lo, hi) = b.ci95.expect("ci");
    assert!((lo - 0.51).abs() < TOL && (hi - 0.89).abs() < TOL, "{lo} {hi}");
}

#[test]
fn a_weighted_row_counts_as_that_many_units() {
    // Cohen's table as nine weighted rows (plus a row of weight 0, which is absent) gives
    // exactly the values of the 200 rows in `cohen_1960_table`; with missing values, the
    // Krippendorff 2011 table with every row doubled gives the same α, AC1 and Fleiss as once.
    let cells =
        [(1, 1, 88), (1, 2, 14), (1, 3, 18), (2, 1, 10), (2, 2, 40), (2, 3, 10), (3, 1, 2), (3, 2, 6), (3, 3, 12)];
    let mut rows: Vec<Vec<Option<usize>>> = cells.iter().map(|&(a, b, _)| vec![Some(a - 1), Some(b - 1)]).collect();
    let mut weights: Vec<u64> = cells.iter().map(|c| c.2).collect();
    rows.push(vec![Some(0), Some(2)]);
    weights.push(0);
    let data = ReliabilityData::from_indices(
        vec!["A".into(), "B".into()],
        vec!["1".into(), "2".into(), "3".into()],
        false,
        rows,
    )
    .expect("valid")
    .with_weights(weights)
    .expect("one weight per row");
    assert_eq!(data.weight(0), 88);
    assert_eq!(data.n_pairable_units(), 200);
    let kappa = cohen_kappa(&data, 0, 1);
    assert_eq!(kappa.n, 200);
    close(kappa.value, 29.0 / 59.0);
    close(scott_pi(&data, 0, 1).value, 19.0 / 39.0);
    let fleiss = fleiss_kappa_complete(&data);
    assert_eq!(fleiss.n_units_used, 200);
    close(fleiss.value, 19.0 / 39.0);
    close(fleiss.category_kappa[2], 5.0 / 17.0);
    close(fleiss_kappa_generalized(&data).value, 19.0 / 39.0);
    close(gwet_ac1(&data).value, 163.0 / 283.0);
    close(brennan_prediger(&data).value, 0.55);
    close(krippendorff_alpha(&data, Metric::Nominal).expect("α").value(), 127.0 / 260.0);
    close(percent_agreement(&data).pairwise_pooled, 0.7);
    close(percent_agreement(&data).all_coders_agree, 0.7);
    assert!(data.clone().with_weights(vec![1; 3]).is_none(), "one weight per row or none");

    let k = kripp2011();
    let doubled = k.with_units(&(0..12).chain(0..12).collect::<Vec<_>>()).expect("in range");
    let weighted_once = doubled.clone().with_weights(vec![1; 24]).expect("weights");
    let twice = k.clone().with_weights(vec![2; 12]).expect("weights");
    for d in [&doubled, &weighted_once, &twice] {
        // α sees the sample size: n = 80, D_o = 1/5, D_e = (80² − 4·384)/(80·79) = 304/395;
        // α = 1 − (1/5)(395/304) = 225/304. The other statistics are unchanged.
        close(krippendorff_alpha(d, Metric::Nominal).expect("α").value(), 225.0 / 304.0);
        close(gwet_ac1(d).value, 31_825.0 / 41_041.0);
        close(fleiss_kappa_generalized(d).value, 7343.0 / 9647.0);
        close(fleiss_kappa_complete(d).value, 229.0 / 357.0);
        close(percent_agreement(d).pairwise_mean, 9.0 / 11.0);
        assert_eq!(percent_agreement(d).n_pairable_units, 22);
    }
    assert!(k.with_units(&[12]).is_none(), "unit 12 does not exist");
}

#[test]
fn reliability_data_reads_back_what_it_was_given() {
    use codeloom::agreement::AgreementError;
    let k = kripp2011();
    assert_eq!((k.n_coders(), k.n_units(), k.q()), (4, 12, 5));
    assert!(!k.categories_declared());
    assert_eq!(k.categories_observed(), ["1", "2", "3", "4", "5"]);
    // Unit 1: coder C is missing; unit 6: coders give 1, 2, 3, 4 (indices 0–3).
    assert_eq!((k.value(0, 2), k.value(0, 3)), (None, Some(0)));
    assert_eq!((0..4).map(|c| k.value(5, c)).collect::<Vec<_>>(), [Some(0), Some(1), Some(2), Some(3)]);
    assert_eq!((k.value(12, 0), k.value(0, 4)), (None, None));
    assert_eq!(k.unit_counts(1), [0, 3, 1, 0, 0]);
    assert_eq!(k.unit_counts(40), [0; 5]);
    // Declared categories keep their order and may go unused.
    let two = |v: &str| vec![Some(v.to_string()), Some(v.to_string())];
    let declared = ReliabilityData::new(
        vec!["a".into(), "b".into()],
        vec![two("low"), two("high")],
        Some(vec!["low".into(), "mid".into(), "high".into()]),
    )
    .expect("valid");
    assert!(declared.categories_declared());
    assert_eq!(declared.categories(), ["low", "mid", "high"]);
    assert_eq!(declared.categories_observed(), ["low", "high"]);
    assert_eq!(declared.q(), 3);
    assert_eq!(declared.value(1, 1), Some(2));
    // Observed labels sort as numbers when they all are numbers, else as text.
    assert_eq!(by_coder(&["10 9 2", "2 10 9"]).categories(), ["2", "9", "10"]);
    assert_eq!(by_coder(&["b a 10", "a b 9"]).categories(), ["10", "9", "a", "b"]);
    assert!(declared.numeric_categories().is_err());
    assert_eq!(by_coder(&["1.5 2", "2 -1"]).numeric_categories().expect("numbers"), [-1.0, 1.5, 2.0]);
    // Bad input is an error naming what is wrong.
    let coders = || vec!["a".to_string(), "b".to_string()];
    let e = ReliabilityData::new(vec!["a".into(), "a".into()], vec![], None).unwrap_err();
    assert_eq!(e, AgreementError::DuplicateCoder("a".into()));
    let e = ReliabilityData::new(coders(), vec![vec![Some("x".into())]], None).unwrap_err();
    assert_eq!(e, AgreementError::CoderCountMismatch { unit: 0, expected: 2, found: 1 });
    let e = ReliabilityData::new(coders(), vec![], Some(vec!["x".into(), "x".into()])).unwrap_err();
    assert_eq!(e, AgreementError::DuplicateCategory("x".into()));
    let e = ReliabilityData::new(coders(), vec![two("z")], Some(vec!["x".into()])).unwrap_err();
    assert_eq!(e, AgreementError::UndeclaredCategory("z".into()));
    let e = ReliabilityData::from_indices(coders(), vec!["x".into()], true, vec![vec![Some(0), Some(1)]]).unwrap_err();
    assert_eq!(e, AgreementError::UndeclaredCategory("#1".into()));
    assert!(k.with_coder_order(&[0, 1, 2]).is_none() && k.with_coder_order(&[0, 1, 2, 2]).is_none());
    let swapped = k.with_coder_order(&[3, 2, 1, 0]).expect("a permutation");
    assert_eq!((swapped.coders()[0].as_str(), swapped.value(0, 0), swapped.value(0, 1)), ("c3", Some(0), None));
    assert_eq!(
        [Metric::Nominal, Metric::Ordinal, Metric::Interval, Metric::Ratio].map(Metric::name),
        ["nominal", "ordinal", "interval", "ratio"]
    );
    // Interval α needs numbers: an error, not a value.
    assert_eq!(
        krippendorff_alpha(&declared, Metric::Interval).unwrap_err(),
        AgreementError::NonNumericCategory("low".into())
    );
}
