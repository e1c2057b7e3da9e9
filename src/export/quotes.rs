//! The quote report: themes and subthemes, each with illustrative quotes followed by the
//! speaker's attributes, optionally split by wave. This is the table a paper prints.
//!
//! **Rows.** Each chosen theme (a code; by default every top-level code) gets one table.
//! Its rows are its subthemes (by default its direct children; or the chosen codes that
//! lie under it), plus a first row "(theme as a whole)" for codings made with the theme
//! code itself. A coding belongs to the nearest row above it in the tree, so a coding
//! with a sub-subtheme counts under its subtheme and never twice.
//!
//! **Columns.** One column of quotes, or one per wave, or one per named group of waves
//! (such as `Before=BL` and `After=3M,6M`). Documents without a wave go in a "No wave"
//! column when splitting by wave.
//!
//! **Which quotes.** [`Selection::Starred`] uses the codings the team starred as
//! illustrative; [`Selection::Propose`] fills each cell up to a number, starred codings
//! first, then the best of the rest. Overlapping codings in one document (two coders
//! coding the same passage) count as one passage: a starred one is kept, else the one
//! that ranks first. Within a cell quotes are picked one at a time, each time taking the
//! candidate whose participant (1) has the fewest quotes in this cell so far, (2) has the
//! fewest in this theme's table so far, then (3) the quote whose length is closest to a
//! comfortable 12–60 words (or up to the word limit), then document name, position and
//! coding ID. So a participant is repeated in a cell only when no one else is left, and
//! the result is the same every time.
//!
//! **Quote text.** The coded text with runs of white space made single spaces; longer
//! than the word limit, it is cut at a word boundary (Unicode word segmentation) and
//! ends with "…". The attribution after it comes from a [`Template`].

use super::data::StudyData;
use super::layout::{Block, Cell, Layout, Para, Run, Sheet, Table, Value};
use super::template::Template;
use crate::Project;
use crate::error::{Error, Result};
use crate::model::offsets::CharIndex;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use unicode_segmentation::UnicodeSegmentation;

/// The placeholders every template may use besides participant attributes.
pub const BUILT_IN_FIELDS: [&str; 6] = ["participant", "wave", "document", "coder", "code", "time"];

/// How quotes are chosen for each cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Only the starred codings, at most `per_cell` in a cell (all when `None`).
    Starred { per_cell: Option<usize> },
    /// Up to `per_cell` quotes in a cell: starred ones first, then proposals.
    Propose { per_cell: usize },
}

/// How the quote columns are split.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WaveSplit {
    /// One column of quotes.
    #[default]
    Together,
    /// One column per wave, in time order.
    EachWave,
    /// One column per named group of waves; quotes from other waves are left out.
    Groups(Vec<WaveGroup>),
}

/// A named group of waves, such as "After" = 3M and 6M.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveGroup {
    pub label: String,
    pub waves: Vec<String>,
}

impl WaveGroup {
    /// Reads `Label=W1,W2` (or just `W1`, which is its own label).
    pub fn parse(s: &str) -> Result<WaveGroup> {
        let (label, list) = match s.split_once('=') {
            Some((l, w)) => (l.trim().to_string(), w),
            None => (s.trim().to_string(), s),
        };
        let waves: Vec<String> = list.split(',').map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect();
        if label.is_empty() || waves.is_empty() {
            return Err(Error::Invalid(format!(
                "\"{s}\" is not a wave group; write LABEL=WAVE,WAVE (for example After=3M,6M)"
            )));
        }
        Ok(WaveGroup { label, waves })
    }
}

/// What to put in a quote report.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteOptions {
    pub title: String,
    /// Theme code IDs, in the order to report them; empty means every top-level code.
    pub themes: Vec<String>,
    /// Subtheme code IDs to keep; empty means every direct child of each theme.
    pub subthemes: Vec<String>,
    pub selection: Selection,
    /// The attribution after each quote, such as `[{age}-year-old {gender}]`.
    pub template: String,
    pub waves: WaveSplit,
    /// Cut quotes longer than this many words.
    pub max_words: Option<usize>,
    /// Only this coder's codings (all coders when `None`).
    pub coder: Option<String>,
}

impl Default for QuoteOptions {
    fn default() -> Self {
        QuoteOptions {
            title: "Themes and illustrative quotes".into(),
            themes: Vec::new(),
            subthemes: Vec::new(),
            selection: Selection::Starred { per_cell: None },
            template: "[{participant}, {wave}]".into(),
            waves: WaveSplit::Together,
            max_words: None,
            coder: None,
        }
    }
}

/// One quote in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    pub coding_id: String,
    pub code_id: String,
    pub code: String,
    pub document_id: String,
    pub document: String,
    pub participant: Option<String>,
    pub wave: Option<String>,
    /// The coded range in the document, in characters, half-open.
    pub start: usize,
    pub end: usize,
    /// The quote as printed (cut to the word limit).
    pub text: String,
    /// Whether `text` was cut.
    pub trimmed: bool,
    /// Words in the whole coded passage.
    pub words: usize,
    /// The rendered template.
    pub attribution: String,
    pub starred: bool,
    pub coder: String,
}

/// A subtheme's row: one list of quotes per column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubthemeRow {
    pub code_id: String,
    pub name: String,
    pub cells: Vec<Vec<Quote>>,
}

/// One theme's table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeTable {
    pub code_id: String,
    pub name: String,
    pub definition: String,
    pub rows: Vec<SubthemeRow>,
}

/// The quote report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteReport {
    pub title: String,
    pub template: String,
    /// The quote columns' headings ("Illustrative quotes", or waves, or wave groups).
    pub columns: Vec<String>,
    pub themes: Vec<ThemeTable>,
    /// Themes that had no quote at all (left out of the tables).
    pub empty_themes: Vec<String>,
    /// How the quotes were chosen, in a sentence.
    pub selection_note: String,
    /// Problems worth telling the user (unknown placeholders, template mistakes).
    pub warnings: Vec<String>,
}

impl QuoteReport {
    /// How many quotes the report holds.
    pub fn quote_count(&self) -> usize {
        self.themes.iter().flat_map(|t| &t.rows).flat_map(|r| &r.cells).map(Vec::len).sum()
    }
}

/// Which quote column a wave goes in (`None`: left out).
type ColumnOf = Box<dyn Fn(Option<&str>) -> Option<usize>>;

const THEME_ROW: &str = "(theme as a whole)";
const NO_WAVE: &str = "No wave";

struct Candidate<'a> {
    coding: &'a crate::model::Coding,
    row: usize,
    column: usize,
    participant_key: String,
    document: &'a str,
    text: String,
    words: usize,
}

/// Builds the quote report from a project.
pub fn quote_report(project: &Project, options: &QuoteOptions) -> Result<QuoteReport> {
    let data = StudyData::load(project, options.coder.as_deref())?;
    build(&data, options, &mut |id| project.document_text(id))
}

/// Builds the quote report from loaded data; `text_of` returns a document's text.
pub fn build(
    data: &StudyData,
    options: &QuoteOptions,
    text_of: &mut dyn FnMut(&str) -> Result<String>,
) -> Result<QuoteReport> {
    let template = Template::parse(&options.template);
    let mut warnings = template.warnings.clone();
    warnings.extend(template_warnings(data, &template));

    // Themes and their rows.
    let theme_ids: Vec<String> = if options.themes.is_empty() {
        data.codes.iter().filter(|c| c.parent_id.is_none()).map(|c| c.id.clone()).collect()
    } else {
        options.themes.clone()
    };
    for id in theme_ids.iter().chain(&options.subthemes) {
        if data.code(id).is_none() {
            return Err(Error::NotFound { kind: "code", query: id.clone() });
        }
    }
    let rows = theme_rows(data, options, &theme_ids);
    // Rows by (theme, code): a coding goes to the nearest row code at or above its code,
    // once per theme that holds such a row.
    let mut row_of: HashMap<(usize, &str), usize> = HashMap::new();
    for (i, (t, code, _)) in rows.iter().enumerate() {
        row_of.insert((*t, code.as_str()), i);
    }
    let (columns, column_of) = quote_columns(data, &options.waves, &mut warnings);

    // The rows each code's codings go to (one per theme at most), worked out once per code.
    let rows_of_code: HashMap<&str, Vec<usize>> = data
        .codes
        .iter()
        .map(|code| {
            let lineage = data.lineage(&code.id);
            let rows: Vec<usize> = (0..theme_ids.len())
                .filter_map(|t| lineage.iter().find_map(|c| row_of.get(&(t, c.id.as_str())).copied()))
                .collect();
            (code.id.as_str(), rows)
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect();

    let (candidates, outside_groups) = candidates(data, options, &rows_of_code, &column_of, text_of)?;
    if outside_groups > 0 {
        warnings.push(format!("{outside_groups} quote(s) come from waves in no wave group and are left out"));
    }
    let by_row = passages(&candidates, rows.len(), options.max_words);
    let picked = Picked { rows: &rows, by_row: &by_row, columns: columns.len(), template: &template };
    let (themes, empty_themes) = theme_tables(data, options, &theme_ids, &picked)?;
    Ok(QuoteReport {
        title: options.title.clone(),
        template: options.template.clone(),
        columns,
        themes,
        empty_themes,
        selection_note: selection_note(options),
        warnings,
    })
}

/// Warnings for the template's placeholders that name no attribute.
fn template_warnings(data: &StudyData, template: &Template) -> Vec<String> {
    let mut warnings = Vec::new();
    let known: HashSet<String> = BUILT_IN_FIELDS
        .iter()
        .map(|s| s.to_string())
        .chain(data.attributes.iter().map(|a| a.name.trim().to_lowercase()))
        .collect();
    let mut unknown: Vec<&str> = template.fields().filter(|f| !known.contains(&f.to_lowercase())).collect();
    unknown.dedup();
    for f in unknown {
        warnings
            .push(format!("the template's {{{f}}} names no attribute (known: {}); it is left out", known_list(data)));
    }
    warnings
}

/// The rows of every theme: (theme index, row code, row name), a theme's own row first.
fn theme_rows(data: &StudyData, options: &QuoteOptions, theme_ids: &[String]) -> Vec<(usize, String, String)> {
    let mut rows: Vec<(usize, String, String)> = Vec::new();
    for (t, theme_id) in theme_ids.iter().enumerate() {
        if options.subthemes.is_empty() || options.subthemes.contains(theme_id) {
            rows.push((t, theme_id.clone(), THEME_ROW.to_string()));
        }
        if options.subthemes.is_empty() {
            for c in data.children(theme_id) {
                rows.push((t, c.id.clone(), c.name.clone()));
            }
        } else {
            for c in &data.codes {
                if c.id != *theme_id
                    && options.subthemes.contains(&c.id)
                    && data.lineage(&c.id).iter().any(|a| a.id == *theme_id)
                {
                    rows.push((t, c.id.clone(), c.name.clone()));
                }
            }
        }
    }
    rows
}

/// The quote columns' headings and which column a wave goes in.
fn quote_columns(data: &StudyData, waves: &WaveSplit, warnings: &mut Vec<String>) -> (Vec<String>, ColumnOf) {
    match waves {
        WaveSplit::Together => (vec!["Illustrative quotes".into()], Box::new(|_| Some(0))),
        WaveSplit::EachWave => {
            let mut cols = data.waves.clone();
            let has_no_wave = data.codings.iter().any(|c| data.participant_and_wave(c).1.is_none());
            if has_no_wave {
                cols.push(NO_WAVE.into());
            }
            let waves = data.waves.clone();
            let n = waves.len();
            (
                cols,
                Box::new(move |w| match w {
                    Some(w) => waves.iter().position(|x| x == w),
                    None => Some(n),
                }),
            )
        }
        WaveSplit::Groups(groups) => {
            for g in groups {
                for w in &g.waves {
                    if !data.waves.contains(w) {
                        warnings.push(format!(
                            "the wave group \"{}\" names the wave {w}, which the project does not have (waves: {})",
                            g.label,
                            data.waves.join(", ")
                        ));
                    }
                }
            }
            let g2 = groups.clone();
            (
                groups.iter().map(|g| g.label.clone()).collect(),
                Box::new(move |w| w.and_then(|w| g2.iter().position(|g| g.waves.iter().any(|x| x == w)))),
            )
        }
    }
}

/// Every coding that may be quoted, once for each row it goes to; and how many were left
/// out because their wave is in no column.
fn candidates<'a>(
    data: &'a StudyData,
    options: &QuoteOptions,
    rows_of_code: &HashMap<&str, Vec<usize>>,
    column_of: &ColumnOf,
    text_of: &mut dyn FnMut(&str) -> Result<String>,
) -> Result<(Vec<Candidate<'a>>, usize)> {
    let starred_only = matches!(options.selection, Selection::Starred { .. });
    let mut texts: HashMap<String, (String, CharIndex)> = HashMap::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut outside_groups = 0usize;
    for coding in &data.codings {
        if starred_only && !coding.illustrative {
            continue;
        }
        let Some(rows_here) = rows_of_code.get(coding.code_id.as_str()) else { continue };
        for &row in rows_here {
            let Some(doc) = data.document(&coding.document_id) else { continue };
            let Some(column) = column_of(doc.wave.as_deref()) else {
                outside_groups += 1;
                continue;
            };
            if !texts.contains_key(&coding.document_id) {
                let text = text_of(&coding.document_id)?;
                let index = CharIndex::new(&text);
                texts.insert(coding.document_id.clone(), (text, index));
            }
            let (doc_text, index) = &texts[&coding.document_id];
            let raw = match (index.char_to_byte(coding.start), index.char_to_byte(coding.end)) {
                (Some(a), Some(b)) if a <= b => &doc_text[a..b],
                _ => "",
            };
            let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
            if text.is_empty() {
                continue;
            }
            candidates.push(Candidate {
                coding,
                row,
                column,
                participant_key: doc.participant.clone().unwrap_or_else(|| format!("document {}", doc.id)),
                document: &doc.name,
                words: word_count(&text),
                text,
            });
        }
    }
    Ok((candidates, outside_groups))
}

/// Each row's candidates in rank order, one passage per overlap: starred first, then by
/// rank (length closest to the comfortable band, document, position, ID).
fn passages<'a, 'b>(
    candidates: &'b [Candidate<'a>],
    rows: usize,
    max_words: Option<usize>,
) -> Vec<Vec<&'b Candidate<'a>>> {
    let band_high = max_words.map_or(60, |m| m.clamp(1, 60));
    let band_low = 12.min(band_high);
    let length_penalty = |w: usize| {
        if w < band_low { band_low - w } else { w.saturating_sub(band_high) }
    };
    let rank = |c: &Candidate| {
        (!c.coding.illustrative, length_penalty(c.words), c.document.to_string(), c.coding.start, c.coding.id.clone())
    };
    let mut by_row: Vec<Vec<&Candidate>> = vec![Vec::new(); rows];
    {
        let mut sorted: Vec<&Candidate> = candidates.iter().collect();
        sorted.sort_by_cached_key(|c| (c.row, rank(c)));
        let mut kept: HashMap<(usize, &str), Vec<(usize, usize)>> = HashMap::new();
        for c in sorted {
            let spans = kept.entry((c.row, c.coding.document_id.as_str())).or_default();
            if spans.iter().any(|(s, e)| c.coding.start < *e && *s < c.coding.end) {
                continue;
            }
            spans.push((c.coding.start, c.coding.end));
            by_row[c.row].push(c);
        }
    }
    by_row
}

/// What the tables are filled from.
struct Picked<'p, 'a, 'b> {
    rows: &'p [(usize, String, String)],
    by_row: &'p [Vec<&'b Candidate<'a>>],
    columns: usize,
    template: &'p Template,
}

/// One table per theme with quotes (picked cell by cell), and the names of the themes
/// without any quote.
fn theme_tables(
    data: &StudyData,
    options: &QuoteOptions,
    theme_ids: &[String],
    picked: &Picked,
) -> Result<(Vec<ThemeTable>, Vec<String>)> {
    let per_cell = match options.selection {
        Selection::Starred { per_cell } => per_cell.unwrap_or(usize::MAX),
        Selection::Propose { per_cell } => per_cell,
    };
    let mut themes: Vec<ThemeTable> = Vec::new();
    let mut empty_themes = Vec::new();
    for (t, theme_id) in theme_ids.iter().enumerate() {
        let theme = data.code(theme_id).ok_or_else(|| Error::NotFound { kind: "code", query: theme_id.clone() })?;
        let mut used_in_table: HashMap<&str, usize> = HashMap::new();
        let mut table_rows = Vec::new();
        for (r, (_, code_id, name)) in picked.rows.iter().enumerate().filter(|(_, (rt, _, _))| *rt == t) {
            let mut cells: Vec<Vec<Quote>> = vec![Vec::new(); picked.columns];
            for (col, cell) in cells.iter_mut().enumerate() {
                // `by_row` is in rank order, so a candidate's place in the pool is its rank.
                let mut pool: Vec<(usize, &Candidate)> =
                    picked.by_row[r].iter().copied().filter(|c| c.column == col).enumerate().collect();
                let mut in_cell: HashMap<&str, usize> = HashMap::new();
                while cell.len() < per_cell && !pool.is_empty() {
                    let best = pool
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, (order, c))| {
                            let p = c.participant_key.as_str();
                            (
                                !c.coding.illustrative,
                                in_cell.get(p).copied().unwrap_or(0),
                                used_in_table.get(p).copied().unwrap_or(0),
                                *order,
                            )
                        })
                        .map(|(i, _)| i);
                    let Some(i) = best else { break };
                    let (_, c) = pool.remove(i);
                    *in_cell.entry(c.participant_key.as_str()).or_default() += 1;
                    *used_in_table.entry(c.participant_key.as_str()).or_default() += 1;
                    cell.push(make_quote(data, c, picked.template, options.max_words));
                }
            }
            if cells.iter().any(|c| !c.is_empty()) {
                table_rows.push(SubthemeRow { code_id: code_id.clone(), name: name.clone(), cells });
            }
        }
        if table_rows.is_empty() {
            empty_themes.push(theme.name.clone());
        } else {
            themes.push(ThemeTable {
                code_id: theme.id.clone(),
                name: theme.name.clone(),
                definition: theme.description.definition.clone(),
                rows: table_rows,
            });
        }
    }
    Ok((themes, empty_themes))
}

/// How the quotes were chosen, in a sentence.
fn selection_note(options: &QuoteOptions) -> String {
    let selection_note = match options.selection {
        Selection::Starred { per_cell: None } => "Quotes: every quote starred as illustrative".to_string(),
        Selection::Starred { per_cell: Some(n) } => format!("Quotes: up to {n} starred quote(s) per cell"),
        Selection::Propose { per_cell } => {
            format!(
                "Quotes: up to {per_cell} per cell, starred quotes first, then proposed by length and participant spread"
            )
        }
    };
    let mut note = selection_note;
    if let Some(m) = options.max_words {
        note.push_str(&format!("; cut at {m} words"));
    }
    if let Some(c) = &options.coder {
        note.push_str(&format!("; codings by {c}"));
    }
    note.push('.');
    note
}

fn known_list(data: &StudyData) -> String {
    BUILT_IN_FIELDS
        .iter()
        .map(|s| s.to_string())
        .chain(data.attributes.iter().map(|a| a.name.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn make_quote(data: &StudyData, c: &Candidate, template: &Template, max_words: Option<usize>) -> Quote {
    let (participant, wave) = data.participant_and_wave(c.coding);
    let code_name = data.code(&c.coding.code_id).map(|x| x.name.clone()).unwrap_or_default();
    let lookup = |name: &str| -> Option<String> {
        match name.trim().to_lowercase().as_str() {
            "participant" => participant.map(str::to_string),
            "wave" => wave.map(str::to_string),
            "document" => Some(c.document.to_string()),
            "coder" => Some(c.coding.coder.clone()),
            "code" => Some(code_name.clone()),
            "time" => data.time_of(&c.coding.document_id, c.coding.start),
            other => participant.and_then(|p| data.attribute(p, other)),
        }
    };
    let attribution = template.render(&lookup);
    let (text, trimmed) = match max_words {
        Some(m) => trim_words(&c.text, m),
        None => (c.text.clone(), false),
    };
    Quote {
        coding_id: c.coding.id.clone(),
        code_id: c.coding.code_id.clone(),
        code: code_name,
        document_id: c.coding.document_id.clone(),
        document: c.document.to_string(),
        participant: participant.map(str::to_string),
        wave: wave.map(str::to_string),
        start: c.coding.start,
        end: c.coding.end,
        text,
        trimmed,
        words: c.words,
        attribution,
        starred: c.coding.illustrative,
        coder: c.coding.coder.clone(),
    }
}

/// Words in `text` (Unicode word segments that hold a letter or digit).
pub fn word_count(text: &str) -> usize {
    text.unicode_words().count()
}

/// Cuts `text` after `max_words` words at a word boundary and appends "…" (dropping
/// punctuation that would hang before it). Returns the text and whether it was cut.
pub fn trim_words(text: &str, max_words: usize) -> (String, bool) {
    let max_words = max_words.max(1);
    let mut seen = 0;
    for (i, seg) in text.split_word_bound_indices() {
        if seg.chars().any(char::is_alphanumeric) {
            seen += 1;
            if seen == max_words {
                let end = i + seg.len();
                let rest = &text[end..];
                if !rest.chars().any(char::is_alphanumeric) {
                    return (text.to_string(), false);
                }
                let head = text[..end].trim_end_matches(|c: char| c.is_whitespace() || ",;:–—-".contains(c));
                return (format!("{head}…"), true);
            }
        }
    }
    (text.to_string(), false)
}

/// The text a quote is printed with: the quote in curly quotation marks, then its
/// attribution.
pub fn quote_line(q: &Quote) -> String {
    if q.attribution.is_empty() { format!("“{}”", q.text) } else { format!("“{}” {}", q.text, q.attribution) }
}

/// The report as a document: a title, a note, then one table per theme (subtheme, then
/// one column per quote column). Quotes are italic, attributions plain.
pub fn to_layout(report: &QuoteReport) -> Layout {
    let mut blocks = vec![Block::Heading { level: 1, text: report.title.clone() }];
    let mut note = report.selection_note.clone();
    if !report.template.trim().is_empty() {
        note.push_str(&format!(" Attribution: {}", report.template));
    }
    blocks.push(Block::Paragraph(Para::note(note)));
    for theme in &report.themes {
        blocks.push(Block::Heading { level: 2, text: theme.name.clone() });
        if !theme.definition.trim().is_empty() {
            blocks.push(Block::Paragraph(Para::note(theme.definition.clone())));
        }
        let mut header = vec!["Subtheme".to_string()];
        header.extend(report.columns.iter().cloned());
        let mut widths = vec![2];
        widths.extend(std::iter::repeat_n(if report.columns.len() == 1 { 7 } else { 4 }, report.columns.len()));
        let rows = theme
            .rows
            .iter()
            .map(|row| {
                let mut cells = vec![Cell::bold(row.name.clone())];
                for quotes in &row.cells {
                    cells.push(if quotes.is_empty() {
                        Cell::text("—")
                    } else {
                        Cell {
                            paragraphs: quotes
                                .iter()
                                .map(|q| {
                                    let mut runs = vec![Run::italic(format!("“{}”", q.text))];
                                    if !q.attribution.is_empty() {
                                        runs.push(Run::plain(format!(" {}", q.attribution)));
                                    }
                                    Para { runs, note: false }
                                })
                                .collect(),
                        }
                    });
                }
                cells
            })
            .collect();
        blocks.push(Block::Table(Table { header, widths, rows }));
    }
    if !report.empty_themes.is_empty() {
        blocks.push(Block::Paragraph(Para::note(format!("No quotes for: {}.", report.empty_themes.join(", ")))));
    }
    Layout { title: report.title.clone(), landscape: report.columns.len() > 1, blocks }
}

/// The report as rows, one quote per row (the form for CSV and for sorting in a
/// spreadsheet).
pub fn to_quote_rows(report: &QuoteReport) -> Sheet {
    let header = [
        "Theme",
        "Subtheme",
        "Column",
        "Quote",
        "Attribution",
        "Participant",
        "Wave",
        "Document",
        "Code",
        "Coder",
        "Starred",
        "Trimmed",
        "Words",
        "Start",
        "End",
        "Coding ID",
    ];
    let mut rows = Vec::new();
    for theme in &report.themes {
        for row in &theme.rows {
            for (col, quotes) in row.cells.iter().enumerate() {
                for q in quotes {
                    rows.push(vec![
                        Value::from(theme.name.as_str()),
                        Value::from(row.name.as_str()),
                        Value::from(report.columns.get(col).cloned().unwrap_or_default()),
                        Value::from(q.text.as_str()),
                        Value::from(q.attribution.as_str()),
                        Value::from(q.participant.clone()),
                        Value::from(q.wave.clone()),
                        Value::from(q.document.as_str()),
                        Value::from(q.code.as_str()),
                        Value::from(q.coder.as_str()),
                        Value::from(if q.starred { "yes" } else { "no" }),
                        Value::from(if q.trimmed { "yes" } else { "no" }),
                        Value::from(q.words),
                        Value::from(q.start),
                        Value::from(q.end),
                        Value::from(q.coding_id.as_str()),
                    ]);
                }
            }
        }
    }
    Sheet {
        name: "Quotes".into(),
        header: header.iter().map(|s| s.to_string()).collect(),
        rows,
        widths: vec![22.0, 22.0, 12.0, 70.0, 26.0, 11.0, 8.0, 14.0, 22.0, 10.0, 8.0, 8.0, 7.0, 7.0, 7.0, 38.0],
        wrap: true,
    }
}

/// The report as the table a paper prints, on one sheet: theme, subtheme, then one
/// column per quote column, quotes in a cell separated by blank lines.
pub fn to_table_sheet(report: &QuoteReport) -> Sheet {
    let mut header = vec!["Theme".to_string(), "Subtheme".to_string()];
    header.extend(report.columns.iter().cloned());
    let mut rows = Vec::new();
    for theme in &report.themes {
        for row in &theme.rows {
            let mut r = vec![Value::from(theme.name.as_str()), Value::from(row.name.as_str())];
            for quotes in &row.cells {
                r.push(if quotes.is_empty() {
                    Value::Empty
                } else {
                    Value::Text(quotes.iter().map(quote_line).collect::<Vec<_>>().join("\n\n"))
                });
            }
            rows.push(r);
        }
    }
    let mut widths = vec![22.0, 24.0];
    widths.extend(std::iter::repeat_n(if report.columns.len() == 1 { 100.0 } else { 60.0 }, report.columns.len()));
    Sheet { name: "Report".into(), header, rows, widths, wrap: true }
}

/// Writes the report in `format`.
pub fn render(report: &QuoteReport, format: super::Format) -> Result<Vec<u8>> {
    use super::Format;
    Ok(match format {
        Format::Docx => super::docx::write(&to_layout(report))?,
        Format::Html => super::html::write(&to_layout(report)).into_bytes(),
        Format::Markdown => super::markdown::write(&to_layout(report)).into_bytes(),
        Format::Csv => super::csv::write(&to_quote_rows(report))?,
        Format::Xlsx => super::xlsx::write(&[to_table_sheet(report), to_quote_rows(report)])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_cuts_at_word_boundaries() {
        assert_eq!(trim_words("one two three four", 2), ("one two…".into(), true));
        assert_eq!(trim_words("one, two, three", 2), ("one, two…".into(), true));
        assert_eq!(trim_words("one two.", 2), ("one two.".into(), false));
        assert_eq!(trim_words("one two", 5), ("one two".into(), false));
        assert_eq!(trim_words("I can't — really — walk far", 3), ("I can't — really…".into(), true));
        assert_eq!(trim_words("Mañana über straße café x", 3), ("Mañana über straße…".into(), true));
        assert_eq!(trim_words("abc", 0), ("abc".into(), false));
        assert_eq!(word_count("It's a long—very long—day, isn't it?"), 8);
    }

    #[test]
    fn wave_groups_parse() {
        assert_eq!(
            WaveGroup::parse("After = 3M, 6M").unwrap(),
            WaveGroup { label: "After".into(), waves: vec!["3M".into(), "6M".into()] }
        );
        assert_eq!(WaveGroup::parse("BL").unwrap(), WaveGroup { label: "BL".into(), waves: vec!["BL".into()] });
        assert!(WaveGroup::parse("After=").is_err());
    }
}
