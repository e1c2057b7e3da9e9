//! Synthetic sentence-embedding models in model2vec's layout (`model.safetensors` and
//! `tokenizer.json`), for the bench and the tests: Codeloom never downloads a model, so
//! the loading code is measured and tested on models written here.

use super::corpus::{Rng, WORDS};
use crate::error::{Error, Result};
use crate::suggest::embedding::{MODEL_FILE, TOKENIZER_FILE};
use safetensors::tensor::{Dtype, TensorView};
use std::path::Path;

/// The unknown token, ID 0 of every synthetic tokenizer.
pub const UNKNOWN: &str = "[UNK]";

/// How the synthetic tokenizer splits text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokenization {
    /// Lowercased whole words (a `WordLevel` model after a `Whitespace` pre-tokenizer).
    WordLevel,
    /// BERT's uncased word pieces, as potion-base-8M tokenizes.
    WordPiece,
}

/// The text of a `tokenizer.json` whose vocabulary is `[UNK]` (ID 0) then `words` (IDs 1…).
pub fn tokenizer_json(words: &[&str], tokenization: Tokenization) -> String {
    let mut vocab = serde_json::Map::new();
    vocab.insert(UNKNOWN.into(), 0.into());
    for (i, w) in words.iter().enumerate() {
        vocab.insert((*w).to_string(), (i + 1).into());
    }
    let (normalizer, pre_tokenizer, model) = match tokenization {
        Tokenization::WordLevel => (
            serde_json::json!({"type": "Lowercase"}),
            serde_json::json!({"type": "Whitespace"}),
            serde_json::json!({"type": "WordLevel", "vocab": vocab, "unk_token": UNKNOWN}),
        ),
        Tokenization::WordPiece => (
            serde_json::json!({"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                               "strip_accents": null, "lowercase": true}),
            serde_json::json!({"type": "BertPreTokenizer"}),
            serde_json::json!({"type": "WordPiece", "unk_token": UNKNOWN, "continuing_subword_prefix": "##",
                               "max_input_chars_per_word": 100, "vocab": vocab}),
        ),
    };
    serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": null, "decoder": null,
        "model": model,
    })
    .to_string()
}

/// `values` as the little-endian bytes of `dtype` (F32, F16 or BF16).
pub fn tensor_bytes(values: &[f32], dtype: Dtype) -> Vec<u8> {
    match dtype {
        Dtype::F16 => values.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect(),
        Dtype::BF16 => values.iter().flat_map(|v| half::bf16::from_f32(*v).to_le_bytes()).collect(),
        _ => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

/// The bytes of a `model.safetensors` holding `tensors` (name, dtype, shape, bytes).
pub fn safetensors_bytes(tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> Result<Vec<u8>> {
    let views = tensors
        .iter()
        .map(|(name, dtype, shape, bytes)| Ok((name.to_string(), TensorView::new(*dtype, shape.clone(), bytes)?)))
        .collect::<std::result::Result<Vec<_>, safetensors::SafeTensorError>>()
        .map_err(|e| Error::Invalid(format!("cannot build a safetensors file: {e}")))?;
    safetensors::serialize(views, None).map_err(|e| Error::Invalid(format!("cannot build a safetensors file: {e}")))
}

/// Writes a model to `folder` (created if need be): `[UNK]` then `words`, the vectors
/// `rows` (one per token, the unknown token's first, `dims` numbers each), stored as
/// `dtype`.
pub fn write_model(
    folder: &Path,
    words: &[&str],
    (rows, dims): (&[f32], usize),
    dtype: Dtype,
    tokenization: Tokenization,
) -> Result<()> {
    let io = |e: std::io::Error| Error::Invalid(format!("{}: cannot write the model: {e}", folder.display()));
    std::fs::create_dir_all(folder).map_err(io)?;
    let shape = vec![rows.len() / dims.max(1), dims];
    let bytes = safetensors_bytes(&[("embeddings", dtype, shape, tensor_bytes(rows, dtype))])?;
    std::fs::write(folder.join(MODEL_FILE), bytes).map_err(io)?;
    std::fs::write(folder.join(TOKENIZER_FILE), tokenizer_json(words, tokenization)).map_err(io)
}

/// Writes a model shaped like potion-base-8M to `folder`: `vocabulary` tokens (the bench
/// transcripts' words among them, the rest made-up words), `dims` random numbers each,
/// 32-bit, with BERT's word pieces.
pub fn write_random_model(folder: &Path, vocabulary: usize, dims: usize, seed: u64) -> Result<()> {
    let mut words: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
    let mut i = 0;
    while words.len() + 1 < vocabulary {
        words.push(format!("w{i}"));
        i += 1;
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut rng = Rng::new(seed);
    let rows: Vec<f32> =
        (0..(words.len() + 1) * dims).map(|_| (rng.below(20_001) as f32 - 10_000.0) / 10_000.0).collect();
    write_model(folder, &words, (&rows, dims), Dtype::F32, Tokenization::WordPiece)
}
