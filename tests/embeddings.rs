//! Sentence embeddings a researcher places in a folder: the loader on tiny models these
//! tests write (32-, 16-bit and bfloat16 numbers; model2vec's mapping and weights), every
//! refusal naming the file and the reason, "passages like this" finding a paraphrase that
//! shares no word with the selection only when there is a model, and the `--embeddings`
//! option of `codeloom similar` and `codeloom suggest` (with `$CODELOOM_EMBEDDINGS` and the
//! settings file).

use codeloom::Project;
use codeloom::bench::model::{Tokenization, safetensors_bytes, tensor_bytes, tokenizer_json, write_model};
use codeloom::model::ParsedDocument;
use codeloom::suggest::{self, StaticEmbeddings, TrainOptions};
use safetensors::tensor::Dtype;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod common;
use common::{command, json, ok, root};

/// The tiny model's words (IDs 1…; `[UNK]` is 0) and their 4-number vectors: words that
/// mean alike point alike (knee/joint, pain/ache, stairs/steps/climbing), the bus words
/// point elsewhere.
const WORDS: &[(&str, [f32; 4])] = &[
    ("knee", [1.0, 0.1, 0.0, 0.0]),
    ("pain", [0.1, 1.0, 0.0, 0.0]),
    ("stairs", [0.0, 0.1, 1.0, 0.0]),
    ("joint", [0.9, 0.2, 0.0, 0.0]),
    ("ache", [0.2, 0.9, 0.0, 0.0]),
    ("climbing", [0.0, 0.0, 0.9, 0.1]),
    ("steps", [0.0, 0.2, 1.0, 0.0]),
    ("buses", [0.0, 0.0, 0.0, 1.0]),
    ("arrive", [0.0, 0.0, 0.1, 1.0]),
    ("late", [0.1, 0.0, 0.0, 1.0]),
];

fn words() -> Vec<&'static str> {
    WORDS.iter().map(|w| w.0).collect()
}

/// The rows of the tiny model: `[UNK]` (zeros), then each word's vector.
fn rows() -> Vec<f32> {
    let mut rows = vec![0.0; 4];
    rows.extend(WORDS.iter().flat_map(|w| w.1));
    rows
}

/// Writes the tiny model to `folder` with its numbers stored as `dtype`.
fn tiny_model(folder: &Path, dtype: Dtype) -> PathBuf {
    write_model(folder, &words(), (&rows(), 4), dtype, Tokenization::WordLevel).unwrap();
    folder.to_path_buf()
}

fn normalised(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

fn close(a: &[f32], b: &[f32], tolerance: f32) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
}

#[test]
fn a_tiny_model_loads_in_every_number_type_and_embeds_as_model2vec_does() {
    let dir = tempfile::tempdir().unwrap();
    for (dtype, tolerance) in [(Dtype::F32, 1e-6), (Dtype::F16, 2e-3), (Dtype::BF16, 1e-2)] {
        let folder = tiny_model(&dir.path().join(format!("{dtype:?}")), dtype);
        let m = StaticEmbeddings::load(&folder).unwrap();
        assert_eq!((m.dims(), m.rows(), m.vocabulary()), (4, 11, 11));
        assert!(m.describe().contains("4 dimensions, 11 tokens"), "{}", m.describe());
        // One word: its row, scaled to length one; case does not matter (the tokenizer
        // lowercases).
        assert!(close(&m.embed("Knee"), &normalised(&WORDS[0].1), tolerance), "{dtype:?}");
        // Several: the mean of their rows, scaled; unknown words are left out of the mean.
        let mean: Vec<f32> = (0..4).map(|i| WORDS[0].1[i] + WORDS[1].1[i]).collect();
        assert!(close(&m.embed("knee pain, zorblat!"), &normalised(&mean), tolerance), "{dtype:?}");
        // Nothing known: all zeros (no meaning), never a division by zero.
        assert_eq!(m.embed("zorblat quintessa"), vec![0.0; 4]);
        assert_eq!(m.embed(""), vec![0.0; 4]);
        let many = m.embed_many(&["knee", "zorblat", "knee pain, zorblat!"]);
        assert_eq!(many.len(), 12);
        assert!(close(&many[0..4], &m.embed("knee"), 1e-6) && close(&many[8..12], &m.embed("knee pain"), 1e-6));
        assert_eq!(&many[4..8], &[0.0; 4]);
    }
}

/// Writes `model.safetensors` holding `tensors` and the tiny tokenizer to `folder`.
fn custom_model(folder: &Path, tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> PathBuf {
    std::fs::create_dir_all(folder).unwrap();
    std::fs::write(folder.join("model.safetensors"), safetensors_bytes(tensors).unwrap()).unwrap();
    std::fs::write(folder.join("tokenizer.json"), tokenizer_json(&words(), Tokenization::WordLevel)).unwrap();
    folder.to_path_buf()
}

#[test]
fn model2vec_mapping_and_weights_are_honoured() {
    // Vocabulary quantization: 11 tokens share 3 rows; each token has its own weight.
    let dir = tempfile::tempdir().unwrap();
    let matrix = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
    let mapping: Vec<i64> = vec![0, 1, 2, 1, 1, 2, 2, 2, 0, 0, 0];
    let weights: Vec<f32> = vec![1.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    let folder = custom_model(
        dir.path(),
        &[
            ("embeddings", Dtype::F32, vec![3, 2], tensor_bytes(&matrix, Dtype::F32)),
            ("mapping", Dtype::I64, vec![11], mapping.iter().flat_map(|v| v.to_le_bytes()).collect()),
            ("weights", Dtype::F32, vec![11], tensor_bytes(&weights, Dtype::F32)),
        ],
    );
    let m = StaticEmbeddings::load(&folder).unwrap();
    assert_eq!((m.dims(), m.rows(), m.vocabulary()), (2, 3, 11));
    // knee (ID 1) → row 1 = (1, 0) weighted 3; pain (ID 2) → row 2 = (0, 1) weighted 1.
    assert!(close(&m.embed("knee pain"), &normalised(&[3.0, 1.0]), 1e-6), "{:?}", m.embed("knee pain"));
    // joint (ID 4) → row 1 like knee.
    assert!(close(&m.embed("joint"), &[1.0, 0.0], 1e-6));
}

/// The refusal of `folder`: its message names `file` and says `reason`.
fn refused(folder: &Path, file: &str, reason: &str) {
    let e = StaticEmbeddings::load(folder).unwrap_err();
    assert!(matches!(e, codeloom::Error::Embedding(_)), "{e:?}");
    let message = e.to_string();
    assert!(message.contains(file), "{message} should name {file}");
    assert!(message.contains(reason), "{message} should say {reason}");
}

#[test]
fn bad_model_folders_are_refused_with_the_file_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    refused(&at("nowhere"), "nowhere", "the folder is not there");
    std::fs::write(at("a-file"), "x").unwrap();
    refused(&at("a-file"), "a-file", "not a folder");

    let folder = tiny_model(&at("no-matrix"), Dtype::F32);
    std::fs::remove_file(folder.join("model.safetensors")).unwrap();
    refused(&folder, "model.safetensors", "not there");
    let folder = tiny_model(&at("no-tokenizer"), Dtype::F32);
    std::fs::remove_file(folder.join("tokenizer.json")).unwrap();
    refused(&folder, "tokenizer.json", "not there");

    let folder = tiny_model(&at("garbage"), Dtype::F32);
    std::fs::write(folder.join("model.safetensors"), b"not a tensor file at all").unwrap();
    refused(&folder, "model.safetensors", "not a safetensors file");
    // A header that promises more numbers than the file holds.
    let mut bytes =
        safetensors_bytes(&[("embeddings", Dtype::F32, vec![11, 4], tensor_bytes(&rows(), Dtype::F32))]).unwrap();
    bytes.truncate(bytes.len() - 8);
    std::fs::write(folder.join("model.safetensors"), bytes).unwrap();
    refused(&folder, "model.safetensors", "not a safetensors file");

    let one_d = rows();
    refused(
        &custom_model(&at("1d"), &[("embeddings", Dtype::F32, vec![44], tensor_bytes(&one_d, Dtype::F32))]),
        "model.safetensors",
        "2 dimensions",
    );
    refused(
        &custom_model(&at("no-2d"), &[("bias", Dtype::F32, vec![44], tensor_bytes(&one_d, Dtype::F32))]),
        "model.safetensors",
        "no 2-D tensor",
    );
    let two = || tensor_bytes(&rows(), Dtype::F32);
    refused(
        &custom_model(&at("two-2d"), &[("a", Dtype::F32, vec![11, 4], two()), ("b", Dtype::F32, vec![11, 4], two())]),
        "model.safetensors",
        "several 2-D tensors (a, b)",
    );
    let ints: Vec<u8> = (0..44i32).flat_map(|v| v.to_le_bytes()).collect();
    refused(
        &custom_model(&at("ints"), &[("embeddings", Dtype::I32, vec![11, 4], ints)]),
        "model.safetensors",
        "holds I32 values",
    );
    let wide = vec![0.5f32; 2 * 5000];
    refused(
        &custom_model(&at("wide"), &[("embeddings", Dtype::F32, vec![2, 5000], tensor_bytes(&wide, Dtype::F32))]),
        "model.safetensors",
        "vectors of 5000 numbers",
    );
    let mut nan = rows();
    nan[9] = f32::NAN;
    refused(
        &custom_model(&at("nan"), &[("embeddings", Dtype::F32, vec![11, 4], tensor_bytes(&nan, Dtype::F32))]),
        "model.safetensors",
        "not a finite number (at value 9)",
    );
    // Vectors for 6 tokens, but the tokenizer has 11: the files do not belong together.
    refused(
        &custom_model(&at("short"), &[("embeddings", Dtype::F32, vec![6, 4], tensor_bytes(&rows()[..24], Dtype::F32))]),
        "tokenizer.json",
        "token IDs up to 10, but the model has vectors for only 6 tokens",
    );
    // model2vec's extra tensors that do not fit the matrix.
    let mapping: Vec<u8> = [0i64, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99].iter().flat_map(|v| v.to_le_bytes()).collect();
    refused(
        &custom_model(
            &at("mapping"),
            &[("embeddings", Dtype::F32, vec![11, 4], two()), ("mapping", Dtype::I64, vec![11], mapping)],
        ),
        "model.safetensors",
        "mapping sends token 10 to row 99",
    );
    refused(
        &custom_model(
            &at("weights"),
            &[
                ("embeddings", Dtype::F32, vec![11, 4], two()),
                ("weights", Dtype::F32, vec![5], tensor_bytes(&[1.0; 5], Dtype::F32)),
            ],
        ),
        "model.safetensors",
        "weights has 5 tokens but the matrix has 11 rows",
    );

    let folder = tiny_model(&at("latin1"), Dtype::F32);
    let mut text = tokenizer_json(&words(), Tokenization::WordLevel).into_bytes();
    text.splice(10..10, [0xE9u8, 0xFF]);
    std::fs::write(folder.join("tokenizer.json"), text).unwrap();
    refused(&folder, "tokenizer.json", "not UTF-8 text (the bytes at 10");
    std::fs::write(folder.join("tokenizer.json"), "{ \"model\": ").unwrap();
    refused(&folder, "tokenizer.json", "not JSON");
    std::fs::write(folder.join("tokenizer.json"), "{\"model\": {\"type\": \"Nonsense\"}}").unwrap();
    refused(&folder, "tokenizer.json", "not a tokenizer Codeloom can read");
}

/// A study of one interview whose sentences are a selection, its paraphrase (no word in
/// common) and an unrelated sentence.
fn paraphrase_study(path: &Path) -> (Project, String) {
    let text = "P01: Knee pain on stairs.\n\nP01: Joint ache climbing steps.\n\nP01: Buses arrive late.\n";
    let mut p = Project::create(path).unwrap();
    p.import_documents(vec![ParsedDocument {
        source: "P01.txt".into(),
        name: "P01".into(),
        original_name: "P01.txt".into(),
        format: "txt".into(),
        turns: codeloom::import::turns::detect_turns(text),
        text: text.into(),
        participant: Some("P01".into()),
        wave: None,
        warnings: vec![],
    }])
    .unwrap();
    let id = p.resolve_document("P01").unwrap();
    (p, id)
}

/// The selection: "Knee pain on stairs." (chars 5 to 25).
const SELECTION: (usize, usize) = (5, 25);

#[test]
fn a_paraphrase_sharing_no_word_is_found_only_with_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let (p, doc) = paraphrase_study(&dir.path().join("p.codeloom"));
    let text = p.document_text(&doc).unwrap();
    assert_eq!(&text[SELECTION.0..SELECTION.1], "Knee pain on stairs.");
    let model = Arc::new(StaticEmbeddings::load(&tiny_model(&dir.path().join("model"), Dtype::F32)).unwrap());
    let (start, end) = SELECTION;

    let words_only = suggest::similar(&p, &doc, start, end, 10).unwrap();
    assert!(words_only.iter().all(|f| !f.text.contains("Joint")), "no word in common: {words_only:?}");

    let with_meaning = suggest::similar_with(&p, (doc.as_str(), start, end), 10, Some(model.clone())).unwrap();
    assert_eq!(with_meaning[0].text, "Joint ache climbing steps.", "{with_meaning:?}");
    let unrelated = with_meaning.iter().find(|f| f.text.starts_with("Buses")).map_or(0.0, |f| f.score);
    assert!(with_meaning[0].score > unrelated + 0.3, "{with_meaning:?}");
    // Half of a cosine near 1, and no word similarity.
    assert!(with_meaning[0].score > 0.45 && with_meaning[0].score <= 0.5, "{with_meaning:?}");

    // The suggester compares the same way, once it has the model.
    let s = suggest::train(&p, &TrainOptions::default()).unwrap();
    assert!(s.meaning_model().is_none());
    assert!(s.similar(&p, &doc, start, end, 10).unwrap().iter().all(|f| !f.text.contains("Joint")));
    let s = s.with_meaning(model, &|_, _| {});
    assert_eq!(s.meaning_model().map(|m| m.dims()), Some(4));
    let found = s.similar(&p, &doc, start, end, 10).unwrap();
    assert_eq!(found[0].text, "Joint ache climbing steps.", "{found:?}");
    assert_eq!(found, with_meaning);
}

#[test]
fn the_similar_command_uses_the_model_of_the_option_the_variable_or_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.codeloom");
    let (p, _) = paraphrase_study(&path);
    drop(p);
    let project = path.to_str().unwrap();
    let folder = tiny_model(&dir.path().join("model"), Dtype::F16);
    let model = folder.to_str().unwrap();
    let similar = ["similar", project, "--doc", "P01", "--start", "5", "--end", "25"];

    let words = ok(&similar);
    assert!(words.starts_with("passages compared by words only\n"), "{words}");
    assert!(!words.contains("Joint"), "{words}");

    let with = ok(&[&similar[..], &["--embeddings", model]].concat());
    assert!(
        with.contains(&format!("passages compared by words and meaning: {model} (4 dimensions, 11 tokens)")),
        "{with}"
    );
    assert!(with.lines().nth(1).is_some_and(|l| l.contains("Joint ache climbing steps.")), "{with}");
    let listed = json(&[&similar[..], &["--embeddings", model, "--json"]].concat());
    assert_eq!(listed[0]["text"], "Joint ache climbing steps.");

    // The variable, then the settings file; --no-embeddings turns either off.
    let out = command(&similar).env("CODELOOM_EMBEDDINGS", model).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("words and meaning"));
    let config = tempfile::tempdir().unwrap();
    let settings = config.path().join("codeloom/settings.json");
    codeloom::settings::Settings { embedding_model: Some(folder.clone()) }.save_to(&settings).unwrap();
    let out = command(&similar).env("XDG_CONFIG_HOME", config.path()).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("words and meaning"), "{out:?}");
    let out = command(&[&similar[..], &["--no-embeddings"]].concat()).env("XDG_CONFIG_HOME", config.path()).output();
    assert!(String::from_utf8_lossy(&out.unwrap().stdout).contains("words only"));

    // A malformed settings file is an error naming it.
    std::fs::write(&settings, "{ embedding_model").unwrap();
    let out = command(&similar).env("XDG_CONFIG_HOME", config.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("settings.json") && err.contains("not valid"), "{err}");

    // A bad folder: refused by name and reason, the project as it was.
    let before = std::fs::read(&path).unwrap();
    std::fs::remove_file(folder.join("tokenizer.json")).unwrap();
    for args in [&[&similar[..], &["--embeddings", model]].concat(), &vec!["suggest", project, "--embeddings", model]] {
        let out = command(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("tokenizer.json") && err.contains("not there"), "{err}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_suggest_command_on_the_demo_says_which_model_compared_the_passages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.codeloom");
    codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(&root())).unwrap();
    let project = path.to_str().unwrap();
    let folder = dir.path().join("model");
    codeloom::bench::model::write_random_model(&folder, 2000, 32, 3).unwrap();
    let model = folder.to_str().unwrap();

    let listed = json(&["suggest", project, "--embeddings", model, "--limit", "3", "--json"]);
    assert_eq!(listed["embeddings"]["dims"], 32);
    assert_eq!(listed["embeddings"]["vocabulary"], 2000);
    assert_eq!(listed["embeddings"]["folder"], model);
    assert!(!listed["suggestions"].as_array().unwrap().is_empty());
    let words = json(&["suggest", project, "--limit", "3", "--json"]);
    assert!(words["embeddings"].is_null());
    // The scores are the learned models' alone; only the passages shown alongside change.
    let score = |v: &serde_json::Value| -> Vec<(String, f64)> {
        v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["id"].as_str().unwrap().to_string(), s["score"].as_f64().unwrap()))
            .collect()
    };
    assert_eq!(score(&listed), score(&words));
    let text = ok(&["suggest", project, "--embeddings", model, "--limit", "1"]);
    assert!(
        text.contains(&format!("passages compared by words and meaning: {model} (32 dimensions, 2000 tokens)")),
        "{text}"
    );
    let text = ok(&["suggest", project, "--limit", "1"]);
    assert!(text.contains("passages compared by words only"), "{text}");
    // The evaluation measures the scores, which meaning does not change: said, not silently ignored.
    let out = common::codeloom(&["suggest", project, "--evaluate", "--folds", "2", "--embeddings", model]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--embeddings is not used by --evaluate"), "{said}");
}

/// Loading a model shaped like potion-base-8M (30,000 tokens of BERT word pieces, 256
/// dimensions, 32-bit) and embedding every sentence of the demo study, as the window does
/// when suggestions are learned with a model: `cargo test --release --test embeddings --
/// --ignored --nocapture`. Prints the measurements; asserts nothing on time.
#[test]
#[ignore]
fn measure_a_potion_shaped_model_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.codeloom");
    codeloom::demo::build_demo(&path, &codeloom::demo::DemoSources::in_repository(&root())).unwrap();
    let p = Project::open_read_only(&path).unwrap();
    let corpus = suggest::corpus::Corpus::load(&p, suggest::UnitKind::Sentence, &|_, _| {}).unwrap();
    let texts: Vec<&str> = corpus.documents.iter().flat_map(|d| d.units.iter().map(|u| u.text(&d.text))).collect();
    let folder = dir.path().join("potion-shaped");
    codeloom::bench::model::write_random_model(&folder, 30_000, 256, 7).unwrap();
    let bytes = std::fs::metadata(folder.join("model.safetensors")).unwrap().len();
    let t = std::time::Instant::now();
    let model = Arc::new(StaticEmbeddings::load(&folder).unwrap());
    let load = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let vectors = model.embed_many(&texts);
    let embed = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let meaning = suggest::meaning::Meaning::of_corpus(model.clone(), &corpus, &|_, _| {});
    let of_corpus = t.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), texts.len() * 256);
    assert_eq!(meaning.held(), texts.len());
    let build = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!(
        "{build}: load {load:.3} s ({} MB); {} sentences embedded in {embed:.3} s ({:.0} per second); \
         the corpus's meanings in {of_corpus:.3} s",
        bytes / 1_000_000,
        texts.len(),
        texts.len() as f64 / embed
    );
}
