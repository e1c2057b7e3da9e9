//! Wave names: recognising the many ways transcripts name the same time point, and
//! ordering waves in time.

/// The canonical name of a wave written as in a file name: `bl`, `baseline`, `T0`,
/// `pre` → `BL`; `3m`, `3 month`, `3-months`, `three months` → `3M`; `12m`, `1y` →
/// `12M`; anything else is kept, upper-cased.
pub fn canonical_wave(raw: &str) -> String {
    let s: String = raw.trim().to_lowercase().chars().map(|c| if c == '_' || c == '-' { ' ' } else { c }).collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match s.as_str() {
        "bl" | "baseline" | "base line" | "t0" | "pre" | "wave 0" | "w0" => return "BL".into(),
        _ => {}
    }
    if let Some(months) = months_of(&s) {
        return format!("{months}M");
    }
    raw.trim().to_uppercase()
}

fn months_of(s: &str) -> Option<u32> {
    const WORDS: [(&str, u32); 12] = [
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
        ("eleven", 11),
        ("twelve", 12),
    ];
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    let (n, rest) = if !digits.is_empty() {
        (digits.parse::<u32>().ok()?, s[digits.len()..].trim())
    } else {
        let (w, rest) = s.split_once(' ')?;
        (WORDS.iter().find(|(name, _)| *name == w)?.1, rest.trim())
    };
    match rest {
        "m" | "mo" | "mth" | "mths" | "month" | "months" | "month follow up" | "months follow up" => Some(n),
        "y" | "yr" | "year" | "years" => Some(n * 12),
        _ => None,
    }
}

/// A sort key that puts waves in time order: BL first, then by months, then the rest
/// alphabetically.
pub fn wave_sort_key(name: &str) -> (u8, u32, String) {
    if name == "BL" {
        return (0, 0, String::new());
    }
    if let Some(m) = name.strip_suffix('M').and_then(|n| n.parse::<u32>().ok()) {
        return (1, m, String::new());
    }
    (2, 0, name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names() {
        for (raw, want) in [
            ("BL", "BL"),
            ("baseline", "BL"),
            ("3m", "3M"),
            ("6M", "6M"),
            ("3 month", "3M"),
            ("3-months", "3M"),
            ("six months", "6M"),
            ("1y", "12M"),
            ("follow-up", "FOLLOW-UP"),
        ] {
            assert_eq!(canonical_wave(raw), want, "{raw}");
        }
        let mut w = vec!["6M", "FU", "BL", "12M", "3M"];
        w.sort_by_key(|n| wave_sort_key(n));
        assert_eq!(w, ["BL", "3M", "6M", "12M", "FU"]);
    }
}
