//! Finding codes by a typed name, the way a coder types into the code picker: forgiving
//! (a prefix of any word, letters in order with gaps, case and accents ignored) and
//! ranked, with an exact name first and the coder's recently used codes first when
//! nothing is typed yet.
//!
//! Matching is done by `nucleo-matcher` (the fuzzy matcher of the Helix editor), on the
//! code's own name and on its path ("Theme / Code"); a match in the name counts more than
//! one that needs the parent's name. This is a pure function of the names: the GUI's picker
//! and `codeloom code find` call it.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::collections::HashMap;

/// A code to be found: its ID, own name and path from the top of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    /// "Theme / Subtheme / Code".
    pub path: String,
}

/// One code that matches, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Index into the candidates.
    pub index: usize,
    /// Whether the typed text is the code's name or path exactly (ignoring case and accents).
    pub exact: bool,
    /// Char indices into the candidate's path of the letters that matched, ascending.
    pub matched: Vec<usize>,
}

/// A name typed with a matching bonus: a match inside the code's own name outranks a
/// match that needs its parent's words by this much (about two matched letters).
const OWN_NAME_BONUS: u32 = 32;

/// The codes matching `query`, best first. With nothing typed, every code: the
/// `recent` IDs first (most recent first), then the others in the order given.
pub fn rank(candidates: &[Candidate], query: &str, recent: &[String]) -> Vec<Found> {
    let recency: HashMap<&str, usize> = recent.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let recent_rank = |c: &Candidate| recency.get(c.id.as_str()).copied().unwrap_or(usize::MAX);
    let query = query.trim();
    if query.is_empty() {
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by_key(|&i| (recent_rank(&candidates[i]), i));
        return order.into_iter().map(|index| Found { index, exact: false, matched: Vec::new() }).collect();
    }
    let pattern = Pattern::new(query, CaseMatching::Ignore, Normalization::Smart, AtomKind::Fuzzy);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let folded = fold(query);
    let mut buf = Vec::new();
    let mut scored: Vec<(bool, u32, usize, usize, Found)> = Vec::new();
    for (index, c) in candidates.iter().enumerate() {
        let own = pattern.score(Utf32Str::new(&c.name, &mut buf), &mut matcher).map(|s| s + OWN_NAME_BONUS);
        let mut matched = Vec::new();
        let in_path = pattern.indices(Utf32Str::new(&c.path, &mut buf), &mut matcher, &mut matched);
        let Some(score) = own.max(in_path) else { continue };
        matched.sort_unstable();
        matched.dedup();
        let exact = fold(&c.name) == folded || fold(&c.path) == folded;
        let found = Found { index, exact, matched: matched.into_iter().map(|i| i as usize).collect() };
        scored.push((exact, score, recent_rank(c), c.path.chars().count(), found));
    }
    // Exact first, then the best score, then recently used, then the shorter path, then tree order.
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)).then(a.4.index.cmp(&b.4.index))
    });
    scored.into_iter().map(|s| s.4).collect()
}

/// Whether `typed` names a code exactly (its name or path, ignoring case and accents).
pub fn exact<'a>(candidates: &'a [Candidate], typed: &str) -> Option<&'a Candidate> {
    let folded = fold(typed.trim());
    candidates.iter().find(|c| fold(&c.name) == folded || fold(&c.path) == folded)
}

/// Lower case without accents, white space collapsed, for comparing names.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for ch in word.chars() {
            let base = nucleo_matcher::chars::normalize(ch);
            out.extend(base.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(name: &str, path: &str) -> Candidate {
        Candidate { id: format!("id-{name}"), name: name.into(), path: path.into() }
    }

    fn book() -> Vec<Candidate> {
        vec![
            code("Living with pain", "Living with pain"),
            code("Sleep disruption", "Living with pain / Sleep disruption"),
            code("Pacing", "Managing pain / Pacing"),
            code("Trust in clinicians", "Care / Trust in clinicians"),
            code("Mistrust", "Care / Mistrust"),
            code("Trust", "Care / Trust"),
            code("Café culture", "Support / Café culture"),
            code("Medication side effects", "Managing pain / Medication side effects"),
        ]
    }

    fn names(found: &[Found], book: &[Candidate]) -> Vec<String> {
        found.iter().map(|f| book[f.index].name.clone()).collect()
    }

    #[test]
    fn a_word_prefix_finds_the_existing_code_first() {
        let b = book();
        let found = rank(&b, "sleep", &[]);
        assert_eq!(names(&found, &b)[0], "Sleep disruption");
        assert!(!found[0].exact);
        let found = rank(&b, "disr", &[]);
        assert_eq!(names(&found, &b)[0], "Sleep disruption", "a prefix of a later word");
    }

    #[test]
    fn letters_in_order_with_gaps_case_and_accents_ignored() {
        let b = book();
        assert_eq!(names(&rank(&b, "mdsdf", &[]), &b)[0], "Medication side effects");
        assert_eq!(names(&rank(&b, "CAFE", &[]), &b)[0], "Café culture");
        assert_eq!(names(&rank(&b, "sleep dis", &[]), &b)[0], "Sleep disruption", "several words");
        assert!(rank(&b, "zzz", &[]).is_empty());
    }

    #[test]
    fn exact_names_come_first_then_own_name_matches_then_path_matches() {
        let b = book();
        let found = rank(&b, "trust", &[]);
        let n = names(&found, &b);
        assert_eq!(n[0], "Trust");
        assert!(found[0].exact);
        assert!(n.iter().position(|x| x == "Trust in clinicians") < n.iter().position(|x| x == "Mistrust"));
        // "care" is only in the parent's name: those codes still match, after any own-name match.
        let n = names(&rank(&b, "care", &[]), &b);
        assert!(n.contains(&"Mistrust".to_string()), "{n:?}");
        assert!(exact(&b, "  care / TRUST ").is_some_and(|c| c.name == "Trust"));
        assert!(exact(&b, "cafe culture").is_some_and(|c| c.name == "Café culture"));
        assert!(exact(&b, "sleep").is_none());
    }

    #[test]
    fn recent_codes_lead_an_empty_query_and_break_ties() {
        let b = book();
        let recent = vec!["id-Pacing".to_string(), "id-Trust".to_string()];
        let n = names(&rank(&b, "", &recent), &b);
        assert_eq!(&n[..3], ["Pacing", "Trust", "Living with pain"]);
        assert_eq!(n.len(), b.len());
    }

    #[test]
    fn matched_letters_are_char_indices_into_the_path() {
        let b = book();
        let found = rank(&b, "cafe", &[]);
        let path: Vec<char> = b[found[0].index].path.chars().collect();
        let letters: String = found[0].matched.iter().map(|&i| path[i]).collect();
        assert_eq!(letters.to_lowercase(), "café");
    }
}
