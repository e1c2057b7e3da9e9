//! Counts and summaries of named documents and codes: what a change set needs re-read,
//! at a cost that follows the documents and codes named, not the size of the project.

use super::Project;
use super::changes::{Change, CodingPlaces, Writer};
use super::queries::{CodeCounts, DocumentSummary};
use crate::error::Result;
use rusqlite::{OptionalExtension, params_from_iter};
use serde_json::Value as Json;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Brings the counts every operation keeps up to date at its end, through the writer (so
/// the log records them and undo and redo keep them): each written coding's document's
/// coding count, and the kept counts of its codes. The written codings are read once for
/// both.
pub(crate) fn maintain_counts(w: &mut Writer) -> Result<()> {
    let mut places = CodingPlaces::default();
    let mut moved = BTreeSet::new();
    for change in w.changes() {
        if places.note(change).is_none()
            && let Change::Update { table, key: Json::String(id), after, .. } = change
            && table == "documents"
            && after.contains_key("participant_id")
        {
            moved.insert(id.clone());
        }
    }
    let mut current = w.conn().prepare_cached("SELECT document_id, code_id FROM codings WHERE id = ?1")?;
    for id in places.unresolved().to_vec() {
        if let Some((d, c)) = current.query_row([&id], |r| Ok((r.get(0)?, r.get(1)?))).optional()? {
            places.resolve(&id, Some(d), Some(c));
        }
    }
    maintain_coding_counts(w, &places.documents())?;
    maintain_code_counts(w, &places, moved)
}

/// Brings the stored coding count of each of these documents up to date; one indexed
/// count per document.
fn maintain_coding_counts(w: &mut Writer, documents: &BTreeSet<String>) -> Result<()> {
    let conn = w.conn();
    let mut count = conn.prepare_cached("SELECT count(*) FROM codings WHERE document_id = ?1")?;
    let mut stored = conn.prepare_cached("SELECT coding_count FROM documents WHERE id = ?1")?;
    for d in documents {
        let n: i64 = count.query_row([d], |r| r.get(0))?;
        let Some(old) = stored.query_row([d], |r| r.get::<_, i64>(0)).optional()? else { continue };
        if old != n {
            w.update("documents", d.as_str(), &[("coding_count", rusqlite::types::Value::Integer(n))])?;
        }
    }
    Ok(())
}

/// Brings the kept counts of every code whose codings were written up to date
/// (`code_documents` per code and document, `code_totals` per code: see schema version
/// 7); costs a few indexed reads and writes per (code, document) pair written and per
/// coded document moved to another participant (`moved`).
fn maintain_code_counts(w: &mut Writer, places: &CodingPlaces, moved: BTreeSet<String>) -> Result<()> {
    let conn = w.conn();
    let (mut pairs, unplaced) = places.pairs();
    // A code with a coding whose document is unknown (never within one sound operation)
    // is counted again over every document it is or was kept in.
    let mut docs_of = conn.prepare_cached(
        "SELECT document_id FROM codings WHERE code_id = ?1 UNION SELECT document_id FROM code_documents WHERE code_id = ?1",
    )?;
    for code in unplaced {
        for d in docs_of.query_map([&code], |r| r.get::<_, String>(0))? {
            pairs.insert((code.clone(), d?));
        }
    }
    let mut totals = Totals::default();
    for d in moved {
        move_document(w, &d, &mut totals)?;
    }
    for (code, document) in pairs {
        recount_pair(w, &code, &document, &mut totals)?;
    }
    totals.write(w)
}

/// Changes to the totals of codes, written once at the end.
#[derive(Default)]
struct Totals(std::collections::BTreeMap<String, [i64; 3]>);

impl Totals {
    fn add(&mut self, code: &str, codings: i64, documents: i64, participants: i64) {
        let t = self.0.entry(code.to_string()).or_default();
        t[0] += codings;
        t[1] += documents;
        t[2] += participants;
    }

    fn write(self, w: &mut Writer) -> Result<()> {
        use rusqlite::types::Value::Integer;
        for (code, delta) in self.0 {
            if delta == [0, 0, 0] {
                continue;
            }
            let old: Option<[i64; 3]> = w
                .conn()
                .prepare_cached("SELECT codings, documents, participants FROM code_totals WHERE id = ?1")?
                .query_row([&code], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]))
                .optional()?;
            let now = std::array::from_fn::<i64, 3, _>(|i| old.unwrap_or_default()[i] + delta[i]);
            let cols =
                [("codings", Integer(now[0])), ("documents", Integer(now[1])), ("participants", Integer(now[2]))];
            match (old, now[0] > 0) {
                (Some(_), true) => w.update("code_totals", code.as_str(), &cols)?,
                (Some(_), false) => w.delete("code_totals", code.as_str())?,
                (None, true) => {
                    let mut row = vec![("id", rusqlite::types::Value::Text(code.clone()))];
                    row.extend(cols);
                    w.insert("code_totals", &row)?
                }
                (None, false) => {}
            }
        }
        Ok(())
    }
}

/// A code's kept counts: codings, documents and participants from column `at` on.
fn kept_counts(r: &rusqlite::Row, at: usize) -> rusqlite::Result<CodeCounts> {
    Ok(CodeCounts {
        codings: r.get::<_, i64>(at)? as usize,
        documents: r.get::<_, i64>(at + 1)? as usize,
        participants: r.get::<_, i64>(at + 2)? as usize,
    })
}

/// The key of a `code_documents` row.
fn pair_key(code: &str, document: &str) -> String {
    format!("{code}|{document}")
}

/// Whether `code` has exactly `n` kept documents of `participant` (false for none):
/// asked with 0 after a document left the participant, with 1 after one joined it.
fn participant_has(w: &Writer, code: &str, participant: &Option<String>, n: i64) -> Result<bool> {
    let Some(p) = participant else { return Ok(false) };
    let mut stmt =
        w.conn().prepare_cached("SELECT count(*) FROM code_documents WHERE code_id = ?1 AND participant_id = ?2")?;
    Ok(stmt.query_row([code, p.as_str()], |r| r.get::<_, i64>(0))? == n)
}

/// The participant of a document (none for a document without one, or gone).
fn participant_of(w: &Writer, document: &str) -> Result<Option<String>> {
    let mut stmt = w.conn().prepare_cached("SELECT participant_id FROM documents WHERE id = ?1")?;
    Ok(stmt.query_row([document], |r| r.get(0)).optional()?.flatten())
}

/// Sets the kept count of one (code, document) pair to the codings there now.
fn recount_pair(w: &mut Writer, code: &str, document: &str, totals: &mut Totals) -> Result<()> {
    use rusqlite::types::Value::{Integer, Null, Text};
    let conn = w.conn();
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM codings WHERE code_id = ?1 AND document_id = ?2")?
        .query_row([code, document], |r| r.get(0))?;
    let key = pair_key(code, document);
    let kept: Option<(i64, Option<String>)> = conn
        .prepare_cached("SELECT codings, participant_id FROM code_documents WHERE id = ?1")?
        .query_row([&key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match kept {
        Some((old, _)) if old == n => {}
        Some((old, _)) if n > 0 => {
            w.update("code_documents", key.as_str(), &[("codings", Integer(n))])?;
            totals.add(code, n - old, 0, 0);
        }
        Some((old, participant)) => {
            w.delete("code_documents", key.as_str())?;
            let left = participant_has(w, code, &participant, 0)?;
            totals.add(code, -old, -1, -i64::from(left));
        }
        None if n > 0 => {
            let participant = participant_of(w, document)?;
            w.insert(
                "code_documents",
                &[
                    ("id", Text(key.clone())),
                    ("code_id", Text(code.to_string())),
                    ("document_id", Text(document.to_string())),
                    ("participant_id", participant.clone().map_or(Null, Text)),
                    ("codings", Integer(n)),
                ],
            )?;
            let joined = participant_has(w, code, &participant, 1)?;
            totals.add(code, n, 1, i64::from(joined));
        }
        None => {}
    }
    Ok(())
}

/// A document's participant changed: its kept pairs follow, and the codes' numbers of
/// participants with them.
fn move_document(w: &mut Writer, document: &str, totals: &mut Totals) -> Result<()> {
    use rusqlite::types::Value::{Null, Text};
    let to = participant_of(w, document)?;
    let rows: Vec<(String, String, Option<String>)> = w
        .conn()
        .prepare_cached("SELECT id, code_id, participant_id FROM code_documents WHERE document_id = ?1")?
        .query_map([document], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (key, code, from) in rows {
        if from == to {
            continue;
        }
        w.update("code_documents", key.as_str(), &[("participant_id", to.clone().map_or(Null, Text))])?;
        let left = participant_has(w, &code, &from, 0)?;
        let joined = participant_has(w, &code, &to, 1)?;
        totals.add(&code, 0, 0, i64::from(joined) - i64::from(left));
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
    /// their child codes'), as every operation keeps them; a code without codings is absent.
    pub fn code_counts_of(&self, ids: &[String]) -> Result<HashMap<String, CodeCounts>> {
        if self.opened_schema() < 7 {
            let mut all = self.code_counts_recounted()?;
            all.retain(|id, _| ids.contains(id));
            return Ok(all);
        }
        let mut out = HashMap::new();
        let mut stmt =
            self.conn().prepare_cached("SELECT codings, documents, participants FROM code_totals WHERE id = ?1")?;
        for id in ids {
            let counts = stmt.query_row([id], |r| kept_counts(r, 0)).optional()?;
            if let Some(c) = counts {
                out.insert(id.clone(), c);
            }
        }
        Ok(out)
    }

    /// How often each code is used, by code ID, as every operation keeps it (60 rows for
    /// 60 codes, whatever the number of codings). A file of an older schema opened
    /// read-only has them counted here instead.
    pub fn code_counts(&self) -> Result<HashMap<String, CodeCounts>> {
        if self.opened_schema() < 7 {
            return self.code_counts_recounted();
        }
        let mut stmt = self.conn().prepare("SELECT id, codings, documents, participants FROM code_totals")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, kept_counts(r, 1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The counts of [`Project::code_counts`] counted from every coding, not read from
    /// what the operations keep: what the kept counts are checked against.
    pub fn code_counts_recounted(&self) -> Result<HashMap<String, CodeCounts>> {
        let mut out: HashMap<String, (CodeCounts, HashSet<String>)> = HashMap::new();
        let mut stmt = self.conn().prepare(
            "SELECT c.code_id, count(*), d.participant_id FROM codings c JOIN documents d ON d.id = c.document_id
             GROUP BY c.code_id, c.document_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let entry = out.entry(r.get(0)?).or_default();
            entry.0.codings += r.get::<_, i64>(1)? as usize;
            entry.0.documents += 1;
            if let Some(p) = r.get::<_, Option<String>>(2)? {
                entry.1.insert(p);
            }
        }
        Ok(out
            .into_iter()
            .map(|(code, (mut counts, participants))| {
                counts.participants = participants.len();
                (code, counts)
            })
            .collect())
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
        assert!(all.len() > 5);
        let counted = p.code_counts_recounted().unwrap();
        let ids: Vec<String> = p.codes().unwrap().into_iter().map(|c| c.id).collect();
        let some = p.code_counts_of(&ids).unwrap();
        assert_eq!((some.len(), counted.len()), (all.len(), all.len()));
        for (id, c) in &all {
            for other in [&some[id], &counted[id]] {
                assert_eq!(
                    (other.codings, other.documents, other.participants),
                    (c.codings, c.documents, c.participants),
                    "{id}"
                );
            }
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
            let old = Project::open_read_only(&path).unwrap();
            let counted = old.documents().unwrap();
            let codes_counted = old.code_counts().unwrap();
            drop(old);
            let opened = Project::open(&path).unwrap();
            let kept = opened.documents().unwrap();
            let codes_kept = opened.code_counts().unwrap();
            assert!(!codes_kept.is_empty(), "{name}");
            assert_eq!(codes_kept.len(), codes_counted.len(), "{name}");
            for (id, c) in &codes_counted {
                let k = &codes_kept[id];
                assert_eq!(
                    (k.codings, k.documents, k.participants),
                    (c.codings, c.documents, c.participants),
                    "{name}"
                );
            }
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
