//! What the panels show of the open project: documents by participant and wave,
//! participants, the code tree with colours and counts, coders and assignments.
//!
//! It is read whole once, when a project opens ([`Study::load`]); after that every change
//! (one's own operation, undo, redo, or another process's) brings it up to date through
//! that change's [`ChangeSet`] ([`Study::apply`]), re-reading only the documents, codes and
//! lists the change named. Panels read the Study and never the project file.

use codeloom::Project;
use codeloom::model::order::natural_cmp;
use codeloom::model::{Code, Participant};
use codeloom::store::adjudication::Assignment;
use codeloom::store::change_set::ChangeSet;
use codeloom::store::queries::{CodeCounts, DocumentSummary};
use egui::Color32;
use std::collections::{BTreeSet, HashMap};

use super::transcript::parse_color;

fn versions(p: &Project) -> codeloom::Result<Vec<(String, String)>> {
    Ok(codeloom::codebook::versions::versions(p)?.into_iter().map(|v| (v.id, v.name)).collect())
}

#[derive(Default)]
pub struct Study {
    /// In the project's order: by participant, wave, then name.
    pub documents: Vec<DocumentSummary>,
    /// Index into `documents` by (participant, wave).
    pub grid: HashMap<(String, String), usize>,
    /// Index into `documents` by document ID.
    by_id: HashMap<String, usize>,
    pub waves: Vec<String>,
    pub participants: Vec<Participant>,
    /// Codes in tree order (parents before children, siblings by position).
    pub codes: Vec<Code>,
    pub depth: HashMap<String, usize>,
    pub paths: HashMap<String, String>,
    pub colors: HashMap<String, Color32>,
    pub counts: HashMap<String, CodeCounts>,
    pub coders: Vec<String>,
    /// Which coder was given which documents.
    pub assignments: Vec<Assignment>,
    /// Saved codebook versions: ID and name, oldest first.
    pub versions: Vec<(String, String)>,
    /// Goes up with every change applied, so that panels can tell their derived views are stale.
    pub revision: u64,
}

impl Study {
    pub fn load(p: &Project) -> codeloom::Result<Study> {
        let mut study = Study {
            documents: p.documents()?,
            waves: p.waves()?.into_iter().map(|w| w.name).collect(),
            participants: p.participants()?,
            counts: p.code_counts()?,
            coders: p.coders()?.into_iter().map(|c| c.name).collect(),
            assignments: p.assignments()?,
            versions: versions(p)?,
            ..Default::default()
        };
        study.index_documents();
        study.set_codes(p.codes()?);
        Ok(study)
    }

    /// Brings the Study up to date with a change set, re-reading only what it names.
    pub fn apply(&mut self, changes: &ChangeSet, p: &Project) -> codeloom::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        self.revision += 1;
        // Participants (and their attributes), waves and documents: the document list is
        // re-read for the documents named; the small lists whole.
        if !changes.participants.is_empty() || changes.touches("attributes") || changes.touches("waves") {
            self.participants = p.participants()?;
            self.waves = p.waves()?.into_iter().map(|w| w.name).collect();
        }
        let documents: Vec<String> = changes.all_documents().into_iter().collect();
        if !documents.is_empty() {
            self.update_documents(&documents, p)?;
        }
        if !changes.codes.is_empty() {
            self.set_codes(p.codes()?);
            self.counts.retain(|id, _| changes.codes.contains(id) || self.paths.contains_key(id));
        }
        let recount: BTreeSet<&String> = changes.codes.iter().chain(&changes.coded_codes).collect();
        if !recount.is_empty() {
            let ids: Vec<String> = recount.into_iter().cloned().collect();
            let fresh = p.code_counts_of(&ids)?;
            for id in ids {
                match fresh.get(&id) {
                    Some(c) => self.counts.insert(id, *c),
                    None => self.counts.remove(&id),
                };
            }
        }
        if changes.touches("coders") {
            self.coders = p.coders()?.into_iter().map(|c| c.name).collect();
        }
        if changes.touches("assignments") || changes.touches("coders") {
            self.assignments = p.assignments()?;
        }
        if changes.touches("codebook_versions") {
            self.versions = versions(p)?;
        }
        Ok(())
    }

    /// Replaces, adds or removes the named documents, keeping the project's order.
    fn update_documents(&mut self, ids: &[String], p: &Project) -> codeloom::Result<()> {
        let fresh = p.document_summaries(ids)?;
        let mut added = false;
        for d in fresh {
            match self.by_id.get(&d.document.id) {
                Some(&i) => {
                    let moved = self.documents[i].document.participant != d.document.participant
                        || self.documents[i].document.wave != d.document.wave
                        || self.documents[i].document.name != d.document.name;
                    added |= moved;
                    self.documents[i] = d;
                }
                None => {
                    self.documents.push(d);
                    added = true;
                }
            }
        }
        let present: std::collections::HashSet<String> = p.existing_documents(ids)?.into_iter().collect();
        let before = self.documents.len();
        self.documents.retain(|d| !ids.contains(&d.document.id) || present.contains(&d.document.id));
        if added || self.documents.len() != before {
            let position: HashMap<&str, usize> = self.waves.iter().enumerate().map(|(i, w)| (w.as_str(), i)).collect();
            // The store's order: participants (natural order), wave order, names (natural order).
            let natural = |x: &Option<String>, y: &Option<String>| match (x, y) {
                (Some(x), Some(y)) => natural_cmp(x, y),
                _ => x.is_none().cmp(&y.is_none()),
            };
            self.documents.sort_by(|a, b| {
                let wave = |d: &DocumentSummary| {
                    (
                        d.document.wave.is_none(),
                        d.document.wave.as_deref().map(|w| position.get(w).copied().unwrap_or(usize::MAX)),
                    )
                };
                natural(&a.document.participant, &b.document.participant)
                    .then_with(|| wave(a).cmp(&wave(b)))
                    .then_with(|| natural_cmp(&a.document.name, &b.document.name))
            });
            // Places moved: the lookups by ID and by grid cell follow. Otherwise every
            // document kept its place, participant and wave, and they still hold.
            self.index_documents();
        }
        Ok(())
    }

    fn index_documents(&mut self) {
        self.grid = self
            .documents
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some(((d.document.participant.clone()?, d.document.wave.clone()?), i)))
            .collect();
        self.by_id = self.documents.iter().enumerate().map(|(i, d)| (d.document.id.clone(), i)).collect();
    }

    /// The code tree and what is derived from it: depths, paths and colours.
    fn set_codes(&mut self, codes: Vec<Code>) {
        let by_id: HashMap<&str, &Code> = codes.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut depth = HashMap::new();
        let mut paths = HashMap::new();
        for c in &codes {
            let mut names = vec![c.name.as_str()];
            let mut cur = c.parent_id.as_deref();
            while let Some(pid) = cur {
                let Some(parent) = by_id.get(pid) else { break };
                names.push(parent.name.as_str());
                cur = parent.parent_id.as_deref();
                // The store refuses cycles; this only bounds the walk on a damaged file.
                if names.len() > 64 {
                    break;
                }
            }
            depth.insert(c.id.clone(), names.len() - 1);
            names.reverse();
            paths.insert(c.id.clone(), names.join(" / "));
        }
        self.colors = codes.iter().map(|c| (c.id.clone(), parse_color(&c.color))).collect();
        self.depth = depth;
        self.paths = paths;
        self.codes = codes;
    }

    pub fn document(&self, id: &str) -> Option<&DocumentSummary> {
        self.by_id.get(id).map(|&i| &self.documents[i])
    }

    pub fn code(&self, id: &str) -> Option<&Code> {
        self.codes.iter().find(|c| c.id == id)
    }

    pub fn path(&self, id: &str) -> String {
        self.paths.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    /// The codes below `id` (not including it).
    pub fn descendants(&self, id: &str) -> Vec<String> {
        let mut out = vec![id.to_string()];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i].clone();
            out.extend(
                self.codes.iter().filter(|c| c.parent_id.as_deref() == Some(parent.as_str())).map(|c| c.id.clone()),
            );
            i += 1;
        }
        out.remove(0);
        out
    }

    /// Everything a fresh load would read, in a form two Studies can be compared by
    /// (tests of the incremental updates).
    #[cfg(test)]
    pub fn fingerprint(&self) -> String {
        let mut counts: Vec<_> =
            self.counts.iter().map(|(k, v)| format!("{k}:{}/{}/{}", v.codings, v.documents, v.participants)).collect();
        counts.sort();
        let docs: Vec<String> = self
            .documents
            .iter()
            .map(|d| {
                format!(
                    "{}|{}|{:?}|{:?}|{}|{:?}|{}",
                    d.document.id,
                    d.document.name,
                    d.document.participant,
                    d.document.wave,
                    d.turn_count,
                    d.speakers,
                    d.coding_count
                )
            })
            .collect();
        let mut grid: Vec<String> = self.grid.iter().map(|((p, w), i)| format!("{p}/{w}={i}")).collect();
        grid.sort();
        let mut by_id: Vec<String> = self.by_id.iter().map(|(id, i)| format!("{id}={i}")).collect();
        by_id.sort();
        let codes: Vec<String> = self
            .codes
            .iter()
            .map(|c| {
                format!("{}|{}|{:?}|{}|{:?}|{}", c.id, c.name, c.parent_id, c.color, c.description, self.path(&c.id))
            })
            .collect();
        let participants: Vec<String> =
            self.participants.iter().map(|p| format!("{}|{:?}", p.label, p.attributes)).collect();
        let assignments: Vec<String> =
            self.assignments.iter().map(|a| format!("{}>{}", a.coder, a.document_id)).collect();
        format!(
            "docs {docs:?}\ngrid {grid:?}\nby id {by_id:?}\nwaves {:?}\nparticipants {participants:?}\ncodes {codes:?}\ncounts {counts:?}\ncoders {:?}\nassignments {assignments:?}\nversions {:?}",
            self.waves, self.coders, self.versions
        )
    }
}
