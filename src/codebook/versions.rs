//! Named codebook versions ("v1 preliminary", "v2 after reconciliation"): listing them
//! with their notes and how many codings were made under each, reading the code tree a
//! version saved, and the codings made under a version. Saving a version is
//! [`Project::save_codebook_version`].

use crate::error::{Error, Result};
use crate::model::{Code, Coding};
use crate::store::Project;
use crate::store::queries::CodingFilter;
pub use crate::store::versions::CodebookVersion;

/// The name that stands for the code tree as it is now, wherever a version is asked for.
pub const CURRENT: &str = "current";

/// Every saved version, oldest first.
pub fn versions(project: &Project) -> Result<Vec<CodebookVersion>> {
    project.codebook_versions()
}

/// Finds a version by ID or name (case-insensitively); returns its ID and name.
pub fn resolve_version(project: &Project, query: &str) -> Result<(String, String)> {
    let q = query.trim();
    project.find_codebook_version(q)?.ok_or_else(|| Error::NotFound { kind: "codebook version", query: q.to_string() })
}

/// The code tree a version saved; [`CURRENT`] gives the tree as it is now.
pub fn version_codes(project: &Project, query: &str) -> Result<Vec<Code>> {
    if query.trim().eq_ignore_ascii_case(CURRENT) {
        return project.codes();
    }
    let (id, _) = resolve_version(project, query)?;
    project.codebook_version_codes(&id)
}

/// The codings made under a version (by ID or name), or with `None`, those made before
/// any version was saved.
pub fn codings_under(project: &Project, version: Option<&str>, filter: &CodingFilter) -> Result<Vec<Coding>> {
    let id = version.map(|v| resolve_version(project, v)).transpose()?.map(|(id, _)| id);
    Ok(project.codings(filter)?.into_iter().filter(|c| c.codebook_version_id == id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ops::{NewCode, NewCoding};

    #[test]
    fn versions_record_trees_notes_and_codings() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("t.codeloom")).unwrap();
        let docs = p
            .import_documents(vec![crate::import::ParsedDocument {
                source: "a".into(),
                name: "A".into(),
                original_name: "a.txt".into(),
                format: "txt".into(),
                text: "some text here".into(),
                turns: vec![],
                participant: None,
                wave: None,
                warnings: vec![],
            }])
            .unwrap();
        let doc = match &docs[0] {
            crate::store::ops::DocumentOutcome::Imported { id, .. } => id.clone(),
            _ => unreachable!(),
        };
        let a = p.create_code(NewCode { name: "A".into(), ..Default::default() }).unwrap();
        let coding = |code: &str| NewCoding {
            document_id: doc.clone(),
            start: 0,
            end: 4,
            code_id: code.to_string(),
            coder: None,
            memo: None,
            illustrative: false,
        };
        p.apply_coding(coding(&a)).unwrap();
        p.save_codebook_version("v1 preliminary", "first pass").unwrap();
        // Another span: the same one again would be an identical coding, which is a no-op.
        p.apply_coding(NewCoding { end: 5, ..coding(&a) }).unwrap();
        p.create_code(NewCode { name: "B".into(), ..Default::default() }).unwrap();
        p.save_codebook_version("v2", "").unwrap();
        let v = versions(&p).unwrap();
        assert_eq!(
            v.iter().map(|v| (v.name.as_str(), v.codes, v.codings)).collect::<Vec<_>>(),
            [("v1 preliminary", 1, 1), ("v2", 2, 0)]
        );
        assert_eq!(v[0].note, "first pass");
        assert_eq!(version_codes(&p, "V1 PRELIMINARY").unwrap().len(), 1);
        assert_eq!(version_codes(&p, "current").unwrap().len(), 2);
        assert_eq!(codings_under(&p, Some("v1 preliminary"), &CodingFilter::default()).unwrap().len(), 1);
        assert_eq!(codings_under(&p, None, &CodingFilter::default()).unwrap().len(), 1);
        assert!(version_codes(&p, "v9").unwrap_err().to_string().contains("no codebook version"));
    }
}
