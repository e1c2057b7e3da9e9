//! Memos: the researcher's notes about the project, a document, a participant or a code.
//! Each public method is one operation: one transaction, one log entry, undoable.

use serde_json::json;

use super::changes::Writer;
use super::log::Logged;
use super::rows::{ensure_coder, int, opt, s};
use super::{Project, new_id, now_ms};
use crate::error::{Error, Result};
use crate::model::MemoTarget;

/// Removes the memos about one object (a code, document or participant).
pub fn delete_memos_about(w: &mut Writer, kind: MemoTarget, id: &str) -> Result<()> {
    let ids: Vec<String> = {
        let mut stmt = w.conn().prepare("SELECT id FROM memos WHERE target_kind = ?1 AND target_id = ?2")?;
        stmt.query_map([kind.as_str(), id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    for m in ids {
        w.delete("memos", m.as_str())?;
    }
    Ok(())
}

/// A memo row to write (see [`add_memo_row`]).
#[derive(Debug, Clone, Copy)]
pub struct MemoRow<'a> {
    pub id: &'a str,
    pub target: MemoTarget,
    pub target_id: Option<&'a str>,
    pub title: &'a str,
    pub body: &'a str,
    pub coder_id: Option<&'a str>,
    pub at_ms: i64,
}

/// The one way a memo row is written: with its own ID, created and updated at `at_ms`.
pub fn add_memo_row(w: &mut Writer, m: &MemoRow<'_>) -> Result<()> {
    w.insert(
        "memos",
        &[
            ("id", s(m.id)),
            ("target_kind", s(m.target.as_str())),
            ("target_id", opt(m.target_id)),
            ("title", s(m.title)),
            ("body", s(m.body)),
            ("coder_id", opt(m.coder_id)),
            ("created_at", int(m.at_ms)),
            ("updated_at", int(m.at_ms)),
        ],
    )
}

impl Project {
    /// Writes a memo about the project, a document, a participant or a code.
    pub fn add_memo(&mut self, target: MemoTarget, target_id: Option<&str>, title: &str, body: &str) -> Result<String> {
        if target != MemoTarget::Project && target_id.is_none() {
            return Err(Error::Invalid(format!("a memo about a {} needs its ID", target.as_str())));
        }
        self.execute("add_memo", |w, coder| {
            let coder_id = ensure_coder(w, coder)?;
            let id = new_id();
            add_memo_row(
                w,
                &MemoRow { id: &id, target, target_id, title, body, coder_id: Some(&coder_id), at_ms: now_ms() },
            )?;
            Ok(Logged {
                summary: format!(
                    "Write memo on {} \"{}\"",
                    target.as_str(),
                    if title.is_empty() { "untitled" } else { title }
                ),
                payload: json!({"id": id, "target": target, "target_id": target_id, "title": title}),
                value: id,
            })
        })
    }

    /// Changes a memo's title and text.
    pub fn update_memo(&mut self, id: &str, title: &str, body: &str) -> Result<()> {
        self.execute("update_memo", |w, _| {
            w.update("memos", id, &[("title", s(title)), ("body", s(body)), ("updated_at", int(now_ms()))])?;
            Ok(Logged {
                value: (),
                summary: format!("Edit memo \"{title}\""),
                payload: json!({"id": id, "title": title}),
            })
        })
    }

    /// Deletes a memo.
    pub fn delete_memo(&mut self, id: &str) -> Result<()> {
        self.execute("delete_memo", |w, _| {
            w.delete("memos", id)?;
            Ok(Logged { value: (), summary: "Delete memo".into(), payload: json!({"id": id}) })
        })
    }
}
