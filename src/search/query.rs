//! The query language researchers type, parsed into a small tree that is then turned
//! into tantivy queries (for finding turns) and into matchers (for highlighting).
//!
//! ```text
//! pain                      a word, matched by stem unless exact forms are asked for (pains, painful)
//! "side effects"            an exact phrase
//! pain AND sleep            both (also the default between words: `pain sleep`)
//! pain OR ache              either
//! NOT work, -work           without
//! +pain                     required (the same as a plain word)
//! (pain OR ache) -work      parentheses group
//! pain*                     a prefix: pain, painful, painkillers
//! medication~1              fuzzy: up to 1 (or 2) letters different
//! speaker:P01 wave:BL participant:P03 document:P03_BL
//! code:Pacing coder:amara   turns that carry a coding of that code (or its subcodes) / by that coder
//! gender:female age:>60     participant attributes; numbers and dates compare with > >= < <= =
//! ```
//!
//! `AND`, `OR` and `NOT` are operators only in capitals. Parsing never panics: a query
//! that cannot be read gives a [`QueryError`] naming the character where the problem is.
//! A query is at most [`LONGEST_QUERY`] characters and nests parentheses, `NOT`, `-` and
//! `+` at most [`DEEPEST_NESTING`] levels, so parsing it, compiling it into tantivy
//! queries and running them recurse a bounded number of times.

use std::fmt;

/// A query that cannot be read, with the 0-based character position of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.position + 1, self.message)
    }
}

impl std::error::Error for QueryError {}

/// The longest query accepted, in characters.
pub const LONGEST_QUERY: usize = 10_000;

/// The deepest nesting accepted: each parenthesis, `NOT`, `-` or `+` around a part of the
/// query is one level.
pub const DEEPEST_NESTING: usize = 100;

fn err<T>(position: usize, message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError { position, message: message.into() })
}

/// A comparison in an attribute filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A word as typed (one or more words after analysis: "covid-19" is a phrase).
    Word(String),
    /// Words that must follow one another.
    Phrase(String),
    /// Words starting with this.
    Prefix(String),
    /// Words within `distance` edits of this.
    Fuzzy(String, u8),
    /// `name:value`; the name is lower-cased, `position` is where the value starts.
    Filter {
        name: String,
        value: String,
        comparison: Comparison,
        position: usize,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Lexeme {
    Open,
    Close,
    /// A quoted phrase.
    Quoted(String),
    Bare(String),
    /// `+` or `-` directly before a term.
    Plus,
    Minus,
}

fn lex(q: &str) -> Result<Vec<(usize, Lexeme)>, QueryError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((i, Lexeme::Open));
            i += 1;
        } else if c == ')' {
            out.push((i, Lexeme::Close));
            i += 1;
        } else if c == '"' {
            let start = i;
            let close = chars[i + 1..].iter().position(|&c| c == '"');
            let Some(len) = close else {
                return err(start, "this quote is never closed");
            };
            out.push((start, Lexeme::Quoted(chars[i + 1..i + 1 + len].iter().collect())));
            i += len + 2;
        } else if (c == '+' || c == '-')
            && chars.get(i + 1).is_some_and(|n| !n.is_whitespace() && *n != ')')
            && (i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '(')
        {
            out.push((i, if c == '+' { Lexeme::Plus } else { Lexeme::Minus }));
            i += 1;
        } else {
            let start = i;
            let mut s = String::new();
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '"') {
                s.push(chars[i]);
                i += 1;
            }
            // `speaker:"Dr Lee"`: a filter whose value is quoted.
            if s.ends_with(':') && chars.get(i) == Some(&'"') {
                let close = chars[i + 1..].iter().position(|&c| c == '"');
                let Some(len) = close else {
                    return err(i, "this quote is never closed");
                };
                s.extend(&chars[i + 1..i + 1 + len]);
                i += len + 2;
            }
            out.push((start, Lexeme::Bare(s)));
        }
    }
    Ok(out)
}

struct Parser {
    lexemes: Vec<(usize, Lexeme)>,
    at: usize,
    len: usize,
    /// Levels of nesting around the part being parsed.
    depth: usize,
}

/// Parses a query. An empty query is an error, and so is one longer than
/// [`LONGEST_QUERY`] characters or nested deeper than [`DEEPEST_NESTING`] levels.
pub fn parse(query: &str) -> Result<Node, QueryError> {
    if query.chars().nth(LONGEST_QUERY).is_some() {
        return err(
            LONGEST_QUERY,
            format!("the query is longer than {LONGEST_QUERY} characters; search for fewer words"),
        );
    }
    let lexemes = lex(query)?;
    let len = query.chars().count();
    if lexemes.is_empty() {
        return err(0, "the query is empty; type a word to search for");
    }
    let mut p = Parser { lexemes, at: 0, len, depth: 0 };
    let node = p.or()?;
    if let Some((pos, l)) = p.lexemes.get(p.at) {
        return match l {
            Lexeme::Close => err(*pos, "this closing parenthesis has no opening one"),
            _ => err(*pos, "unexpected text here"),
        };
    }
    Ok(node)
}

fn is_op(l: &Lexeme, op: &str) -> bool {
    matches!(l, Lexeme::Bare(s) if s == op)
}

impl Parser {
    fn peek(&self) -> Option<&Lexeme> {
        self.lexemes.get(self.at).map(|(_, l)| l)
    }

    fn pos(&self) -> usize {
        self.lexemes.get(self.at).map(|(p, _)| *p).unwrap_or(self.len)
    }

    /// Parses one level deeper with `f`, or fails at `position` when that is too deep.
    fn nested<T>(
        &mut self,
        position: usize,
        f: impl FnOnce(&mut Self) -> Result<T, QueryError>,
    ) -> Result<T, QueryError> {
        if self.depth >= DEEPEST_NESTING {
            return err(
                position,
                format!(
                    "the query nests more than {DEEPEST_NESTING} levels (parentheses, NOT, - and +); write it more simply"
                ),
            );
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut parts = vec![self.and()?];
        while self.peek().is_some_and(|l| is_op(l, "OR")) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Node::Or(parts) })
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                None | Some(Lexeme::Close) => break,
                Some(l) if is_op(l, "OR") => break,
                Some(l) if is_op(l, "AND") => {
                    self.at += 1;
                    parts.push(self.unary()?);
                }
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Node::And(parts) })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        let pos = self.pos();
        match self.peek() {
            None => err(pos, "the query ends where a word was expected"),
            Some(l) if is_op(l, "NOT") || *l == Lexeme::Minus => {
                self.at += 1;
                self.nested(pos, |p| Ok(Node::Not(Box::new(p.unary()?))))
            }
            Some(Lexeme::Plus) => {
                self.at += 1;
                self.nested(pos, Self::unary)
            }
            Some(l) if is_op(l, "AND") || is_op(l, "OR") => {
                err(pos, "AND and OR go between two words; put a word before this one")
            }
            Some(_) => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Node, QueryError> {
        let Some((pos, lexeme)) = self.lexemes.get(self.at).cloned() else {
            return err(self.len, "the query ends where a word was expected");
        };
        self.at += 1;
        match lexeme {
            Lexeme::Open => {
                if self.peek() == Some(&Lexeme::Close) {
                    return err(self.pos(), "these parentheses are empty");
                }
                let inner = self.nested(pos, Self::or)?;
                if self.peek() != Some(&Lexeme::Close) {
                    return err(pos, "this parenthesis is never closed");
                }
                self.at += 1;
                Ok(inner)
            }
            Lexeme::Close => err(pos, "this closing parenthesis has no opening one"),
            Lexeme::Quoted(s) => {
                if !s.chars().any(char::is_alphanumeric) {
                    return err(pos, "this phrase has no words in it");
                }
                Ok(Node::Phrase(s))
            }
            Lexeme::Plus | Lexeme::Minus => err(pos, "a word is expected after + or -"),
            Lexeme::Bare(s) => bare(pos, &s),
        }
    }
}

fn bare(pos: usize, s: &str) -> Result<Node, QueryError> {
    if let Some(colon) = s.find(':') {
        let name = &s[..colon];
        let value_at = pos + name.chars().count() + 1;
        if name.is_empty() {
            return err(pos, "a filter needs a name before the colon, such as speaker:P01");
        }
        let raw = s[colon + 1..].trim();
        let (comparison, value) = if let Some(v) = raw.strip_prefix(">=") {
            (Comparison::GreaterOrEqual, v)
        } else if let Some(v) = raw.strip_prefix("<=") {
            (Comparison::LessOrEqual, v)
        } else if let Some(v) = raw.strip_prefix('>') {
            (Comparison::Greater, v)
        } else if let Some(v) = raw.strip_prefix('<') {
            (Comparison::Less, v)
        } else if let Some(v) = raw.strip_prefix('=') {
            (Comparison::Equal, v)
        } else {
            (Comparison::Equal, raw)
        };
        if value.trim().is_empty() {
            return err(value_at, format!("the filter {name}: needs a value after the colon"));
        }
        return Ok(Node::Filter {
            name: name.to_lowercase(),
            value: value.trim().to_string(),
            comparison,
            position: value_at,
        });
    }
    if let Some(star) = s.find('*') {
        if star + 1 != s.len() {
            return err(pos + s[..star].chars().count(), "* may only end a word, as in pain*");
        }
        let stem = &s[..star];
        if !stem.chars().any(char::is_alphanumeric) {
            return err(pos, "a prefix needs at least one letter before the *");
        }
        return Ok(Node::Prefix(stem.to_string()));
    }
    if let Some(tilde) = s.find('~') {
        let word = &s[..tilde];
        let n = &s[tilde + 1..];
        let tilde_at = pos + word.chars().count();
        let distance = match n {
            "" => 1,
            "0" => 0,
            "1" => 1,
            "2" => 2,
            _ => return err(tilde_at + 1, "fuzzy matching allows 0, 1 or 2 differences, as in medication~1"),
        };
        if !word.chars().any(char::is_alphanumeric) {
            return err(pos, "a fuzzy match needs a word before the ~");
        }
        return Ok(Node::Fuzzy(word.to_string(), distance));
    }
    if !s.chars().any(char::is_alphanumeric) {
        return err(pos, format!("\"{s}\" has no letters or digits to search for"));
    }
    Ok(Node::Word(s.to_string()))
}

impl Node {
    /// How many nodes deep the tree is (a word is 1).
    pub fn depth(&self) -> usize {
        match self {
            Node::Not(inner) => 1 + inner.depth(),
            Node::And(parts) | Node::Or(parts) => 1 + parts.iter().map(Node::depth).max().unwrap_or(0),
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Node {
        Node::Word(s.into())
    }

    #[test]
    fn words_and_operators() {
        assert_eq!(parse("pain").unwrap(), w("pain"));
        assert_eq!(parse("pain sleep").unwrap(), Node::And(vec![w("pain"), w("sleep")]));
        assert_eq!(parse("pain AND sleep").unwrap(), Node::And(vec![w("pain"), w("sleep")]));
        assert_eq!(
            parse("pain sleep OR ache").unwrap(),
            Node::Or(vec![Node::And(vec![w("pain"), w("sleep")]), w("ache")])
        );
        assert_eq!(
            parse("(pain OR ache) -work +sleep").unwrap(),
            Node::And(vec![Node::Or(vec![w("pain"), w("ache")]), Node::Not(Box::new(w("work"))), w("sleep")])
        );
        assert_eq!(parse("NOT work").unwrap(), Node::Not(Box::new(w("work"))));
        assert_eq!(parse("not or and").unwrap(), Node::And(vec![w("not"), w("or"), w("and")]));
        assert_eq!(parse("covid-19").unwrap(), w("covid-19"));
    }

    #[test]
    fn phrases_prefixes_fuzzy_filters() {
        assert_eq!(parse("\"side effects\"").unwrap(), Node::Phrase("side effects".into()));
        assert_eq!(parse("pain*").unwrap(), Node::Prefix("pain".into()));
        assert_eq!(parse("medication~1").unwrap(), Node::Fuzzy("medication".into(), 1));
        assert_eq!(parse("medication~").unwrap(), Node::Fuzzy("medication".into(), 1));
        assert_eq!(
            parse("speaker:\"Dr Lee\"").unwrap(),
            Node::Filter { name: "speaker".into(), value: "Dr Lee".into(), comparison: Comparison::Equal, position: 8 }
        );
        assert_eq!(
            parse("Age:>=60").unwrap(),
            Node::Filter {
                name: "age".into(),
                value: "60".into(),
                comparison: Comparison::GreaterOrEqual,
                position: 4
            }
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let at = |q: &str| parse(q).unwrap_err().position;
        assert_eq!(at(""), 0);
        assert_eq!(at("pain \"side"), 5);
        assert_eq!(at("(pain OR ache"), 0);
        assert_eq!(at("pain)"), 4);
        assert_eq!(at("pain OR"), 7);
        assert_eq!(at("OR pain"), 0);
        assert_eq!(at("pa*in"), 2);
        assert_eq!(at("pain~3"), 5);
        assert_eq!(at("speaker:"), 8);
        assert_eq!(at("pain ()"), 6);
        assert_eq!(at("-"), 0);
        assert_eq!(at("\"...\""), 0);
        assert!(parse("pain AND").unwrap_err().to_string().contains("character 9"));
    }

    #[test]
    fn nesting_is_bounded() {
        let message = |q: &str| parse(q).unwrap_err();
        // 100 levels are fine; the 101st fails where it starts.
        assert_eq!(parse(&format!("{}pain", "NOT ".repeat(100))).unwrap().depth(), 101);
        let e = message(&format!("{}pain", "NOT ".repeat(1000)));
        assert_eq!(e.position, 400);
        assert!(e.to_string().contains("nests more than 100 levels"), "{e}");
        let deep = |n: usize| format!("{}pain{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(parse(&deep(100)).unwrap(), w("pain"));
        assert_eq!(message(&deep(101)).position, 100);
        assert_eq!(message(&format!("{}pain", "(".repeat(9_000))).position, 100);
        assert_eq!(message(&format!("{}pain{}", "-(".repeat(51), ")".repeat(51))).position, 100);
        assert!(parse(&format!("{}pain{}", "-(".repeat(50), ")".repeat(50))).is_ok());
        assert_eq!(message(&format!("{}pain{}", "+(".repeat(51), ")".repeat(51))).position, 100);
        // Side by side is not nested.
        assert!(parse(&"(pain) NOT sleep ".repeat(500)).is_ok());
    }

    #[test]
    fn length_is_bounded() {
        assert!(parse(&"a ".repeat(5_000)).is_ok(), "exactly 10,000 characters");
        let e = parse(&format!("{}b", "a ".repeat(5_000))).unwrap_err();
        assert_eq!(e.position, 10_000);
        assert!(e.to_string().starts_with("at character 10001: the query is longer than 10000 characters"), "{e}");
        let e = parse(&format!("{}pain{}", "(".repeat(10_000), ")".repeat(10_000))).unwrap_err();
        assert!(e.message.contains("longer than"), "{e}");
        // Characters, not bytes.
        assert!(parse(&"é ".repeat(5_000)).is_ok());
    }

    /// Query text built from operators, brackets, quotes and words, some repeated many
    /// times so that nesting goes past the bound.
    fn operator_soup() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("NOT "),
            Just("AND "),
            Just("OR "),
            Just("("),
            Just(")"),
            Just("-"),
            Just("+"),
            Just("\""),
            Just("pain "),
            Just("sleep"),
            Just(" "),
            Just("*"),
            Just("~"),
            Just("~2 "),
            Just(":"),
            Just("speaker:"),
            Just("age:>="),
            Just("don’t "),
            Just("follow-up "),
            Just("😀"),
        ];
        proptest::collection::vec((piece, 1..80usize), 0..40)
            .prop_map(|parts| parts.into_iter().map(|(p, n)| p.repeat(n)).collect())
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_errors_point_inside_the_query(q in "[a-z \"()*~:+<>=-]{0,30}|\\PC{0,30}") {
            if let Err(e) = parse(&q) {
                proptest::prop_assert!(e.position <= q.chars().count());
            }
        }

        // Runs in well under a second: every query is parsed once.
        #[test]
        fn operator_soup_never_panics_and_stays_shallow(q in operator_soup()) {
            match parse(&q) {
                Ok(node) => proptest::prop_assert!(node.depth() <= 2 * DEEPEST_NESTING + 3, "{}", node.depth()),
                Err(e) => proptest::prop_assert!(e.position <= q.chars().count()),
            }
        }
    }
}
