//! Turning a parsed query into tantivy queries (to find passages) and matchers (to
//! highlight them): words and phrases by their analysed forms, prefixes and fuzzy
//! words, filters on speaker, participant, wave, document, codes, coders and
//! participant attributes.
//!
//! Compiling recurses once per level of the query tree, which the parser bounds; a
//! tree deeper than a parsed query can be is refused rather than followed.

use super::highlight::Matcher;
use super::index::SearchIndex;
use super::query::{Comparison, DEEPEST_NESTING, Node, QueryError};
use super::schema::{STEM_MARK, analyzer, primary_forms, stem_of};
use crate::model::AttributeKind;
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RegexPhraseQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

/// The deepest query tree compiled: what the parser makes at most (an `OR` and an
/// `AND` for each parenthesis, a `NOT` for each negation, and the top and a word).
const DEEPEST_TREE: usize = 2 * DEEPEST_NESTING + 3;

/// Words as written, one after another.
fn words_query(field: Field, forms: &[String]) -> Box<dyn Query> {
    if let [form] = forms {
        Box::new(TermQuery::new(Term::from_field_text(field, form), IndexRecordOption::WithFreqs))
    } else {
        Box::new(PhraseQuery::new(forms.iter().map(|s| Term::from_field_text(field, s)).collect()))
    }
}

/// The terms a stem is found by in the words field: the marked stem, and the stem
/// itself when it is a word that is its own stem.
fn stem_terms(stem: &str) -> Vec<String> {
    let mut terms = vec![format!("{STEM_MARK}{stem}")];
    if stem_of(stem).is_none() {
        terms.push(stem.to_string());
    }
    terms
}

/// The most phrases a stemmed phrase is searched as, one for each choice of a term at
/// each place. Past this, it is one phrase whose places each take any of their terms
/// (tantivy's `RegexPhraseQuery`, which first gathers each place's passages into a set).
const MOST_PHRASES: usize = 8;

/// Whether any segment of the index holds `term`. A dictionary that cannot be read
/// counts as holding it, so that the search itself meets (and reports) the damage.
fn in_index(searcher: &Searcher, term: &Term) -> bool {
    searcher.segment_readers().iter().any(|segment| {
        segment
            .inverted_index(term.field())
            .and_then(|words| words.get_term_info(term).map_err(tantivy::TantivyError::from))
            .map_or(true, |info| info.is_some())
    })
}

/// Every choice of one term at each place, in order.
fn choices(places: &[Vec<Term>]) -> Vec<Vec<Term>> {
    let mut out: Vec<Vec<Term>> = vec![Vec::new()];
    for place in places {
        out = out
            .iter()
            .flat_map(|chosen| {
                place.iter().map(move |t| {
                    let mut next = chosen.clone();
                    next.push(t.clone());
                    next
                })
            })
            .collect();
    }
    out
}

/// Words by their stems, one after another: each place may hold any of its stem's
/// terms. Only the terms the index holds are looked for; when few choices remain, the
/// phrase is searched as plain phrases, one per choice (a phrase reads its terms'
/// positions directly, where one place of several terms first unites their passages),
/// and a stem the index lacks matches nothing.
fn stems_query(searcher: &Searcher, field: Field, stems: &[String]) -> Box<dyn Query> {
    let places: Vec<Vec<Term>> = stems
        .iter()
        .map(|stem| {
            stem_terms(stem)
                .into_iter()
                .map(|t| Term::from_field_text(field, &t))
                .filter(|t| in_index(searcher, t))
                .collect()
        })
        .collect();
    if places.iter().any(Vec::is_empty) {
        return Box::new(EmptyQuery);
    }
    if let [terms] = places.as_slice() {
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| -> (Occur, Box<dyn Query>) {
                (Occur::Should, Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs)))
            })
            .collect();
        return Box::new(BooleanQuery::new(clauses));
    }
    let phrases = places.iter().try_fold(1usize, |n, place| n.checked_mul(place.len()).filter(|&n| n <= MOST_PHRASES));
    if phrases.is_some() {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = choices(&places)
            .into_iter()
            .map(|terms| -> (Occur, Box<dyn Query>) { (Occur::Should, Box::new(PhraseQuery::new(terms))) })
            .collect();
        if clauses.len() == 1 {
            return clauses.remove(0).1;
        }
        return Box::new(BooleanQuery::new(clauses));
    }
    let patterns: Vec<String> = places
        .iter()
        .map(|place| {
            let alternatives: Vec<String> =
                place.iter().filter_map(|t| t.value().as_str().map(regex::escape)).collect();
            format!("(?:{})", alternatives.join("|"))
        })
        .collect();
    Box::new(RegexPhraseQuery::new(field, patterns))
}

impl SearchIndex {
    /// Turns a parsed query into a tantivy query and collects the matchers of its
    /// positive parts. `searcher` is the one the query will run on: a stemmed phrase
    /// looks only for the terms its segments hold.
    pub(super) fn compile(
        &self,
        searcher: &Searcher,
        node: &Node,
        exact: bool,
        matchers: &mut Vec<Matcher>,
        negated: bool,
    ) -> Result<Box<dyn Query>, QueryError> {
        self.compile_at(searcher, node, exact, matchers, negated, 1)
    }

    fn compile_at(
        &self,
        searcher: &Searcher,
        node: &Node,
        exact: bool,
        matchers: &mut Vec<Matcher>,
        negated: bool,
        level: usize,
    ) -> Result<Box<dyn Query>, QueryError> {
        let f = self.fields;
        let qerr = |position: usize, message: String| QueryError { position, message };
        if level > DEEPEST_TREE {
            return Err(qerr(0, format!("the query nests more than {DEEPEST_NESTING} levels; write it more simply")));
        }
        let deeper = level + 1;
        Ok(match node {
            Node::Word(w) | Node::Phrase(w) => {
                let mut a = analyzer(!exact);
                let forms = primary_forms(&mut a, w);
                if forms.is_empty() {
                    return Ok(Box::new(EmptyQuery));
                }
                if !negated {
                    matchers.push(Matcher::Words { forms: forms.clone(), stemmed: !exact });
                }
                if exact { words_query(f.text, &forms) } else { stems_query(searcher, f.text, &forms) }
            }
            Node::Prefix(p) | Node::Fuzzy(p, _) => {
                let mut a = analyzer(false);
                let forms = primary_forms(&mut a, p);
                if forms.len() > 1 {
                    return Err(qerr(0, format!("\"{p}\" is more than one word; * and ~ work on single words")));
                }
                if forms.is_empty() {
                    return Err(qerr(0, format!("\"{p}\" is longer than any word the index holds")));
                }
                let term = Term::from_field_text(f.text, &forms[0]);
                match node {
                    Node::Fuzzy(_, d) => {
                        if !negated {
                            matchers.push(Matcher::Fuzzy { form: forms[0].clone(), distance: *d });
                        }
                        Box::new(FuzzyTermQuery::new(term, *d, true))
                    }
                    _ => {
                        if !negated {
                            matchers.push(Matcher::Prefix(forms[0].clone()));
                        }
                        Box::new(FuzzyTermQuery::new_prefix(term, 0, true))
                    }
                }
            }
            Node::Filter { name, value, comparison, position } => self.filter(name, value, *comparison, *position)?,
            Node::Not(inner) => {
                let q = self.compile_at(searcher, inner, exact, matchers, !negated, deeper)?;
                Box::new(BooleanQuery::new(vec![(Occur::Must, Box::new(AllQuery)), (Occur::MustNot, q)]))
            }
            Node::And(parts) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for p in parts {
                    match p {
                        Node::Not(inner) => clauses.push((
                            Occur::MustNot,
                            self.compile_at(searcher, inner, exact, matchers, !negated, deeper)?,
                        )),
                        _ => {
                            clauses.push((Occur::Must, self.compile_at(searcher, p, exact, matchers, negated, deeper)?))
                        }
                    }
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Node::Or(parts) => {
                let clauses = parts
                    .iter()
                    .map(|p| Ok((Occur::Should, self.compile_at(searcher, p, exact, matchers, negated, deeper)?)))
                    .collect::<Result<Vec<_>, QueryError>>()?;
                Box::new(BooleanQuery::new(clauses))
            }
        })
    }

    fn filter(
        &self,
        name: &str,
        value: &str,
        comparison: Comparison,
        position: usize,
    ) -> Result<Box<dyn Query>, QueryError> {
        let f = self.fields;
        let lower = value.to_lowercase();
        let term_query = |field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic))
        };
        let plain_field = match name {
            "speaker" => Some(f.speaker),
            "participant" => Some(f.participant),
            "wave" => Some(f.wave),
            "document" | "doc" => Some(f.document),
            "coder" => Some(f.coders),
            _ => None,
        };
        if let Some(field) = plain_field {
            if comparison != Comparison::Equal {
                return Err(QueryError { position, message: format!("{name}: takes a name, not a comparison") });
            }
            return Ok(term_query(field, &lower));
        }
        if name == "code" {
            let ids = self.codes_named(value);
            if ids.is_empty() {
                return Err(QueryError { position, message: format!("no code is named \"{value}\"") });
            }
            return Ok(Box::new(TermSetQuery::new(ids.into_iter().map(|id| Term::from_field_text(f.codes, &id)))));
        }
        let catalog = &self.stamp.catalog;
        let Some(attr) = catalog.attributes.iter().find(|a| a.name.to_lowercase() == name) else {
            let mut known: Vec<String> =
                ["speaker", "wave", "participant", "document", "code", "coder"].iter().map(|s| s.to_string()).collect();
            known.extend(catalog.attributes.iter().map(|a| a.name.to_lowercase()));
            return Err(QueryError {
                position: position.saturating_sub(name.chars().count() + 1),
                message: format!("there is no filter \"{name}:\"; filters are {}", known.join(", ")),
            });
        };
        let numeric = attr.kind == AttributeKind::Number;
        if comparison == Comparison::Equal && !numeric {
            return Ok(term_query(f.attrs, &format!("{}={}", attr.name.to_lowercase(), lower)));
        }
        if attr.kind != AttributeKind::Number && attr.kind != AttributeKind::Date {
            return Err(QueryError {
                position,
                message: format!(
                    "{} is a {} attribute; only numbers and dates compare with < and >",
                    attr.name, attr.kind
                ),
            });
        }
        let wanted: Option<f64> = value.parse().ok();
        if numeric && wanted.is_none() {
            return Err(QueryError { position, message: format!("{} takes a number, not \"{value}\"", attr.name) });
        }
        let keep = |v: &str| -> bool {
            let ord = if numeric {
                match (v.parse::<f64>().ok(), wanted) {
                    (Some(a), Some(b)) => a.partial_cmp(&b),
                    _ => None,
                }
            } else {
                Some(v.cmp(value))
            };
            let Some(ord) = ord else { return false };
            match comparison {
                Comparison::Equal => ord.is_eq(),
                Comparison::Less => ord.is_lt(),
                Comparison::LessOrEqual => ord.is_le(),
                Comparison::Greater => ord.is_gt(),
                Comparison::GreaterOrEqual => ord.is_ge(),
            }
        };
        let people: Vec<Term> = catalog
            .participants
            .values()
            .filter(|p| p.attributes.iter().any(|(n, v)| n == &attr.name && keep(v)))
            .map(|p| Term::from_field_text(f.participant, &p.label.to_lowercase()))
            .collect();
        Ok(if people.is_empty() { Box::new(EmptyQuery) } else { Box::new(TermSetQuery::new(people)) })
    }

    /// The IDs of the codes a name or path names, with all their subcodes.
    fn codes_named(&self, value: &str) -> Vec<String> {
        let want = value.trim().to_lowercase();
        let catalog = &self.stamp.catalog;
        let roots: Vec<&str> = catalog
            .codes
            .iter()
            .filter(|c| {
                c.id == value
                    || c.name.to_lowercase() == want
                    || catalog.code_path(&c.id).is_some_and(|p| {
                        let p = p.to_lowercase();
                        want.contains('/')
                            && (p == want.split('/').map(str::trim).collect::<Vec<_>>().join(" / ")
                                || p.ends_with(&format!(
                                    " / {}",
                                    want.split('/').map(str::trim).collect::<Vec<_>>().join(" / ")
                                )))
                    })
            })
            .map(|c| c.id.as_str())
            .collect();
        let mut out: Vec<String> = roots.iter().map(|s| s.to_string()).collect();
        let mut i = 0;
        while i < out.len() {
            let parent = out[i].clone();
            for c in &catalog.codes {
                if c.parent_id.as_deref() == Some(parent.as_str()) && !out.contains(&c.id) {
                    out.push(c.id.clone());
                }
            }
            i += 1;
        }
        out
    }
}
