//! Word (.docx) and OpenDocument (.odt) text: a zip archive holding XML.
//!
//! Only the main text is read: paragraphs, runs, tabs, line breaks, tables (one
//! paragraph per cell paragraph), inserted tracked changes; deleted tracked changes,
//! comments, footnotes and drawings are left out. Paragraphs are separated by a blank
//! line in the stored text. Every archive entry is read with a size cap, so a zip bomb
//! is refused rather than unpacked.

use super::ExtractError;
use quick_xml::Reader;
use quick_xml::events::Event;
use std::io::{Cursor, Read, Seek};

/// The most uncompressed bytes read from one archive entry.
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;
/// A compression ratio above this in a large entry is treated as a zip bomb.
const MAX_RATIO: u64 = 200;

/// Reads one entry of a zip archive, refusing archives that are not zips, are
/// truncated, or would unpack to an implausible size.
pub fn read_zip_entry(bytes: &[u8], name: &str) -> Result<Vec<u8>, ExtractError> {
    read_zip_entry_from(Cursor::new(bytes), name)
}

/// [`read_zip_entry`] from an archive read as it is needed (a file on disk, say).
pub fn read_zip_entry_from<R: Read + Seek>(reader: R, name: &str) -> Result<Vec<u8>, ExtractError> {
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|e| ExtractError::Malformed(format!("not a readable zip archive (truncated or corrupt): {e}")))?;
    let mut entry = archive
        .by_name(name)
        .map_err(|_| ExtractError::Malformed(format!("the archive has no {name}; it is not a valid document")))?;
    let declared = entry.size();
    let compressed = entry.compressed_size().max(1);
    if declared > MAX_ENTRY_BYTES || (declared > 1024 * 1024 && declared / compressed > MAX_RATIO) {
        return Err(ExtractError::TooLarge(format!(
            "{name} would unpack to {declared} bytes from {compressed}; refused as a possible zip bomb"
        )));
    }
    let mut out = Vec::new();
    (&mut entry)
        .take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| ExtractError::Malformed(format!("{name} cannot be unpacked (truncated or corrupt): {e}")))?;
    if out.len() as u64 > MAX_ENTRY_BYTES {
        return Err(ExtractError::TooLarge(format!(
            "{name} unpacks to more than {MAX_ENTRY_BYTES} bytes; refused as a possible zip bomb"
        )));
    }
    Ok(out)
}

/// The XML vocabulary of one format.
struct Dialect {
    /// Elements that end a paragraph.
    paragraph: &'static [&'static str],
    /// Elements whose text is read.
    text: &'static [&'static str],
    tab: &'static [&'static str],
    line_break: &'static [&'static str],
    /// Elements skipped with everything inside them.
    skip: &'static [&'static str],
}

const DOCX: Dialect = Dialect {
    paragraph: &["w:p"],
    text: &["w:t"],
    tab: &["w:tab"],
    line_break: &["w:br", "w:cr"],
    skip: &[
        "w:del",
        "w:delText",
        "w:instrText",
        "w:fldData",
        "mc:Fallback",
        "w:commentReference",
        "w:footnoteReference",
    ],
};

const ODT: Dialect = Dialect {
    paragraph: &["text:p", "text:h"],
    text: &["text:p", "text:h", "text:span", "text:a"],
    tab: &["text:tab"],
    line_break: &["text:line-break"],
    skip: &[
        "office:annotation",
        "text:note",
        "text:tracked-changes",
        "office:annotation-end",
        "draw:frame",
        "text:bookmark-ref",
    ],
};

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// The deepest XML nesting read; real documents stay far below it.
const MAX_DEPTH: usize = 4096;

/// The text of one file, and the labels it set in bold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficeText {
    pub text: String,
    /// Paragraph-opening labels in bold (`**Interviewer:** text`, or bold `Interviewer`
    /// then a tab or colon), for [`super::turns::LabelHints::bold`].
    pub bold_labels: Vec<String>,
}

/// Whether a `<w:b>` element turns bold on: no value, or a value other than off.
fn bold_on(e: &quick_xml::events::BytesStart) -> bool {
    match e.try_get_attribute("w:val").ok().flatten() {
        None => true,
        Some(a) => !matches!(a.value.trim(), "0" | "false" | "off" | "none"),
    }
}

/// The bold label at the start of a paragraph, from its text and where the bold prefix ends.
fn bold_label(paragraph: &str, prefix_end: usize) -> Option<String> {
    let raw = paragraph.get(..prefix_end)?;
    let rest = paragraph.get(prefix_end..)?;
    let shown = raw.trim_end();
    let trailing = &raw[shown.len()..];
    let name = if let Some(n) = shown.strip_suffix(':') {
        n.trim()
    } else if trailing.contains('\t') || rest.trim_start_matches(' ').starts_with([':', '\t']) {
        shown.trim()
    } else {
        return None;
    };
    let words = name.split_whitespace().count();
    let plausible = (1..=4).contains(&words) && name.chars().count() <= 30 && !name.contains(['\n', ':']);
    plausible.then(|| name.to_string())
}

/// Reads the XML of one document, paragraph by paragraph.
struct XmlText<'d> {
    d: &'d Dialect,
    paragraphs: Vec<String>,
    cur: String,
    total: usize,
    stack: Vec<String>,
    /// How many open elements are ones whose text is read.
    text_depth: usize,
    skip_depth: Option<usize>,
    /// Bold labels (Word): whether the current run is bold, whether the paragraph has
    /// bold text so far, and where its bold prefix ended.
    run_bold: bool,
    bold_seen: bool,
    prefix_end: Option<usize>,
    bold_labels: Vec<String>,
}

impl<'d> XmlText<'d> {
    fn new(d: &'d Dialect) -> Self {
        XmlText {
            d,
            paragraphs: Vec::new(),
            cur: String::new(),
            total: 0,
            stack: Vec::new(),
            text_depth: 0,
            skip_depth: None,
            run_bold: false,
            bold_seen: false,
            prefix_end: None,
            bold_labels: Vec::new(),
        }
    }

    fn push(&mut self, s: &str) -> Result<(), ExtractError> {
        self.total += s.len();
        if self.total as u64 > MAX_ENTRY_BYTES {
            return Err(ExtractError::TooLarge(format!("the document text is larger than {MAX_ENTRY_BYTES} bytes")));
        }
        if self.prefix_end.is_none() {
            if self.run_bold {
                self.bold_seen |= !s.trim().is_empty();
            } else if self.bold_seen || !s.trim().is_empty() {
                self.prefix_end = Some(self.cur.len());
            }
        }
        self.cur.push_str(s);
        Ok(())
    }

    fn end_paragraph(&mut self) {
        if self.bold_seen
            && let Some(label) = bold_label(&self.cur, self.prefix_end.unwrap_or(self.cur.len()))
            && !self.bold_labels.contains(&label)
        {
            self.bold_labels.push(label);
        }
        self.paragraphs.push(std::mem::take(&mut self.cur));
        (self.bold_seen, self.prefix_end, self.run_bold) = (false, None, false);
    }

    fn open(&mut self, e: &quick_xml::events::BytesStart) -> Result<(), ExtractError> {
        let name = e.name().as_ref().to_string();
        if name == "w:b" && self.in_run_properties() {
            // `<w:b w:val="1"></w:b>` is as good as `<w:b/>`.
            self.run_bold = bold_on(e);
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(ExtractError::Malformed(format!("the document XML nests more than {MAX_DEPTH} levels deep")));
        }
        if self.skip_depth.is_none() && self.d.skip.contains(&name.as_str()) {
            self.skip_depth = Some(self.stack.len());
        }
        if self.d.text.contains(&name.as_str()) {
            self.text_depth += 1;
        }
        if name == "w:r" {
            self.run_bold = false;
        }
        self.stack.push(name);
        Ok(())
    }

    fn close(&mut self) {
        let Some(name) = self.stack.pop() else { return };
        if self.d.text.contains(&name.as_str()) {
            self.text_depth -= 1;
        }
        if self.skip_depth == Some(self.stack.len()) {
            self.skip_depth = None;
        } else if self.skip_depth.is_none() && self.d.paragraph.contains(&name.as_str()) {
            self.end_paragraph();
        }
    }

    fn empty(&mut self, e: &quick_xml::events::BytesStart) -> Result<(), ExtractError> {
        if self.skip_depth.is_some() {
            return Ok(());
        }
        let name = e.name();
        let name: &str = name.as_ref();
        if self.d.tab.contains(&name) {
            self.push("\t")?;
        } else if self.d.line_break.contains(&name) {
            self.push("\n")?;
        } else if name == "text:s" {
            let n = e
                .try_get_attribute("text:c")
                .ok()
                .flatten()
                .and_then(|a| a.value.trim().parse::<usize>().ok())
                .unwrap_or(1);
            self.push(&" ".repeat(n.min(1000)))?;
        } else if name == "w:b" && self.in_run_properties() {
            self.run_bold = bold_on(e);
        } else if self.d.paragraph.contains(&name) {
            self.end_paragraph();
        }
        Ok(())
    }

    fn in_run_properties(&self) -> bool {
        let n = self.stack.len();
        n >= 2 && self.stack[n - 1] == "w:rPr" && self.stack[n - 2] == "w:r"
    }

    fn reading(&self) -> bool {
        self.skip_depth.is_none() && self.text_depth > 0
    }

    fn finish(mut self) -> Result<OfficeText, ExtractError> {
        if let Some(open) = self.stack.last() {
            return Err(ExtractError::Malformed(format!(
                "the document XML ends before <{open}> is closed (truncated?)"
            )));
        }
        if !self.cur.trim().is_empty() {
            self.end_paragraph();
        }
        let text = self
            .paragraphs
            .iter()
            .map(|p| p.trim_end())
            .filter(|p| !p.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        Ok(OfficeText { text, bold_labels: self.bold_labels })
    }
}

fn extract(xml: &[u8], d: &Dialect) -> Result<OfficeText, ExtractError> {
    let xml =
        std::str::from_utf8(xml).map_err(|_| ExtractError::Malformed("the document XML is not valid UTF-8".into()))?;
    let mut reader = Reader::from_str(xml);
    let mut doc = XmlText::new(d);
    let bad =
        |e: &dyn std::fmt::Display, pos: u64| ExtractError::Malformed(format!("malformed XML at byte {pos}: {e}"));
    loop {
        let pos = reader.buffer_position();
        match reader.read_event().map_err(|e| bad(&e, pos))? {
            Event::Start(e) => doc.open(&e)?,
            Event::Empty(e) => doc.empty(&e)?,
            Event::End(_) => doc.close(),
            Event::Text(t) if doc.reading() => doc.push(&t.xml10_content())?,
            Event::CData(t) if doc.reading() => doc.push(&t.into_inner())?,
            Event::GeneralRef(r) if doc.reading() => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| bad(&e, pos))?
                } else {
                    entity(&r.into_inner())
                };
                match c {
                    Some(c) => doc.push(c.encode_utf8(&mut [0; 4]))?,
                    None => {
                        return Err(ExtractError::Malformed(format!("unknown XML entity at byte {pos}")));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    doc.finish()
}

/// The text of a .docx file.
pub fn docx_text(bytes: &[u8]) -> Result<String, ExtractError> {
    docx_document(bytes).map(|d| d.text)
}

/// The text of a .docx file, with the labels it set in bold.
pub fn docx_document(bytes: &[u8]) -> Result<OfficeText, ExtractError> {
    let xml = read_zip_entry(bytes, "word/document.xml")?;
    extract(&xml, &DOCX)
}

/// The text of an .odt file.
pub fn odt_text(bytes: &[u8]) -> Result<String, ExtractError> {
    let xml = read_zip_entry(bytes, "content.xml")?;
    extract(&xml, &ODT).map(|d| d.text)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A zip archive with the given entries, for tests.
    pub fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                z.start_file(*name, opts).unwrap();
                z.write_all(data).unwrap();
            }
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    pub fn docx(body: &str) -> Vec<u8> {
        let xml = format!(
            r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
        );
        zip_with(&[("word/document.xml", xml.as_bytes())])
    }

    #[test]
    fn docx_runs_tabs_breaks_and_tracked_changes() {
        let d = docx(
            r#"<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Dan:</w:t></w:r><w:r><w:t xml:space="preserve"> It&apos;s my back</w:t></w:r><w:del><w:r><w:delText>DELETED</w:delText></w:r></w:del><w:ins><w:r><w:t>, mostly</w:t></w:r></w:ins></w:p><w:p/><w:p><w:r><w:t>A</w:t><w:tab/><w:t>B</w:t><w:br/><w:t>C &#233;</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#,
        );
        assert_eq!(docx_text(&d).unwrap(), "Dan: It's my back, mostly\n\nA\tB\nC é\n\ncell");
    }

    #[test]
    fn odt_spans_and_spaces() {
        let xml = r#"<?xml version="1.0"?><office:document-content xmlns:office="o" xmlns:text="t"><office:body><office:text><text:h>Title</text:h><text:p>P01:<text:s/>Hello<text:s text:c="2"/><text:span>there</text:span><office:annotation><text:p>comment</text:p></office:annotation></text:p><text:p>Next<text:line-break/>line<text:tab/>x</text:p></office:text></office:body></office:document-content>"#;
        let odt =
            zip_with(&[("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", xml.as_bytes())]);
        assert_eq!(odt_text(&odt).unwrap(), "Title\n\nP01: Hello  there\n\nNext\nline\tx");
    }

    #[test]
    fn broken_archives() {
        let d = docx("<w:p><w:r><w:t>hello</w:t></w:r></w:p>");
        assert!(matches!(docx_text(&d[..d.len() / 2]), Err(ExtractError::Malformed(_))));
        assert!(matches!(docx_text(b"PK\x03\x04 not really"), Err(ExtractError::Malformed(_))));
        let no_doc = zip_with(&[("other.xml", b"<a/>")]);
        assert!(matches!(docx_text(&no_doc), Err(ExtractError::Malformed(m)) if m.contains("word/document.xml")));
        let bad_xml = zip_with(&[("word/document.xml", b"<w:document><w:body><w:p></w:body>")]);
        assert!(matches!(docx_text(&bad_xml), Err(ExtractError::Malformed(_))));
        let cut_xml = zip_with(&[("word/document.xml", b"<w:document><w:body><w:p>")]);
        assert!(matches!(docx_text(&cut_xml), Err(ExtractError::Malformed(m)) if m.contains("truncated")));
        let zeros = vec![0u8; 80 * 1024 * 1024];
        let bomb = zip_with(&[("word/document.xml", &zeros)]);
        assert!(bomb.len() < 1024 * 1024);
        assert!(matches!(docx_text(&bomb), Err(ExtractError::TooLarge(_))));
    }

    fn run(text: &str, bold: Option<&str>) -> String {
        let props = match bold {
            None => String::new(),
            Some("") => "<w:rPr><w:b/></w:rPr>".to_string(),
            Some(v) => format!(r#"<w:rPr><w:i/><w:b w:val="{v}"/></w:rPr>"#),
        };
        format!(r#"<w:r>{props}<w:t xml:space="preserve">{text}</w:t></w:r>"#)
    }

    #[test]
    fn bold_labels_are_reported_and_the_text_is_unchanged() {
        let paragraphs = [
            // **Interviewer:** text
            format!("<w:p>{}{}</w:p>", run("Interviewer:", Some("")), run(" How are you?", None)),
            // **Dan** then a colon in a normal run
            format!("<w:p>{}{}</w:p>", run("Dan", Some("1")), run(": Sore.", None)),
            // **Ann** then a tab
            format!("<w:p>{}<w:r><w:tab/><w:t>Hm.</w:t></w:r></w:p>", run("Ann", Some("true"))),
            // w:val="0" is not bold
            format!("<w:p>{}{}</w:p>", run("Note:", Some("0")), run(" not a label", None)),
            // a bold word inside a sentence is not a label
            format!("<w:p>{}{}</w:p>", run("Very", Some("")), run(" sore: yes", None)),
            // a bold heading without a colon is not a label
            format!("<w:p>{}</w:p>", run("Background", Some(""))),
            // the paragraph mark's bold is not the text's
            format!(r#"<w:p><w:pPr><w:rPr><w:b/></w:rPr></w:pPr>{}</w:p>"#, run("Mo: plain", None)),
            // <w:b></w:b> as a start and end tag, and leading white space
            format!(
                r#"<w:p>{}<w:r><w:rPr><w:b></w:b></w:rPr><w:t>Grandmother:</w:t></w:r>{}</w:p>"#,
                run(" ", None),
                run(" Yes.", None)
            ),
        ];
        let doc = docx_document(&docx(&paragraphs.concat())).unwrap();
        assert_eq!(
            doc.text,
            "Interviewer: How are you?\n\nDan: Sore.\n\nAnn\tHm.\n\nNote: not a label\n\nVery sore: yes\n\nBackground\n\nMo: plain\n\n Grandmother: Yes."
        );
        assert_eq!(doc.bold_labels, ["Interviewer", "Dan", "Ann", "Grandmother"]);
    }

    #[test]
    fn bold_label_shapes() {
        assert_eq!(bold_label("Interviewer: hi", 12).as_deref(), Some("Interviewer"));
        assert_eq!(bold_label("Interviewer:", 12).as_deref(), Some("Interviewer"), "a label paragraph of its own");
        assert_eq!(bold_label("Dan \t text", 4).as_deref(), Some("Dan"));
        assert_eq!(bold_label("Dan text", 3), None);
        assert_eq!(bold_label("A very long bold sentence here: x", 31), None, "more than four words");
        assert_eq!(bold_label("é: x", 1), None, "not on a char boundary");
    }

    #[test]
    fn nesting_and_output_are_bounded() {
        let deep = format!("<w:p>{}</w:p>", "<w:r>".repeat(MAX_DEPTH + 1));
        assert!(matches!(docx_text(&docx(&deep)), Err(ExtractError::Malformed(m)) if m.contains("nests more than")));
        let spaces = r#"<text:s text:c="1000"/>"#.repeat(70_000);
        let xml = format!(
            r#"<office:document-content><office:body><office:text><text:p>{spaces}</text:p></office:text></office:body></office:document-content>"#
        );
        let odt = zip_with(&[("content.xml", xml.as_bytes())]);
        assert!(matches!(odt_text(&odt), Err(ExtractError::TooLarge(_))), "70 MB of spaces from 1.6 MB of XML");
    }
}
