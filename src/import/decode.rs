//! Turning a file's bytes into the text Codeloom stores: encoding detection, and
//! normalisation to UTF-8 with LF line endings and no byte-order mark.

/// What decoding noticed, for the import report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecodeNotes {
    /// The encoding the bytes were read as.
    pub encoding: &'static str,
    pub had_bom: bool,
    pub crlf_normalised: bool,
    /// The encoding was guessed (legacy single-byte text), so the user should check it.
    pub guessed: bool,
}

impl DecodeNotes {
    /// Human-readable notes worth reporting.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.guessed {
            w.push(format!(
                "not valid UTF-8; read as {} (legacy single-byte text): check accented letters",
                self.encoding
            ));
        } else if self.encoding != "UTF-8" {
            w.push(format!("read as {}", self.encoding));
        }
        if self.had_bom {
            w.push("byte-order mark removed".into());
        }
        if self.crlf_normalised {
            w.push("Windows line endings (CRLF) normalised to LF".into());
        }
        w
    }
}

/// Why bytes could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Empty,
    Binary,
    BadUtf16,
}

/// Decodes bytes as text: UTF-8 (with or without BOM), UTF-16 with BOM, or failing
/// those, Windows-1252 with a warning. Binary data is refused.
pub fn decode_text(bytes: &[u8]) -> Result<(String, DecodeNotes), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut notes = DecodeNotes { encoding: "UTF-8", ..Default::default() };
    let text = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        notes.had_bom = true;
        std::str::from_utf8(rest).map_err(|_| DecodeError::Binary)?.to_string()
    } else if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let le = bytes[0] == 0xFF;
        notes.had_bom = true;
        notes.encoding = if le { "UTF-16LE" } else { "UTF-16BE" };
        let body = &bytes[2..];
        if !body.len().is_multiple_of(2) {
            return Err(DecodeError::BadUtf16);
        }
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
            .collect();
        String::from_utf16(&units).map_err(|_| DecodeError::BadUtf16)?
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        s.to_string()
    } else {
        if looks_binary(bytes) {
            return Err(DecodeError::Binary);
        }
        notes.encoding = "Windows-1252";
        notes.guessed = true;
        let (s, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
        s.into_owned()
    };
    if looks_binary_text(&text) {
        return Err(DecodeError::Binary);
    }
    let (text, crlf) = normalise_newlines(&text);
    notes.crlf_normalised = crlf;
    Ok((text, notes))
}

/// Control bytes other than tab, newline, carriage return and form feed are rare in
/// text and common in binary files.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    let control = sample.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)).count();
    sample.contains(&0) || control * 100 > sample.len()
}

fn looks_binary_text(text: &str) -> bool {
    let mut n = 0usize;
    let mut control = 0usize;
    for c in text.chars().take(8192) {
        n += 1;
        if c == '\0' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0C}')) {
            control += 1;
        }
    }
    n > 0 && (control * 100 > n || text.chars().take(8192).any(|c| c == '\0'))
}

/// Converts CRLF and lone CR to LF and drops leading BOMs (a file saved twice may have
/// two); reports whether any line ending changed.
pub fn normalise_newlines(text: &str) -> (String, bool) {
    let text = text.trim_start_matches('\u{FEFF}');
    if !text.contains('\r') {
        return (text.to_string(), false);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    (out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let (t, n) = decode_text("café\r\nok".as_bytes()).unwrap();
        assert_eq!(t, "café\nok");
        assert!(n.crlf_normalised && !n.had_bom && !n.guessed);

        let (t, n) = decode_text(b"\xEF\xBB\xBFhi").unwrap();
        assert_eq!((t.as_str(), n.had_bom), ("hi", true));

        let mut utf16 = vec![0xFF, 0xFE];
        for u in "Lucía: sí".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        let (t, n) = decode_text(&utf16).unwrap();
        assert_eq!((t.as_str(), n.encoding), ("Lucía: sí", "UTF-16LE"));

        let (t, n) = decode_text(b"caf\xE9 \x93quoted\x94").unwrap();
        assert_eq!(t, "café \u{201C}quoted\u{201D}");
        assert!(n.guessed);
        assert!(n.warnings()[0].contains("Windows-1252"));

        assert_eq!(decode_text(b""), Err(DecodeError::Empty));
        assert_eq!(decode_text(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Err(DecodeError::Binary));
        assert_eq!(decode_text(b"\xFF\xFEa"), Err(DecodeError::BadUtf16));
        assert_eq!(normalise_newlines("a\rb\r\n"), ("a\nb\n".to_string(), true));
        assert_eq!(normalise_newlines("\u{FEFF}\u{FEFF}a\u{FEFF}"), ("a\u{FEFF}".to_string(), false));
        let (t, n) = decode_text("\u{FEFF}\u{FEFF}hi".as_bytes()).unwrap();
        assert_eq!((t.as_str(), n.had_bom), ("hi", true), "a doubled BOM is dropped whole");
    }
}
