//! Line numbers in the margin: transcripts printed with Word's line numbering, or a
//! PDF converted to text, come as `12   Dan: Okay. So...` with continuation lines
//! indented and unnumbered.
//!
//! The numbering is recognised when the non-blank lines mostly start with an integer
//! followed by spaces or a tab, those integers mostly increase (gaps, blank lines and
//! restarts at the first number, as on each new page, are fine), and almost every
//! other non-blank line is indented. The stored text then drops the numbers and the
//! margin; everything else, line breaks included, stays as it was.

/// The import warning for a file whose margin numbers were removed.
pub const WARNING: &str = "line numbers in the margin were removed";

/// The fewest numbered lines that make a numbering.
const MIN_NUMBERED: usize = 3;
/// The longest number taken for a line number.
const MAX_DIGITS: usize = 6;

/// A numbered line: the number and the byte where the line's text starts (after the
/// margin), or `None` for a line that does not start with a number and white space.
fn numbered(line: &str) -> Option<(u64, usize)> {
    let lead = line.len() - line.trim_start_matches([' ', '\t']).len();
    let rest = &line[lead..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > MAX_DIGITS {
        return None;
    }
    let after = &rest[digits..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let n = rest[..digits].parse().ok()?;
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    Some((n, lead + digits + gap))
}

/// The text without its margin line numbers, when it has them.
pub fn strip_line_numbers(text: &str) -> Option<String> {
    let mut nonblank = 0usize;
    let mut numbers = 0usize;
    let mut flush = 0usize; // unnumbered lines that are not indented
    let mut in_order = 0usize;
    let mut out_of_order = 0usize;
    let mut first: Option<u64> = None;
    let mut previous: Option<u64> = None;
    for line in text.split('\n') {
        if line.trim().is_empty() {
            continue;
        }
        nonblank += 1;
        match numbered(line) {
            Some((n, _)) => {
                numbers += 1;
                let start = *first.get_or_insert(n);
                match previous {
                    Some(p) if n > p || n == start => in_order += 1,
                    Some(_) => out_of_order += 1,
                    None => {}
                }
                previous = Some(n);
            }
            None if line.starts_with([' ', '\t']) => {}
            None => flush += 1,
        }
    }
    let mostly_numbered = numbers >= MIN_NUMBERED && numbers * 5 >= nonblank;
    let increasing = out_of_order * 10 <= in_order + out_of_order;
    let indented = flush * 10 <= nonblank;
    if !(mostly_numbered && increasing && indented) {
        return None;
    }
    let stripped: Vec<&str> = text
        .split('\n')
        .map(|line| match numbered(line) {
            Some((_, body)) => line[body..].trim_end(),
            None if line.starts_with([' ', '\t']) => line.trim(),
            None => line.trim_end(),
        })
        .collect();
    Some(stripped.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_indented_continuations() {
        let text = "1    INTERVIEWER: How has it been?\n2    Dan: Okay. So... the mornings\n          are the worst.\n3\n4    INTERVIEWER: Right.";
        assert_eq!(
            strip_line_numbers(text).as_deref(),
            Some("INTERVIEWER: How has it been?\nDan: Okay. So... the mornings\nare the worst.\n\nINTERVIEWER: Right.")
        );
    }

    #[test]
    fn tabs_gaps_and_page_restarts() {
        let text = "5\tA: one\n10\tB: two\n15\tA: three\n\n5\tB: four\n10\tA: five";
        assert_eq!(strip_line_numbers(text).as_deref(), Some("A: one\nB: two\nA: three\n\nB: four\nA: five"));
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "INTERVIEWER: How long?\nP01: 3 years, maybe 4.\n",
            "2019 was bad.\n2020 was worse.\n2021 was better.\nThen it all changed again.\nAnd again.\nAnd again.",
            "1. First\n2. Second\n3. Third",
            "10 pills a day\n5 on good days\n12 on bad ones",
            "12:03 Dan: morning\n12:04 Dan: again\n12:05 Dan: and again",
            "",
        ] {
            assert_eq!(strip_line_numbers(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_title_line_above_the_numbering_is_kept() {
        let mut text = String::from("Interview 4, March\n");
        for i in 1..=12 {
            text.push_str(&format!("{i:>3}  line {i} of talk\n"));
        }
        let out = strip_line_numbers(&text).unwrap();
        assert!(out.starts_with("Interview 4, March\nline 1 of talk\nline 2 of talk\n"), "{out:?}");
    }

    #[test]
    fn numbers_that_mostly_go_backwards_are_not_a_margin() {
        let text = "9  nine\n7  seven\n5  five\n3  three\n1  one";
        assert_eq!(strip_line_numbers(text), None);
    }
}
