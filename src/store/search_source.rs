//! Reads the search index needs to stay up to date at a cost that follows what changed:
//! the newest entry of the operation log (so the index can tell whether it is current
//! and whether the project's history is still the one it indexed), documents' places
//! (name, participant, wave) without their text, the documents of named participants,
//! waves or coders, and memos by ID. Nothing here writes.

use super::Project;
use crate::error::Result;
use crate::model::Memo;
use rusqlite::{OptionalExtension, params_from_iter};

/// Where a document sits in a study, without its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPlace {
    pub id: String,
    pub name: String,
    pub participant_id: Option<String>,
    /// The participant's label.
    pub participant: Option<String>,
    /// The wave's name.
    pub wave: Option<String>,
}

const PLACE_SELECT: &str = "SELECT d.id, d.name, d.participant_id, p.label, w.name FROM documents d \
     LEFT JOIN participants p ON p.id = d.participant_id LEFT JOIN waves w ON w.id = d.wave_id";

fn place_from_row(r: &rusqlite::Row) -> rusqlite::Result<DocumentPlace> {
    Ok(DocumentPlace {
        id: r.get(0)?,
        name: r.get(1)?,
        participant_id: r.get(2)?,
        participant: r.get(3)?,
        wave: r.get(4)?,
    })
}

/// How many IDs go into one `IN (...)` list.
const CHUNK: usize = 500;

impl Project {
    /// The newest entry of the operation log: its sequence number and ID, or `(0, None)`
    /// for a project with an empty log.
    pub fn log_point(&self) -> Result<(i64, Option<String>)> {
        let found: Option<(i64, String)> = self
            .conn()
            .query_row("SELECT seq, id FROM operations ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(found.map(|(seq, id)| (seq, Some(id))).unwrap_or((0, None)))
    }

    /// The ID of the log entry `seq`, if the log has one.
    pub fn operation_id(&self, seq: i64) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT id FROM operations WHERE seq = ?1")?
            .query_row([seq], |r| r.get(0))
            .optional()?)
    }

    /// Every document's place, in no particular order.
    pub fn document_places(&self) -> Result<Vec<DocumentPlace>> {
        let mut stmt = self.conn().prepare(PLACE_SELECT)?;
        Ok(stmt.query_map([], place_from_row)?.collect::<rusqlite::Result<_>>()?)
    }

    /// The places of the documents with these IDs that exist, in no particular order.
    pub fn document_places_of(&self, ids: &[String]) -> Result<Vec<DocumentPlace>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!("{PLACE_SELECT} WHERE d.id IN ({})", marks(chunk.len()));
            let mut stmt = self.conn().prepare(&sql)?;
            for place in stmt.query_map(params_from_iter(chunk), place_from_row)? {
                out.push(place?);
            }
        }
        Ok(out)
    }

    /// The IDs of the documents of these participants (by participant ID).
    pub fn documents_of_participants(&self, participant_ids: &[String]) -> Result<Vec<String>> {
        self.ids_where("SELECT id FROM documents WHERE participant_id IN", participant_ids)
    }

    /// The IDs of the documents of these waves (by wave ID).
    pub fn documents_in_waves(&self, wave_ids: &[String]) -> Result<Vec<String>> {
        self.ids_where("SELECT id FROM documents WHERE wave_id IN", wave_ids)
    }

    /// The IDs of the documents that these coders (by coder ID) have coded.
    pub fn documents_coded_by(&self, coder_ids: &[String]) -> Result<Vec<String>> {
        self.ids_where("SELECT DISTINCT document_id FROM codings WHERE coder_id IN", coder_ids)
    }

    /// The memos with these IDs that exist, in no particular order.
    pub fn memos_by_id(&self, ids: &[String]) -> Result<Vec<Memo>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT m.id, m.target_kind, m.target_id, m.title, m.body, k.name, m.updated_at FROM memos m \
                 LEFT JOIN coders k ON k.id = m.coder_id WHERE m.id IN ({})",
                marks(chunk.len())
            );
            let mut stmt = self.conn().prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(chunk), super::queries::memo_from_row)?;
            for memo in rows {
                out.push(memo?);
            }
        }
        Ok(out)
    }

    /// The first column of `select IN (ids)`, over batches of IDs, without repeats.
    fn ids_where(&self, select: &str, ids: &[String]) -> Result<Vec<String>> {
        let mut out = std::collections::BTreeSet::new();
        for chunk in ids.chunks(CHUNK) {
            let mut stmt = self.conn().prepare(&format!("{select} ({})", marks(chunk.len())))?;
            for id in stmt.query_map(params_from_iter(chunk), |r| r.get::<_, String>(0))? {
                out.insert(id?);
            }
        }
        Ok(out.into_iter().collect())
    }
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ops::{NewCode, NewCoding};

    #[test]
    fn places_log_points_and_documents_by_participant_wave_and_coder() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.codeloom")).unwrap();
        assert_eq!(p.log_point().unwrap(), (0, None));
        let doc = |name: &str, participant: Option<&str>, wave: Option<&str>| crate::import::ParsedDocument {
            source: format!("{name}.txt").into(),
            original_name: format!("{name}.txt"),
            name: name.into(),
            format: "txt".into(),
            text: format!("P01: {name} talks."),
            turns: vec![],
            participant: participant.map(str::to_string),
            wave: wave.map(str::to_string),
            warnings: vec![],
        };
        p.import_documents(vec![doc("A", Some("P01"), Some("BL")), doc("B", Some("P02"), None), doc("C", None, None)])
            .unwrap();
        let (seq, id) = p.log_point().unwrap();
        assert!(seq > 0 && id.is_some());
        assert_eq!(p.operation_id(seq).unwrap(), id);
        assert_eq!(p.operation_id(seq + 1).unwrap(), None);

        let mut places = p.document_places().unwrap();
        places.sort_by(|a, b| a.name.cmp(&b.name));
        let shown: Vec<(&str, Option<&str>, Option<&str>)> =
            places.iter().map(|d| (d.name.as_str(), d.participant.as_deref(), d.wave.as_deref())).collect();
        assert_eq!(shown, [("A", Some("P01"), Some("BL")), ("B", Some("P02"), None), ("C", None, None)]);
        let a = places[0].clone();
        assert_eq!(p.document_places_of(&[a.id.clone(), "nope".into()]).unwrap(), std::slice::from_ref(&a));

        let p01 = a.participant_id.clone().unwrap();
        assert_eq!(p.documents_of_participants(&[p01]).unwrap(), std::slice::from_ref(&a.id));
        let bl = p.waves().unwrap().remove(0).id;
        assert_eq!(p.documents_in_waves(&[bl]).unwrap(), std::slice::from_ref(&a.id));

        let code = p.create_code(NewCode { name: "X".into(), ..Default::default() }).unwrap();
        let coding = |document_id: &str, coder: &str| NewCoding {
            document_id: document_id.to_string(),
            start: 0,
            end: 3,
            code_id: code.clone(),
            coder: Some(coder.into()),
            memo: None,
            illustrative: false,
        };
        p.apply_codings(vec![coding(&a.id, "amara"), coding(&places[1].id, "ben")], "two").unwrap();
        let amara = p.coders().unwrap().into_iter().find(|c| c.name == "amara").unwrap().id;
        assert_eq!(p.documents_coded_by(&[amara]).unwrap(), std::slice::from_ref(&a.id));

        let memo = p.add_memo(crate::model::MemoTarget::Project, None, "Title", "Body").unwrap();
        let found = p.memos_by_id(&[memo.clone(), "nope".into()]).unwrap();
        assert_eq!(
            found.iter().map(|m| (m.id.as_str(), m.body.as_str())).collect::<Vec<_>>(),
            [(memo.as_str(), "Body")]
        );
    }
}
