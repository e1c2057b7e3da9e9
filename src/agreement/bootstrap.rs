//! Bootstrap confidence intervals (AGREEMENT.md §6.4): a nonparametric cluster bootstrap over
//! units (over documents for span data), seeded and deterministic, with the percentile 95 % CI and
//! P(α* < 0.667) and P(α* < 0.800). Replicates whose value is undefined are skipped and counted.
//!
//! Label results "unit bootstrap": they do not reproduce KALPHA's numbers exactly.

use super::bands::{RELIABLE, TENTATIVE};
use super::spans::{UnitizingTally, Variable};
use super::units::{CoincidenceMatrix, Metric, ReliabilityData};
use super::{AgreementError, Estimate, SpanData, Undefined};

/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast, seedable PRNG, so results are the same on
/// every platform and release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (unbiased, by rejection); 0 when `n == 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// Bootstrap settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapConfig {
    /// Number of resamples B (AGREEMENT.md: 2 000 by default, at least 1 000).
    pub resamples: usize,
    /// PRNG seed.
    pub seed: u64,
}

/// The most resamples a bootstrap draws: far more than a stable 95 % interval needs, and
/// few enough that memory and time stay bounded.
pub const MAX_RESAMPLES: usize = 100_000;

/// The most cluster draws (resamples × clusters) kept in memory at once by
/// [`multiplicities`]: 4 bytes each, so about 1 GB.
pub const MAX_DRAWS: usize = 250_000_000;

impl BootstrapConfig {
    /// Checks the number of resamples: at least one and at most [`MAX_RESAMPLES`].
    pub fn check(&self) -> Result<(), AgreementError> {
        if self.resamples == 0 {
            return Err(AgreementError::NoResamples);
        }
        if self.resamples > MAX_RESAMPLES {
            return Err(AgreementError::TooManyResamples { resamples: self.resamples, max: MAX_RESAMPLES });
        }
        Ok(())
    }
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        BootstrapConfig { resamples: 2000, seed: 7 }
    }
}

/// The outcome of a bootstrap.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapResult {
    /// Number of resamples drawn.
    pub resamples: usize,
    /// Number of clusters (units or documents) resampled.
    pub clusters: usize,
    /// Resamples whose value was undefined (left out of everything below).
    pub skipped: usize,
    /// Percentile 95 % interval (2.5 % and 97.5 % quantiles, linear interpolation).
    pub ci95: Option<(f64, f64)>,
    /// Share of defined replicates below 0.667.
    pub p_below_tentative: Estimate,
    /// Share of defined replicates below 0.800.
    pub p_below_reliable: Estimate,
}

/// The `p`-quantile (0 ≤ p ≤ 1) of sorted values with linear interpolation (numpy's default).
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// Summarises the defined replicate values of a bootstrap of `clusters` clusters with
/// `resamples` resamples: the percentile CI and the shares below the band cut-offs.
pub fn summarise(mut values: Vec<f64>, resamples: usize, clusters: usize) -> BootstrapResult {
    let skipped = resamples - values.len();
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let share = |cut: f64| {
        Estimate::ratio(values.iter().filter(|&&v| v < cut).count() as f64, n, 0.0, Undefined::NoDefinedReplicates)
    };
    let ci95 = quantile(&values, 0.025).zip(quantile(&values, 0.975));
    BootstrapResult {
        resamples,
        clusters,
        skipped,
        ci95,
        p_below_tentative: share(TENTATIVE),
        p_below_reliable: share(RELIABLE),
    }
}

/// The multiplicity of each of `clusters` clusters in each of `config.resamples` resamples,
/// drawn exactly as the other bootstraps here draw them, so that several statistics can be
/// computed on the same resamples.
pub fn multiplicities(clusters: usize, config: BootstrapConfig) -> Result<Vec<Vec<u32>>, AgreementError> {
    config.check()?;
    if config.resamples.saturating_mul(clusters) > MAX_DRAWS {
        let max = MAX_DRAWS / clusters.max(1);
        return Err(AgreementError::TooManyResamples { resamples: config.resamples, max });
    }
    let mut rng = SplitMix64::new(config.seed);
    let mut out = Vec::with_capacity(config.resamples);
    for _ in 0..config.resamples {
        let mut counts = vec![0u32; clusters];
        for _ in 0..clusters {
            counts[rng.below(clusters as u64) as usize] += 1;
        }
        out.push(counts);
    }
    Ok(out)
}

/// Draws `config.resamples` resamples of `clusters` items with replacement and returns the
/// multiplicity of each item per resample to `statistic`.
fn run<F>(clusters: usize, config: BootstrapConfig, mut statistic: F) -> Result<BootstrapResult, AgreementError>
where
    F: FnMut(&[u32]) -> Option<f64>,
{
    config.check()?;
    let mut rng = SplitMix64::new(config.seed);
    let mut counts = vec![0u32; clusters];
    let mut values = Vec::with_capacity(config.resamples);
    for _ in 0..config.resamples {
        counts.iter_mut().for_each(|c| *c = 0);
        for _ in 0..clusters {
            counts[rng.below(clusters as u64) as usize] += 1;
        }
        if let Some(v) = statistic(&counts) {
            values.push(v);
        }
    }
    Ok(summarise(values, config.resamples, clusters))
}

/// Unit bootstrap of Krippendorff's α: resamples the units with at least one value, with
/// replacement (units without any value are ignored, as everywhere; units with a single value
/// contribute nothing to α but take part in the draw, as in the reference computation).
pub fn bootstrap_alpha(
    data: &ReliabilityData,
    metric: Metric,
    config: BootstrapConfig,
) -> Result<BootstrapResult, AgreementError> {
    let numeric = match metric {
        Metric::Interval | Metric::Ratio => Some(data.numeric_categories()?),
        Metric::Nominal | Metric::Ordinal => None,
    };
    let q = data.categories().len();
    // A weighted row is resampled as one cluster of `weight` identical units.
    let units: Vec<CoincidenceMatrix> = (0..data.n_units())
        .map(|u| (data.unit_counts(u), data.weight(u)))
        .filter(|(counts, w)| *w > 0 && counts.iter().sum::<usize>() >= 1)
        .map(|(counts, w)| {
            let mut matrix = CoincidenceMatrix::new(q);
            matrix.add_unit(&counts, w as f64);
            matrix
        })
        .collect();
    let enough_coders = data.n_coders() >= 2;
    run(units.len(), config, |multiplicity| {
        if !enough_coders {
            return None;
        }
        let mut pooled = CoincidenceMatrix::new(q);
        for (unit, &times) in units.iter().zip(multiplicity) {
            if times > 0 {
                pooled.add_matrix(unit, f64::from(times));
            }
        }
        pooled.alpha(metric, numeric.as_deref()).ok().and_then(|parts| parts.value.value())
    })
}

/// Which unitizing coefficient to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitizingCoefficient {
    /// uα.
    U,
    /// |uα.
    Binary,
    /// cuα.
    Cu,
}

/// Document bootstrap of a unitizing coefficient: resamples the documents with replacement and
/// pools their tallies. With a single document every replicate equals the point estimate.
pub fn bootstrap_unitizing(
    data: &SpanData,
    variable: Variable<'_>,
    coefficient: UnitizingCoefficient,
    config: BootstrapConfig,
) -> Result<BootstrapResult, AgreementError> {
    let tallies = data.tallies(variable).unwrap_or_default();
    let m = data.coders().len();
    let k = tallies.first().map_or(1, UnitizingTally::n_values);
    run(tallies.len(), config, |multiplicity| {
        let mut pooled = UnitizingTally::empty(m, k);
        for (tally, &times) in tallies.iter().zip(multiplicity) {
            if times > 0 {
                pooled.add(tally, f64::from(times));
            }
        }
        match coefficient {
            UnitizingCoefficient::U => pooled.u_alpha().value(),
            UnitizingCoefficient::Binary => pooled.binary_u_alpha().value(),
            UnitizingCoefficient::Cu => pooled.cu_alpha().0.value(),
        }
    })
}
