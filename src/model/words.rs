//! Counts in words a person reads: "1 code", "2 codes", "1 match", "3 matches".

/// `n` and the noun, plural unless `n` is 1 (English: `-es` after s, x, z, ch and sh;
/// `-s` otherwise). The noun may be several words ("child code"); the last one changes.
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {}", if n == 1 { noun.to_string() } else { plural(noun) })
}

/// The plural of a countable noun of the workbench's vocabulary.
pub fn plural(noun: &str) -> String {
    let lower = noun.to_ascii_lowercase();
    if ["s", "x", "z", "ch", "sh"].iter().any(|end| lower.ends_with(end)) {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(1, "code"), "1 code");
        assert_eq!(count(0, "code"), "0 codes");
        assert_eq!(count(2, "coding"), "2 codings");
        assert_eq!(count(1, "child code"), "1 child code");
        assert_eq!(count(4, "child code"), "4 child codes");
        assert_eq!(count(3, "match"), "3 matches");
        assert_eq!(count(2, "passage"), "2 passages");
    }
}
