//! The order people expect for labels and names with numbers in them ("natural" order):
//! `P2` before `P10`, `P10` before `P100`, `Interview 9` before `Interview 10`. Runs of
//! digits compare by their value, everything else by its letters, ignoring case first.
//! The store sorts participants and documents with it (as an SQLite collation) and the
//! window keeps its lists in the same order.

use std::cmp::Ordering;

/// A stretch of a label: a run of ASCII digits or a run of anything else.
fn chunks(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let digit = first.is_ascii_digit();
        let end = rest.find(|c: char| c.is_ascii_digit() != digit).unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

/// Compares two digit runs by value (any length: no overflow), then fewer leading zeros first.
fn compare_numbers(a: &str, b: &str) -> Ordering {
    let (ta, tb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb)).then_with(|| a.len().cmp(&b.len()))
}

/// Natural order of two labels; a total order (labels that differ only in case or leading
/// zeros still compare unequal, so sorting is stable across runs).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut xs = chunks(a);
    let mut ys = chunks(b);
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let numbers = x.as_bytes()[0].is_ascii_digit() && y.as_bytes()[0].is_ascii_digit();
                let order = if numbers { compare_numbers(x, y) } else { x.to_lowercase().cmp(&y.to_lowercase()) };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_in_labels_sort_by_their_value() {
        let mut labels = vec!["P100", "P10", "p3", "P2", "P1000", "P02", "Q1", "P", "P1a", "P1"];
        labels.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(labels, vec!["P", "P1", "P1a", "P2", "P02", "p3", "P10", "P100", "P1000", "Q1"]);
        let mut names = vec!["Interview 10 (BL)", "Interview 9 (BL)", "interview 9 (FU)"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, vec!["Interview 9 (BL)", "interview 9 (FU)", "Interview 10 (BL)"]);
        // Digit runs longer than any integer type.
        assert_eq!(natural_cmp("P99999999999999999999999", "P100000000000000000000000"), Ordering::Less);
    }

    proptest! {
        #[test]
        fn it_is_a_total_order(a in "[Pp0-9a ]{0,8}", b in "[Pp0-9a ]{0,8}", c in "[Pp0-9a ]{0,8}") {
            prop_assert_eq!(natural_cmp(&a, &b), natural_cmp(&b, &a).reverse());
            prop_assert_eq!(natural_cmp(&a, &b) == Ordering::Equal, a == b);
            if natural_cmp(&a, &b) != Ordering::Greater && natural_cmp(&b, &c) != Ordering::Greater {
                prop_assert_ne!(natural_cmp(&a, &c), Ordering::Greater);
            }
        }
    }
}
