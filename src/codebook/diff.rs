//! Differences between two code trees: two saved versions, a version and the current
//! tree, or two coders' codebooks. Codes are matched by UUID; the operation log tells a
//! merge or a split apart from a plain removal or addition. Each change carries the
//! number of codings it affects.

use crate::model::{Code, CodeDescription};
use crate::store::log::LogEntry;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What happened to a code between the old and the new tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Renamed,
    Moved,
    Merged,
    Split,
    Redefined,
    Recoloured,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Renamed => "renamed",
            ChangeKind::Moved => "moved",
            ChangeKind::Merged => "merged",
            ChangeKind::Split => "split",
            ChangeKind::Redefined => "redefined",
            ChangeKind::Recoloured => "recoloured",
        }
    }
}

/// One change to one code.
#[derive(Debug, Clone, Serialize)]
pub struct CodeChange {
    pub kind: ChangeKind,
    pub code_id: String,
    /// The path in the old tree (`Theme / Code`), if the code was there.
    pub old_path: Option<String>,
    /// The path in the new tree, if the code is there.
    pub new_path: Option<String>,
    /// For redefinitions: the old and new descriptions, to show side by side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_description: Option<CodeDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_description: Option<CodeDescription>,
    /// Merged: the code it went into. Split: the code it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<String>,
    /// The path of `related`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_path: Option<String>,
    /// Codings the change affects.
    pub codings: usize,
}

/// The difference between two trees.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CodebookDiff {
    pub old_label: String,
    pub new_label: String,
    pub changes: Vec<CodeChange>,
}

impl CodebookDiff {
    /// How many changes of each kind.
    pub fn counts(&self) -> Vec<(ChangeKind, usize)> {
        let mut out: Vec<(ChangeKind, usize)> = Vec::new();
        for c in &self.changes {
            match out.iter_mut().find(|(k, _)| *k == c.kind) {
                Some(e) => e.1 += 1,
                None => out.push((c.kind, 1)),
            }
        }
        out
    }

    /// The changes as readable lines.
    pub fn to_text(&self) -> String {
        let mut out = format!("Codebook changes from {} to {}\n", self.old_label, self.new_label);
        if self.changes.is_empty() {
            out.push_str("no changes\n");
        }
        for c in &self.changes {
            let old = c.old_path.as_deref().unwrap_or("");
            let new = c.new_path.as_deref().unwrap_or("");
            let what = match c.kind {
                ChangeKind::Added => format!("added    {new}"),
                ChangeKind::Removed => format!("removed  {old}"),
                ChangeKind::Renamed => format!("renamed  {old} -> {new}"),
                ChangeKind::Moved => format!("moved    {old} -> {new}"),
                ChangeKind::Merged => format!("merged   {old} into {}", c.related_path.as_deref().unwrap_or("?")),
                ChangeKind::Split => format!("split    {} -> {new}", c.related_path.as_deref().unwrap_or("?")),
                ChangeKind::Redefined => format!("redefined {new}"),
                ChangeKind::Recoloured => format!("recoloured {new}"),
            };
            out.push_str(&format!("{what}  ({} codings)\n", c.codings));
            if let (Some(a), Some(b)) = (&c.old_description, &c.new_description) {
                for (label, x, y) in [
                    ("definition", &a.definition, &b.definition),
                    ("inclusion", &a.inclusion, &b.inclusion),
                    ("exclusion", &a.exclusion, &b.exclusion),
                    ("example", &a.example, &b.example),
                ] {
                    if x != y {
                        out.push_str(&format!("    {label}: was \"{x}\"\n    {label}: now \"{y}\"\n"));
                    }
                }
            }
        }
        out
    }
}

/// Paths (`Theme / Code`) of every code of a tree.
pub fn paths(codes: &[Code]) -> HashMap<String, String> {
    let by_id: HashMap<&str, &Code> = codes.iter().map(|c| (c.id.as_str(), c)).collect();
    codes
        .iter()
        .map(|c| {
            let mut names = vec![c.name.clone()];
            let mut cur = c.parent_id.as_deref();
            while let Some(p) = cur.and_then(|p| by_id.get(p)) {
                names.push(p.name.clone());
                cur = p.parent_id.as_deref();
                if names.len() > 64 {
                    break;
                }
            }
            names.reverse();
            (c.id.clone(), names.join(" / "))
        })
        .collect()
}

/// What the operation log says about merges and splits: merged code → (target,
/// codings moved), new code → (split code, codings moved).
#[derive(Debug, Default)]
struct LogFacts {
    merged: HashMap<String, (String, usize)>,
    split: HashMap<String, (String, usize)>,
    deleted_codings: HashMap<String, usize>,
}

fn facts(log: &[LogEntry]) -> LogFacts {
    let mut f = LogFacts::default();
    for e in log.iter().filter(|e| e.state == "applied") {
        match e.kind.as_str() {
            "merge_codes" => {
                let target = e.payload["target"].as_str().unwrap_or_default().to_string();
                for m in e.payload["merged"].as_array().into_iter().flatten() {
                    let n = m["codings_moved"].as_array().map_or(0, |a| a.len())
                        + m["duplicates_joined"].as_array().map_or(0, |a| a.len());
                    if let Some(id) = m["id"].as_str() {
                        f.merged.insert(id.to_string(), (target.clone(), n));
                    }
                }
            }
            "split_code" => {
                let from = e.payload["id"].as_str().unwrap_or_default().to_string();
                for part in e.payload["parts"].as_array().into_iter().flatten() {
                    if let Some(id) = part["id"].as_str() {
                        let n = part["codings"].as_array().map_or(0, |a| a.len());
                        f.split.insert(id.to_string(), (from.clone(), n));
                    }
                }
            }
            "merge_copy" => {
                for r in e.payload["removed_codes"].as_array().into_iter().flatten() {
                    if let Some(id) = r["id"].as_str() {
                        let n = r["codings"].as_u64().unwrap_or(0) as usize;
                        f.deleted_codings.insert(id.to_string(), n);
                    }
                }
            }
            "delete_code" => {
                if let Some(id) = e.payload["id"].as_str() {
                    let n = e.payload["codings_removed"].as_u64().unwrap_or(0) as usize;
                    f.deleted_codings.insert(id.to_string(), n);
                }
            }
            _ => {}
        }
    }
    f
}

/// Compares two trees. `log` is the operation log that led from one to the other (or
/// empty, for codebooks with separate histories); `codings` counts the codings of each
/// code (by ID) in the newer state.
pub fn diff(
    old_label: &str,
    old: &[Code],
    new_label: &str,
    new: &[Code],
    log: &[LogEntry],
    codings: &HashMap<String, usize>,
) -> CodebookDiff {
    let f = facts(log);
    let old_by: HashMap<&str, &Code> = old.iter().map(|c| (c.id.as_str(), c)).collect();
    let new_by: HashMap<&str, &Code> = new.iter().map(|c| (c.id.as_str(), c)).collect();
    let (old_paths, new_paths) = (paths(old), paths(new));
    let count = |id: &str| codings.get(id).copied().unwrap_or(0);
    let path_any = |id: &str| new_paths.get(id).or_else(|| old_paths.get(id)).cloned();
    let mut changes = Vec::new();
    let base = |kind, id: &str| CodeChange {
        kind,
        code_id: id.to_string(),
        old_path: old_paths.get(id).cloned(),
        new_path: new_paths.get(id).cloned(),
        old_description: None,
        new_description: None,
        related: None,
        related_path: None,
        codings: 0,
    };
    for o in old {
        match new_by.get(o.id.as_str()) {
            None => {
                let mut c = match f.merged.get(&o.id) {
                    Some((target, n)) if new_by.contains_key(target.as_str()) => {
                        let mut c = base(ChangeKind::Merged, &o.id);
                        c.related = Some(target.clone());
                        c.related_path = path_any(target);
                        c.codings = *n;
                        c
                    }
                    _ => {
                        let mut c = base(ChangeKind::Removed, &o.id);
                        c.codings = f.deleted_codings.get(&o.id).copied().unwrap_or_else(|| count(&o.id));
                        c
                    }
                };
                c.new_path = None;
                changes.push(c);
            }
            Some(n) => {
                let moved_parent = o.parent_id != n.parent_id;
                if o.name != n.name {
                    let mut c = base(ChangeKind::Renamed, &o.id);
                    c.codings = count(&o.id);
                    changes.push(c);
                }
                if moved_parent {
                    let mut c = base(ChangeKind::Moved, &o.id);
                    c.codings = count(&o.id);
                    changes.push(c);
                }
                if o.description != n.description {
                    let mut c = base(ChangeKind::Redefined, &o.id);
                    c.old_description = Some(o.description.clone());
                    c.new_description = Some(n.description.clone());
                    c.codings = count(&o.id);
                    changes.push(c);
                }
                if o.color != n.color {
                    let mut c = base(ChangeKind::Recoloured, &o.id);
                    c.codings = count(&o.id);
                    changes.push(c);
                }
            }
        }
    }
    let mut split_from_seen = HashSet::new();
    for n in new.iter().filter(|n| !old_by.contains_key(n.id.as_str())) {
        let c = match f.split.get(&n.id) {
            Some((from, moved)) => {
                split_from_seen.insert(from.clone());
                let mut c = base(ChangeKind::Split, &n.id);
                c.related = Some(from.clone());
                c.related_path = path_any(from);
                c.codings = *moved;
                c
            }
            None => {
                let mut c = base(ChangeKind::Added, &n.id);
                c.codings = count(&n.id);
                c
            }
        };
        changes.push(c);
    }
    // A split whose original was removed shows as the split parts, not also as a removal.
    changes.retain(|c| !(c.kind == ChangeKind::Removed && split_from_seen.contains(&c.code_id)));
    CodebookDiff { old_label: old_label.to_string(), new_label: new_label.to_string(), changes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(id: &str, name: &str, parent: Option<&str>) -> Code {
        Code {
            id: id.into(),
            name: name.into(),
            parent_id: parent.map(str::to_string),
            color: "#112233".into(),
            description: CodeDescription::default(),
            position: 0,
        }
    }

    #[test]
    fn classifies_every_kind() {
        let old = vec![code("t", "Theme", None), code("a", "A", Some("t")), code("b", "B", None), code("c", "C", None)];
        let mut new = vec![code("t", "Theme", None), code("a", "A2", None), code("d", "D", None)];
        new[0].description.definition = "now defined".into();
        let log = vec![LogEntry {
            seq: 1,
            id: "x".into(),
            kind: "merge_codes".into(),
            summary: String::new(),
            payload: serde_json::json!({"target": "a", "merged": [{"id": "b", "codings_moved": ["1", "2"], "duplicates_joined": []}]}),
            coder: "amara".into(),
            created_at_ms: 0,
            state: "applied".into(),
            target_seq: None,
        }];
        let counts = HashMap::from([("a".to_string(), 7), ("d".to_string(), 3)]);
        let d = diff("v1", &old, "v2", &new, &log, &counts);
        let got: Vec<(&str, &str, usize)> =
            d.changes.iter().map(|c| (c.kind.as_str(), c.code_id.as_str(), c.codings)).collect();
        assert_eq!(
            got,
            [
                ("redefined", "t", 0),
                ("renamed", "a", 7),
                ("moved", "a", 7),
                ("merged", "b", 2),
                ("removed", "c", 0),
                ("added", "d", 3)
            ]
        );
        assert_eq!(d.changes[1].old_path.as_deref(), Some("Theme / A"));
        assert_eq!(d.changes[1].new_path.as_deref(), Some("A2"));
        let text = d.to_text();
        assert!(text.contains("merged   B into A2  (2 codings)"), "{text}");
        assert!(text.contains("definition: now \"now defined\""), "{text}");
    }
}
