//! REFI-QDA selection positions, one test per reading the importer knows: code points or
//! UTF-16 units, a CRLF line break counted as two or as one, a byte-order mark never counted
//! (in UTF-8 and in UTF-16 files). Each archive is built here (zip + XML strings) around one
//! text with CRLF line breaks and emoji (UTF-16 surrogate pairs) before and between the
//! selections, so that the four readings put every selection but at most one in a different
//! place: only one reading is consistent, and a broken reading cannot hide behind another.
//! Each test checks the reading chosen and the exact text of every selection.

use codeloom::Project;
use codeloom::interop::{PositionUnit, QdpxReport, import_qdpx};
use codeloom::store::queries::CodingFilter;
use std::io::Write;
use std::path::Path;

/// The source text as the file holds it. Four selections: "said", "twice", "sad day", "joy".
const TEXT: &str = "Q1 😀 ok?\r\nI said yes, 😀 twice.\r\nA 😢 sad day\r\nThen 🎉 joy! 🎉\r\n";
const QUOTES: [&str; 4] = ["said", "twice", "sad day", "joy"];

// Where the four selections are under each reading, counted by hand over TEXT. The first
// line "Q1 😀 ok?" is 8 code points or 9 UTF-16 units (😀 is a surrogate pair); its line
// break is 2 or 1; so "said" starts at 8 + 2 + 2 = 12 in code points with CRLF as two,
// 11 with CRLF as one, 13 in UTF-16 units with CRLF as two and 12 with CRLF as one. Each
// later emoji adds one more UTF-16 unit and each later line break one more CRLF unit.
const CODE_POINTS: [(usize, usize); 4] = [(12, 16), (24, 29), (36, 43), (52, 55)];
const CODE_POINTS_CRLF_AS_ONE: [(usize, usize); 4] = [(11, 15), (23, 28), (34, 41), (49, 52)];
const UTF16: [(usize, usize); 4] = [(13, 17), (26, 31), (39, 46), (56, 59)];
const UTF16_CRLF_AS_ONE: [(usize, usize); 4] = [(12, 16), (25, 30), (37, 44), (53, 56)];

fn zip(path: &Path, entries: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data) in entries {
        z.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

/// A project with one user, one code and one text source at `sources/t.txt` holding the
/// given selections (`name` is the quoted text, as ATLAS.ti and QualCoder write, or empty,
/// as NVivo writes).
fn project_xml(positions: &[(usize, usize)], named: bool) -> String {
    let names = QUOTES.map(|q| if named { q } else { "" });
    selections_xml(&positions.iter().zip(names).map(|(&(s, e), n)| (s, e, n)).collect::<Vec<_>>())
}

/// [`project_xml`] with any selections: `(start, end, name)`.
fn selections_xml(selections: &[(usize, usize, &str)]) -> String {
    let selections: String = selections
        .iter()
        .enumerate()
        .map(|(i, (start, end, name))| {
            format!(
                r#"<PlainTextSelection guid="dddddddd-0000-4000-8000-00000000000{i}" name="{name}" startPosition="{start}" endPosition="{end}"><Coding guid="eeeeeeee-0000-4000-8000-00000000000{i}" creatingUser="aaaaaaaa-0000-4000-8000-000000000001"><CodeRef targetGUID="bbbbbbbb-0000-4000-8000-000000000001"/></Coding></PlainTextSelection>"#
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1:0" name="positions" origin="A tool of unknown habits 1.0">
<Users><User guid="aaaaaaaa-0000-4000-8000-000000000001" name="Chris"/></Users>
<CodeBook><Codes><Code guid="bbbbbbbb-0000-4000-8000-000000000001" name="Said" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="cccccccc-0000-4000-8000-000000000001" name="Talk" plainTextPath="internal://t.txt">{selections}</TextSource></Sources>
</Project>"#
    )
}

/// How the source file is written.
#[derive(Debug, Clone, Copy)]
enum Encoding {
    Utf8,
    Utf8WithBom,
    Utf16LeWithBom,
}

fn file_bytes(encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => TEXT.as_bytes().to_vec(),
        Encoding::Utf8WithBom => [b"\xEF\xBB\xBF".as_slice(), TEXT.as_bytes()].concat(),
        Encoding::Utf16LeWithBom => {
            let mut bytes = vec![0xFF, 0xFE];
            bytes.extend(TEXT.encode_utf16().flat_map(u16::to_le_bytes));
            bytes
        }
    }
}

/// Imports a fresh archive and returns the report and the coded texts in document order.
fn import(positions: &[(usize, usize)], named: bool, encoding: Encoding) -> (QdpxReport, Vec<String>, String) {
    import_xml(&project_xml(positions, named), encoding)
}

fn import_xml(xml: &str, encoding: Encoding) -> (QdpxReport, Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("p.qdpx");
    zip(&archive, &[("project.qde", xml.as_bytes()), ("sources/t.txt", &file_bytes(encoding))]);
    let mut p = Project::create(&dir.path().join("p.codeloom")).unwrap();
    p.set_coder("importer").unwrap();
    let report = import_qdpx(&mut p, &archive).unwrap_or_else(|e| panic!("{encoding:?}: {e}"));
    let doc = &p.documents().unwrap()[0].document;
    let text = p.document_text(&doc.id).unwrap();
    let chars: Vec<char> = text.chars().collect();
    let mut codings = p.codings(&CodingFilter::default()).unwrap();
    codings.sort_by_key(|c| c.start);
    let coded = codings.iter().map(|c| chars[c.start..c.end].iter().collect()).collect();
    (report, coded, text)
}

/// The reading chosen is `unit`, every selection is placed cleanly on its quote, and the
/// stored text is the file's text without BOM or CR.
#[track_caller]
fn check(unit: PositionUnit, positions: &[(usize, usize)], named: bool, encodings: &[Encoding]) {
    for &encoding in encodings {
        let (report, coded, text) = import(positions, named, encoding);
        assert!(report.unplaced.is_empty(), "{encoding:?}: {:?}", report.unplaced);
        let reading = &report.readings[0];
        assert_eq!(reading.unit, unit, "{encoding:?}: the reading chosen");
        assert!(reading.ambiguous);
        assert_eq!((reading.selections, reading.placed, reading.clean), (4, 4, 4), "{encoding:?}");
        assert_eq!(coded, QUOTES, "{encoding:?}: the text of every selection");
        assert_eq!(text, TEXT.replace("\r\n", "\n"), "{encoding:?}: stored without BOM or CR");
    }
}

#[test]
fn code_points_with_crlf_counted_as_two() {
    // QualCoder's habit when it adds CRLF for MAXQDA without adjusting positions.
    check(PositionUnit::CodePoints, &CODE_POINTS, true, &[Encoding::Utf8, Encoding::Utf8WithBom]);
    check(PositionUnit::CodePoints, &CODE_POINTS, false, &[Encoding::Utf8]);
}

#[test]
fn code_points_with_crlf_counted_as_one() {
    // ATLAS.ti on Windows.
    check(PositionUnit::CodePointsCrlfAsOne, &CODE_POINTS_CRLF_AS_ONE, true, &[Encoding::Utf8, Encoding::Utf8WithBom]);
    check(PositionUnit::CodePointsCrlfAsOne, &CODE_POINTS_CRLF_AS_ONE, false, &[Encoding::Utf8WithBom]);
}

#[test]
fn utf16_units_with_crlf_counted_as_two() {
    // NVivo for Windows: a BOM (not counted), CRLF as two, selections without names; the
    // file also in UTF-16, where the BOM is two bytes but still no position.
    let all = [Encoding::Utf8, Encoding::Utf8WithBom, Encoding::Utf16LeWithBom];
    check(PositionUnit::Utf16, &UTF16, false, &all);
    check(PositionUnit::Utf16, &UTF16, true, &all);
}

#[test]
fn utf16_units_with_crlf_counted_as_one() {
    let all = [Encoding::Utf8, Encoding::Utf8WithBom, Encoding::Utf16LeWithBom];
    check(PositionUnit::Utf16CrlfAsOne, &UTF16_CRLF_AS_ONE, true, &all);
    check(PositionUnit::Utf16CrlfAsOne, &UTF16_CRLF_AS_ONE, false, &[Encoding::Utf8WithBom]);
}

#[test]
fn every_other_reading_misplaces_the_selections() {
    // The premise of the tests above, checked on the hand-counted tables: for each reading,
    // the positions of another reading land on the same quote at most once.
    let tables = [CODE_POINTS, CODE_POINTS_CRLF_AS_ONE, UTF16, UTF16_CRLF_AS_ONE];
    for (i, a) in tables.iter().enumerate() {
        for b in tables.iter().skip(i + 1) {
            let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
            assert!(same <= 1, "two readings agree on {same} selections: {a:?} {b:?}");
        }
    }
}

#[test]
fn text_without_crlf_or_emoji_has_a_single_reading() {
    // With LF line breaks and no character outside the BMP every reading is the same:
    // the report says there was no choice, and the positions are code points.
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("p.qdpx");
    let text = "Q1 ok?\nI said yes, twice.\nA sad day\nThen joy!\n";
    let xml = project_xml(&[(9, 13), (19, 24), (28, 35), (41, 44)], false);
    zip(&archive, &[("project.qde", xml.as_bytes()), ("sources/t.txt", text.as_bytes())]);
    let mut p = Project::create(&dir.path().join("p.codeloom")).unwrap();
    let report = import_qdpx(&mut p, &archive).unwrap();
    let reading = &report.readings[0];
    assert_eq!(
        (reading.unit, reading.ambiguous, reading.placed, reading.clean),
        (PositionUnit::CodePoints, false, 4, 4)
    );
    let chars: Vec<char> = text.chars().collect();
    let mut coded: Vec<String> =
        p.codings(&CodingFilter::default()).unwrap().iter().map(|c| chars[c.start..c.end].iter().collect()).collect();
    coded.sort();
    let mut want = QUOTES.to_vec();
    want.sort();
    assert_eq!(coded, want);
}

#[test]
fn selections_that_fall_between_units_are_reported_not_rounded() {
    // The four quotes fix the reading (UTF-16 units, CRLF as two). Under it "😀" of "Q1 😀 ok?"
    // occupies units 3 and 4, so [0, 4) ends inside the character; the first line break is
    // units 9 (CR) and 10 (LF), so [9, 10) holds only the carriage return, which the stored
    // text does not have; [60, 99) runs past the end (65 units).
    let mut selections: Vec<(usize, usize, &str)> = UTF16.iter().zip(QUOTES).map(|(&(s, e), q)| (s, e, q)).collect();
    selections.extend([(0, 4, ""), (9, 10, ""), (60, 99, "")]);
    let (report, coded, _) = import_xml(&selections_xml(&selections), Encoding::Utf8WithBom);
    assert_eq!(report.readings[0].unit, PositionUnit::Utf16);
    assert_eq!(coded, QUOTES);
    let unplaced: Vec<(i64, i64, &str)> = report.unplaced.iter().map(|u| (u.start, u.end, u.reason.as_str())).collect();
    assert_eq!(unplaced.len(), 3, "{unplaced:?}");
    assert_eq!(unplaced[0].0..unplaced[0].1, 0..4);
    assert!(unplaced[0].2.contains("inside a character"), "{}", unplaced[0].2);
    assert!(unplaced[1].2.contains("only the carriage return"), "{}", unplaced[1].2);
    assert!(unplaced[2].2.contains("beyond the end of the text (56 characters)"), "{}", unplaced[2].2);
}
