//! Copies for coders and merging them back.
//!
//! [`make_copy`] writes a copy of the project for one coder (blind: without the other
//! coders' codings and memos). The copy keeps the project's ID and records its base in
//! `meta` (`copy_base`): the code tree and the codings it started with. Its operation
//! log starts empty, so a coder can undo only their own work.
//!
//! [`plan_merge`] compares a returned copy with the project three ways against that base:
//! codes and codings by UUID, documents by ID or content hash. Changes made on one side
//! only are taken; changes made on both sides that differ are [`Conflict`]s, resolved
//! one by one with [`MergePlan::resolve`]. [`Project::merge_copy`] then applies the plan
//! as one undoable operation and returns a [`MergeReport`] that accounts for every coding
//! of the copy and of its base. Merging the same copy again changes nothing.

use crate::error::{Error, Result};
use crate::model::{Code, CodeDescription, Coding, Memo};
use crate::store::log::Logged;
use crate::store::ops::{code_name, ensure_coder, int, opt, s};
use crate::store::queries::CodingFilter;
use crate::store::{Project, new_id, now_ms};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The `meta` key under which a copy records its base.
pub const COPY_BASE_KEY: &str = "copy_base";

/// A coding as it was when the copy was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseCoding {
    pub id: String,
    pub document_id: String,
    pub start: usize,
    pub end: usize,
    pub code_id: String,
    pub memo: Option<String>,
    pub illustrative: bool,
}

impl From<&Coding> for BaseCoding {
    fn from(c: &Coding) -> Self {
        BaseCoding {
            id: c.id.clone(),
            document_id: c.document_id.clone(),
            start: c.start,
            end: c.end,
            code_id: c.code_id.clone(),
            memo: c.memo.clone(),
            illustrative: c.illustrative,
        }
    }
}

/// What a copy started from: the common base of a three-way merge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CopyBase {
    pub copy_id: String,
    pub project_id: String,
    /// The project's change counter when the copy was made.
    pub change_counter: i64,
    pub coder: String,
    pub blind: bool,
    pub made_at_ms: i64,
    pub codes: Vec<Code>,
    pub codings: Vec<BaseCoding>,
}

/// Writes a copy of `project` for `coder` at `out` (which must not exist). With
/// `blind`, the other coders' codings and memos are left out. The copy is built beside
/// `out` and appears there only when complete (see [`crate::output::create_new`]).
pub fn make_copy(project: &Project, coder: &str, out: &Path, blind: bool) -> Result<CopyBase> {
    let coder = coder.trim();
    if coder.is_empty() {
        return Err(Error::Invalid("a copy needs the name of the coder it is for".into()));
    }
    crate::output::create_new(out, &crate::output::Protect::project(project.path()), |staged| {
        let target = staged
            .to_str()
            .ok_or_else(|| Error::Project { path: out.to_path_buf(), message: "the path is not valid UTF-8".into() })?;
        project
            .conn()
            .execute("VACUUM INTO ?1", [target])
            .map_err(|e| Error::Project { path: out.to_path_buf(), message: format!("cannot write the copy: {e}") })?;
        let mut conn = Connection::open(staged)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let tx = conn.transaction()?;
        if blind {
            tx.execute("DELETE FROM codings WHERE coder_id NOT IN (SELECT id FROM coders WHERE name = ?1)", [coder])?;
            tx.execute(
                "DELETE FROM memos WHERE coder_id IS NOT NULL AND coder_id NOT IN (SELECT id FROM coders WHERE name = ?1)",
                [coder],
            )?;
        }
        // The copy's history starts now: undo in the copy must not reach back into the
        // project's past, and a blind copy must not keep others' codings in row images.
        tx.execute("DELETE FROM operations", [])?;
        tx.commit()?;
        drop(conn);
        let copy = Project::open(staged)?;
        let base = CopyBase {
            copy_id: new_id(),
            project_id: project.project_id()?,
            change_counter: project.change_counter()?,
            coder: coder.to_string(),
            blind,
            made_at_ms: now_ms(),
            codes: copy.codes()?,
            codings: copy.codings(&CodingFilter::default())?.iter().map(BaseCoding::from).collect(),
        };
        copy.conn().execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            [COPY_BASE_KEY, &serde_json::to_string(&base)?],
        )?;
        copy.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(base)
    })
}

/// The base recorded in a copy, if the project is one.
pub fn copy_base(project: &Project) -> Result<Option<CopyBase>> {
    let raw: Option<String> =
        project.conn().query_row("SELECT value FROM meta WHERE key = ?1", [COPY_BASE_KEY], |r| r.get(0)).optional()?;
    raw.map(|r| serde_json::from_str(&r).map_err(Error::from)).transpose()
}

/// What two sides disagree about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Renamed differently on both sides.
    Renamed,
    /// Moved to different places.
    Moved,
    /// Definition, inclusion, exclusion or example changed differently.
    Redefined,
    Recoloured,
    /// Deleted in the project but changed or used in the copy.
    DeletedInProject,
    /// Deleted in the copy but still used (or changed) in the project.
    DeletedInCopy,
}

/// Which side a conflict is resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// The project's version ("ours").
    Project,
    /// The copy's version ("theirs").
    Copy,
}

/// One conflict, with the base, project and copy values side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub id: usize,
    pub kind: ConflictKind,
    pub code_id: String,
    /// The code's name in the base.
    pub code: String,
    pub base: String,
    pub project: String,
    pub copy: String,
    /// Codings that depend on the choice.
    pub codings: usize,
    pub choice: Option<Choice>,
}

/// A merge worked out but not yet applied.
#[derive(Debug, Clone)]
pub struct MergePlan {
    pub copy_path: PathBuf,
    pub base: CopyBase,
    pub conflicts: Vec<Conflict>,
    theirs_codes: Vec<Code>,
    theirs_codings: Vec<Coding>,
    theirs_memos: Vec<Memo>,
    theirs_versions: Vec<(String, String, String, String, i64, Option<String>)>,
    /// The copy's document IDs to the project's.
    doc_map: HashMap<String, String>,
    doc_names: HashMap<String, String>,
}

impl MergePlan {
    /// Resolves one conflict.
    pub fn resolve(&mut self, conflict_id: usize, choice: Choice) -> Result<()> {
        let c = self
            .conflicts
            .get_mut(conflict_id)
            .ok_or_else(|| Error::NotFound { kind: "conflict", query: conflict_id.to_string() })?;
        c.choice = Some(choice);
        Ok(())
    }

    /// Resolves every conflict not yet resolved the same way.
    pub fn resolve_rest(&mut self, choice: Choice) {
        for c in self.conflicts.iter_mut().filter(|c| c.choice.is_none()) {
            c.choice = Some(choice);
        }
    }

    /// Conflicts still without a choice.
    pub fn unresolved(&self) -> usize {
        self.conflicts.iter().filter(|c| c.choice.is_none()).count()
    }

    fn choice(&self, code: &str, kind: ConflictKind) -> Option<Choice> {
        self.conflicts.iter().find(|c| c.code_id == code && c.kind == kind).and_then(|c| c.choice)
    }

    fn has_conflict(&self, code: &str, kind: ConflictKind) -> bool {
        self.conflicts.iter().any(|c| c.code_id == code && c.kind == kind)
    }
}

fn describe(d: &CodeDescription) -> String {
    let mut parts = vec![];
    for (label, v) in [
        ("definition", &d.definition),
        ("inclusion", &d.inclusion),
        ("exclusion", &d.exclusion),
        ("example", &d.example),
    ] {
        if !v.is_empty() {
            parts.push(format!("{label}: {v}"));
        }
    }
    parts.join("\n")
}

fn parent_label(paths: &HashMap<String, String>, p: &Option<String>) -> String {
    match p {
        None => "(top level)".into(),
        Some(p) => paths.get(p).cloned().unwrap_or_else(|| p.clone()),
    }
}

/// Works out how to merge the copy at `copy_path` into `project`; resolve its conflicts,
/// then apply it with [`Project::merge_copy`].
pub fn plan_merge(project: &Project, copy_path: &Path) -> Result<MergePlan> {
    let copy = Project::open(copy_path)?;
    let base = copy_base(&copy)?.ok_or_else(|| Error::Project {
        path: copy_path.to_path_buf(),
        message:
            "not a coder's copy (made with `codeloom copy`); to bring in a separately built codebook use reconcile"
                .into(),
    })?;
    if base.project_id != project.project_id()? {
        return Err(Error::Project {
            path: copy_path.to_path_buf(),
            message: "this is a copy of a different project".into(),
        });
    }
    let theirs_codes = copy.codes()?;
    let theirs_codings = copy.codings(&CodingFilter::default())?;
    let theirs_memos = copy.memos(None)?;
    let theirs_versions = {
        let mut stmt =
            copy.conn().prepare("SELECT id, name, note, snapshot, created_at, created_by FROM codebook_versions")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?
    };
    let ours_docs = project.documents()?;
    let mut doc_map = HashMap::new();
    let mut doc_names = HashMap::new();
    for d in copy.documents()? {
        let found = ours_docs
            .iter()
            .find(|o| o.document.id == d.document.id && o.document.content_hash == d.document.content_hash)
            .or_else(|| ours_docs.iter().find(|o| o.document.content_hash == d.document.content_hash));
        doc_names.insert(d.document.id.clone(), d.document.name.clone());
        if let Some(o) = found {
            doc_map.insert(d.document.id.clone(), o.document.id.clone());
        }
    }
    let mut plan = MergePlan {
        copy_path: copy_path.to_path_buf(),
        base,
        conflicts: vec![],
        theirs_codes,
        theirs_codings,
        theirs_memos,
        theirs_versions,
        doc_map,
        doc_names,
    };
    plan.conflicts = find_conflicts(&plan, &project.codes()?, &project.codings(&CodingFilter::default())?);
    Ok(plan)
}

fn find_conflicts(plan: &MergePlan, ours: &[Code], ours_codings: &[Coding]) -> Vec<Conflict> {
    let base = &plan.base;
    let ours_by: HashMap<&str, &Code> = ours.iter().map(|c| (c.id.as_str(), c)).collect();
    let theirs_by: HashMap<&str, &Code> = plan.theirs_codes.iter().map(|c| (c.id.as_str(), c)).collect();
    let base_by: HashMap<&str, &BaseCoding> = base.codings.iter().map(|c| (c.id.as_str(), c)).collect();
    let (ours_paths, theirs_paths, base_paths) =
        (super::diff::paths(ours), super::diff::paths(&plan.theirs_codes), super::diff::paths(&base.codes));
    let count_ours = |code: &str| ours_codings.iter().filter(|c| c.code_id == code).count();
    let mut out: Vec<Conflict> = vec![];
    let mut push = |kind, b: &Code, base_v: String, ours_v: String, theirs_v: String, codings| {
        out.push(Conflict {
            id: 0,
            kind,
            code_id: b.id.clone(),
            code: b.name.clone(),
            base: base_v,
            project: ours_v,
            copy: theirs_v,
            codings,
            choice: None,
        })
    };
    for b in &base.codes {
        match (ours_by.get(b.id.as_str()), theirs_by.get(b.id.as_str())) {
            (Some(o), Some(t)) => {
                let n = count_ours(&b.id);
                if o.name != b.name && t.name != b.name && o.name != t.name {
                    push(ConflictKind::Renamed, b, b.name.clone(), o.name.clone(), t.name.clone(), n);
                }
                if o.parent_id != b.parent_id && t.parent_id != b.parent_id && o.parent_id != t.parent_id {
                    push(
                        ConflictKind::Moved,
                        b,
                        parent_label(&base_paths, &b.parent_id),
                        parent_label(&ours_paths, &o.parent_id),
                        parent_label(&theirs_paths, &t.parent_id),
                        n,
                    );
                }
                if o.description != b.description && t.description != b.description && o.description != t.description {
                    push(
                        ConflictKind::Redefined,
                        b,
                        describe(&b.description),
                        describe(&o.description),
                        describe(&t.description),
                        n,
                    );
                }
                if o.color != b.color && t.color != b.color && o.color != t.color {
                    push(ConflictKind::Recoloured, b, b.color.clone(), o.color.clone(), t.color.clone(), n);
                }
            }
            (None, Some(t)) => {
                // Codings of the code that the copy made, moved onto it (recoded, or by a split
                // or merge of codes) or otherwise changed would be lost with it.
                let new_codings = plan
                    .theirs_codings
                    .iter()
                    .filter(|c| {
                        c.code_id == b.id
                            && base_by.get(c.id.as_str()).is_none_or(|x| !same_coding(&BaseCoding::from(*c), x))
                    })
                    .count();
                let changed = t.name != b.name || t.description != b.description || t.parent_id != b.parent_id;
                if new_codings > 0 || changed {
                    let theirs_v =
                        format!("{} (used by {new_codings} codings made or changed in the copy)", theirs_paths[&t.id]);
                    push(
                        ConflictKind::DeletedInProject,
                        b,
                        base_paths[&b.id].clone(),
                        "(deleted)".into(),
                        theirs_v,
                        new_codings,
                    );
                }
            }
            (Some(o), None) => {
                // Codings of the code the copy never saw: new in the project, or changed there
                // since the copy was made (the copy's deletion would silently drop the change).
                let unknown: Vec<&Coding> = ours_codings
                    .iter()
                    .filter(|c| {
                        c.code_id == b.id
                            && base_by.get(c.id.as_str()).is_none_or(|x| !same_coding(&BaseCoding::from(*c), x))
                    })
                    .collect();
                let new_children = ours.iter().any(|c| {
                    c.parent_id.as_deref() == Some(b.id.as_str())
                        && (theirs_by.contains_key(c.id.as_str()) || !base.codes.iter().any(|x| x.id == c.id))
                });
                let changed = o.name != b.name || o.description != b.description;
                if !unknown.is_empty() || new_children || changed {
                    let ours_v = format!(
                        "{} (used by {} codings the copy did not have or the project changed since)",
                        ours_paths[&o.id],
                        unknown.len()
                    );
                    push(
                        ConflictKind::DeletedInCopy,
                        b,
                        base_paths[&b.id].clone(),
                        ours_v,
                        "(deleted)".into(),
                        count_ours(&b.id),
                    );
                }
            }
            (None, None) => {}
        }
    }
    for (i, c) in out.iter_mut().enumerate() {
        c.id = i;
    }
    out
}

/// What happened to one coding in a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodingOutcome {
    /// New in the copy; added to the project.
    Added,
    /// Already in the project as it is in the copy.
    AlreadyPresent,
    /// Changed in the copy (recoded, resized, memo); the project now has the change.
    Updated,
    /// Changed in the project since the copy was made; the project's version is kept.
    KeptProject,
    /// The same span, code and coder is already coded in the project; not added twice.
    Duplicate,
    /// Removed in the copy; removed from the project.
    RemovedByCoder,
    /// Removed with its code, deleted in the copy (conflict resolved to the copy).
    RemovedWithCode,
    /// Removed from the project since the copy was made, and unchanged in the copy: stays removed.
    StaysRemoved,
    /// Not brought in; `reason` says why.
    NotMerged,
}

/// One coding's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct CodingLine {
    pub id: String,
    pub document: String,
    pub start: usize,
    pub end: usize,
    pub code: String,
    pub coder: String,
    pub outcome: CodingOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Everything a merge did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MergeReport {
    pub copy: String,
    pub coder: String,
    pub codes_added: Vec<String>,
    pub codes_changed: Vec<String>,
    pub codes_removed: Vec<String>,
    pub conflicts: Vec<Conflict>,
    pub codings: Vec<CodingLine>,
    pub memos_added: usize,
    pub versions_added: Vec<String>,
    /// Whether the project changed.
    pub changed: bool,
}

impl MergeReport {
    /// How many codings had each outcome.
    pub fn outcome_counts(&self) -> Vec<(CodingOutcome, usize)> {
        let mut out: Vec<(CodingOutcome, usize)> = vec![];
        for l in &self.codings {
            match out.iter_mut().find(|(o, _)| *o == l.outcome) {
                Some(e) => e.1 += 1,
                None => out.push((l.outcome, 1)),
            }
        }
        out
    }

    /// A readable report.
    pub fn to_text(&self) -> String {
        let mut out = format!("Merged the copy of {} ({})\n", self.coder, self.copy);
        if !self.changed {
            out.push_str("nothing changed: the project already has everything in this copy\n");
        }
        for (label, list) in [
            ("codes added", &self.codes_added),
            ("codes changed", &self.codes_changed),
            ("codes removed", &self.codes_removed),
        ] {
            if !list.is_empty() {
                out.push_str(&format!("{label}: {}\n", list.join(", ")));
            }
        }
        for c in &self.conflicts {
            out.push_str(&format!(
                "conflict {} {:?} on {}: base \"{}\", project \"{}\", copy \"{}\" -> {}\n",
                c.id,
                c.kind,
                c.code,
                c.base.replace('\n', "; "),
                c.project.replace('\n', "; "),
                c.copy.replace('\n', "; "),
                match c.choice {
                    Some(Choice::Project) => "kept the project's",
                    Some(Choice::Copy) => "took the copy's",
                    None => "unresolved",
                }
            ));
        }
        out.push_str("codings:");
        for (o, n) in self.outcome_counts() {
            out.push_str(&format!(
                " {} {n},",
                serde_json::to_value(o).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
            ));
        }
        out.pop();
        out.push('\n');
        for l in self.codings.iter().filter(|l| l.outcome == CodingOutcome::NotMerged) {
            out.push_str(&format!(
                "  not merged: {} [{}, {}) {} by {}: {}\n",
                l.document,
                l.start,
                l.end,
                l.code,
                l.coder,
                l.reason.as_deref().unwrap_or("")
            ));
        }
        if self.memos_added > 0 {
            out.push_str(&format!("memos added: {}\n", self.memos_added));
        }
        out
    }
}

fn same_coding(a: &BaseCoding, b: &BaseCoding) -> bool {
    a.start == b.start
        && a.end == b.end
        && a.code_id == b.code_id
        && a.memo == b.memo
        && a.illustrative == b.illustrative
}

fn is_within(conn: &Connection, id: &str, ancestor: &str) -> Result<bool> {
    let mut cur = Some(id.to_string());
    let mut steps = 0;
    while let Some(c) = cur {
        if c == ancestor {
            return Ok(true);
        }
        cur = conn.query_row("SELECT parent_id FROM codes WHERE id = ?1", [&c], |r| r.get(0)).optional()?.flatten();
        steps += 1;
        if steps > 10_000 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A name free among the siblings under `parent`, adding the coder's name if needed.
fn free_name(conn: &Connection, name: &str, parent: Option<&str>, except: Option<&str>, coder: &str) -> Result<String> {
    let mut candidate = name.to_string();
    let mut i = 1;
    loop {
        if crate::store::ops::sibling_named(conn, &candidate, parent, except)?.is_none() {
            return Ok(candidate);
        }
        i += 1;
        candidate = if i == 2 { format!("{name} ({coder})") } else { format!("{name} ({coder} {i})") };
    }
}

fn code_exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.query_row("SELECT 1 FROM codes WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some())
}

impl Project {
    /// Applies a merge plan in one operation. Every conflict must have a choice.
    pub fn merge_copy(&mut self, plan: &MergePlan) -> Result<MergeReport> {
        if plan.unresolved() > 0 {
            return Err(Error::Invalid(format!(
                "{} conflicts are not resolved; choose the project's or the copy's version for each",
                plan.unresolved()
            )));
        }
        let ours_codes = self.codes()?;
        let ours_codings = self.codings(&CodingFilter::default())?;
        let ours_memo_ids: HashSet<String> = self.memos(None)?.into_iter().map(|m| m.id).collect();
        let fresh = find_conflicts(plan, &ours_codes, &ours_codings);
        if fresh.len() != plan.conflicts.len()
            || fresh.iter().zip(&plan.conflicts).any(|(a, b)| a.code_id != b.code_id || a.kind != b.kind)
        {
            return Err(Error::Invalid("the project changed since this merge was planned; plan it again".into()));
        }
        let copy_label = plan.copy_path.display().to_string();
        let coder_of_copy = plan.base.coder.clone();
        self.execute("merge_copy", |w, _| {
            let conn = w.conn();
            let base = &plan.base;
            let mut report = MergeReport {
                copy: copy_label.clone(),
                coder: coder_of_copy.clone(),
                conflicts: plan.conflicts.clone(),
                ..Default::default()
            };
            let base_codes: HashMap<&str, &Code> = base.codes.iter().map(|c| (c.id.as_str(), c)).collect();
            let ours_by: HashMap<&str, &Code> = ours_codes.iter().map(|c| (c.id.as_str(), c)).collect();
            let theirs_by: HashMap<&str, &Code> = plan.theirs_codes.iter().map(|c| (c.id.as_str(), c)).collect();

            // Codebook versions saved in the copy.
            for (id, name, note, snapshot, created_at, created_by) in &plan.theirs_versions {
                let have: Option<String> =
                    conn.query_row("SELECT id FROM codebook_versions WHERE id = ?1", [id], |r| r.get(0)).optional()?;
                if have.is_some() {
                    continue;
                }
                let mut vname = name.clone();
                let mut i = 1;
                while conn
                    .query_row("SELECT 1 FROM codebook_versions WHERE name = ?1", [&vname], |_| Ok(()))
                    .optional()?
                    .is_some()
                {
                    i += 1;
                    vname = if i == 2 { format!("{name} ({coder_of_copy})") } else { format!("{name} ({coder_of_copy} {i})") };
                }
                w.insert(
                    "codebook_versions",
                    &[
                        ("id", s(id)),
                        ("name", s(&vname)),
                        ("note", s(note)),
                        ("snapshot", s(snapshot)),
                        ("created_at", int(*created_at)),
                        ("created_by", opt(created_by.as_deref())),
                    ],
                )?;
                report.versions_added.push(vname);
            }

            // 1. Codes new in the copy, or brought back from it, parents first.
            for t in &plan.theirs_codes {
                let in_base = base_codes.contains_key(t.id.as_str());
                let in_ours = ours_by.contains_key(t.id.as_str());
                let bring_back = in_base && !in_ours && plan.choice(&t.id, ConflictKind::DeletedInProject) == Some(Choice::Copy);
                if in_ours || (in_base && !bring_back) {
                    continue;
                }
                let parent = t.parent_id.as_deref().filter(|p| code_exists(conn, p).unwrap_or(false));
                let name = free_name(conn, &t.name, parent, None, &coder_of_copy)?;
                let position: i64 = conn.query_row(
                    "SELECT coalesce(max(position) + 1, 0) FROM codes WHERE parent_id IS ?1",
                    [parent],
                    |r| r.get(0),
                )?;
                let d = &t.description;
                w.insert(
                    "codes",
                    &[
                        ("id", s(&t.id)),
                        ("name", s(&name)),
                        ("parent_id", opt(parent)),
                        ("color", s(&t.color)),
                        ("definition", s(&d.definition)),
                        ("inclusion", s(&d.inclusion)),
                        ("exclusion", s(&d.exclusion)),
                        ("example", s(&d.example)),
                        ("position", int(position)),
                        ("created_at", int(now_ms())),
                        ("created_by", s(&coder_of_copy)),
                    ],
                )?;
                report.codes_added.push(name);
            }

            // 2. Codes on both sides: take each field changed on one side only, or as resolved.
            for o in &ours_codes {
                let (Some(b), Some(t)) = (base_codes.get(o.id.as_str()), theirs_by.get(o.id.as_str())) else { continue };
                let pick = |kind: ConflictKind, bv: bool, ov: bool| -> bool {
                    // true: take the copy's value.
                    if !bv {
                        return false; // the copy did not change it
                    }
                    if !ov {
                        return true; // only the copy changed it
                    }
                    plan.choice(&o.id, kind) == Some(Choice::Copy)
                };
                let name_c = pick(ConflictKind::Renamed, t.name != b.name, o.name != b.name && o.name != t.name);
                let parent_c =
                    pick(ConflictKind::Moved, t.parent_id != b.parent_id, o.parent_id != b.parent_id && o.parent_id != t.parent_id);
                let desc_c = pick(
                    ConflictKind::Redefined,
                    t.description != b.description,
                    o.description != b.description && o.description != t.description,
                );
                let color_c = pick(ConflictKind::Recoloured, t.color != b.color, o.color != b.color && o.color != t.color);
                let mut parent = o.parent_id.clone();
                if parent_c {
                    let p = t.parent_id.clone().filter(|p| code_exists(conn, p).unwrap_or(false));
                    let cycle = match &p {
                        Some(p) => is_within(conn, p, &o.id)?,
                        None => false,
                    };
                    if !cycle {
                        parent = p;
                    }
                }
                let want_name = if name_c { t.name.clone() } else { o.name.clone() };
                let name = free_name(conn, &want_name, parent.as_deref(), Some(&o.id), &coder_of_copy)?;
                let mut cols = vec![("name", s(&name)), ("parent_id", opt(parent.as_deref()))];
                if color_c {
                    cols.push(("color", s(&t.color)));
                }
                if desc_c {
                    let d = &t.description;
                    cols.extend([
                        ("definition", s(&d.definition)),
                        ("inclusion", s(&d.inclusion)),
                        ("exclusion", s(&d.exclusion)),
                        ("example", s(&d.example)),
                    ]);
                }
                let n_before = w.len();
                w.update("codes", o.id.as_str(), &cols)?;
                if w.len() > n_before {
                    report.codes_changed.push(name);
                }
            }

            // 3. Codings.
            let base_codings: HashMap<&str, &BaseCoding> = base.codings.iter().map(|c| (c.id.as_str(), c)).collect();
            let ours_codings_by: HashMap<&str, &Coding> = ours_codings.iter().map(|c| (c.id.as_str(), c)).collect();
            let theirs_ids: HashSet<&str> = plan.theirs_codings.iter().map(|c| c.id.as_str()).collect();
            let code_label = |id: &str| -> String {
                theirs_by
                    .get(id)
                    .or_else(|| ours_by.get(id))
                    .or_else(|| base_codes.get(id))
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| id.to_string())
            };
            let doc_label = |id: &str| plan.doc_names.get(id).cloned().unwrap_or_else(|| id.to_string());
            let kept_by_choice: HashSet<&str> = plan
                .conflicts
                .iter()
                .filter(|c| c.kind == ConflictKind::DeletedInCopy && c.choice == Some(Choice::Project))
                .map(|c| c.code_id.as_str())
                .collect();
            let mut version_ok = HashMap::new();
            for t in &plan.theirs_codings {
                let line = |outcome, reason: Option<String>| CodingLine {
                    id: t.id.clone(),
                    document: doc_label(&t.document_id),
                    start: t.start,
                    end: t.end,
                    code: code_label(&t.code_id),
                    coder: t.coder.clone(),
                    outcome,
                    reason,
                };
                let Some(doc) = plan.doc_map.get(&t.document_id) else {
                    report.codings.push(line(
                        CodingOutcome::NotMerged,
                        Some("its document is not in the project (no document with the same ID or text)".into()),
                    ));
                    continue;
                };
                let mut tb = BaseCoding::from(t);
                tb.document_id = doc.clone();
                let b = base_codings.get(t.id.as_str()).copied();
                if !ours_codings_by.contains_key(t.id.as_str())
                    && let Some(b) = b
                    && same_coding(&tb, b)
                {
                    report.codings.push(line(
                        CodingOutcome::StaysRemoved,
                        Some("removed from the project after the copy was made".into()),
                    ));
                    continue;
                }
                if !code_exists(conn, &t.code_id)? {
                    let reason = if plan.has_conflict(&t.code_id, ConflictKind::DeletedInProject) {
                        "its code was deleted in the project, and the conflict was resolved to the project's version"
                    } else {
                        "its code is not in the project"
                    };
                    report.codings.push(line(CodingOutcome::NotMerged, Some(reason.into())));
                    continue;
                }
                match ours_codings_by.get(t.id.as_str()) {
                    Some(o) => {
                        let ob = BaseCoding::from(*o);
                        if same_coding(&ob, &tb) {
                            report.codings.push(line(CodingOutcome::AlreadyPresent, None));
                        } else {
                            let ours_unchanged = b.is_some_and(|b| same_coding(&ob, b));
                            let theirs_unchanged = b.is_some_and(|b| same_coding(&tb, b));
                            let take = if ours_unchanged {
                                true
                            } else if theirs_unchanged {
                                false
                            } else {
                                t.coder == coder_of_copy
                            };
                            if take {
                                w.update(
                                    "codings",
                                    t.id.as_str(),
                                    &[
                                        ("start", int(t.start)),
                                        ("end", int(t.end)),
                                        ("code_id", s(&t.code_id)),
                                        ("memo", opt(t.memo.as_deref())),
                                        ("illustrative", int(t.illustrative as i64)),
                                    ],
                                )?;
                                report.codings.push(line(CodingOutcome::Updated, None));
                            } else {
                                report.codings.push(line(
                                    CodingOutcome::KeptProject,
                                    Some("changed in the project since the copy was made".into()),
                                ));
                            }
                        }
                    }
                    None => {
                        let twin: Option<String> = conn
                            .query_row(
                                "SELECT c.id FROM codings c JOIN coders k ON k.id = c.coder_id WHERE c.document_id = ?1 AND c.start = ?2 AND c.\"end\" = ?3 AND c.code_id = ?4 AND k.name = ?5",
                                rusqlite::params![doc, t.start as i64, t.end as i64, t.code_id, t.coder],
                                |r| r.get(0),
                            )
                            .optional()?;
                        if let Some(twin) = twin {
                            report.codings.push(line(CodingOutcome::Duplicate, Some(format!("the project has it as {twin}"))));
                            continue;
                        }
                        let coder_id = ensure_coder(w, &t.coder)?;
                        let version = match &t.codebook_version_id {
                            Some(v) => {
                                let ok = match version_ok.get(v) {
                                    Some(ok) => *ok,
                                    None => {
                                        let ok = conn
                                            .query_row("SELECT 1 FROM codebook_versions WHERE id = ?1", [v], |_| Ok(()))
                                            .optional()?
                                            .is_some();
                                        version_ok.insert(v.clone(), ok);
                                        ok
                                    }
                                };
                                ok.then(|| v.clone())
                            }
                            None => None,
                        };
                        w.insert(
                            "codings",
                            &[
                                ("id", s(&t.id)),
                                ("document_id", s(doc)),
                                ("start", int(t.start)),
                                ("end", int(t.end)),
                                ("code_id", s(&t.code_id)),
                                ("coder_id", s(&coder_id)),
                                ("codebook_version_id", opt(version.as_deref())),
                                ("memo", opt(t.memo.as_deref())),
                                ("illustrative", int(t.illustrative as i64)),
                                ("created_at", int(t.created_at_ms)),
                            ],
                        )?;
                        report.codings.push(line(CodingOutcome::Added, None));
                    }
                }
            }
            // Codings of the base that the coder removed in the copy.
            for b in &base.codings {
                if theirs_ids.contains(b.id.as_str()) {
                    continue;
                }
                let Some(o) = ours_codings_by.get(b.id.as_str()) else { continue };
                let line = |outcome, reason: Option<String>| CodingLine {
                    id: b.id.clone(),
                    document: doc_label(&b.document_id),
                    start: o.start,
                    end: o.end,
                    code: code_label(&o.code_id),
                    coder: o.coder.clone(),
                    outcome,
                    reason,
                };
                if kept_by_choice.contains(o.code_id.as_str()) {
                    report.codings.push(line(
                        CodingOutcome::KeptProject,
                        Some("removed with its code in the copy; the code is kept (conflict resolved to the project's version)".into()),
                    ));
                } else if same_coding(&BaseCoding::from(*o), b) {
                    w.delete("codings", b.id.as_str())?;
                    report.codings.push(line(CodingOutcome::RemovedByCoder, None));
                } else {
                    report.codings.push(line(
                        CodingOutcome::KeptProject,
                        Some("removed in the copy but changed in the project since; kept".into()),
                    ));
                }
            }

            // 4. Codes deleted in the copy: bottom up, after their codings.
            let mut deletions: Vec<&Code> = ours_codes
                .iter()
                .filter(|o| base_codes.contains_key(o.id.as_str()) && !theirs_by.contains_key(o.id.as_str()))
                .filter(|o| {
                    !plan.has_conflict(&o.id, ConflictKind::DeletedInCopy)
                        || plan.choice(&o.id, ConflictKind::DeletedInCopy) == Some(Choice::Copy)
                })
                .collect();
            deletions.reverse(); // `codes()` lists parents first
            let mut removed_codes = vec![];
            for o in deletions {
                let with_code = ours_codings.iter().filter(|c| c.code_id == o.id).count();
                removed_codes.push(json!({"id": o.id, "name": o.name, "codings": with_code}));
                let remaining: Vec<String> = {
                    let mut stmt = conn.prepare("SELECT id FROM codings WHERE code_id = ?1")?;
                    stmt.query_map([&o.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
                };
                for id in remaining {
                    let c = ours_codings_by.get(id.as_str());
                    let reason = "its code was deleted in the copy (conflict resolved to the copy's version)";
                    let mut removed = CodingLine {
                        id: id.clone(),
                        document: c.map(|c| doc_label(&c.document_id)).unwrap_or_default(),
                        start: c.map_or(0, |c| c.start),
                        end: c.map_or(0, |c| c.end),
                        code: o.name.clone(),
                        coder: c.map(|c| c.coder.clone()).unwrap_or_default(),
                        outcome: CodingOutcome::RemovedWithCode,
                        reason: Some(reason.into()),
                    };
                    // A coding already reported (its change in the copy could not be merged, or
                    // the project's version was kept) goes with its code: one line, the last word.
                    match report.codings.iter().position(|l| l.id == id) {
                        Some(i) => {
                            let earlier = report.codings[i].reason.take().unwrap_or_default();
                            removed.reason = Some(format!("{reason}; before that: {earlier}"));
                            report.codings[i] = removed;
                        }
                        None => report.codings.push(removed),
                    }
                    w.delete("codings", id.as_str())?;
                }
                let grand = o.parent_id.clone().filter(|p| code_exists(conn, p).unwrap_or(false));
                let kids: Vec<String> = {
                    let mut stmt = conn.prepare("SELECT id FROM codes WHERE parent_id = ?1")?;
                    stmt.query_map([&o.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
                };
                for k in kids {
                    w.update("codes", k.as_str(), &[("parent_id", opt(grand.as_deref()))])?;
                }
                crate::store::ops::delete_memos_about(w, crate::model::MemoTarget::Code, &o.id)?;
                let name = code_name(conn, &o.id)?;
                w.delete("codes", o.id.as_str())?;
                report.codes_removed.push(name);
            }

            // 5. Memos written in the copy.
            for m in &plan.theirs_memos {
                if ours_memo_ids.contains(&m.id) {
                    continue;
                }
                let target_id = match (m.target, &m.target_id) {
                    (crate::model::MemoTarget::Document, Some(d)) => plan.doc_map.get(d).cloned(),
                    (crate::model::MemoTarget::Code, Some(c)) => code_exists(conn, c)?.then(|| c.clone()),
                    (crate::model::MemoTarget::Participant, Some(p)) => conn
                        .query_row("SELECT id FROM participants WHERE id = ?1", [p], |r| r.get(0))
                        .optional()?,
                    (crate::model::MemoTarget::Project, _) => None,
                    _ => continue,
                };
                if m.target != crate::model::MemoTarget::Project && target_id.is_none() {
                    continue;
                }
                let coder_id = m.coder.as_deref().map(|c| ensure_coder(w, c)).transpose()?;
                w.insert(
                    "memos",
                    &[
                        ("id", s(&m.id)),
                        ("target_kind", s(m.target.as_str())),
                        ("target_id", opt(target_id.as_deref())),
                        ("title", s(&m.title)),
                        ("body", s(&m.body)),
                        ("coder_id", opt(coder_id.as_deref())),
                        ("created_at", int(m.updated_at_ms)),
                        ("updated_at", int(m.updated_at_ms)),
                    ],
                )?;
                report.memos_added += 1;
            }
            report.changed = !w.is_empty();
            let added = report.codings.iter().filter(|l| l.outcome == CodingOutcome::Added).count();
            Ok(Logged {
                summary: format!(
                    "Merge the copy of {coder_of_copy}: {} codes added, {} changed, {} removed, {added} codings added, {} conflicts",
                    report.codes_added.len(),
                    report.codes_changed.len(),
                    report.codes_removed.len(),
                    report.conflicts.len()
                ),
                payload: json!({
                    "copy_id": base.copy_id, "coder": coder_of_copy, "copy": copy_label,
                    "codes_added": report.codes_added, "codes_changed": report.codes_changed,
                    "codes_removed": report.codes_removed, "removed_codes": removed_codes,
                    "conflicts": report.conflicts,
                    "codings": report.outcome_counts().iter().map(|(o, n)| json!({"outcome": o, "count": n})).collect::<Vec<_>>(),
                }),
                value: report,
            })
        })
    }
}

/// Times handing a copy to a coder, 100 codings and a rename made in it, planning and
/// applying the merge, and merging it again (which must change nothing). For
/// `codeloom bench`; returns (seconds of the first merge, details).
pub fn bench_copy_and_merge(study: &Path, work: &Path) -> Result<(f64, serde_json::Value)> {
    use std::time::Instant;
    let mut project = Project::open(study)?;
    let copy_path = work.join("bench-copy.codeloom");
    let _ = std::fs::remove_file(&copy_path);
    let t = Instant::now();
    make_copy(&project, "bench coder", &copy_path, false)?;
    let copy_seconds = t.elapsed().as_secs_f64();
    {
        let mut copy = Project::open(&copy_path)?;
        copy.set_coder("bench coder")?;
        let doc = copy.documents()?.into_iter().next().ok_or_else(|| Error::Invalid("the study is empty".into()))?;
        let code = copy.codes()?.into_iter().next().ok_or_else(|| Error::Invalid("the study has no codes".into()))?;
        let n = doc.document.char_count.saturating_sub(1).min(100);
        let batch = (0..n)
            .map(|i| crate::store::ops::NewCoding {
                document_id: doc.document.id.clone(),
                start: i,
                end: i + 1,
                code_id: code.id.clone(),
                coder: None,
                memo: None,
                illustrative: false,
            })
            .collect();
        copy.apply_codings(batch, "bench")?;
        copy.update_code(
            &code.id,
            crate::store::ops::CodeChanges { name: Some(format!("{} (renamed)", code.name)), ..Default::default() },
        )?;
    }
    let t = Instant::now();
    let plan = plan_merge(&project, &copy_path)?;
    let plan_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let report = project.merge_copy(&plan)?;
    let merge_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let again = project.merge_copy(&plan_merge(&project, &copy_path)?)?;
    let again_seconds = t.elapsed().as_secs_f64();
    project.undo()?;
    let _ = std::fs::remove_file(&copy_path);
    Ok((
        plan_seconds + merge_seconds,
        json!({
            "copy_seconds": copy_seconds, "plan_seconds": plan_seconds, "apply_seconds": merge_seconds,
            "merge_again_seconds": again_seconds, "codings_in_copy": report.codings.len(),
            "codings_added": report.outcome_counts().iter().find(|(o, _)| *o == CodingOutcome::Added).map_or(0, |x| x.1),
            "second_merge_changed": again.changed,
        }),
    ))
}
