//! REFI-QDA XML read into a [`roxmltree`] document, matched on local names so that any
//! namespace (the standard's, an older draft's, or none) is accepted, with the bounds
//! hostile input needs: no document type declaration (so no entity is expanded), at most
//! [`MAX_XML_NODES`] nodes, elements nested at most [`MAX_XML_DEPTH`] levels and `Code`
//! elements at most [`MAX_CODE_DEPTH`]. A leading byte-order mark is skipped.

use crate::error::{Error, Result};
use roxmltree::{Document, Node, ParsingOptions};

/// The deepest nesting of `Code` elements read from a `.qdpx` or `.qdc` (the standard
/// sets no limit; real files nest a few levels).
pub const MAX_CODE_DEPTH: usize = 200;
/// The deepest nesting of XML elements of any kind read from a REFI-QDA file.
pub const MAX_XML_DEPTH: usize = 512;
/// The most XML nodes (elements, texts, comments) read from one REFI-QDA file.
pub const MAX_XML_NODES: u32 = 20_000_000;

/// Parses REFI-QDA XML (UTF-8, a leading BOM allowed); `what` names the file in errors.
pub fn parse_xml<'i>(bytes: &'i [u8], what: &str) -> Result<Document<'i>> {
    parse_bounded(bytes, what, MAX_XML_NODES)
}

fn parse_bounded<'i>(bytes: &'i [u8], what: &str, nodes_limit: u32) -> Result<Document<'i>> {
    let bad = |m: String| Error::Invalid(format!("{what}: {m}"));
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| bad("the XML is not UTF-8".into()))?;
    let options = ParsingOptions { allow_dtd: false, nodes_limit, ..ParsingOptions::default() };
    let doc = Document::parse_with_options(text, options).map_err(|e| bad(describe(&e)))?;
    check_nesting(&doc).map_err(bad)?;
    Ok(doc)
}

fn describe(e: &roxmltree::Error) -> String {
    use roxmltree::Error as E;
    match e {
        E::DtdDetected => "a document type declaration (DTD) is not allowed".into(),
        E::UnexpectedEndOfStream | E::UnclosedRootNode => {
            "the XML ends before every element is closed (truncated?)".into()
        }
        E::NoRootNode => "no XML element found".into(),
        E::NodesLimitReached => "more XML nodes than a REFI-QDA file is read with; refused".into(),
        other => format!("malformed XML: {other}"),
    }
}

/// Refuses a document whose elements or codes nest beyond the bounds, in one pass in
/// document order (a parent comes before its children) and without recursion.
fn check_nesting(doc: &Document) -> std::result::Result<(), String> {
    // Per node: elements and `Code` elements from the root down to it.
    let mut depth: Vec<(u16, u16)> = Vec::new();
    for n in doc.root().descendants() {
        let id = n.id().get_usize();
        let (d, c) = n.parent().and_then(|p| depth.get(p.id().get_usize()).copied()).unwrap_or((0, 0));
        let here = if n.is_element() { (d + 1, c + u16::from(n.local() == "Code")) } else { (d, c) };
        let at = n.range().start;
        if usize::from(here.1) > MAX_CODE_DEPTH {
            return Err(format!("codes nest deeper than {MAX_CODE_DEPTH} levels; refused (at byte {at})"));
        }
        if usize::from(here.0) > MAX_XML_DEPTH {
            return Err(format!("XML elements nest deeper than {MAX_XML_DEPTH} levels; refused (at byte {at})"));
        }
        if depth.len() <= id {
            depth.resize(id + 1, (0, 0));
        }
        depth[id] = here;
    }
    Ok(())
}

/// What REFI-QDA reading asks of an element, by local names.
pub trait Element<'a, 'i: 'a>: Sized {
    /// The element's name without its namespace.
    fn local(&self) -> &'a str;
    /// An attribute by local name.
    fn attr(&self, name: &str) -> Option<&'a str>;
    /// A non-blank attribute, trimmed.
    fn attr_nonempty(&self, name: &str) -> Option<&'a str> {
        self.attr(name).map(str::trim).filter(|v| !v.is_empty())
    }
    /// The child elements.
    fn elements(&self) -> impl Iterator<Item = Node<'a, 'i>>;
    /// The child elements named `name`.
    fn all(&self, name: &str) -> impl Iterator<Item = Node<'a, 'i>> {
        self.elements().filter(move |c| c.local() == name)
    }
    /// The first child element named `name`.
    fn child(&self, name: &str) -> Option<Node<'a, 'i>> {
        self.all(name).next()
    }
    /// `self/wrapper/item` elements.
    fn items(&self, wrapper: &str, item: &str) -> impl Iterator<Item = Node<'a, 'i>> {
        self.all(wrapper).flat_map(move |w| w.all(item).collect::<Vec<_>>())
    }
    /// The text directly inside this element (its text and CDATA children).
    fn text_content(&self) -> String;
    /// Every element named `name` at any depth below this one.
    fn count_deep(&self, name: &str) -> usize;
    /// The text of a `Description` child, trimmed; empty when there is none.
    fn description(&self) -> String {
        self.child("Description").map(|d| d.text_content().trim().to_string()).unwrap_or_default()
    }
}

impl<'a, 'i: 'a> Element<'a, 'i> for Node<'a, 'i> {
    fn local(&self) -> &'a str {
        self.tag_name().name()
    }

    fn attr(&self, name: &str) -> Option<&'a str> {
        self.attributes().find(|a| a.name() == name).map(|a| a.value())
    }

    fn elements(&self) -> impl Iterator<Item = Node<'a, 'i>> {
        self.children().filter(Node::is_element)
    }

    fn text_content(&self) -> String {
        self.children().filter(Node::is_text).filter_map(|t| t.text()).collect()
    }

    fn count_deep(&self, name: &str) -> usize {
        self.descendants().skip(1).filter(|n| n.is_element() && n.local() == name).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_bom_and_entities_are_read_and_dtds_refused() {
        let xml = "\u{FEFF}<?xml version=\"1.0\"?><p:Project xmlns:p=\"urn:QDA-XML:project:1:0\" name=\"a &amp; b\"><p:Users><p:User guid=\"{ABCDEF01-2345-6789-ABCD-EF0123456789}\"/></p:Users><Description>x &lt; y&#233;<![CDATA[ & z]]></Description></p:Project>";
        let doc = parse_xml(xml.as_bytes(), "t").unwrap();
        let root = doc.root_element();
        assert_eq!(root.local(), "Project");
        assert_eq!(root.attr("name"), Some("a & b"));
        let user = root.items("Users", "User").next().unwrap();
        assert_eq!(user.attr_nonempty("guid"), Some("{ABCDEF01-2345-6789-ABCD-EF0123456789}"));
        assert_eq!(root.description(), "x < yé & z");
        assert_eq!(root.count_deep("User"), 1);
        let dtd = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        assert!(parse_xml(dtd.as_bytes(), "t").unwrap_err().to_string().contains("DTD"));
        assert!(parse_xml(b"<a><b></a>", "t").unwrap_err().to_string().contains("malformed XML"));
        assert!(parse_xml(b"<a><b>", "t").unwrap_err().to_string().contains("truncated"));
        assert!(parse_xml(b"\xFF<a/>", "t").unwrap_err().to_string().contains("not UTF-8"));
    }

    #[test]
    fn nesting_is_bounded_without_recursion() {
        let nest = |name: &str, n: usize| {
            format!("<R>{}{}</R>", format!("<{name}>").repeat(n), format!("</{name}>").repeat(n))
        };
        assert!(parse_xml(nest("Code", MAX_CODE_DEPTH).as_bytes(), "t").is_ok());
        let e = parse_xml(nest("Code", MAX_CODE_DEPTH + 1).as_bytes(), "f.qdc").unwrap_err().to_string();
        assert!(e.starts_with("f.qdc: codes nest deeper than 200 levels"), "{e}");
        assert!(parse_xml(nest("X", MAX_XML_DEPTH - 1).as_bytes(), "t").is_ok());
        let e = parse_xml(nest("X", 100_000).as_bytes(), "t").unwrap_err().to_string();
        assert!(e.contains("nest deeper than 512 levels"), "{e}");
    }

    #[test]
    fn the_number_of_nodes_is_bounded() {
        let many = format!("<R>{}</R>", "<C/>".repeat(90));
        assert!(parse_bounded(many.as_bytes(), "t", 100).is_ok());
        let e = parse_bounded(format!("<R>{}</R>", "<C/>".repeat(100)).as_bytes(), "big.qde", 100).unwrap_err();
        assert!(e.to_string().starts_with("big.qde: more XML nodes than"), "{e}");
    }
}
