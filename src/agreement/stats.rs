//! Agreement statistics on form A reliability data (AGREEMENT.md §1.1–§1.6).
//!
//! Every function takes [`ReliabilityData`] and returns a result structure whose value is an
//! [`Estimate`]; the intermediate quantities (P_o, P_e, n, …) are returned as well so they can be
//! shown and tested.

use super::units::{AlphaParts, CoincidenceMatrix, Metric, ReliabilityData};
use super::{AgreementError, Estimate, Undefined};

/// Tolerance for "expected agreement is 1" and similar checks on proportions.
const PROPORTION_TOL: f64 = 1e-12;

/// Percent agreement in its variants (§1.1).
#[derive(Debug, Clone, PartialEq)]
pub struct PercentAgreement {
    /// Fleiss's P̄: the mean over pairable units of the share of agreeing coder pairs.
    pub pairwise_mean: Estimate,
    /// Agreeing ordered coder pairs over all ordered coder pairs, pooled over pairable units.
    pub pairwise_pooled: Estimate,
    /// The share of pairable units in which every present value is identical.
    pub all_coders_agree: Estimate,
    /// N₂, the number of pairable units (m_u ≥ 2).
    pub n_pairable_units: usize,
}

/// Percent agreement: pairwise mean (the default), pooled pairs, and "all coders agree".
pub fn percent_agreement(data: &ReliabilityData) -> PercentAgreement {
    let mut n2 = 0usize;
    let mut sum_unit_share = 0.0;
    let mut agreeing_pairs = 0usize;
    let mut all_pairs = 0usize;
    let mut all_agree = 0usize;
    for u in 0..data.n_units() {
        let counts = data.unit_counts(u);
        let m_u: usize = counts.iter().sum();
        let w = data.weight(u) as usize;
        if m_u < 2 || w == 0 {
            continue;
        }
        n2 += w;
        let agree: usize = counts.iter().map(|&n| n * n.saturating_sub(1)).sum();
        let pairs = m_u * (m_u - 1);
        sum_unit_share += w as f64 * agree as f64 / pairs as f64;
        agreeing_pairs += w * agree;
        all_pairs += w * pairs;
        if counts.iter().filter(|&&n| n > 0).count() == 1 {
            all_agree += w;
        }
    }
    let why = if data.n_coders() < 2 { Undefined::FewerThanTwoCoders } else { Undefined::NoPairableUnits };
    let per_unit = |x: f64| Estimate::ratio(x, n2 as f64, 0.0, why);
    PercentAgreement {
        pairwise_mean: per_unit(sum_unit_share),
        pairwise_pooled: Estimate::ratio(agreeing_pairs as f64, all_pairs as f64, 0.0, why),
        all_coders_agree: per_unit(all_agree as f64),
        n_pairable_units: n2,
    }
}

/// A two-coder chance-corrected coefficient (Cohen's κ or Scott's π) with its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoCoderCoefficient {
    /// Number of units coded by both coders (listwise deletion).
    pub n: usize,
    /// Observed agreement P_o (`None` when n = 0).
    pub po: Option<f64>,
    /// Chance agreement P_e (`None` when n = 0).
    pub pe: Option<f64>,
    /// (P_o − P_e) / (1 − P_e).
    pub value: Estimate,
}

/// The contingency table of coders `a` and `b` over the units both coded: `(table, n)`, with
/// `table[c][k]` the number of units `a` put in c and `b` in k.
fn contingency(data: &ReliabilityData, a: usize, b: usize) -> (Vec<Vec<usize>>, usize) {
    let q = data.categories().len();
    let mut table = vec![vec![0usize; q]; q];
    let mut n = 0;
    for (u, row) in data.rows().iter().enumerate() {
        if let (Some(Some(x)), Some(Some(y))) = (row.get(a), row.get(b)) {
            let w = data.weight(u) as usize;
            table[*x][*y] += w;
            n += w;
        }
    }
    (table, n)
}

fn two_coder(data: &ReliabilityData, a: usize, b: usize, scott: bool) -> TwoCoderCoefficient {
    if a >= data.n_coders() || b >= data.n_coders() || a == b {
        return TwoCoderCoefficient {
            n: 0,
            po: None,
            pe: None,
            value: Estimate::Undefined(Undefined::FewerThanTwoCoders),
        };
    }
    let (table, n) = contingency(data, a, b);
    if n == 0 {
        return TwoCoderCoefficient {
            n,
            po: None,
            pe: None,
            value: Estimate::Undefined(Undefined::NoUnitsCodedByBoth),
        };
    }
    let nf = n as f64;
    let q = table.len();
    let po = (0..q).map(|c| table[c][c] as f64).sum::<f64>() / nf;
    let row: Vec<f64> = (0..q).map(|c| table[c].iter().sum::<usize>() as f64 / nf).collect();
    let col: Vec<f64> = (0..q).map(|k| table.iter().map(|r| r[k]).sum::<usize>() as f64 / nf).collect();
    let pe: f64 = if scott {
        row.iter().zip(&col).map(|(r, c)| ((r + c) / 2.0).powi(2)).sum()
    } else {
        row.iter().zip(&col).map(|(r, c)| r * c).sum()
    };
    let value = Estimate::ratio(po - pe, 1.0 - pe, PROPORTION_TOL, Undefined::ChanceAgreementOne);
    TwoCoderCoefficient { n, po: Some(po), pe: Some(pe), value }
}

/// Cohen's κ between coders `a` and `b` (column indices), over the units both coded (§1.2).
pub fn cohen_kappa(data: &ReliabilityData, a: usize, b: usize) -> TwoCoderCoefficient {
    two_coder(data, a, b, false)
}

/// Scott's π between coders `a` and `b`, over the units both coded (§1.2).
pub fn scott_pi(data: &ReliabilityData, a: usize, b: usize) -> TwoCoderCoefficient {
    two_coder(data, a, b, true)
}

/// Light's κ: the mean of the pairwise Cohen κ over all coder pairs (§1.2).
#[derive(Debug, Clone, PartialEq)]
pub struct LightKappa {
    /// Cohen's κ for every coder pair (a, b) with a < b, in lexicographic order.
    pub pairwise: Vec<((usize, usize), Estimate)>,
    /// The number of pairs whose κ is undefined; these are left out of the mean.
    pub n_pairs_undefined: usize,
    /// The mean of the defined pairwise κ values.
    pub value: Estimate,
}

/// Light's κ (mean pairwise Cohen κ). Pairs with an undefined κ are left out of the mean and counted.
pub fn light_kappa(data: &ReliabilityData) -> LightKappa {
    let m = data.n_coders();
    let mut pairwise = Vec::new();
    for a in 0..m {
        for b in a + 1..m {
            pairwise.push(((a, b), cohen_kappa(data, a, b).value));
        }
    }
    let defined: Vec<f64> = pairwise.iter().filter_map(|(_, k)| k.value()).collect();
    let n_pairs_undefined = pairwise.len() - defined.len();
    let value = if m < 2 {
        Estimate::Undefined(Undefined::FewerThanTwoCoders)
    } else {
        Estimate::ratio(defined.iter().sum(), defined.len() as f64, 0.0, Undefined::NoUnitsCodedByBoth)
    };
    LightKappa { pairwise, n_pairs_undefined, value }
}

/// Fleiss's κ over the complete units only (every coder gave a value), as in Fleiss (1971)
/// and `statsmodels.fleiss_kappa` (§1.3).
#[derive(Debug, Clone, PartialEq)]
pub struct FleissComplete {
    /// Number of complete units N.
    pub n_units_used: usize,
    /// P̄ (`None` when no unit is complete).
    pub po: Option<f64>,
    /// P̄_e = Σ_j p_j² (`None` when no unit is complete).
    pub pe: Option<f64>,
    /// κ = (P̄ − P̄_e) / (1 − P̄_e).
    pub value: Estimate,
    /// κ_j for every category, in category order.
    pub category_kappa: Vec<Estimate>,
}

/// Fleiss's κ on complete units, with the category-specific κ_j.
pub fn fleiss_kappa_complete(data: &ReliabilityData) -> FleissComplete {
    let m = data.n_coders();
    let q = data.categories().len();
    let complete: Vec<(Vec<usize>, f64)> = (0..data.n_units())
        .filter(|&u| data.weight(u) > 0 && data.rows()[u].iter().all(Option::is_some))
        .map(|u| (data.unit_counts(u), data.weight(u) as f64))
        .collect();
    let n_units = complete.iter().map(|(_, w)| *w as usize).sum::<usize>();
    if m < 2 || n_units == 0 {
        return FleissComplete {
            n_units_used: if m < 2 { 0 } else { n_units },
            po: None,
            pe: None,
            value: Estimate::Undefined(if m < 2 { Undefined::FewerThanTwoCoders } else { Undefined::NoCompleteUnits }),
            category_kappa: vec![Estimate::Undefined(Undefined::NoCompleteUnits); q],
        };
    }
    let (nf, mf) = (n_units as f64, m as f64);
    let po = complete
        .iter()
        .map(|(counts, w)| {
            w * counts.iter().map(|&c| (c * c.saturating_sub(1)) as f64).sum::<f64>() / (mf * (mf - 1.0))
        })
        .sum::<f64>()
        / nf;
    let p: Vec<f64> = (0..q).map(|j| complete.iter().map(|(c, w)| w * c[j] as f64).sum::<f64>() / (nf * mf)).collect();
    let pe: f64 = p.iter().map(|x| x * x).sum();
    let value = Estimate::ratio(po - pe, 1.0 - pe, PROPORTION_TOL, Undefined::ChanceAgreementOne);
    let category_kappa = (0..q)
        .map(|j| {
            let disagreement: f64 = complete.iter().map(|(c, w)| w * (c[j] * (m - c[j])) as f64).sum();
            let den = nf * mf * (mf - 1.0) * p[j] * (1.0 - p[j]);
            Estimate::one_minus_ratio(disagreement, den, PROPORTION_TOL, Undefined::CategoryNotVarying)
        })
        .collect();
    FleissComplete { n_units_used: n_units, po: Some(po), pe: Some(pe), value, category_kappa }
}

/// A coefficient of the form (pa − pe)/(1 − pe): Gwet's AC1, Brennan–Prediger, or Fleiss's κ
/// generalised to missing data.
#[derive(Debug, Clone, PartialEq)]
pub struct ChanceCorrected {
    /// Pairwise percent agreement over pairable units (`None` when there are none).
    pub pa: Option<f64>,
    /// Chance agreement (`None` when undefined).
    pub pe: Option<f64>,
    /// The category count q used (declared, or observed).
    pub q: usize,
    /// (pa − pe)/(1 − pe).
    pub value: Estimate,
}

/// π_k = (1/N₁) Σ_{u: r_u ≥ 1} n_uk / r_u, over all units with at least one value
/// (irrCAC's classification probabilities). `None` when no unit has a value.
fn classification_probabilities(data: &ReliabilityData) -> Option<Vec<f64>> {
    let q = data.categories().len();
    let mut pi = vec![0.0; q];
    let mut n1 = 0usize;
    for u in 0..data.n_units() {
        let counts = data.unit_counts(u);
        let r_u: usize = counts.iter().sum();
        let w = data.weight(u) as usize;
        if r_u == 0 || w == 0 {
            continue;
        }
        n1 += w;
        for (p, &c) in pi.iter_mut().zip(&counts) {
            *p += w as f64 * c as f64 / r_u as f64;
        }
    }
    if n1 == 0 {
        return None;
    }
    Some(pi.into_iter().map(|p| p / n1 as f64).collect())
}

fn chance_corrected(pa: f64, pe: f64, q: usize, why: Undefined) -> ChanceCorrected {
    ChanceCorrected { pa: Some(pa), pe: Some(pe), q, value: Estimate::ratio(pa - pe, 1.0 - pe, PROPORTION_TOL, why) }
}

fn no_pairable(data: &ReliabilityData) -> ChanceCorrected {
    let why = if data.n_coders() < 2 { Undefined::FewerThanTwoCoders } else { Undefined::NoPairableUnits };
    ChanceCorrected { pa: None, pe: None, q: data.q(), value: Estimate::Undefined(why) }
}

/// Fleiss's κ generalised to missing data (Gwet 2014, irrCAC `fleiss`): pa over units with
/// r_u ≥ 2, P_e = Σ_k π_k² (§1.3).
pub fn fleiss_kappa_generalized(data: &ReliabilityData) -> ChanceCorrected {
    let pa = match percent_agreement(data).pairwise_mean.value() {
        Some(pa) => pa,
        None => return no_pairable(data),
    };
    let pi = classification_probabilities(data).unwrap_or_default();
    let pe = pi.iter().map(|p| p * p).sum();
    chance_corrected(pa, pe, data.q(), Undefined::ChanceAgreementOne)
}

/// Gwet's AC1 (§1.5): pe = Σ_k π_k (1 − π_k) / (q − 1), with q the declared category count (or
/// the observed one when none is declared).
pub fn gwet_ac1(data: &ReliabilityData) -> ChanceCorrected {
    let pa = match percent_agreement(data).pairwise_mean.value() {
        Some(pa) => pa,
        None => return no_pairable(data),
    };
    let q = data.q();
    if q < 2 {
        return ChanceCorrected { pa: Some(pa), pe: None, q, value: Estimate::Undefined(Undefined::TooFewCategories) };
    }
    let pi = classification_probabilities(data).unwrap_or_default();
    let pe = pi.iter().map(|p| p * (1.0 - p)).sum::<f64>() / (q - 1) as f64;
    chance_corrected(pa, pe, q, Undefined::ChanceAgreementOne)
}

/// Brennan–Prediger κ_n (Bennett's S, Randolph's free-marginal κ) (§1.6): pe = 1/q.
pub fn brennan_prediger(data: &ReliabilityData) -> ChanceCorrected {
    let pa = match percent_agreement(data).pairwise_mean.value() {
        Some(pa) => pa,
        None => return no_pairable(data),
    };
    let q = data.q();
    if q < 2 {
        return ChanceCorrected { pa: Some(pa), pe: None, q, value: Estimate::Undefined(Undefined::TooFewCategories) };
    }
    chance_corrected(pa, 1.0 / q as f64, q, Undefined::TooFewCategories)
}

/// Krippendorff's α with its coincidence matrix (§1.4).
#[derive(Debug, Clone, PartialEq)]
pub struct KrippendorffAlpha {
    /// The metric used.
    pub metric: Metric,
    /// The coincidence matrix o_ck over the data's categories.
    pub coincidences: CoincidenceMatrix,
    /// n, D_o, D_e and α.
    pub parts: AlphaParts,
}

impl KrippendorffAlpha {
    /// α itself.
    pub fn value(&self) -> Estimate {
        self.parts.value
    }
}

/// Krippendorff's α with the given metric, from the coincidence matrix. Interval and ratio need
/// numeric category labels ([`AgreementError::NonNumericCategory`] otherwise); ordinal uses the
/// category order.
pub fn krippendorff_alpha(data: &ReliabilityData, metric: Metric) -> Result<KrippendorffAlpha, AgreementError> {
    let coincidences = data.coincidences();
    let numeric = match metric {
        Metric::Interval | Metric::Ratio => Some(data.numeric_categories()?),
        Metric::Nominal | Metric::Ordinal => None,
    };
    let mut parts = coincidences.alpha(metric, numeric.as_deref())?;
    if data.n_coders() < 2 {
        parts.value = Estimate::Undefined(Undefined::FewerThanTwoCoders);
    }
    Ok(KrippendorffAlpha { metric, coincidences, parts })
}

/// Krippendorff's α, nominal metric. Never fails.
pub fn krippendorff_alpha_nominal(data: &ReliabilityData) -> KrippendorffAlpha {
    let coincidences = data.coincidences();
    let mut parts = match coincidences.alpha(Metric::Nominal, None) {
        Ok(parts) => parts,
        Err(_) => AlphaParts { n: 0.0, d_o: None, d_e: None, value: Estimate::Undefined(Undefined::NoPairableUnits) },
    };
    if data.n_coders() < 2 {
        parts.value = Estimate::Undefined(Undefined::FewerThanTwoCoders);
    }
    KrippendorffAlpha { metric: Metric::Nominal, coincidences, parts }
}

/// Prevalence of each category among the pairable values (n_c / n), in category order.
/// `None` when there are no pairable values.
pub fn prevalence(data: &ReliabilityData) -> Option<Vec<f64>> {
    let matrix = data.coincidences();
    let n = matrix.total();
    if n <= 0.0 {
        return None;
    }
    Some(matrix.margins().into_iter().map(|c| c / n).collect())
}

/// All form A statistics of AGREEMENT.md at once.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitsReport {
    /// Percent agreement variants.
    pub percent_agreement: PercentAgreement,
    /// Krippendorff's α, nominal.
    pub alpha_nominal: KrippendorffAlpha,
    /// α with the ordinal, interval and ratio metrics, when the categories allow it.
    pub alpha_other: Vec<(Metric, Estimate)>,
    /// Gwet's AC1.
    pub gwet_ac1: ChanceCorrected,
    /// Brennan–Prediger κ_n.
    pub brennan_prediger: ChanceCorrected,
    /// Fleiss's κ on complete units.
    pub fleiss_complete: FleissComplete,
    /// Fleiss's κ generalised to missing data.
    pub fleiss_generalized: ChanceCorrected,
    /// Cohen's κ (exactly two coders only).
    pub cohen_kappa: Option<TwoCoderCoefficient>,
    /// Scott's π (exactly two coders only).
    pub scott_pi: Option<TwoCoderCoefficient>,
    /// Light's κ (more than two coders only).
    pub light_kappa: Option<LightKappa>,
    /// Prevalence of each category among the pairable values.
    pub prevalence: Option<Vec<f64>>,
}

/// Computes every form A statistic.
pub fn units_report(data: &ReliabilityData) -> UnitsReport {
    let m = data.n_coders();
    let alpha_other = [Metric::Ordinal, Metric::Interval, Metric::Ratio]
        .into_iter()
        .filter_map(|metric| krippendorff_alpha(data, metric).ok().map(|a| (metric, a.value())))
        .collect();
    UnitsReport {
        percent_agreement: percent_agreement(data),
        alpha_nominal: krippendorff_alpha_nominal(data),
        alpha_other,
        gwet_ac1: gwet_ac1(data),
        brennan_prediger: brennan_prediger(data),
        fleiss_complete: fleiss_kappa_complete(data),
        fleiss_generalized: fleiss_kappa_generalized(data),
        cohen_kappa: (m == 2).then(|| cohen_kappa(data, 0, 1)),
        scott_pi: (m == 2).then(|| scott_pi(data, 0, 1)),
        light_kappa: (m > 2).then(|| light_kappa(data)),
        prevalence: prevalence(data),
    }
}
