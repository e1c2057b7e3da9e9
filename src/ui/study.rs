//! What the panels show of the open project, read once after every change: documents
//! by participant and wave, participants, the code tree with colours and counts, coders.

use codeloom::Project;
use codeloom::model::{Code, Participant};
use codeloom::store::adjudication::Assignment;
use codeloom::store::queries::{CodeCounts, DocumentSummary};
use egui::Color32;
use std::collections::HashMap;

use super::transcript::parse_color;

#[derive(Default)]
pub struct Study {
    pub documents: Vec<DocumentSummary>,
    /// Index into `documents` by (participant, wave).
    pub grid: HashMap<(String, String), usize>,
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
}

impl Study {
    pub fn load(p: &Project) -> codeloom::Result<Study> {
        let documents = p.documents()?;
        let grid = documents
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some(((d.document.participant.clone()?, d.document.wave.clone()?), i)))
            .collect();
        let codes = p.codes()?;
        let by_id: HashMap<&str, &Code> = codes.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut depth = HashMap::new();
        let mut paths = HashMap::new();
        for c in &codes {
            let mut names = vec![c.name.as_str()];
            let mut cur = c.parent_id.as_deref();
            let mut guard = 0;
            while let Some(pid) = cur {
                let Some(parent) = by_id.get(pid) else { break };
                names.push(parent.name.as_str());
                cur = parent.parent_id.as_deref();
                guard += 1;
                if guard > 64 {
                    break;
                }
            }
            depth.insert(c.id.clone(), names.len() - 1);
            names.reverse();
            paths.insert(c.id.clone(), names.join(" / "));
        }
        let colors = codes.iter().map(|c| (c.id.clone(), parse_color(&c.color))).collect();
        Ok(Study {
            grid,
            documents,
            waves: p.waves()?.into_iter().map(|w| w.name).collect(),
            participants: p.participants()?,
            depth,
            paths,
            colors,
            counts: p.code_counts()?,
            coders: p.coders()?.into_iter().map(|c| c.name).collect(),
            assignments: p.assignments()?,
            codes,
        })
    }

    pub fn document(&self, id: &str) -> Option<&DocumentSummary> {
        self.documents.iter().find(|d| d.document.id == id)
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
}
