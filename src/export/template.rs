//! Attribute templates: the text after each quote, such as `[{age}-year-old {gender}, {wave}]`.
//!
//! A template is literal text with placeholders in braces. `{name}` is replaced by the
//! value of that name (an attribute of the speaker, or `participant`, `wave`, `document`,
//! `coder`, `code`, or `time`: when the quote is spoken in the document's linked recording,
//! such as `12:34`; names are matched case-insensitively); `{name|text}` writes `text`
//! when the value is missing; `{{` and `}}` write literal braces.
//!
//! Missing values are handled so the result still reads well: a placeholder whose value
//! is missing (no attribute of that name, or an empty value) takes the whole word it is
//! part of with it (`{age}-year-old` disappears as one), and then separators left
//! dangling (`,` `;` `|` `/` `·` dashes) are dropped, brackets left empty are removed
//! with their contents, and spaces are tidied. So `[{age}-year-old {gender}, {wave}]`
//! gives `[male, 3M]` without an age and nothing at all when every value is missing.
//! Template mistakes (an unclosed `{`, a stray `}`, an empty `{}`) are kept as literal
//! text and reported as warnings, never as errors.

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    items: Vec<Item>,
    /// What looked wrong in the template (kept as literal text).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Text(String),
    Field {
        name: String,
        fallback: Option<String>,
    },
    Space,
    Open(char),
    Close(char),
    /// A separator; `attaches` when it hangs on the word before it (`,` `;`).
    Sep {
        text: String,
        attaches: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Out {
    Word(String),
    Space,
    Open(char),
    Close(char),
    Sep { text: String, attaches: bool },
}

impl Template {
    /// Reads a template; never fails.
    pub fn parse(src: &str) -> Template {
        let chars: Vec<char> = src.chars().collect();
        let mut items = Vec::new();
        let mut warnings = Vec::new();
        let push_text = |items: &mut Vec<Item>, s: &str| match items.last_mut() {
            Some(Item::Text(t)) => t.push_str(s),
            _ => items.push(Item::Text(s.to_string())),
        };
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '{' if chars.get(i + 1) == Some(&'{') => {
                    push_text(&mut items, "{");
                    i += 2;
                    continue;
                }
                '}' if chars.get(i + 1) == Some(&'}') => {
                    push_text(&mut items, "}");
                    i += 2;
                    continue;
                }
                '{' => {
                    let close = chars[i + 1..].iter().position(|&x| x == '}' || x == '{').map(|p| p + i + 1);
                    match close.filter(|&p| chars[p] == '}') {
                        Some(end) => {
                            let inner: String = chars[i + 1..end].iter().collect();
                            let (name, fallback) = match inner.split_once('|') {
                                Some((n, f)) => (n.trim().to_string(), Some(f.to_string())),
                                None => (inner.trim().to_string(), None),
                            };
                            if name.is_empty() {
                                warnings.push(format!("an empty placeholder {{{inner}}} is written as it stands"));
                                push_text(&mut items, &format!("{{{inner}}}"));
                            } else {
                                items.push(Item::Field { name, fallback });
                            }
                            i = end + 1;
                        }
                        None => {
                            warnings.push(format!(
                                "the brace at character {} is never closed and is written as it stands (write {{{{ for a literal brace)",
                                i + 1
                            ));
                            push_text(&mut items, "{");
                            i += 1;
                        }
                    }
                    continue;
                }
                '}' => {
                    warnings.push(format!(
                        "the closing brace at character {} has no opening brace and is written as it stands (write }}}} for a literal brace)",
                        i + 1
                    ));
                    push_text(&mut items, "}");
                }
                c if c.is_whitespace() => {
                    if items.last() != Some(&Item::Space) {
                        items.push(Item::Space);
                    }
                }
                '(' | '[' => items.push(Item::Open(c)),
                ')' | ']' => items.push(Item::Close(c)),
                ',' | ';' => items.push(Item::Sep { text: c.to_string(), attaches: true }),
                '|' | '/' | '·' | '–' | '—' => items.push(Item::Sep { text: c.to_string(), attaches: false }),
                '-' if (i == 0 || chars[i - 1].is_whitespace())
                    && chars.get(i + 1).is_none_or(|n| n.is_whitespace()) =>
                {
                    items.push(Item::Sep { text: "-".into(), attaches: false })
                }
                _ => push_text(&mut items, &c.to_string()),
            }
            i += 1;
        }
        Template { items, warnings }
    }

    /// The placeholder names, in order of appearance (with repeats).
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter_map(|i| match i {
            Item::Field { name, .. } => Some(name.as_str()),
            _ => None,
        })
    }

    /// Renders the template, asking `lookup` for each placeholder's value (by the name as
    /// written). A `None` or blank value is missing.
    pub fn render(&self, lookup: &dyn Fn(&str) -> Option<String>) -> String {
        // 1. Words: runs of text and fields; a missing field takes its word with it.
        let mut out: Vec<Out> = Vec::new();
        let mut word = String::new();
        let mut word_missing = false;
        let mut in_word = false;
        let flush = |out: &mut Vec<Out>, word: &mut String, missing: &mut bool, in_word: &mut bool| {
            if *in_word && !*missing && !word.is_empty() {
                out.push(Out::Word(std::mem::take(word)));
            }
            word.clear();
            *missing = false;
            *in_word = false;
        };
        for item in &self.items {
            match item {
                Item::Text(t) => {
                    word.push_str(t);
                    in_word = true;
                }
                Item::Field { name, fallback } => {
                    in_word = true;
                    let value = lookup(name)
                        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
                        .filter(|v| !v.is_empty());
                    match (value, fallback) {
                        (Some(v), _) => word.push_str(&v),
                        (None, Some(f)) => word.push_str(f),
                        (None, None) => word_missing = true,
                    }
                }
                Item::Space => {
                    flush(&mut out, &mut word, &mut word_missing, &mut in_word);
                    out.push(Out::Space);
                }
                Item::Open(c) => {
                    flush(&mut out, &mut word, &mut word_missing, &mut in_word);
                    out.push(Out::Open(*c));
                }
                Item::Close(c) => {
                    flush(&mut out, &mut word, &mut word_missing, &mut in_word);
                    out.push(Out::Close(*c));
                }
                Item::Sep { text, attaches } => {
                    flush(&mut out, &mut word, &mut word_missing, &mut in_word);
                    out.push(Out::Sep { text: text.clone(), attaches: *attaches });
                }
            }
        }
        flush(&mut out, &mut word, &mut word_missing, &mut in_word);
        tidy(out)
    }
}

fn tidy(mut out: Vec<Out>) -> String {
    loop {
        let before = out.len();
        // Spaces: no doubles, none at the ends, none inside brackets' edges.
        let mut next: Vec<Out> = Vec::with_capacity(out.len());
        for t in out {
            if t == Out::Space && matches!(next.last(), None | Some(Out::Space) | Some(Out::Open(_))) {
                continue;
            }
            if matches!(t, Out::Close(_)) && next.last() == Some(&Out::Space) {
                next.pop();
            }
            next.push(t);
        }
        while next.last() == Some(&Out::Space) {
            next.pop();
        }
        out = next;
        // Separators need a word (or a closed bracket) before them and a word (or an
        // opening bracket) after them.
        let mut keep = vec![true; out.len()];
        for i in 0..out.len() {
            if let Out::Sep { .. } = out[i] {
                let prev = out[..i].iter().rev().zip((0..i).rev()).find(|(t, j)| keep[*j] && **t != Out::Space);
                let after = out[i + 1..].iter().find(|t| **t != Out::Space);
                let ok_before = matches!(prev, Some((Out::Word(_) | Out::Close(_), _)));
                let ok_after = matches!(after, Some(Out::Word(_) | Out::Open(_)));
                if !(ok_before && ok_after) {
                    keep[i] = false;
                }
            }
        }
        let mut it = keep.into_iter();
        out.retain(|_| it.next().unwrap_or(true));
        // A space before an attaching separator goes when a word was dropped there.
        let mut i = 0;
        while i + 1 < out.len() {
            if out[i] == Out::Space && matches!(out[i + 1], Out::Sep { attaches: true, .. }) {
                out.remove(i);
            } else {
                i += 1;
            }
        }
        // Brackets with nothing inside go.
        let mut i = 0;
        while i < out.len() {
            if let Out::Open(_) = out[i] {
                let mut j = i + 1;
                while j < out.len() && out[j] == Out::Space {
                    j += 1;
                }
                if matches!(out.get(j), Some(Out::Close(_))) {
                    out.drain(i..=j);
                    continue;
                }
            }
            i += 1;
        }
        if out.len() == before {
            break;
        }
    }
    let mut s = String::new();
    for t in &out {
        match t {
            Out::Word(w) => s.push_str(w),
            Out::Space => s.push(' '),
            Out::Open(c) | Out::Close(c) => s.push(*c),
            Out::Sep { text, .. } => s.push_str(text),
        }
    }
    s.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn render(template: &str, values: &[(&str, &str)]) -> String {
        let map: HashMap<String, String> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Template::parse(template).render(&|name| map.get(name).cloned())
    }

    #[test]
    fn fills_every_placeholder() {
        let all = [("age", "67"), ("gender", "female"), ("wave", "BL"), ("participant", "P01")];
        assert_eq!(render("[{age}-year-old {gender}]", &all), "[67-year-old female]");
        assert_eq!(render("[{age}-year-old {gender}, {wave}]", &all), "[67-year-old female, BL]");
        assert_eq!(render("({participant} – {wave})", &all), "(P01 – BL)");
        assert_eq!(render("{participant}/{wave}", &all), "P01/BL");
    }

    #[test]
    fn missing_values_leave_a_readable_label() {
        let no_age = [("gender", "male"), ("wave", "3M")];
        assert_eq!(render("[{age}-year-old {gender}]", &no_age), "[male]");
        assert_eq!(render("[{age}-year-old {gender}, {wave}]", &no_age), "[male, 3M]");
        assert_eq!(render("[{age}-year-old {gender}, {wave}]", &[("age", "40"), ("wave", "3M")]), "[40-year-old, 3M]");
        assert_eq!(render("[{gender}, {age}, {wave}]", &[("wave", "6M")]), "[6M]");
        assert_eq!(render("[{age}-year-old {gender}]", &[]), "");
        assert_eq!(render("{participant} ({age}) | {wave}", &[("participant", "P04")]), "P04");
        assert_eq!(render("[{gender}] ({wave})", &[("wave", "BL")]), "(BL)");
        assert_eq!(render("[{age}-year-old {gender}]", &[("age", "  "), ("gender", "male")]), "[male]");
    }

    #[test]
    fn fallbacks_and_literal_braces() {
        assert_eq!(render("[{age|age unknown}, {gender}]", &[("gender", "female")]), "[age unknown, female]");
        assert_eq!(render("{{{participant}}}", &[("participant", "P01")]), "{P01}");
        let t = Template::parse("[{age}-year-old {gender]");
        assert_eq!(t.warnings.len(), 1, "{:?}", t.warnings);
        assert_eq!(t.render(&|n| (n == "age").then(|| "50".to_string())), "[50-year-old {gender]");
        let t = Template::parse("{age}} {}");
        assert_eq!(t.warnings.len(), 2, "{:?}", t.warnings);
        assert_eq!(t.render(&|_| Some("50".into())), "50} {}");
        assert_eq!(Template::parse("[{ age }, {wave|?}]").fields().collect::<Vec<_>>(), ["age", "wave"]);
    }

    #[test]
    fn values_keep_their_own_punctuation() {
        assert_eq!(
            render("[{pain}, {wave}]", &[("pain", "osteoarthritis (knees, hips)"), ("wave", "BL")]),
            "[osteoarthritis (knees, hips), BL]"
        );
        assert_eq!(render("[{pain}]", &[("pain", "a\n  b")]), "[a b]");
    }
}
