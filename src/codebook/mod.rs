//! Codebooks as files: the Codeloom codebook JSON format documented in
//! `codebooks/README.md`, read into codes to create and written from a project's tree.
//!
//! Reading a file never touches a project, and storing codes goes through the
//! project's operations. The submodules own named versions ([`versions`]), diffs
//! between trees ([`diff`]), the audit trail ([`history`]), coders' copies and merging
//! them ([`merge`]), reconciling separately built codebooks ([`reconcile`]) and
//! REFI-QDA codebooks ([`qdc`]).

pub mod diff;
pub mod find;
pub mod history;
pub mod merge;
pub mod qdc;
pub mod reconcile;
pub mod versions;

use crate::error::{Error, Result};
use crate::model::{Code, CodeDescription, normalise_color};
use crate::store::Project;
use crate::store::ops::NewCode;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// The value of the `format` field.
pub const FORMAT: &str = "codeloom-codebook";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A codebook file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodebookFile {
    pub format: String,
    pub format_version: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub codes: Vec<CodeEntry>,
}

/// One code of a codebook file, with its children.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub definition: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub inclusion: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub exclusion: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub example: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<CodeEntry>,
}

/// Parses and checks a codebook file; returns the codes to create, parents first.
pub fn parse_codebook(source: &Path, bytes: &[u8]) -> Result<(CodebookFile, Vec<NewCode>)> {
    let bad = |m: String| Error::Invalid(format!("{}: {m}", source.display()));
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(bad("the file is empty".into()));
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| bad("not UTF-8 text".into()))?;
    let file: CodebookFile = serde_json::from_str(text).map_err(|e| bad(format!("not a Codeloom codebook: {e}")))?;
    if file.format != FORMAT {
        return Err(bad(format!("the format field is \"{}\", expected \"{FORMAT}\"", file.format)));
    }
    if file.format_version > FORMAT_VERSION {
        return Err(bad(format!(
            "codebook format version {} is newer than this Codeloom reads ({FORMAT_VERSION})",
            file.format_version
        )));
    }
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    fn walk(
        entries: &[CodeEntry],
        parent: Option<&str>,
        out: &mut Vec<NewCode>,
        ids: &mut HashSet<String>,
        bad: &dyn Fn(String) -> Error,
    ) -> Result<()> {
        let mut names = HashSet::new();
        for e in entries {
            let name = e.name.trim();
            if name.is_empty() {
                return Err(bad("a code has an empty name".into()));
            }
            if !names.insert(name.to_lowercase()) {
                return Err(bad(format!("two sibling codes are both named \"{name}\"")));
            }
            let id = match &e.id {
                Some(id) => {
                    let u = uuid::Uuid::parse_str(id)
                        .map_err(|_| bad(format!("the id of \"{name}\" is not a UUID: {id}")))?;
                    u.to_string()
                }
                None => crate::store::new_id(),
            };
            if !ids.insert(id.clone()) {
                return Err(bad(format!("the id {id} is used by more than one code")));
            }
            if let Some(c) = &e.color
                && normalise_color(c).is_none()
            {
                return Err(bad(format!("the colour of \"{name}\" is not #RRGGBB: {c}")));
            }
            out.push(NewCode {
                id: Some(id.clone()),
                name: name.to_string(),
                parent_id: parent.map(str::to_string),
                color: e.color.clone(),
                description: CodeDescription {
                    definition: e.definition.clone(),
                    inclusion: e.inclusion.clone(),
                    exclusion: e.exclusion.clone(),
                    example: e.example.clone(),
                },
            });
            walk(&e.children, Some(&id), out, ids, bad)?;
        }
        Ok(())
    }
    walk(&file.codes, None, &mut out, &mut ids, &bad)?;
    Ok((file, out))
}

/// Reads a codebook file and adds its codes to the project in one operation.
pub fn import_codebook(project: &mut Project, path: &Path) -> Result<crate::store::ops::ImportedCodes> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::Invalid(format!("{}: cannot read the file: {e}", path.display())))?;
    let (_, codes) = parse_codebook(path, &bytes)?;
    let source = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    project.import_codes(&source, codes)
}

/// Adds the codes of a codebook file to the project in one operation: REFI-QDA when
/// the file ends in `.qdc`, else Codeloom JSON. Returns what was created and notes on
/// what a `.qdc` held that could not come across.
pub fn import_codebook_file(
    project: &mut Project,
    path: &Path,
) -> Result<(crate::store::ops::ImportedCodes, Vec<String>)> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("qdc")) {
        qdc::import_qdc(project, path)
    } else {
        Ok((import_codebook(project, path)?, Vec::new()))
    }
}

/// The file formats a codebook is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodebookFormat {
    /// The Codeloom JSON format of `codebooks/README.md`.
    Json,
    /// REFI-QDA `.qdc`.
    Qdc,
}

impl CodebookFormat {
    /// The format a file name asks for: `.qdc` is REFI-QDA, anything else JSON.
    pub fn for_path(path: &Path) -> CodebookFormat {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("qdc")) {
            CodebookFormat::Qdc
        } else {
            CodebookFormat::Json
        }
    }
}

/// The project's codebook (now, or as saved version `version` was) as the text of a
/// codebook file; `name` titles a JSON codebook. Returns the text and the number of codes.
pub fn export_codebook_text(
    project: &Project,
    format: CodebookFormat,
    version: Option<&str>,
    name: &str,
) -> Result<(String, usize)> {
    let codes = match version {
        Some(v) => versions::version_codes(project, v)?,
        None => project.codes()?,
    };
    let text = match format {
        CodebookFormat::Json => {
            serde_json::to_string_pretty(&codebook_file(&codes, name, version.unwrap_or("")))? + "\n"
        }
        CodebookFormat::Qdc => qdc::export_qdc(&codes, &format!("Codeloom {}", env!("CARGO_PKG_VERSION")))?,
    };
    Ok((text, codes.len()))
}

/// Writes the project's codebook (or a saved version's) to `path` in `format`, named after
/// the project file, through the atomic writer that never replaces a project; returns how
/// many codes it holds. The GUI's File menu and `codeloom codebook export` both call this.
pub fn export_codebook_file(
    project: &Project,
    path: &Path,
    format: CodebookFormat,
    version: Option<&str>,
) -> Result<usize> {
    let protect = crate::output::Protect::project(project.path());
    crate::output::check_target(path, &protect)?;
    let name = project.path().file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let (text, count) = export_codebook_text(project, format, version, &name)?;
    crate::output::write_bytes(path, text.as_bytes(), &protect)?;
    Ok(count)
}

/// The project's code tree as a codebook file.
pub fn codebook_file(codes: &[Code], name: &str, description: &str) -> CodebookFile {
    fn children(codes: &[Code], parent: Option<&str>) -> Vec<CodeEntry> {
        codes
            .iter()
            .filter(|c| c.parent_id.as_deref() == parent)
            .map(|c| CodeEntry {
                id: Some(c.id.clone()),
                name: c.name.clone(),
                color: Some(c.color.clone()),
                definition: c.description.definition.clone(),
                inclusion: c.description.inclusion.clone(),
                exclusion: c.description.exclusion.clone(),
                example: c.description.example.clone(),
                children: children(codes, Some(&c.id)),
            })
            .collect()
    }
    CodebookFile {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        name: name.to_string(),
        description: description.to_string(),
        codes: children(codes, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_codebook_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("codebooks/moving-well-together.json");
        let bytes = std::fs::read(&path).unwrap();
        let (file, codes) = parse_codebook(&path, &bytes).unwrap();
        assert_eq!(file.codes.len(), 6);
        assert_eq!(codes.len(), 40);
        assert!(codes[1].parent_id.as_deref() == codes[0].id.as_deref());
    }

    #[test]
    fn bad_codebooks() {
        let p = Path::new("cb.json");
        for (json, why) in [
            ("", "empty"),
            ("{", "not a Codeloom codebook"),
            (r#"{"format":"other","format_version":1,"codes":[]}"#, "format field"),
            (r#"{"format":"codeloom-codebook","format_version":9,"codes":[]}"#, "newer"),
            (r#"{"format":"codeloom-codebook","format_version":1,"codes":[{"name":"A"},{"name":"a"}]}"#, "both named"),
            (r#"{"format":"codeloom-codebook","format_version":1,"codes":[{"name":"A","id":"x"}]}"#, "not a UUID"),
            (r#"{"format":"codeloom-codebook","format_version":1,"codes":[{"name":"A","color":"red"}]}"#, "colour"),
        ] {
            let e = parse_codebook(p, json.as_bytes()).unwrap_err().to_string();
            assert!(e.contains("cb.json") && e.contains(why), "{json}: {e}");
        }
    }
}
