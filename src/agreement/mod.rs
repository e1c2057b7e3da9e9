//! Inter-coder agreement: the statistics core.
//!
//! This module owns every number Codeloom reports about how well independent coders agree, as
//! specified in `design/agreement/AGREEMENT.md`. The statistics are pure computation on
//! plain structures; only [`project::ReliabilityInput::load`] reads a project, only
//! [`adjudication`] asks the store to record decisions, and only the [`report`] writers write
//! files. There is no UI here.
//!
//! * [`units`]: form A reliability data (coders × units, nominal values, missing allowed,
//!   optional declared categories) and the coincidence matrix.
//! * [`stats`]: statistics on form A data: percent agreement (pairwise mean, pooled, all
//!   coders agree), Cohen's κ, Scott's π, Light's κ, Fleiss's κ (complete units and Gwet's
//!   generalisation for missing data), Krippendorff's α (nominal, ordinal, interval, ratio),
//!   Gwet's AC1 and Brennan–Prediger.
//! * [`spans`]: form B data (coded spans on text continua) and the unitizing family: the
//!   character-level view (NVivo percent agreement and κ, character α), Krippendorff's uα,
//!   |uα ("α-binary"), cuα with its coverage and (k)uα, and the MAXQDA-style segment matching.
//! * [`bootstrap`]: the seeded unit (or document) bootstrap for α and the percentile 95 % CI.
//! * [`bands`]: the interpretation bands (green / yellow / red / grey) and Landis & Koch labels.
//! * [`project`]: reliability data from a project (coders, documents, codes, unit of analysis,
//!   assignments as missing data), the pooled per-code / overall / per-document / per-wave
//!   analysis, and the disagreements behind the adjudication queue.
//! * [`adjudication`]: the adjudication queue (the disagreements of a selection with their
//!   decisions) and deciding a place, which the store records.
//! * [`unit`]: the unit of analysis and the extra rows of a report.
//! * [`report`]: the report of a project analysis and its CSV, Markdown and XLSX writers.
//! * [`cases`]: the reference case files (JSON, forms A and B) to module types, and all
//!   statistics of a case back to one JSON object.
//!
//! A statistic that is not defined for the data (0/0, fewer than two coders, no variation, …)
//! is an [`Estimate::Undefined`] carrying the reason; it is never reported as 0 or 1.

pub mod adjudication;
pub mod bands;
pub mod bootstrap;
pub mod cases;
pub mod project;
pub mod report;
pub mod spans;
pub mod stats;
pub mod unit;
pub mod units;

use std::fmt;

pub use bands::{Band, LandisKoch};
pub use bootstrap::{BootstrapConfig, BootstrapResult, SplitMix64};
pub use spans::{LayeredDocument, Span, SpanData, SpanDocument};
pub use units::{CoincidenceMatrix, Metric, ReliabilityData};

/// Why a statistic has no value for the given data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Undefined {
    /// Fewer than two coders: no agreement statistic is defined.
    FewerThanTwoCoders,
    /// No unit was coded by at least two coders.
    NoPairableUnits,
    /// The two coders compared have no unit in common.
    NoUnitsCodedByBoth,
    /// No unit was coded by every coder (Fleiss's κ on complete units).
    NoCompleteUnits,
    /// Only one value occurs among the pairable values (α: D_e = 0).
    NoVariation,
    /// Expected agreement is 1 (all ratings in one category): κ-type statistics are 0/0.
    ChanceAgreementOne,
    /// Fewer than two categories (declared or observed), so 1/q or 1/(q−1) is undefined.
    TooFewCategories,
    /// A category never occurs (or is used for everything), so its category κ is 0/0.
    CategoryNotVarying,
    /// Unitizing: no gaps or no valued units, so |uα is 0/0.
    NoGapsOrNoValuedUnits,
    /// Unitizing: the expected disagreement is 0 (for example nothing coded at all).
    NoExpectedDisagreement,
    /// cuα needs at least two distinct valued categories.
    NeedsTwoValuedCategories,
    /// cuα / (k)uα: no coded matter where coders' valued units intersect.
    NoIntersectingValuedUnits,
    /// A coder applied codes of one variable to overlapping stretches, so the variable is not a partition.
    OverlappingCodes,
    /// The continuum has length 0.
    EmptyContinuum,
    /// NVivo κ is 0/0 because both users agree on every unit; NVivo itself displays 1.
    NvivoAllUnitsAgree,
    /// No segments to compare (segment matching).
    NoSegments,
    /// No bootstrap replicate had a defined value.
    NoDefinedReplicates,
}

impl Undefined {
    /// A human-readable note explaining why the value is undefined.
    pub fn note(self) -> &'static str {
        match self {
            Undefined::FewerThanTwoCoders => "fewer than 2 coders: no agreement statistic is defined",
            Undefined::NoPairableUnits => "no unit coded by >= 2 coders",
            Undefined::NoUnitsCodedByBoth => "no unit coded by both coders",
            Undefined::NoCompleteUnits => "no complete units / fewer than 2 coders",
            Undefined::NoVariation => {
                "De = 0: only one value among pairable values; alpha = 0/0 undefined \
                 (Krippendorff: data without variation cannot indicate reliability)"
            }
            Undefined::ChanceAgreementOne => "Pe = 1: all ratings in one category; undefined",
            Undefined::TooFewCategories => "q < 2: chance agreement 1/q or 1/(q-1) undefined",
            Undefined::CategoryNotVarying => "p_j (1 - p_j) = 0: category never or always used; undefined",
            Undefined::NoGapsOrNoValuedUnits => "no gaps or no valued units: |uα undefined",
            Undefined::NoExpectedDisagreement => "expected disagreement is 0: undefined",
            Undefined::NeedsTwoValuedCategories => "needs >= 2 distinct valued categories",
            Undefined::NoIntersectingValuedUnits => "no intersecting valued units",
            Undefined::OverlappingCodes => "not computable: overlapping codes within one coder",
            Undefined::EmptyContinuum => "continuum of length 0",
            Undefined::NvivoAllUnitsAgree => "0/0: both users agree on every unit; NVivo displays kappa = 1",
            Undefined::NoSegments => "no segments",
            Undefined::NoDefinedReplicates => "no bootstrap replicate had a defined value",
        }
    }
}

impl fmt::Display for Undefined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.note())
    }
}

/// A statistic's value, or the reason it is undefined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Estimate {
    /// The statistic is defined and has this value.
    Defined(f64),
    /// The statistic is undefined for these data.
    Undefined(Undefined),
}

impl Estimate {
    /// The value, if defined.
    pub fn value(self) -> Option<f64> {
        match self {
            Estimate::Defined(v) => Some(v),
            Estimate::Undefined(_) => None,
        }
    }

    /// Whether the statistic is defined.
    pub fn is_defined(self) -> bool {
        matches!(self, Estimate::Defined(_))
    }

    /// The reason the statistic is undefined, if it is.
    pub fn undefined_reason(self) -> Option<Undefined> {
        match self {
            Estimate::Defined(_) => None,
            Estimate::Undefined(why) => Some(why),
        }
    }

    /// `num / den`, or undefined with `why` when `|den| <= tol`.
    pub(crate) fn ratio(num: f64, den: f64, tol: f64, why: Undefined) -> Estimate {
        if den.abs() <= tol || !den.is_finite() || !num.is_finite() {
            Estimate::Undefined(why)
        } else {
            Estimate::Defined(num / den)
        }
    }

    /// `1 − num / den`, or undefined with `why` when `|den| <= tol`.
    pub(crate) fn one_minus_ratio(num: f64, den: f64, tol: f64, why: Undefined) -> Estimate {
        match Estimate::ratio(num, den, tol, why) {
            Estimate::Defined(r) => Estimate::Defined(1.0 - r),
            undefined => undefined,
        }
    }
}

/// Invalid input to the agreement module (as opposed to a statistic being undefined).
#[derive(Debug, Clone, PartialEq)]
pub enum AgreementError {
    /// A unit row does not have one entry per coder.
    CoderCountMismatch {
        /// Index of the offending unit.
        unit: usize,
        /// The number of coders.
        expected: usize,
        /// The number of entries in the row.
        found: usize,
    },
    /// The same coder name was given twice.
    DuplicateCoder(String),
    /// The same category was declared twice.
    DuplicateCategory(String),
    /// A value is not among the declared categories.
    UndeclaredCategory(String),
    /// A span names a coder that is not in the coder list.
    UnknownCoder(String),
    /// A span has `end < start` or lies outside `[0, length)` of its document.
    SpanOutOfRange {
        /// The span's coder.
        coder: String,
        /// The span's code.
        code: String,
        /// Start offset.
        start: u64,
        /// End offset (exclusive).
        end: u64,
        /// Length of the document's continuum.
        length: u64,
    },
    /// An interval or ratio metric was requested but a category label is not a number.
    NonNumericCategory(String),
    /// The segment overlap threshold is not in (0, 1].
    InvalidThreshold(f64),
    /// A bootstrap was requested with zero resamples.
    NoResamples,
    /// More resamples were requested than a bootstrap draws (or than fit in memory with
    /// this many clusters).
    TooManyResamples { resamples: usize, max: usize },
    /// A case file could not be read.
    InvalidCase(String),
}

impl fmt::Display for AgreementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgreementError::CoderCountMismatch { unit, expected, found } => {
                write!(f, "unit {unit} has {found} values, expected one per coder ({expected})")
            }
            AgreementError::DuplicateCoder(c) => write!(f, "coder {c:?} is listed twice"),
            AgreementError::DuplicateCategory(c) => write!(f, "category {c:?} is declared twice"),
            AgreementError::UndeclaredCategory(c) => write!(f, "value {c:?} is not among the declared categories"),
            AgreementError::UnknownCoder(c) => write!(f, "span coder {c:?} is not in the coder list"),
            AgreementError::SpanOutOfRange { coder, code, start, end, length } => write!(
                f,
                "span [{start}, {end}) of coder {coder:?}, code {code:?} is not a valid range in a continuum of length {length}"
            ),
            AgreementError::NonNumericCategory(c) => {
                write!(f, "category {c:?} is not a number; interval and ratio metrics need numeric values")
            }
            AgreementError::InvalidThreshold(t) => write!(f, "segment overlap threshold {t} is not in (0, 1]"),
            AgreementError::NoResamples => write!(f, "the bootstrap needs at least one resample"),
            AgreementError::TooManyResamples { resamples, max } => {
                write!(f, "{resamples} bootstrap resamples is too many; use at most {max}")
            }
            AgreementError::InvalidCase(msg) => write!(f, "invalid case file: {msg}"),
        }
    }
}

impl std::error::Error for AgreementError {}

/// Sorts labels numerically when every label parses as a finite number, otherwise lexicographically.
pub(crate) fn sort_labels(labels: &mut [String]) {
    let numeric: Option<Vec<f64>> =
        labels.iter().map(|l| l.trim().parse::<f64>().ok().filter(|v| v.is_finite())).collect();
    if numeric.is_some() {
        labels.sort_by(|a, b| {
            let x = a.trim().parse::<f64>().unwrap_or(0.0);
            let y = b.trim().parse::<f64>().unwrap_or(0.0);
            x.total_cmp(&y).then_with(|| a.cmp(b))
        });
    } else {
        labels.sort();
    }
}
