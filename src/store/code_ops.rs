//! Operations that reshape the code tree: merging several codes into one, splitting a
//! code into new codes with a chosen share of its codings, and moving a code to another
//! place in the tree. Renaming, redefining and recolouring are [`Project::update_code`];
//! deleting is [`Project::delete_code`]. Each method here is one undoable operation whose
//! log payload names every code and coding it touched, so codebook diffs can tell a
//! merge or a split from a plain deletion or creation.

use super::Project;
use super::log::Logged;
use super::ops::{check_sibling_name, code_name, int, opt, s};
use crate::error::{Error, Result};
use crate::model::{self, CodeDescription};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What [`Project::merge_codes`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MergedCodes {
    /// Codings moved to the target code.
    pub codings_moved: usize,
    /// Codings that became one with a coding of the same span by the same coder.
    pub duplicates_joined: usize,
    /// Memos about the merged codes, now about the target.
    pub memos_kept: usize,
    /// Child codes moved under the target.
    pub children_moved: usize,
}

/// One new code of a split and the codings that go to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SplitPart {
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default)]
    pub description: CodeDescription,
    /// IDs of codings of the split code that move to this new code.
    #[serde(default)]
    pub codings: Vec<String>,
}

fn parent_of(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT parent_id FROM codes WHERE id = ?1", [id], |r| r.get(0))?)
}

/// Whether `ancestor` is `id` or one of its ancestors; a cycle in the code tree is an error.
pub(crate) fn is_within(conn: &Connection, id: &str, ancestor: &str) -> Result<bool> {
    let mut cur = Some(id.to_string());
    let mut steps = 0;
    while let Some(c) = cur {
        if c == ancestor {
            return Ok(true);
        }
        cur = parent_of(conn, &c)?;
        steps += 1;
        if steps > 10_000 {
            return Err(Error::Invalid("the code tree has a cycle".into()));
        }
    }
    Ok(false)
}

fn strings(conn: &Connection, sql: &str, arg: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([arg], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Project {
    /// Merges `sources` into `target` as one operation: their codings are reassigned
    /// (two codings of the same span by the same coder become one, keeping both memos),
    /// memos about them are kept on the target, their child codes move under the
    /// target, and the merged codes are removed.
    pub fn merge_codes(&mut self, sources: &[String], target: &str) -> Result<MergedCodes> {
        self.execute("merge_codes", |w, _| {
            let target_name = code_name(w.conn(), target)?;
            let mut out = MergedCodes::default();
            let mut merged = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for source in sources.iter().filter(|s| s.as_str() != target) {
                if !seen.insert(source.clone()) {
                    continue;
                }
                let name = code_name(w.conn(), source)?;
                if is_within(w.conn(), target, source)? {
                    return Err(Error::Invalid(format!(
                        "\"{target_name}\" lies under \"{name}\"; a code cannot be merged into one of its own codes"
                    )));
                }
                let mut moved = Vec::new();
                let mut joined = Vec::new();
                let codings: Vec<(String, String, i64, i64, String, Option<String>)> = {
                    let mut stmt = w.conn().prepare(
                        "SELECT id, document_id, start, \"end\", coder_id, memo FROM codings WHERE code_id = ?1 ORDER BY id",
                    )?;
                    stmt.query_map([source], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
                        .collect::<rusqlite::Result<_>>()?
                };
                for (id, doc, start, end, coder, memo) in codings {
                    let twin: Option<(String, Option<String>)> = w
                        .conn()
                        .query_row(
                            "SELECT id, memo FROM codings WHERE code_id = ?1 AND document_id = ?2 AND start = ?3 AND \"end\" = ?4 AND coder_id = ?5",
                            rusqlite::params![target, doc, start, end, coder],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .optional()?;
                    match twin {
                        Some((keep, keep_memo)) => {
                            let memo = match (keep_memo, memo) {
                                (Some(a), Some(b)) if a != b => Some(format!("{a}\n\n{b}")),
                                (a, b) => a.or(b),
                            };
                            w.update("codings", keep.as_str(), &[("memo", opt(memo.as_deref()))])?;
                            w.delete("codings", id.as_str())?;
                            joined.push(json!({"removed": id, "kept": keep}));
                        }
                        None => {
                            w.update("codings", id.as_str(), &[("code_id", s(target))])?;
                            moved.push(id);
                        }
                    }
                }
                let memos =
                    strings(w.conn(), "SELECT id FROM memos WHERE target_kind = 'code' AND target_id = ?1", source)?;
                for m in &memos {
                    w.update("memos", m.as_str(), &[("target_id", s(target))])?;
                }
                let kids = strings(w.conn(), "SELECT id FROM codes WHERE parent_id = ?1 ORDER BY position", source)?;
                for k in &kids {
                    let kname = code_name(w.conn(), k)?;
                    check_sibling_name(w.conn(), &kname, Some(target), Some(k))?;
                    let pos: i64 = w.conn().query_row(
                        "SELECT coalesce(max(position) + 1, 0) FROM codes WHERE parent_id = ?1",
                        [target],
                        |r| r.get(0),
                    )?;
                    w.update("codes", k.as_str(), &[("parent_id", s(target)), ("position", int(pos))])?;
                }
                w.delete("codes", source.as_str())?;
                out.codings_moved += moved.len();
                out.duplicates_joined += joined.len();
                out.memos_kept += memos.len();
                out.children_moved += kids.len();
                merged.push(json!({"id": source, "name": name, "codings_moved": moved, "duplicates_joined": joined,
                                   "memos": memos, "children": kids}));
            }
            if merged.is_empty() {
                return Err(Error::Invalid("name at least one code other than the target to merge".into()));
            }
            let names: Vec<&str> = merged.iter().filter_map(|m| m["name"].as_str()).collect();
            Ok(Logged {
                summary: format!(
                    "Merge {} into {target_name} ({} codings moved, {} joined)",
                    names.join(", "),
                    out.codings_moved,
                    out.duplicates_joined
                ),
                payload: json!({"target": target, "target_name": target_name, "merged": merged}),
                value: out,
            })
        })
    }

    /// Splits a code: creates one new code per part, beside it in the tree, and moves
    /// the part's codings to it. Codings not given to a part stay on the original code;
    /// with `remove_original` every coding must go to a part and the original is removed
    /// (its memos move to the first part). Returns the new codes' IDs.
    pub fn split_code(&mut self, id: &str, parts: Vec<SplitPart>, remove_original: bool) -> Result<Vec<String>> {
        if parts.is_empty() {
            return Err(Error::Invalid("a split needs at least one new code".into()));
        }
        self.execute("split_code", |w, coder| {
            let name = code_name(w.conn(), id)?;
            let parent = parent_of(w.conn(), id)?;
            let codings = strings(w.conn(), "SELECT id FROM codings WHERE code_id = ?1", id)?;
            let owned: std::collections::HashSet<&str> = codings.iter().map(|c| c.as_str()).collect();
            let mut given = std::collections::HashSet::new();
            for p in &parts {
                for c in &p.codings {
                    if !owned.contains(c.as_str()) {
                        return Err(Error::Invalid(format!("coding {c} is not a coding of \"{name}\"")));
                    }
                    if !given.insert(c.as_str()) {
                        return Err(Error::Invalid(format!("coding {c} is given to more than one new code")));
                    }
                }
            }
            if remove_original {
                let left = codings.len() - given.len();
                if left > 0 {
                    return Err(Error::Invalid(format!(
                        "{left} codings of \"{name}\" are not given to a new code; give each one a new code or keep \"{name}\""
                    )));
                }
                let kids: i64 = w.conn().query_row("SELECT count(*) FROM codes WHERE parent_id = ?1", [id], |r| r.get(0))?;
                if kids > 0 {
                    return Err(Error::Invalid(format!(
                        "\"{name}\" has {kids} child codes; move them before removing it"
                    )));
                }
            }
            let mut ids = Vec::new();
            let mut logged = Vec::new();
            let count: i64 = w.conn().query_row("SELECT count(*) FROM codes", [], |r| r.get(0))?;
            for (i, p) in parts.iter().enumerate() {
                let new = crate::store::ops::NewCode {
                    id: None,
                    name: p.name.clone(),
                    parent_id: parent.clone(),
                    color: Some(p.color.clone().unwrap_or_else(|| model::default_color(count as usize + i))),
                    description: p.description.clone(),
                };
                let new_id = crate::store::ops::insert_code(w, coder, &new)?;
                for c in &p.codings {
                    w.update("codings", c.as_str(), &[("code_id", s(&new_id))])?;
                }
                logged.push(json!({"id": new_id, "name": p.name.trim(), "codings": p.codings}));
                ids.push(new_id);
            }
            if remove_original {
                let memos = strings(w.conn(), "SELECT id FROM memos WHERE target_kind = 'code' AND target_id = ?1", id)?;
                for m in &memos {
                    w.update("memos", m.as_str(), &[("target_id", s(&ids[0]))])?;
                }
                w.delete("codes", id)?;
            }
            let names: Vec<&str> = parts.iter().map(|p| p.name.trim()).collect();
            Ok(Logged {
                summary: format!("Split code {name} into {} ({} codings moved)", names.join(", "), given.len()),
                payload: json!({"id": id, "name": name, "parts": logged, "original_removed": remove_original}),
                value: ids,
            })
        })
    }

    /// Moves a code under `parent` (or to the top level with `None`), at `position`
    /// among its new siblings (at the end with `None`).
    pub fn move_code(&mut self, id: &str, parent: Option<&str>, position: Option<usize>) -> Result<()> {
        self.execute("move_code", |w, _| {
            let name = code_name(w.conn(), id)?;
            let old_parent = parent_of(w.conn(), id)?;
            if let Some(p) = parent {
                code_name(w.conn(), p)?;
                if is_within(w.conn(), p, id)? {
                    return Err(Error::Invalid(format!(
                        "\"{name}\" cannot be moved under itself or one of its own codes"
                    )));
                }
            }
            check_sibling_name(w.conn(), &name, parent, Some(id))?;
            let siblings: Vec<String> = {
                let mut stmt = w
                    .conn()
                    .prepare("SELECT id FROM codes WHERE parent_id IS ?1 AND id <> ?2 ORDER BY position, name")?;
                stmt.query_map(rusqlite::params![parent, id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
            };
            let at = position.unwrap_or(siblings.len()).min(siblings.len());
            let mut order = siblings;
            order.insert(at, id.to_string());
            w.update("codes", id, &[("parent_id", opt(parent))])?;
            for (i, c) in order.iter().enumerate() {
                w.update("codes", c.as_str(), &[("position", int(i))])?;
            }
            let to = match parent {
                Some(p) => code_name(w.conn(), p)?,
                None => "the top level".into(),
            };
            Ok(Logged {
                value: (),
                summary: format!("Move code {name} to {to}"),
                payload: json!({"id": id, "name": name, "old_parent": old_parent, "parent": parent, "position": at}),
            })
        })
    }
}

impl Project {
    /// Creates a code and gives one coding that code, as one operation (the picker's
    /// "Create code" while recoding): undo takes both back.
    pub fn recode_to_new_code(&mut self, coding_id: &str, code: super::ops::NewCode) -> Result<String> {
        self.execute("recode_to_new_code", |w, coder| {
            let old: String = w
                .conn()
                .query_row("SELECT code_id FROM codings WHERE id = ?1", [coding_id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::NotFound { kind: "coding", query: coding_id.to_string() })?;
            let code_id = super::ops::insert_code(w, coder, &code)?;
            w.update("codings", coding_id, &[("code_id", s(&code_id))])?;
            Ok(Logged {
                summary: format!("Create code {} and recode a coding of {} to it", code.name.trim(), code_name(w.conn(), &old)?),
                payload: json!({"code_id": code_id, "name": code.name.trim(), "parent_id": code.parent_id, "coding": coding_id, "from": old}),
                value: code_id,
            })
        })
    }
}
