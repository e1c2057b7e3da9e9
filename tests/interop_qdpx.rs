//! REFI-QDA project exchange: every sample in `../shared/interop/samples/` imports with
//! the counts read off its XML, quirky files behave as `../shared/design/REFI-QDA.md`
//! says, the demo project's export validates against `Project.xsd`, and export → import
//! gives the same project back.

use codeloom::Project;
use codeloom::demo::{DemoSources, build_demo};
use codeloom::interop::codes::read_codes_xml;
use codeloom::interop::{PositionUnit, QdpxReport, export_qdpx, import_qdpx};
use codeloom::model::MemoTarget;
use codeloom::store::queries::CodingFilter;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/interop/samples");

/// Whether the REFI-QDA samples of `../shared` are there; a visible skip of `test` if not
/// (a failure under CI).
fn samples_present(test: &str) -> bool {
    common::shared(test, "interop/samples").is_some()
}

fn sample(rel: &str) -> PathBuf {
    Path::new(SAMPLES).join(rel)
}

fn fresh(dir: &Path, name: &str) -> Project {
    let mut p = Project::create(&dir.join(name)).unwrap();
    p.set_coder("importer").unwrap();
    p
}

#[derive(Debug, PartialEq, Eq)]
struct Counts {
    coders: usize,
    codes: usize,
    documents: usize,
    codings: usize,
    memos: usize,
}

fn counts(p: &Project) -> Counts {
    Counts {
        coders: p.coders().unwrap().len(),
        codes: p.codes().unwrap().len(),
        documents: p.documents().unwrap().len(),
        codings: p.codings(&CodingFilter::default()).unwrap().len(),
        memos: p.memos(None).unwrap().len(),
    }
}

fn not_imported(r: &QdpxReport, what: &str) -> usize {
    r.not_imported.iter().filter(|n| n.what == what).map(|n| n.count).sum()
}

fn import(rel: &str) -> (tempfile::TempDir, Project, QdpxReport) {
    let dir = tempfile::tempdir().unwrap();
    let mut p = fresh(dir.path(), "t.codeloom");
    let report = import_qdpx(&mut p, &sample(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    (dir, p, report)
}

#[test]
fn qc_sample_bare_file_names_and_line_selections() {
    if !samples_present("qc_sample_bare_file_names_and_line_selections") {
        return;
    }
    // qc 1.3.2: 1 user, 262 codes nested 7 deep, 2 text sources named by bare file
    // names (no internal://), 158 line selections holding 205 codings.
    let (_d, p, r) = import("cproctor-qc/demo.qc.qdpx");
    assert_eq!(counts(&p), Counts { coders: 1, codes: 262, documents: 2, codings: 205, memos: 0 });
    assert!(r.unplaced.is_empty(), "{:?}", r.unplaced);
    assert_eq!(r.readings.iter().map(|x| x.selections).sum::<usize>(), 158);
    // The code tree keeps its depth.
    let codes = p.codes().unwrap();
    let depth = codes.iter().map(|c| p.code_path(&c.id).unwrap().split(" / ").count()).max().unwrap();
    assert_eq!(depth, 7);
    // Selection "line:6" of board_2017 is [320, 400): a whole line.
    let doc = p.resolve_document("board_2017").unwrap();
    let text = p.document_text(&doc).unwrap();
    let first = p.codings(&CodingFilter { document_id: Some(doc), ..Default::default() }).unwrap();
    let c = first.iter().find(|c| c.start == 320).unwrap();
    assert_eq!(c.end, 400);
    let quote: String = text.chars().skip(320).take(80).collect();
    assert!(quote.starts_with("This district goal is engage every student") && quote.ends_with('\n'));
    assert_eq!(c.coder, "cp");
}

#[test]
fn nvivo_mac_sample_empty_representations_are_reported() {
    if !samples_present("nvivo_mac_sample_empty_representations_are_reported") {
        return;
    }
    // NVivo for Mac 15: 2 users, 262 codes, 2 text sources whose .txt (and .docx) hold no
    // text, sources/.root, no selections.
    let (_d, p, r) = import("cproctor-qc/nvivo_project.qdpx");
    assert_eq!(counts(&p), Counts { coders: 2, codes: 262, documents: 0, codings: 0, memos: 0 });
    assert_eq!(not_imported(&r, "text sources with no text"), 2);
    let names: BTreeSet<String> = p.coders().unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, BTreeSet::from(["chrisp".to_string(), "cp".to_string()]));
    // Names repeat under different parents; GUIDs (qc's hex-of-ASCII) are kept as IDs.
    assert!(p.code("34653336-3766-3235-6466-363134396437").is_ok());
}

#[test]
fn maxqda_sample_sources_first_descriptions_colours_and_sets() {
    if !samples_present("maxqda_sample_sources_first_descriptions_colours_and_sets") {
        return;
    }
    // MAXQDA 24: sources/ listed before project.qde, 1 user, 307 codes (depth 2) with
    // descriptions and colours, 10 text sources without extensions, 2 document sets.
    let (_d, p, r) = import("paper_themes-maxqda/ICLS_Conf_Themes_ALL_just10.maxqda24.qdpx");
    assert_eq!(counts(&p), Counts { coders: 1, codes: 307, documents: 10, codings: 0, memos: 0 });
    assert_eq!(not_imported(&r, "sets"), 2);
    let theme = p.code("c6c1be73-b4f4-4c2d-91f1-90b73bfc5c25").unwrap();
    assert_eq!(theme.name, "THEME - Affinity Spaces (Gee)");
    assert_eq!(theme.color, "#ef8256");
    assert_eq!(theme.description.definition, "Apply this code when a study uses Gee's concept of affinity spaces.");
    assert_eq!(p.code(theme.parent_id.as_deref().unwrap()).unwrap().name, "Additional Themes and Ideas");
    assert!(p.documents().unwrap().iter().any(|d| d.document.name == "ICLS 2024 3-10"));
}

#[test]
fn atlas_samples_users_and_nested_codes() {
    if !samples_present("atlas_samples_users_and_nested_codes") {
        return;
    }
    // ATLAS.ti 23: the user and the "ATLAS.ti" pseudo-user; no sources folder at all.
    let (_d, p, r) = import("ponte-atlas/blank-atlas-project.qdpx");
    assert_eq!(counts(&p), Counts { coders: 2, codes: 0, documents: 0, codings: 0, memos: 0 });
    assert!(r.not_imported.is_empty(), "{:?}", r.not_imported);
    let (_d, p, _) = import("ponte-atlas/target-atlas-project.qdpx");
    assert_eq!(counts(&p), Counts { coders: 2, codes: 3, documents: 0, codings: 0, memos: 0 });
    let commits = p.code("a182cd3a-d83c-4d8c-bc80-26d9103ec6d6").unwrap();
    let kids = p.codes().unwrap().into_iter().filter(|c| c.parent_id.as_deref() == Some(&commits.id)).count();
    assert_eq!(kids, 2);
}

#[test]
fn spec_example_capital_names_missing_sources_and_everything_else_reported() {
    if !samples_present("spec_example_capital_names_missing_sources_and_everything_else_reported") {
        return;
    }
    // The spec's Annex A.2 (ATLAS.ti 8.4): Project.qde and an empty Sources/; 3 users,
    // 14 flat codes, 6 text sources whose files are absent (6 selections; 2 more sit in
    // the PDF representations),
    // 2 PDF, 1 picture, 1 audio, 2 video sources, 2 notes, 1 link, 16 sets, 1 graph.
    for rel in ["sky-loom/TestProject.qdpx", "sky-loom/Project.qde"] {
        let (_d, p, r) = import(rel);
        assert_eq!(counts(&p), Counts { coders: 3, codes: 14, documents: 0, codings: 0, memos: 2 }, "{rel}");
        assert_eq!(r.unplaced.len(), 6, "{rel}: every selection of a missing text is reported");
        assert!(r.unplaced.iter().all(|u| u.reason.contains("missing")));
        assert_eq!(not_imported(&r, "text sources whose text file is missing or unreadable"), 6);
        assert_eq!(not_imported(&r, "PDF sources"), 2);
        assert_eq!(not_imported(&r, "picture sources"), 1);
        // The audio source has no transcript; the video sources' three transcripts have no
        // text here (their recordings are reported in tests/interop_media.rs).
        assert_eq!(not_imported(&r, "audio and video sources without a transcript"), 1);
        assert_eq!(not_imported(&r, "transcripts whose text file is missing or unreadable"), 3);
        assert_eq!(not_imported(&r, "sets"), 16);
        assert_eq!(not_imported(&r, "links"), 1);
        assert_eq!(not_imported(&r, "graphs"), 1);
        let titles: BTreeSet<String> = p.memos(None).unwrap().into_iter().map(|m| m.title).collect();
        assert!(titles.contains("Research Plan") && titles.contains("My favorite Coke ad"));
    }
}

#[test]
fn codebook_samples_read_through_the_shared_codes_reader() {
    if !samples_present("codebook_samples_read_through_the_shared_codes_reader") {
        return;
    }
    let read = |rel: &str| {
        let mut w = Vec::new();
        read_codes_xml(&std::fs::read(sample(rel)).unwrap(), rel, &mut w)
    };
    // Spec A.1: 6 codes, braced GUIDs, folders, lower-case colours.
    let spec = read("spec-annex/A1-codebook.spec-1.5.qdc").unwrap();
    fn all(c: &[codeloom::interop::codes::RefiCode]) -> usize {
        c.iter().map(|c| 1 + all(&c.children)).sum()
    }
    assert_eq!(all(&spec), 6);
    assert!(spec.iter().any(|c| !c.codable));
    assert_eq!(all(&read("requal-atlas/atlas-win-23.4.0.qdc").unwrap()), 1);
    assert_eq!(all(&read("taguette/uto_tag.taguette-1.4.1.qdc").unwrap()), 3);
    let e = read("requal-atlas/atlas-win-23.4.0.truncated-ns0-4.qdc").unwrap_err().to_string();
    assert!(e.contains("truncated") || e.contains("malformed"), "{e}");
    // A codebook handed to the project importer is refused with a clear reason.
    let dir = tempfile::tempdir().unwrap();
    let mut p = fresh(dir.path(), "t.codeloom");
    let e = import_qdpx(&mut p, &sample("spec-annex/A1-codebook.spec-1.5.qdc")).unwrap_err().to_string();
    assert!(e.contains("codebook"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Quirks, on small archives built here.

fn zip(path: &Path, entries: &[(&str, &[u8])]) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in entries {
        if name.ends_with('/') {
            z.add_directory(name.trim_end_matches('/'), opts).unwrap();
        } else {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
    }
    z.finish().unwrap();
}

fn one_source_project(origin: &str, path: &str, selections: &str) -> String {
    format!(
        r##"<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1:0" name="q" origin="{origin}">
<Users><User guid="aaaaaaaa-0000-4000-8000-000000000001" name="Chris" id="CP"/></Users>
<CodeBook><Codes><Code guid="{{BBBBBBBB-0000-4000-8000-000000000001}}" name="Feeling" isCodable="true" color="#F00"/></Codes></CodeBook>
<Sources><TextSource guid="cccccccc-0000-4000-8000-000000000001" name="Interview.txt" plainTextPath="{path}">{selections}</TextSource></Sources>
</Project>"##
    )
}

fn selection(guid: u32, start: usize, end: usize, name: &str) -> String {
    format!(
        r#"<PlainTextSelection guid="dddddddd-0000-4000-8000-{guid:012}" name="{name}" startPosition="{start}" endPosition="{end}"><Coding guid="eeeeeeee-0000-4000-8000-{guid:012}" creatingUser="AAAAAAAA-0000-4000-8000-000000000001"><CodeRef targetGUID="bbbbbbbb-0000-4000-8000-000000000001"/></Coding></PlainTextSelection>"#
    )
}

fn coded(p: &Project) -> Vec<String> {
    let doc = &p.documents().unwrap()[0].document;
    let text: Vec<char> = p.document_text(&doc.id).unwrap().chars().collect();
    p.codings(&CodingFilter::default()).unwrap().iter().map(|c| text[c.start..c.end].iter().collect()).collect()
}

#[test]
fn nvivo_windows_utf16_crlf_bom_capital_sources_folder() {
    // NVivo for Windows: Sources/ and .TXT in capitals, BOM + CRLF, UTF-16 units with
    // CRLF counted as two, the BOM not counted; selections have empty names.
    let text = "Q: How was it?\r\nA: Great 😀 fun.\r\nB: Sad 😢 day.\r\n";
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(text.as_bytes());
    // UTF-16 offsets: "Great" 19..24, "fun" 28..31, "Sad" 37..40, "day" 44..47.
    let sels = [selection(1, 19, 24, ""), selection(2, 28, 31, ""), selection(3, 37, 40, ""), selection(4, 44, 47, "")];
    let xml = one_source_project(
        "NVivo for Windows 12.6",
        "internal://cccccccc-0000-4000-8000-000000000001.txt",
        &sels.concat(),
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("n.qdpx");
    zip(
        &f,
        &[
            ("Sources/", b""),
            ("Sources/CCCCCCCC-0000-4000-8000-000000000001.TXT", &bytes),
            ("project.qde", xml.as_bytes()),
        ],
    );
    let mut p = fresh(dir.path(), "t.codeloom");
    let r = import_qdpx(&mut p, &f).unwrap();
    assert_eq!(r.readings[0].unit, PositionUnit::Utf16);
    assert!(r.readings[0].ambiguous);
    assert_eq!(coded(&p), ["Great", "fun", "Sad", "day"]);
    let doc = &p.documents().unwrap()[0].document;
    assert_eq!(doc.name, "Interview");
    assert!(!p.document_text(&doc.id).unwrap().contains('\r'));
    assert_eq!(p.codings(&CodingFilter::default()).unwrap()[0].coder, "Chris");
    assert_eq!(p.codes().unwrap()[0].color, "#ff0000");
    assert_eq!(p.codes().unwrap()[0].id, "bbbbbbbb-0000-4000-8000-000000000001");
}

#[test]
fn atlas_windows_project_named_qde_and_crlf_as_one() {
    // ATLAS.ti: the .qde is named after the project; CRLF in the .txt counts as one; the
    // selection name holds the quote (truncated with …).
    let text = "First line here.\r\nSecond line, with more words.\r\nThird.\r\n";
    let sels =
        [selection(1, 17, 28, "Second line"), selection(2, 30, 45, "with more words…"), selection(3, 47, 53, "Third.")];
    let xml = one_source_project("ATLAS.ti for Windows 23.2", "internal://ABC.txt", &sels.concat());
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.qdpx");
    zip(&f, &[("Trial.qde", xml.as_bytes()), ("sources/abc.txt", text.as_bytes())]);
    let mut p = fresh(dir.path(), "t.codeloom");
    let r = import_qdpx(&mut p, &f).unwrap();
    assert_eq!(r.readings[0].unit, PositionUnit::CodePointsCrlfAsOne);
    assert_eq!(coded(&p), ["Second line", "with more words", "Third."]);
}

#[test]
fn selections_that_cannot_be_placed_are_reported_and_the_rest_imported() {
    let text = "Short text.";
    let sels = [selection(1, 0, 5, "Short"), selection(2, 6, 40, "text"), selection(3, 7, 7, "")];
    let xml = one_source_project("QualCoder 3.5", "internal://t.txt", &sels.concat());
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("u.qdpx");
    zip(&f, &[("project.qde", xml.as_bytes()), ("sources/t.txt", text.as_bytes())]);
    let mut p = fresh(dir.path(), "t.codeloom");
    let r = import_qdpx(&mut p, &f).unwrap();
    assert_eq!(coded(&p), ["Short"]);
    assert_eq!(r.unplaced.len(), 2);
    assert!(r.unplaced[0].reason.contains("beyond the end"), "{:?}", r.unplaced);
    assert!(r.unplaced[1].reason.contains("empty"), "{:?}", r.unplaced);
    assert!(r.lines().iter().any(|l| l.starts_with("not placed: selection dddddddd-0000-4000-8000-000000000002")));
}

#[test]
fn a_failed_import_changes_nothing_and_one_undo_removes_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = fresh(dir.path(), "t.codeloom");
    p.create_code(codeloom::store::ops::NewCode { name: "Existing".into(), ..Default::default() }).unwrap();
    let before = (counts(&p), p.change_counter().unwrap());
    // Truncated XML, a zip that is not one, and a zip without a .qde.
    let bad = dir.path().join("bad.qdpx");
    zip(&bad, &[("project.qde", b"<Project name=\"x\"><Users><User guid=\"")]);
    assert!(import_qdpx(&mut p, &bad).is_err());
    std::fs::write(&bad, b"PK\x03\x04 not really").unwrap();
    assert!(import_qdpx(&mut p, &bad).unwrap_err().to_string().contains("bad.qdpx"));
    zip(&bad, &[("sources/a.txt", b"text")]);
    assert!(import_qdpx(&mut p, &bad).unwrap_err().to_string().contains("no project.qde"));
    assert_eq!((counts(&p), p.change_counter().unwrap()), before);

    let xml = one_source_project("x", "internal://t.txt", &selection(1, 0, 5, "Short"));
    let good = dir.path().join("good.qdpx");
    zip(&good, &[("project.qde", xml.as_bytes()), ("sources/t.txt", b"Short text.")]);
    import_qdpx(&mut p, &good).unwrap();
    assert_eq!(counts(&p).codings, 1);
    p.undo().unwrap();
    assert_eq!((counts(&p), p.change_counter().unwrap() > before.1), (before.0, true));
}

// ---------------------------------------------------------------------------------------
// Export.

fn demo(dir: &Path) -> Project {
    let path = dir.join("demo.codeloom");
    build_demo(&path, &DemoSources::in_repository(Path::new(env!("CARGO_MANIFEST_DIR")))).unwrap();
    let mut p = Project::open(&path).unwrap();
    p.set_coder("amara").unwrap();
    // Memos of every kind, so that all of them travel.
    let doc = p.documents().unwrap()[0].document.id.clone();
    let participant = p.participants().unwrap()[0].id.clone();
    let code = p.codes().unwrap()[3].id.clone();
    p.add_memo(MemoTarget::Document, Some(&doc), "First read", "Long pauses & \"hedging\" <here>.").unwrap();
    p.add_memo(MemoTarget::Participant, Some(&participant), "Context", "Recruited via the clinic.").unwrap();
    p.add_memo(MemoTarget::Code, Some(&code), "", "Boundary with coping.").unwrap();
    p
}

/// `xmllint --schema Project.xsd` on `qde` (the schema lives in tests/data/refi), when
/// xmllint is installed; otherwise a visible skip of `test` (a failure under CI).
fn xmllint(test: &str, qde: &Path) -> Option<std::process::Output> {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/refi/Project.xsd");
    if !common::tool(test, "xmllint", &["--version"]) {
        return None;
    }
    Some(Command::new("xmllint").arg("--noout").arg("--schema").arg(xsd).arg(qde).output().expect("run xmllint"))
}

#[test]
fn demo_export_is_a_valid_qdpx() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo(dir.path());
    let out = dir.path().join("demo.qdpx");
    let report = export_qdpx(&p, &out).unwrap();
    assert_eq!((report.documents, report.codes, report.codings), (17, 40, 444));
    assert!(report.not_exported.iter().any(|n| n.what.contains("stars")));

    let mut archive = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().to_string()).collect();
    assert!(names.contains(&"project.qde".to_string()));
    assert_eq!(names.iter().filter(|n| n.starts_with("sources/") && n.ends_with(".txt")).count(), 17);
    assert_eq!(names.len(), 18, "nothing else in the archive: {names:?}");
    for n in &names {
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name(n).unwrap(), &mut data).unwrap();
        assert!(!data.starts_with(b"\xEF\xBB\xBF"), "{n} has a BOM");
        assert!(!data.contains(&b'\r'), "{n} has CR");
        std::str::from_utf8(&data).unwrap();
        if n == "project.qde" {
            let qde = dir.path().join("project.qde");
            std::fs::write(&qde, &data).unwrap();
            if let Some(v) = xmllint("demo_export_is_a_valid_qdpx", &qde) {
                assert!(v.status.success(), "project.qde does not validate:\n{}", String::from_utf8_lossy(&v.stderr));
            }
        }
    }
}

type DocKey = (String, String, Option<String>, Option<String>);

/// The project in terms that survive a round trip: documents by name, codes by ID.
#[allow(clippy::type_complexity)]
fn comparable(
    p: &Project,
) -> (
    BTreeSet<DocKey>,
    BTreeMap<String, (String, Option<String>, String, codeloom::model::CodeDescription)>,
    Vec<(String, usize, usize, String, String, Option<String>)>,
    BTreeMap<String, Vec<(String, String, String)>>,
    Vec<(String, String, String, String, Option<String>)>,
    Vec<String>,
) {
    let docs = p.documents().unwrap();
    let doc_name = |id: &str| docs.iter().find(|d| d.document.id == id).unwrap().document.name.clone();
    let documents = docs
        .iter()
        .map(|d| {
            let d = &d.document;
            (d.name.clone(), p.document_text(&d.id).unwrap(), d.participant.clone(), d.wave.clone())
        })
        .collect();
    let codes = p.codes().unwrap().into_iter().map(|c| (c.id, (c.name, c.parent_id, c.color, c.description))).collect();
    let mut codings: Vec<_> = p
        .codings(&CodingFilter::default())
        .unwrap()
        .into_iter()
        .map(|c| (doc_name(&c.document_id), c.start, c.end, c.code_id, c.coder, c.memo))
        .collect();
    codings.sort();
    let attributes = p
        .participants()
        .unwrap()
        .into_iter()
        .map(|x| (x.label, x.attributes.into_iter().map(|(n, v)| (n, v.kind.as_str().to_string(), v.value)).collect()))
        .collect();
    let participants = p.participants().unwrap();
    let mut memos: Vec<_> = p
        .memos(None)
        .unwrap()
        .into_iter()
        .map(|m| {
            let target = match (m.target, m.target_id.as_deref()) {
                (MemoTarget::Document, Some(id)) => doc_name(id),
                (MemoTarget::Participant, Some(id)) => participants.iter().find(|x| x.id == id).unwrap().label.clone(),
                (_, id) => id.unwrap_or("").to_string(),
            };
            (m.target.as_str().to_string(), target, m.title, m.body, m.coder)
        })
        .collect();
    memos.sort();
    let waves = p.waves().unwrap().into_iter().map(|w| w.name).collect();
    (documents, codes, codings, attributes, memos, waves)
}

#[test]
fn export_then_import_gives_the_same_project() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo(dir.path());
    let out = dir.path().join("demo.qdpx");
    export_qdpx(&p, &out).unwrap();
    let mut q = fresh(dir.path(), "back.codeloom");
    let report = import_qdpx(&mut q, &out).unwrap();
    assert!(report.unplaced.is_empty() && report.not_imported.is_empty(), "{:#?}", report);
    assert!(report.readings.iter().all(|r| r.placed == r.selections));
    let (a, b) = (comparable(&p), comparable(&q));
    assert_eq!(a.0, b.0, "documents (text, participant, wave)");
    assert_eq!(a.1, b.1, "codes (names, hierarchy, colours, descriptions)");
    assert_eq!(a.2, b.2, "codings (ranges, codes, coders, memos)");
    assert_eq!(a.3, b.3, "participant attributes");
    assert_eq!(a.4, b.4, "memos");
    assert_eq!(a.5, b.5, "waves in order");
    let coders = |p: &Project| p.coders().unwrap().into_iter().map(|c| c.name).collect::<BTreeSet<_>>();
    assert_eq!(coders(&p), coders(&q));
    // Turns of plain-text transcripts are found again in the same places (those read
    // from .docx or subtitles were found by their own reader, which REFI-QDA cannot carry).
    let plain: BTreeSet<String> = p
        .documents()
        .unwrap()
        .into_iter()
        .filter(|d| d.document.original_name.ends_with(".txt"))
        .map(|d| d.document.name)
        .collect();
    let turns = |p: &Project| {
        p.documents()
            .unwrap()
            .iter()
            .filter(|d| plain.contains(&d.document.name))
            .map(|d| (d.document.name.clone(), p.turns(&d.document.id).unwrap()))
            .collect::<BTreeMap<_, _>>()
    };
    assert!(!turns(&p).is_empty());
    assert_eq!(turns(&p), turns(&q));
}

#[test]
fn cli_export_import_and_new_from() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo(dir.path());
    drop(p);
    let bin = env!("CARGO_BIN_EXE_codeloom");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).env("CODELOOM_CODER", "tester").output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let demo = dir.path().join("demo.codeloom");
    let qdpx = dir.path().join("out.qdpx");
    let printed = run(&["export", "qdpx", demo.to_str().unwrap(), "--out", qdpx.to_str().unwrap()]);
    assert!(printed.contains("17 documents, 40 codes, 444 codings"), "{printed}");
    let fresh = dir.path().join("fresh.codeloom");
    let printed = run(&["new", fresh.to_str().unwrap(), "--from", qdpx.to_str().unwrap()]);
    assert!(printed.contains("imported 17 documents, 40 codes, 444 codings"), "{printed}");
    let other = dir.path().join("other.codeloom");
    run(&["new", other.to_str().unwrap()]);
    let json = run(&["import", other.to_str().unwrap(), qdpx.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["imported"]["codings"], 444);
    // A failed --from leaves no project file behind.
    let broken = dir.path().join("broken.qdpx");
    std::fs::write(&broken, b"not a zip").unwrap();
    let gone = dir.path().join("gone.codeloom");
    let out =
        Command::new(bin).args(["new", gone.to_str().unwrap(), "--from", broken.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(!gone.exists());
}

/// A REFI `Code` nested `depth` levels deep, as the body of a `Codes` element.
fn nested_codes(depth: usize) -> String {
    let mut xml = String::with_capacity(depth * 110);
    for i in 0..depth {
        xml.push_str(&format!("<Code guid=\"00000000-0000-4000-8000-{i:012}\" name=\"level {i}\" isCodable=\"true\">"));
    }
    for _ in 0..depth {
        xml.push_str("</Code>");
    }
    xml
}

fn nested_project(depth: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"deep\" origin=\"test\"><CodeBook><Codes>{}</Codes></CodeBook></Project>",
        nested_codes(depth)
    )
}

fn nested_codebook(depth: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\" origin=\"test\"><Codes>{}</Codes></CodeBook>",
        nested_codes(depth)
    )
}

#[test]
fn codes_nested_too_deep_are_refused_by_name_in_process_and_the_project_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = fresh(dir.path(), "t.codeloom");
    let before = counts(&p);
    let deep = nested_project(100_000);
    let qde = dir.path().join("deep.qde");
    std::fs::write(&qde, &deep).unwrap();
    let qdpx = dir.path().join("deep.qdpx");
    zip(&qdpx, &[("project.qde", deep.as_bytes())]);
    let qdc = dir.path().join("deep.qdc");
    std::fs::write(&qdc, nested_codebook(100_000)).unwrap();
    for file in [&qde, &qdpx] {
        let e = import_qdpx(&mut p, file).unwrap_err().to_string();
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(e.contains(name) && e.contains("codes nest deeper than 200 levels"), "{e}");
    }
    let e = codeloom::codebook::import_codebook_file(&mut p, &qdc).unwrap_err().to_string();
    assert!(e.contains("deep.qdc") && e.contains("codes nest deeper than 200 levels"), "{e}");
    let huge = dir.path().join("huge.qdc");
    std::fs::File::create(&huge).unwrap().set_len(codeloom::codebook::qdc::MAX_QDC_BYTES + 1).unwrap();
    let e = codeloom::codebook::import_codebook_file(&mut p, &huge).unwrap_err().to_string();
    assert!(e.contains("huge.qdc") && e.contains("larger than"), "{e}");
    assert_eq!(counts(&p), before);
    // Elements of any other kind nested without end are refused too.
    let tower = format!(
        "<Project name=\"x\">{}{}</Project>",
        "<Description>".repeat(100_000),
        "</Description>".repeat(100_000)
    );
    std::fs::write(&qde, tower).unwrap();
    let e = import_qdpx(&mut p, &qde).unwrap_err().to_string();
    assert!(e.contains("deep.qde") && e.contains("nest deeper than 512 levels"), "{e}");
    assert_eq!(counts(&p), before);
}

#[test]
fn codes_nested_two_hundred_deep_are_read_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = fresh(dir.path(), "t.codeloom");
    let qdpx = dir.path().join("deep.qdpx");
    zip(&qdpx, &[("project.qde", nested_project(200).as_bytes())]);
    import_qdpx(&mut p, &qdpx).unwrap();
    let codes = p.codes().unwrap();
    assert_eq!(codes.len(), 200);
    let parents: BTreeMap<&str, Option<&str>> = codes.iter().map(|c| (c.id.as_str(), c.parent_id.as_deref())).collect();
    let mut deepest = 0;
    for c in &codes {
        let (mut id, mut n) = (c.id.as_str(), 1);
        while let Some(Some(parent)) = parents.get(id) {
            (id, n) = (*parent, n + 1);
        }
        deepest = deepest.max(n);
    }
    assert_eq!(deepest, 200);
    let mut q = fresh(dir.path(), "q.codeloom");
    let qdc = dir.path().join("deep.qdc");
    std::fs::write(&qdc, nested_codebook(200)).unwrap();
    codeloom::codebook::import_codebook_file(&mut q, &qdc).unwrap();
    assert_eq!(q.codes().unwrap().len(), 200);
    // One level more is refused.
    std::fs::write(&qdc, nested_codebook(201)).unwrap();
    assert!(codeloom::codebook::import_codebook_file(&mut q, &qdc).is_err());
    zip(&qdpx, &[("project.qde", nested_project(201).as_bytes())]);
    assert!(import_qdpx(&mut q, &qdpx).is_err());
}

#[test]
fn cli_refuses_codes_nested_too_deep_and_leaves_the_project_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_codeloom");
    let run = |args: &[&str]| Command::new(bin).args(args).env("CODELOOM_CODER", "tester").output().unwrap();
    let project = dir.path().join("p.codeloom");
    assert!(run(&["new", project.to_str().unwrap()]).status.success());
    // A read command first, so that the file is settled before it is compared.
    assert!(run(&["docs", project.to_str().unwrap()]).status.success());
    let before = std::fs::read(&project).unwrap();
    let qdpx = dir.path().join("bad.qdpx");
    zip(&qdpx, &[("project.qde", nested_project(100_000).as_bytes())]);
    let qdc = dir.path().join("bad.qdc");
    std::fs::write(&qdc, nested_codebook(100_000)).unwrap();
    for (args, name) in [
        (vec!["import", project.to_str().unwrap(), qdpx.to_str().unwrap()], "bad.qdpx"),
        (vec!["codebook", "import", project.to_str().unwrap(), qdc.to_str().unwrap()], "bad.qdc"),
    ] {
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        // A clear refusal (exit code 2), not an abort by a signal.
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(name) && err.contains("codes nest deeper than 200 levels"), "{err}");
        assert!(run(&["docs", project.to_str().unwrap()]).status.success());
        assert_eq!(std::fs::read(&project).unwrap(), before, "{args:?} changed the project");
    }
}

#[test]
fn a_code_tree_reads_the_same_from_a_project_and_from_a_codebook() {
    // Quirks of REFI-QDA.md §5 and §8: braced upper-case GUIDs, #RGB and rgb() colours, an
    // unreadable colour, a folder, an empty name, a description with the four parts.
    let codes = "<Codes>\
        <Code guid=\"{5215CC69-B628-4E02-AFB9-9BEEAEE55808}\" name=\" Topics \" isCodable=\"false\" color=\"#F0a\">\
          <Description>Things said.\n\nInclusion: any topic</Description>\
          <Code guid=\"d7aa29da-519b-4946-9b90-253b6db8fd0a\" name=\"Sleep\" isCodable=\"true\" color=\"rgb(1, 2, 3)\"/>\
          <Code guid=\"d7aa29da519b49469b90253b6db8fd0b\" name=\"\" isCodable=\"true\" color=\"#FF00FF80\"/>\
        </Code></Codes>";
    let dir = tempfile::tempdir().unwrap();
    let qdc = dir.path().join("book.qdc");
    std::fs::write(&qdc, format!("<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\" origin=\"t\">{codes}</CodeBook>"))
        .unwrap();
    let qdpx = dir.path().join("project.qdpx");
    let qde = format!(
        "<Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"p\" origin=\"t\"><CodeBook>{codes}</CodeBook></Project>"
    );
    zip(&qdpx, &[("project.qde", qde.as_bytes())]);
    let mut from_book = fresh(dir.path(), "a.codeloom");
    let (_, notes) = codeloom::codebook::import_codebook_file(&mut from_book, &qdc).unwrap();
    let mut from_project = fresh(dir.path(), "b.codeloom");
    let report = import_qdpx(&mut from_project, &qdpx).unwrap();
    let tree = |p: &Project| {
        let codes = p.codes().unwrap();
        let name = |id: &Option<String>| {
            id.as_ref().map(|id| codes.iter().find(|c| &c.id == id).unwrap().name.clone()).unwrap_or_default()
        };
        codes
            .iter()
            .map(|c| (c.name.clone(), name(&c.parent_id), format!("{:?}", c.description), c.id.len()))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(tree(&from_book), tree(&from_project));
    let colour = |p: &Project, n: &str| p.codes().unwrap().into_iter().find(|c| c.name == n).unwrap().color;
    for p in [&from_book, &from_project] {
        assert_eq!(colour(p, "Topics"), "#ff00aa");
        assert_eq!(colour(p, "Sleep"), "#010203");
        let topics = p.codes().unwrap().into_iter().find(|c| c.name == "Topics").unwrap();
        assert_eq!(topics.id, "5215cc69-b628-4e02-afb9-9beeaee55808");
        assert_eq!(topics.description.inclusion, "any topic");
        // A GUID without hyphens is not a REFI GUID (8-4-4-4-12): the code gets a new ID.
        let unnamed = p.codes().unwrap().into_iter().find(|c| c.name == "(unnamed code)").unwrap();
        assert_ne!(unnamed.id.replace('-', ""), "d7aa29da519b49469b90253b6db8fd0b");
    }
    let warned = |lines: &[String]| ["rgb(1, 2, 3)", "#FF00FF80"].iter().all(|w| lines.iter().any(|l| l.contains(w)));
    assert!(warned(&notes), "{notes:?}");
    assert!(warned(&report.warnings), "{:?}", report.warnings);
}

// ---------------------------------------------------------------------------------------
// Hostile input: garbage and mutated files never panic, and what is read holds together.
// The seeds are the fuzz targets' (`fuzz/corpus/qdpx`, `fuzz/corpus/qdc`).

const SEED_QDE: &[u8] = include_bytes!("../fuzz/corpus/qdpx/seed-project.qde");
const SEED_QDPX: &[u8] = include_bytes!("../fuzz/corpus/qdpx/seed-archive.qdpx");
const SEED_QDC: &[u8] = include_bytes!("../fuzz/corpus/qdc/seed-quirks.qdc");

use codeloom::codebook::qdc::{QdcCodebook, parse_qdc};
use codeloom::interop::ImportPlan;
use codeloom::interop::qdpx_import::read_qdpx_bytes;
use proptest::prelude::*;

/// Parents before children, codings inside their document and on codes of the plan.
fn check_plan(plan: &ImportPlan) {
    for (i, c) in plan.codes.iter().enumerate() {
        assert!(c.parent.is_none_or(|p| p < i), "code {i} comes before its parent");
    }
    for c in &plan.codings {
        let doc = &plan.documents[c.document];
        assert!(c.start < c.end && c.end <= doc.text.chars().count(), "{c:?} is outside its document");
        assert!(c.code < plan.codes.len(), "{c:?} names no code of the plan");
    }
}

/// Unique IDs, parents listed before their children.
fn check_book(book: &QdcCodebook) {
    let mut seen = BTreeSet::new();
    for c in &book.codes {
        assert!(c.parent_id.as_ref().is_none_or(|p| seen.contains(p)), "{c:?} comes before its parent");
        assert!(seen.insert(c.id.clone().unwrap()), "{c:?}: an ID used twice");
    }
}

#[test]
fn the_fuzz_seeds_read_with_their_quirks() {
    let (bare, report) = read_qdpx_bytes(SEED_QDE, "seed.qde").unwrap();
    check_plan(&bare);
    assert_eq!((bare.codes.len(), bare.documents.len(), bare.codings.len()), (2, 1, 1));
    assert!(report.warnings.iter().any(|w| w.contains("bare .qde")), "{:?}", report.warnings);
    let (zipped, report) = read_qdpx_bytes(SEED_QDPX, "seed.qdpx").unwrap();
    check_plan(&zipped);
    assert_eq!(zipped.documents[0].text, bare.documents[0].text);
    // UTF-16 with CRLF as two (NVivo for Windows): "Badly" sits at [37, 42).
    assert_eq!(report.readings[0].unit, PositionUnit::Utf16);
    let c = &zipped.codings[0];
    let text: String = zipped.documents[0].text.chars().skip(c.start).take(c.end - c.start).collect();
    assert_eq!(text, "Badly");
    let book = parse_qdc(Path::new("seed.qdc"), SEED_QDC).unwrap();
    check_book(&book);
    assert_eq!(book.codes.len(), 4);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn garbage_is_refused_or_read_without_panicking(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok((plan, _)) = read_qdpx_bytes(&data, "garbage.qdpx") {
            check_plan(&plan);
        }
        if let Ok(book) = parse_qdc(Path::new("garbage.qdc"), &data) {
            check_book(&book);
        }
    }

    #[test]
    fn mutated_xml_is_refused_or_read_without_panicking(
        edits in proptest::collection::vec(
            (any::<usize>(), 0usize..12, proptest::collection::vec(
                proptest::sample::select(b"<>/=\"&#;x: \r\n0123456789-ABCDEFCodeguid\xF0\x9F".to_vec()), 0..8)),
            1..8,
        )
    ) {
        for seed in [SEED_QDE, SEED_QDC] {
            let mut bytes = seed.to_vec();
            for (at, delete, insert) in &edits {
                let at = at % (bytes.len() + 1);
                let end = (at + delete).min(bytes.len());
                bytes.splice(at..end, insert.iter().copied());
            }
            if let Ok((plan, _)) = read_qdpx_bytes(&bytes, "mutated.qde") {
                check_plan(&plan);
            }
            if let Ok(book) = parse_qdc(Path::new("mutated.qdc"), &bytes) {
                check_book(&book);
            }
        }
    }

    #[test]
    fn mutated_archives_are_refused_or_read_without_panicking(
        changes in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)
    ) {
        let mut bytes = SEED_QDPX.to_vec();
        for (at, byte) in changes {
            let i = at % bytes.len();
            bytes[i] = byte;
        }
        if let Ok((plan, _)) = read_qdpx_bytes(&bytes, "mutated.qdpx") {
            check_plan(&plan);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn codes_are_read_up_to_two_hundred_levels_and_refused_deeper(depth in 1usize..400) {
        let book = parse_qdc(Path::new("deep.qdc"), nested_codebook(depth).as_bytes());
        prop_assert_eq!(book.is_ok(), depth <= 200);
        let project = read_qdpx_bytes(nested_project(depth).as_bytes(), "deep.qde");
        prop_assert_eq!(project.as_ref().map(|(p, _)| p.codes.len()).ok(), (depth <= 200).then_some(depth));
    }
}

#[test]
fn many_sibling_codes_of_one_name_are_numbered_in_order() {
    let n = 2_000;
    let codes: String = (0..n)
        .map(|i| format!("<Code guid=\"00000000-0000-4000-8000-{i:012}\" name=\"Same\" isCodable=\"true\"/>"))
        .collect();
    let book = parse_qdc(
        Path::new("same.qdc"),
        format!("<CodeBook><Codes>{codes}<Code guid=\"x\" name=\"Same (2)\" isCodable=\"true\"/></Codes></CodeBook>")
            .as_bytes(),
    )
    .unwrap();
    let names: Vec<&str> = book.codes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!((names[0], names[1], names[n - 1]), ("Same", "Same (2)", "Same (2000)"));
    assert_eq!(names[n], "Same (2) (2)");
    let dir = tempfile::tempdir().unwrap();
    let mut p = fresh(dir.path(), "t.codeloom");
    let qde = format!("<Project name=\"p\"><CodeBook><Codes>{codes}</Codes></CodeBook></Project>");
    let file = dir.path().join("same.qde");
    std::fs::write(&file, qde).unwrap();
    let report = import_qdpx(&mut p, &file).unwrap();
    let stored: BTreeSet<String> = p.codes().unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(stored.len(), n);
    assert!(stored.contains("Same") && stored.contains("Same (2000)"));
    assert_eq!(report.warnings.iter().filter(|w| w.contains("renamed")).count(), n - 1);
}
