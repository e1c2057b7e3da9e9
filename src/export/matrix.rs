//! The counts papers report, each as a [`Matrix`] of codes by something:
//!
//! - [`code_wave`]: codings and distinct participants per code per wave.
//! - [`code_participant`]: codings per code per participant (or per participant and wave).
//! - [`code_attribute`]: participants (or codings) per code per value of an attribute.
//! - [`cooccurrence`]: how often two codes are applied to overlapping text.
//!
//! Rules, stated once:
//! - **Roll-up.** With `rollup` a code counts its own codings and those of every code
//!   below it, so a theme's row covers its subthemes (participants are distinct across
//!   them, never summed). Without it a row counts only codings made with that code.
//! - **Participants** are distinct participant labels of the coded documents; codings in
//!   documents without a participant count as codings but add no participant.
//! - **Attributes.** Text, category and date attributes are split by value (sorted;
//!   dates in time order). Numbers are split by value (sorted numerically) unless cut
//!   points are given: cuts `40, 60` make "under 40", "40 to under 60" and "60 and
//!   over". Participants without a value form a "(no value)" column. Each column's
//!   heading carries its group size, such as `female (n=3)`.
//! - **Co-occurrence.** Two codings co-occur when they lie in the same document, have
//!   different codes, share at least one character (`a.start < b.end && b.start <
//!   a.end`) and were made by the same coder. A cell counts such pairs of codings; the
//!   diagonal holds each code's number of codings; no roll-up. Same-coder pairs only by
//!   default, so two coders disagreeing about one passage is not co-occurrence; with
//!   `any_coder` pairs across coders count too (for a project whose coders split the
//!   documents or code one shared layer).

use super::data::StudyData;
use super::layout::{Block, Cell, Layout, Para, Sheet, Table, Value};
use crate::error::{Error, Result};
use crate::model::AttributeKind;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// A table of codes (rows) by columns, with whole-number cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matrix {
    pub title: String,
    /// What the numbers mean and how they were counted.
    pub note: String,
    pub columns: Vec<String>,
    pub rows: Vec<MatrixRow>,
}

/// One code's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixRow {
    pub code_id: String,
    pub name: String,
    /// `Theme / Subtheme / Code`.
    pub path: String,
    /// 0 for a theme.
    pub depth: usize,
    pub values: Vec<usize>,
}

impl Matrix {
    /// A value by row code ID and column heading.
    pub fn get(&self, code_id: &str, column: &str) -> Option<usize> {
        let c = self.columns.iter().position(|x| x == column)?;
        self.rows.iter().find(|r| r.code_id == code_id)?.values.get(c).copied()
    }

    /// The matrix as a sheet: code path, the columns, then the code's ID.
    pub fn to_sheet(&self, name: &str) -> Sheet {
        let mut header = vec!["Code".to_string()];
        header.extend(self.columns.iter().cloned());
        header.push("Code ID".into());
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut v = vec![Value::from(r.path.as_str())];
                v.extend(r.values.iter().map(|n| Value::from(*n)));
                v.push(Value::from(r.code_id.as_str()));
                v
            })
            .collect();
        let mut widths = vec![44.0];
        widths.extend(self.columns.iter().map(|c| (c.chars().count() as f64 + 2.0).clamp(8.0, 24.0)));
        widths.push(38.0);
        Sheet { name: name.to_string(), header, rows, widths, wrap: false }
    }

    /// The matrix as a document with one table.
    pub fn to_layout(&self) -> Layout {
        let mut header = vec!["Code".to_string()];
        header.extend(self.columns.iter().cloned());
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut cells = vec![Cell::text(format!("{}{}", "– ".repeat(r.depth), r.name))];
                cells.extend(r.values.iter().map(|n| Cell::text(n.to_string())));
                cells
            })
            .collect();
        let mut widths = vec![4];
        widths.extend(std::iter::repeat_n(1, self.columns.len()));
        Layout {
            title: self.title.clone(),
            landscape: self.columns.len() > 6,
            blocks: vec![
                Block::Heading { level: 1, text: self.title.clone() },
                Block::Paragraph(Para::note(self.note.clone())),
                Block::Table(Table { header, widths, rows }),
            ],
        }
    }

    /// Writes the matrix in `format` (CSV and XLSX as a sheet; DOCX, Markdown and HTML
    /// as a table).
    pub fn render(&self, sheet_name: &str, format: super::Format) -> Result<Vec<u8>> {
        use super::Format;
        Ok(match format {
            Format::Csv => super::csv::write(&self.to_sheet(sheet_name))?,
            Format::Xlsx => super::xlsx::write(&[self.to_sheet(sheet_name)])?,
            Format::Docx => super::docx::write(&self.to_layout())?,
            Format::Markdown => super::markdown::write(&self.to_layout()).into_bytes(),
            Format::Html => super::html::write(&self.to_layout()).into_bytes(),
        })
    }
}

/// Codings of each code (by position), as indexes into `data.codings`.
fn codings_by_code(data: &StudyData) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); data.codes.len()];
    for (i, c) in data.codings.iter().enumerate() {
        if let Some(p) = data.code_position(&c.code_id) {
            out[p].push(i);
        }
    }
    out
}

/// For each code (by position), the codings it counts: its own, or with `rollup` also
/// those of every code below it.
fn counted_codings(data: &StudyData, rollup: bool) -> Vec<Vec<usize>> {
    let own = codings_by_code(data);
    if !rollup {
        return own;
    }
    data.subtrees().iter().map(|tree| tree.iter().flat_map(|&p| own[p].iter().copied()).collect()).collect()
}

fn row(data: &StudyData, position: usize, values: Vec<usize>) -> MatrixRow {
    let c = &data.codes[position];
    MatrixRow {
        code_id: c.id.clone(),
        name: c.name.clone(),
        path: data.path(&c.id),
        depth: data.depth[position],
        values,
    }
}

fn rollup_note(rollup: bool) -> &'static str {
    if rollup {
        "A code counts its own codings and those of the codes below it."
    } else {
        "A code counts only codings made with that code."
    }
}

/// The waves to show: the project's, plus "No wave" when a coded document has none.
fn wave_columns(data: &StudyData) -> Vec<String> {
    let mut waves = data.waves.clone();
    if data.codings.iter().any(|c| data.participant_and_wave(c).1.is_none()) {
        waves.push("No wave".into());
    }
    waves
}

/// Codings and distinct participants per code per wave, then in all.
/// Columns: `W codings`, `W participants` for each wave, `All codings`, `All participants`.
pub fn code_wave(data: &StudyData, rollup: bool) -> Matrix {
    let waves = wave_columns(data);
    let wave_of = |name: Option<&str>| match name {
        Some(w) => data.waves.iter().position(|x| x == w),
        None => Some(data.waves.len()),
    };
    let counted = counted_codings(data, rollup);
    let rows = (0..data.codes.len())
        .map(|p| {
            let mut codings = vec![0; waves.len()];
            let mut people: Vec<HashSet<&str>> = vec![HashSet::new(); waves.len()];
            let mut all_people = HashSet::new();
            for &i in &counted[p] {
                let (participant, wave) = data.participant_and_wave(&data.codings[i]);
                if let Some(w) = wave_of(wave) {
                    codings[w] += 1;
                    if let Some(pl) = participant {
                        people[w].insert(pl);
                    }
                }
                if let Some(pl) = participant {
                    all_people.insert(pl);
                }
            }
            let mut values = Vec::new();
            for w in 0..waves.len() {
                values.push(codings[w]);
                values.push(people[w].len());
            }
            values.push(counted[p].len());
            values.push(all_people.len());
            row(data, p, values)
        })
        .collect();
    let mut columns = Vec::new();
    for w in waves.iter().chain(std::iter::once(&"All".to_string())) {
        columns.push(format!("{w} codings"));
        columns.push(format!("{w} participants"));
    }
    Matrix {
        title: "Codings and participants per code and wave".into(),
        note: format!("Participants are counted once per code and wave. {}", rollup_note(rollup)),
        columns,
        rows,
    }
}

/// Codings per code per participant; with `by_wave`, per participant and wave
/// (columns such as `P01 BL`, only the combinations that have a document).
pub fn code_participant(data: &StudyData, rollup: bool, by_wave: bool) -> Matrix {
    let mut keys: Vec<(String, Option<String>)> = Vec::new();
    let mut key_of: HashMap<(String, Option<String>), usize> = HashMap::new();
    let mut docs: Vec<&crate::model::Document> = data.documents.iter().filter(|d| d.participant.is_some()).collect();
    let wave_rank = |w: &Option<String>| w.as_ref().and_then(|w| data.waves.iter().position(|x| x == w));
    docs.sort_by_key(|d| (d.participant.clone(), wave_rank(&d.wave).is_none(), wave_rank(&d.wave)));
    for d in docs {
        let key = (d.participant.clone().unwrap_or_default(), if by_wave { d.wave.clone() } else { None });
        if !key_of.contains_key(&key) {
            key_of.insert(key.clone(), keys.len());
            keys.push(key);
        }
    }
    let counted = counted_codings(data, rollup);
    let rows = (0..data.codes.len())
        .map(|p| {
            let mut values = vec![0; keys.len()];
            for &i in &counted[p] {
                let (participant, wave) = data.participant_and_wave(&data.codings[i]);
                let Some(pl) = participant else { continue };
                let key = (pl.to_string(), if by_wave { wave.map(str::to_string) } else { None });
                if let Some(&k) = key_of.get(&key) {
                    values[k] += 1;
                }
            }
            row(data, p, values)
        })
        .collect();
    let columns = keys
        .iter()
        .map(|(p, w)| match (by_wave, w) {
            (true, Some(w)) => format!("{p} {w}"),
            (true, None) => format!("{p} (no wave)"),
            _ => p.clone(),
        })
        .collect();
    Matrix {
        title: if by_wave { "Codings per code, participant and wave" } else { "Codings per code and participant" }
            .into(),
        note: format!("Each cell counts codings. {}", rollup_note(rollup)),
        columns,
        rows,
    }
}

/// What the cells of a code × attribute matrix count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Count {
    /// Distinct participants in the group with the code.
    #[default]
    Participants,
    /// Codings in the group's documents.
    Codings,
}

/// Participants (or codings) per code per attribute value; `cuts` bins a number attribute.
pub fn code_attribute(data: &StudyData, attribute: &str, cuts: &[f64], count: Count, rollup: bool) -> Result<Matrix> {
    let def =
        data.attributes.iter().find(|a| a.name.trim().eq_ignore_ascii_case(attribute.trim())).ok_or_else(|| {
            Error::NotFound {
                kind: "attribute",
                query: format!(
                    "{attribute} (the project has: {})",
                    data.attributes.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            }
        })?;
    let mut cuts: Vec<f64> = cuts.iter().copied().filter(|x| x.is_finite()).collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let binned = def.kind == AttributeKind::Number && !cuts.is_empty();
    const NO_VALUE: &str = "(no value)";
    let fmt = |x: f64| if x.fract() == 0.0 { format!("{x:.0}") } else { x.to_string() };
    let bin_labels: Vec<String> = if binned {
        let mut l = vec![format!("under {}", fmt(cuts[0]))];
        for w in cuts.windows(2) {
            l.push(format!("{} to under {}", fmt(w[0]), fmt(w[1])));
        }
        l.push(format!("{} and over", fmt(cuts[cuts.len() - 1])));
        l
    } else {
        Vec::new()
    };
    // Each participant's group.
    let group_of = |label: &str| -> String {
        let Some(v) = data.attribute(label, &def.name) else { return NO_VALUE.to_string() };
        if binned {
            match v.parse::<f64>() {
                Ok(x) => bin_labels[cuts.iter().take_while(|c| x >= **c).count()].clone(),
                Err(_) => NO_VALUE.to_string(),
            }
        } else {
            v
        }
    };
    let mut groups: HashMap<String, String> = HashMap::new();
    let mut sizes: HashMap<String, usize> = HashMap::new();
    for p in &data.participants {
        let g = group_of(&p.label);
        *sizes.entry(g.clone()).or_default() += 1;
        groups.insert(p.label.clone(), g);
    }
    let mut values: Vec<String> = if binned {
        bin_labels.iter().filter(|l| sizes.contains_key(*l)).cloned().collect()
    } else {
        let set: BTreeSet<&String> = sizes.keys().filter(|k| k.as_str() != NO_VALUE).collect();
        let mut v: Vec<String> = set.into_iter().cloned().collect();
        if def.kind == AttributeKind::Number {
            v.sort_by(|a, b| {
                a.parse::<f64>().unwrap_or(f64::MAX).total_cmp(&b.parse::<f64>().unwrap_or(f64::MAX)).then(a.cmp(b))
            });
        }
        v
    };
    if sizes.contains_key(NO_VALUE) {
        values.push(NO_VALUE.to_string());
    }
    let index: HashMap<&str, usize> = values.iter().enumerate().map(|(i, v)| (v.as_str(), i)).collect();
    let counted = counted_codings(data, rollup);
    let rows = (0..data.codes.len())
        .map(|p| {
            let mut codings = vec![0; values.len()];
            let mut people: Vec<HashSet<&str>> = vec![HashSet::new(); values.len()];
            for &i in &counted[p] {
                let Some(pl) = data.participant_and_wave(&data.codings[i]).0 else { continue };
                let Some(&g) = groups.get(pl).and_then(|g| index.get(g.as_str())) else { continue };
                codings[g] += 1;
                people[g].insert(pl);
            }
            let v = match count {
                Count::Codings => codings,
                Count::Participants => people.iter().map(HashSet::len).collect(),
            };
            row(data, p, v)
        })
        .collect();
    let what = match count {
        Count::Participants => "participants",
        Count::Codings => "codings",
    };
    let split = if binned {
        format!("{} is binned at {}", def.name, cuts.iter().map(|c| fmt(*c)).collect::<Vec<_>>().join(", "))
    } else {
        format!("{} is split by value", def.name)
    };
    Ok(Matrix {
        title: format!("Code × {} ({what})", def.name),
        note: format!(
            "Each cell counts {what} in the group; n is the group's number of participants; {split}. {}",
            rollup_note(rollup)
        ),
        columns: values.iter().map(|v| format!("{v} (n={})", sizes.get(v).copied().unwrap_or(0))).collect(),
        rows,
    })
}

/// Code co-occurrence: pairs of overlapping codings in one document, by the same coder
/// unless `any_coder` (see the module documentation); the diagonal holds each code's codings.
pub fn cooccurrence(data: &StudyData, any_coder: bool) -> Matrix {
    let n = data.codes.len();
    let mut cells = vec![vec![0usize; n]; n];
    let mut by_doc: HashMap<&str, Vec<(usize, usize, usize, &str)>> = HashMap::new();
    for c in &data.codings {
        if let Some(p) = data.code_position(&c.code_id) {
            cells[p][p] += 1;
            by_doc.entry(c.document_id.as_str()).or_default().push((c.start, c.end, p, c.coder.as_str()));
        }
    }
    for list in by_doc.values_mut() {
        list.sort_unstable();
        for i in 0..list.len() {
            let (_, end_i, code_i, coder_i) = list[i];
            for &(start_j, _, code_j, coder_j) in &list[i + 1..] {
                if start_j >= end_i {
                    break;
                }
                if code_i != code_j && (any_coder || coder_i == coder_j) {
                    cells[code_i][code_j] += 1;
                    cells[code_j][code_i] += 1;
                }
            }
        }
    }
    Matrix {
        title: "Code co-occurrence".into(),
        note: format!(
            "Each cell counts pairs of codings with the two codes that overlap by at least one character in the same \
             document{}; the diagonal holds each code's number of codings.",
            if any_coder { ", whoever coded them" } else { " and were made by the same coder" }
        ),
        columns: data.codes.iter().map(|c| c.name.clone()).collect(),
        rows: cells.into_iter().enumerate().map(|(p, values)| row(data, p, values)).collect(),
    }
}
