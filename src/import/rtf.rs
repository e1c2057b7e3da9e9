//! Rich Text Format: the text of the body, paragraph by paragraph.
//!
//! A small reader of RTF's group and control-word syntax: destinations that hold no body
//! text (font and colour tables, style sheets, document info, pictures, headers and
//! footers, footnotes, comments, field instructions, `\*` groups) are skipped; `\par`
//! ends a paragraph, `\line` breaks a line, `\'hh` is a Windows-1252 byte and `\uN` a
//! Unicode character followed by `\ucN` fallback characters that are dropped.

use super::ExtractError;

const SKIPPED: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "header",
    "headerl",
    "headerr",
    "headerf",
    "footer",
    "footerl",
    "footerr",
    "footerf",
    "footnote",
    "annotation",
    "object",
    "themedata",
    "colorschememapping",
    "latentstyles",
    "datastore",
    "xmlnstbl",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "fldinst",
    "filetbl",
    "revtbl",
    "pgdsctbl",
    "atnid",
    "atnauthor",
    "nonshppict",
    "bkmkstart",
    "bkmkend",
    "xe",
    "tc",
];

/// The deepest group nesting read; real documents stay far below it.
const MAX_GROUP_DEPTH: usize = 4096;

#[derive(Clone, Copy)]
struct State {
    skip: bool,
    uc: usize,
}

fn byte_char(b: u8) -> char {
    let bytes = [b];
    let (s, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    s.chars().next().unwrap_or('\u{FFFD}')
}

/// The text of an RTF document, paragraphs separated by a blank line.
pub fn rtf_text(bytes: &[u8]) -> Result<String, ExtractError> {
    if !bytes.iter().skip_while(|b| b.is_ascii_whitespace()).take(5).eq(b"{\\rtf".iter()) {
        return Err(ExtractError::Malformed("not an RTF file: it does not start with {\\rtf".into()));
    }
    let mut stack: Vec<State> = Vec::new();
    let mut st = State { skip: false, uc: 1 };
    let mut paragraphs: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut pending_skip = 0usize; // fallback characters still to drop after \uN
    let mut i = 0;
    let n = bytes.len();
    let mut ended = false;
    while i < n {
        let b = bytes[i];
        match b {
            b'{' => {
                if stack.len() >= MAX_GROUP_DEPTH {
                    return Err(ExtractError::Malformed(format!(
                        "the RTF nests groups more than {MAX_GROUP_DEPTH} deep"
                    )));
                }
                stack.push(st);
                i += 1;
            }
            b'}' => {
                st = stack.pop().ok_or_else(|| ExtractError::Malformed("unbalanced braces in the RTF".into()))?;
                i += 1;
                if stack.is_empty() {
                    ended = true;
                    break;
                }
            }
            b'\r' | b'\n' => i += 1,
            b'\\' => {
                i += 1;
                let Some(&c) = bytes.get(i) else { break };
                if c.is_ascii_alphabetic() {
                    let start = i;
                    while i < n && bytes[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    let word = std::str::from_utf8(&bytes[start..i]).unwrap_or("");
                    let num_start = i;
                    if i < n && bytes[i] == b'-' {
                        i += 1;
                    }
                    while i < n && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    let param: Option<i64> =
                        std::str::from_utf8(&bytes[num_start..i]).ok().and_then(|s| s.parse().ok());
                    if i < n && bytes[i] == b' ' {
                        i += 1;
                    }
                    if SKIPPED.contains(&word) {
                        st.skip = true;
                        continue;
                    }
                    if st.skip {
                        continue;
                    }
                    match word {
                        "par" | "sect" | "page" => paragraphs.push(std::mem::take(&mut cur)),
                        "line" => cur.push('\n'),
                        "tab" | "cell" => cur.push('\t'),
                        "row" => paragraphs.push(std::mem::take(&mut cur)),
                        "emdash" => cur.push('—'),
                        "endash" => cur.push('–'),
                        "lquote" => cur.push('‘'),
                        "rquote" => cur.push('’'),
                        "ldblquote" => cur.push('“'),
                        "rdblquote" => cur.push('”'),
                        "bullet" => cur.push('•'),
                        "uc" => st.uc = param.unwrap_or(1).clamp(0, 10) as usize,
                        "u" => {
                            let v = param.unwrap_or(0);
                            let v = if v < 0 { v + 65536 } else { v } as u32;
                            cur.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                            pending_skip = st.uc;
                        }
                        _ => {}
                    }
                } else {
                    i += 1;
                    match c {
                        b'*' => st.skip = true,
                        b'\'' => {
                            let hex = bytes.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                            let v = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                            i += 2;
                            if pending_skip > 0 {
                                pending_skip -= 1;
                            } else if let (Some(v), false) = (v, st.skip) {
                                cur.push(byte_char(v));
                            }
                        }
                        b'~' if !st.skip => cur.push('\u{A0}'),
                        b'_' if !st.skip => cur.push('-'),
                        b'\\' | b'{' | b'}' if !st.skip => cur.push(c as char),
                        b'\n' | b'\r' if !st.skip => paragraphs.push(std::mem::take(&mut cur)),
                        _ => {}
                    }
                }
            }
            _ => {
                // Plain text: a UTF-8 sequence or a single byte.
                let len = match b {
                    0xC0..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF7 => 4,
                    _ => 1,
                };
                let chunk = &bytes[i..(i + len).min(n)];
                i += len;
                if st.skip {
                    continue;
                }
                if pending_skip > 0 {
                    pending_skip -= 1;
                    continue;
                }
                match std::str::from_utf8(chunk) {
                    Ok(s) => cur.push_str(s),
                    Err(_) => chunk.iter().for_each(|&x| cur.push(byte_char(x))),
                }
            }
        }
    }
    if !ended {
        return Err(ExtractError::Malformed("the RTF ends before its groups are closed (truncated?)".into()));
    }
    paragraphs.push(cur);
    let text = paragraphs.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n\n");
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_escapes_and_skipped_groups() {
        let rtf = br"{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}{\*\generator Word;}{\info{\title T}}\f0\pard INTERVIEWER: Shall we start?\par
\pard P02: {\b Yes}, caf\'e9 first\emdash then \u8364?5.\line new line\par
{\header ignored}\pard INTERVIEWER: Fine.\par}";
        let text = rtf_text(rtf).unwrap();
        assert_eq!(
            text,
            "INTERVIEWER: Shall we start?\n\nP02: Yes, café first—then €5.\nnew line\n\nINTERVIEWER: Fine."
        );
    }

    #[test]
    fn broken_rtf() {
        assert!(matches!(rtf_text(b"hello"), Err(ExtractError::Malformed(_))));
        assert!(
            matches!(rtf_text(br"{\rtf1 unfinished {\b bold"), Err(ExtractError::Malformed(m)) if m.contains("truncated"))
        );
        let deep = format!("{{\\rtf1 {}x{}}}", "{".repeat(MAX_GROUP_DEPTH), "}".repeat(MAX_GROUP_DEPTH));
        assert!(matches!(rtf_text(deep.as_bytes()), Err(ExtractError::Malformed(m)) if m.contains("nests groups")));
        let fine = format!("{{\\rtf1 {}x{}}}", "{".repeat(100), "}".repeat(100));
        assert_eq!(rtf_text(fine.as_bytes()).unwrap(), "x");
    }
}
