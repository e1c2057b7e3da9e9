//! Saved codebook versions as stored: listing them with how many codings were made under
//! each, finding one by ID or name, and reading the code tree one saved. Saving a version is
//! [`Project::save_codebook_version`], one operation; comparing and reporting versions is
//! the codebook's.

use rusqlite::OptionalExtension;
use serde::Serialize;

use serde_json::json;

use super::log::Logged;
use super::ops::{int, s};
use super::{Project, new_id, now_ms};
use crate::error::{Error, Result};
use crate::model::Code;

/// A saved codebook version.
#[derive(Debug, Clone, Serialize)]
pub struct CodebookVersion {
    pub id: String,
    pub name: String,
    pub note: String,
    pub created_at_ms: i64,
    pub created_by: Option<String>,
    /// Codes in the saved tree.
    pub codes: usize,
    /// Codings (still in the project) that were made under this version.
    pub codings: usize,
}

impl Project {
    /// Every saved codebook version, oldest first.
    pub fn codebook_versions(&self) -> Result<Vec<CodebookVersion>> {
        let conn = self.conn();
        let mut counts = std::collections::HashMap::new();
        {
            let mut stmt = conn.prepare(
                "SELECT codebook_version_id, count(*) FROM codings WHERE codebook_version_id IS NOT NULL GROUP BY 1",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                counts.insert(r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize);
            }
        }
        let mut stmt = conn.prepare(
            "SELECT id, name, note, created_at, created_by, snapshot FROM codebook_versions ORDER BY created_at, rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, note, created_at_ms, created_by, snapshot) = row?;
            let codes: Vec<Code> = serde_json::from_str(&snapshot)?;
            out.push(CodebookVersion {
                codings: counts.get(&id).copied().unwrap_or(0),
                codes: codes.len(),
                id,
                name,
                note,
                created_at_ms,
                created_by,
            });
        }
        Ok(out)
    }

    /// The ID and name of the version whose ID is `query` or whose name is `query`
    /// (case-insensitively), if there is one.
    pub fn find_codebook_version(&self, query: &str) -> Result<Option<(String, String)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, name FROM codebook_versions WHERE id = ?1 OR lower(name) = lower(?1) ORDER BY id = ?1 DESC LIMIT 1",
                [query],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// The code tree the version with this ID saved.
    pub fn codebook_version_codes(&self, id: &str) -> Result<Vec<Code>> {
        let snapshot: String =
            self.conn().query_row("SELECT snapshot FROM codebook_versions WHERE id = ?1", [id], |r| r.get(0))?;
        Ok(serde_json::from_str(&snapshot)?)
    }

    /// Saves the current code tree as a named, immutable codebook version; codings made
    /// from now on record it.
    pub fn save_codebook_version(&mut self, name: &str, note: &str) -> Result<String> {
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(Error::Invalid("a codebook version needs a name".into()));
        }
        let snapshot = serde_json::to_string(&self.codes()?)?;
        self.execute("save_codebook_version", |w, coder| {
            let taken: Option<String> = w
                .conn()
                .query_row("SELECT id FROM codebook_versions WHERE name = ?1", [&name], |r| r.get(0))
                .optional()?;
            if taken.is_some() {
                return Err(Error::Invalid(format!("a codebook version named \"{name}\" already exists")));
            }
            let id = new_id();
            w.insert(
                "codebook_versions",
                &[
                    ("id", s(&id)),
                    ("name", s(&name)),
                    ("note", s(note)),
                    ("snapshot", s(&snapshot)),
                    ("created_at", int(now_ms())),
                    ("created_by", s(coder)),
                ],
            )?;
            Ok(Logged {
                summary: format!("Save codebook version {name}"),
                payload: json!({"id": id, "name": name, "note": note}),
                value: id,
            })
        })
    }
}
