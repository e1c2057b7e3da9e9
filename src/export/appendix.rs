//! The codebook as a paper's appendix: every code in tree order with its definition,
//! when to use it and when not, an example, how often it was used (codings, and
//! participants in all and per wave, each code counting only its own codings), and
//! optionally the first starred quote coded with it.

use super::data::StudyData;
use super::layout::{Block, Cell, Layout, Para, Run, Table};
use super::quotes::trim_words;
use crate::Project;
use crate::error::Result;
use crate::model::CodeDescription;
use crate::model::offsets::slice_chars;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What to put in the appendix.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendixOptions {
    pub title: String,
    /// Add each code's first starred quote (cut to `quote_words` words).
    pub starred_examples: bool,
    pub quote_words: usize,
    /// Count only this coder's codings (all coders when `None`).
    pub coder: Option<String>,
}

impl Default for AppendixOptions {
    fn default() -> Self {
        AppendixOptions { title: "Codebook".into(), starred_examples: true, quote_words: 40, coder: None }
    }
}

/// One code in the appendix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppendixEntry {
    pub code_id: String,
    pub name: String,
    pub path: String,
    pub depth: usize,
    pub description: CodeDescription,
    pub codings: usize,
    pub participants: usize,
    /// Distinct participants per wave, in the order of [`Appendix::waves`].
    pub participants_by_wave: Vec<usize>,
    /// The first starred quote with this code, with participant and wave.
    pub starred_quote: Option<String>,
}

/// The codebook appendix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appendix {
    pub title: String,
    /// The codebook version new codings are recorded under, if one was saved.
    pub version: Option<String>,
    pub waves: Vec<String>,
    pub entries: Vec<AppendixEntry>,
    pub total_codings: usize,
}

/// Builds the appendix from a project.
pub fn appendix(project: &Project, options: &AppendixOptions) -> Result<Appendix> {
    let data = StudyData::load(project, options.coder.as_deref())?;
    let version = project.current_codebook_version()?.map(|(_, name)| name);
    build(&data, version, options, &mut |id| project.document_text(id))
}

/// Builds the appendix from loaded data; `text_of` returns a document's text.
pub fn build(
    data: &StudyData,
    version: Option<String>,
    options: &AppendixOptions,
    text_of: &mut dyn FnMut(&str) -> Result<String>,
) -> Result<Appendix> {
    let mut codings: HashMap<&str, usize> = HashMap::new();
    let mut people: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut people_by_wave: HashMap<(&str, usize), HashSet<&str>> = HashMap::new();
    let mut first_starred: HashMap<&str, &crate::model::Coding> = HashMap::new();
    for c in &data.codings {
        *codings.entry(c.code_id.as_str()).or_default() += 1;
        let (participant, wave) = data.participant_and_wave(c);
        if let Some(p) = participant {
            people.entry(c.code_id.as_str()).or_default().insert(p);
            if let Some(w) = wave.and_then(|w| data.waves.iter().position(|x| x == w)) {
                people_by_wave.entry((c.code_id.as_str(), w)).or_default().insert(p);
            }
        }
        if c.illustrative {
            first_starred.entry(c.code_id.as_str()).or_insert(c);
        }
    }
    let mut texts: HashMap<String, String> = HashMap::new();
    let mut entries = Vec::new();
    for (i, code) in data.codes.iter().enumerate() {
        let id = code.id.as_str();
        let mut starred_quote = None;
        if options.starred_examples
            && let Some(c) = first_starred.get(id)
        {
            if !texts.contains_key(&c.document_id) {
                texts.insert(c.document_id.clone(), text_of(&c.document_id)?);
            }
            let raw = slice_chars(&texts[&c.document_id], c.start, c.end).unwrap_or("");
            let flat = raw.split_whitespace().collect::<Vec<_>>().join(" ");
            if !flat.is_empty() {
                let (text, _) = trim_words(&flat, options.quote_words);
                let (p, w) = data.participant_and_wave(c);
                let who: Vec<&str> = [p, w].into_iter().flatten().collect();
                starred_quote = Some(if who.is_empty() {
                    format!("“{text}”")
                } else {
                    format!("“{text}” ({})", who.join(", "))
                });
            }
        }
        entries.push(AppendixEntry {
            code_id: code.id.clone(),
            name: code.name.clone(),
            path: data.path(id),
            depth: data.depth[i],
            description: code.description.clone(),
            codings: codings.get(id).copied().unwrap_or(0),
            participants: people.get(id).map_or(0, HashSet::len),
            participants_by_wave: (0..data.waves.len())
                .map(|w| people_by_wave.get(&(id, w)).map_or(0, HashSet::len))
                .collect(),
            starred_quote,
        });
    }
    Ok(Appendix {
        title: options.title.clone(),
        version,
        waves: data.waves.clone(),
        total_codings: data.codings.len(),
        entries,
    })
}

impl AppendixEntry {
    /// "5 (BL 4, 3M 3, 6M 2)".
    pub fn participants_text(&self, waves: &[String]) -> String {
        if waves.is_empty() {
            return self.participants.to_string();
        }
        let per: Vec<String> = waves.iter().zip(&self.participants_by_wave).map(|(w, n)| format!("{w} {n}")).collect();
        format!("{} ({})", self.participants, per.join(", "))
    }
}

/// The appendix as a document: a title and note, then per theme a heading and one table
/// of the theme and every code below it.
pub fn to_layout(a: &Appendix) -> Layout {
    let mut blocks = vec![Block::Heading { level: 1, text: a.title.clone() }];
    let mut note = format!("{} codes; {} codings.", a.entries.len(), a.total_codings);
    if let Some(v) = &a.version {
        note = format!("Codebook version: {v}. {note}");
    }
    note.push_str(" Codings and participants count each code's own codings, not those of the codes below it.");
    blocks.push(Block::Paragraph(Para::note(note)));
    let header: Vec<String> =
        ["Code", "Definition", "Use when", "Do not use when", "Example", "Codings", "Participants"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let mut current: Option<Table> = None;
    for e in &a.entries {
        if e.depth == 0 {
            if let Some(t) = current.take() {
                blocks.push(Block::Table(t));
            }
            blocks.push(Block::Heading { level: 2, text: e.name.clone() });
            current = Some(Table { header: header.clone(), widths: vec![4, 6, 5, 5, 6, 2, 3], rows: Vec::new() });
        }
        let table = current.get_or_insert_with(|| Table {
            header: header.clone(),
            widths: vec![4, 6, 5, 5, 6, 2, 3],
            rows: Vec::new(),
        });
        let name = format!("{}{}", "– ".repeat(e.depth), e.name);
        let mut example = Vec::new();
        if !e.description.example.trim().is_empty() {
            example.push(Para { runs: vec![Run::italic(e.description.example.trim().to_string())], note: false });
        }
        if let Some(q) = &e.starred_quote {
            example.push(Para { runs: vec![Run::plain("Starred: "), Run::italic(q.clone())], note: false });
        }
        table.rows.push(vec![
            if e.depth == 0 { Cell::bold(name) } else { Cell::text(name) },
            Cell::text(e.description.definition.trim().to_string()),
            Cell::text(e.description.inclusion.trim().to_string()),
            Cell::text(e.description.exclusion.trim().to_string()),
            Cell { paragraphs: example },
            Cell::text(e.codings.to_string()),
            Cell::text(e.participants_text(&a.waves)),
        ]);
    }
    if let Some(t) = current.take() {
        blocks.push(Block::Table(t));
    }
    Layout { title: a.title.clone(), landscape: true, blocks }
}

/// Writes the appendix in `format` (DOCX, Markdown or HTML; CSV and XLSX as one row per code).
pub fn render(a: &Appendix, format: super::Format) -> Result<Vec<u8>> {
    use super::Format;
    use super::layout::{Sheet, Value};
    let sheet = || Sheet {
        name: "Codebook".into(),
        header: [
            "Code",
            "Definition",
            "Use when",
            "Do not use when",
            "Example",
            "Starred quote",
            "Codings",
            "Participants",
            "Participants by wave",
            "Code ID",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: a
            .entries
            .iter()
            .map(|e| {
                vec![
                    Value::from(e.path.as_str()),
                    Value::from(e.description.definition.as_str()),
                    Value::from(e.description.inclusion.as_str()),
                    Value::from(e.description.exclusion.as_str()),
                    Value::from(e.description.example.as_str()),
                    Value::from(e.starred_quote.clone()),
                    Value::from(e.codings),
                    Value::from(e.participants),
                    Value::from(e.participants_text(&a.waves)),
                    Value::from(e.code_id.as_str()),
                ]
            })
            .collect(),
        widths: vec![36.0, 50.0, 40.0, 40.0, 40.0, 50.0, 9.0, 12.0, 26.0, 38.0],
        wrap: true,
    };
    Ok(match format {
        Format::Docx => super::docx::write(&to_layout(a))?,
        Format::Markdown => super::markdown::write(&to_layout(a)).into_bytes(),
        Format::Html => super::html::write(&to_layout(a)).into_bytes(),
        Format::Csv => super::csv::write(&sheet())?,
        Format::Xlsx => super::xlsx::write(&[sheet()])?,
    })
}
