//! Reading participant and wave from a file name, through a pattern the user can see
//! and change.
//!
//! A pattern is a regular expression over the file name without its extension, with
//! named groups `participant` and (optionally) `wave`. The participant is normalised to
//! `P` and at least two digits when it is a number (`7` → `P07`); the wave goes through
//! [`canonical_wave`] (`baseline` → `BL`, `6m` → `6M`).

use crate::model::wave::canonical_wave;
use regex::Regex;

/// The pattern used until a project sets its own. It recognises `P07_BL`, `p07-6m`,
/// `Participant 7 baseline`, `P07 3 months`, `pt12_FU` and a bare `P07`.
pub const DEFAULT_PATTERN: &str =
    r"(?i)^(?:participant|pt|p)[\s_-]*(?P<participant>\d{1,4})(?:[\s_-]+(?P<wave>[a-z0-9][a-z0-9 _-]*?))?\s*$";

/// The setting under which a project keeps its pattern.
pub const PATTERN_SETTING: &str = "filename_pattern";

/// A compiled file-name pattern.
#[derive(Debug, Clone)]
pub struct NamePattern {
    source: String,
    regex: Regex,
}

/// Participant and wave read from a file name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameParts {
    pub participant: Option<String>,
    pub wave: Option<String>,
}

impl NamePattern {
    /// Compiles a pattern, checking that it has a `participant` group.
    pub fn new(source: &str) -> Result<Self, String> {
        let regex =
            Regex::new(source).map_err(|e| format!("the file-name pattern is not a valid regular expression: {e}"))?;
        if !regex.capture_names().flatten().any(|n| n == "participant") {
            return Err("the file-name pattern needs a group named participant, as in (?P<participant>\\d+)".into());
        }
        Ok(NamePattern { source: source.to_string(), regex })
    }

    /// The default pattern.
    pub fn default_pattern() -> Self {
        Self::new(DEFAULT_PATTERN).expect("the default pattern compiles")
    }

    /// The pattern as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Participant and wave of a file stem (the name without extension).
    pub fn parse(&self, stem: &str) -> NameParts {
        let Some(c) = self.regex.captures(stem.trim()) else {
            return NameParts::default();
        };
        let participant = c.name("participant").map(|m| normalise_participant(m.as_str())).filter(|p| !p.is_empty());
        let wave = c.name("wave").map(|m| canonical_wave(m.as_str())).filter(|w| !w.is_empty());
        NameParts { participant, wave }
    }
}

/// `7` → `P07`, `p7` → `P07`, `P123` → `P123`; other labels are kept as written.
pub fn normalise_participant(raw: &str) -> String {
    let t = raw.trim();
    let digits = t.strip_prefix(['p', 'P']).unwrap_or(t);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        let n: u64 = digits.parse().unwrap_or(0);
        return format!("P{n:02}");
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names() {
        let p = NamePattern::default_pattern();
        let cases = [
            ("P07_BL", Some("P07"), Some("BL")),
            ("p07-6m", Some("P07"), Some("6M")),
            ("Participant 7 baseline", Some("P07"), Some("BL")),
            ("P01_3M", Some("P01"), Some("3M")),
            ("P12 3 months", Some("P12"), Some("3M")),
            ("pt3_FU", Some("P03"), Some("FU")),
            ("P07", Some("P07"), None),
            ("focus group notes", None, None),
        ];
        for (name, part, wave) in cases {
            let got = p.parse(name);
            assert_eq!(got.participant.as_deref(), part, "{name}");
            assert_eq!(got.wave.as_deref(), wave, "{name}");
        }
    }

    #[test]
    fn custom_patterns() {
        let p = NamePattern::new(r"^(?P<wave>T\d)-(?P<participant>[A-Z]+)$").unwrap();
        assert_eq!(p.parse("T1-ABC"), NameParts { participant: Some("ABC".into()), wave: Some("T1".into()) });
        assert!(NamePattern::new("(unclosed").is_err());
        assert!(NamePattern::new(r"(?P<who>\d+)").unwrap_err().contains("participant"));
    }
}
