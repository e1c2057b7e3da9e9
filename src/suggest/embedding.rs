//! Static sentence embeddings read from a folder the researcher fills: model2vec's layout,
//! `model.safetensors` (a matrix of one vector per token) and `tokenizer.json` (the
//! Hugging Face tokenizers format). Nothing is ever downloaded: Codeloom reads the two files
//! and nothing else.
//!
//! A passage's meaning is the mean of its tokens' vectors, scaled to length one, as
//! model2vec computes it: the tokenizer's unknown token is left out, at most
//! [`MAX_TOKENS`] tokens count, and the model's optional `mapping` (token → row, from
//! vocabulary quantization) and `weights` (one weight per token) are honoured.
//!
//! Every file is checked before it is trusted: its size, the matrix's shape and number
//! type, that every number is finite, that the tokenizer is UTF-8 JSON, and that no token
//! the tokenizer can produce lies beyond the matrix. A model that fails a check is refused
//! with an [`EmbeddingError`] naming the file and the reason; embedding never panics on a
//! model that loaded.

use crate::error::{EmbeddingError, EmbeddingProblem, Result};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::path::{Path, PathBuf};
use tokenizers::Tokenizer;

/// The matrix file of a model folder.
pub const MODEL_FILE: &str = "model.safetensors";
/// The tokenizer file of a model folder.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// The largest model file read (2 GiB).
pub const MAX_MODEL_BYTES: u64 = 2 << 30;
/// The largest tokenizer file read (256 MiB).
pub const MAX_TOKENIZER_BYTES: u64 = 256 << 20;
/// The most numbers a matrix may hold (2^27: 512 MiB as 32-bit numbers).
pub const MAX_VALUES: usize = 1 << 27;
/// The most dimensions a vector may have.
pub const MAX_DIMS: usize = 4096;
/// The most tokens of a passage that count towards its meaning (model2vec's default).
pub const MAX_TOKENS: usize = 512;

/// The names the matrix may have: model2vec's, then sentence-transformers' static layout.
const MATRIX_NAMES: [&str; 2] = ["embeddings", "embedding.weight"];

/// A static embedding model, loaded and checked.
pub struct StaticEmbeddings {
    folder: PathBuf,
    tokenizer: Tokenizer,
    /// `rows × dims` numbers, row after row.
    matrix: Vec<f32>,
    dims: usize,
    /// Token ID → row, when the model's vocabulary was quantized.
    mapping: Option<Vec<u32>>,
    /// One weight per token ID, when the model has them.
    weights: Option<Vec<f32>>,
    /// The tokenizer's unknown token, left out of every mean.
    unknown: Option<u32>,
    /// The number of token IDs the model has vectors for.
    tokens: usize,
}

impl std::fmt::Debug for StaticEmbeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticEmbeddings")
            .field("folder", &self.folder)
            .field("dims", &self.dims)
            .field("rows", &self.rows())
            .field("tokens", &self.tokens)
            .finish()
    }
}

fn refuse(path: &Path, problem: EmbeddingProblem) -> crate::Error {
    EmbeddingError::new(path, problem).into()
}

/// The bytes of `path`, refused beyond `limit`.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(refuse(path, EmbeddingProblem::Missing)),
        Err(e) => return Err(refuse(path, EmbeddingProblem::Unreadable(e.to_string()))),
    };
    if !meta.is_file() {
        return Err(refuse(path, EmbeddingProblem::Unreadable("not a regular file".into())));
    }
    if meta.len() > limit {
        return Err(refuse(path, EmbeddingProblem::TooLarge { bytes: meta.len(), limit }));
    }
    std::fs::read(path).map_err(|e| refuse(path, EmbeddingProblem::Unreadable(e.to_string())))
}

/// The numbers of a floating-point tensor as 32-bit numbers, each checked to be finite.
fn floats(path: &Path, name: &str, view: &TensorView) -> Result<Vec<f32>> {
    let data = view.data();
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Dtype::F16 => data.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Dtype::BF16 => data.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
            .collect(),
        // model2vec's int8 quantization scales the whole matrix by one factor, which
        // cosines do not see.
        Dtype::I8 => data.iter().map(|&b| b as i8 as f32).collect(),
        other => {
            return Err(refuse(
                path,
                EmbeddingProblem::Dtype {
                    tensor: name.to_string(),
                    dtype: format!("{other:?}"),
                    expected: "F32, F16, BF16, F64 or I8",
                },
            ));
        }
    };
    if let Some(at) = values.iter().position(|v| !v.is_finite()) {
        return Err(refuse(path, EmbeddingProblem::NotFinite { tensor: name.to_string(), at }));
    }
    Ok(values)
}

/// The numbers of an integer tensor (model2vec's `mapping`), each below `rows`.
fn rows_of(path: &Path, view: &TensorView, rows: usize) -> Result<Vec<u32>> {
    let data = view.data();
    let values: Vec<i128> = match view.dtype() {
        Dtype::I64 => {
            data.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as i128).collect()
        }
        Dtype::U64 => {
            data.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as i128).collect()
        }
        Dtype::I32 => {
            data.chunks_exact(4).map(|b| i32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as i128).collect()
        }
        Dtype::U32 => {
            data.chunks_exact(4).map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as i128).collect()
        }
        other => {
            return Err(refuse(
                path,
                EmbeddingProblem::Dtype {
                    tensor: "mapping".into(),
                    dtype: format!("{other:?}"),
                    expected: "I64, U64, I32 or U32",
                },
            ));
        }
    };
    values
        .iter()
        .enumerate()
        .map(|(token, &row)| {
            if (0..rows as i128).contains(&row) {
                Ok(row as u32)
            } else {
                Err(refuse(
                    path,
                    EmbeddingProblem::Shape(format!(
                        "mapping sends token {token} to row {row}, but the matrix has {rows} rows"
                    )),
                ))
            }
        })
        .collect()
}

/// The matrix tensor: the one named as model2vec or sentence-transformers name it, else
/// the only 2-D tensor.
fn matrix_view<'a>(path: &Path, tensors: &SafeTensors<'a>) -> Result<(String, TensorView<'a>)> {
    let names = tensors.names();
    let chosen = match MATRIX_NAMES.iter().find(|&&n| names.contains(&n)) {
        Some(name) => name.to_string(),
        None => {
            let mut matrices: Vec<String> =
                tensors.iter().filter(|(_, v)| v.shape().len() == 2).map(|(n, _)| n.to_string()).collect();
            matrices.sort();
            match matrices.len() {
                1 => matrices.remove(0),
                0 => {
                    return Err(refuse(
                        path,
                        EmbeddingProblem::NoMatrix(
                            "the file holds no 2-D tensor (a matrix of one vector per token, named \"embeddings\")"
                                .into(),
                        ),
                    ));
                }
                _ => {
                    return Err(refuse(
                        path,
                        EmbeddingProblem::NoMatrix(format!(
                            "the file holds several 2-D tensors ({}) and none is named \"embeddings\"",
                            matrices.join(", ")
                        )),
                    ));
                }
            }
        }
    };
    let view = tensors.tensor(&chosen).map_err(|e| refuse(path, EmbeddingProblem::NotSafetensors(e.to_string())))?;
    Ok((chosen, view))
}

/// The matrix, its number of columns, and the optional mapping and weights.
struct Matrix {
    values: Vec<f32>,
    dims: usize,
    mapping: Option<Vec<u32>>,
    weights: Option<Vec<f32>>,
}

impl Matrix {
    fn rows(&self) -> usize {
        self.values.len() / self.dims.max(1)
    }

    /// The number of token IDs the model covers.
    fn tokens(&self) -> usize {
        match (&self.mapping, &self.weights) {
            (Some(m), _) => m.len(),
            (None, Some(w)) => w.len(),
            (None, None) => self.rows(),
        }
    }
}

/// model2vec's optional tensor `name` of one number per token, if the file has it.
fn per_token<'a>(path: &Path, tensors: &SafeTensors<'a>, name: &str) -> Result<Option<TensorView<'a>>> {
    match tensors.tensor(name) {
        Ok(v) if v.shape().len() == 1 => Ok(Some(v)),
        Ok(v) => Err(refuse(
            path,
            EmbeddingProblem::Shape(format!(
                "the tensor {name} has shape {:?}; one number per token is needed",
                v.shape()
            )),
        )),
        Err(_) => Ok(None),
    }
}

/// Reads and checks `model.safetensors`.
fn read_matrix(path: &Path) -> Result<Matrix> {
    let bytes = read_bounded(path, MAX_MODEL_BYTES)?;
    let tensors =
        SafeTensors::deserialize(&bytes).map_err(|e| refuse(path, EmbeddingProblem::NotSafetensors(e.to_string())))?;
    let (name, view) = matrix_view(path, &tensors)?;
    let shape = view.shape().to_vec();
    let shape_error = |why: String| refuse(path, EmbeddingProblem::Shape(why));
    let &[rows, dims] = shape.as_slice() else {
        return Err(shape_error(format!(
            "the tensor {name} has shape {shape:?}; a matrix of one vector per token (2 dimensions) is needed"
        )));
    };
    if dims == 0 || dims > MAX_DIMS {
        return Err(shape_error(format!("vectors of {dims} numbers; Codeloom reads 1 to {MAX_DIMS}")));
    }
    if rows == 0 {
        return Err(shape_error(format!("the tensor {name} has no rows")));
    }
    if rows.saturating_mul(dims) > MAX_VALUES {
        return Err(shape_error(format!("{rows} × {dims} numbers, more than the {MAX_VALUES} Codeloom reads")));
    }
    let values = floats(path, &name, &view)?;
    let mapping = per_token(path, &tensors, "mapping")?.map(|v| rows_of(path, &v, rows)).transpose()?;
    let weights = per_token(path, &tensors, "weights")?.map(|v| floats(path, "weights", &v)).transpose()?;
    if let (Some(m), Some(w)) = (&mapping, &weights)
        && m.len() != w.len()
    {
        return Err(shape_error(format!("mapping has {} tokens but weights has {}", m.len(), w.len())));
    }
    if let (None, Some(w)) = (&mapping, &weights)
        && w.len() != rows
    {
        return Err(shape_error(format!("weights has {} tokens but the matrix has {rows} rows", w.len())));
    }
    Ok(Matrix { values, dims, mapping, weights })
}

/// Reads and checks `tokenizer.json`; returns the tokenizer, its unknown token and its
/// largest token ID.
fn read_tokenizer(path: &Path) -> Result<(Tokenizer, Option<u32>, Option<u32>)> {
    let bytes = read_bounded(path, MAX_TOKENIZER_BYTES)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| refuse(path, EmbeddingProblem::TokenizerNotUtf8 { at: e.valid_up_to() }))?;
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| refuse(path, EmbeddingProblem::Tokenizer(format!("not JSON ({e})"))))?;
    let mut tokenizer: Tokenizer =
        text.parse().map_err(|e| refuse(path, EmbeddingProblem::Tokenizer(format!("{e}"))))?;
    // A passage is one sequence: no padding tokens in the mean, and no cut other than
    // MAX_TOKENS.
    tokenizer.with_padding(None);
    tokenizer.with_truncation(None).map_err(|e| refuse(path, EmbeddingProblem::Tokenizer(format!("{e}"))))?;
    let model = &json["model"];
    let unknown = match (model["unk_token"].as_str(), model["unk_id"].as_u64()) {
        (Some(token), _) => tokenizer.token_to_id(token),
        (None, Some(id)) => u32::try_from(id).ok(),
        _ => None,
    };
    let largest = tokenizer.get_vocab(true).into_values().max();
    Ok((tokenizer, unknown, largest))
}

impl StaticEmbeddings {
    /// Loads the model in `folder` (`model.safetensors` and `tokenizer.json`), checking
    /// both; a refusal names the file and the reason.
    pub fn load(folder: &Path) -> Result<StaticEmbeddings> {
        match std::fs::metadata(folder) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(refuse(folder, EmbeddingProblem::NotAFolder)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(refuse(folder, EmbeddingProblem::NoFolder));
            }
            Err(e) => return Err(refuse(folder, EmbeddingProblem::Unreadable(e.to_string()))),
        }
        let model_path = folder.join(MODEL_FILE);
        let tokenizer_path = folder.join(TOKENIZER_FILE);
        // Both files are looked for before either is read, so a folder missing one says so
        // at once.
        for p in [&model_path, &tokenizer_path] {
            if !p.exists() {
                return Err(refuse(p, EmbeddingProblem::Missing));
            }
        }
        let matrix = read_matrix(&model_path)?;
        let (tokenizer, unknown, largest) = read_tokenizer(&tokenizer_path)?;
        let tokens = matrix.tokens();
        if let Some(largest) = largest
            && largest as usize >= tokens
        {
            return Err(refuse(&tokenizer_path, EmbeddingProblem::VocabularyTooLarge { largest, rows: tokens }));
        }
        Ok(StaticEmbeddings {
            folder: folder.to_path_buf(),
            tokenizer,
            dims: matrix.dims,
            matrix: matrix.values,
            mapping: matrix.mapping,
            weights: matrix.weights,
            unknown,
            tokens,
        })
    }

    /// The folder the model was read from.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The numbers in each vector.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The rows of the matrix.
    pub fn rows(&self) -> usize {
        self.matrix.len() / self.dims
    }

    /// The number of tokens the model has vectors for (its vocabulary).
    pub fn vocabulary(&self) -> usize {
        self.tokens
    }

    /// "FOLDER (256 dimensions, 29528 tokens)", for messages.
    pub fn describe(&self) -> String {
        use crate::model::words::count;
        format!("{} ({}, {})", self.folder.display(), count(self.dims, "dimension"), count(self.tokens, "token"))
    }

    /// The row of token `id` and its weight; `None` for a token the model has no
    /// vector for (the tokenizer was checked not to produce one, but a passage never
    /// depends on that).
    fn row(&self, id: u32) -> Option<(&[f32], f32)> {
        let id = id as usize;
        if id >= self.tokens {
            return None;
        }
        let row = match &self.mapping {
            Some(m) => m[id] as usize,
            None => id,
        };
        let weight = self.weights.as_ref().map_or(1.0, |w| w[id]);
        self.matrix.get(row * self.dims..(row + 1) * self.dims).map(|r| (r, weight))
    }

    /// The mean of the rows of `ids` (the unknown token left out, at most [`MAX_TOKENS`]),
    /// scaled to length one; all zeros when no token has a vector.
    fn pool(&self, ids: &[u32], out: &mut [f32]) {
        out.fill(0.0);
        for (row, weight) in
            ids.iter().filter(|&&id| Some(id) != self.unknown).take(MAX_TOKENS).filter_map(|&id| self.row(id))
        {
            for (o, v) in out.iter_mut().zip(row) {
                *o += weight * v;
            }
        }
        normalise(out);
    }

    /// The meaning of `text`: a vector of [`Self::dims`] numbers of length one, or all
    /// zeros when the tokenizer finds no token the model knows (or cannot read the text).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut out = vec![0.0; self.dims];
        if let Ok(encoding) = self.tokenizer.encode_fast(text, false) {
            self.pool(encoding.get_ids(), &mut out);
        }
        out
    }

    /// The meanings of `texts`, one after another in one vector (`texts.len() × dims`
    /// numbers); the tokenizer works on every core.
    pub fn embed_many(&self, texts: &[&str]) -> Vec<f32> {
        let mut out = vec![0.0; texts.len() * self.dims];
        match self.tokenizer.encode_batch_fast(texts.to_vec(), false) {
            Ok(encodings) => {
                for (e, chunk) in encodings.iter().zip(out.chunks_exact_mut(self.dims)) {
                    self.pool(e.get_ids(), chunk);
                }
            }
            // One text the tokenizer cannot read does not cost the others their meaning.
            Err(_) => {
                for (text, chunk) in texts.iter().zip(out.chunks_exact_mut(self.dims)) {
                    if let Ok(e) = self.tokenizer.encode_fast(*text, false) {
                        self.pool(e.get_ids(), chunk);
                    }
                }
            }
        }
        out
    }
}

/// Scales `v` to length one (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The cosine of two vectors of length one (or zero): their dot product.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
