//! Interpretation bands (AGREEMENT.md §6.2): Krippendorff's cut-offs coloured green / yellow /
//! red / grey, applied to the point estimate, and the Landis & Koch (1977) wording for κ-type
//! columns (a convention without statistical basis; show it as a tooltip only).

use super::Estimate;

/// α (or κ, coloured with the same cut-offs) at or above this is "reliable".
pub const RELIABLE: f64 = 0.800;
/// α at or above this (and below [`RELIABLE`]) is "acceptable for tentative conclusions".
pub const TENTATIVE: f64 = 0.667;
/// Suggested minimum number of pairable units before a band is shown (a product choice).
pub const MIN_PAIRABLE_UNITS: usize = 10;
/// Suggested minimum count of the less frequent value before a band is shown (a product choice).
pub const MIN_MINORITY_COUNT: usize = 5;

/// The interpretation band of an agreement coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Band {
    /// α ≥ 0.800: reliable.
    Reliable,
    /// 0.667 ≤ α < 0.800: acceptable only for tentative conclusions.
    Tentative,
    /// α < 0.667, including negative values: unreliable.
    Unreliable,
    /// Undefined value, or too little data.
    Undefined,
}

impl Band {
    /// The band of a point estimate.
    pub fn for_estimate(estimate: Estimate) -> Band {
        match estimate.value() {
            Some(v) if v >= RELIABLE => Band::Reliable,
            Some(v) if v >= TENTATIVE => Band::Tentative,
            Some(_) => Band::Unreliable,
            None => Band::Undefined,
        }
    }

    /// The band of a point estimate, grey when there is too little data: fewer than
    /// [`MIN_PAIRABLE_UNITS`] pairable units, or the less frequent value occurring fewer than
    /// [`MIN_MINORITY_COUNT`] times.
    pub fn for_estimate_with_data(estimate: Estimate, n_pairable_units: usize, minority_count: usize) -> Band {
        if n_pairable_units < MIN_PAIRABLE_UNITS || minority_count < MIN_MINORITY_COUNT {
            Band::Undefined
        } else {
            Band::for_estimate(estimate)
        }
    }

    /// The colour name: `green`, `yellow`, `red` or `grey`.
    pub fn colour(self) -> &'static str {
        match self {
            Band::Reliable => "green",
            Band::Tentative => "yellow",
            Band::Unreliable => "red",
            Band::Undefined => "grey",
        }
    }

    /// A short label for the band.
    pub fn label(self) -> &'static str {
        match self {
            Band::Reliable => "reliable",
            Band::Tentative => "tentative",
            Band::Unreliable => "unreliable",
            Band::Undefined => "undefined",
        }
    }
}

/// Landis & Koch (1977) wording for κ values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LandisKoch {
    /// κ < 0.
    Poor,
    /// 0.00–0.20.
    Slight,
    /// 0.21–0.40.
    Fair,
    /// 0.41–0.60.
    Moderate,
    /// 0.61–0.80.
    Substantial,
    /// 0.81–1.00.
    AlmostPerfect,
}

impl LandisKoch {
    /// The Landis & Koch category of a κ value (`None` when undefined).
    pub fn for_estimate(estimate: Estimate) -> Option<LandisKoch> {
        let v = estimate.value()?;
        Some(if v < 0.0 {
            LandisKoch::Poor
        } else if v <= 0.20 {
            LandisKoch::Slight
        } else if v <= 0.40 {
            LandisKoch::Fair
        } else if v <= 0.60 {
            LandisKoch::Moderate
        } else if v <= 0.80 {
            LandisKoch::Substantial
        } else {
            LandisKoch::AlmostPerfect
        })
    }

    /// The wording, e.g. "moderate".
    pub fn label(self) -> &'static str {
        match self {
            LandisKoch::Poor => "poor",
            LandisKoch::Slight => "slight",
            LandisKoch::Fair => "fair",
            LandisKoch::Moderate => "moderate",
            LandisKoch::Substantial => "substantial",
            LandisKoch::AlmostPerfect => "almost perfect",
        }
    }
}
