//! Suggested codings: the engine on the demo and on constructed studies, accept and
//! reject with undo and provenance, the evaluation's statistics against hand values,
//! and the `codeloom suggest` / `codeloom similar` commands.

use codeloom::Project;
use codeloom::model::ParsedDocument;
use codeloom::store::ops::{NewCode, NewCoding};
use codeloom::suggest::{self, Confusion, EvalOptions, Figures, InboxOptions, SuggestOptions, TrainOptions, UnitKind};
use std::path::Path;

mod common;
use common::{codeloom, json, ok, root};

/// A tiny deterministic generator for the constructed study.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

const WORDS: &[&str] = &[
    "the", "knee", "walk", "morning", "doctor", "family", "garden", "bus", "stairs", "tired", "work", "money", "group",
    "friend", "sleep", "night", "tablets", "kitchen", "daughter", "weather", "slow", "careful", "plan", "week", "shop",
    "church", "music", "dog", "phone", "letter", "queue", "nurse", "road", "rain", "tea", "bread", "chair", "window",
    "mother", "brother", "school", "car", "hospital", "back", "hip", "shoulder", "exercise", "class", "ticket",
    "worry",
];

/// The planted phrase: words no other passage has.
const PLANTED: &str = "zorblat quintessa";

/// A constructed study: `docs` interviews of 40 sentences, each participant sentence
/// holding the planted phrase one time in six; the sentences with it are coded
/// "Planted" by amara, other sentences "Noise" at random, three sentences "Rare".
/// Documents from `uncoded` on are left uncoded. Returns the project and the planted
/// passages of the uncoded documents (document ID, start, end).
fn planted_study(path: &Path, docs: usize, uncoded: usize) -> (Project, Vec<(String, usize, usize)>) {
    let mut rng = Lcg(7);
    let mut p = Project::create(path).unwrap();
    p.set_coder("amara").unwrap();
    let mut parsed = Vec::new();
    let mut spans: Vec<Vec<(usize, usize, bool)>> = Vec::new();
    for d in 0..docs {
        let mut text = String::new();
        let mut mine = Vec::new();
        for t in 0..20 {
            let speaker = if t % 2 == 0 { "INTERVIEWER: " } else { "P01: " };
            text.push_str(speaker);
            for s in 0..2 {
                let mut words: Vec<&str> = (0..8 + rng.below(6)).map(|_| WORDS[rng.below(WORDS.len())]).collect();
                let planted = t % 2 == 1 && rng.below(6) == 0;
                if planted {
                    let at = rng.below(words.len());
                    words.insert(at, PLANTED);
                }
                let sentence = format!("{}.", capitalise(&words.join(" ")));
                let start = text.chars().count();
                text.push_str(&sentence);
                mine.push((start, start + sentence.chars().count(), planted));
                if s == 0 {
                    text.push(' ');
                }
            }
            text.push_str("\n\n");
        }
        parsed.push(ParsedDocument {
            source: format!("D{d:02}.txt").into(),
            name: format!("D{d:02}"),
            original_name: format!("D{d:02}.txt"),
            format: "txt".into(),
            turns: codeloom::import::turns::detect_turns(&text),
            text,
            participant: Some(format!("P{:02}", d % 4)),
            wave: Some(if d % 2 == 0 { "BL" } else { "3M" }.into()),
            warnings: vec![],
        });
        spans.push(mine);
    }
    p.import_documents(parsed).unwrap();
    let planted = p.create_code(NewCode { name: "Planted".into(), ..Default::default() }).unwrap();
    let noise = p.create_code(NewCode { name: "Noise".into(), ..Default::default() }).unwrap();
    let rare = p.create_code(NewCode { name: "Rare".into(), ..Default::default() }).unwrap();
    let ids: Vec<String> = (0..docs).map(|d| p.resolve_document(&format!("D{d:02}")).unwrap()).collect();
    let mut codings = Vec::new();
    let mut held_out = Vec::new();
    let coding = |doc: &str, (start, end): (usize, usize), code: &str| NewCoding {
        document_id: doc.to_string(),
        start,
        end,
        code_id: code.to_string(),
        coder: Some("amara".into()),
        memo: None,
        illustrative: false,
    };
    for (d, mine) in spans.iter().enumerate() {
        for (i, &(start, end, is_planted)) in mine.iter().enumerate() {
            if d >= uncoded {
                if is_planted {
                    held_out.push((ids[d].clone(), start, end));
                }
                continue;
            }
            if is_planted {
                codings.push(coding(&ids[d], (start, end), &planted));
            } else if rng.below(7) == 0 {
                codings.push(coding(&ids[d], (start, end), &noise));
            }
            if d == 0 && i < 3 {
                codings.push(coding(&ids[d], (start, end), &rare));
            }
        }
    }
    p.apply_codings(codings, "constructed codings").unwrap();
    (p, held_out)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn demo(dir: &Path) -> Project {
    let path = dir.join("demo.codeloom");
    codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(&root())).unwrap();
    Project::open(&path).unwrap()
}

fn code(p: &Project, name: &str) -> String {
    p.resolve_code(name).unwrap()
}

#[test]
fn statistics_match_hand_computations() {
    // 3 suggested and coded, 1 suggested only, 2 coded only, 4 neither.
    let f = Figures::from(Confusion { true_positives: 3, false_positives: 1, false_negatives: 2, true_negatives: 4 });
    assert!((f.precision.value.unwrap() - 0.75).abs() < 1e-9);
    assert!((f.recall.value.unwrap() - 0.6).abs() < 1e-9);
    assert!((f.f1.value.unwrap() - 2.0 / 3.0).abs() < 1e-9);
    // α over 10 passages, two coders, binary: n = 20 values, 3 disagreeing passages,
    // n_present = 2·3 + 3 = 9, n_absent = 2·4 + 3 = 11; α = 1 − (n − 1)·3 / (9 · 11) = 42/99.
    assert!((f.alpha.value.unwrap() - 42.0 / 99.0).abs() < 1e-9, "{:?}", f.alpha);
    // Perfect agreement.
    let f = Figures::from(Confusion { true_positives: 2, false_positives: 0, false_negatives: 0, true_negatives: 5 });
    assert_eq!((f.precision.value, f.recall.value, f.f1.value), (Some(1.0), Some(1.0), Some(1.0)));
    assert!((f.alpha.value.unwrap() - 1.0).abs() < 1e-9);
    // Nothing suggested, nothing coded: precision, recall, F1 and α undefined, with reasons.
    let f = Figures::from(Confusion { true_positives: 0, false_positives: 0, false_negatives: 0, true_negatives: 6 });
    for s in [&f.precision, &f.recall, &f.f1, &f.alpha] {
        assert!(s.value.is_none() && s.undefined.as_ref().is_some_and(|w| !w.is_empty()), "{s:?}");
    }
    // A different hand case: tp 1, fp 2, fn 1, tn 1 (n = 10, 3 disagreements, n1 = 5, n0 = 5):
    // α = 1 − 9·3/25 = −0.08.
    let f = Figures::from(Confusion { true_positives: 1, false_positives: 2, false_negatives: 1, true_negatives: 1 });
    assert!((f.alpha.value.unwrap() + 0.08).abs() < 1e-9);
    assert!((f.precision.value.unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert!((f.recall.value.unwrap() - 0.5).abs() < 1e-9);
    assert!((f.f1.value.unwrap() - 0.4).abs() < 1e-9);
}

#[test]
fn a_planted_code_is_found_with_precision_and_recall_one() {
    let dir = tempfile::tempdir().unwrap();
    let (p, held_out) = planted_study(&dir.path().join("p.codeloom"), 14, 10);
    let e = suggest::evaluate(&p, &EvalOptions { folds: 5, ..Default::default() }).unwrap();
    assert_eq!(e.documents, 10);
    let planted = e.codes.iter().find(|c| c.code_name == "Planted").unwrap();
    assert!(planted.figures.confusion.true_positives >= 10, "{planted:?}");
    assert_eq!(planted.figures.precision.value, Some(1.0), "{planted:?}");
    assert_eq!(planted.figures.recall.value, Some(1.0), "{planted:?}");
    assert!((planted.figures.alpha.value.unwrap() - 1.0).abs() < 1e-9);
    assert!(e.flagged.iter().any(|f| f.1 == "Rare" && f.2 == 3), "{:?}", e.flagged);
    // The pooled counts are the sums of the codes' counts.
    let sum: u64 = e.codes.iter().map(|c| c.figures.confusion.true_positives).sum();
    assert_eq!(e.pooled.confusion.true_positives, sum);

    // Trained on everything, the suggester finds exactly the planted passages of the
    // uncoded documents, with the planted words among its reasons.
    let s = suggest::train(&p, &TrainOptions::default()).unwrap();
    let planted_id = code(&p, "Planted");
    let found =
        s.inbox(&p, &InboxOptions { codes: vec![planted_id.clone()], per_code: 1000, ..Default::default() }).unwrap();
    let got: Vec<(String, usize, usize)> = found.iter().map(|s| (s.document_id.clone(), s.start, s.end)).collect();
    let mut expected = held_out.clone();
    let mut sorted = got.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected);
    let first = &found[0];
    assert!(first.words.iter().any(|w| w.word.contains("zorblat") || w.word.contains("quintessa")), "{first:?}");
    assert_eq!(first.similar.len(), 3, "{first:?}");
    assert!(first.similar.iter().all(|near| near.text.to_lowercase().contains(PLANTED)), "{first:?}");
    assert!(first.model_version.starts_with("linear-1 @ log "));
    assert!(first.id.starts_with('s') && first.id.len() == 11);
    let one_doc = s
        .suggest_document(&p, &held_out[0].0, &SuggestOptions { codes: vec![planted_id], ..Default::default() })
        .unwrap();
    assert!(one_doc.iter().all(|x| x.document_id == held_out[0].0));
    assert_eq!(one_doc.len(), held_out.iter().filter(|h| h.0 == held_out[0].0).count());
}

#[test]
fn codes_with_too_few_codings_are_flagged_and_not_suggested() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = planted_study(&dir.path().join("p.codeloom"), 8, 6);
    let s = suggest::train(&p, &TrainOptions::default()).unwrap();
    let rare = code(&p, "Rare");
    assert_eq!(s.flagged(), vec![(rare.clone(), 3)]);
    assert!(!s.trained_codes().contains(&rare));
    let all = s.inbox(&p, &InboxOptions { min_score: 0.0, per_code: 100_000, ..Default::default() }).unwrap();
    assert!(all.iter().all(|x| x.code_id != rare));
    let err = s.inbox(&p, &InboxOptions { codes: vec![rare], ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("too few"), "{err}");
    // With a lower bar, the code is learned.
    let s = suggest::train(&p, &TrainOptions { min_examples: 3, ..Default::default() }).unwrap();
    assert!(s.flagged().is_empty());
}

#[test]
fn on_the_demo_evaluation_runs_and_suggestions_never_overlap_a_coding_of_their_code() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo(dir.path());
    let e = suggest::evaluate(&p, &EvalOptions::default()).unwrap();
    let counts = p.code_counts().unwrap();
    assert_eq!(e.documents, 17);
    for c in &e.codes {
        assert!(c.examples >= 8 && c.examples == counts[&c.code_id].codings, "{c:?}");
        let f = &c.figures;
        assert_eq!(*f, Figures::from(f.confusion), "each code's figures follow from its counts");
        let units = f.confusion.true_positives
            + f.confusion.false_positives
            + f.confusion.false_negatives
            + f.confusion.true_negatives;
        assert_eq!(
            units,
            e.codes[0].figures.confusion.true_positives
                + e.codes[0].figures.confusion.false_positives
                + e.codes[0].figures.confusion.false_negatives
                + e.codes[0].figures.confusion.true_negatives,
            "every code is tested on every passage of the coded documents"
        );
    }
    assert!(e.codes.len() >= 20, "{}", e.codes.len());
    assert!(e.flagged.iter().all(|f| f.2 < 8));
    assert!(e.pooled.precision.value.is_some() && e.pooled.alpha.value.is_some(), "{:?}", e.pooled);
    let same = suggest::evaluate(&p, &EvalOptions::default()).unwrap();
    assert_eq!(same, e, "the evaluation is deterministic");

    let s = suggest::train(&p, &TrainOptions::default()).unwrap();
    let codings = p.codings(&Default::default()).unwrap();
    let everything = SuggestOptions { min_score: 0.0, ..Default::default() };
    let mut seen = 0;
    for d in p.documents().unwrap() {
        for x in s.suggest_document(&p, &d.document.id, &everything).unwrap() {
            seen += 1;
            assert!(
                !codings.iter().any(|c| c.document_id == x.document_id
                    && c.code_id == x.code_id
                    && c.start < x.end
                    && x.start < c.end),
                "{x:?} overlaps a coding of its code"
            );
        }
    }
    assert!(seen > 1000, "{seen}");
    // The inbox keeps each code's best: the same as cutting the whole list.
    let whole = s.inbox(&p, &InboxOptions { per_code: usize::MAX, min_score: 0.3, ..Default::default() }).unwrap();
    let three = s.inbox(&p, &InboxOptions { per_code: 3, min_score: 0.3, ..Default::default() }).unwrap();
    let mut cut = Vec::new();
    for code in s.trained_codes() {
        cut.extend(whole.iter().filter(|x| x.code_id == code).take(3).cloned());
    }
    assert_eq!(three, cut);
    assert!(whole.windows(2).all(|w| w[0].code_id != w[1].code_id || w[0].score >= w[1].score));
    fn send<T: Send + 'static>(_: &T) {}
    send(&s);
    let inbox = s.inbox(&p, &InboxOptions::default()).unwrap();
    let again = suggest::train(&p, &TrainOptions::default()).unwrap().inbox(&p, &InboxOptions::default()).unwrap();
    assert_eq!(inbox, again, "training is deterministic");
    let turns = suggest::train(&p, &TrainOptions { unit: UnitKind::Turn, ..Default::default() }).unwrap();
    assert_eq!(turns.unit(), UnitKind::Turn);
}

#[test]
fn accepting_rejecting_and_undoing_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, held_out) = planted_study(&dir.path().join("p.codeloom"), 12, 9);
    let planted = code(&p, "Planted");
    let only = |per_code| InboxOptions { codes: vec![planted.clone()], per_code, ..Default::default() };
    let s = suggest::train(&p, &TrainOptions::default()).unwrap();
    let list = s.inbox(&p, &only(100)).unwrap();
    assert_eq!(list.len(), held_out.len());
    let (first, second) = (&list[0], &list[1]);

    p.set_coder("chen").unwrap();
    let coding = p.accept_suggestion(&first.to_suggested_coding()).unwrap();
    let c = p.coding(&coding).unwrap();
    assert_eq!(
        (c.document_id.as_str(), c.start, c.end, c.coder.as_str()),
        (first.document_id.as_str(), first.start, first.end, "chen")
    );
    let prov = p.coding_provenance(&coding).unwrap().unwrap();
    assert_eq!(
        (prov.model_version.as_str(), prov.score, prov.accepted_by.as_str()),
        (s.model_version(), first.score, "chen")
    );
    // The accepted passage is coded now, so it is no longer suggested.
    let s2 = suggest::train(&p, &TrainOptions::default()).unwrap();
    let after: Vec<String> = s2.inbox(&p, &only(100)).unwrap().into_iter().map(|x| x.id).collect();
    assert!(!after.contains(&first.id) && after.contains(&second.id));
    assert!(s2.find(&p, &first.id).is_err());

    p.reject_suggestion(&second.to_suggested_coding()).unwrap();
    let s3 = suggest::train(&p, &TrainOptions::default()).unwrap();
    let after: Vec<String> = s3.inbox(&p, &only(100)).unwrap().into_iter().map(|x| x.id).collect();
    assert!(!after.contains(&second.id), "a rejected suggestion is never suggested again");
    let err = s3.find(&p, &second.id).unwrap_err().to_string();
    assert!(err.contains(&second.id), "{err}");
    assert_ne!(s3.model_version(), s.model_version());

    // Undo brings both back; the provenance goes with the coding.
    p.undo().unwrap();
    p.undo().unwrap();
    assert!(p.coding(&coding).is_err());
    assert!(p.coding_provenance(&coding).unwrap().is_none());
    assert!(p.suggestion_rejections().unwrap().is_empty());
    let s4 = suggest::train(&p, &TrainOptions::default()).unwrap();
    let key = |l: &[suggest::Suggestion]| l.iter().map(|x| (x.id.clone(), x.score)).collect::<Vec<_>>();
    assert_eq!(key(&s4.inbox(&p, &only(100)).unwrap()), key(&list), "undone, the same suggestions come back");
    p.redo().unwrap();
    assert_eq!(p.coding_provenance(&coding).unwrap().unwrap().accepted_by, "chen");
}

#[test]
fn similar_passages_share_the_selection_s_words() {
    let dir = tempfile::tempdir().unwrap();
    let (p, held_out) = planted_study(&dir.path().join("p.codeloom"), 8, 6);
    // Select the planted phrase inside one held-out passage: every passage found has it.
    let (doc, from, _) = &held_out[0];
    let text = p.document_text(doc).unwrap();
    let chars: Vec<char> = text.chars().collect();
    let lower: String = chars.iter().collect::<String>().to_lowercase();
    let byte = lower[lower.char_indices().nth(*from).unwrap().0..].find(PLANTED).unwrap();
    let start = lower[..lower.char_indices().nth(*from).unwrap().0 + byte].chars().count();
    let end = start + PLANTED.chars().count();
    let found = suggest::similar(&p, doc, start, end, 5).unwrap();
    assert_eq!(found.len(), 5);
    assert!(found.iter().all(|f| f.text.to_lowercase().contains(PLANTED)), "{found:?}");
    assert!(found.iter().all(|f| !(f.document_id == *doc && f.start < end && start < f.end)));
    assert!(found.windows(2).all(|w| w[0].score >= w[1].score));
    let s = suggest::train(&p, &TrainOptions::default()).unwrap();
    let again = s.similar(&p, doc, start, end, 5).unwrap();
    assert!(again.len() == 5 && again.iter().all(|f| f.text.to_lowercase().contains(PLANTED)));
    assert!(suggest::similar(&p, doc, 5, 2, 5).is_err());
}

#[test]
fn the_suggest_and_similar_commands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.codeloom");
    let (p, held_out) = planted_study(&path, 10, 7);
    drop(p);
    let project = path.to_str().unwrap();
    let listed = json(&["suggest", project, "--codes", "Planted", "--json"]);
    let list = listed["suggestions"].as_array().unwrap();
    assert_eq!(list.len(), held_out.len());
    assert_eq!(list[0]["code"], "Planted");
    assert!(listed["model_version"].as_str().unwrap().starts_with("linear-1 @ log"));
    assert_eq!(listed["flagged"][0]["code"], "Rare");
    let text = ok(&["suggest", project, "--codes", "Planted", "--wave", "3M"]);
    assert!(text.contains("Planted"), "{text}");
    let id0 = list[0]["id"].as_str().unwrap().to_string();
    let id1 = list[1]["id"].as_str().unwrap().to_string();

    // An unknown ID is refused by name and changes nothing.
    let log = json(&["log", project, "--json"]);
    let out = codeloom(&["suggest", project, "accept", &id0, "s0000000000"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("s0000000000"), "{err}");
    assert_eq!(json(&["log", project, "--json"]), log);

    let accepted = json(&["suggest", project, "accept", &id0, "--as", "dana", "--json"]);
    assert_eq!(accepted["coder"], "dana");
    let coding = accepted["accepted"][0]["coding_id"].as_str().unwrap().to_string();
    let codings = json(&["codings", project, "--code", "Planted", "--coder", "dana", "--json"]);
    assert_eq!(codings.as_array().unwrap().len(), 1);
    assert_eq!(codings[0]["id"], coding.as_str());
    let rejected = json(&["suggest", project, "reject", &id1, "--json"]);
    assert_eq!(rejected["rejected"][0]["id"], id1.as_str());
    let again = json(&["suggest", project, "--codes", "Planted", "--json"]);
    let ids: Vec<&str> = again["suggestions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&id0.as_str()) && !ids.contains(&id1.as_str()));
    assert_eq!(ids.len(), held_out.len() - 2);
    let out = codeloom(&["suggest", project, "reject", &id1]);
    assert!(!out.status.success(), "a rejected suggestion cannot be rejected again");
    ok(&["undo", project]);
    let back = json(&["suggest", project, "--codes", "Planted", "--json"]);
    assert_eq!(back["suggestions"].as_array().unwrap().len(), held_out.len() - 1);

    let e = json(&["suggest", project, "--evaluate", "--folds", "3", "--json"]);
    assert_eq!(e["folds"], 3);
    let planted = e["codes"].as_array().unwrap().iter().find(|c| c["code_name"] == "Planted").unwrap();
    assert_eq!(planted["recall"]["value"], 1.0);
    assert!(planted["examples"].as_u64().unwrap() >= 8);
    let table = ok(&["suggest", project, "--evaluate", "--folds", "3"]);
    assert!(table.contains("pooled") && table.contains("Planted"), "{table}");

    let (doc, start, end) = &held_out[2];
    let similar =
        json(&["similar", project, "--doc", doc, "--start", &start.to_string(), "--end", &end.to_string(), "--json"]);
    let similar = similar.as_array().unwrap();
    assert!(!similar.is_empty() && similar[0]["text"].as_str().unwrap().to_lowercase().contains(PLANTED));
    let out = codeloom(&["suggest", project, "--unit", "word"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("sentence or turn"));
}

/// A schema 5 file (before suggestions) is read as it is when opened read-only, with no
/// rejections or provenance, and gains both tables when opened for writing.
#[test]
fn a_schema_5_project_is_suggested_read_only_and_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let v5 = dir.path().join("v5.codeloom");
    std::fs::copy(root().join("tests/compat/v5.codeloom"), &v5).unwrap();
    let before = std::fs::read(&v5).unwrap();
    {
        let p = Project::open_read_only(&v5).unwrap();
        assert_eq!(p.opened_schema(), 5);
        assert!(p.suggestion_rejections().unwrap().is_empty());
        let coding = p.codings(&Default::default()).unwrap().remove(0);
        assert!(p.coding_provenance(&coding.id).unwrap().is_none());
        let s = suggest::train(&p, &TrainOptions { min_examples: 1, ..Default::default() }).unwrap();
        assert_eq!(s.trained_codes().len(), 1);
    }
    assert_eq!(std::fs::read(&v5).unwrap(), before, "a read-only suggestion run leaves the file as it is");
    let mut p = Project::open(&v5).unwrap();
    assert_eq!(p.schema_version().unwrap(), codeloom::store::schema::SCHEMA_VERSION);
    let s = suggest::train(&p, &TrainOptions { min_examples: 1, ..Default::default() }).unwrap();
    let first = s.inbox(&p, &InboxOptions { min_score: 0.0, ..Default::default() }).unwrap().remove(0);
    let id = p.accept_suggestion(&first.to_suggested_coding()).unwrap();
    assert!(p.coding_provenance(&id).unwrap().is_some());
}

/// The suggestion scenario of `codeloom bench` at full size (104 transcripts of 9,600
/// words, 100,000 codings), without the rest of the bench: `cargo test --release --test
/// suggest -- --ignored --nocapture`. Prints the measurements; asserts nothing on time.
#[test]
#[ignore]
fn bench_scenario_at_full_size() {
    let dir = tempfile::tempdir().unwrap();
    let size = codeloom::bench::BenchSize::FULL;
    let files = dir.path().join("files");
    codeloom::bench::corpus::write_corpus(&files, size.study_transcripts, size.words_per_transcript, 20261123).unwrap();
    let study = dir.path().join("study.codeloom");
    let mut p = Project::create(&study).unwrap();
    codeloom::import::import_paths(&mut p, &[files], None, &mut |_| {}).unwrap();
    drop(p);
    codeloom::bench::add_codings(&study, size.codings, 20261123).unwrap();
    let measured = codeloom::bench::suggest::measure(&study, &mut |m| eprintln!("measuring {m} ...")).unwrap();
    println!("{}", serde_json::to_string_pretty(&measured).unwrap());
}

/// The planted sentence of [`fixed_study`]: 33 characters, words no other passage has.
const PLANTED_SENTENCE: &str = "The zorblat quintessa hums today.";
/// The sentence coded "Solo", 8 times in the first document only: 33 characters.
const SOLO_SENTENCE: &str = "The vexillo marmoset sang loudly.";

/// A study whose numbers can be counted by hand: 12 interviews (D10 to D21) of 185
/// characters, each with the planted sentence once, coded "Planted" by amara; the first
/// also has a turn of the Solo sentence 8 times (278 characters more: 463), each coded
/// "Solo" by amara. Returns the project and the planted and Solo codes' IDs.
fn fixed_study(path: &Path) -> (Project, String, String) {
    let mut p = Project::create(path).unwrap();
    p.set_coder("amara").unwrap();
    let text = |i: usize| {
        let mut t = format!(
            "INTERVIEWER: Interview {i} began.\n\nP01: We walked to the shop. {PLANTED_SENTENCE}\n\n\
             INTERVIEWER: Tell me about your knee.\n\nP01: My knee was sore all week. It rained a lot.\n"
        );
        if i == 10 {
            t.push_str(&format!("\nP01: {}\n", [SOLO_SENTENCE; 8].join(" ")));
        }
        t
    };
    let parsed = (10..22)
        .map(|i| {
            let text = text(i);
            ParsedDocument {
                source: format!("D{i}.txt").into(),
                name: format!("D{i}"),
                original_name: format!("D{i}.txt"),
                format: "txt".into(),
                turns: codeloom::import::turns::detect_turns(&text),
                text,
                participant: Some(format!("P{i}")),
                wave: Some("BL".into()),
                warnings: vec![],
            }
        })
        .collect();
    p.import_documents(parsed).unwrap();
    let planted = p.create_code(NewCode { name: "Planted".into(), ..Default::default() }).unwrap();
    let solo = p.create_code(NewCode { name: "Solo".into(), ..Default::default() }).unwrap();
    let mut codings = Vec::new();
    let coding = |doc: String, start: usize, end: usize, code: &str| NewCoding {
        document_id: doc,
        start,
        end,
        code_id: code.to_string(),
        coder: Some("amara".into()),
        memo: None,
        illustrative: false,
    };
    for i in 10..22 {
        let t = text(i);
        let doc = p.resolve_document(&format!("D{i}")).unwrap();
        // The texts are ASCII: byte offsets are char offsets.
        let at = t.find(PLANTED_SENTENCE).unwrap();
        codings.push(coding(doc.clone(), at, at + PLANTED_SENTENCE.len(), &planted));
        for (at, _) in t.match_indices(SOLO_SENTENCE) {
            codings.push(coding(doc.clone(), at, at + SOLO_SENTENCE.len(), &solo));
        }
    }
    p.apply_codings(codings, "hand codings").unwrap();
    (p, planted, solo)
}

fn selection(codes: Vec<String>) -> codeloom::agreement::project::Selection {
    codeloom::agreement::project::Selection {
        coders: vec!["amara".into()],
        documents: Default::default(),
        codes: Some(codes),
        unit: codeloom::agreement::project::UnitKind::Char,
    }
}

fn estimate(row: &codeloom::agreement::report::ResultRow, kind: codeloom::agreement::report::StatKind) -> f64 {
    row.get(kind).and_then(|s| s.value.value()).unwrap_or_else(|| panic!("{kind:?} of {row:?}"))
}

#[test]
fn the_suggester_agrees_with_the_team_on_a_planted_code_and_nothing_is_stored() {
    use codeloom::agreement::project::AnalysisOptions;
    use codeloom::agreement::report::StatKind;
    let dir = tempfile::tempdir().unwrap();
    let (p, planted, _) = fixed_study(&dir.path().join("p.codeloom"));
    let before = p.codings(&Default::default()).unwrap();
    let log = p.log_position().unwrap();
    let options = AnalysisOptions { bootstrap: None, group_by: None };
    let report = suggest::agreement_with_suggester(
        &p,
        &selection(vec![planted]),
        &options,
        &suggest::CoderOptions::default(),
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(report.settings.coders, ["amara", "suggester"]);
    let row = &report.codes[0];
    assert!((estimate(row, StatKind::KrippendorffAlpha) - 1.0).abs() < 1e-9, "{row:?}");
    assert!((estimate(row, StatKind::PercentAgreement) - 1.0).abs() < 1e-9, "{row:?}");
    assert_eq!(report.pairs.len(), 1);
    assert_eq!(report.pairs[0].label, "suggester vs amara");
    assert!((estimate(&report.pairs[0], StatKind::KrippendorffAlpha) - 1.0).abs() < 1e-9);
    let (_, how) = report.settings.notes.iter().find(|(k, _)| k == "suggester").expect("the suggester's settings line");
    assert!(how.starts_with("trained on other documents, 5 folds, min score 0.50"), "{how}");
    let markdown = report.to_markdown(None);
    assert!(markdown.contains("**suggester**: trained on other documents"), "{markdown}");
    // Nothing was written: the same codings, the same point of the log.
    assert_eq!(p.codings(&Default::default()).unwrap(), before);
    assert_eq!(p.log_position().unwrap(), log);
}

#[test]
fn a_suggester_that_misses_passages_gives_the_hand_computed_alpha() {
    use codeloom::agreement::project::{AnalysisOptions, analyse};
    use codeloom::agreement::report::StatKind;
    let dir = tempfile::tempdir().unwrap();
    let (p, planted, solo) = fixed_study(&dir.path().join("p.codeloom"));
    let lengths: Vec<usize> = p.documents().unwrap().iter().map(|d| d.document.char_count).collect();
    let total: usize = lengths.iter().sum();
    assert_eq!(total, 463 + 11 * 185, "{lengths:?}");
    let input = suggest::reliability_with_suggester(
        &p,
        &selection(vec![planted, solo]),
        &suggest::CoderOptions::default(),
        &|_, _| {},
    )
    .unwrap();
    let report = analyse(&input, &AnalysisOptions { bootstrap: None, group_by: None }).unwrap();
    // Solo is coded in D10 only, so the models that code D10 learned from no Solo coding
    // and have no model of it; the suggester misses its 8 passages. Planted it finds exactly.
    assert!(report.warnings.iter().any(|w| w.contains("no model of Solo in 1 of 5 folds")), "{:?}", report.warnings);
    // Characters, two coders, every character a unit: T = 463 + 11·185 = 2498 per code.
    // Solo: amara alone codes S = 8·33 = 264 chars. n = 2T = 4996, n_present = S,
    // n_absent = 2T − S; α = 1 − S(n − 1)/(n_absent · n_present) = (1 − S)/(2T − S)
    // = −263/4732.
    let solo_row = &report.codes[1];
    assert!((estimate(solo_row, StatKind::KrippendorffAlpha) + 263.0 / 4732.0).abs() < 1e-9, "{solo_row:?}");
    // Pooled over both codes (coincidences summed): n = 4T = 9992; both code A = 12·33 =
    // 396 planted chars (o11 = 792); S = 264 disagree each way; n_present = 2A + S = 1056,
    // n_absent = 8936. α = 1 − S(n − 1)/(n_absent · n_present) = 1 − 264·9991/(8936·1056)
    // = 25753/35744; percent agreement (2T − S)/(2T) = 4732/4996 = 1183/1249.
    assert!((estimate(&report.overall, StatKind::KrippendorffAlpha) - 25753.0 / 35744.0).abs() < 1e-9);
    assert!((estimate(&report.overall, StatKind::PercentAgreement) - 1183.0 / 1249.0).abs() < 1e-9);

    // Trained on every document (no folds), the model has seen D10's Solo codings and finds
    // them: the leakage the folds keep out, said in the settings.
    let leaky = suggest::reliability_with_suggester(
        &p,
        &selection(vec![code(&p, "Solo")]),
        &suggest::CoderOptions { folds: 0, ..Default::default() },
        &|_, _| {},
    )
    .unwrap();
    let leaky = analyse(&leaky, &AnalysisOptions { bootstrap: None, group_by: None }).unwrap();
    assert!((estimate(&leaky.codes[0], StatKind::KrippendorffAlpha) - 1.0).abs() < 1e-9, "{:?}", leaky.codes[0]);
    assert!(leaky.settings.notes[0].1.starts_with("trained on every document, those compared included"));
}

#[test]
fn the_agreement_command_counts_the_suggester_as_a_coder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.codeloom");
    drop(fixed_study(&path));
    let project = path.to_str().unwrap();
    let log = json(&["log", project, "--json"]);
    let args = ["agreement", project, "--coders", "amara", "--codes", "Planted", "--resamples", "0"];
    let report = json(&[&args[..], &["--with-suggester", "--folds", "3", "--min-score", "0.6", "--json"]].concat());
    assert_eq!(report["settings"]["coders"], serde_json::json!(["amara", "suggester"]));
    let how = report["methods"]["suggester"].as_str().unwrap();
    assert!(how.starts_with("trained on other documents, 3 folds, min score 0.60"), "{how}");
    assert_eq!(report["pairs"][0]["label"], "suggester vs amara");
    assert_eq!(report["pairs"][0]["krippendorff_alpha"]["value"], 1.0);
    assert_eq!(report["codes"][0]["percent_agreement"]["value"], 1.0);
    let text = ok(&[&args[..], &["--with-suggester"]].concat());
    assert!(text.contains("suggester vs amara") && text.contains("amara, suggester"), "{text}");
    // One coder alone, or the suggester's settings without it, are refused.
    let out = codeloom(&args);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("at least two coders"));
    let out = codeloom(&[&args[..], &["--min-score", "0.6"]].concat());
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--with-suggester"));
    assert_eq!(json(&["log", project, "--json"]), log, "nothing was written");
}
