//! Form A reliability data (coders × units with nominal values, missing allowed) and the
//! coincidence matrix behind Krippendorff's α.

use super::{AgreementError, Estimate, Undefined, sort_labels};

/// Reliability data in form A: one row per unit, one optional value per coder.
///
/// Values are stored as indices into [`ReliabilityData::categories`]. `None` means the coder gave
/// no value for the unit (missing), which is different from a value meaning "absent".
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityData {
    coders: Vec<String>,
    categories: Vec<String>,
    declared: bool,
    observed: Vec<bool>,
    values: Vec<Vec<Option<usize>>>,
    /// How many identical units each row stands for (`None`: every row is one unit). Weights
    /// let a stretch of identical characters, or a pattern of values seen many times, be one
    /// row; every statistic counts a row `weight` times.
    weights: Option<Vec<u64>>,
}

impl ReliabilityData {
    /// Builds reliability data from coder names, unit rows (one entry per coder, `None` = missing)
    /// and optional declared categories.
    ///
    /// With declared categories, their order is kept and every value must be one of them. Without,
    /// the categories are the observed values, sorted numerically if all are numbers, else
    /// lexicographically.
    pub fn new(
        coders: Vec<String>,
        units: Vec<Vec<Option<String>>>,
        declared_categories: Option<Vec<String>>,
    ) -> Result<Self, AgreementError> {
        for (i, c) in coders.iter().enumerate() {
            if coders[..i].contains(c) {
                return Err(AgreementError::DuplicateCoder(c.clone()));
            }
        }
        for (u, row) in units.iter().enumerate() {
            if row.len() != coders.len() {
                return Err(AgreementError::CoderCountMismatch { unit: u, expected: coders.len(), found: row.len() });
            }
        }
        let declared = declared_categories.is_some();
        let categories = match declared_categories {
            Some(cats) => {
                for (i, c) in cats.iter().enumerate() {
                    if cats[..i].contains(c) {
                        return Err(AgreementError::DuplicateCategory(c.clone()));
                    }
                }
                for v in units.iter().flatten().flatten() {
                    if !cats.contains(v) {
                        return Err(AgreementError::UndeclaredCategory(v.clone()));
                    }
                }
                cats
            }
            None => {
                let mut cats: Vec<String> = Vec::new();
                for v in units.iter().flatten().flatten() {
                    if !cats.contains(v) {
                        cats.push(v.clone());
                    }
                }
                sort_labels(&mut cats);
                cats
            }
        };
        let mut observed = vec![false; categories.len()];
        let values = units
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|v| {
                        v.and_then(|v| {
                            let k = categories.iter().position(|c| *c == v)?;
                            observed[k] = true;
                            Some(k)
                        })
                    })
                    .collect()
            })
            .collect();
        Ok(ReliabilityData { coders, categories, declared, observed, values, weights: None })
    }

    /// Builds reliability data directly from category indices (`values[unit][coder]`).
    ///
    /// Every index must be below `categories.len()`; an out-of-range index is an
    /// [`AgreementError::UndeclaredCategory`].
    pub fn from_indices(
        coders: Vec<String>,
        categories: Vec<String>,
        declared: bool,
        values: Vec<Vec<Option<usize>>>,
    ) -> Result<Self, AgreementError> {
        let units = values
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|v| match v {
                        None => Ok(None),
                        Some(k) => categories
                            .get(k)
                            .cloned()
                            .map(Some)
                            .ok_or_else(|| AgreementError::UndeclaredCategory(format!("#{k}"))),
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut data = ReliabilityData::new(coders, units, Some(categories))?;
        data.declared = declared;
        Ok(data)
    }

    /// The same data with each row standing for `weights[row]` identical units (a row of
    /// weight 0 counts as absent). Returns `None` unless there is one weight per row.
    pub fn with_weights(mut self, weights: Vec<u64>) -> Option<Self> {
        if weights.len() != self.values.len() {
            return None;
        }
        self.weights = Some(weights);
        Some(self)
    }

    /// How many units row `unit` stands for (1 without weights).
    pub fn weight(&self, unit: usize) -> u64 {
        match &self.weights {
            Some(w) => w.get(unit).copied().unwrap_or(0),
            None => 1,
        }
    }

    /// The coder names, in column order.
    pub fn coders(&self) -> &[String] {
        &self.coders
    }

    /// Number of coders (m).
    pub fn n_coders(&self) -> usize {
        self.coders.len()
    }

    /// Number of units (N), including units without any value.
    pub fn n_units(&self) -> usize {
        self.values.len()
    }

    /// The category labels: the declared ones, or the observed ones.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Whether the categories were declared (rather than taken from the data).
    pub fn categories_declared(&self) -> bool {
        self.declared
    }

    /// The categories that occur at least once in the data, in category order.
    pub fn categories_observed(&self) -> Vec<&str> {
        self.categories.iter().zip(&self.observed).filter(|(_, o)| **o).map(|(c, _)| c.as_str()).collect()
    }

    /// The category count q used by AC1 and Brennan–Prediger: the declared count, or the
    /// number of observed categories.
    pub fn q(&self) -> usize {
        if self.declared { self.categories.len() } else { self.observed.iter().filter(|o| **o).count() }
    }

    /// The value of `coder` for `unit` (a category index), `None` if missing or out of range.
    pub fn value(&self, unit: usize, coder: usize) -> Option<usize> {
        self.values.get(unit).and_then(|row| row.get(coder)).copied().flatten()
    }

    /// The unit rows, `rows()[unit][coder]`.
    pub fn rows(&self) -> &[Vec<Option<usize>>] {
        &self.values
    }

    /// n_uk for one unit: how many coders put the unit in each category.
    pub fn unit_counts(&self, unit: usize) -> Vec<usize> {
        let mut counts = vec![0; self.categories.len()];
        if let Some(row) = self.values.get(unit) {
            for k in row.iter().flatten() {
                counts[*k] += 1;
            }
        }
        counts
    }

    /// Number of pairable units (units with at least two values), counting row weights.
    pub fn n_pairable_units(&self) -> usize {
        (0..self.values.len())
            .filter(|&u| self.values[u].iter().flatten().count() >= 2)
            .map(|u| self.weight(u) as usize)
            .sum()
    }

    /// The same data with the coders' columns reordered: column `j` of the result is column
    /// `order[j]` of `self`. Returns `None` if `order` is not a permutation of the coders.
    pub fn with_coder_order(&self, order: &[usize]) -> Option<Self> {
        let m = self.coders.len();
        if order.len() != m || (0..m).any(|c| !order.contains(&c)) {
            return None;
        }
        let coders = order.iter().map(|&c| self.coders[c].clone()).collect();
        let values = self.values.iter().map(|row| order.iter().map(|&c| row[c]).collect()).collect();
        Some(ReliabilityData { coders, values, ..self.clone() })
    }

    /// The same data with the units reordered: unit `j` of the result is unit `order[j]` of
    /// `self`. Units may repeat or be left out (as in a bootstrap resample). Returns `None`
    /// if an index is out of range.
    pub fn with_units(&self, order: &[usize]) -> Option<Self> {
        let values = order.iter().map(|&u| self.values.get(u).cloned()).collect::<Option<Vec<_>>>()?;
        let weights = self.weights.as_ref().map(|_| order.iter().map(|&u| self.weight(u)).collect());
        Some(ReliabilityData { values, weights, ..self.clone() })
    }

    /// The numeric value of each category, if every category label is a number.
    pub fn numeric_categories(&self) -> Result<Vec<f64>, AgreementError> {
        self.categories
            .iter()
            .map(|c| {
                c.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| AgreementError::NonNumericCategory(c.clone()))
            })
            .collect()
    }

    /// The coincidence matrix of the data (pairable units only).
    pub fn coincidences(&self) -> CoincidenceMatrix {
        let mut matrix = CoincidenceMatrix::new(self.categories.len());
        for u in 0..self.values.len() {
            matrix.add_unit(&self.unit_counts(u), self.weight(u) as f64);
        }
        matrix
    }
}

/// The difference metric δ² of Krippendorff's α.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// δ² = [c ≠ k].
    Nominal,
    /// δ² = (Σ_{g=c..k} n_g − (n_c + n_k)/2)², over the category order.
    Ordinal,
    /// δ² = (c − k)²; needs numeric categories.
    Interval,
    /// δ² = ((c − k)/(c + k))², 0 when c + k = 0; needs numeric categories.
    Ratio,
}

impl Metric {
    /// The metric's lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Nominal => "nominal",
            Metric::Ordinal => "ordinal",
            Metric::Interval => "interval",
            Metric::Ratio => "ratio",
        }
    }
}

/// Krippendorff's coincidence matrix o_ck over the q categories.
#[derive(Debug, Clone, PartialEq)]
pub struct CoincidenceMatrix {
    q: usize,
    o: Vec<f64>,
}

/// The parts of Krippendorff's α computed from a coincidence matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct AlphaParts {
    /// n, the number of pairable values (the matrix total).
    pub n: f64,
    /// Observed disagreement D_o (`None` when there are no pairable values).
    pub d_o: Option<f64>,
    /// Expected disagreement D_e (`None` when there are fewer than two pairable values).
    pub d_e: Option<f64>,
    /// α = 1 − D_o / D_e.
    pub value: Estimate,
}

impl CoincidenceMatrix {
    /// An all-zero matrix over `q` categories.
    pub fn new(q: usize) -> Self {
        CoincidenceMatrix { q, o: vec![0.0; q * q] }
    }

    /// Number of categories.
    pub fn q(&self) -> usize {
        self.q
    }

    /// o_ck.
    pub fn get(&self, c: usize, k: usize) -> f64 {
        if c < self.q && k < self.q { self.o[c * self.q + k] } else { 0.0 }
    }

    /// Adds one unit given its category counts n_uk, with a multiplicity `weight` (1 for a plain
    /// unit; a length for a stretch of identical characters; a count in a bootstrap resample).
    /// Units with fewer than two values contribute nothing.
    pub fn add_unit(&mut self, counts: &[usize], weight: f64) {
        let m_u: usize = counts.iter().sum();
        if m_u < 2 {
            return;
        }
        let scale = weight / (m_u - 1) as f64;
        for (c, &n_c) in counts.iter().enumerate().take(self.q) {
            if n_c == 0 {
                continue;
            }
            for (k, &n_k) in counts.iter().enumerate().take(self.q) {
                let pairs = if c == k { n_c * (n_c - 1) } else { n_c * n_k };
                if pairs > 0 {
                    self.o[c * self.q + k] += pairs as f64 * scale;
                }
            }
        }
    }

    /// Adds another matrix (with a multiplicity), as when pooling documents or codes.
    pub fn add_matrix(&mut self, other: &CoincidenceMatrix, weight: f64) {
        for (a, b) in self.o.iter_mut().zip(&other.o) {
            *a += b * weight;
        }
    }

    /// Margins n_c = Σ_k o_ck.
    pub fn margins(&self) -> Vec<f64> {
        (0..self.q).map(|c| (0..self.q).map(|k| self.get(c, k)).sum()).collect()
    }

    /// n = Σ_c n_c, the number of pairable values.
    pub fn total(&self) -> f64 {
        self.o.iter().sum()
    }

    /// δ²_ck for every pair, given the metric. `numeric` holds the categories' numbers (needed for
    /// interval and ratio); ordinal uses the category order and the margins.
    fn deltas(&self, metric: Metric, numeric: Option<&[f64]>) -> Result<Vec<f64>, AgreementError> {
        let q = self.q;
        let mut d = vec![0.0; q * q];
        let margins = self.margins();
        for c in 0..q {
            for k in 0..q {
                if c == k {
                    continue;
                }
                d[c * q + k] = match metric {
                    Metric::Nominal => 1.0,
                    Metric::Ordinal => {
                        let (lo, hi) = if c < k { (c, k) } else { (k, c) };
                        let s: f64 = margins[lo..=hi].iter().sum::<f64>() - (margins[c] + margins[k]) / 2.0;
                        s * s
                    }
                    Metric::Interval | Metric::Ratio => {
                        let nums = numeric.ok_or_else(|| AgreementError::NonNumericCategory(String::new()))?;
                        let (x, y) = (nums[c], nums[k]);
                        if metric == Metric::Interval {
                            (x - y) * (x - y)
                        } else if x + y == 0.0 {
                            0.0
                        } else {
                            ((x - y) / (x + y)).powi(2)
                        }
                    }
                };
            }
        }
        Ok(d)
    }

    /// Krippendorff's α with the given metric. `numeric` must hold one number per category for
    /// the interval and ratio metrics.
    pub fn alpha(&self, metric: Metric, numeric: Option<&[f64]>) -> Result<AlphaParts, AgreementError> {
        if let Some(nums) = numeric
            && nums.len() != self.q
        {
            return Err(AgreementError::NonNumericCategory(format!(
                "{} numbers for {} categories",
                nums.len(),
                self.q
            )));
        }
        let n = self.total();
        if n <= 0.0 {
            return Ok(AlphaParts { n, d_o: None, d_e: None, value: Estimate::Undefined(Undefined::NoPairableUnits) });
        }
        let delta = self.deltas(metric, numeric)?;
        let margins = self.margins();
        let q = self.q;
        let mut observed = 0.0;
        let mut expected = 0.0;
        for c in 0..q {
            for k in 0..q {
                let d = delta[c * q + k];
                if d != 0.0 {
                    observed += self.o[c * q + k] * d;
                    expected += margins[c] * margins[k] * d;
                }
            }
        }
        let d_o = observed / n;
        let d_e = if n > 1.0 { Some(expected / (n * (n - 1.0))) } else { None };
        let value = match d_e {
            Some(de) if de > 0.0 => Estimate::Defined(1.0 - d_o / de),
            _ => Estimate::Undefined(Undefined::NoVariation),
        };
        Ok(AlphaParts { n, d_o: Some(d_o), d_e, value })
    }
}
