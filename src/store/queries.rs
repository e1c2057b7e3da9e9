//! Reading a project: documents, turns, participants, waves, codes, codings, memos.
//! Nothing here writes.

use super::Project;
use crate::error::{Error, Result};
use crate::model::{
    AttributeKind, AttributeValue, Code, CodeDescription, Coding, Document, Memo, MemoTarget, Participant, Turn, Wave,
};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;
use std::collections::HashMap;

/// A document with the counts a list of documents shows.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSummary {
    #[serde(flatten)]
    pub document: Document,
    pub turn_count: usize,
    pub speakers: Vec<String>,
    pub coding_count: usize,
}

/// An attribute definition.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeDef {
    pub id: String,
    pub name: String,
    pub kind: AttributeKind,
}

/// A coder.
#[derive(Debug, Clone, Serialize)]
pub struct Coder {
    pub id: String,
    pub name: String,
}

/// Which codings to list.
#[derive(Debug, Clone, Default)]
pub struct CodingFilter {
    pub document_id: Option<String>,
    pub code_id: Option<String>,
    pub coder: Option<String>,
}

/// How often a code is used.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CodeCounts {
    pub codings: usize,
    pub documents: usize,
    pub participants: usize,
}

const DOC_COLS: &str =
    "d.id, d.name, d.original_name, d.format, d.content_hash, d.char_count, p.label, w.name, d.revision, d.imported_at";
const DOC_FROM: &str =
    "FROM documents d LEFT JOIN participants p ON p.id = d.participant_id LEFT JOIN waves w ON w.id = d.wave_id";

fn document_from_row(r: &Row) -> rusqlite::Result<Document> {
    Ok(Document {
        id: r.get(0)?,
        name: r.get(1)?,
        original_name: r.get(2)?,
        format: r.get(3)?,
        content_hash: r.get(4)?,
        char_count: r.get::<_, i64>(5)? as usize,
        participant: r.get(6)?,
        wave: r.get(7)?,
        revision: r.get(8)?,
        imported_at_ms: r.get(9)?,
    })
}

const CODE_COLS: &str = "id, name, parent_id, color, definition, inclusion, exclusion, example, position";

fn code_from_row(r: &Row) -> rusqlite::Result<Code> {
    Ok(Code {
        id: r.get(0)?,
        name: r.get(1)?,
        parent_id: r.get(2)?,
        color: r.get(3)?,
        description: CodeDescription {
            definition: r.get(4)?,
            inclusion: r.get(5)?,
            exclusion: r.get(6)?,
            example: r.get(7)?,
        },
        position: r.get(8)?,
    })
}

const CODING_COLS: &str = "c.id, c.document_id, c.start, c.\"end\", c.code_id, k.name, c.codebook_version_id, c.memo, c.illustrative, c.created_at";

fn coding_from_row(r: &Row) -> rusqlite::Result<Coding> {
    Ok(Coding {
        id: r.get(0)?,
        document_id: r.get(1)?,
        start: r.get::<_, i64>(2)? as usize,
        end: r.get::<_, i64>(3)? as usize,
        code_id: r.get(4)?,
        coder: r.get(5)?,
        codebook_version_id: r.get(6)?,
        memo: r.get(7)?,
        illustrative: r.get::<_, i64>(8)? != 0,
        created_at_ms: r.get(9)?,
    })
}

impl Project {
    /// All documents, ordered by participant, wave order and name, with their counts.
    pub fn documents(&self) -> Result<Vec<DocumentSummary>> {
        self.summaries_where("1", &[])
    }

    /// Document summaries matching a condition on `d` (documents), in the project's order:
    /// one row each, from the counts every document keeps (schema 4 on); a file of an
    /// older schema opened read-only has them counted here instead.
    pub(crate) fn summaries_where(&self, condition: &str, params: &[String]) -> Result<Vec<DocumentSummary>> {
        if self.opened_schema() < 4 {
            return self.summaries_counted(condition, params);
        }
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {DOC_COLS}, d.turn_count, d.speakers, d.coding_count {DOC_FROM} WHERE {condition}
             ORDER BY p.label IS NULL, p.label COLLATE natural_order, w.position IS NULL, w.position, d.name COLLATE natural_order"
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            let speakers: String = r.get(11)?;
            Ok(DocumentSummary {
                document: document_from_row(r)?,
                turn_count: r.get::<_, i64>(10)? as usize,
                speakers: serde_json::from_str(&speakers).unwrap_or_default(),
                coding_count: r.get::<_, i64>(12)? as usize,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// [`Project::summaries_where`] for files without stored counts: counted from turns
    /// and codings.
    fn summaries_counted(&self, condition: &str, params: &[String]) -> Result<Vec<DocumentSummary>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {DOC_COLS} {DOC_FROM} WHERE {condition}
             ORDER BY p.label IS NULL, p.label COLLATE natural_order, w.position IS NULL, w.position, d.name COLLATE natural_order"
        ))?;
        let docs = stmt
            .query_map(rusqlite::params_from_iter(params), document_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut turns = self.conn().prepare_cached(
            "SELECT speaker, count(*), min(ordinal) FROM turns WHERE document_id = ?1 GROUP BY speaker ORDER BY min(ordinal)",
        )?;
        let mut codings = self.conn().prepare_cached("SELECT count(*) FROM codings WHERE document_id = ?1")?;
        let mut out = Vec::with_capacity(docs.len());
        for document in docs {
            let mut turn_count = 0;
            let mut speakers = Vec::new();
            let mut rows = turns.query([&document.id])?;
            while let Some(r) = rows.next()? {
                turn_count += r.get::<_, i64>(1)? as usize;
                if let Some(s) = r.get::<_, Option<String>>(0)? {
                    speakers.push(s);
                }
            }
            let coding_count = codings.query_row([&document.id], |r| r.get::<_, i64>(0))? as usize;
            out.push(DocumentSummary { document, turn_count, speakers, coding_count });
        }
        Ok(out)
    }

    /// One document by ID.
    pub fn document(&self, id: &str) -> Result<Document> {
        self.conn()
            .query_row(&format!("SELECT {DOC_COLS} {DOC_FROM} WHERE d.id = ?1"), [id], document_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound { kind: "document", query: id.to_string() })
    }

    /// A document's stored text. Text that is not valid UTF-8 (a damaged page) is
    /// reported as damage to the file, naming the document.
    pub fn document_text(&self, id: &str) -> Result<String> {
        let found: Option<(String, Vec<u8>)> = self
            .conn()
            .query_row("SELECT name, CAST(text AS BLOB) FROM documents WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (name, bytes) = found.ok_or_else(|| Error::NotFound { kind: "document", query: id.to_string() })?;
        String::from_utf8(bytes).map_err(|e| {
            super::damaged(
                self.path(),
                &format!(
                    "the text of document \"{name}\" is not valid UTF-8 from byte {}",
                    e.utf8_error().valid_up_to()
                ),
            )
        })
    }

    /// One turn of a document, by its place among the document's turns (from 0), with
    /// its text: the characters from its start to its end, which SQLite cuts from the
    /// stored text (turns are numbered from 0 when their document is stored and never
    /// renumbered). `None` when the document has no such turn, or when its text is
    /// shorter than the turn says. Text that is not valid UTF-8 is reported as damage.
    pub fn turn_with_text(&self, document_id: &str, ordinal: usize) -> Result<Option<(Turn, String)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT t.speaker, t.start, t.\"end\", t.time_start_ms, t.time_end_ms, \
                    CAST(substr(d.text, t.start + 1, max(t.\"end\" - t.start, 0)) AS BLOB) \
             FROM turns t JOIN documents d ON d.id = t.document_id WHERE t.document_id = ?1 AND t.ordinal = ?2",
        )?;
        let found = stmt
            .query_row(rusqlite::params![document_id, ordinal as i64], |r| {
                let turn = Turn {
                    speaker: r.get(0)?,
                    start: r.get::<_, i64>(1)? as usize,
                    end: r.get::<_, i64>(2)? as usize,
                    time_start_ms: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                    time_end_ms: r.get::<_, Option<i64>>(4)?.map(|v| v as u64),
                };
                Ok((turn, r.get::<_, Vec<u8>>(5)?))
            })
            .optional()?;
        let Some((turn, bytes)) = found else { return Ok(None) };
        let text = String::from_utf8(bytes).map_err(|e| {
            super::damaged(
                self.path(),
                &format!(
                    "the text of turn {} of document {document_id} is not valid UTF-8 from byte {}",
                    ordinal + 1,
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        let whole = text.chars().count() == turn.end.saturating_sub(turn.start);
        Ok(whole.then_some((turn, text)))
    }

    /// A document's turns, in order.
    pub fn turns(&self, document_id: &str) -> Result<Vec<Turn>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT speaker, start, \"end\", time_start_ms, time_end_ms FROM turns WHERE document_id = ?1 ORDER BY ordinal",
        )?;
        let rows = stmt.query_map([document_id], |r| {
            Ok(Turn {
                speaker: r.get(0)?,
                start: r.get::<_, i64>(1)? as usize,
                end: r.get::<_, i64>(2)? as usize,
                time_start_ms: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                time_end_ms: r.get::<_, Option<i64>>(4)?.map(|v| v as u64),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Finds a document by ID, name or original file name (names case-insensitively).
    pub fn resolve_document(&self, query: &str) -> Result<String> {
        let q = query.trim();
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name FROM documents WHERE id = ?1 OR lower(name) = lower(?1) OR lower(original_name) = lower(?1)",
        )?;
        let found: Vec<(String, String)> =
            stmt.query_map([q], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        if let Some((id, _)) = found.iter().find(|(id, _)| id == q) {
            return Ok(id.clone());
        }
        one_of("document", q, found)
    }

    /// All participants with their attribute values, by label.
    pub fn participants(&self) -> Result<Vec<Participant>> {
        let conn = self.conn();
        let mut values: HashMap<String, Vec<(String, AttributeValue)>> = HashMap::new();
        {
            let mut stmt = conn.prepare(
                "SELECT v.participant_id, a.name, a.kind, v.value FROM attribute_values v JOIN attributes a ON a.id = v.attribute_id ORDER BY a.position",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let kind: String = r.get(2)?;
                values.entry(r.get(0)?).or_default().push((
                    r.get(1)?,
                    AttributeValue {
                        kind: AttributeKind::parse(&kind).unwrap_or(AttributeKind::Text),
                        value: r.get(3)?,
                    },
                ));
            }
        }
        let mut stmt = conn.prepare("SELECT id, label FROM participants ORDER BY label COLLATE natural_order")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, label) = row?;
            out.push(Participant { attributes: values.remove(&id).unwrap_or_default(), id, label });
        }
        Ok(out)
    }

    /// The attribute definitions, in column order.
    pub fn attributes(&self) -> Result<Vec<AttributeDef>> {
        let mut stmt = self.conn().prepare("SELECT id, name, kind FROM attributes ORDER BY position")?;
        let rows = stmt.query_map([], |r| {
            let kind: String = r.get(2)?;
            Ok(AttributeDef {
                id: r.get(0)?,
                name: r.get(1)?,
                kind: AttributeKind::parse(&kind).unwrap_or(AttributeKind::Text),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The waves in time order.
    pub fn waves(&self) -> Result<Vec<Wave>> {
        let mut stmt = self.conn().prepare("SELECT id, name, position FROM waves ORDER BY position")?;
        let rows = stmt.query_map([], |r| Ok(Wave { id: r.get(0)?, name: r.get(1)?, position: r.get(2)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The coders known to the project.
    pub fn coders(&self) -> Result<Vec<Coder>> {
        let mut stmt = self.conn().prepare("SELECT id, name FROM coders ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok(Coder { id: r.get(0)?, name: r.get(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The whole code tree, parents before children, siblings in order.
    pub fn codes(&self) -> Result<Vec<Code>> {
        let mut stmt = self.conn().prepare(&format!("SELECT {CODE_COLS} FROM codes ORDER BY position, name"))?;
        let all = stmt.query_map([], code_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut children: HashMap<Option<String>, Vec<Code>> = HashMap::new();
        for c in all {
            children.entry(c.parent_id.clone()).or_default().push(c);
        }
        let mut out = Vec::new();
        fn walk(parent: Option<String>, children: &mut HashMap<Option<String>, Vec<Code>>, out: &mut Vec<Code>) {
            for c in children.remove(&parent).unwrap_or_default() {
                let id = c.id.clone();
                out.push(c);
                walk(Some(id), children, out);
            }
        }
        walk(None, &mut children, &mut out);
        Ok(out)
    }

    /// One code by ID.
    pub fn code(&self, id: &str) -> Result<Code> {
        self.conn()
            .query_row(&format!("SELECT {CODE_COLS} FROM codes WHERE id = ?1"), [id], code_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound { kind: "code", query: id.to_string() })
    }

    /// The path of a code from its theme, such as `Managing pain / Pacing`.
    pub fn code_path(&self, id: &str) -> Result<String> {
        let mut names = Vec::new();
        let mut cur = Some(id.to_string());
        while let Some(c) = cur {
            let code = self.code(&c)?;
            names.push(code.name);
            cur = code.parent_id;
            if names.len() > 64 {
                break;
            }
        }
        names.reverse();
        Ok(names.join(" / "))
    }

    /// Finds a code by ID, by name (case-insensitively) or by path (`Theme / Code`).
    pub fn resolve_code(&self, query: &str) -> Result<String> {
        let q = query.trim();
        if let Ok(c) = self.code(q) {
            return Ok(c.id);
        }
        let codes = self.codes()?;
        if q.contains('/') {
            let want: Vec<String> = q.split('/').map(|s| s.trim().to_lowercase()).collect();
            let mut found = Vec::new();
            for c in &codes {
                let path = self.code_path(&c.id)?;
                let parts: Vec<String> = path.split(" / ").map(|s| s.to_lowercase()).collect();
                if parts.ends_with(&want) {
                    found.push((c.id.clone(), path));
                }
            }
            return one_of("code", q, found);
        }
        let found: Vec<(String, String)> = codes
            .iter()
            .filter(|c| c.name.to_lowercase() == q.to_lowercase())
            .map(|c| Ok((c.id.clone(), self.code_path(&c.id)?)))
            .collect::<Result<_>>()?;
        one_of("code", q, found)
    }

    /// Codings matching `filter`, by document and position.
    pub fn codings(&self, filter: &CodingFilter) -> Result<Vec<Coding>> {
        let mut sql = format!("SELECT {CODING_COLS} FROM codings c JOIN coders k ON k.id = c.coder_id WHERE 1 = 1");
        let mut args: Vec<String> = Vec::new();
        if let Some(d) = &filter.document_id {
            args.push(d.clone());
            sql.push_str(&format!(" AND c.document_id = ?{}", args.len()));
        }
        if let Some(c) = &filter.code_id {
            args.push(c.clone());
            sql.push_str(&format!(" AND c.code_id = ?{}", args.len()));
        }
        if let Some(k) = &filter.coder {
            args.push(k.clone());
            sql.push_str(&format!(" AND k.name = ?{}", args.len()));
        }
        sql.push_str(" ORDER BY c.document_id, c.start, c.\"end\", c.id");
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), coding_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Hands every coding's place to `each` (document ID, code ID, coder name, start, end)
    /// in no particular order, borrowing the strings from the row: what agreement reads for
    /// a whole project without building a [`Coding`] per row.
    pub fn each_coding_span(&self, mut each: impl FnMut(&str, &str, &str, u64, u64)) -> Result<()> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT c.document_id, c.code_id, k.name, c.start, c.\"end\" FROM codings c JOIN coders k ON k.id = c.coder_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let start: i64 = r.get(3)?;
            let end: i64 = r.get(4)?;
            each(
                r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?,
                r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?,
                r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?,
                u64::try_from(start).unwrap_or(0),
                u64::try_from(end).unwrap_or(0),
            );
        }
        Ok(())
    }

    /// One coding by ID.
    pub fn coding(&self, id: &str) -> Result<Coding> {
        self.conn()
            .query_row(
                &format!("SELECT {CODING_COLS} FROM codings c JOIN coders k ON k.id = c.coder_id WHERE c.id = ?1"),
                [id],
                coding_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound { kind: "coding", query: id.to_string() })
    }

    /// Memos, optionally only those about one target.
    pub fn memos(&self, target: Option<(MemoTarget, Option<&str>)>) -> Result<Vec<Memo>> {
        let base = "SELECT m.id, m.target_kind, m.target_id, m.title, m.body, k.name, m.updated_at FROM memos m LEFT JOIN coders k ON k.id = m.coder_id";
        let map = memo_from_row;
        let out = match target {
            None => {
                let mut stmt = self.conn().prepare(&format!("{base} ORDER BY m.created_at"))?;
                stmt.query_map([], map)?.collect::<rusqlite::Result<Vec<_>>>()?
            }
            Some((kind, id)) => {
                let mut stmt = self
                    .conn()
                    .prepare(&format!("{base} WHERE m.target_kind = ?1 AND m.target_id IS ?2 ORDER BY m.created_at"))?;
                stmt.query_map(params![kind.as_str(), id], map)?.collect::<rusqlite::Result<Vec<_>>>()?
            }
        };
        Ok(out)
    }

    /// A project setting changed by operations (such as the file-name pattern).
    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        Ok(self.conn().query_row("SELECT value FROM settings WHERE id = ?1", [name], |r| r.get(0)).optional()?)
    }

    /// The newest saved codebook version, which new codings are recorded under.
    pub fn current_codebook_version(&self) -> Result<Option<(String, String)>> {
        Ok(self
            .conn()
            .query_row("SELECT id, name FROM codebook_versions ORDER BY created_at DESC, rowid DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }
}

fn one_of(kind: &'static str, query: &str, found: Vec<(String, String)>) -> Result<String> {
    match found.len() {
        0 => Err(Error::NotFound { kind, query: query.to_string() }),
        1 => Ok(found.into_iter().next().map(|(id, _)| id).unwrap_or_default()),
        _ => Err(Error::Ambiguous {
            kind,
            query: query.to_string(),
            candidates: found.iter().map(|(id, name)| format!("{name} ({id})")).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// A memo from a row of `SELECT m.id, m.target_kind, m.target_id, m.title, m.body,
/// k.name, m.updated_at FROM memos m LEFT JOIN coders k ...`.
pub(crate) fn memo_from_row(r: &Row) -> rusqlite::Result<Memo> {
    let kind: String = r.get(1)?;
    Ok(Memo {
        id: r.get(0)?,
        target: MemoTarget::parse(&kind).unwrap_or(MemoTarget::Project),
        target_id: r.get(2)?,
        title: r.get(3)?,
        body: r.get(4)?,
        coder: r.get(5)?,
        updated_at_ms: r.get(6)?,
    })
}
