//! Finding speaker turns and timestamps in plain transcript text.
//!
//! Recognised layouts, each per line at the start of a paragraph:
//! - a label and a colon: `INTERVIEWER:`, `P07:`, `Dan:`, `interviewee:`, optionally with a
//!   clock time before or after the name (`[00:12:03] Dan:`, `Dan (12:03):`);
//! - a label and a tab: `Interviewer⇥So how...` (as Word tables and tab stops leave it);
//! - a tag in square brackets: `[id1]`, `[Interviewer]`;
//! - Otter/Zoom exports: a line `Speaker Name  12:34` above each utterance;
//! - a label on its own line above the turn, with or without a colon: `INTERVIEWER`,
//!   `Participant 3` (each word capitalised, at most four words, at the start of a
//!   block, followed by text).
//!
//! A label only counts as a speaker when it recurs (or is a usual role word such as
//! "Interviewer" or "Participant 3"), so that "Note:" in a field note does not become a
//! speaker, or when the source marked it as a label: [`LabelHints`] carries the labels a
//! Word file set in bold. A label on its own line must be a role word or recur, and is
//! never a common reply such as "Yes", so that headings and short answers stay text.
//! Text with no speakers becomes paragraphs: blocks separated by blank lines, or single
//! lines when the text has no blank lines at all.
//!
//! A turn's range covers the spoken text only, not the label; text before the first
//! speaker (a title line, say) becomes turns without a speaker. Paragraphs without a
//! label that follow a speaker's turn continue that turn.

use crate::model::Turn;
use crate::model::time::parse_clock;
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const CLOCK: &str = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?";

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^[ \t]*(?:[\[(]?(?P<t1>{CLOCK})[\])]?[ \t]+)?(?P<name>[\p{{L}}\p{{N}}][\p{{L}}\p{{N}} .'’_-]{{0,29}}?)[ \t]*(?:[\[(](?P<t2>{CLOCK})[\])])?[ \t]*:(?:[ \t]+|$)"
    ))
    .expect("static regex")
});

static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[ \t]*\[(?P<name>[^\]\n:]{1,30})\](?:[ \t]+|$)").expect("static regex"));

static OTTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^[ \t]*(?P<name>[\p{{L}}\p{{N}}][\p{{L}}\p{{N}} .'’_-]{{0,39}}?)[ \t]+(?P<time>{CLOCK})[ \t]*$"
    ))
    .expect("static regex")
});

/// A name, then one or more tabs, then the spoken text.
static TABBED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[ \t]*(?P<name>[\p{Lu}\p{N}][\p{L}\p{N} .'’_-]{0,29}?)[ ]*\t+").expect("static regex")
});

/// A line holding only a name: one to four words, each starting with a capital or digit.
static OWN_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[ \t]*(?P<name>[\p{Lu}\p{N}][\p{L}\p{N}.'’_-]*(?:[ \t]+[\p{Lu}\p{N}][\p{L}\p{N}.'’_-]*){0,3})[ \t]*$")
        .expect("static regex")
});

/// Words in brackets that annotate speech rather than name a speaker.
const ANNOTATIONS: &[&str] = &[
    "laughs",
    "laughter",
    "laughing",
    "inaudible",
    "pause",
    "pauses",
    "crosstalk",
    "unclear",
    "silence",
    "sighs",
    "coughs",
    "overlapping",
    "redacted",
    "name",
    "place",
    "break",
    "interruption",
    "music",
    "noise",
    "end",
];

/// Short replies that can stand alone on a line and recur, and so are never labels.
const REPLIES: &[&str] = &[
    "yes",
    "yeah",
    "yep",
    "no",
    "nope",
    "ok",
    "okay",
    "right",
    "sure",
    "mm",
    "mmm",
    "mhm",
    "hmm",
    "uh",
    "um",
    "oh",
    "ah",
    "well",
    "so",
    "and",
    "but",
    "thanks",
    "thank you",
    "exactly",
    "really",
    "maybe",
    "perhaps",
    "sometimes",
    "never",
    "always",
    "true",
    "fine",
    "good",
    "great",
    "absolutely",
    "definitely",
    "indeed",
    "of course",
    "i know",
    "i see",
    "i don't know",
    "i don’t know",
];

fn is_role_word(n: &str) -> bool {
    matches!(
        n,
        "interviewer"
            | "interviewee"
            | "respondent"
            | "participant"
            | "moderator"
            | "facilitator"
            | "researcher"
            | "int"
            | "iv"
            | "resp"
            | "i"
            | "r"
            | "q"
            | "a"
    ) || (n.starts_with('p') && n.len() > 1 && n[1..].chars().all(|c| c.is_ascii_digit()))
        || n.strip_prefix("speaker").is_some_and(|r| r.trim().chars().all(|c| c.is_ascii_digit()))
}

/// A usual role label: a role word, alone or numbered (`Participant 3`, `Interviewer A`).
fn is_role(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    if is_role_word(&n) {
        return true;
    }
    match n.rsplit_once([' ', '\t']) {
        Some((base, tag)) => {
            let tag_ok = tag.chars().all(|c| c.is_ascii_digit()) || tag.chars().count() == 1;
            let base = base.trim();
            tag_ok && base.chars().count() > 1 && is_role_word(base)
        }
        None => false,
    }
}

/// Labels that the source file marked as speakers (bold labels in a Word file), so
/// that they count even when they occur only once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelHints {
    names: HashSet<String>,
}

impl LabelHints {
    /// Hints from the labels a file set in bold.
    pub fn bold<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Self {
        LabelHints { names: names.into_iter().map(|n| key(n.as_ref().trim())).collect() }
    }

    /// Whether `name` was marked as a label.
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(&key(name.trim()))
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// How a speaker line is laid out; a layout that has speakers lets a lone label of the
/// same layout count too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Colon,
    Tab,
    Tag,
    /// An Otter/Zoom header with a clock time.
    Timed,
    /// A label alone on its line.
    OwnLine,
}

const LAYOUTS: usize = 5;

#[derive(Debug, Clone)]
enum Kind {
    Blank,
    Text,
    /// A labelled line: speaker, time, and where the spoken text starts (char offset in the line).
    Label {
        name: String,
        time: Option<u64>,
        body: usize,
        layout: Layout,
    },
    /// A bracket tag, same fields.
    Tag {
        name: String,
        body: usize,
    },
    /// A line above the utterance: an Otter/Zoom header or a label on its own line.
    Header {
        name: String,
        time: Option<u64>,
        layout: Layout,
    },
}

impl Kind {
    fn speaker(&self) -> Option<&str> {
        match self {
            Kind::Label { name, .. } | Kind::Tag { name, .. } | Kind::Header { name, .. } => Some(name),
            Kind::Blank | Kind::Text => None,
        }
    }

    fn layout(&self) -> Option<Layout> {
        match self {
            Kind::Label { layout, .. } | Kind::Header { layout, .. } => Some(*layout),
            Kind::Tag { .. } => Some(Layout::Tag),
            Kind::Blank | Kind::Text => None,
        }
    }
}

struct Line<'a> {
    text: &'a str,
    /// Char offset of the line's first char in the document.
    start: usize,
    kind: Kind,
}

fn word_count(name: &str) -> usize {
    name.split_whitespace().count()
}

fn classify(text: &str) -> Kind {
    if text.trim().is_empty() {
        return Kind::Blank;
    }
    if let Some(c) = OTTER.captures(text) {
        let name = c["name"].trim().to_string();
        if word_count(&name) <= 4 {
            return Kind::Header { name, time: parse_clock(&c["time"]), layout: Layout::Timed };
        }
    }
    if let Some(c) = LABEL.captures(text) {
        let name = c["name"].trim().to_string();
        if word_count(&name) <= 4 {
            let time = c.name("t1").or(c.name("t2")).and_then(|m| parse_clock(m.as_str()));
            let end = c.get(0).map(|m| m.end()).unwrap_or(0);
            return Kind::Label { name, time, body: text[..end].chars().count(), layout: Layout::Colon };
        }
    }
    if let Some(c) = TAG.captures(text) {
        let name = c["name"].trim().to_string();
        let end = c.get(0).map(|m| m.end()).unwrap_or(0);
        if !name.is_empty() && word_count(&name) <= 3 {
            return Kind::Tag { name, body: text[..end].chars().count() };
        }
    }
    if let Some(c) = TABBED.captures(text) {
        let name = c["name"].trim().to_string();
        if word_count(&name) <= 4 {
            let end = c.get(0).map(|m| m.end()).unwrap_or(0);
            return Kind::Label { name, time: None, body: text[..end].chars().count(), layout: Layout::Tab };
        }
    }
    if let Some(c) = OWN_LINE.captures(text) {
        let name = c["name"].trim().to_string();
        let ends_like_a_name = name.chars().last().is_some_and(char::is_alphanumeric);
        if name.chars().count() <= 30 && ends_like_a_name && name.chars().any(char::is_alphabetic) {
            return Kind::Header { name, time: None, layout: Layout::OwnLine };
        }
    }
    Kind::Text
}

fn tag_like(name: &str) -> bool {
    let upper_or_digit =
        name.chars().any(|c| c.is_ascii_digit()) || name.chars().next().is_some_and(char::is_uppercase);
    upper_or_digit && !ANNOTATIONS.contains(&name.to_lowercase().as_str())
}

fn key(name: &str) -> String {
    name.to_lowercase()
}

/// Whether a line ends where a turn could end: a sentence's end, or a label with no
/// text after it.
fn ends_a_turn(line: &Line) -> bool {
    match &line.kind {
        Kind::Header { .. } => true,
        Kind::Label { body, .. } | Kind::Tag { body, .. } if line.text.trim_end().chars().count() <= *body => true,
        _ => line.text.trim_end().ends_with(['.', '?', '!', '…', '"', '”', '’', ')', ']', '-', '—', '–']),
    }
}

/// A label alone on its line needs a block of its own and text after it: a blank line
/// or the start of the text before it or, in text with no blank lines at all, a line
/// that ends a sentence (so that a word wrapped onto a line of its own is not a label).
fn confirm_own_line_labels(lines: &mut [Line], has_blank_lines: bool) {
    let mut rejected = Vec::new();
    for i in 0..lines.len() {
        if !matches!(lines[i].kind, Kind::Header { layout: Layout::OwnLine, .. }) {
            continue;
        }
        let opens_block =
            i == 0 || matches!(lines[i - 1].kind, Kind::Blank) || (!has_blank_lines && ends_a_turn(&lines[i - 1]));
        let next = lines[i + 1..].iter().find(|l| !matches!(l.kind, Kind::Blank));
        let text_follows = next.is_some_and(|l| matches!(l.kind, Kind::Text));
        if !(opens_block && text_follows) {
            rejected.push(i);
        }
    }
    for i in rejected {
        lines[i].kind = Kind::Text;
    }
}

/// Which labelled lines name speakers; the others become text.
fn choose_speakers(lines: &mut [Line], hints: &LabelHints) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for l in lines.iter() {
        if let Some(name) = l.kind.speaker() {
            *counts.entry(key(name)).or_default() += 1;
        }
    }
    let count = |name: &str| counts.get(&key(name)).copied().unwrap_or(0);
    // A label that recurs (or is a role word, or was marked) is a speaker; once a layout
    // has speakers, a name-like label of the same layout that occurs only once (a
    // relative who speaks once) is a speaker too. Labels on their own line never get that
    // benefit of the doubt: a heading looks just like them.
    let recurring = |k: &Kind| -> bool {
        match k {
            Kind::Label { name, .. } => count(name) >= 2 || is_role(name) || hints.contains(name),
            Kind::Tag { name, .. } => tag_like(name) && (count(name) >= 2 || is_role(name)),
            Kind::Header { name, layout: Layout::Timed, .. } => count(name) >= 2,
            Kind::Header { name, .. } => {
                is_role(name) || hints.contains(name) || (count(name) >= 2 && !REPLIES.contains(&key(name).as_str()))
            }
            Kind::Blank | Kind::Text => false,
        }
    };
    let mut layouts_with_speakers = [false; LAYOUTS];
    for l in lines.iter() {
        if let Some(layout) = l.kind.layout()
            && recurring(&l.kind)
        {
            layouts_with_speakers[layout as usize] = true;
        }
    }
    let accepted = |k: &Kind| -> bool {
        recurring(k)
            || (k.layout().is_some_and(|layout| layouts_with_speakers[layout as usize])
                && match k {
                    Kind::Label { name, .. } => {
                        word_count(name) <= 2 && name.chars().next().is_some_and(char::is_uppercase)
                    }
                    Kind::Tag { name, .. } => tag_like(name),
                    Kind::Header { layout, .. } => *layout == Layout::Timed,
                    Kind::Blank | Kind::Text => false,
                })
    };
    for l in lines.iter_mut() {
        if l.kind.speaker().is_some() && !accepted(&l.kind) {
            l.kind = Kind::Text;
        }
    }
    let speaker_lines = lines.iter().filter(|l| l.kind.speaker().is_some()).count();
    if speaker_lines < 2 {
        for l in lines.iter_mut() {
            if !matches!(l.kind, Kind::Blank) {
                l.kind = Kind::Text;
            }
        }
    }
}

/// The usual written form of each speaker, so `INTERVIEWER` and `Interviewer` agree:
/// the most frequent form, the first one on a tie.
fn canonical_names(lines: &[Line]) -> HashMap<String, String> {
    let mut forms: HashMap<String, HashMap<String, (usize, usize)>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(name) = l.kind.speaker() {
            forms.entry(key(name)).or_default().entry(name.to_string()).or_insert((0, i)).0 += 1;
        }
    }
    forms
        .into_iter()
        .map(|(k, f)| {
            let best = f.into_iter().max_by(|a, b| a.1.0.cmp(&b.1.0).then_with(|| b.1.1.cmp(&a.1.1))).map(|x| x.0);
            (k, best.unwrap_or_default())
        })
        .collect()
}

/// Splits `text` into turns (or paragraphs when it names no speakers).
pub fn detect_turns(text: &str) -> Vec<Turn> {
    detect_turns_with(text, &LabelHints::default())
}

/// [`detect_turns`], counting the labels in `hints` as speakers even when they occur once.
pub fn detect_turns_with(text: &str, hints: &LabelHints) -> Vec<Turn> {
    let mut lines = Vec::new();
    let mut pos = 0;
    for l in text.split('\n') {
        lines.push(Line { text: l, start: pos, kind: classify(l) });
        pos += l.chars().count() + 1;
    }
    let has_blank_lines = lines.iter().any(|l| matches!(l.kind, Kind::Blank));
    confirm_own_line_labels(&mut lines, has_blank_lines);
    choose_speakers(&mut lines, hints);
    let canonical = canonical_names(&lines);
    let speaker = |name: &str| canonical.get(&key(name)).cloned().unwrap_or_else(|| name.to_string());

    let mut builder = Builder::default();
    for l in &lines {
        match &l.kind {
            Kind::Blank => {
                if builder.open.as_ref().is_some_and(|t| t.speaker.is_none()) {
                    builder.close();
                }
            }
            Kind::Text => {
                let (s, e) = trimmed(l.text, 0);
                if builder.open.as_ref().is_some_and(|t| t.speaker.is_none()) && !has_blank_lines {
                    builder.close();
                }
                builder.text(l.start + s, l.start + e);
            }
            Kind::Label { name, time, body, .. } => {
                builder.start(speaker(name), *time);
                let (s, e) = trimmed(l.text, *body);
                if e > s {
                    builder.text(l.start + s, l.start + e);
                }
            }
            Kind::Tag { name, body } => {
                builder.start(speaker(name), None);
                let (s, e) = trimmed(l.text, *body);
                if e > s {
                    builder.text(l.start + s, l.start + e);
                }
            }
            Kind::Header { name, time, .. } => builder.start(speaker(name), *time),
        }
    }
    builder.close();
    builder.turns
}

/// The char range of `line` from char `from`, without surrounding whitespace.
fn trimmed(line: &str, from: usize) -> (usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let mut s = from.min(chars.len());
    let mut e = chars.len();
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    (s, e)
}

/// A turn being built: speaker and time known, text range growing.
struct Open {
    speaker: Option<String>,
    time: Option<u64>,
    range: Option<(usize, usize)>,
}

#[derive(Default)]
struct Builder {
    open: Option<Open>,
    turns: Vec<Turn>,
}

impl Builder {
    fn start(&mut self, speaker: String, time: Option<u64>) {
        self.close();
        self.open = Some(Open { speaker: Some(speaker), time, range: None });
    }

    fn text(&mut self, start: usize, end: usize) {
        let open = self.open.get_or_insert(Open { speaker: None, time: None, range: None });
        open.range = Some(match open.range {
            Some((s, _)) => (s, end),
            None => (start, end),
        });
    }

    fn close(&mut self) {
        if let Some(o) = self.open.take()
            && let Some((start, end)) = o.range
        {
            self.turns.push(Turn { speaker: o.speaker, start, end, time_start_ms: o.time, time_end_ms: None });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::offsets::slice_chars;

    fn show(text: &str) -> Vec<(Option<String>, String, Option<u64>)> {
        detect_turns(text)
            .into_iter()
            .map(|t| (t.speaker.clone(), slice_chars(text, t.start, t.end).unwrap().to_string(), t.time_start_ms))
            .collect()
    }

    fn sp(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn name_colon_prefixes() {
        let t = "Study header\n\nINTERVIEWER: How are you?\n\nP07: Not bad. My knees: sore.\n\nStill sore.\nINTERVIEWER: Go on.";
        assert_eq!(
            show(t),
            vec![
                (None, "Study header".into(), None),
                (sp("INTERVIEWER"), "How are you?".into(), None),
                (sp("P07"), "Not bad. My knees: sore.\n\nStill sore.".into(), None),
                (sp("INTERVIEWER"), "Go on.".into(), None),
            ]
        );
    }

    #[test]
    fn any_name_case_insensitive_and_accents() {
        let t = "interviewer: hola\nLucía: sí, claro\nInterviewer: ¿y?\nlucía: bueno";
        let turns = show(t);
        assert_eq!(turns.len(), 4);
        assert_eq!(turns[0].0, sp("interviewer"), "on a tie, the first written form is kept");
        assert_eq!(turns[1], (sp("Lucía"), "sí, claro".into(), None));
        assert_eq!(turns[3].0, sp("Lucía"), "the usual written form is kept");
    }

    #[test]
    fn interviewer_interviewee() {
        let t = "interviewer: first question\n\ninterviewee: first answer\n\ninterviewer: next";
        let s = show(t);
        assert_eq!(
            s.iter().map(|x| x.0.clone().unwrap()).collect::<Vec<_>>(),
            ["interviewer", "interviewee", "interviewer"]
        );
    }

    #[test]
    fn bracket_tags() {
        let t = "P03 six month follow-up\n\n[id1] How was it?\n\n[id2] Hard. [laughs] But fine.\n\n[id1] Thanks.";
        assert_eq!(
            show(t),
            vec![
                (None, "P03 six month follow-up".into(), None),
                (sp("id1"), "How was it?".into(), None),
                (sp("id2"), "Hard. [laughs] But fine.".into(), None),
                (sp("id1"), "Thanks.".into(), None),
            ]
        );
    }

    #[test]
    fn otter_zoom_headers_with_timestamps() {
        let t = "Interviewer  0:04\nShall we start?\n\nPriya  0:19\nYes. It started\nin my shoulders.\n\nInterviewer  1:02:03\nRight.";
        assert_eq!(
            show(t),
            vec![
                (sp("Interviewer"), "Shall we start?".into(), Some(4000)),
                (sp("Priya"), "Yes. It started\nin my shoulders.".into(), Some(19000)),
                (sp("Interviewer"), "Right.".into(), Some(3_723_000)),
            ]
        );
    }

    #[test]
    fn inline_timestamps() {
        let t = "[00:00:05] Dan: Morning.\n[00:00:09] INTERVIEWER: Hi.\nDan (00:14): So.";
        let s = show(t);
        assert_eq!(s[0], (sp("Dan"), "Morning.".into(), Some(5000)));
        assert_eq!(s[2], (sp("Dan"), "So.".into(), Some(14000)));
    }

    #[test]
    fn plain_paragraphs_and_lonely_labels() {
        let t = "Field note: the group met at ten.\n\nSeven people came, two late.\nIt rained.\n\nNext week: pacing.";
        assert_eq!(
            show(t),
            vec![
                (None, "Field note: the group met at ten.".into(), None),
                (None, "Seven people came, two late.\nIt rained.".into(), None),
                (None, "Next week: pacing.".into(), None),
            ]
        );
        let lines = "First paragraph.\nSecond paragraph.\nThird.";
        assert_eq!(show(lines).len(), 3, "one paragraph per line when there are no blank lines");
        assert!(show("").is_empty());
        assert!(show("\n\n  \n").is_empty());
    }

    #[test]
    fn label_alone_on_its_line() {
        let t = "INTERVIEWER:\nWhat helps?\n\nP01:\nThe walking group.";
        assert_eq!(
            show(t),
            vec![(sp("INTERVIEWER"), "What helps?".into(), None), (sp("P01"), "The walking group.".into(), None)]
        );
    }

    #[test]
    fn labels_on_their_own_line_without_colon() {
        let t = "INTERVIEWER\nHow have the nights been?\n\nParticipant 3\nLong. I’m up at three most nights.\n\nINTERVIEWER\nEvery night?\n\nParticipant 3\nMost.";
        assert_eq!(
            show(t),
            vec![
                (sp("INTERVIEWER"), "How have the nights been?".into(), None),
                (sp("Participant 3"), "Long. I’m up at three most nights.".into(), None),
                (sp("INTERVIEWER"), "Every night?".into(), None),
                (sp("Participant 3"), "Most.".into(), None),
            ]
        );
        let no_blank_lines = "Dan\nIt burns.\nAnn\nWhere?\nDan\nMy feet.\nAnn\nAh.";
        let speakers: Vec<_> = show(no_blank_lines).into_iter().map(|t| t.0).collect();
        assert_eq!(speakers, [sp("Dan"), sp("Ann"), sp("Dan"), sp("Ann")]);
    }

    #[test]
    fn headings_and_short_replies_stay_text() {
        let headings = "Background\nThe group met weekly.\n\nMethods\nWe asked about pain.\n\nFindings\nPacing helped.";
        assert!(show(headings).iter().all(|t| t.0.is_none()), "headings that do not recur are not speakers");
        let years = "2019\nThe first flare-up.\n\n2020\nLockdown.\n\n2019\nBack to it.\n\n2020\nAgain.";
        assert!(show(years).iter().all(|t| t.0.is_none()), "numbers alone on a line are not names");
        let replies = "Dan: Did the pills help?\nYes\nDan: And the walking?\nYes\nDan: Good.";
        let s = show(replies);
        assert!(s.iter().all(|t| t.0.as_deref() != Some("Yes")), "{s:?}");
        let wrapped = "Dan: I thought by\nTuesday\nit would pass.\nAnn: And?\nTuesday\nit did not.\nAnn: Oh.";
        let s = show(wrapped);
        assert!(s.iter().all(|t| t.0.as_deref() != Some("Tuesday")), "a word wrapped onto its own line: {s:?}");
        assert_eq!(s[0], (sp("Dan"), "I thought by\nTuesday\nit would pass.".into(), None));
    }

    #[test]
    fn labels_followed_by_a_tab() {
        let t = "Interviewer\tWhat helps?\nDan\tHeat, mostly.\nInterviewer\tAnything else?\nDan\tSleep.";
        assert_eq!(
            show(t),
            vec![
                (sp("Interviewer"), "What helps?".into(), None),
                (sp("Dan"), "Heat, mostly.".into(), None),
                (sp("Interviewer"), "Anything else?".into(), None),
                (sp("Dan"), "Sleep.".into(), None),
            ]
        );
        assert!(show("Total\t12\nmean\t3").iter().all(|t| t.0.is_none()), "a table row that does not recur");
    }

    #[test]
    fn numbered_roles_count_at_once() {
        assert!(is_role("Participant 3") && is_role("interviewer A") && is_role("P12") && is_role("Speaker 2"));
        assert!(!is_role("Chapter 3") && !is_role("Participant three") && !is_role("Note"));
    }

    #[test]
    fn bold_hints_make_a_single_label_a_speaker() {
        let t = "Grandmother: I came along with her.\n\nMarta: She did.";
        let plain: Vec<_> = show(t).into_iter().map(|x| x.0).collect();
        assert_eq!(plain, [None, None], "without hints two names that occur once are text");
        let hints = LabelHints::bold(["Grandmother", "marta"]);
        let turns = detect_turns_with(t, &hints);
        let speakers: Vec<_> = turns.iter().map(|x| x.speaker.clone()).collect();
        assert_eq!(speakers, [sp("Grandmother"), sp("Marta")]);
        assert_eq!(slice_chars(t, turns[0].start, turns[0].end), Some("I came along with her."));
        let own_line = "Grandmother\n\nI came along with her.\n\nMarta\n\nShe did.";
        let speakers: Vec<_> = detect_turns_with(own_line, &hints).into_iter().map(|x| x.speaker).collect();
        assert_eq!(speakers, [sp("Grandmother"), sp("Marta")], "bold labels on their own line count too");
        assert!(hints.contains(" GRANDMOTHER ") && !hints.is_empty() && LabelHints::default().is_empty());
    }
}
