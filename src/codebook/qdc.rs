//! REFI-QDA codebooks (`.qdc`, namespace `urn:QDA-XML:codebook:1.0`): reading what
//! other tools write, quirks included, and writing files that validate against the
//! standard's `Codebook.xsd`.
//!
//! The `<Codes>` element is read and written by [`crate::interop::codes`], the same code
//! that reads and writes the codebook inside a project file (`.qdpx`), on the bounded
//! XML reader of [`crate::interop::xml`] (codes nest at most
//! [`MAX_CODE_DEPTH`](crate::interop::MAX_CODE_DEPTH) levels). This module adds what a
//! codebook file needs: its root element, and turning the code tree into codes to create.
//!
//! Quirks accepted on reading (see `../shared/design/REFI-QDA.md`): a byte-order mark,
//! any `urn:QDA-XML:codebook:*` namespace or none, braced and upper-case GUIDs, `#RGB`
//! and `rgb(r, g, b)` colours, missing or unreadable colours (a colour is assigned),
//! `isCodable="false"` folders (imported as codes), empty names, repeated sibling names,
//! an empty `<Sets/>`. Code sets are not imported (reported). A file that is not
//! well-formed is refused with the position where it breaks.

use crate::error::{Error, Result};
use crate::interop::codes::{RefiCode, read_codes, write_codes};
use crate::interop::{Element, normalise_guid, parse_xml, split_description};
use crate::model::Code;
use crate::store::Project;
use crate::store::ops::{ImportedCodes, NewCode};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The largest `.qdc` file read.
pub const MAX_QDC_BYTES: u64 = 256 * 1024 * 1024;

/// The codebook namespace this build writes.
pub const NAMESPACE: &str = "urn:QDA-XML:codebook:1.0";

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
    write_codes(&mut writer, codes, &HashMap::new()).map_err(io)?;
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

/// Reads a `.qdc` file's bytes; `source` names the file in errors.
pub fn parse_qdc(source: &Path, bytes: &[u8]) -> Result<QdcCodebook> {
    let what = source.display().to_string();
    let bad = |m: &str| Error::Invalid(format!("{what}: {m}"));
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(bad("the file is empty"));
    }
    let doc = parse_xml(bytes, &what)?;
    let root = doc.root_element();
    if root.local() != "CodeBook" {
        return Err(bad(&format!(
            "not a REFI-QDA codebook: the root element is <{}>, expected <CodeBook>",
            root.local()
        )));
    }
    let mut notes = vec![];
    if let Some(ns) = root.tag_name().namespace()
        && !ns.starts_with("urn:QDA-XML:codebook")
    {
        notes.push(format!("unexpected namespace {ns}; read as a REFI-QDA codebook"));
    }
    if let Some(sets) = root.child("Sets") {
        notes.push(if sets.elements().next().is_some() {
            "code sets (<Sets>) are not imported".to_string()
        } else {
            "an empty <Sets/> element (not valid REFI-QDA) was ignored".to_string()
        });
    }
    let codes = root.child("Codes").ok_or_else(|| bad("the codebook has no <Codes> element"))?;
    let codes = read_codes(codes, &mut notes);
    let mut tree = NewCodes { out: vec![], ids: HashSet::new(), notes, folders: 0 };
    tree.add(&codes, None);
    if tree.folders > 0 {
        tree.notes.push(format!("{} folders (isCodable=\"false\") were imported as codes", tree.folders));
    }
    Ok(QdcCodebook { origin: root.attr("origin").map(str::to_string), codes: tree.out, notes: tree.notes })
}

/// A code tree turned into codes to create, parents first.
struct NewCodes {
    out: Vec<NewCode>,
    ids: HashSet<String>,
    notes: Vec<String>,
    folders: usize,
}

impl NewCodes {
    /// Adds `list` (siblings) and their children (nested at most `MAX_CODE_DEPTH` deep).
    fn add(&mut self, list: &[RefiCode], parent: Option<&str>) {
        let mut names: HashSet<String> = HashSet::new();
        // Lower-case name → the number to try next, so that many siblings of one name cost
        // one step each rather than one per earlier sibling.
        let mut next: HashMap<String, usize> = HashMap::new();
        for c in list {
            let id = self.id_for(c);
            let base = if c.name.is_empty() {
                self.notes.push("a code without a name was named \"(unnamed code)\"".into());
                "(unnamed code)".to_string()
            } else {
                c.name.clone()
            };
            let key = base.to_lowercase();
            let mut i = next.get(&key).copied().unwrap_or(1);
            let mut name = if i == 1 { base.clone() } else { format!("{base} ({i})") };
            while !names.insert(name.to_lowercase()) {
                i += 1;
                name = format!("{base} ({i})");
            }
            next.insert(key, i + 1);
            if name != base {
                self.notes.push(format!("two sibling codes are named \"{base}\"; one is now \"{name}\""));
            }
            if !c.codable {
                self.folders += 1;
            }
            self.out.push(NewCode {
                id: Some(id.clone()),
                name,
                parent_id: parent.map(str::to_string),
                color: c.color.clone(),
                description: split_description(&c.description),
            });
            self.add(&c.children, Some(&id));
        }
    }

    /// The code's GUID as its ID, or a new one when it is missing, not a GUID or used twice.
    fn id_for(&mut self, c: &RefiCode) -> String {
        match normalise_guid(&c.guid) {
            Some(g) if self.ids.insert(g.clone()) => return g,
            Some(g) => self.notes.push(format!("the GUID {g} is used twice; \"{}\" got a new one", c.name)),
            None => self.notes.push(format!("\"{}\" has no usable GUID ({}); it got a new one", c.name, c.guid)),
        }
        let n = uuid::Uuid::new_v4().to_string();
        self.ids.insert(n.clone());
        n
    }
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
    use crate::model::CodeDescription;

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
        assert_eq!(book.codes[3].color.as_deref(), Some("#010203"));
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
