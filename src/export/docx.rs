//! DOCX writer: a [`Layout`] to a WordprocessingML package (ECMA-376 transitional) built
//! with zip and quick-xml: `[Content_Types].xml`, `_rels/.rels`, `docProps/core.xml` and
//! `app.xml`, `word/document.xml`, `word/styles.xml` and `word/_rels/document.xml.rels`.
//!
//! Tables are real `w:tbl` tables: a fixed grid in twentieths of a point that fills the
//! text width of an A4 page, single borders, and a header row marked `w:tblHeader` so it
//! repeats on every page. Every cell holds at least one paragraph, as Word requires, and
//! an empty paragraph follows each table. Elements are written in the order the schema
//! prescribes, which Word checks strictly.

use super::layout::{Block, Layout, Para, Table};
use crate::error::{Error, Result};
use quick_xml::escape::escape;
use std::io::Write;

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// A4 in twentieths of a point, and 2 cm margins.
const PAGE_SHORT: u32 = 11906;
const PAGE_LONG: u32 = 16838;
const MARGIN: u32 = 1134;

/// Writes `layout` as a .docx file's bytes.
pub fn write(layout: &Layout) -> Result<Vec<u8>> {
    let parts: [(&str, String); 7] = [
        ("[Content_Types].xml", content_types()),
        ("_rels/.rels", package_rels()),
        ("docProps/core.xml", core_properties(&layout.title)),
        ("docProps/app.xml", app_properties()),
        ("word/_rels/document.xml.rels", document_rels()),
        ("word/styles.xml", styles()),
        ("word/document.xml", document(layout)),
    ];
    let fail = |e: String| Error::Export { format: "DOCX", message: e };
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, xml) in parts {
        zip.start_file(name, options).map_err(|e| fail(e.to_string()))?;
        zip.write_all(xml.as_bytes()).map_err(|e| fail(e.to_string()))?;
    }
    Ok(zip.finish().map_err(|e| fail(e.to_string()))?.into_inner())
}

fn content_types() -> String {
    format!(
        "{HEADER}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
<Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
</Types>"
    )
}

fn package_rels() -> String {
    format!(
        "{HEADER}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>\
</Relationships>"
    )
}

fn document_rels() -> String {
    format!(
        "{HEADER}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
</Relationships>"
    )
}

fn core_properties(title: &str) -> String {
    format!(
        "{HEADER}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>Codeloom</dc:creator></cp:coreProperties>",
        text(title)
    )
}

fn app_properties() -> String {
    format!(
        "{HEADER}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">\
<Application>Codeloom</Application></Properties>"
    )
}

fn styles() -> String {
    let heading = |id: &str, name: &str, level: u8, size: u32| {
        format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/><w:basedOn w:val=\"Normal\"/>\
<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"120\"/>\
<w:outlineLvl w:val=\"{level}\"/></w:pPr><w:rPr><w:b/><w:bCs/><w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/></w:rPr></w:style>"
        )
    };
    format!(
        "{HEADER}<w:styles xmlns:w=\"{W_NS}\">\
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" w:eastAsia=\"Calibri\" w:cs=\"Calibri\"/>\
<w:sz w:val=\"22\"/><w:szCs w:val=\"22\"/><w:lang w:val=\"en-GB\"/></w:rPr></w:rPrDefault>\
<w:pPrDefault><w:pPr><w:spacing w:after=\"120\" w:line=\"264\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>\
{}{}{}\
<w:style w:type=\"paragraph\" w:styleId=\"Note\"><w:name w:val=\"Note\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/>\
<w:rPr><w:color w:val=\"595959\"/><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"TableText\"><w:name w:val=\"Table Text\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:spacing w:after=\"80\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:rPr><w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/></w:rPr></w:style>\
<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/><w:uiPriority w:val=\"99\"/>\
<w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/>\
<w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
</w:styles>",
        heading("Heading1", "heading 1", 0, 32),
        heading("Heading2", "heading 2", 1, 28),
        heading("Heading3", "heading 3", 2, 24),
    )
}

fn document(layout: &Layout) -> String {
    let (page_w, page_h) = if layout.landscape { (PAGE_LONG, PAGE_SHORT) } else { (PAGE_SHORT, PAGE_LONG) };
    let text_width = page_w - 2 * MARGIN;
    let mut out = format!("{HEADER}<w:document xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:body>");
    for block in &layout.blocks {
        match block {
            Block::Heading { level, text: t } => {
                let style = format!("Heading{}", (*level).clamp(1, 3));
                out.push_str(&paragraph(&Para::plain(t.clone()), Some(&style)));
            }
            Block::Paragraph(p) => out.push_str(&paragraph(p, p.note.then_some("Note"))),
            Block::Table(t) => {
                out.push_str(&table(t, text_width));
                out.push_str("<w:p/>");
            }
        }
    }
    let orient = if layout.landscape { " w:orient=\"landscape\"" } else { "" };
    out.push_str(&format!(
        "<w:sectPr><w:pgSz w:w=\"{page_w}\" w:h=\"{page_h}\"{orient}/><w:pgMar w:top=\"{MARGIN}\" w:right=\"{MARGIN}\" \
w:bottom=\"{MARGIN}\" w:left=\"{MARGIN}\" w:header=\"709\" w:footer=\"709\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    ));
    out
}

/// Column widths in twentieths of a point that add up to `total`.
fn grid(t: &Table, total: u32) -> Vec<u32> {
    let n = t.header.len().max(1);
    let weights: Vec<u32> =
        if t.widths.len() == n && t.widths.iter().all(|w| *w > 0) { t.widths.clone() } else { vec![1; n] };
    let sum: u32 = weights.iter().sum();
    let mut cols: Vec<u32> = weights.iter().map(|w| total * w / sum).collect();
    let used: u32 = cols.iter().sum();
    if let Some(last) = cols.last_mut() {
        *last += total - used;
    }
    cols
}

fn table(t: &Table, total: u32) -> String {
    let cols = grid(t, total);
    let border = |side: &str| format!("<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>");
    let mut out = format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{total}\" w:type=\"dxa\"/><w:tblBorders>{}{}{}{}{}{}</w:tblBorders>\
<w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:top w:w=\"57\" w:type=\"dxa\"/><w:left w:w=\"85\" w:type=\"dxa\"/>\
<w:bottom w:w=\"57\" w:type=\"dxa\"/><w:right w:w=\"85\" w:type=\"dxa\"/></w:tblCellMar>\
<w:tblLook w:val=\"04A0\" w:firstRow=\"1\" w:lastRow=\"0\" w:firstColumn=\"1\" w:lastColumn=\"0\" w:noHBand=\"0\" w:noVBand=\"1\"/>\
</w:tblPr><w:tblGrid>",
        border("top"),
        border("left"),
        border("bottom"),
        border("right"),
        border("insideH"),
        border("insideV"),
    );
    for w in &cols {
        out.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
    }
    out.push_str("</w:tblGrid><w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
    for (i, h) in t.header.iter().enumerate() {
        let p = Para { runs: vec![super::layout::Run::bold(h.clone())], note: false };
        out.push_str(&cell(cols[i.min(cols.len() - 1)], Some("E7E6E6"), std::slice::from_ref(&p)));
    }
    out.push_str("</w:tr>");
    for row in &t.rows {
        out.push_str("<w:tr>");
        for (i, w) in cols.iter().enumerate() {
            let paras = row.get(i).map(|c| c.paragraphs.as_slice()).unwrap_or(&[]);
            out.push_str(&cell(*w, None, paras));
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
    out
}

fn cell(width: u32, fill: Option<&str>, paras: &[Para]) -> String {
    let shading = fill.map(|f| format!("<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"{f}\"/>")).unwrap_or_default();
    let mut out = format!("<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/>{shading}</w:tcPr>");
    if paras.is_empty() {
        // A cell must end with a paragraph.
        out.push_str("<w:p><w:pPr><w:pStyle w:val=\"TableText\"/></w:pPr></w:p>");
    }
    for p in paras {
        out.push_str(&paragraph(p, Some("TableText")));
    }
    out.push_str("</w:tc>");
    out
}

fn paragraph(p: &Para, style: Option<&str>) -> String {
    let mut out = String::from("<w:p>");
    if let Some(s) = style {
        out.push_str(&format!("<w:pPr><w:pStyle w:val=\"{s}\"/></w:pPr>"));
    }
    for r in &p.runs {
        if r.text.is_empty() {
            continue;
        }
        out.push_str("<w:r>");
        if r.bold || r.italic {
            out.push_str("<w:rPr>");
            if r.bold {
                out.push_str("<w:b/><w:bCs/>");
            }
            if r.italic {
                out.push_str("<w:i/><w:iCs/>");
            }
            out.push_str("</w:rPr>");
        }
        // Line breaks and tabs are elements of their own between text elements.
        let normalised = r.text.replace("\r\n", "\n");
        for (i, line) in normalised.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<w:br/>");
            }
            for (j, piece) in line.split('\t').enumerate() {
                if j > 0 {
                    out.push_str("<w:tab/>");
                }
                if !piece.is_empty() {
                    out.push_str(&format!("<w:t xml:space=\"preserve\">{}</w:t>", text(piece)));
                }
            }
        }
        out.push_str("</w:r>");
    }
    out.push_str("</w:p>");
    out
}

/// Escaped text that XML 1.0 can hold.
fn text(s: &str) -> String {
    escape(super::xml_safe(s).as_ref()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::layout::{Cell, Run};
    use quick_xml::events::Event;

    fn sample() -> Layout {
        Layout {
            title: "Quotes & themes".into(),
            landscape: true,
            blocks: vec![
                Block::Heading { level: 1, text: "Themes <draft>".into() },
                Block::Paragraph(Para::note("Template: [{age}]")),
                Block::Table(Table {
                    header: vec!["Subtheme".into(), "BL".into(), "6M".into()],
                    widths: vec![1, 2, 2],
                    rows: vec![vec![
                        Cell::bold("Pacing"),
                        Cell {
                            paragraphs: vec![Para {
                                runs: vec![Run::italic("“a\tb\nc”"), Run::plain(" [P01]")],
                                note: false,
                            }],
                        },
                        Cell::default(),
                    ]],
                }),
            ],
        }
    }

    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    }

    #[test]
    fn every_part_is_well_formed_xml() {
        let bytes = write(&sample()).unwrap();
        for name in [
            "[Content_Types].xml",
            "_rels/.rels",
            "docProps/core.xml",
            "docProps/app.xml",
            "word/_rels/document.xml.rels",
            "word/styles.xml",
            "word/document.xml",
        ] {
            let xml = part(&bytes, name);
            let mut reader = quick_xml::Reader::from_str(&xml);
            let mut depth = 0i32;
            loop {
                match reader.read_event() {
                    Ok(Event::Start(_)) => depth += 1,
                    Ok(Event::End(_)) => depth -= 1,
                    Ok(Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{name}: {e}"),
                }
            }
            assert_eq!(depth, 0, "{name} is unbalanced");
        }
    }

    #[test]
    fn tables_have_a_grid_a_repeating_header_and_a_paragraph_in_every_cell() {
        let xml = part(&write(&sample()).unwrap(), "word/document.xml");
        assert!(xml.contains("<w:gridCol w:w=\"2914\"/><w:gridCol w:w=\"5828\"/><w:gridCol w:w=\"5828\"/>"), "{xml}");
        assert!(xml.contains("<w:tblHeader/>"));
        assert!(!xml.contains("</w:tcPr></w:tc>"), "an empty cell without a paragraph");
        assert!(xml.contains("<w:t xml:space=\"preserve\">“a</w:t><w:tab/><w:t xml:space=\"preserve\">b</w:t><w:br/>"));
        assert!(xml.contains("Themes &lt;draft&gt;"));
        assert!(xml.contains("w:orient=\"landscape\""));
        assert!(xml.contains("</w:tbl><w:p/>"));
        assert!(part(&write(&sample()).unwrap(), "docProps/core.xml").contains("Quotes &amp; themes"));
    }
}
