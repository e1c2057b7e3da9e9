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
use crate::model::{Code, CodeDescription, Coding, Memo, MemoTarget};
use crate::store::changes::Writer;
use crate::store::log::Logged;
use crate::store::merge_ops::{
    MemoRow, SavedVersion, add_code, add_coding, add_memo_row, add_saved_version, code_exists, coding_by_coder_name,
    codings_of_code, ensure_coder, free_code_name, is_within, participant_exists, remove_code_keeping_children,
    remove_coding, update_code, update_coding, version_exists,
};
use crate::store::ops::CodingRow;
use crate::store::queries::CodingFilter;
use crate::store::{Project, new_id, now_ms};
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
        project.write_copy(staged, blind.then_some(coder))?;
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
        copy.set_meta_checkpointed(COPY_BASE_KEY, &serde_json::to_string(&base)?)?;
        Ok(base)
    })
}

/// The base recorded in a copy, if the project is one.
pub fn copy_base(project: &Project) -> Result<Option<CopyBase>> {
    let raw = project.meta(COPY_BASE_KEY)?;
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
    theirs_versions: Vec<SavedVersion>,
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
    let theirs_versions = copy.saved_versions()?;
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

/// The project's side of a merge, read before the operation begins.
struct Ours {
    codes: Vec<Code>,
    codings: Vec<Coding>,
    memo_ids: HashSet<String>,
}

/// A merge being applied: the plan, both sides indexed by ID, and the report so far.
struct Merge<'a> {
    plan: &'a MergePlan,
    ours: &'a Ours,
    coder: &'a str,
    base_codes: HashMap<&'a str, &'a Code>,
    ours_by: HashMap<&'a str, &'a Code>,
    theirs_by: HashMap<&'a str, &'a Code>,
    base_codings: HashMap<&'a str, &'a BaseCoding>,
    ours_codings_by: HashMap<&'a str, &'a Coding>,
    report: MergeReport,
}

/// `name (coder)`, then `name (coder 3)`, ...: the name of something brought in from a
/// copy whose name is taken.
fn with_coder(name: &str, coder: &str, i: u32) -> String {
    if i == 2 { format!("{name} ({coder})") } else { format!("{name} ({coder} {i})") }
}

impl<'a> Merge<'a> {
    fn new(plan: &'a MergePlan, ours: &'a Ours, copy_label: String) -> Self {
        let base = &plan.base;
        Merge {
            plan,
            ours,
            coder: &base.coder,
            base_codes: base.codes.iter().map(|c| (c.id.as_str(), c)).collect(),
            ours_by: ours.codes.iter().map(|c| (c.id.as_str(), c)).collect(),
            theirs_by: plan.theirs_codes.iter().map(|c| (c.id.as_str(), c)).collect(),
            base_codings: base.codings.iter().map(|c| (c.id.as_str(), c)).collect(),
            ours_codings_by: ours.codings.iter().map(|c| (c.id.as_str(), c)).collect(),
            report: MergeReport {
                copy: copy_label,
                coder: base.coder.clone(),
                conflicts: plan.conflicts.clone(),
                ..Default::default()
            },
        }
    }

    fn code_label(&self, id: &str) -> String {
        self.theirs_by
            .get(id)
            .or_else(|| self.ours_by.get(id))
            .or_else(|| self.base_codes.get(id))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    fn doc_label(&self, id: &str) -> String {
        self.plan.doc_names.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    /// Codebook versions saved in the copy.
    fn versions(&mut self, w: &mut Writer) -> Result<()> {
        for v in &self.plan.theirs_versions {
            if let Some(name) = add_saved_version(w, v, |i| with_coder(&v.name, self.coder, i))? {
                self.report.versions_added.push(name);
            }
        }
        Ok(())
    }

    /// Step 1, codes new in the copy, or brought back from it, parents first.
    fn add_codes(&mut self, w: &mut Writer) -> Result<()> {
        for t in &self.plan.theirs_codes {
            let in_base = self.base_codes.contains_key(t.id.as_str());
            let in_ours = self.ours_by.contains_key(t.id.as_str());
            let bring_back =
                in_base && !in_ours && self.plan.choice(&t.id, ConflictKind::DeletedInProject) == Some(Choice::Copy);
            if in_ours || (in_base && !bring_back) {
                continue;
            }
            let parent = match t.parent_id.as_deref() {
                Some(p) if code_exists(w, p)? => Some(p),
                _ => None,
            };
            let name = free_code_name(w, &t.name, parent, None, |i| with_coder(&t.name, self.coder, i))?;
            add_code(w, Some(&t.id), t, &name, parent, self.coder)?;
            self.report.codes_added.push(name);
        }
        Ok(())
    }

    /// Step 2, codes on both sides: take each field changed on one side only, or as resolved.
    fn update_codes(&mut self, w: &mut Writer) -> Result<()> {
        let plan = self.plan;
        for o in &self.ours.codes {
            let (Some(b), Some(t)) = (self.base_codes.get(o.id.as_str()), self.theirs_by.get(o.id.as_str())) else {
                continue;
            };
            // Whether to take the copy's value: the copy changed it, and the project did
            // not (or changed it differently and the conflict was resolved to the copy).
            let pick = |kind: ConflictKind, copy_changed: bool, ours_differs: bool| -> bool {
                copy_changed && (!ours_differs || plan.choice(&o.id, kind) == Some(Choice::Copy))
            };
            let name_c = pick(ConflictKind::Renamed, t.name != b.name, o.name != b.name && o.name != t.name);
            let parent_c = pick(
                ConflictKind::Moved,
                t.parent_id != b.parent_id,
                o.parent_id != b.parent_id && o.parent_id != t.parent_id,
            );
            let desc_c = pick(
                ConflictKind::Redefined,
                t.description != b.description,
                o.description != b.description && o.description != t.description,
            );
            let color_c = pick(ConflictKind::Recoloured, t.color != b.color, o.color != b.color && o.color != t.color);
            let mut parent = o.parent_id.clone();
            if parent_c {
                let p = match t.parent_id.as_deref() {
                    Some(p) if code_exists(w, p)? => Some(p.to_string()),
                    _ => None,
                };
                let cycle = match &p {
                    Some(p) => is_within(w, p, &o.id)?,
                    None => false,
                };
                if !cycle {
                    parent = p;
                }
            }
            let want_name = if name_c { &t.name } else { &o.name };
            let name =
                free_code_name(w, want_name, parent.as_deref(), Some(&o.id), |i| with_coder(want_name, self.coder, i))?;
            let changed = update_code(
                w,
                &o.id,
                &name,
                parent.as_deref(),
                color_c.then_some(t.color.as_str()),
                desc_c.then_some(&t.description),
            )?;
            if changed {
                self.report.codes_changed.push(name);
            }
        }
        Ok(())
    }

    fn line(&self, t: &Coding, outcome: CodingOutcome, reason: Option<String>) -> CodingLine {
        CodingLine {
            id: t.id.clone(),
            document: self.doc_label(&t.document_id),
            start: t.start,
            end: t.end,
            code: self.code_label(&t.code_id),
            coder: t.coder.clone(),
            outcome,
            reason,
        }
    }

    /// Step 3, the copy's codings.
    fn codings(&mut self, w: &mut Writer) -> Result<()> {
        let mut version_ok = HashMap::new();
        for t in &self.plan.theirs_codings {
            let (outcome, reason) = self.coding(w, t, &mut version_ok)?;
            let line = self.line(t, outcome, reason);
            self.report.codings.push(line);
        }
        Ok(())
    }

    /// What to do with one coding of the copy; writes it and returns its outcome.
    fn coding(
        &self,
        w: &mut Writer,
        t: &Coding,
        version_ok: &mut HashMap<String, bool>,
    ) -> Result<(CodingOutcome, Option<String>)> {
        let Some(doc) = self.plan.doc_map.get(&t.document_id) else {
            return Ok((
                CodingOutcome::NotMerged,
                Some("its document is not in the project (no document with the same ID or text)".into()),
            ));
        };
        let mut tb = BaseCoding::from(t);
        tb.document_id = doc.clone();
        let b = self.base_codings.get(t.id.as_str()).copied();
        if !self.ours_codings_by.contains_key(t.id.as_str())
            && let Some(b) = b
            && same_coding(&tb, b)
        {
            return Ok((CodingOutcome::StaysRemoved, Some("removed from the project after the copy was made".into())));
        }
        if !code_exists(w, &t.code_id)? {
            let reason = if self.plan.has_conflict(&t.code_id, ConflictKind::DeletedInProject) {
                "its code was deleted in the project, and the conflict was resolved to the project's version"
            } else {
                "its code is not in the project"
            };
            return Ok((CodingOutcome::NotMerged, Some(reason.into())));
        }
        if let Some(o) = self.ours_codings_by.get(t.id.as_str()) {
            let ob = BaseCoding::from(*o);
            if same_coding(&ob, &tb) {
                return Ok((CodingOutcome::AlreadyPresent, None));
            }
            let ours_unchanged = b.is_some_and(|b| same_coding(&ob, b));
            let theirs_unchanged = b.is_some_and(|b| same_coding(&tb, b));
            let take = if ours_unchanged {
                true
            } else if theirs_unchanged {
                false
            } else {
                t.coder == self.coder
            };
            if !take {
                return Ok((CodingOutcome::KeptProject, Some("changed in the project since the copy was made".into())));
            }
            update_coding(w, &t.id, (t.start, t.end), &t.code_id, t.memo.as_deref(), t.illustrative)?;
            return Ok((CodingOutcome::Updated, None));
        }
        if let Some(twin) = coding_by_coder_name(w, doc, t.start, t.end, &t.code_id, &t.coder)? {
            return Ok((CodingOutcome::Duplicate, Some(format!("the project has it as {twin}"))));
        }
        let coder_id = ensure_coder(w, &t.coder)?;
        let version = match &t.codebook_version_id {
            Some(v) => {
                let ok = match version_ok.get(v) {
                    Some(ok) => *ok,
                    None => {
                        let ok = version_exists(w, v)?;
                        version_ok.insert(v.clone(), ok);
                        ok
                    }
                };
                ok.then_some(v.as_str())
            }
            None => None,
        };
        add_coding(
            w,
            &CodingRow {
                id: Some(&t.id),
                document_id: doc,
                start: t.start,
                end: t.end,
                code_id: &t.code_id,
                coder_id: &coder_id,
                codebook_version_id: version,
                memo: t.memo.as_deref(),
                illustrative: t.illustrative,
                created_at_ms: t.created_at_ms,
            },
        )?;
        Ok((CodingOutcome::Added, None))
    }

    /// Codings of the base that the coder removed in the copy.
    fn removed_codings(&mut self, w: &mut Writer) -> Result<()> {
        let theirs_ids: HashSet<&str> = self.plan.theirs_codings.iter().map(|c| c.id.as_str()).collect();
        let kept_by_choice: HashSet<&str> = self
            .plan
            .conflicts
            .iter()
            .filter(|c| c.kind == ConflictKind::DeletedInCopy && c.choice == Some(Choice::Project))
            .map(|c| c.code_id.as_str())
            .collect();
        for b in &self.plan.base.codings {
            if theirs_ids.contains(b.id.as_str()) {
                continue;
            }
            let Some(o) = self.ours_codings_by.get(b.id.as_str()).copied() else { continue };
            let (outcome, reason) = if kept_by_choice.contains(o.code_id.as_str()) {
                (
                    CodingOutcome::KeptProject,
                    Some("removed with its code in the copy; the code is kept (conflict resolved to the project's version)".into()),
                )
            } else if same_coding(&BaseCoding::from(o), b) {
                remove_coding(w, &b.id)?;
                (CodingOutcome::RemovedByCoder, None)
            } else {
                (CodingOutcome::KeptProject, Some("removed in the copy but changed in the project since; kept".into()))
            };
            let line = CodingLine {
                id: b.id.clone(),
                document: self.doc_label(&b.document_id),
                ..self.line(o, outcome, reason)
            };
            self.report.codings.push(line);
        }
        Ok(())
    }

    /// Step 4, codes deleted in the copy: bottom up, after their codings. Returns what the
    /// log records of each.
    fn delete_codes(&mut self, w: &mut Writer) -> Result<Vec<serde_json::Value>> {
        let plan = self.plan;
        let mut deletions: Vec<&Code> = self
            .ours
            .codes
            .iter()
            .filter(|o| self.base_codes.contains_key(o.id.as_str()) && !self.theirs_by.contains_key(o.id.as_str()))
            .filter(|o| {
                !plan.has_conflict(&o.id, ConflictKind::DeletedInCopy)
                    || plan.choice(&o.id, ConflictKind::DeletedInCopy) == Some(Choice::Copy)
            })
            .collect();
        deletions.reverse(); // `codes()` lists parents first
        let mut removed_codes = vec![];
        for o in deletions {
            let with_code = self.ours.codings.iter().filter(|c| c.code_id == o.id).count();
            removed_codes.push(json!({"id": o.id, "name": o.name, "codings": with_code}));
            for id in codings_of_code(w, &o.id)? {
                self.remove_with_code(o, &id);
                remove_coding(w, &id)?;
            }
            let name = remove_code_keeping_children(w, &o.id, o.parent_id.as_deref())?;
            self.report.codes_removed.push(name);
        }
        Ok(removed_codes)
    }

    /// Reports a coding removed with its deleted code. A coding already reported (its
    /// change in the copy could not be merged, or the project's version was kept) goes
    /// with its code: one line, the last word.
    fn remove_with_code(&mut self, code: &Code, id: &str) {
        let c = self.ours_codings_by.get(id);
        let reason = "its code was deleted in the copy (conflict resolved to the copy's version)";
        let mut removed = CodingLine {
            id: id.to_string(),
            document: c.map(|c| self.doc_label(&c.document_id)).unwrap_or_default(),
            start: c.map_or(0, |c| c.start),
            end: c.map_or(0, |c| c.end),
            code: code.name.clone(),
            coder: c.map(|c| c.coder.clone()).unwrap_or_default(),
            outcome: CodingOutcome::RemovedWithCode,
            reason: Some(reason.into()),
        };
        match self.report.codings.iter().position(|l| l.id == id) {
            Some(i) => {
                let earlier = self.report.codings[i].reason.take().unwrap_or_default();
                removed.reason = Some(format!("{reason}; before that: {earlier}"));
                self.report.codings[i] = removed;
            }
            None => self.report.codings.push(removed),
        }
    }

    /// Step 5, memos written in the copy.
    fn memos(&mut self, w: &mut Writer) -> Result<()> {
        for m in &self.plan.theirs_memos {
            if self.ours.memo_ids.contains(&m.id) {
                continue;
            }
            let target_id = match (m.target, &m.target_id) {
                (MemoTarget::Document, Some(d)) => self.plan.doc_map.get(d).cloned(),
                (MemoTarget::Code, Some(c)) => code_exists(w, c)?.then(|| c.clone()),
                (MemoTarget::Participant, Some(p)) => participant_exists(w, p)?.then(|| p.clone()),
                (MemoTarget::Project, _) => None,
                _ => continue,
            };
            if m.target != MemoTarget::Project && target_id.is_none() {
                continue;
            }
            let coder_id = m.coder.as_deref().map(|c| ensure_coder(w, c)).transpose()?;
            add_memo_row(
                w,
                &MemoRow {
                    id: &m.id,
                    target: m.target,
                    target_id: target_id.as_deref(),
                    title: &m.title,
                    body: &m.body,
                    coder_id: coder_id.as_deref(),
                    at_ms: m.updated_at_ms,
                },
            )?;
            self.report.memos_added += 1;
        }
        Ok(())
    }
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
        let ours = Ours {
            codes: self.codes()?,
            codings: self.codings(&CodingFilter::default())?,
            memo_ids: self.memos(None)?.into_iter().map(|m| m.id).collect(),
        };
        let fresh = find_conflicts(plan, &ours.codes, &ours.codings);
        if fresh.len() != plan.conflicts.len()
            || fresh.iter().zip(&plan.conflicts).any(|(a, b)| a.code_id != b.code_id || a.kind != b.kind)
        {
            return Err(Error::Invalid("the project changed since this merge was planned; plan it again".into()));
        }
        let copy_label = plan.copy_path.display().to_string();
        self.execute("merge_copy", |w, _| {
            let mut m = Merge::new(plan, &ours, copy_label.clone());
            m.versions(w)?;
            m.add_codes(w)?;
            m.update_codes(w)?;
            m.codings(w)?;
            m.removed_codings(w)?;
            let removed_codes = m.delete_codes(w)?;
            m.memos(w)?;
            let mut report = m.report;
            report.changed = !w.is_empty();
            let added = report.codings.iter().filter(|l| l.outcome == CodingOutcome::Added).count();
            let coder = &plan.base.coder;
            Ok(Logged {
                summary: format!(
                    "Merge the copy of {coder}: {} codes added, {} changed, {} removed, {added} codings added, {} conflicts",
                    report.codes_added.len(),
                    report.codes_changed.len(),
                    report.codes_removed.len(),
                    report.conflicts.len()
                ),
                payload: json!({
                    "copy_id": plan.base.copy_id, "coder": coder, "copy": copy_label,
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
