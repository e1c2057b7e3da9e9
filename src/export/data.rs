//! What every report reads from a project, loaded once through the [`Project`] queries:
//! the code tree, documents, participants with attributes, waves and codings.

use crate::Project;
use crate::error::Result;
use crate::model::{Code, Coding, Document, Participant};
use crate::store::queries::{AttributeDef, CodingFilter};
use std::collections::HashMap;

/// A read-only snapshot of the parts of a project that reports use.
#[derive(Debug, Clone)]
pub struct StudyData {
    /// The code tree, parents before children, siblings in order.
    pub codes: Vec<Code>,
    /// Each code's depth in the tree (a theme is 0).
    pub depth: Vec<usize>,
    pub documents: Vec<Document>,
    /// Participants by label, with attributes.
    pub participants: Vec<Participant>,
    pub attributes: Vec<AttributeDef>,
    /// Wave names in time order.
    pub waves: Vec<String>,
    /// The codings reports count, by document and position.
    pub codings: Vec<Coding>,
    /// The time lines of documents with a linked recording, for quotes' `{time}`.
    pub timelines: HashMap<String, crate::media::sync::Timeline>,
    code_index: HashMap<String, usize>,
    doc_index: HashMap<String, usize>,
    participant_index: HashMap<String, usize>,
}

/// The time line of every document with a linked recording (none in a project read as
/// it is from before recordings, schema 5).
fn load_timelines(project: &Project) -> Result<HashMap<String, crate::media::sync::Timeline>> {
    let mut out = HashMap::new();
    if project.opened_schema() < 5 {
        return Ok(out);
    }
    for rec in project.recordings()? {
        let turns = project.turns(&rec.document_id)?;
        let points: Vec<_> = project.sync_points(&rec.document_id)?.into_iter().map(|s| s.point).collect();
        let chars = project.document(&rec.document_id)?.char_count;
        let timeline = crate::media::sync::Timeline::new(&turns, &points, chars, rec.duration_ms);
        out.insert(rec.document_id, timeline);
    }
    Ok(out)
}

impl StudyData {
    /// Loads the snapshot; `coder` keeps only that coder's codings (all coders when `None`).
    pub fn load(project: &Project, coder: Option<&str>) -> Result<StudyData> {
        let codes = project.codes()?;
        let code_index: HashMap<String, usize> = codes.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        let mut depth = vec![0; codes.len()];
        for (i, c) in codes.iter().enumerate() {
            // Parents come first, so a parent's depth is known.
            if let Some(p) = c.parent_id.as_ref().and_then(|p| code_index.get(p)) {
                depth[i] = depth[*p] + 1;
            }
        }
        let documents: Vec<Document> = project.documents()?.into_iter().map(|d| d.document).collect();
        let doc_index = documents.iter().enumerate().map(|(i, d)| (d.id.clone(), i)).collect();
        let participants = project.participants()?;
        let participant_index = participants.iter().enumerate().map(|(i, p)| (p.label.clone(), i)).collect();
        let codings = project.codings(&CodingFilter { coder: coder.map(str::to_string), ..CodingFilter::default() })?;
        let timelines = load_timelines(project)?;
        Ok(StudyData {
            timelines,
            codes,
            depth,
            documents,
            participants,
            attributes: project.attributes()?,
            waves: project.waves()?.into_iter().map(|w| w.name).collect(),
            codings,
            code_index,
            doc_index,
            participant_index,
        })
    }

    /// A code by ID.
    pub fn code(&self, id: &str) -> Option<&Code> {
        self.code_index.get(id).map(|&i| &self.codes[i])
    }

    /// A code's position in [`StudyData::codes`].
    pub fn code_position(&self, id: &str) -> Option<usize> {
        self.code_index.get(id).copied()
    }

    /// When the character `position` of a document is spoken in its recording, as a
    /// clock time (`12:34`); `None` for a document without a recording.
    pub fn time_of(&self, document_id: &str, position: usize) -> Option<String> {
        let ms = self.timelines.get(document_id)?.time_at(position);
        Some(crate::model::time::format_clock(ms))
    }

    /// A document by ID.
    pub fn document(&self, id: &str) -> Option<&Document> {
        self.doc_index.get(id).map(|&i| &self.documents[i])
    }

    /// A participant by label.
    pub fn participant(&self, label: &str) -> Option<&Participant> {
        self.participant_index.get(label).map(|&i| &self.participants[i])
    }

    /// The code and its ancestors, the code first.
    pub fn lineage(&self, id: &str) -> Vec<&Code> {
        let mut out = Vec::new();
        let mut cur = self.code(id);
        while let Some(c) = cur {
            if out.len() > self.codes.len() {
                break;
            }
            out.push(c);
            cur = c.parent_id.as_deref().and_then(|p| self.code(p));
        }
        out
    }

    /// `Theme / Subtheme / Code`.
    pub fn path(&self, id: &str) -> String {
        let mut names: Vec<&str> = self.lineage(id).iter().map(|c| c.name.as_str()).collect();
        names.reverse();
        names.join(" / ")
    }

    /// The direct children of a code, in order.
    pub fn children(&self, id: &str) -> Vec<&Code> {
        self.codes.iter().filter(|c| c.parent_id.as_deref() == Some(id)).collect()
    }

    /// For each code (by position), the positions of the code itself and every code below it.
    pub fn subtrees(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = (0..self.codes.len()).map(|i| vec![i]).collect();
        for (i, c) in self.codes.iter().enumerate() {
            let mut cur = c.parent_id.as_deref().and_then(|p| self.code_position(p));
            let mut steps = 0;
            while let Some(a) = cur {
                out[a].push(i);
                cur = self.codes[a].parent_id.as_deref().and_then(|p| self.code_position(p));
                steps += 1;
                if steps > self.codes.len() {
                    break;
                }
            }
        }
        out
    }

    /// The participant (label) and wave of a coding's document.
    pub fn participant_and_wave(&self, coding: &Coding) -> (Option<&str>, Option<&str>) {
        match self.document(&coding.document_id) {
            Some(d) => (d.participant.as_deref(), d.wave.as_deref()),
            None => (None, None),
        }
    }

    /// A participant's attribute value by name (case-insensitively); blank values are missing.
    pub fn attribute(&self, participant: &str, name: &str) -> Option<String> {
        let p = self.participant(participant)?;
        p.attributes
            .iter()
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name.trim()))
            .map(|(_, v)| v.value.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}
