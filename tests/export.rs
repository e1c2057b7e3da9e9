//! The analysis and export reports on the demo study: quote reports in every format read
//! back (DOCX with zip + quick-xml, XLSX with calamine), count matrices checked against
//! counts made independently from the codings, and the codebook appendix. Most tests run
//! the real `codeloom export` command; template, trimming and selection rules are checked
//! through the library.

use calamine::{Data, Reader, Xlsx};
use codeloom::Project;
use codeloom::export::Format;
use codeloom::export::data::StudyData;
use codeloom::export::quotes::{self, QuoteOptions, Selection, WaveGroup, WaveSplit};
use codeloom::store::queries::CodingFilter;
use quick_xml::events::Event;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

mod common;
use common::{codeloom, ok, root};

/// The demo project, built once per test binary and copied for each test that needs its own.
fn demo() -> &'static Path {
    static DEMO: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.codeloom");
        codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(&root())).unwrap();
        // Fold the write-ahead log into the file so copies are complete.
        let p = Project::open(&path).unwrap();
        drop(p);
        (dir, path)
    });
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Participant → (age, gender) from the demo's participants.csv, read independently.
fn age_and_gender() -> HashMap<String, (String, String)> {
    let mut r = csv::Reader::from_path(root().join("fixtures/demo/participants.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (p, a, g) = (col("participant"), col("age"), col("gender"));
    r.records()
        .map(|rec| rec.unwrap())
        .map(|rec| (rec[p].to_string(), (rec[a].to_string(), rec[g].to_string())))
        .collect()
}

/// The starred quotes of fixtures/codings.json with whitespace made single, each with
/// its document name.
fn starred_quotes() -> Vec<(String, String)> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("fixtures/codings.json")).unwrap()).unwrap();
    v["codings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["illustrative"].as_bool() == Some(true))
        .map(|c| {
            let q = c["quote"].as_str().unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
            (c["document"].as_str().unwrap().to_string(), q)
        })
        .collect()
}

// ---------- reading DOCX back ----------

#[derive(Debug, Default)]
struct DocxContent {
    /// (style, text) of body paragraphs outside tables.
    paragraphs: Vec<(String, String)>,
    /// Tables → rows → cells → paragraphs' texts.
    tables: Vec<Vec<Vec<Vec<String>>>>,
    /// Whether each table's first row is marked as a header row.
    header_marked: Vec<bool>,
}

fn zip_part(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap_or_else(|_| panic!("the package has no {name}")).read_to_string(&mut s).unwrap();
    s
}

fn read_docx(bytes: &[u8]) -> DocxContent {
    for part in ["[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels", "word/styles.xml"] {
        let _ = zip_part(bytes, part);
    }
    assert!(zip_part(bytes, "[Content_Types].xml").contains("wordprocessingml.document.main+xml"));
    let xml = zip_part(bytes, "word/document.xml");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut out = DocxContent::default();
    let mut depth_tbl = 0;
    let mut in_t = false;
    let mut para = String::new();
    let mut style = String::new();
    let mut cell: Vec<String> = Vec::new();
    let mut row: Vec<Vec<String>> = Vec::new();
    let mut table: Vec<Vec<Vec<String>>> = Vec::new();
    let mut cell_has_paragraph = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => match e.name().as_ref() {
                "w:tbl" => {
                    depth_tbl += 1;
                    table.clear();
                }
                "w:tr" => row.clear(),
                "w:tc" => {
                    cell.clear();
                    cell_has_paragraph = false;
                }
                "w:p" => {
                    para.clear();
                    style.clear();
                    cell_has_paragraph = true;
                }
                "w:t" => in_t = true,
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                "w:pStyle" => {
                    style = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == "w:val")
                        .map(|a| a.value.to_string())
                        .unwrap_or_default()
                }
                "w:tblHeader" if table.is_empty() => out.header_marked.push(true),
                "w:br" => para.push('\n'),
                "w:tab" => para.push('\t'),
                "w:p" => {
                    cell_has_paragraph = true;
                    if depth_tbl > 0 {
                        cell.push(String::new());
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_t => para.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_t => {
                let name = r.into_inner();
                para.push_str(match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                });
            }
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_t = false,
                "w:p" => {
                    if depth_tbl > 0 {
                        cell.push(para.clone());
                    } else {
                        out.paragraphs.push((style.clone(), para.clone()));
                    }
                }
                "w:tc" => {
                    assert!(cell_has_paragraph, "a table cell without a paragraph");
                    row.push(cell.clone());
                }
                "w:tr" => table.push(row.clone()),
                "w:tbl" => {
                    depth_tbl -= 1;
                    if out.header_marked.len() < out.tables.len() + 1 {
                        out.header_marked.push(false);
                    }
                    out.tables.push(table.clone());
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn cell_text(cell: &[String]) -> String {
    cell.join("\n")
}

// ---------- reading XLSX back ----------

fn read_sheet(path: &Path, name: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("no sheet {name}: {e}"));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

// ---------- quote report ----------

#[test]
fn quotes_docx_has_a_table_per_theme_with_starred_quotes_in_their_wave_and_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quotes.docx");
    let printed =
        ok(&["export", "quotes", s(demo()), "--out", s(&out), "--template", "[{age}-year-old {gender}]", "--by-wave"]);
    assert!(printed.contains("quote(s)"), "{printed}");
    let doc = read_docx(&std::fs::read(&out).unwrap());
    let people = age_and_gender();
    let starred = starred_quotes();
    let starred_texts: HashSet<&str> = starred.iter().map(|(_, q)| q.as_str()).collect();
    let p = Project::open(demo()).unwrap();
    let wave_of: HashMap<String, (Option<String>, Option<String>)> = p
        .documents()
        .unwrap()
        .into_iter()
        .map(|d| (d.document.name.clone(), (d.document.participant.clone(), d.document.wave.clone())))
        .collect();

    assert!(!doc.tables.is_empty());
    assert_eq!(doc.tables.len(), doc.header_marked.iter().filter(|m| **m).count(), "every header row is marked");
    let theme_headings: Vec<&str> =
        doc.paragraphs.iter().filter(|(s, _)| s == "Heading2").map(|(_, t)| t.as_str()).collect();
    assert_eq!(theme_headings.len(), doc.tables.len());
    assert!(theme_headings.contains(&"Identity and emotion"), "{theme_headings:?}");
    let mut seen = 0;
    for table in &doc.tables {
        let header: Vec<String> = table[0].iter().map(|c| cell_text(c)).collect();
        assert_eq!(header, ["Subtheme", "BL", "3M", "6M"]);
        for row in &table[1..] {
            assert_eq!(row.len(), 4);
            for (col, cell) in row.iter().enumerate().skip(1) {
                for para in cell.iter().filter(|p| p.as_str() != "—") {
                    // “quote” [67-year-old female]
                    let (quote, attribution) = para.rsplit_once("” ").unwrap_or_else(|| panic!("{para}"));
                    let quote = quote.trim_start_matches('“');
                    assert!(starred_texts.contains(quote), "not a starred quote: {quote}");
                    let (doc_name, _) = starred.iter().find(|(_, q)| q == quote).unwrap();
                    let (participant, wave) = &wave_of[doc_name];
                    assert_eq!(wave.as_deref(), Some(header[col].as_str()), "{quote} is in the wrong wave column");
                    let (age, gender) = &people[participant.as_deref().unwrap()];
                    assert_eq!(attribution, format!("[{age}-year-old {gender}]"));
                    seen += 1;
                }
            }
        }
    }
    // Every distinct starred passage appears (two coders starring one passage count once).
    assert!(seen >= 20, "only {seen} quotes");
    let report = quotes::quote_report(
        &p,
        &QuoteOptions {
            template: "[{age}-year-old {gender}]".into(),
            waves: WaveSplit::EachWave,
            ..QuoteOptions::default()
        },
    )
    .unwrap();
    assert_eq!(report.quote_count(), seen);
}

#[test]
fn quotes_xlsx_with_proposals_wave_groups_and_trimming() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quotes.xlsx");
    ok(&[
        "export",
        "quotes",
        s(demo()),
        "--out",
        s(&out),
        "--propose",
        "2",
        "--max-words",
        "25",
        "--wave-group",
        "Before=BL",
        "--wave-group",
        "After=3M,6M",
        "--template",
        "[{participant}, {wave}]",
        "--themes",
        "Managing pain",
        "Identity and emotion",
    ]);
    let report = read_sheet(&out, "Report");
    assert_eq!(report[0], ["Theme", "Subtheme", "Before", "After"]);
    assert!(report.len() > 3);
    let themes: HashSet<&str> = report[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(themes, HashSet::from(["Managing pain", "Identity and emotion"]));
    for row in &report[1..] {
        for cell in &row[2..] {
            if cell.is_empty() {
                continue;
            }
            let quotes: Vec<&str> = cell.split("\n\n").collect();
            assert!(quotes.len() <= 2, "{cell}");
        }
    }
    let rows = read_sheet(&out, "Quotes");
    let h = &rows[0];
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    assert!(rows.len() > 5);
    let mut cells: HashMap<(String, String, String), Vec<String>> = HashMap::new();
    for r in &rows[1..] {
        let quote = &r[col("Quote")];
        let words = quote.split_whitespace().count();
        if r[col("Trimmed")] == "yes" {
            assert!(quote.ends_with('…'), "{quote}");
            assert!(r[col("Words")].parse::<f64>().unwrap() > 25.0);
        }
        assert!(words <= 27, "{quote}");
        let wave = &r[col("Wave")];
        let column = &r[col("Column")];
        assert_eq!(column, if wave == "BL" { "Before" } else { "After" });
        assert_eq!(r[col("Attribution")], format!("[{}, {wave}]", r[col("Participant")]));
        cells
            .entry((r[col("Theme")].clone(), r[col("Subtheme")].clone(), column.clone()))
            .or_default()
            .push(r[col("Participant")].clone());
    }
    // Proposals fill cells: at least one cell has two quotes, from two participants.
    assert!(cells.values().any(|p| p.len() == 2 && p[0] != p[1]));
}

#[test]
fn proposals_repeat_a_participant_only_when_no_one_else_was_coded() {
    let p = Project::open(demo()).unwrap();
    let data = StudyData::load(&p, None).unwrap();
    let options = QuoteOptions {
        selection: Selection::Propose { per_cell: 3 },
        waves: WaveSplit::EachWave,
        ..QuoteOptions::default()
    };
    let report = quotes::build(&data, &options, &mut |id| p.document_text(id)).unwrap();
    assert!(report.quote_count() > 40);
    let subtrees = data.subtrees();
    for theme in &report.themes {
        for row in &theme.rows {
            // Everyone coded under this row, per wave, counted independently.
            let pos = data.code_position(&row.code_id).unwrap();
            let codes: HashSet<&str> = if row.code_id == theme.code_id {
                HashSet::from([row.code_id.as_str()])
            } else {
                subtrees[pos].iter().map(|&i| data.codes[i].id.as_str()).collect()
            };
            for (col, cell) in row.cells.iter().enumerate() {
                let coded: HashSet<&str> = data
                    .codings
                    .iter()
                    .filter(|c| codes.contains(c.code_id.as_str()))
                    .filter(|c| data.participant_and_wave(c).1 == Some(report.columns[col].as_str()))
                    .filter_map(|c| data.participant_and_wave(c).0)
                    .collect();
                let quoted: Vec<&str> = cell.iter().filter_map(|q| q.participant.as_deref()).collect();
                let distinct: HashSet<&str> = quoted.iter().copied().collect();
                assert_eq!(
                    distinct.len(),
                    quoted.len().min(coded.len()),
                    "{} / {} at {}",
                    theme.name,
                    row.name,
                    report.columns[col]
                );
                // Starred quotes come first.
                let first_plain = cell.iter().position(|q| !q.starred).unwrap_or(cell.len());
                assert!(cell[first_plain..].iter().all(|q| !q.starred));
            }
        }
    }
    // The same options give the same report.
    let again = quotes::build(&data, &options, &mut |id| p.document_text(id)).unwrap();
    assert_eq!(report, again);
}

#[test]
fn quotes_csv_markdown_and_html_carry_the_same_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let p = Project::open(demo()).unwrap();
    let options = QuoteOptions { template: "[{age}-year-old {gender}, {wave}]".into(), ..QuoteOptions::default() };
    let report = quotes::quote_report(&p, &options).unwrap();
    let n = report.quote_count();
    assert!(n > 0);
    let first = &report.themes[0].rows[0].cells[0][0];

    let csv_path = dir.path().join("q.csv");
    ok(&["export", "quotes", s(demo()), "--out", s(&csv_path), "--template", "[{age}-year-old {gender}, {wave}]"]);
    let mut r = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header[..5], ["Theme", "Subtheme", "Column", "Quote", "Attribution"]);
    let records: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(records.len(), n);
    assert!(records.iter().all(|x| &x[10] == "yes"), "only starred quotes");
    assert!(records.iter().any(|x| x[3] == first.text && x[4] == first.attribution));

    let md_path = dir.path().join("q.md");
    ok(&["export", "quotes", s(demo()), "--out", s(&md_path), "--template", "[{age}-year-old {gender}, {wave}]"]);
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.starts_with("# Themes and illustrative quotes\n"));
    assert!(md.contains("| Subtheme | Illustrative quotes |\n| --- | --- |"));
    assert!(md.contains(&format!("*“{}”* {}", first.text.replace('*', "\\*"), first.attribution)), "{md}");
    assert_eq!(md.matches("*“").count(), n);

    let html_path = dir.path().join("q.html");
    ok(&["export", "quotes", s(demo()), "--out", s(&html_path), "--template", "[{age}-year-old {gender}, {wave}]"]);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<em>“").count(), n);
    assert!(html.contains(&format!(
        "{}”</em> {}",
        first.text.replace('\'', "&#39;").replace('"', "&quot;"),
        first.attribution
    )));
}

#[test]
fn names_and_quotes_with_markup_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.codeloom");
    std::fs::copy(demo(), &path).unwrap();
    let mut p = Project::open(&path).unwrap();
    let code = p
        .create_code(codeloom::store::ops::NewCode {
            id: None,
            name: "Fish & <chips> \"quoted\"".into(),
            parent_id: None,
            color: None,
            description: Default::default(),
        })
        .unwrap();
    let doc = p.documents().unwrap()[0].document.id.clone();
    p.apply_coding(codeloom::store::ops::NewCoding {
        document_id: doc,
        start: 0,
        end: 40,
        code_id: code,
        coder: None,
        memo: None,
        illustrative: true,
    })
    .unwrap();
    drop(p);
    let theme = "Fish & <chips> \"quoted\"";
    let html = dir.path().join("q.html");
    ok(&["export", "quotes", s(&path), "--themes", theme, "--out", s(&html)]);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("<h2>Fish &amp; &lt;chips&gt; &quot;quoted&quot;</h2>"), "{text}");
    assert!(!text.contains("<chips>"));
    let docx = dir.path().join("q.docx");
    ok(&["export", "quotes", s(&path), "--themes", theme, "--out", s(&docx)]);
    let d = read_docx(&std::fs::read(&docx).unwrap());
    assert!(d.paragraphs.iter().any(|(_, t)| t == theme), "{:?}", d.paragraphs);
    let xlsx = dir.path().join("q.xlsx");
    ok(&["export", "quotes", s(&path), "--themes", theme, "--out", s(&xlsx)]);
    assert_eq!(read_sheet(&xlsx, "Report")[1][0], theme);
}

#[test]
fn templates_handle_missing_and_unknown_attributes_and_braces() {
    let p = Project::open(demo()).unwrap();
    let data = StudyData::load(&p, None).unwrap();
    let run = |template: &str| {
        let options = QuoteOptions {
            template: template.into(),
            selection: Selection::Propose { per_cell: 50 },
            ..QuoteOptions::default()
        };
        quotes::build(&data, &options, &mut |id| p.document_text(id)).unwrap()
    };
    let all = |r: &quotes::QuoteReport| -> Vec<quotes::Quote> {
        r.themes.iter().flat_map(|t| &t.rows).flat_map(|row| &row.cells).flatten().cloned().collect()
    };
    // P04 has no pain duration: the word with the placeholder goes, the rest reads well.
    let r = run("[{pain_duration_years}-year history, {gender}]");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let qs = all(&r);
    let p04 = qs.iter().find(|q| q.participant.as_deref() == Some("P04")).expect("a P04 quote");
    assert_eq!(p04.attribution, "[history, male]");
    let p01 = qs.iter().find(|q| q.participant.as_deref() == Some("P01")).expect("a P01 quote");
    assert_eq!(p01.attribution, "[12-year history, female]");
    // A fallback for the missing value.
    let r = run("[{pain_duration_years|unknown}-year history]");
    let qs = all(&r);
    assert!(qs.iter().any(|q| q.participant.as_deref() == Some("P04") && q.attribution == "[unknown-year history]"));
    // An unknown placeholder is reported and left out.
    let r = run("[{Age}, {hobby}, {wave}]");
    assert!(r.warnings.iter().any(|w| w.contains("{hobby}")), "{:?}", r.warnings);
    let q = &all(&r)[0];
    assert_eq!(
        q.attribution,
        format!(
            "[{}, {}]",
            data.attribute(q.participant.as_deref().unwrap(), "age").unwrap(),
            q.wave.as_deref().unwrap()
        )
    );
    // Literal and stray braces.
    let r = run("{{{participant}}} {oops");
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    let q = &all(&r)[0];
    assert_eq!(q.attribution, format!("{{{}}} {{oops", q.participant.as_deref().unwrap()));
    // Every built-in placeholder.
    let r = run("{participant}|{wave}|{document}|{coder}|{code}");
    let q = &all(&r)[0];
    assert_eq!(
        q.attribution,
        format!(
            "{}|{}|{}|{}|{}",
            q.participant.as_deref().unwrap(),
            q.wave.as_deref().unwrap(),
            q.document,
            q.coder,
            q.code
        )
    );
}

#[test]
fn wave_split_puts_each_quote_in_its_wave_and_groups_leave_others_out() {
    let p = Project::open(demo()).unwrap();
    let data = StudyData::load(&p, None).unwrap();
    let build = |waves: WaveSplit| {
        let options = QuoteOptions { waves, selection: Selection::Propose { per_cell: 4 }, ..QuoteOptions::default() };
        quotes::build(&data, &options, &mut |id| p.document_text(id)).unwrap()
    };
    let each = build(WaveSplit::EachWave);
    assert_eq!(each.columns, ["BL", "3M", "6M"]);
    for row in each.themes.iter().flat_map(|t| &t.rows) {
        for (col, cell) in row.cells.iter().enumerate() {
            assert!(cell.iter().all(|q| q.wave.as_deref() == Some(each.columns[col].as_str())));
        }
    }
    let after = build(WaveSplit::Groups(vec![WaveGroup::parse("After=3M,6M").unwrap()]));
    assert_eq!(after.columns, ["After"]);
    let quotes: Vec<&quotes::Quote> =
        after.themes.iter().flat_map(|t| &t.rows).flat_map(|r| &r.cells).flatten().collect();
    assert!(!quotes.is_empty());
    assert!(quotes.iter().all(|q| q.wave.as_deref() != Some("BL")));
    assert!(after.warnings.iter().any(|w| w.contains("no wave group")), "{:?}", after.warnings);
}

#[test]
fn trimming_keeps_the_start_of_the_coded_text_and_cuts_at_a_word() {
    let p = Project::open(demo()).unwrap();
    let options =
        QuoteOptions { max_words: Some(8), selection: Selection::Propose { per_cell: 5 }, ..QuoteOptions::default() };
    let report = quotes::quote_report(&p, &options).unwrap();
    let mut cut = 0;
    for q in report.themes.iter().flat_map(|t| &t.rows).flat_map(|r| &r.cells).flatten() {
        let full = codeloom::model::offsets::slice_chars(&p.document_text(&q.document_id).unwrap(), q.start, q.end)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if q.trimmed {
            cut += 1;
            let head = q.text.strip_suffix('…').expect("an ellipsis");
            assert!(full.starts_with(head), "{head} / {full}");
            assert_eq!(quotes::word_count(head), 8, "{head}");
            // The cut falls between words.
            let next = full[head.len()..].chars().next().unwrap();
            assert!(!next.is_alphanumeric(), "cut inside a word: {head}|{}", &full[head.len()..]);
        } else {
            assert_eq!(q.text, full);
            assert!(q.words <= 8);
        }
    }
    assert!(cut > 10);
}

// ---------- matrices ----------

/// Codings per (code subtree) per wave and distinct participants, counted directly.
fn expected_code_wave(p: &Project, code_name: &str) -> HashMap<String, (usize, HashSet<String>)> {
    let root_id = p.resolve_code(code_name).unwrap();
    let codes = p.codes().unwrap();
    let mut under = HashSet::from([root_id.clone()]);
    loop {
        let before = under.len();
        for c in &codes {
            if c.parent_id.as_ref().is_some_and(|pid| under.contains(pid)) {
                under.insert(c.id.clone());
            }
        }
        if under.len() == before {
            break;
        }
    }
    let docs: HashMap<String, codeloom::model::Document> =
        p.documents().unwrap().into_iter().map(|d| (d.document.id.clone(), d.document)).collect();
    let mut out: HashMap<String, (usize, HashSet<String>)> = HashMap::new();
    for c in p.codings(&CodingFilter::default()).unwrap() {
        if under.contains(&c.code_id) {
            let d = &docs[&c.document_id];
            let e = out.entry(d.wave.clone().unwrap()).or_default();
            e.0 += 1;
            e.1.insert(d.participant.clone().unwrap());
        }
    }
    out
}

#[test]
fn code_wave_csv_matches_counts_made_from_the_codings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cw.csv");
    ok(&["export", "matrix", s(demo()), "--kind", "code-wave", "--out", s(&out)]);
    let mut r = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        header,
        [
            "Code",
            "BL codings",
            "BL participants",
            "3M codings",
            "3M participants",
            "6M codings",
            "6M participants",
            "All codings",
            "All participants",
            "Code ID"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 40);
    let p = Project::open(demo()).unwrap();
    for name in ["Managing pain", "Managing pain / Pacing", "Identity and emotion / Hope"] {
        let want = expected_code_wave(&p, name);
        let row = rows.iter().find(|r| &r[0] == name).unwrap_or_else(|| panic!("no row {name}"));
        for (i, w) in ["BL", "3M", "6M"].iter().enumerate() {
            let (n, people) = want.get(*w).cloned().unwrap_or_default();
            assert_eq!(row[1 + 2 * i].parse::<usize>().unwrap(), n, "{name} {w} codings");
            assert_eq!(row[2 + 2 * i].parse::<usize>().unwrap(), people.len(), "{name} {w} participants");
        }
        let total: usize = want.values().map(|v| v.0).sum();
        assert_eq!(row[7].parse::<usize>().unwrap(), total);
    }
    // Without roll-up a theme counts only its own codings.
    let own = dir.path().join("own.csv");
    ok(&["export", "matrix", s(demo()), "--kind", "code-wave", "--no-rollup", "--out", s(&own)]);
    let counts = p.code_counts().unwrap();
    let mut r = csv::Reader::from_path(&own).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        let n = counts.get(&rec[9]).copied().unwrap_or_default();
        assert_eq!(rec[7].parse::<usize>().unwrap(), n.codings, "{}", &rec[0]);
        assert_eq!(rec[8].parse::<usize>().unwrap(), n.participants, "{}", &rec[0]);
    }
}

/// The co-occurrence matrix counted pair by pair, by code ID.
fn expected_cooccurrence(p: &Project, any_coder: bool) -> HashMap<(String, String), usize> {
    let codings = p.codings(&CodingFilter::default()).unwrap();
    let mut out: HashMap<(String, String), usize> = HashMap::new();
    for (i, x) in codings.iter().enumerate() {
        *out.entry((x.code_id.clone(), x.code_id.clone())).or_default() += 1;
        for y in &codings[i + 1..] {
            if x.document_id == y.document_id
                && x.code_id != y.code_id
                && (any_coder || x.coder == y.coder)
                && x.start < y.end
                && y.start < x.end
            {
                *out.entry((x.code_id.clone(), y.code_id.clone())).or_default() += 1;
                *out.entry((y.code_id.clone(), x.code_id.clone())).or_default() += 1;
            }
        }
    }
    out
}

fn check_cooccurrence(project: &Path, any_coder: bool) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("co.xlsx");
    let mut args = vec!["export", "matrix", s(project), "--kind", "cooccurrence", "--format", "xlsx", "--out", s(&out)];
    if any_coder {
        args.push("--any-coder");
    }
    ok(&args);
    let rows = read_sheet(&out, "Co-occurrence");
    assert_eq!(rows.len(), 41);
    assert_eq!(rows[0].len(), 42);
    let p = Project::open(project).unwrap();
    let want = expected_cooccurrence(&p, any_coder);
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[41].as_str()).collect();
    let mut off_diagonal = 0;
    for i in 1..=40 {
        for j in 1..=40 {
            let got = rows[i][j].parse::<f64>().unwrap() as usize;
            let w = want.get(&(ids[i - 1].to_string(), ids[j - 1].to_string())).copied().unwrap_or(0);
            assert_eq!(got, w, "{} × {}", rows[i][0], rows[0][j]);
            if i != j {
                off_diagonal += got;
            }
        }
    }
    off_diagonal
}

#[test]
fn cooccurrence_xlsx_counts_overlapping_pairs_by_the_stated_rule() {
    // In the demo each coder gives a passage one code, so only pairs across coders overlap.
    assert_eq!(check_cooccurrence(demo(), false), 0);
    assert!(check_cooccurrence(demo(), true) > 0);
    // One coder adding a second code to a passage makes a same-coder pair.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.codeloom");
    std::fs::copy(demo(), &path).unwrap();
    let mut p = Project::open(&path).unwrap();
    let first = p.codings(&CodingFilter { coder: Some("amara".into()), ..CodingFilter::default() }).unwrap()[0].clone();
    let other = p.codes().unwrap().into_iter().find(|c| c.id != first.code_id).unwrap();
    p.apply_coding(codeloom::store::ops::NewCoding {
        document_id: first.document_id.clone(),
        start: first.start,
        end: first.start + 1,
        code_id: other.id,
        coder: Some("amara".into()),
        memo: None,
        illustrative: false,
    })
    .unwrap();
    drop(p);
    assert_eq!(check_cooccurrence(&path, false), 2, "one pair, counted in both cells");
}

#[test]
fn code_attribute_splits_by_value_and_bins_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gender.csv");
    ok(&["export", "matrix", s(demo()), "--kind", "code-attribute", "--attribute", "gender", "--out", s(&out)]);
    let mut r = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, ["Code", "female (n=3)", "male (n=3)", "Code ID"]);
    let p = Project::open(demo()).unwrap();
    let people = age_and_gender();
    for rec in r.records() {
        let rec = rec.unwrap();
        if rec[0].contains(" / ") {
            continue;
        }
        let want = expected_code_wave(&p, &rec[0]);
        let everyone: HashSet<String> = want.values().flat_map(|v| v.1.iter().cloned()).collect();
        let female = everyone.iter().filter(|x| people[x.as_str()].1 == "female").count();
        assert_eq!(rec[1].parse::<usize>().unwrap(), female, "{}", &rec[0]);
        assert_eq!(rec[2].parse::<usize>().unwrap(), everyone.len() - female, "{}", &rec[0]);
    }
    let ages = dir.path().join("age.xlsx");
    ok(&[
        "export",
        "matrix",
        s(demo()),
        "--kind",
        "code-attribute",
        "--attribute",
        "age",
        "--bins",
        "40,60",
        "--out",
        s(&ages),
    ]);
    let rows = read_sheet(&ages, "Code × attribute");
    assert_eq!(rows[0][1..4], ["under 40 (n=2)", "40 to under 60 (n=2)", "60 and over (n=2)"]);
    // A number attribute with a missing value, by value.
    let years = dir.path().join("years.csv");
    ok(&[
        "export",
        "matrix",
        s(demo()),
        "--kind",
        "code-attribute",
        "--attribute",
        "pain_duration_years",
        "--out",
        s(&years),
    ]);
    let text = std::fs::read_to_string(&years).unwrap();
    assert!(text.starts_with("Code,4 (n=1),6 (n=1),9 (n=1),12 (n=1),15 (n=1),(no value) (n=1),Code ID\n"), "{text}");
    // Unknown attribute: a clear error naming what exists.
    let bad = codeloom(&[
        "export",
        "matrix",
        s(demo()),
        "--kind",
        "code-attribute",
        "--attribute",
        "shoe size",
        "--out",
        s(&years),
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("shoe size") && err.contains("gender"), "{err}");
}

#[test]
fn code_participant_matrix_by_wave() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cp.csv");
    ok(&["export", "matrix", s(demo()), "--kind", "code-participant", "--by-wave", "--out", s(&out)]);
    let mut r = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header.len(), 2 + 17, "one column per document's participant and wave");
    assert_eq!(header[1..4], ["P01 BL", "P01 3M", "P01 6M"]);
    let total: usize = r
        .records()
        .map(|x| x.unwrap())
        .filter(|x| !x[0].contains(" / "))
        .map(|x| (1..18).map(|i| x[i].parse::<usize>().unwrap()).sum::<usize>())
        .sum();
    let p = Project::open(demo()).unwrap();
    assert_eq!(total, p.codings(&CodingFilter::default()).unwrap().len(), "themes roll up every coding once");
    let summary: serde_json::Value = serde_json::from_str(&ok(&[
        "export",
        "matrix",
        s(demo()),
        "--kind",
        "code-participant",
        "--out",
        s(&out),
        "--json",
    ]))
    .unwrap();
    assert_eq!(summary["rows"], 40);
    assert_eq!(summary["format"], "csv");
    assert_eq!(summary["columns"].as_array().unwrap().len(), 6);
}

// ---------- codebook appendix ----------

#[test]
fn codebook_appendix_docx_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("codebook.docx");
    ok(&["export", "codebook", s(demo()), "--out", s(&out)]);
    let doc = read_docx(&std::fs::read(&out).unwrap());
    let p = Project::open(demo()).unwrap();
    let codes = p.codes().unwrap();
    let counts = p.code_counts().unwrap();
    let themes: Vec<&str> = codes.iter().filter(|c| c.parent_id.is_none()).map(|c| c.name.as_str()).collect();
    let headings: Vec<&str> = doc.paragraphs.iter().filter(|(s, _)| s == "Heading2").map(|(_, t)| t.as_str()).collect();
    assert_eq!(headings, themes);
    assert_eq!(doc.tables.len(), themes.len());
    let body_rows: usize = doc.tables.iter().map(|t| t.len() - 1).sum();
    assert_eq!(body_rows, codes.len());
    let pacing = codes.iter().find(|c| c.name == "Pacing").unwrap();
    let row = doc.tables.iter().flat_map(|t| t.iter()).find(|r| cell_text(&r[0]) == "– Pacing").expect("a Pacing row");
    let header: Vec<String> = doc.tables[0][0].iter().map(|c| cell_text(c)).collect();
    assert_eq!(header, ["Code", "Definition", "Use when", "Do not use when", "Example", "Codings", "Participants"]);
    assert_eq!(cell_text(&row[1]), pacing.description.definition.trim());
    assert_eq!(cell_text(&row[2]), pacing.description.inclusion.trim());
    assert!(cell_text(&row[4]).contains(pacing.description.example.trim()));
    assert!(cell_text(&row[4]).contains("Starred: “"), "Pacing has a starred quote");
    assert_eq!(cell_text(&row[5]), counts[&pacing.id].codings.to_string());
    assert!(cell_text(&row[6]).starts_with(&format!("{} (BL ", counts[&pacing.id].participants)));

    let md_path = dir.path().join("codebook.md");
    ok(&["export", "codebook", s(demo()), "--format", "md", "--out", s(&md_path), "--no-quotes"]);
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.starts_with("# Codebook\n"));
    assert!(md.contains("Codebook version: v1 starter."));
    assert!(md.contains("## Managing pain\n"));
    assert!(md.contains(&format!("| – Pacing | {} |", pacing.description.definition.trim())), "{md}");
    assert!(!md.contains("Starred:"));
}

// ---------- bad input ----------

#[test]
fn bad_requests_get_clear_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.pdf");
    let e = codeloom(&["export", "quotes", s(demo()), "--out", s(&out)]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("add --format"));
    let out = dir.path().join("report.docx");
    let e = codeloom(&["export", "quotes", s(demo()), "--themes", "No such theme", "--out", s(&out)]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("No such theme"));
    let e =
        codeloom(&["export", "codebook", s(demo()), "--format", "md", "--out", s(&dir.path().join("missing/x.md"))]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("does not exist"));
    let e = codeloom(&["export", "matrix", s(demo()), "--kind", "code-wave", "--out", s(&out)]);
    assert!(e.status.success(), "a matrix may be written as DOCX too");
    let e =
        codeloom(&["export", "matrix", s(demo()), "--kind", "code-attribute", "--out", s(&dir.path().join("m.csv"))]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("--attribute"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the matrix was written");
}

// ---------- LibreOffice ----------

/// LibreOffice opens the DOCX and finds the quotes in its tables (a visible skip when it is
/// not installed, a failure under CI).
#[test]
fn libreoffice_reads_the_docx_tables() {
    let Some(soffice) = ["soffice", "libreoffice"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().map(|o| o.status.success()).unwrap_or(false))
    else {
        common::skip("libreoffice_reads_the_docx_tables", "LibreOffice (soffice or libreoffice) is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let docx = dir.path().join("quotes.docx");
    ok(&["export", "quotes", s(demo()), "--by-wave", "--template", "[{age}-year-old {gender}]", "--out", s(&docx)]);
    let profile = format!("-env:UserInstallation=file://{}", dir.path().join("lo-profile").display());
    let out = Command::new(soffice)
        .args([profile.as_str(), "--headless", "--convert-to", "txt:Text", "--outdir", s(dir.path()), s(&docx)])
        .output()
        .unwrap();
    let txt = dir.path().join("quotes.txt");
    assert!(txt.is_file(), "LibreOffice did not convert: {}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&txt).unwrap();
    let p = Project::open(demo()).unwrap();
    let report = quotes::quote_report(
        &p,
        &QuoteOptions {
            template: "[{age}-year-old {gender}]".into(),
            waves: WaveSplit::EachWave,
            ..QuoteOptions::default()
        },
    )
    .unwrap();
    for q in report.themes.iter().flat_map(|t| &t.rows).flat_map(|r| &r.cells).flatten() {
        assert!(text.contains(&q.text), "LibreOffice lost a quote: {}", q.text);
    }
    assert!(text.contains("Subtheme"));
    let _ = Format::Docx;
}
