//! Conversions between the three ways of counting a position in text.
//!
//! Codeloom stores every offset as a Unicode scalar offset (a `char` index) into a
//! document's stored UTF-8 text. Libraries at the edges count differently: tantivy and
//! Rust string slicing count UTF-8 bytes, REFI-QDA files and some editors count UTF-16
//! code units. This module is the one place where those conversions happen.
//!
//! A [`CharIndex`] table built once per text makes every conversion O(log n); a
//! [`CharSlicer`] cuts many ranges out of one long text with a small table; the free
//! functions are convenient for one-off conversions (each walks the text from its start,
//! so calling them once per turn or coding of a long document is quadratic).

/// A table of the byte position of every character in a text, for repeated conversions.
#[derive(Debug, Clone)]
pub struct CharIndex {
    /// `bytes[i]` is the byte offset of char `i`; the last entry is the text's byte length.
    bytes: Vec<usize>,
    /// `utf16[i]` is the UTF-16 offset of char `i`; the last entry is the UTF-16 length.
    utf16: Vec<usize>,
}

impl CharIndex {
    /// Builds the table for `text`.
    pub fn new(text: &str) -> Self {
        let mut bytes = Vec::with_capacity(text.len() + 1);
        let mut utf16 = Vec::with_capacity(text.len() + 1);
        let mut u = 0;
        for (b, c) in text.char_indices() {
            bytes.push(b);
            utf16.push(u);
            u += c.len_utf16();
        }
        bytes.push(text.len());
        utf16.push(u);
        CharIndex { bytes, utf16 }
    }

    /// Number of characters in the text.
    pub fn char_len(&self) -> usize {
        self.bytes.len() - 1
    }

    /// Byte offset of a char offset; `None` past the end.
    pub fn char_to_byte(&self, char_offset: usize) -> Option<usize> {
        self.bytes.get(char_offset).copied()
    }

    /// Char offset of a byte offset; `None` if it is not on a character boundary.
    pub fn byte_to_char(&self, byte_offset: usize) -> Option<usize> {
        self.bytes.binary_search(&byte_offset).ok()
    }

    /// UTF-16 offset of a char offset; `None` past the end.
    pub fn char_to_utf16(&self, char_offset: usize) -> Option<usize> {
        self.utf16.get(char_offset).copied()
    }

    /// Char offset of a UTF-16 offset; `None` if it falls inside a surrogate pair.
    pub fn utf16_to_char(&self, utf16_offset: usize) -> Option<usize> {
        self.utf16.binary_search(&utf16_offset).ok()
    }
}

/// Cuts char ranges out of one text: a table of the byte position of every
/// [`CharSlicer::STRIDE`]th char, built in one pass, after which each cut walks at most
/// `STRIDE` chars to each end. Its table is `8 / STRIDE` bytes per char, so it suits
/// documents of many megabytes where [`CharIndex`] (16 bytes per char) does not.
#[derive(Debug, Clone)]
pub struct CharSlicer<'t> {
    text: &'t str,
    /// `marks[k]` is the byte offset of char `k * STRIDE`.
    marks: Vec<usize>,
    chars: usize,
}

impl<'t> CharSlicer<'t> {
    /// Chars between table entries.
    pub const STRIDE: usize = 64;

    /// Builds the table for `text`.
    pub fn new(text: &'t str) -> Self {
        let mut marks = Vec::with_capacity(text.len() / Self::STRIDE + 1);
        let mut chars = 0;
        for (i, (b, _)) in text.char_indices().enumerate() {
            if i % Self::STRIDE == 0 {
                marks.push(b);
            }
            chars = i + 1;
        }
        CharSlicer { text, marks, chars }
    }

    /// Number of characters in the text.
    pub fn char_len(&self) -> usize {
        self.chars
    }

    /// Byte offset of a char offset; `None` past the end.
    pub fn char_to_byte(&self, char_offset: usize) -> Option<usize> {
        if char_offset > self.chars {
            return None;
        }
        if char_offset == self.chars {
            return Some(self.text.len());
        }
        let from = *self.marks.get(char_offset / Self::STRIDE)?;
        self.text[from..].char_indices().nth(char_offset % Self::STRIDE).map(|(b, _)| from + b)
    }

    /// The slice between two char offsets; `None` if the range is out of bounds or reversed.
    pub fn slice(&self, start: usize, end: usize) -> Option<&'t str> {
        if start > end {
            return None;
        }
        Some(&self.text[self.char_to_byte(start)?..self.char_to_byte(end)?])
    }
}

/// Byte offset of a char offset in `text`; `None` past the end.
pub fn char_to_byte(text: &str, char_offset: usize) -> Option<usize> {
    if char_offset == 0 {
        return Some(0);
    }
    match text.char_indices().nth(char_offset) {
        Some((b, _)) => Some(b),
        None if text.chars().count() == char_offset => Some(text.len()),
        None => None,
    }
}

/// Char offset of a byte offset in `text`; `None` if it is not on a character boundary.
pub fn byte_to_char(text: &str, byte_offset: usize) -> Option<usize> {
    if byte_offset > text.len() || !text.is_char_boundary(byte_offset) {
        return None;
    }
    Some(text[..byte_offset].chars().count())
}

/// The slice of `text` between two char offsets; `None` if the range is out of bounds
/// or reversed.
pub fn slice_chars(text: &str, start: usize, end: usize) -> Option<&str> {
    if start > end {
        return None;
    }
    let mut it = text.char_indices().map(|(b, _)| b).chain(std::iter::once(text.len()));
    let s = it.nth(start)?;
    let e = if end == start { s } else { it.nth(end - start - 1)? };
    Some(&text[s..e])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mixed_scripts() {
        let t = "aé😀中\nb";
        let ix = CharIndex::new(t);
        assert_eq!(ix.char_len(), 6);
        assert_eq!(ix.char_to_byte(2), Some(3));
        assert_eq!(ix.char_to_byte(3), Some(7));
        assert_eq!(ix.char_to_utf16(3), Some(4));
        assert_eq!(ix.utf16_to_char(3), None, "inside a surrogate pair");
        assert_eq!(ix.byte_to_char(4), None, "inside a multi-byte char");
        assert_eq!(slice_chars(t, 1, 4), Some("é😀中"));
        assert_eq!(slice_chars(t, 6, 6), Some(""));
        assert_eq!(slice_chars(t, 5, 7), None);
        assert_eq!(slice_chars(t, 3, 2), None);
    }

    proptest! {
        #[test]
        fn slicer_cuts_what_slice_chars_cuts(text in "[aé😀中\n]{0,300}", a in 0usize..320, b in 0usize..320) {
            let cut = CharSlicer::new(&text);
            prop_assert_eq!(cut.char_len(), text.chars().count());
            prop_assert_eq!(cut.slice(a, b), slice_chars(&text, a, b));
            prop_assert_eq!(cut.char_to_byte(a), char_to_byte(&text, a));
        }

        #[test]
        fn round_trips(text in "\\PC{0,60}", pick in 0usize..200) {
            let ix = CharIndex::new(&text);
            let n = text.chars().count();
            prop_assert_eq!(ix.char_len(), n);
            let c = pick % (n + 1);
            let b = ix.char_to_byte(c).unwrap();
            prop_assert_eq!(ix.byte_to_char(b), Some(c));
            prop_assert_eq!(char_to_byte(&text, c), Some(b));
            prop_assert_eq!(byte_to_char(&text, b), Some(c));
            let u = ix.char_to_utf16(c).unwrap();
            prop_assert_eq!(ix.utf16_to_char(u), Some(c));
            let utf16: Vec<u16> = text.encode_utf16().collect();
            prop_assert_eq!(String::from_utf16(&utf16[..u]).unwrap(), text[..b].to_string());
            prop_assert_eq!(slice_chars(&text, 0, c), Some(&text[..b]));
            prop_assert_eq!(slice_chars(&text, c, n), Some(&text[b..]));
            prop_assert_eq!(ix.char_to_byte(n + 1), None);
        }

        #[test]
        fn non_boundaries_are_rejected(text in "[é😀a]{1,20}", b in 0usize..80) {
            let ix = CharIndex::new(&text);
            let expected = if b <= text.len() && text.is_char_boundary(b) {
                Some(text[..b].chars().count())
            } else {
                None
            };
            prop_assert_eq!(ix.byte_to_char(b), expected);
            prop_assert_eq!(byte_to_char(&text, b), expected);
        }
    }
}
