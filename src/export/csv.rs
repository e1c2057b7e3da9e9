//! CSV writer: one [`Sheet`] to UTF-8 CSV (RFC 4180 quoting, a header row, no byte-order
//! mark; XLSX is the format for opening in Excel).

use super::layout::Sheet;
use crate::error::{Error, Result};

/// Writes `sheet` as CSV.
pub fn write(sheet: &Sheet) -> Result<Vec<u8>> {
    let fail = |e: csv::Error| Error::Export { format: "CSV", message: e.to_string() };
    let mut w = csv::WriterBuilder::new().flexible(false).from_writer(Vec::new());
    w.write_record(&sheet.header).map_err(fail)?;
    for row in &sheet.rows {
        let mut record: Vec<String> = row.iter().map(|v| v.display()).collect();
        record.resize(sheet.header.len(), String::new());
        w.write_record(&record).map_err(fail)?;
    }
    w.into_inner().map_err(|e| Error::Export { format: "CSV", message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::layout::Value;

    #[test]
    fn quotes_commas_quotes_and_newlines() {
        let sheet = Sheet {
            name: "x".into(),
            header: vec!["a".into(), "b".into()],
            rows: vec![vec![Value::Text("one, \"two\"\nthree".into()), Value::Int(3)], vec![Value::Empty]],
            ..Sheet::default()
        };
        let out = String::from_utf8(write(&sheet).unwrap()).unwrap();
        assert_eq!(out, "a,b\n\"one, \"\"two\"\"\nthree\",3\n,\n");
    }
}
