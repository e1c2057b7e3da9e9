//! Counts and summaries of named documents and codes: what a change set needs re-read,
//! at a cost that follows the documents and codes named, not the size of the project.

use super::Project;
use super::changes::{Change, Writer};
use super::queries::{CodeCounts, DocumentSummary};
use crate::error::Result;
use rusqlite::{OptionalExtension, params_from_iter};
use serde_json::Value as Json;
use std::collections::{BTreeSet, HashMap};

/// Brings the stored coding count of every document whose codings the operation so far
/// added or removed up to date, through the writer (so the log records it and undo and
/// redo keep it). Called at the end of every operation; costs one indexed count per
/// document the operation touched.
pub(crate) fn maintain_coding_counts(w: &mut Writer) -> Result<()> {
    let mut documents = BTreeSet::new();
    let mut inserted = Vec::new();
    for change in w.changes() {
        match change {
            Change::Insert { table, key, .. } if table == "codings" => inserted.push(key.clone()),
            Change::Delete { table, row, .. } if table == "codings" => {
                if let Some(Json::String(d)) = row.get("document_id") {
                    documents.insert(d.clone());
                }
            }
            _ => {}
        }
    }
    let conn = w.conn();
    let mut find = conn.prepare_cached("SELECT document_id FROM codings WHERE id = ?1")?;
    for key in inserted {
        if let Json::String(id) = key
            && let Some(d) = find.query_row([&id], |r| r.get::<_, String>(0)).optional()?
        {
            documents.insert(d);
        }
    }
    let mut count = conn.prepare_cached("SELECT count(*) FROM codings WHERE document_id = ?1")?;
    let mut stored = conn.prepare_cached("SELECT coding_count FROM documents WHERE id = ?1")?;
    for d in documents {
        let n: i64 = count.query_row([&d], |r| r.get(0))?;
        let Some(old) = stored.query_row([&d], |r| r.get::<_, i64>(0)).optional()? else { continue };
        if old != n {
            w.update("documents", d.as_str(), &[("coding_count", rusqlite::types::Value::Integer(n))])?;
        }
    }
    Ok(())
}

impl Project {
    /// The summaries (turns, speakers, codings) of the documents with these IDs that exist.
    pub fn document_summaries(&self, ids: &[String]) -> Result<Vec<DocumentSummary>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            out.extend(self.summaries_where(&format!("d.id IN ({marks})"), chunk)?);
        }
        Ok(out)
    }

    /// Which of these document IDs exist.
    pub fn existing_documents(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut stmt = self.conn().prepare(&format!("SELECT id FROM documents WHERE id IN ({marks})"))?;
            for id in stmt.query_map(params_from_iter(chunk), |r| r.get::<_, String>(0))? {
                out.push(id?);
            }
        }
        Ok(out)
    }

    /// Codings, documents and participants of each of these codes (own codings, not
    /// their child codes'); a code without codings is absent.
    pub fn code_counts_of(&self, ids: &[String]) -> Result<HashMap<String, CodeCounts>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT c.code_id, count(*), count(DISTINCT c.document_id), count(DISTINCT d.participant_id)
                 FROM codings c JOIN documents d ON d.id = c.document_id
                 WHERE c.code_id IN ({marks}) GROUP BY c.code_id"
            );
            let mut stmt = self.conn().prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(chunk), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    CodeCounts {
                        codings: r.get::<_, i64>(1)? as usize,
                        documents: r.get::<_, i64>(2)? as usize,
                        participants: r.get::<_, i64>(3)? as usize,
                    },
                ))
            })?;
            for row in rows {
                let (code, counts) = row?;
                out.insert(code, counts);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::demo::{DemoSources, build_demo};
    use crate::store::Project;
    use std::path::Path;

    #[test]
    fn counts_of_named_codes_and_documents_equal_the_whole_listing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.codeloom");
        build_demo(&path, &DemoSources::in_repository(Path::new(env!("CARGO_MANIFEST_DIR")))).unwrap();
        let p = Project::open(&path).unwrap();
        let all = p.code_counts().unwrap();
        let ids: Vec<String> = p.codes().unwrap().into_iter().map(|c| c.id).collect();
        let some = p.code_counts_of(&ids).unwrap();
        assert_eq!(some.len(), all.len());
        for (id, c) in &all {
            let s = &some[id];
            assert_eq!((s.codings, s.documents, s.participants), (c.codings, c.documents, c.participants), "{id}");
        }
        let docs = p.documents().unwrap();
        let ids: Vec<String> = docs.iter().map(|d| d.document.id.clone()).chain(["no such".to_string()]).collect();
        let summaries = p.document_summaries(&ids).unwrap();
        assert_eq!(summaries.len(), docs.len(), "a missing document is left out");
        for (a, b) in docs.iter().zip(&summaries) {
            assert_eq!(
                (&a.document.id, a.turn_count, &a.speakers, a.coding_count),
                (&b.document.id, b.turn_count, &b.speakers, b.coding_count)
            );
        }
    }
}

#[cfg(test)]
mod migration_tests {
    use crate::store::Project;
    use std::path::Path;

    /// A file from before the kept counts gains them on opening, equal to a recount.
    #[test]
    fn older_files_gain_the_counts_they_keep() {
        for name in ["v1.codeloom", "v2.codeloom"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat").join(name), &path).unwrap();
            let counted = Project::open_read_only(&path).unwrap().documents().unwrap();
            let kept = Project::open(&path).unwrap().documents().unwrap();
            assert!(!kept.is_empty());
            assert_eq!(counted.len(), kept.len(), "{name}");
            for (a, b) in counted.iter().zip(&kept) {
                assert_eq!(
                    (&a.document.id, a.turn_count, &a.speakers, a.coding_count),
                    (&b.document.id, b.turn_count, &b.speakers, b.coding_count),
                    "{name}"
                );
            }
        }
    }
}
