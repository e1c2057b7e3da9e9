//! Exchanging whole projects with other qualitative-analysis tools through the
//! REFI-QDA standard (`.qdpx`: a zip holding `project.qde` and a `sources/` folder).
//!
//! This module owns the reading and writing of those files and the import report:
//! [`qdpx_import`] reads a `.qdpx` from NVivo, ATLAS.ti, MAXQDA, QualCoder and others
//! into an [`ImportPlan`] (tolerating the quirks listed in `../shared/design/REFI-QDA.md`)
//! which the store writes in one operation; [`qdpx_export`] writes a project as a
//! schema-valid `.qdpx`; [`codes`] reads and writes the REFI `<Codes>` tree.
//!
//! What maps where: users ↔ coders; codes (hierarchy, colour, description) ↔ codes;
//! text sources ↔ documents; text selections with codings ↔ codings; cases with variable
//! values ↔ participants with attributes; sets named `Wave: …` ↔ waves; notes ↔ memos.
//! Everything else (other sets, links, graphs, PDF, picture, audio and video sources,
//! selections that cannot be placed) is listed in the [`QdpxReport`], never dropped silently.

pub mod codes;
pub mod qdpx_export;
pub mod qdpx_import;

use crate::error::{Error, Result};
use crate::model::CodeDescription;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde::Serialize;

pub use crate::model::exchange::{
    ImportCounts, ImportPlan, PlanCode, PlanCoding, PlanDocument, PlanMemo, PlanParticipant, PlanTarget,
};
pub use qdpx_export::{ExportReport, export_qdpx};
pub use qdpx_import::{import_qdpx, new_project_from_qdpx, read_qdpx};

/// The namespace of REFI-QDA project files.
pub const PROJECT_NS: &str = "urn:QDA-XML:project:1.0";

/// Sets whose name starts with this (case-insensitively) are waves.
pub const WAVE_SET_PREFIX: &str = "Wave: ";

/// The deepest nesting of `Code` elements read from a `.qdpx` or `.qdc` (the standard
/// sets no limit; real files nest a few levels).
pub const MAX_CODE_DEPTH: usize = 200;
/// The deepest nesting of XML elements of any kind read from a REFI-QDA file.
pub const MAX_XML_DEPTH: usize = 512;
/// The most XML elements read from one REFI-QDA file.
pub const MAX_XML_ELEMENTS: usize = 10_000_000;

/// Why nesting or size refuses a file, or `None` when a new element at `depth` (the
/// number of open elements, itself included), as the `elements`-th element read and
/// with `code_depth` open `Code` elements, is within the bounds.
pub(crate) fn beyond_bounds(depth: usize, code_depth: usize, elements: usize) -> Option<String> {
    if code_depth > MAX_CODE_DEPTH {
        Some(format!("codes nest deeper than {MAX_CODE_DEPTH} levels; refused"))
    } else if depth > MAX_XML_DEPTH {
        Some(format!("XML elements nest deeper than {MAX_XML_DEPTH} levels; refused"))
    } else if elements > MAX_XML_ELEMENTS {
        Some(format!("more than {MAX_XML_ELEMENTS} XML elements; refused"))
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------
// The import report.

/// How a source's start/end positions were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionUnit {
    /// Unicode code points over the file text, a CRLF line break counting as two.
    CodePoints,
    /// Code points, a CRLF line break counting as one (ATLAS.ti on Windows).
    CodePointsCrlfAsOne,
    /// UTF-16 code units, CRLF as two (NVivo for Windows, JavaScript tools).
    Utf16,
    /// UTF-16 code units, CRLF as one.
    Utf16CrlfAsOne,
}

impl PositionUnit {
    pub fn describe(self) -> &'static str {
        match self {
            PositionUnit::CodePoints => "code points (CRLF = 2)",
            PositionUnit::CodePointsCrlfAsOne => "code points (CRLF = 1)",
            PositionUnit::Utf16 => "UTF-16 units (CRLF = 2)",
            PositionUnit::Utf16CrlfAsOne => "UTF-16 units (CRLF = 1)",
        }
    }
}

/// The reading of positions chosen for one source, and how well it fits.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReading {
    pub source: String,
    pub unit: PositionUnit,
    /// Whether the text gave a choice at all (it has CRLF or characters outside the BMP).
    pub ambiguous: bool,
    pub selections: usize,
    /// Selections inside the text under this reading.
    pub placed: usize,
    /// Selections whose ends fall on word boundaries (or match their quoted text).
    pub clean: usize,
}

/// A text selection that could not be placed in a document.
#[derive(Debug, Clone, Serialize)]
pub struct Unplaced {
    pub source: String,
    pub selection: String,
    pub name: String,
    pub start: i64,
    pub end: i64,
    pub codings: usize,
    pub reason: String,
}

/// Something in the file with no home in a Codeloom project.
#[derive(Debug, Clone, Serialize)]
pub struct NotImported {
    pub what: String,
    pub count: usize,
    pub reason: String,
}

/// The report of one `.qdpx` import: what came across and what could not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QdpxReport {
    pub file: String,
    /// The producing tool as the file says (`origin`).
    pub origin: String,
    pub project_name: String,
    pub imported: ImportCounts,
    pub readings: Vec<SourceReading>,
    pub unplaced: Vec<Unplaced>,
    pub not_imported: Vec<NotImported>,
    pub warnings: Vec<String>,
}

impl QdpxReport {
    pub(crate) fn not_imported(&mut self, what: &str, count: usize, reason: &str) {
        if count > 0 {
            self.not_imported.push(NotImported { what: what.into(), count, reason: reason.into() });
        }
    }

    /// The report as lines a person reads.
    pub fn lines(&self) -> Vec<String> {
        let c = &self.imported;
        let mut out = vec![
            format!(
                "{}: {} (from {})",
                self.file,
                self.project_name,
                if self.origin.is_empty() { "unknown tool" } else { &self.origin }
            ),
            format!(
                "imported {} documents, {} codes, {} codings, {} coders, {} participants, {} attributes ({} values), {} waves, {} memos",
                c.documents,
                c.codes,
                c.codings,
                c.coders,
                c.participants,
                c.attributes,
                c.attribute_values,
                c.waves,
                c.memos
            ),
        ];
        for r in &self.readings {
            out.push(format!(
                "positions in {}: read as {}{}; {} of {} selections placed",
                r.source,
                r.unit.describe(),
                if r.ambiguous { format!(" (best fit: {} of {} clean)", r.clean, r.selections) } else { String::new() },
                r.placed,
                r.selections
            ));
        }
        for u in &self.unplaced {
            out.push(format!(
                "not placed: selection {} [{}, {}) in {}{} with {} codings: {}",
                u.selection,
                u.start,
                u.end,
                u.source,
                if u.name.is_empty() { String::new() } else { format!(" \"{}\"", shorten(&u.name, 40)) },
                u.codings,
                u.reason
            ));
        }
        for n in &self.not_imported {
            out.push(format!("not imported: {} × {}: {}", n.count, n.what, n.reason));
        }
        for w in &self.warnings {
            out.push(format!("warning: {w}"));
        }
        out
    }
}

pub(crate) fn shorten(s: &str, n: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= n { flat } else { format!("{}…", flat.chars().take(n).collect::<String>()) }
}

// ---------------------------------------------------------------------------------------
// A small XML tree, matched on local names so that any namespace (or none) is accepted.

/// One XML element: its local name, attributes (local names), children and text.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A non-blank attribute.
    pub fn attr_nonempty(&self, name: &str) -> Option<&str> {
        self.attr(name).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// `self/wrapper/item` elements.
    pub fn items<'a>(&'a self, wrapper: &'a str, item: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.all(wrapper).flat_map(move |w| w.all(item))
    }

    /// Every element named `name` at any depth below this one.
    pub fn count_deep(&self, name: &str) -> usize {
        self.children.iter().map(|c| usize::from(c.name == name) + c.count_deep(name)).sum()
    }

    /// The text of a `Description` child, trimmed; empty when there is none.
    pub fn description(&self) -> String {
        self.child("Description").map(|d| d.text.trim().to_string()).unwrap_or_default()
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.to_string(),
    }
}

/// Parses XML (UTF-8, a leading BOM allowed) into a tree. Document type declarations are
/// refused, so no entity can be expanded.
pub fn parse_xml(bytes: &[u8], what: &str) -> Result<Node> {
    let bad = |m: String| Error::Invalid(format!("{what}: {m}"));
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| bad("the XML is not UTF-8".into()))?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    let (mut code_depth, mut elements) = (0usize, 0usize);
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| bad(format!("malformed XML at byte {pos}: {e}")))?;
        match ev {
            Event::Start(e) => {
                let node = start_node(&e).map_err(|m| bad(format!("{m} at byte {pos}")))?;
                code_depth += usize::from(node.name == "Code");
                elements += 1;
                if let Some(why) = beyond_bounds(stack.len(), code_depth, elements) {
                    return Err(bad(format!("{why} (at byte {pos})")));
                }
                stack.push(node);
            }
            Event::Empty(e) => {
                let node = start_node(&e).map_err(|m| bad(format!("{m} at byte {pos}")))?;
                elements += 1;
                let code = usize::from(node.name == "Code");
                if let Some(why) = beyond_bounds(stack.len(), code_depth + code, elements) {
                    return Err(bad(format!("{why} (at byte {pos})")));
                }
                if let Some(top) = stack.last_mut() {
                    top.children.push(node);
                }
            }
            Event::End(_) => {
                if stack.len() < 2 {
                    return Err(bad(format!("unbalanced end tag at byte {pos}")));
                }
                if let Some(node) = stack.pop()
                    && let Some(top) = stack.last_mut()
                {
                    code_depth = code_depth.saturating_sub(usize::from(node.name == "Code"));
                    top.children.push(node);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| bad(format!("bad character reference at byte {pos}: {e}")))?
                } else {
                    match r.into_inner().as_ref() {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    }
                };
                match (c, stack.last_mut()) {
                    (Some(c), Some(top)) => top.text.push(c),
                    _ => return Err(bad(format!("unknown XML entity at byte {pos}"))),
                }
            }
            Event::DocType(_) => return Err(bad("a document type declaration (DTD) is not allowed".into())),
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        let open = stack.last().map(|n| n.name.clone()).unwrap_or_default();
        return Err(bad(format!("the XML ends before <{open}> is closed (truncated?)")));
    }
    stack.pop().and_then(|root| root.children.into_iter().next()).ok_or_else(|| bad("no XML element found".into()))
}

fn start_node(e: &quick_xml::events::BytesStart) -> std::result::Result<Node, String> {
    let mut node = Node { name: local(e.name().as_ref()), ..Default::default() };
    for a in e.attributes() {
        let a = a.map_err(|e| format!("malformed attribute: {e}"))?;
        let key = a.key.as_ref();
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("malformed attribute value: {e}"))?;
        node.attrs.push((local(key), v.into_owned()));
    }
    Ok(node)
}

/// A REFI GUID as a lowercase hyphenated UUID (braces removed), or `None` if it is not one.
pub fn normalise_guid(raw: &str) -> Option<String> {
    let t = raw.trim().trim_start_matches('{').trim_end_matches('}');
    uuid::Uuid::try_parse(t).ok().filter(|_| t.len() == 36).map(|u| u.hyphenated().to_string())
}

/// A key to match GUID references: the normalised UUID, or the trimmed lowercase text.
pub(crate) fn guid_key(raw: &str) -> String {
    normalise_guid(raw).unwrap_or_else(|| raw.trim().to_lowercase())
}

/// Codeloom's four description parts joined into one REFI `Description`, and back.
pub fn join_description(d: &CodeDescription) -> String {
    let mut out = d.definition.trim().to_string();
    for (label, part) in [("Inclusion", &d.inclusion), ("Exclusion", &d.exclusion), ("Example", &d.example)] {
        if !part.trim().is_empty() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&format!("{label}: {}", part.trim()));
        }
    }
    out
}

/// Splits a description written by [`join_description`]; any other text is the definition.
pub fn split_description(text: &str) -> CodeDescription {
    let text = text.replace("\r\n", "\n");
    let mut d = CodeDescription::default();
    let mut cur: Option<&str> = None;
    let mut def = Vec::new();
    let mut parts: [Vec<&str>; 3] = [vec![], vec![], vec![]];
    for para in text.split("\n\n") {
        let found = ["Inclusion: ", "Exclusion: ", "Example: "].iter().position(|l| para.starts_with(l));
        match found {
            Some(i) => {
                cur = Some(["i", "x", "e"][i]);
                parts[i].push(&para[["Inclusion: ", "Exclusion: ", "Example: "][i].len()..]);
            }
            None => match cur {
                Some("i") => parts[0].push(para),
                Some("x") => parts[1].push(para),
                Some("e") => parts[2].push(para),
                _ => def.push(para),
            },
        }
    }
    d.definition = def.join("\n\n").trim().to_string();
    d.inclusion = parts[0].join("\n\n").trim().to_string();
    d.exclusion = parts[1].join("\n\n").trim().to_string();
    d.example = parts[2].join("\n\n").trim().to_string();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_tree_ignores_namespaces_and_bom_and_refuses_dtds() {
        let xml = "\u{FEFF}<?xml version=\"1.0\"?><p:Project xmlns:p=\"urn:QDA-XML:project:1:0\" name=\"a &amp; b\"><p:Users><p:User guid=\"{ABCDEF01-2345-6789-ABCD-EF0123456789}\"/></p:Users><Description>x &lt; y&#233;</Description></p:Project>";
        let root = parse_xml(xml.as_bytes(), "t").unwrap();
        assert_eq!(root.name, "Project");
        assert_eq!(root.attr("name"), Some("a & b"));
        let user = root.items("Users", "User").next().unwrap();
        assert_eq!(normalise_guid(user.attr("guid").unwrap()).unwrap(), "abcdef01-2345-6789-abcd-ef0123456789");
        assert_eq!(root.description(), "x < yé");
        let dtd = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        assert!(parse_xml(dtd.as_bytes(), "t").unwrap_err().to_string().contains("DTD"));
        assert!(parse_xml(b"<a><b></a>", "t").is_err());
        assert!(parse_xml(b"<a><b>", "t").unwrap_err().to_string().contains("truncated"));
    }

    #[test]
    fn descriptions_split_back() {
        let d = CodeDescription {
            definition: "Spreading activity.\n\nOver the day.".into(),
            inclusion: "pacing".into(),
            exclusion: String::new(),
            example: "\"I rest\"".into(),
        };
        assert_eq!(split_description(&join_description(&d)), d);
        assert_eq!(split_description("plain").definition, "plain");
    }
}
