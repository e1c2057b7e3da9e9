//! XLSX writer: [`Sheet`]s to one workbook with rust_xlsxwriter. Each sheet gets a bold,
//! shaded header row that stays in view when scrolling, typed cells (numbers stay
//! numbers), column widths and, where asked, wrapped text aligned to the top.

use super::layout::{Sheet, Value};
use crate::error::{Error, Result};
use rust_xlsxwriter::{Color, Format, FormatAlign, Workbook, XlsxError};
use std::collections::HashSet;

/// Excel holds at most this many characters in a cell.
const MAX_CELL_CHARS: usize = 32_767;

/// Writes `sheets` as a workbook's bytes, one worksheet each, in order.
pub fn write(sheets: &[Sheet]) -> Result<Vec<u8>> {
    build(sheets).map_err(|e| Error::Export { format: "XLSX", message: e.to_string() })
}

fn build(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new().set_bold().set_background_color(Color::RGB(0xE7E6E6)).set_align(FormatAlign::Top);
    let plain = Format::new().set_align(FormatAlign::Top);
    let wrapped = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let mut used = HashSet::new();
    for (i, sheet) in sheets.iter().enumerate() {
        let ws = book.add_worksheet();
        ws.set_name(sheet_name(&sheet.name, i, &mut used))?;
        let body = if sheet.wrap { &wrapped } else { &plain };
        for (c, h) in sheet.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, cell_text(h), &header)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Value::Empty => {}
                    Value::Text(s) => {
                        ws.write_string_with_format(r, c, cell_text(s), body)?;
                    }
                    Value::Int(n) => {
                        ws.write_number_with_format(r, c, *n as f64, body)?;
                    }
                    Value::Number(x) if x.is_finite() => {
                        ws.write_number_with_format(r, c, *x, body)?;
                    }
                    Value::Number(_) => {}
                }
            }
        }
        for c in 0..sheet.header.len() {
            let width = sheet.widths.get(c).copied().unwrap_or(14.0);
            ws.set_column_width(c as u16, width)?;
        }
        ws.set_freeze_panes(1, 0)?;
    }
    if sheets.is_empty() {
        book.add_worksheet();
    }
    book.save_to_buffer()
}

fn cell_text(s: &str) -> String {
    let safe = super::xml_safe(s);
    if safe.chars().count() > MAX_CELL_CHARS {
        let mut t: String = safe.chars().take(MAX_CELL_CHARS - 1).collect();
        t.push('…');
        t
    } else {
        safe.into_owned()
    }
}

/// A worksheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, not
/// starting or ending with an apostrophe, and unique in the workbook (case-insensitively).
pub fn sheet_name(wanted: &str, index: usize, used: &mut HashSet<String>) -> String {
    let cleaned: String =
        wanted.chars().map(|c| if "[]:*?/\\".contains(c) || c.is_control() { ' ' } else { c }).collect();
    let mut base: String = cleaned.trim().trim_matches('\'').trim().chars().take(31).collect();
    if base.is_empty() {
        base = format!("Sheet{}", index + 1);
    }
    let mut name = base.clone();
    let mut n = 2;
    while used.contains(&name.to_lowercase()) {
        let suffix = format!(" ({n})");
        let keep = 31 - suffix.chars().count();
        name = format!("{}{suffix}", base.chars().take(keep).collect::<String>().trim_end());
        n += 1;
    }
    used.insert(name.to_lowercase());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut used = HashSet::new();
        assert_eq!(sheet_name("Code × wave", 0, &mut used), "Code × wave");
        assert_eq!(sheet_name("code × WAVE", 1, &mut used), "code × WAVE (2)");
        assert_eq!(sheet_name("a/b:c?", 2, &mut used), "a b c");
        assert_eq!(sheet_name("''", 3, &mut used), "Sheet4");
        let long = sheet_name(&"x".repeat(40), 4, &mut used);
        assert_eq!(long.chars().count(), 31);
        let again = sheet_name(&"x".repeat(40), 5, &mut used);
        assert!(again.ends_with(" (2)") && again.chars().count() == 31, "{again}");
    }

    use calamine::{Data, Reader, Xlsx};

    /// The workbook's sheets, read back with calamine: (name, cells row by row).
    fn read_back(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<Data>>)> {
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("calamine opens the workbook");
        book.sheet_names()
            .into_iter()
            .map(|name| {
                let range = book.worksheet_range(&name).expect("sheet");
                let rows = range.rows().map(<[Data]>::to_vec).collect();
                (name, rows)
            })
            .collect()
    }

    fn text(s: &str) -> Data {
        Data::String(s.into())
    }

    #[test]
    fn cells_read_back_as_written() {
        let long = "ab".repeat(20_000);
        let counts = Sheet {
            name: "Counts".into(),
            header: vec!["Code".into(), "n".into(), "share".into(), "note".into()],
            rows: vec![
                vec![Value::Text("Pacing".into()), Value::Int(3), Value::Number(0.25), Value::Empty],
                vec![
                    Value::Text("Bell\u{7} & <tag>".into()),
                    Value::Int(-2),
                    Value::Number(f64::NAN),
                    Value::Text(long),
                ],
            ],
            ..Sheet::default()
        };
        let quotes = Sheet {
            name: "counts".into(),
            header: vec!["Quote".into()],
            rows: vec![vec![Value::Text("Line one\nline two – ü 😀".into())]],
            wrap: true,
            ..Sheet::default()
        };
        let sheets = read_back(write(&[counts, quotes]).unwrap());
        let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Counts", "counts (2)"]);
        let rows = &sheets[0].1;
        assert_eq!(rows[0], [text("Code"), text("n"), text("share"), text("note")]);
        // Numbers stay numbers; an empty cell and a NaN are written as nothing.
        assert_eq!(rows[1], [text("Pacing"), Data::Float(3.0), Data::Float(0.25), Data::Empty]);
        assert_eq!(rows[2][..3], [text("Bell & <tag>"), Data::Float(-2.0), Data::Empty]);
        // Text longer than a cell holds is cut to 32,767 characters, the last one an ellipsis.
        assert_eq!(rows[2][3], text(&format!("{}…", "ab".repeat(16_383))));
        assert_eq!(16_383 * 2 + 1, MAX_CELL_CHARS);
        assert_eq!(rows.len(), 3);
        assert_eq!(sheets[1].1, [vec![text("Quote")], vec![text("Line one\nline two – ü 😀")]]);
    }

    #[test]
    fn no_sheets_still_make_a_workbook() {
        let sheets = read_back(write(&[]).unwrap());
        assert_eq!(sheets.len(), 1);
        assert!(sheets[0].1.is_empty());
    }
}
