//! Participant attributes from a CSV file: the first column names the participant
//! (matched to participants the way file names are, so `7`, `P7` and `P07` agree), the
//! other columns are attributes. Each column's type is inferred from its values
//! (number, date, category, text) unless the user gives it.

use super::decode::{DecodeError, decode_text};
use super::naming::normalise_participant;
use super::{ExtractError, ImportError};
use crate::model::{AttributeKind, time::parse_iso_date};
use crate::store::ops::AttributeTable;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Infers a column's type from its non-empty values.
pub fn infer_kind(values: &[&str]) -> AttributeKind {
    let vals: Vec<&str> = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
    if vals.is_empty() {
        return AttributeKind::Text;
    }
    if vals.iter().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)) {
        return AttributeKind::Number;
    }
    if vals.iter().all(|v| parse_iso_date(v).is_some()) {
        return AttributeKind::Date;
    }
    let distinct: HashSet<String> = vals.iter().map(|v| v.to_lowercase()).collect();
    let short = vals.iter().all(|v| v.chars().count() <= 40);
    if short && distinct.len() <= 12 && (distinct.len() < vals.len() || vals.len() <= 12) {
        return AttributeKind::Category;
    }
    AttributeKind::Text
}

/// Reads an attribute table from CSV bytes. `kinds` overrides inferred column types.
pub fn parse_attributes_csv(
    path: &Path,
    bytes: &[u8],
    kinds: &HashMap<String, AttributeKind>,
) -> Result<AttributeTable, ImportError> {
    let err = |e: ExtractError| ImportError::new(path, e);
    let (text, _) = decode_text(bytes).map_err(|e| match e {
        DecodeError::Empty => err(ExtractError::Empty),
        _ => err(ExtractError::Binary),
    })?;
    let delimiter =
        if text.lines().next().is_some_and(|l| l.matches(';').count() > l.matches(',').count()) { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| err(ExtractError::Malformed(format!("the header row cannot be read: {e}"))))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.len() < 2 {
        return Err(err(ExtractError::Malformed(
            "expected a participant column and at least one attribute column".into(),
        )));
    }
    let mut seen = HashSet::new();
    for h in &headers[1..] {
        if h.is_empty() {
            return Err(err(ExtractError::Malformed("an attribute column has no name in the header row".into())));
        }
        if !seen.insert(h.to_lowercase()) {
            return Err(err(ExtractError::Malformed(format!("the column \"{h}\" appears twice"))));
        }
    }
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut labels = HashSet::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| err(ExtractError::Malformed(format!("row {} cannot be read: {e}", i + 2))))?;
        let label = normalise_participant(rec.get(0).unwrap_or(""));
        if label.is_empty() {
            return Err(err(ExtractError::Malformed(format!("row {} has no participant", i + 2))));
        }
        if !labels.insert(label.clone()) {
            return Err(err(ExtractError::Malformed(format!("participant {label} appears twice (row {})", i + 2))));
        }
        rows.push((label, rec.iter().skip(1).map(str::to_string).collect()));
    }
    if rows.is_empty() {
        return Err(err(ExtractError::Malformed("the file has a header row but no participants".into())));
    }
    let mut columns = Vec::new();
    for (c, name) in headers.iter().enumerate().skip(1) {
        let kind = match kinds.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            Some((_, k)) => *k,
            None => infer_kind(&rows.iter().map(|r| r.1[c - 1].as_str()).collect::<Vec<_>>()),
        };
        for (label, vals) in &rows {
            let v = vals[c - 1].trim();
            if !v.is_empty()
                && let Err(e) = kind.validate(v)
            {
                return Err(err(ExtractError::Malformed(format!("{name} of {label}: {e}"))));
            }
        }
        columns.push((name.clone(), kind));
    }
    Ok(AttributeTable {
        source: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        columns,
        rows: rows
            .into_iter()
            .map(|(l, vals)| (l, vals.into_iter().map(|v| Some(v).filter(|v| !v.trim().is_empty())).collect()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_inferred() {
        let csv = "participant,age,gender,enrolled_on,notes\nP01,67,female,2025-02-03,Lives alone and walks daily\n7,44,male,2025-02-10,\np3,,female,2025-02-11,Has a young daughter\n";
        let t = parse_attributes_csv(Path::new("p.csv"), csv.as_bytes(), &HashMap::new()).unwrap();
        let kinds: Vec<_> = t.columns.iter().map(|c| c.1).collect();
        assert_eq!(
            kinds,
            [AttributeKind::Number, AttributeKind::Category, AttributeKind::Date, AttributeKind::Category]
        );
        assert_eq!(t.rows[1].0, "P07");
        assert_eq!(t.rows[2].1[0], None, "an empty cell is a missing value");
        let mut over = HashMap::new();
        over.insert("notes".to_string(), AttributeKind::Text);
        let t = parse_attributes_csv(Path::new("p.csv"), csv.as_bytes(), &over).unwrap();
        assert_eq!(t.columns[3].1, AttributeKind::Text);
    }

    #[test]
    fn bad_tables() {
        let p = Path::new("bad.csv");
        for (csv, why) in [
            ("", "empty"),
            ("participant\nP01\n", "attribute column"),
            ("participant,age,age\nP01,1,2\n", "twice"),
            ("participant,age\nP01,1\nP01,2\n", "twice"),
            ("participant,age\nP01,1,3\n", "row 2"),
            ("participant,age\n", "no participants"),
        ] {
            let e = parse_attributes_csv(p, csv.as_bytes(), &HashMap::new()).unwrap_err().to_string();
            assert!(e.contains("bad.csv") && e.contains(why), "{csv:?}: {e}");
        }
        let mut over = HashMap::new();
        over.insert("age".to_string(), AttributeKind::Number);
        let e = parse_attributes_csv(p, b"participant,age\nP01,old\n", &over).unwrap_err().to_string();
        assert!(e.contains("not a number"), "{e}");
    }
}
