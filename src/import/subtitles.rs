//! WebVTT and SRT captions: cues with timings, speakers from WebVTT voice tags
//! (`<v Dan>`) or from `Name:` labels in the cue text.
//!
//! Consecutive cues by the same speaker become one turn, timed from the earliest start
//! to the latest end of its cues. A cue that ends before it starts, or starts before
//! the cue before it (out of order or overlapping), is kept and reported as a warning
//! naming the cue's number and times. The stored text is the transcript a reader expects
//! (`Dan: words ...`, a blank line between turns); turn ranges cover the words only.

use super::ExtractError;
use crate::model::Turn;
use crate::model::time::parse_clock;
use regex::Regex;
use std::sync::LazyLock;

static VOICE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<v(?:\.[^ \t>]*)?[ \t]+([^>]+)>").expect("static regex"));
static TAGS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>|\{\\[^}]*\}").expect("static regex"));
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:-[ \t]*)?(?P<name>[\p{L}\p{N}][\p{L}\p{N} .'’_-]{0,29}?)[ \t]*:[ \t]+").expect("static regex")
});

/// One caption cue.
#[derive(Debug, Clone, PartialEq)]
struct Cue {
    start: u64,
    end: u64,
    speaker: Option<String>,
    text: String,
}

/// The text and turns built from captions, with warnings about skipped cues.
pub struct Captions {
    pub text: String,
    pub turns: Vec<Turn>,
    pub warnings: Vec<String>,
}

/// The most cue-order warnings listed one by one; the rest are counted.
const MAX_ORDER_WARNINGS: usize = 10;

/// Formats milliseconds as a cue time, `hh:mm:ss.mmm`.
fn cue_time(ms: u64) -> String {
    let (s, ms) = (ms / 1000, ms % 1000);
    format!("{:02}:{:02}:{:02}.{ms:03}", s / 3600, (s / 60) % 60, s % 60)
}

/// Checks cue timings in file order and words the warnings.
#[derive(Default)]
struct CueOrder {
    number: usize,
    previous: Option<(usize, u64, u64)>,
    problems: usize,
    warnings: Vec<String>,
}

impl CueOrder {
    fn check(&mut self, start: u64, end: u64) {
        self.number += 1;
        let n = self.number;
        let times = format!("{} --> {}", cue_time(start), cue_time(end));
        let mut problem = None;
        if end < start {
            problem = Some(format!("cue {n} ({times}) ends before it starts"));
        } else if let Some((p, p_start, p_end)) = self.previous {
            if start < p_start {
                problem =
                    Some(format!("cue {n} ({times}) starts before cue {p}, which starts at {}", cue_time(p_start)));
            } else if start < p_end {
                problem = Some(format!("cue {n} ({times}) starts before cue {p} ends at {}", cue_time(p_end)));
            }
        }
        if let Some(p) = problem {
            self.problems += 1;
            if self.problems <= MAX_ORDER_WARNINGS {
                self.warnings.push(format!("{p}; kept as it is, check the timings"));
            }
        }
        self.previous = Some((n, start, end));
    }

    fn finish(mut self) -> Vec<String> {
        if self.problems > MAX_ORDER_WARNINGS {
            self.warnings.push(format!(
                "{} more cues end before they start, are out of order or overlap",
                self.problems - MAX_ORDER_WARNINGS
            ));
        }
        self.warnings
    }
}

fn parse_timing(line: &str) -> Option<(u64, u64)> {
    let (a, b) = line.split_once("-->")?;
    let start = parse_clock(a.trim())?;
    let end = parse_clock(b.split_whitespace().next()?)?;
    Some((start, end))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&lrm;", "")
        .replace("&rlm;", "")
        .replace("&amp;", "&")
}

fn cue_from(lines: &[&str], start: u64, end: u64) -> Option<Cue> {
    // A byte-order mark inside a caption file is junk; at the start of the stored text it
    // would be dropped later and shift every turn by one.
    let raw = lines.join(" ").replace('\u{FEFF}', "");
    let mut speaker = VOICE.captures(&raw).map(|c| c[1].trim().to_string());
    let mut text = unescape(&TAGS.replace_all(&raw, "")).split_whitespace().collect::<Vec<_>>().join(" ");
    if speaker.is_none()
        && let Some(c) = LABEL.captures(&text)
    {
        let name = c["name"].trim().to_string();
        if name.split_whitespace().count() <= 4 {
            speaker = Some(name);
            text = text[c.get(0).map(|m| m.end()).unwrap_or(0)..].to_string();
        }
    }
    (!text.is_empty()).then_some(Cue { start, end, speaker, text })
}

fn blocks(text: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(line);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Reads WebVTT text (already decoded and normalised).
pub fn parse_vtt(text: &str) -> Result<Captions, ExtractError> {
    let first = text.lines().next().unwrap_or("").trim_start_matches('\u{FEFF}');
    if !first.starts_with("WEBVTT") {
        return Err(ExtractError::Malformed("not a WebVTT file: the first line is not WEBVTT".into()));
    }
    let mut cues = Vec::new();
    let mut warnings = Vec::new();
    let mut order = CueOrder::default();
    for (i, block) in blocks(text).into_iter().enumerate().skip(1) {
        let head = block[0].trim();
        if head.starts_with("NOTE") || head == "STYLE" || head == "REGION" {
            continue;
        }
        let Some(t) = block.iter().position(|l| l.contains("-->")) else {
            warnings.push(format!("block {} has no cue timing and was skipped", i + 1));
            continue;
        };
        let Some((start, end)) = parse_timing(block[t]) else {
            warnings.push(format!("cue timing \"{}\" is not readable; cue skipped", block[t].trim()));
            continue;
        };
        order.check(start, end);
        cues.extend(cue_from(&block[t + 1..], start, end));
    }
    warnings.extend(order.finish());
    build(cues, warnings, "WebVTT")
}

/// Reads SRT text (already decoded and normalised).
pub fn parse_srt(text: &str) -> Result<Captions, ExtractError> {
    let mut cues = Vec::new();
    let mut warnings = Vec::new();
    let mut order = CueOrder::default();
    for block in blocks(text) {
        let Some(t) = block.iter().position(|l| l.contains("-->")) else {
            warnings
                .push(format!("\"{}\" is not a cue and was skipped", block[0].chars().take(40).collect::<String>()));
            continue;
        };
        let Some((start, end)) = parse_timing(block[t]) else {
            warnings.push(format!("cue timing \"{}\" is not readable; cue skipped", block[t].trim()));
            continue;
        };
        order.check(start, end);
        cues.extend(cue_from(&block[t + 1..], start, end));
    }
    warnings.extend(order.finish());
    build(cues, warnings, "SRT")
}

fn build(cues: Vec<Cue>, warnings: Vec<String>, what: &str) -> Result<Captions, ExtractError> {
    if cues.is_empty() {
        return Err(ExtractError::Malformed(format!("no {what} cues with text were found")));
    }
    // Group cues into turns: same speaker continues; speakerless cues break at pauses.
    let mut groups: Vec<Vec<Cue>> = Vec::new();
    for cue in cues {
        let joins = groups.last().and_then(|g| g.last()).is_some_and(|prev| {
            prev.speaker == cue.speaker && (cue.speaker.is_some() || cue.start.saturating_sub(prev.end) < 2000)
        });
        if joins {
            if let Some(g) = groups.last_mut() {
                g.push(cue);
            }
        } else {
            groups.push(vec![cue]);
        }
    }
    let mut text = String::new();
    let mut len = 0usize;
    let mut turns = Vec::new();
    for g in groups {
        if !text.is_empty() {
            text.push_str("\n\n");
            len += 2;
        }
        let speaker = g[0].speaker.clone();
        if let Some(s) = &speaker {
            let label = format!("{s}: ");
            len += label.chars().count();
            text.push_str(&label);
        }
        let words = g.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(" ");
        let start = len;
        len += words.chars().count();
        text.push_str(&words);
        turns.push(Turn {
            speaker,
            start,
            end: len,
            time_start_ms: g.iter().map(|c| c.start).min(),
            time_end_ms: g.iter().map(|c| c.end.max(c.start)).max(),
        });
    }
    Ok(Captions { text, turns, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::offsets::slice_chars;

    #[test]
    fn vtt_voices_and_timings() {
        let vtt = "WEBVTT\n\nNOTE made by hand\n\n1\n00:00:04.120 --> 00:00:11.800\n<v Interviewer>How have things been?\n\n2\n00:00:12.000 --> 00:00:20.500 align:start\n<v Dan>Up and down, &amp; mostly down.\n\n3\n00:00:20.600 --> 00:00:25.000\n<v Dan>But <i>better</i>.</v>\n\n00:00:26.000 --> 00:00:27.000\n<v.loud Interviewer>Good.\n";
        let c = parse_vtt(vtt).unwrap();
        assert_eq!(c.turns.len(), 3);
        assert_eq!(
            c.text,
            "Interviewer: How have things been?\n\nDan: Up and down, & mostly down. But better.\n\nInterviewer: Good."
        );
        let dan = &c.turns[1];
        assert_eq!(dan.speaker.as_deref(), Some("Dan"));
        assert_eq!(slice_chars(&c.text, dan.start, dan.end), Some("Up and down, & mostly down. But better."));
        assert_eq!((dan.time_start_ms, dan.time_end_ms), (Some(12_000), Some(25_000)));
    }

    #[test]
    fn vtt_errors() {
        assert!(matches!(parse_vtt("1\n00:00:01.000 --> 00:00:02.000\nhi"), Err(ExtractError::Malformed(_))));
        assert!(matches!(parse_vtt("WEBVTT\n\n"), Err(ExtractError::Malformed(_))));
        let c = parse_vtt("WEBVTT\n\n00:00:xx --> 00:00:02.000\nlost\n\n00:00:03.000 --> 00:00:04.000\nkept").unwrap();
        assert_eq!(c.text, "kept");
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn srt_cues_with_labels() {
        let srt = "1\n00:00:01,000 --> 00:00:04,000\nINTERVIEWER: Shall we begin?\n\n2\n00:00:04,500 --> 00:00:09,000\nP02: Yes.\nGo on then.\n\n3\n00:00:09,100 --> 00:00:12,000\nP02: It hurts.\n";
        let c = parse_srt(srt).unwrap();
        assert_eq!(c.text, "INTERVIEWER: Shall we begin?\n\nP02: Yes. Go on then. It hurts.");
        assert_eq!(c.turns[1].time_start_ms, Some(4500));
        assert_eq!(c.turns[1].time_end_ms, Some(12000));
        let plain = parse_srt("1\n00:00:01,000 --> 00:00:02,000\nOne.\n\n2\n00:00:02,100 --> 00:00:03,000\nTwo.\n\n3\n00:00:09,000 --> 00:00:10,000\nThree.").unwrap();
        assert_eq!(plain.text, "One. Two.\n\nThree.", "speakerless cues break into paragraphs at pauses");
        assert!(c.warnings.is_empty() && plain.warnings.is_empty(), "cues in order raise no warning");
    }

    #[test]
    fn reversed_and_overlapping_cues_are_reported() {
        let srt = "1\n00:00:01,000 --> 00:00:04,000\nDan: One.\n\n2\n00:00:09,000 --> 00:00:08,000\nDan: Two.\n\n3\n00:00:07,500 --> 00:00:10,000\nAnn: Three.\n\n4\n00:00:09,000 --> 00:00:12,000\nAnn: Four.\n";
        let c = parse_srt(srt).unwrap();
        assert_eq!(
            c.warnings,
            [
                "cue 2 (00:00:09.000 --> 00:00:08.000) ends before it starts; kept as it is, check the timings",
                "cue 3 (00:00:07.500 --> 00:00:10.000) starts before cue 2, which starts at 00:00:09.000; kept as it is, check the timings",
                "cue 4 (00:00:09.000 --> 00:00:12.000) starts before cue 3 ends at 00:00:10.000; kept as it is, check the timings",
            ]
        );
        assert_eq!((c.turns[0].time_start_ms, c.turns[0].time_end_ms), (Some(1000), Some(9000)));
        let vtt = "WEBVTT\n\n00:01:00.000 --> 00:00:59.000\n<v Dan>Backwards.\n";
        let v = parse_vtt(vtt).unwrap();
        assert_eq!(v.warnings.len(), 1);
        assert!(v.warnings[0].starts_with("cue 1 (00:01:00.000 --> 00:00:59.000) ends before it starts"));
        assert!(v.turns[0].time_start_ms <= v.turns[0].time_end_ms, "a turn's times are never reversed");
    }

    #[test]
    fn byte_order_marks_inside_cues_are_dropped() {
        // Found by fuzzing: the stored text started with a BOM, which normalising removed,
        // shifting every turn by one character.
        let c = parse_srt("1\n00:00:01,000 --> 00:00:04,000\n\u{FEFF}s.TE").unwrap();
        assert_eq!((c.text.as_str(), c.turns[0].start, c.turns[0].end), ("s.TE", 0, 4));
        let v = parse_vtt("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v \u{FEFF}Ann>Hi.").unwrap();
        assert_eq!(v.text, "Ann: Hi.");
    }

    #[test]
    fn many_cue_problems_are_counted_not_listed() {
        let mut srt = String::new();
        for i in 0..25u64 {
            srt.push_str(&format!("{}\n00:00:{:02},000 --> 00:00:00,500\nx{i}\n\n", i + 1, 59 - i));
        }
        let c = parse_srt(&srt).unwrap();
        assert_eq!(c.warnings.len(), MAX_ORDER_WARNINGS + 1);
        assert_eq!(c.warnings.last().unwrap(), "15 more cues end before they start, are out of order or overlap");
    }
}
