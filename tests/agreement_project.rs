//! Agreement of a project: reliability data from codings (units, assignments as missing data),
//! hand-checked sub-cases, properties (swapping coders, document order, identical layers), the
//! "undefined" rule, the report writers, and adjudication end to end with undo.

use codeloom::Project;
use codeloom::agreement::BootstrapConfig;
use codeloom::agreement::project::{
    AnalysisOptions, DocumentFilter, GroupBy, ReliabilityInput, Selection, UnitKind, analyse,
};
use codeloom::agreement::report::{AgreementReport, StatKind};
use codeloom::agreement::{Band, Estimate, ReliabilityData, stats};
use codeloom::import::ParsedDocument;
use codeloom::store::adjudication::{CONSENSUS_CODER, Decision, ItemRef};
use codeloom::store::ops::{NewCode, NewCoding};
use codeloom::store::queries::CodingFilter;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo(dir: &Path) -> Project {
    let path = dir.join("demo.codeloom");
    codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(&root())).unwrap();
    Project::open(&path).unwrap()
}

fn selection(coders: &[&str], unit: UnitKind) -> Selection {
    Selection {
        coders: coders.iter().map(|c| c.to_string()).collect(),
        documents: DocumentFilter::default(),
        codes: None,
        unit,
    }
}

fn report(p: &Project, s: &Selection, bootstrap: Option<BootstrapConfig>) -> AgreementReport {
    let input = ReliabilityInput::load(p, s).unwrap();
    analyse(&input, &AnalysisOptions { bootstrap, group_by: None }).unwrap()
}

fn value(r: &codeloom::agreement::report::ResultRow, kind: StatKind) -> Estimate {
    r.get(kind).unwrap().value
}

fn close(a: Estimate, b: Estimate) -> bool {
    match (a, b) {
        (Estimate::Defined(x), Estimate::Defined(y)) => (x - y).abs() < 1e-12,
        (Estimate::Undefined(x), Estimate::Undefined(y)) => x == y,
        _ => false,
    }
}

/// A small project: four documents of 20 characters, one code "Pain", coders amara and ben.
fn small(dir: &Path) -> (Project, Vec<String>, String) {
    let mut p = Project::create(&dir.join("small.codeloom")).unwrap();
    let docs = (1..=4)
        .map(|i| ParsedDocument {
            source: format!("d{i}").into(),
            name: format!("d{i}"),
            original_name: format!("d{i}.txt"),
            format: "txt".into(),
            text: format!("Doc {i} knees hurt."),
            turns: codeloom::import::turns::detect_turns(&format!("Doc {i} knees hurt.")),
            participant: Some(format!("P0{i}")),
            wave: Some(if i <= 2 { "BL".into() } else { "3M".into() }),
            warnings: vec![],
        })
        .collect();
    p.import_documents(docs).unwrap();
    let ids: Vec<String> = {
        let mut all: Vec<(String, String)> =
            p.documents().unwrap().into_iter().map(|d| (d.document.name, d.document.id)).collect();
        all.sort();
        all.into_iter().map(|x| x.1).collect()
    };
    let code = p.create_code(NewCode { name: "Pain".into(), ..Default::default() }).unwrap();
    let c = |doc: &str, coder: &str, start, end| NewCoding {
        document_id: doc.to_string(),
        start,
        end,
        code_id: code.clone(),
        coder: Some(coder.into()),
        memo: None,
        illustrative: false,
    };
    // amara: d1, d2, d3; ben: d1, d2.
    p.apply_codings(
        vec![
            c(&ids[0], "amara", 6, 11),
            c(&ids[0], "ben", 6, 17),
            c(&ids[1], "amara", 0, 5),
            c(&ids[1], "ben", 0, 5),
            c(&ids[2], "amara", 6, 11),
        ],
        "small",
    )
    .unwrap();
    (p, ids, code)
}

#[test]
fn document_presence_matches_a_hand_count() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, ids, _) = small(dir.path());
    let r = report(&p, &selection(&["amara", "ben"], UnitKind::Document), None);
    let row = &r.codes[0];
    // Units (amara, ben): (1,1) ×2, (1,0), (0,0). n = 8 values: o11 = 4, o00 = 2, o01 = o10 = 1.
    assert_eq!(row.units, 4);
    assert!(close(value(row, StatKind::PercentAgreement), Estimate::Defined(0.75)));
    assert!(close(value(row, StatKind::KrippendorffAlpha), Estimate::Defined(16.0 / 30.0)));
    assert!(close(value(row, StatKind::CohenKappa), Estimate::Defined(0.5)));
    assert_eq!(row.prevalence, Some(5.0 / 8.0));

    // Ben was given only d1–d3: d4 is missing for him, not "absent".
    p.assign_coder("ben", &ids[..3]).unwrap();
    let r = report(&p, &selection(&["amara", "ben"], UnitKind::Document), None);
    let row = &r.codes[0];
    assert_eq!(row.units, 3);
    assert!(close(value(row, StatKind::PercentAgreement), Estimate::Defined(2.0 / 3.0)));
    assert!(r.settings.assignments_missing);
    p.undo().unwrap();
    assert_eq!(report(&p, &selection(&["amara", "ben"], UnitKind::Document), None).codes[0].units, 4);
}

#[test]
fn character_units_equal_one_row_per_character() {
    let dir = tempfile::tempdir().unwrap();
    let (p, ids, _) = small(dir.path());
    let r = report(&p, &selection(&["amara", "ben"], UnitKind::Char), None);
    // The same data written out character by character, unweighted.
    let input = ReliabilityInput::load(&p, &selection(&["amara", "ben"], UnitKind::Char)).unwrap();
    let mut rows = Vec::new();
    for d in &input.documents {
        for ch in 0..d.length {
            rows.push(
                (0..2)
                    .map(|i| {
                        Some(if d.spans[0][i].iter().any(|&(s, e)| s <= ch && ch < e) { "1" } else { "0" }.to_string())
                    })
                    .collect(),
            );
        }
    }
    assert_eq!(rows.len(), 4 * 17, "{ids:?}");
    let data =
        ReliabilityData::new(vec!["amara".into(), "ben".into()], rows, Some(vec!["0".into(), "1".into()])).unwrap();
    let full = stats::units_report(&data);
    let row = &r.codes[0];
    assert!(close(value(row, StatKind::KrippendorffAlpha), full.alpha_nominal.value()));
    assert!(close(value(row, StatKind::CohenKappa), full.cohen_kappa.unwrap().value));
    assert!(close(value(row, StatKind::GwetAc1), full.gwet_ac1.value));
    assert!(close(value(row, StatKind::BrennanPrediger), full.brennan_prediger.value));
    assert!(close(value(row, StatKind::PercentAgreement), full.percent_agreement.pairwise_mean));
    assert!(row.get(StatKind::BinaryUAlpha).unwrap().value.is_defined());
    let u = r.unitizing.as_ref().unwrap();
    assert_eq!(u.documents, 4);
    assert!(u.binary_u_alpha.value.is_defined());
}

#[test]
fn swapping_coders_and_document_order_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo(dir.path());
    let boot = Some(BootstrapConfig { resamples: 1000, seed: 11 });
    for unit in [UnitKind::Document, UnitKind::Turn] {
        let a = report(&p, &selection(&["amara", "ben"], unit), boot);
        let b = report(&p, &selection(&["ben", "amara"], unit), boot);
        for (x, y) in a.codes.iter().chain([&a.overall]).zip(b.codes.iter().chain([&b.overall])) {
            for (s, t) in x.statistics.iter().zip(&y.statistics) {
                assert!(close(s.value, t.value), "{unit:?} {} {:?}: {:?} vs {:?}", x.label, s.kind, s.value, t.value);
                match (s.ci95, t.ci95) {
                    (Some(c), Some(d)) => assert!((c.0 - d.0).abs() < 1e-9 && (c.1 - d.1).abs() < 1e-9),
                    (c, d) => assert_eq!(c, d),
                }
            }
        }
    }
    // Documents given in another order: the same report, CIs included.
    let s = selection(&["amara", "ben"], UnitKind::Char);
    let input = ReliabilityInput::load(&p, &s).unwrap();
    let mut reversed = input.clone();
    reversed.documents.reverse();
    let opts = AnalysisOptions { bootstrap: Some(BootstrapConfig { resamples: 1000, seed: 3 }), group_by: None };
    assert_eq!(analyse(&input, &opts).unwrap(), analyse(&reversed, &opts).unwrap());
}

#[test]
fn identical_layers_give_alpha_one_and_no_variation_is_undefined() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = demo(dir.path());
    // A second coder whose layer is a copy of amara's.
    let copies: Vec<NewCoding> = p
        .codings(&CodingFilter { coder: Some("amara".into()), ..Default::default() })
        .unwrap()
        .into_iter()
        .map(|c| NewCoding {
            document_id: c.document_id,
            start: c.start,
            end: c.end,
            code_id: c.code_id,
            coder: Some("twin".into()),
            memo: None,
            illustrative: false,
        })
        .collect();
    p.apply_codings(copies, "copy").unwrap();
    for unit in [UnitKind::Char, UnitKind::Sentence, UnitKind::Document] {
        let r = report(&p, &selection(&["amara", "twin"], unit), None);
        assert!(close(value(&r.overall, StatKind::KrippendorffAlpha), Estimate::Defined(1.0)), "{unit:?}");
        let mut undefined = 0;
        for row in &r.codes {
            let alpha = row.get(StatKind::KrippendorffAlpha).unwrap();
            if row.prevalence.is_some_and(|x| x > 0.0) {
                assert!(close(alpha.value, Estimate::Defined(1.0)), "{unit:?} {}", row.label);
            } else {
                // Nobody applied this code: no variation, so α is undefined (grey), never 1 or 0.
                assert!(!alpha.value.is_defined(), "{unit:?} {}", row.label);
                assert_eq!(alpha.band, Some(Band::Undefined));
                undefined += 1;
            }
        }
        assert!(undefined > 0, "the demo codebook has codes nobody used");
        let md = r.to_markdown(None);
        assert!(md.contains("undefined") && !md.contains("NaN"));
    }
}

#[test]
fn reports_by_wave_and_document_and_the_three_export_formats() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo(dir.path());
    let mut s = selection(&["amara", "ben"], UnitKind::Turn);
    s.documents.waves = vec!["BL".into(), "3M".into()];
    let input = ReliabilityInput::load(&p, &s).unwrap();
    assert!(input.documents.iter().all(|d| matches!(d.wave.as_deref(), Some("BL" | "3M"))));
    let opts = AnalysisOptions {
        bootstrap: Some(BootstrapConfig { resamples: 1000, seed: 7 }),
        group_by: Some(GroupBy::Wave),
    };
    let r = analyse(&input, &opts).unwrap();
    assert_eq!(r.groups.len(), 2);
    // Pooled, not averaged: the waves' units add up to the overall units.
    assert_eq!(r.groups.iter().map(|g| g.units).sum::<u64>(), r.overall.units);
    let alpha = r.overall.get(StatKind::KrippendorffAlpha).unwrap();
    let (lo, hi) = alpha.ci95.unwrap();
    assert!(lo <= alpha.value.value().unwrap() && alpha.value.value().unwrap() <= hi);
    let by_doc = analyse(&input, &AnalysisOptions { bootstrap: None, group_by: Some(GroupBy::Document) }).unwrap();
    assert_eq!(by_doc.groups.len(), input.documents.len());

    let csv = r.to_csv(Some("demo.codeloom")).unwrap();
    assert!(csv.contains("# coders: amara, ben") && csv.contains("# confidence intervals: unit bootstrap"));
    assert!(csv.contains("krippendorff_alpha_ci_low"));
    let md = r.to_markdown(Some("demo.codeloom"));
    assert!(md.contains("## Settings") && md.contains("speaker turn"));
    let xlsx = dir.path().join("report.xlsx");
    r.write(&xlsx, Some("demo.codeloom")).unwrap();
    let bytes = std::fs::read(&xlsx).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip");
    assert!(r.write(&dir.path().join("report.pdf"), None).is_err());
}

#[test]
fn adjudication_end_to_end_with_undo() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = demo(dir.path());
    let raw = |p: &Project| {
        ["amara", "ben"].map(|c| p.codings(&CodingFilter { coder: Some(c.into()), ..Default::default() }).unwrap())
    };
    let before = raw(&p);
    let s = selection(&["amara", "ben"], UnitKind::Char);
    let queue = p.adjudication_queue(&s).unwrap();
    assert!(queue.total() > 10, "the demo coders disagree in places");
    assert_eq!((queue.decided, queue.next_undecided()), (0, Some(0)));
    let first = &queue.items[0].disagreement;
    let second = &queue.items[1].disagreement;
    p.decide(&s, &ItemRef::from(first), Decision::Accept { coder: "amara".into() }, "amara's is the whole thought")
        .unwrap();
    p.decide(&s, &ItemRef::from(second), Decision::Union, "").unwrap();
    let consensus =
        |p: &Project| p.codings(&CodingFilter { coder: Some(CONSENSUS_CODER.into()), ..Default::default() }).unwrap();
    let amara_spans = first.spans[0].clone().unwrap();
    let written = consensus(&p);
    assert!(
        written.iter().any(|c| c.document_id == first.document_id && (c.start as u64, c.end as u64) == amara_spans[0]),
        "accepting amara copies her coding into the consensus layer"
    );
    let resumed = p.adjudication_queue(&s).unwrap();
    assert_eq!((resumed.decided, resumed.next_undecided()), (2, Some(2)));
    assert_eq!(resumed.items[0].decision.as_ref().unwrap().rationale, "amara's is the whole thought");
    // The raw layers stay untouched, and agreement is still computed on them.
    assert_eq!(raw(&p), before);

    p.undo().unwrap();
    assert_eq!(p.adjudication_queue(&s).unwrap().decided, 1);
    p.undo().unwrap();
    assert_eq!(p.adjudication_queue(&s).unwrap().decided, 0);
    assert!(consensus(&p).is_empty());
    p.redo().unwrap();
    assert_eq!(p.adjudication_queue(&s).unwrap().decided, 1);

    // A redraw outside the document and the consensus layer as a compared coder are refused.
    let third = ItemRef::from(&queue.items[2].disagreement);
    assert!(p.decide(&s, &third, Decision::Redraw { spans: vec![(0, 10_000_000)] }, "").is_err());
    assert!(p.adjudication_queue(&selection(&["amara", CONSENSUS_CODER], UnitKind::Char)).is_err());
    let adopted = p.adopt_agreements(&s).unwrap();
    assert!(adopted > 0, "the demo coders also agree in places");
}

#[test]
fn agreement_assign_and_adjudicate_from_the_command_line() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    drop(demo(dir.path()));
    let project = dir.path().join("demo.codeloom");
    let project = project.to_str().unwrap();
    let run = |args: &[&str]| {
        let out =
            Command::new(env!("CARGO_BIN_EXE_codeloom")).args(args).env("CODELOOM_CODER", "tester").output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run(&[
        "agreement",
        project,
        "--coders",
        "amara,ben",
        "--unit",
        "doc",
        "--resamples",
        "0",
        "--json",
    ]))
    .unwrap();
    assert_eq!(json["settings"]["unit"], "document");
    assert_eq!(json["overall"]["units"], 17 * 40, "every (document, code) pair of the demo is a unit");

    // The same command on the small project with a second code, against hand values.
    let small_dir = tempfile::tempdir().unwrap();
    let (mut sp, ids, _) = small(small_dir.path());
    let sleep = sp.create_code(NewCode { name: "Sleep".into(), ..Default::default() }).unwrap();
    let on_d4 = NewCoding {
        document_id: ids[3].clone(),
        start: 0,
        end: 3,
        code_id: sleep,
        coder: Some("amara".into()),
        memo: None,
        illustrative: false,
    };
    sp.apply_coding(on_d4).unwrap();
    drop(sp);
    let small_path = small_dir.path().join("small.codeloom");
    let small_json: serde_json::Value = serde_json::from_str(&run(&[
        "agreement",
        small_path.to_str().unwrap(),
        "--coders",
        "amara,ben",
        "--unit",
        "doc",
        "--resamples",
        "0",
        "--json",
    ]))
    .unwrap();
    // Units (amara, ben): Pain (1,1) d1, (1,1) d2, (1,0) d3, (0,0) d4; Sleep (0,0) d1–d3,
    // (1,0) d4. Pooled coincidences: o11 = 4, o10 = o01 = 2, o00 = 8; n = 16, n1 = 6, n0 = 10;
    // α = [(n − 1)Σo_cc − Σn_c(n_c − 1)] / [n(n − 1) − Σn_c(n_c − 1)] = [15·12 − 120]/[240 − 120] = 1/2.
    // Pain alone: 16/30 (see document_presence_matches_a_hand_count). Sleep alone: o00 = 6,
    // o01 = o10 = 1, n = 8: [7·6 − (0 + 42)]/[56 − 42] = 0. Agreement: 6 of 8 units.
    let stat = |row: &serde_json::Value, name: &str| row[name]["value"].as_f64().unwrap_or(f64::NAN);
    let overall = &small_json["overall"];
    assert_eq!(overall["units"], 8);
    assert!((stat(overall, "krippendorff_alpha") - 0.5).abs() < 1e-9, "{overall:#}");
    assert!((stat(overall, "percent_agreement") - 0.75).abs() < 1e-9, "{overall:#}");
    let code =
        |label: &str| small_json["codes"].as_array().unwrap().iter().find(|c| c["label"] == label).unwrap().clone();
    assert!((stat(&code("Pain"), "krippendorff_alpha") - 16.0 / 30.0).abs() < 1e-9);
    assert!(stat(&code("Sleep"), "krippendorff_alpha").abs() < 1e-9);
    let out = dir.path().join("agreement.md");
    run(&[
        "agreement",
        project,
        "--coders",
        "amara,ben",
        "--unit",
        "turn",
        "--resamples",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(std::fs::read_to_string(&out).unwrap().contains("Krippendorff"));
    run(&["assign", project, "--coder", "ben", "--wave", "BL"]);
    assert!(run(&["assign", project, "--list"]).contains("ben"));
    let list = run(&["adjudicate", project, "--coders", "amara,ben", "--unit", "doc", "list"]);
    assert!(list.contains("0 of "), "{list}");
    let decided = run(&["adjudicate", project, "--coders", "amara,ben", "--unit", "doc", "decide", "--accept", "ben"]);
    assert!(decided.contains("1 of "), "{decided}");
    run(&["undo", project]);
    assert!(run(&["adjudicate", project, "--coders", "amara,ben", "--unit", "doc", "list"]).contains("0 of "));
}

/// A schema 1 file gains the assignment and adjudication tables; a schema 2 file (with an
/// assignment and a decision) keeps opening, with its queue state.
#[test]
fn schema_1_and_2_projects_open_with_assignments_and_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = dir.path().join("v1.codeloom");
    std::fs::copy(root().join("tests/compat/v1.codeloom"), &v1).unwrap();
    let p = Project::open(&v1).unwrap();
    assert_eq!(p.schema_version().unwrap(), codeloom::store::schema::SCHEMA_VERSION);
    assert!(p.assignments().unwrap().is_empty());

    let v2 = dir.path().join("v2.codeloom");
    std::fs::copy(root().join("tests/compat/v2.codeloom"), &v2).unwrap();
    let mut p = Project::open(&v2).unwrap();
    assert_eq!(p.assignments().unwrap().len(), 1);
    let s = selection(&["amara", "ben"], UnitKind::Char);
    let queue = p.adjudication_queue(&s).unwrap();
    assert_eq!((queue.total(), queue.decided), (1, 1));
    let decision = queue.items[0].decision.as_ref().unwrap();
    assert_eq!((decision.decision.as_str(), decision.rationale.as_str()), ("union", "both right"));
    assert_eq!(decision.consensus, [(40, 70)]);
    p.undo().unwrap();
    assert_eq!(p.adjudication_queue(&s).unwrap().decided, 0);
}
