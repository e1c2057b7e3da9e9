//! The REFI-QDA `<Codes>` tree, the one reader and writer shared by project files
//! (`.qdpx`) and codebooks (`.qdc`): reading nested `Code` elements with their GUID,
//! name, colour, description and codability, and writing a code tree back in schema
//! order. Colours are read as REFI-QDA.md §8 asks: `#RRGGBB` and `#RGB` as written,
//! `rgb(r, g, b)` (written by some tools) with a warning, anything else dropped with a
//! warning; written as `#RRGGBB`. Nesting is bounded when the XML is read
//! ([`super::xml::MAX_CODE_DEPTH`]), so reading and writing may follow the tree.

use super::join_description;
use super::xml::{Element, parse_xml};
use crate::model::Code;
use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use roxmltree::Node;
use std::collections::HashMap;
use std::io::Write;

/// One `Code` element as read, with its children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefiCode {
    /// The GUID as written (braces and case kept); see [`super::normalise_guid`].
    pub guid: String,
    pub name: String,
    /// `isCodable`; `false` marks a folder.
    pub codable: bool,
    /// `#rrggbb`, when the file gave a colour Codeloom can read.
    pub color: Option<String>,
    pub description: String,
    /// `NoteRef` targets (project files only).
    pub note_refs: Vec<String>,
    pub children: Vec<RefiCode>,
}

/// A REFI colour (`#RRGGBB`, `#RGB`, `rgb(r, g, b)`) as `#rrggbb`; `None` for anything else.
pub fn read_color(raw: &str) -> Option<String> {
    let t = raw.trim();
    if let Some(h) = t.strip_prefix('#') {
        if !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        return match h.len() {
            6 => Some(format!("#{}", h.to_ascii_lowercase())),
            3 => Some(format!("#{}", h.chars().flat_map(|c| [c, c]).collect::<String>().to_ascii_lowercase())),
            _ => None,
        };
    }
    let inner = t.strip_prefix("rgb(")?.strip_suffix(')')?;
    let parts: Vec<u8> = inner.split(',').filter_map(|p| p.trim().parse().ok()).collect();
    (parts.len() == 3).then(|| format!("#{:02x}{:02x}{:02x}", parts[0], parts[1], parts[2]))
}

/// Reads the `Code` children of a `Codes` element. Colours that cannot be read are
/// dropped and reported in `warnings`.
pub fn read_codes(codes: Node, warnings: &mut Vec<String>) -> Vec<RefiCode> {
    codes.all("Code").map(|c| read_code(c, warnings)).collect()
}

/// Reads the codes of a REFI codebook (`.qdc`, root `CodeBook`) or project (`.qde`,
/// root `Project`) XML, in any namespace.
pub fn read_codes_xml(bytes: &[u8], what: &str, warnings: &mut Vec<String>) -> crate::Result<Vec<RefiCode>> {
    let doc = parse_xml(bytes, what)?;
    let root = doc.root_element();
    let codes = match root.local() {
        "CodeBook" => root.child("Codes"),
        "Project" => root.child("CodeBook").and_then(|c| c.child("Codes")),
        other => {
            return Err(crate::Error::Invalid(format!(
                "{what}: the root element is <{other}>, not a REFI-QDA codebook"
            )));
        }
    };
    Ok(codes.map(|c| read_codes(c, warnings)).unwrap_or_default())
}

fn read_code(node: Node, warnings: &mut Vec<String>) -> RefiCode {
    let name = node.attr("name").map(str::trim).unwrap_or("").to_string();
    let color = node.attr_nonempty("color").and_then(|raw| {
        let c = read_color(raw);
        match &c {
            None => {
                warnings.push(format!("code \"{name}\": colour \"{raw}\" is not #RRGGBB; a default colour is used"))
            }
            Some(c) if !raw.starts_with('#') => {
                warnings.push(format!("code \"{name}\": colour \"{raw}\" is not #RRGGBB; read as {c}"))
            }
            Some(_) => {}
        }
        c
    });
    RefiCode {
        guid: node.attr("guid").unwrap_or("").trim().to_string(),
        codable: !matches!(node.attr("isCodable").map(str::trim), Some("false") | Some("0")),
        color,
        description: node.description(),
        note_refs: node.all("NoteRef").filter_map(|n| n.attr("targetGUID")).map(str::to_string).collect(),
        children: node.all("Code").map(|c| read_code(c, warnings)).collect(),
        name,
    }
}

/// Writes a `Codes` element for a project's codes (parents before children, as
/// [`crate::Project::codes`] returns them), with `NoteRef`s from `notes` (code ID → note
/// GUIDs; empty for a codebook, whose schema has none). The caller leaves the enclosing
/// element out when there are no codes: the schema asks for at least one.
pub fn write_codes<W: Write>(
    w: &mut Writer<W>,
    codes: &[Code],
    notes: &HashMap<String, Vec<String>>,
) -> std::io::Result<()> {
    let mut children: HashMap<Option<&str>, Vec<&Code>> = HashMap::new();
    for c in codes {
        children.entry(c.parent_id.as_deref()).or_default().push(c);
    }
    w.write_event(Event::Start(BytesStart::new("Codes")))?;
    write_level(w, None, &children, notes)?;
    w.write_event(Event::End(BytesEnd::new("Codes")))?;
    Ok(())
}

fn write_level<W: Write>(
    w: &mut Writer<W>,
    parent: Option<&str>,
    children: &HashMap<Option<&str>, Vec<&Code>>,
    notes: &HashMap<String, Vec<String>>,
) -> std::io::Result<()> {
    for c in children.get(&parent).map(Vec::as_slice).unwrap_or(&[]) {
        let mut start = BytesStart::new("Code");
        start.push_attribute(("guid", c.id.as_str()));
        start.push_attribute(("name", c.name.as_str()));
        start.push_attribute(("isCodable", "true"));
        if let Some(color) = crate::model::normalise_color(&c.color) {
            start.push_attribute(("color", color.to_ascii_uppercase().as_str()));
        }
        let description = join_description(&c.description);
        let refs = notes.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
        let kids = children.get(&Some(c.id.as_str())).is_some_and(|k| !k.is_empty());
        if description.is_empty() && refs.is_empty() && !kids {
            w.write_event(Event::Empty(start))?;
            continue;
        }
        w.write_event(Event::Start(start))?;
        if !description.is_empty() {
            w.create_element("Description").write_text_content(BytesText::new(&description))?;
        }
        for r in refs {
            w.create_element("NoteRef").with_attribute(("targetGUID", r.as_str())).write_empty()?;
        }
        write_level(w, Some(c.id.as_str()), children, notes)?;
        w.write_event(Event::End(BytesEnd::new("Code")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours() {
        assert_eq!(read_color("#A1b2C3").as_deref(), Some("#a1b2c3"));
        assert_eq!(read_color("#abc").as_deref(), Some("#aabbcc"));
        assert_eq!(read_color("rgb(255, 0, 16)").as_deref(), Some("#ff0010"));
        assert_eq!(read_color("#FF00FF80"), None);
        assert_eq!(read_color("red"), None);
    }
}
