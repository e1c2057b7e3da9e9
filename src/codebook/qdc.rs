//! REFI-QDA codebooks (`.qdc`, namespace `urn:QDA-XML:codebook:1.0`): reading what
//! other tools write, quirks included, and writing files that validate against the
//! standard's `Codebook.xsd`.
//!
//! [`read_codes`] and [`write_codes`] handle one `<Codes>` element on a quick-xml reader
//! or writer, so the project exchange (`.qdpx`, whose `CodeBook` holds the same
//! element) can reuse them.
//!
//! Quirks accepted on reading (see `../shared/design/REFI-QDA.md`): a byte-order mark,
//! any `urn:QDA-XML:codebook:*` namespace or none, braced and upper-case GUIDs, `#RGB`
//! colours, missing or unreadable colours (a colour is assigned), `isCodable="false"`
//! folders (imported as codes), empty names, repeated sibling names, an empty `<Sets/>`.
//! Code sets are not imported (reported). A file that is not well-formed is refused
//! with the byte position where it breaks.

use crate::error::{Error, Result};
use crate::interop::beyond_bounds;
use crate::model::{Code, CodeDescription, normalise_color};
use crate::store::Project;
use crate::store::ops::{ImportedCodes, NewCode};
use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

/// The largest `.qdc` file read.
pub const MAX_QDC_BYTES: u64 = 256 * 1024 * 1024;

/// The codebook namespace this build writes.
pub const NAMESPACE: &str = "urn:QDA-XML:codebook:1.0";

/// One `<Code>` as read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QdcCode {
    /// The GUID as written in the file.
    pub guid: String,
    pub name: String,
    pub codable: bool,
    pub color: Option<String>,
    pub description: String,
    pub children: Vec<QdcCode>,
}

/// Why a file could not be read: a message naming the position, without the file name.
pub type ReadError = String;

fn attr(e: &BytesStart, name: &str) -> std::result::Result<Option<String>, ReadError> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| format!("an attribute is malformed: {err}"))?;
        if a.key.local_name().as_ref() == name {
            let v = a
                .normalized_value(quick_xml::XmlVersion::default())
                .map_err(|err| format!("the {name} attribute is malformed: {err}"))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn code_from(e: &BytesStart) -> std::result::Result<QdcCode, ReadError> {
    let codable = attr(e, "isCodable")?.map(|v| v.trim() != "false" && v.trim() != "0").unwrap_or(true);
    Ok(QdcCode {
        guid: attr(e, "guid")?.unwrap_or_default(),
        name: attr(e, "name")?.unwrap_or_default(),
        codable,
        color: attr(e, "color")?,
        description: String::new(),
        children: vec![],
    })
}

fn text_piece(ev: &Event, out: &mut String, pos: u64) -> std::result::Result<(), ReadError> {
    match ev {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.clone().into_inner()),
        Event::GeneralRef(r) => {
            let c = if r.is_char_ref() {
                r.resolve_char_ref().map_err(|e| format!("bad character reference at byte {pos}: {e}"))?
            } else {
                let name = r.clone().into_inner().into_owned();
                quick_xml::escape::resolve_predefined_entity(&name).and_then(|s| s.chars().next())
            };
            match c {
                Some(c) => out.push(c),
                None => return Err(format!("unknown XML entity at byte {pos}")),
            }
        }
        _ => {}
    }
    Ok(())
}

/// Reads the content of a `<Codes>` element whose start tag was just read, up to and
/// including its end tag.
pub fn read_codes(reader: &mut Reader<&[u8]>) -> std::result::Result<Vec<QdcCode>, ReadError> {
    // The stack of open <Code> elements; the bottom level collects the top-level codes.
    let mut stack: Vec<QdcCode> = vec![];
    let mut top: Vec<QdcCode> = vec![];
    let mut in_description = false;
    let mut other_depth = 0usize;
    let mut elements = 0usize;
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| format!("malformed XML at byte {pos}: {e}"))?;
        if let Event::Start(e) | Event::Empty(e) = &ev {
            elements += 1;
            let code = usize::from(e.local_name().as_ref() == "Code" && other_depth == 0);
            if let Some(why) = beyond_bounds(stack.len() + other_depth + 3, stack.len() + code, elements) {
                return Err(format!("{why} (at byte {pos})"));
            }
        }
        match &ev {
            Event::Start(e) if other_depth == 0 => match e.local_name().as_ref() {
                "Code" => stack.push(code_from(e)?),
                "Description" if !stack.is_empty() => in_description = true,
                _ => other_depth = 1,
            },
            Event::Start(_) => other_depth += 1,
            Event::Empty(e) if other_depth == 0 && e.local_name().as_ref() == "Code" => {
                let c = code_from(e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(c),
                    None => top.push(c),
                }
            }
            Event::End(e) => {
                if other_depth > 0 {
                    other_depth -= 1;
                    continue;
                }
                match e.local_name().as_ref() {
                    "Description" => in_description = false,
                    "Code" => {
                        let done = stack.pop().ok_or_else(|| format!("an unexpected </Code> at byte {pos}"))?;
                        match stack.last_mut() {
                            Some(parent) => parent.children.push(done),
                            None => top.push(done),
                        }
                    }
                    "Codes" => return Ok(top),
                    _ => {}
                }
            }
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if in_description && other_depth == 0 => {
                if let Some(c) = stack.last_mut() {
                    text_piece(&ev, &mut c.description, pos)?;
                }
            }
            Event::DocType(_) => return Err("document type declarations are not accepted".into()),
            Event::Eof => {
                return Err(format!(
                    "the file ends at byte {pos} before </{}> is closed (truncated?)",
                    if stack.is_empty() { "Codes" } else { "Code" }
                ));
            }
            _ => {}
        }
    }
}

/// The text of a code's `<Description>`: its definition, then the other parts under
/// labels that [`split_description`] reads back.
pub fn join_description(d: &CodeDescription) -> String {
    let mut out = d.definition.clone();
    for (label, v) in [("Inclusion", &d.inclusion), ("Exclusion", &d.exclusion), ("Example", &d.example)] {
        if !v.is_empty() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&format!("{label}: {v}"));
        }
    }
    out
}

/// Reads a `<Description>` back into its parts (a description from another tool is
/// all definition).
pub fn split_description(text: &str) -> CodeDescription {
    let mut d = CodeDescription::default();
    let mut current = &mut d.definition;
    let mut first = true;
    for para in text.split("\n\n") {
        let (target, body): (Option<&str>, &str) = if let Some(b) = para.strip_prefix("Inclusion: ") {
            (Some("i"), b)
        } else if let Some(b) = para.strip_prefix("Exclusion: ") {
            (Some("e"), b)
        } else if let Some(b) = para.strip_prefix("Example: ") {
            (Some("x"), b)
        } else {
            (None, para)
        };
        match target {
            Some(t) => {
                current = match t {
                    "i" => &mut d.inclusion,
                    "e" => &mut d.exclusion,
                    _ => &mut d.example,
                };
                current.push_str(body);
            }
            None => {
                if !first {
                    current.push_str("\n\n");
                }
                current.push_str(body);
            }
        }
        first = false;
    }
    d
}

/// Writes a `<Codes>` element with the tree of `codes` (parents before children, as
/// [`Project::codes`] lists them). An empty tree writes nothing: the schema requires
/// at least one code, so the caller must then leave out the enclosing element.
pub fn write_codes<W: Write>(writer: &mut Writer<W>, codes: &[Code]) -> std::io::Result<()> {
    if codes.is_empty() {
        return Ok(());
    }
    fn level<W: Write>(writer: &mut Writer<W>, codes: &[Code], parent: Option<&str>) -> std::io::Result<()> {
        for c in codes.iter().filter(|c| c.parent_id.as_deref() == parent) {
            let mut start = BytesStart::new("Code");
            start.push_attribute(("guid", c.id.as_str()));
            start.push_attribute(("name", c.name.as_str()));
            start.push_attribute(("isCodable", "true"));
            if normalise_color(&c.color).is_some() {
                start.push_attribute(("color", c.color.as_str()));
            }
            let description = join_description(&c.description);
            let has_children = codes.iter().any(|k| k.parent_id.as_deref() == Some(c.id.as_str()));
            if description.is_empty() && !has_children {
                writer.write_event(Event::Empty(start))?;
                continue;
            }
            writer.write_event(Event::Start(start))?;
            if !description.is_empty() {
                writer.write_event(Event::Start(BytesStart::new("Description")))?;
                writer.write_event(Event::Text(BytesText::new(&description)))?;
                writer.write_event(Event::End(BytesEnd::new("Description")))?;
            }
            level(writer, codes, Some(&c.id))?;
            writer.write_event(Event::End(BytesEnd::new("Code")))?;
        }
        Ok(())
    }
    writer.write_event(Event::Start(BytesStart::new("Codes")))?;
    level(writer, codes, None)?;
    writer.write_event(Event::End(BytesEnd::new("Codes")))?;
    Ok(())
}

/// A whole `.qdc` file for `codes`. A codebook needs at least one code.
pub fn export_qdc(codes: &[Code], origin: &str) -> Result<String> {
    if codes.is_empty() {
        return Err(Error::Invalid("a REFI-QDA codebook needs at least one code; this codebook is empty".into()));
    }
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    let io = |e: std::io::Error| Error::Invalid(format!("cannot write the codebook: {e}"));
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None))).map_err(io)?;
    let mut root = BytesStart::new("CodeBook");
    root.push_attribute(("xmlns", NAMESPACE));
    root.push_attribute(("origin", origin));
    writer.write_event(Event::Start(root)).map_err(io)?;
    write_codes(&mut writer, codes).map_err(io)?;
    writer.write_event(Event::End(BytesEnd::new("CodeBook"))).map_err(io)?;
    let mut out = String::from_utf8(writer.into_inner()).map_err(|e| Error::Invalid(e.to_string()))?;
    out.push('\n');
    Ok(out)
}

/// A `.qdc` file read into codes to create.
#[derive(Debug, Clone)]
pub struct QdcCodebook {
    pub origin: Option<String>,
    /// Parents before children.
    pub codes: Vec<NewCode>,
    /// What was adjusted or left out on the way in.
    pub notes: Vec<String>,
}

fn normalise_guid(g: &str) -> Option<String> {
    let g = g.trim().trim_start_matches('{').trim_end_matches('}');
    uuid::Uuid::parse_str(g).ok().map(|u| u.to_string())
}

fn expand_color(c: &str) -> Option<String> {
    let h = c.trim().strip_prefix('#')?;
    if h.len() == 3 && h.chars().all(|c| c.is_ascii_hexdigit()) {
        let mut s = String::from("#");
        for ch in h.chars() {
            s.push(ch);
            s.push(ch);
        }
        return normalise_color(&s);
    }
    normalise_color(c)
}

/// Reads a `.qdc` file's bytes.
pub fn parse_qdc(source: &Path, bytes: &[u8]) -> Result<QdcCodebook> {
    let bad = |m: String| Error::Invalid(format!("{}: {m}", source.display()));
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(bad("the file is empty".into()));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
    let mut reader = Reader::from_str(text);
    let mut origin = None;
    let mut notes = vec![];
    let mut codes = None;
    let mut depth = 0usize;
    let mut saw_root = false;
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| bad(format!("malformed XML at byte {pos}: {e}")))?;
        match ev {
            Event::DocType(_) => return Err(bad("document type declarations are not accepted".into())),
            Event::Start(ref e) | Event::Empty(ref e) if depth == 0 => {
                if e.local_name().as_ref() != "CodeBook" {
                    return Err(bad(format!(
                        "not a REFI-QDA codebook: the root element is <{}>, expected <CodeBook>",
                        e.name().as_ref()
                    )));
                }
                let ns = attr(e, "xmlns").map_err(&bad)?;
                if let Some(ns) = &ns
                    && !ns.starts_with("urn:QDA-XML:codebook")
                {
                    notes.push(format!("unexpected namespace {ns}; read as a REFI-QDA codebook"));
                }
                origin = attr(e, "origin").map_err(&bad)?;
                saw_root = true;
                if matches!(ev, Event::Start(_)) {
                    depth = 1;
                }
            }
            Event::Start(e) if depth == 1 && e.local_name().as_ref() == "Codes" => {
                codes = Some(read_codes(&mut reader).map_err(&bad)?);
            }
            Event::Start(e) if depth == 1 && e.local_name().as_ref() == "Sets" => {
                notes.push("code sets (<Sets>) are not imported".into());
                depth += 1;
            }
            Event::Start(_) => depth += 1,
            Event::Empty(e) if depth == 1 && e.local_name().as_ref() == "Sets" => {
                notes.push("an empty <Sets/> element (not valid REFI-QDA) was ignored".into());
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            Event::Eof => {
                if saw_root && depth > 0 {
                    return Err(bad(format!("the file ends at byte {pos} before </CodeBook> is closed (truncated?)")));
                }
                break;
            }
            _ => {}
        }
    }
    if !saw_root {
        return Err(bad("not a REFI-QDA codebook: no <CodeBook> element".into()));
    }
    let codes = codes.ok_or_else(|| bad("the codebook has no <Codes> element".into()))?;
    let mut out = vec![];
    let mut ids = HashSet::new();
    let mut folders = 0;
    fn walk(
        list: &[QdcCode],
        parent: Option<&str>,
        out: &mut Vec<NewCode>,
        ids: &mut HashSet<String>,
        notes: &mut Vec<String>,
        folders: &mut usize,
    ) {
        let mut names: HashSet<String> = HashSet::new();
        for c in list {
            let id = match normalise_guid(&c.guid) {
                Some(g) if ids.insert(g.clone()) => g,
                Some(g) => {
                    notes.push(format!("the GUID {g} is used twice; \"{}\" got a new one", c.name));
                    let n = uuid::Uuid::new_v4().to_string();
                    ids.insert(n.clone());
                    n
                }
                None => {
                    notes.push(format!("\"{}\" has no usable GUID ({}); it got a new one", c.name, c.guid));
                    let n = uuid::Uuid::new_v4().to_string();
                    ids.insert(n.clone());
                    n
                }
            };
            let base = if c.name.trim().is_empty() {
                notes.push("a code without a name was named \"(unnamed code)\"".into());
                "(unnamed code)".to_string()
            } else {
                c.name.trim().to_string()
            };
            let mut name = base.clone();
            let mut i = 1;
            while !names.insert(name.to_lowercase()) {
                i += 1;
                name = format!("{base} ({i})");
            }
            if name != base {
                notes.push(format!("two sibling codes are named \"{base}\"; one is now \"{name}\""));
            }
            let color = match &c.color {
                Some(col) => match expand_color(col) {
                    Some(ok) => Some(ok),
                    None => {
                        notes.push(format!("the colour of \"{name}\" ({col}) is not #RRGGBB; a colour was assigned"));
                        None
                    }
                },
                None => None,
            };
            if !c.codable {
                *folders += 1;
            }
            out.push(NewCode {
                id: Some(id.clone()),
                name,
                parent_id: parent.map(str::to_string),
                color,
                description: split_description(c.description.trim()),
            });
            walk(&c.children, Some(&id), out, ids, notes, folders);
        }
    }
    walk(&codes, None, &mut out, &mut ids, &mut notes, &mut folders);
    if folders > 0 {
        notes.push(format!("{folders} folders (isCodable=\"false\") were imported as codes"));
    }
    Ok(QdcCodebook { origin, codes: out, notes })
}

/// Reads a `.qdc` file and adds its codes to the project in one operation.
pub fn import_qdc(project: &mut Project, path: &Path) -> Result<(ImportedCodes, Vec<String>)> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::Invalid(format!("{}: cannot read the file: {e}", path.display())))?;
    if size.len() > MAX_QDC_BYTES {
        return Err(Error::Invalid(format!("{}: larger than {MAX_QDC_BYTES} bytes; refused", path.display())));
    }
    let bytes =
        std::fs::read(path).map_err(|e| Error::Invalid(format!("{}: cannot read the file: {e}", path.display())))?;
    let book = parse_qdc(path, &bytes)?;
    let source = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let imported = project.import_codes(&source, book.codes)?;
    Ok((imported, book.notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(id: &str, name: &str, parent: Option<&str>) -> Code {
        Code {
            id: id.into(),
            name: name.into(),
            parent_id: parent.map(str::to_string),
            color: "#a8c7fa".into(),
            description: CodeDescription::default(),
            position: 0,
        }
    }

    #[test]
    fn writes_and_reads_back_nesting_descriptions_and_escapes() {
        let a = "8b2d5f0e-4c1a-4e7b-9a63-2f0d1c9e7a44";
        let b = "8b2d5f0e-4c1a-4e7b-9a63-2f0d1c9e7a45";
        let mut codes = vec![code(a, "Pain & <sleep>", None), code(b, "Night \"waking\"", Some(a))];
        codes[1].description = CodeDescription {
            definition: "Waking at night.\n\nBecause of pain.".into(),
            inclusion: "Up at 3am".into(),
            exclusion: String::new(),
            example: "I'm up at three".into(),
        };
        let xml = export_qdc(&codes, "Codeloom").unwrap();
        assert!(xml.contains("<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\" origin=\"Codeloom\">"), "{xml}");
        let back = parse_qdc(Path::new("t.qdc"), xml.as_bytes()).unwrap();
        assert_eq!(back.codes.len(), 2);
        assert_eq!(back.codes[0].name, "Pain & <sleep>");
        assert_eq!(back.codes[1].parent_id.as_deref(), Some(a));
        assert_eq!(back.codes[1].description, codes[1].description);
        assert_eq!(back.codes[1].color.as_deref(), Some("#a8c7fa"));
        assert!(export_qdc(&[], "x").is_err());
    }

    #[test]
    fn quirks_are_accepted_and_broken_files_refused() {
        let xml = "\u{feff}<CodeBook xmlns=\"urn:QDA-XML:codebook:0:4\"><Codes>\
            <Code guid=\"{5215CC69-B628-4E02-AFB9-9BEEAEE55808}\" name=\"Topics\" isCodable=\"false\" color=\"#f00\">\
            <Code guid=\"not-a-guid\" name=\"\" isCodable=\"true\"/><Code guid=\"d7aa29da-519b-4946-9b90-253b6db8fd0a\" name=\"A\" isCodable=\"true\"/>\
            <Code guid=\"d7aa29da-519b-4946-9b90-253b6db8fd0b\" name=\"a\" isCodable=\"true\" color=\"rgb(1,2,3)\"/></Code>\
            </Codes><Sets/></CodeBook>";
        let book = parse_qdc(Path::new("q.qdc"), xml.as_bytes()).unwrap();
        assert_eq!(book.codes.len(), 4);
        assert_eq!(book.codes[0].id.as_deref(), Some("5215cc69-b628-4e02-afb9-9beeaee55808"));
        assert_eq!(book.codes[0].color.as_deref(), Some("#ff0000"));
        assert_eq!(book.codes[1].name, "(unnamed code)");
        assert_eq!(book.codes[3].name, "a (2)");
        assert_eq!(book.codes[3].color, None);
        let notes = book.notes.join("\n");
        for want in ["new one", "(unnamed code)", "a (2)", "rgb(1,2,3)", "folders", "<Sets/>"] {
            assert!(notes.contains(want), "{want}: {notes}");
        }
        for (bad, why) in [
            ("<CodeBook><Codes><Code guid=\"x\" name=\"A\" isCodable=\"true\">", "truncated"),
            ("<Project/>", "root element is <Project>"),
            ("<CodeBook/>", "no <Codes>"),
            ("", "empty"),
            ("<CodeBook><Codes><Code name=\"a\" guid=\"x></Codes></CodeBook>", "q.qdc"),
        ] {
            let e = parse_qdc(Path::new("q.qdc"), bad.as_bytes()).unwrap_err().to_string();
            assert!(e.contains("q.qdc") && e.contains(why), "{bad}: {e}");
        }
    }
}
