//! Counts and summaries of named documents and codes: what a change set needs re-read,
//! at a cost that follows the documents and codes named, not the size of the project.

use super::Project;
use super::queries::{CodeCounts, DocumentSummary};
use crate::error::Result;
use rusqlite::params_from_iter;
use std::collections::HashMap;

impl Project {
    /// The summaries (turns, speakers, codings) of the documents with these IDs that exist.
    pub fn document_summaries(&self, ids: &[String]) -> Result<Vec<DocumentSummary>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Ok(document) = self.document(id) else { continue };
            let mut stmt = self.conn().prepare_cached(
                "SELECT speaker, count(*), min(ordinal) FROM turns WHERE document_id = ?1 GROUP BY speaker ORDER BY min(ordinal)",
            )?;
            let mut turn_count = 0;
            let mut speakers = Vec::new();
            let mut rows = stmt.query([id])?;
            while let Some(r) = rows.next()? {
                turn_count += r.get::<_, i64>(1)? as usize;
                if let Some(s) = r.get::<_, Option<String>>(0)? {
                    speakers.push(s);
                }
            }
            let coding_count: i64 = self
                .conn()
                .prepare_cached("SELECT count(*) FROM codings WHERE document_id = ?1")?
                .query_row([id], |r| r.get(0))?;
            out.push(DocumentSummary { document, turn_count, speakers, coding_count: coding_count as usize });
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
