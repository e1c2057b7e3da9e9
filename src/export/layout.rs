//! The two neutral shapes every report is turned into before it is written:
//! a [`Layout`] (headings, paragraphs and tables, for DOCX, HTML and Markdown) and
//! [`Sheet`]s (rows of typed cells, for CSV and XLSX). Writers know these shapes and
//! nothing about quotes, codes or projects.

/// A document to write: a title and a sequence of blocks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    pub title: String,
    /// Wide tables read better on landscape pages (DOCX only).
    pub landscape: bool,
    pub blocks: Vec<Block>,
}

/// One block of a [`Layout`].
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading; level 1 is the document title.
    Heading {
        level: u8,
        text: String,
    },
    Paragraph(Para),
    Table(Table),
}

/// A paragraph: runs of text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Para {
    pub runs: Vec<Run>,
    /// A smaller, quieter paragraph (notes under a title or a table).
    pub note: bool,
}

/// A stretch of text with one look.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    pub text: String,
    pub italic: bool,
    pub bold: bool,
}

impl Run {
    pub fn plain(text: impl Into<String>) -> Run {
        Run { text: text.into(), ..Run::default() }
    }
    pub fn italic(text: impl Into<String>) -> Run {
        Run { text: text.into(), italic: true, bold: false }
    }
    pub fn bold(text: impl Into<String>) -> Run {
        Run { text: text.into(), italic: false, bold: true }
    }
}

impl Para {
    pub fn plain(text: impl Into<String>) -> Para {
        Para { runs: vec![Run::plain(text)], note: false }
    }
    pub fn note(text: impl Into<String>) -> Para {
        Para { runs: vec![Run::plain(text)], note: true }
    }
    /// The paragraph's text without formatting.
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }
}

/// A table with one header row. Every row has as many cells as the header.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub header: Vec<String>,
    /// Relative column widths (any unit); empty means equal widths.
    pub widths: Vec<u32>,
    pub rows: Vec<Vec<Cell>>,
}

/// A table cell: one or more paragraphs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub paragraphs: Vec<Para>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell { paragraphs: vec![Para::plain(text)] }
    }
    pub fn bold(text: impl Into<String>) -> Cell {
        Cell { paragraphs: vec![Para { runs: vec![Run::bold(text)], note: false }] }
    }
}

/// A sheet of rows: what CSV and XLSX writers take.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    /// The worksheet's name (XLSX); shortened and cleaned as Excel requires.
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Column widths in characters (XLSX); empty means a default.
    pub widths: Vec<f64>,
    /// Wrap long text in cells (XLSX).
    pub wrap: bool,
}

/// A typed cell of a [`Sheet`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
}

impl Value {
    /// The value as CSV or a preview shows it.
    pub fn display(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Number(x) => x.to_string(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<usize> for Value {
    fn from(n: usize) -> Value {
        Value::Int(n as i64)
    }
}

impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Value {
        s.map(Value::Text).unwrap_or(Value::Empty)
    }
}
