//! Writing a project as a REFI-QDA `.qdpx` that validates against `Project.xsd`:
//! `project.qde` (UTF-8, no BOM) and one `sources/<document id>.txt` per document (UTF-8
//! without BOM, LF line endings, exactly the stored text), with selection positions in
//! code points, half-open, over that text.
//!
//! Coders are users; codes keep their UUIDs, hierarchy, colour and description (the four
//! parts joined as in [`super::join_description`]); each coding is one selection holding
//! one coding; participants are cases with their attributes as variables (a category
//! attribute is a Text variable described "category"); waves are sets named
//! `Wave: NAME`; memos are notes, referenced from the project, the document, the code or
//! the coding they are about, and linked to the case of a participant (cases have no
//! note references in the schema). Stars on codings have no place in the standard and
//! are listed in the [`ExportReport`].

use super::codes::write_codes;
use super::{NotImported, PROJECT_NS, WAVE_SET_PREFIX, shorten};
use crate::error::{Error, Result};
use crate::model::time::format_timestamp;
use crate::model::{AttributeKind, MemoTarget};
use crate::store::Project;
use crate::store::queries::CodingFilter;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// What an export wrote, and what it could not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportReport {
    pub file: String,
    pub documents: usize,
    pub codes: usize,
    pub codings: usize,
    pub coders: usize,
    pub participants: usize,
    pub attributes: usize,
    pub waves: usize,
    pub memos: usize,
    pub not_exported: Vec<NotImported>,
}

/// A stable GUID derived from an ID, for objects Codeloom has no ID of their own for
/// (a coding's selection, a coding memo's note, a participant memo's link).
fn derived_guid(id: &str, role: &str) -> String {
    let digest = Sha256::digest(format!("{role}:{id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
}

/// A GUID for an ID: the ID itself when it is a UUID, else one derived from it.
fn guid(id: &str) -> String {
    super::normalise_guid(id).unwrap_or_else(|| derived_guid(id, "id"))
}

/// An `xsd:decimal` for a number attribute value, or `None` if it cannot be one.
fn decimal(v: &str) -> Option<String> {
    let t = v.trim();
    let plain = |s: &str| {
        let s = s.strip_prefix(['-', '+']).unwrap_or(s);
        !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') && s.matches('.').count() <= 1 && s != "."
    };
    if plain(t) {
        return Some(t.to_string());
    }
    let n: f64 = t.parse().ok().filter(|n: &f64| n.is_finite())?;
    let s = format!("{n}");
    plain(&s).then_some(s)
}

type X = Writer<Vec<u8>>;

/// The files of `sources/`: name and text.
pub type SourceFiles = Vec<(String, String)>;

fn io(e: std::io::Error) -> Error {
    Error::Invalid(format!("writing the project XML failed: {e}"))
}

fn start(w: &mut X, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, *v));
    }
    w.write_event(Event::Start(e))
}

fn empty(w: &mut X, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, *v));
    }
    w.write_event(Event::Empty(e))
}

fn end(w: &mut X, name: &str) -> std::io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn text_element(w: &mut X, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(text))?;
    Ok(())
}

/// The `project.qde` XML and the source files (`sources/` names and texts) of a project.
pub fn project_qde(project: &Project) -> Result<(String, SourceFiles, ExportReport)> {
    let coders = project.coders()?;
    let coder_guid: HashMap<String, String> = coders.iter().map(|c| (c.name.clone(), guid(&c.id))).collect();
    let codes = project.codes()?;
    let attributes = project.attributes()?;
    let participants = project.participants()?;
    let waves = project.waves()?;
    let documents: Vec<_> = project.documents()?.into_iter().map(|d| d.document).collect();
    let codings = project.codings(&CodingFilter::default())?;
    let memos = project.memos(None)?;
    let mut report = ExportReport {
        documents: documents.len(),
        codes: codes.len(),
        codings: codings.len(),
        coders: coders.len(),
        participants: participants.len(),
        attributes: attributes.len(),
        waves: waves.len(),
        memos: memos.len(),
        ..Default::default()
    };
    let stars = codings.iter().filter(|c| c.illustrative).count();
    if stars > 0 {
        report.not_exported.push(NotImported {
            what: "stars on codings (illustrative quotes)".into(),
            count: stars,
            reason: "REFI-QDA has no place for them".into(),
        });
    }

    let mut timed = 0;
    for d in &documents {
        timed += project.turns(&d.id)?.iter().filter(|t| t.time_start_ms.is_some()).count();
    }
    if timed > 0 {
        report.not_exported.push(NotImported {
            what: "turn timestamps".into(),
            count: timed,
            reason: "text sources in REFI-QDA carry no times (the text is exported; turns are found again on import)"
                .into(),
        });
    }

    let mut memo_notes: HashMap<(&str, String), Vec<String>> = HashMap::new();
    for m in &memos {
        if m.target != MemoTarget::Participant {
            memo_notes
                .entry((m.target.as_str(), m.target_id.clone().unwrap_or_default()))
                .or_default()
                .push(guid(&m.id));
        }
    }
    let code_notes: HashMap<String, Vec<String>> = memo_notes
        .iter()
        .filter(|((t, _), _)| *t == MemoTarget::Code.as_str())
        .map(|((_, id), notes)| (id.clone(), notes.clone()))
        .collect();

    let created = project.created_at_ms()?.unwrap_or_else(crate::store::now_ms);
    let name = project
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Codeloom project".into());
    let origin = format!("Codeloom {}", env!("CARGO_PKG_VERSION"));
    let created = format_timestamp(created);
    let modified = format_timestamp(crate::store::now_ms());
    let me = coder_guid.get(project.coder()).cloned();

    let mut w: X = Writer::new_with_indent(Vec::new(), b' ', 1);
    let mut files = Vec::new();
    let result: std::io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        let mut root = vec![
            ("xmlns", PROJECT_NS),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            (
                "xsi:schemaLocation",
                "urn:QDA-XML:project:1.0 http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd",
            ),
            ("name", name.as_str()),
            ("origin", origin.as_str()),
        ];
        if let Some(me) = &me {
            root.push(("creatingUserGUID", me.as_str()));
        }
        root.push(("creationDateTime", created.as_str()));
        if let Some(me) = &me {
            root.push(("modifyingUserGUID", me.as_str()));
        }
        root.push(("modifiedDateTime", modified.as_str()));
        start(&mut w, "Project", &root)?;

        if !coders.is_empty() {
            start(&mut w, "Users", &[])?;
            for c in &coders {
                empty(&mut w, "User", &[("guid", &guid(&c.id)), ("name", &c.name)])?;
            }
            end(&mut w, "Users")?;
        }

        if !codes.is_empty() {
            start(&mut w, "CodeBook", &[])?;
            let codes: Vec<_> = codes
                .iter()
                .map(|c| crate::model::Code {
                    id: guid(&c.id),
                    parent_id: c.parent_id.as_deref().map(guid),
                    ..c.clone()
                })
                .collect();
            let notes: HashMap<String, Vec<String>> = code_notes.iter().map(|(k, v)| (guid(k), v.clone())).collect();
            write_codes(&mut w, &codes, &notes)?;
            end(&mut w, "CodeBook")?;
        }

        if !attributes.is_empty() {
            start(&mut w, "Variables", &[])?;
            for a in &attributes {
                let kind = match a.kind {
                    AttributeKind::Number => "Float",
                    AttributeKind::Date => "Date",
                    AttributeKind::Text | AttributeKind::Category => "Text",
                };
                if a.kind == AttributeKind::Category {
                    start(&mut w, "Variable", &[("guid", &guid(&a.id)), ("name", &a.name), ("typeOfVariable", kind)])?;
                    text_element(&mut w, "Description", "category")?;
                    end(&mut w, "Variable")?;
                } else {
                    empty(&mut w, "Variable", &[("guid", &guid(&a.id)), ("name", &a.name), ("typeOfVariable", kind)])?;
                }
            }
            end(&mut w, "Variables")?;
        }

        let attr_by_name: HashMap<&str, &crate::store::queries::AttributeDef> =
            attributes.iter().map(|a| (a.name.as_str(), a)).collect();
        if !participants.is_empty() {
            start(&mut w, "Cases", &[])?;
            for p in &participants {
                start(&mut w, "Case", &[("guid", &guid(&p.id)), ("name", &p.label)])?;
                for (name, value) in &p.attributes {
                    let Some(a) = attr_by_name.get(name.as_str()) else { continue };
                    let (element, v) = match a.kind {
                        AttributeKind::Number => match decimal(&value.value) {
                            Some(v) => ("FloatValue", v),
                            None => continue,
                        },
                        AttributeKind::Date => ("DateValue", value.value.clone()),
                        _ => ("TextValue", value.value.clone()),
                    };
                    start(&mut w, "VariableValue", &[])?;
                    empty(&mut w, "VariableRef", &[("targetGUID", &guid(&a.id))])?;
                    text_element(&mut w, element, &v)?;
                    end(&mut w, "VariableValue")?;
                }
                for d in documents.iter().filter(|d| d.participant.as_deref() == Some(p.label.as_str())) {
                    empty(&mut w, "SourceRef", &[("targetGUID", &guid(&d.id))])?;
                }
                end(&mut w, "Case")?;
            }
            end(&mut w, "Cases")?;
        }

        let mut by_doc: HashMap<&str, Vec<&crate::model::Coding>> = HashMap::new();
        for c in &codings {
            by_doc.entry(c.document_id.as_str()).or_default().push(c);
        }
        if !documents.is_empty() {
            start(&mut w, "Sources", &[])?;
            for d in &documents {
                let text = project.document_text(&d.id).map_err(|e| std::io::Error::other(e.to_string()))?;
                let file = format!("{}.txt", guid(&d.id));
                let path = format!("internal://{file}");
                let mut attrs = vec![("guid", guid(&d.id)), ("name", d.name.clone()), ("plainTextPath", path)];
                attrs.push(("creationDateTime", format_timestamp(d.imported_at_ms)));
                let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                start(&mut w, "TextSource", &attrs)?;
                let chars: Vec<char> = text.chars().collect();
                for c in by_doc.get(d.id.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
                    let quote: String = chars.get(c.start..c.end.min(chars.len())).unwrap_or(&[]).iter().collect();
                    let user = coder_guid.get(&c.coder).cloned();
                    let when = format_timestamp(c.created_at_ms);
                    let (s, e) = (c.start.to_string(), c.end.to_string());
                    let sel_guid = derived_guid(&c.id, "selection");
                    let name = shorten(&quote, 100);
                    let mut attrs = vec![
                        ("guid", sel_guid.as_str()),
                        ("name", name.as_str()),
                        ("startPosition", s.as_str()),
                        ("endPosition", e.as_str()),
                    ];
                    if let Some(u) = &user {
                        attrs.push(("creatingUser", u.as_str()));
                    }
                    attrs.push(("creationDateTime", when.as_str()));
                    start(&mut w, "PlainTextSelection", &attrs)?;
                    let cg = guid(&c.id);
                    let mut attrs = vec![("guid", cg.as_str())];
                    if let Some(u) = &user {
                        attrs.push(("creatingUser", u.as_str()));
                    }
                    attrs.push(("creationDateTime", when.as_str()));
                    start(&mut w, "Coding", &attrs)?;
                    empty(&mut w, "CodeRef", &[("targetGUID", &guid(&c.code_id))])?;
                    if c.memo.as_deref().is_some_and(|m| !m.trim().is_empty()) {
                        empty(&mut w, "NoteRef", &[("targetGUID", &derived_guid(&c.id, "memo"))])?;
                    }
                    end(&mut w, "Coding")?;
                    end(&mut w, "PlainTextSelection")?;
                }
                for n in
                    memo_notes.get(&(MemoTarget::Document.as_str(), d.id.clone())).map(Vec::as_slice).unwrap_or(&[])
                {
                    empty(&mut w, "NoteRef", &[("targetGUID", n)])?;
                }
                end(&mut w, "TextSource")?;
                files.push((file, text));
            }
            end(&mut w, "Sources")?;
        }

        let coding_memos: Vec<_> =
            codings.iter().filter(|c| c.memo.as_deref().is_some_and(|m| !m.trim().is_empty())).collect();
        if !memos.is_empty() || !coding_memos.is_empty() {
            start(&mut w, "Notes", &[])?;
            for m in &memos {
                let when = format_timestamp(m.updated_at_ms);
                let g = guid(&m.id);
                let mut attrs = vec![("guid", g.as_str())];
                if !m.title.is_empty() {
                    attrs.push(("name", m.title.as_str()));
                }
                let user = m.coder.as_ref().and_then(|c| coder_guid.get(c)).cloned();
                if let Some(u) = &user {
                    attrs.push(("creatingUser", u.as_str()));
                }
                attrs.push(("creationDateTime", when.as_str()));
                start(&mut w, "Note", &attrs)?;
                text_element(&mut w, "PlainTextContent", &m.body)?;
                end(&mut w, "Note")?;
            }
            for c in &coding_memos {
                let g = derived_guid(&c.id, "memo");
                let mut attrs = vec![("guid", g.clone())];
                if let Some(u) = coder_guid.get(&c.coder) {
                    attrs.push(("creatingUser", u.clone()));
                }
                let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                start(&mut w, "Note", &attrs)?;
                text_element(&mut w, "PlainTextContent", c.memo.as_deref().unwrap_or(""))?;
                end(&mut w, "Note")?;
            }
            end(&mut w, "Notes")?;
        }

        let participant_memos: Vec<_> =
            memos.iter().filter(|m| m.target == MemoTarget::Participant && m.target_id.is_some()).collect();
        if !participant_memos.is_empty() {
            start(&mut w, "Links", &[])?;
            for m in participant_memos {
                let target = guid(m.target_id.as_deref().unwrap_or(""));
                empty(
                    &mut w,
                    "Link",
                    &[
                        ("guid", &derived_guid(&m.id, "link")),
                        ("name", "Memo on participant"),
                        ("direction", "OneWay"),
                        ("originGUID", &guid(&m.id)),
                        ("targetGUID", &target),
                    ],
                )?;
            }
            end(&mut w, "Links")?;
        }

        if !waves.is_empty() {
            start(&mut w, "Sets", &[])?;
            for v in &waves {
                let name = format!("{WAVE_SET_PREFIX}{}", v.name);
                start(&mut w, "Set", &[("guid", &guid(&v.id)), ("name", &name)])?;
                text_element(&mut w, "Description", "Codeloom wave")?;
                for d in documents.iter().filter(|d| d.wave.as_deref() == Some(v.name.as_str())) {
                    empty(&mut w, "MemberSource", &[("targetGUID", &guid(&d.id))])?;
                }
                end(&mut w, "Set")?;
            }
            end(&mut w, "Sets")?;
        }

        for n in memo_notes.get(&(MemoTarget::Project.as_str(), String::new())).map(Vec::as_slice).unwrap_or(&[]) {
            empty(&mut w, "NoteRef", &[("targetGUID", n)])?;
        }
        end(&mut w, "Project")?;
        Ok(())
    })();
    result.map_err(io)?;
    let xml = String::from_utf8(w.into_inner()).map_err(|_| Error::Invalid("the project XML is not UTF-8".into()))?;
    Ok((xml, files, report))
}

/// Writes the project as a `.qdpx` file at `out`, whole or not at all, never over the
/// project, its side files or search index, another project or anything but a regular
/// file (see [`crate::output`]).
pub fn export_qdpx(project: &Project, out: &Path) -> Result<ExportReport> {
    let protect = crate::output::Protect::project(project.path());
    crate::output::check_target(out, &protect)?;
    let (xml, files, mut report) = project_qde(project)?;
    let fail = |e: &dyn std::fmt::Display| crate::output::write_error(out, e);
    crate::output::write_streamed(out, &protect, |file| -> Result<()> {
        let mut zip = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("project.qde", opts).map_err(|e| fail(&e))?;
        zip.write_all(xml.as_bytes()).map_err(|e| fail(&e))?;
        for (name, text) in &files {
            zip.start_file(format!("sources/{name}"), opts).map_err(|e| fail(&e))?;
            zip.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
        }
        zip.finish().map_err(|e| fail(&e))?;
        Ok(())
    })?;
    report.file = out.display().to_string();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_guids() {
        assert_eq!(decimal("67").as_deref(), Some("67"));
        assert_eq!(decimal("-0.5").as_deref(), Some("-0.5"));
        assert_eq!(decimal("1e3").as_deref(), Some("1000"));
        assert_eq!(decimal("x"), None);
        assert_eq!(derived_guid("a", "selection"), derived_guid("a", "selection"));
        assert_ne!(derived_guid("a", "selection"), derived_guid("a", "memo"));
        assert!(super::super::normalise_guid(&derived_guid("a", "x")).is_some());
    }
}
