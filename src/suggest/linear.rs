//! A binary logistic regression over sparse vectors, trained by stochastic gradient
//! descent with L2 regularisation: deterministic (a fixed number of passes, each in an
//! order drawn from a seeded generator), and proportional in time to the number of
//! features present, never to the vocabulary's size.
//!
//! Why not a crate: `linfa-logistic` and `linfa-svm` take dense `ndarray` matrices
//! (passages × features); with 10^4–10^5 features and up to 10^5 passages that is
//! gigabytes. Text classification needs sparse inputs, and this is the standard
//! algorithm for them (as in scikit-learn's `SGDClassifier(loss="log_loss")`).
//!
//! The weight vector is kept as `scale · v`, so that the shrinking of every weight by
//! the regulariser at each step costs one multiplication. The models of several codes
//! are trained together on the same examples ([`train_many`]), their weights kept
//! feature by feature, so that one pass reads each example once for all of them. The two classes are weighted
//! so that each counts as much as the other (positives are rare), the weight of a
//! positive capped at [`MAX_CLASS_WEIGHT`]. The bias is not regularised.

use super::features::SparseVec;

/// A positive example counts at most this many times a negative one.
pub const MAX_CLASS_WEIGHT: f64 = 20.0;

/// How a model is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// The L2 regularisation strength λ.
    pub lambda: f64,
    /// Passes over the examples.
    pub epochs: usize,
    /// The first step size.
    pub eta0: f64,
    /// Seeds the order of the examples.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params { lambda: 1e-4, epochs: 8, eta0: 0.5, seed: 1 }
    }
}

/// A trained model: `P(code | x) = σ(w · x + bias)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub weights: Vec<f32>,
    pub bias: f32,
}

/// The logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Model {
    /// The probability the model gives `x`.
    pub fn score(&self, x: &SparseVec) -> f64 {
        sigmoid(x.dot_dense(&self.weights) as f64 + self.bias as f64)
    }
}

/// SplitMix64, the generator that orders the examples.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Shuffles `items` (Fisher–Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Trains a model on `examples` (a vector and whether it carries the code) over `dim`
/// features (see [`train_many`], of which this is the one-code case).
pub fn train(examples: &[(&SparseVec, bool)], dim: usize, params: &Params) -> Model {
    let xs: Vec<&SparseVec> = examples.iter().map(|e| e.0).collect();
    let labels: Vec<Option<bool>> = examples.iter().map(|e| Some(e.1)).collect();
    train_many(&xs, &[&labels], dim, params).pop().unwrap_or_default()
}

/// The state of one code's model while several are trained together.
struct Column {
    scale: f64,
    bias: f64,
    steps: f64,
    pos_weight: f64,
    /// `Some(bias)` when the code has no positive or no negative example.
    fixed: Option<f32>,
}

impl Column {
    fn new(labels: &[Option<bool>]) -> Column {
        let positives = labels.iter().filter(|l| **l == Some(true)).count();
        let negatives = labels.iter().filter(|l| **l == Some(false)).count();
        let fixed = match (positives, negatives) {
            (0, _) => Some(-8.0),
            (_, 0) => Some(8.0),
            _ => None,
        };
        let pos_weight = (negatives as f64 / positives.max(1) as f64).clamp(1.0, MAX_CLASS_WEIGHT);
        Column { scale: 1.0, bias: 0.0, steps: 0.0, pos_weight, fixed }
    }

    /// One step on an example whose margin (before scaling and bias) is `raw`; returns
    /// what to subtract from the stored weights per unit of feature value.
    fn step(&mut self, raw: f64, positive: bool, params: &Params) -> f64 {
        let eta = params.eta0 / (1.0 + params.eta0 * params.lambda * self.steps);
        self.steps += 1.0;
        let z = raw * self.scale + self.bias;
        let gradient = if positive { self.pos_weight * (sigmoid(z) - 1.0) } else { sigmoid(z) };
        self.scale *= 1.0 - eta * params.lambda;
        self.bias -= eta * gradient;
        eta * gradient / self.scale
    }
}

/// Trains one model per column of `labels` on the shared examples `xs` (`labels[k][j]`:
/// whether `xs[j]` carries code `k`, `None` when it is no example for that code), over
/// `dim` features. The weights of all the models are kept feature by feature, so that
/// each example is read once for every model and the models' weights of one feature
/// are updated together. Each model sees its examples in the same seeded order. A model with no positive or no negative example says what it saw: the
/// bias alone, far to that side.
pub fn train_many(xs: &[&SparseVec], labels: &[&[Option<bool>]], dim: usize, params: &Params) -> Vec<Model> {
    let k = labels.len();
    let mut columns: Vec<Column> = labels.iter().map(|l| Column::new(l)).collect();
    let mut w = vec![0.0f32; dim * k];
    let mut order: Vec<usize> = (0..xs.len()).collect();
    let mut rng = SplitMix::new(params.seed);
    let (mut raw, mut step) = (vec![0.0f32; k], vec![0.0f32; k]);
    for _ in 0..params.epochs {
        rng.shuffle(&mut order);
        for &j in &order {
            let x = xs[j];
            raw.iter_mut().for_each(|r| *r = 0.0);
            for (&i, &xv) in x.index.iter().zip(&x.value) {
                let row = &w[i as usize * k..(i as usize + 1) * k];
                raw.iter_mut().zip(row).for_each(|(r, wv)| *r += wv * xv);
            }
            for (c, column) in columns.iter_mut().enumerate() {
                step[c] = match (labels[c][j], column.fixed) {
                    (Some(y), None) => column.step(raw[c] as f64, y, params) as f32,
                    _ => 0.0,
                };
            }
            for (&i, &xv) in x.index.iter().zip(&x.value) {
                let row = &mut w[i as usize * k..(i as usize + 1) * k];
                row.iter_mut().zip(&step).for_each(|(wv, s)| *wv -= s * xv);
            }
            rescale(&mut w, &mut columns);
        }
    }
    columns
        .iter()
        .enumerate()
        .map(|(c, column)| match column.fixed {
            Some(bias) => Model { weights: vec![0.0; dim], bias },
            None => Model {
                weights: (0..dim).map(|i| (w[i * k + c] as f64 * column.scale) as f32).collect(),
                bias: column.bias as f32,
            },
        })
        .collect()
}

/// Folds a model's scale into its stored weights before it gets too small for them.
fn rescale(w: &mut [f32], columns: &mut [Column]) {
    let k = columns.len();
    for (c, column) in columns.iter_mut().enumerate() {
        if column.scale < 1e-6 {
            w.iter_mut().skip(c).step_by(k).for_each(|v| *v = (*v as f64 * column.scale) as f32);
            column.scale = 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vec1(pairs: &[(u32, f32)]) -> SparseVec {
        let norm = pairs.iter().map(|p| p.1 * p.1).sum::<f32>().sqrt();
        SparseVec { index: pairs.iter().map(|p| p.0).collect(), value: pairs.iter().map(|p| p.1 / norm).collect() }
    }

    #[test]
    fn a_separating_feature_is_learned_and_training_is_deterministic() {
        let mut xs = Vec::new();
        for i in 0..200u32 {
            let noise = 2 + i % 7;
            if i % 10 == 0 {
                xs.push((vec1(&[(0, 1.0), (noise, 1.0)]), true));
            } else {
                xs.push((vec1(&[(1, 1.0), (noise, 1.0)]), false));
            }
        }
        let examples: Vec<(&SparseVec, bool)> = xs.iter().map(|(x, y)| (x, *y)).collect();
        let model = train(&examples, 10, &Params::default());
        for (x, y) in &xs {
            assert_eq!(model.score(x) > 0.5, *y, "{x:?}");
        }
        assert!(model.weights[0] > 1.0 && model.weights[1] < 0.0, "{model:?}");
        assert_eq!(train(&examples, 10, &Params::default()), model);
        let other = train(&examples, 10, &Params { seed: 2, ..Params::default() });
        assert_ne!(other, model, "the seed orders the examples");
        // Trained together with other codes (one with no example at all, one the
        // opposite), each model is the one trained alone.
        let labels: Vec<Option<bool>> = xs.iter().map(|(_, y)| Some(*y)).collect();
        let opposite: Vec<Option<bool>> = xs.iter().map(|(_, y)| Some(!*y)).collect();
        let partial: Vec<Option<bool>> = xs.iter().enumerate().map(|(i, (_, y))| (i % 2 == 0).then_some(*y)).collect();
        let refs: Vec<&SparseVec> = xs.iter().map(|(x, _)| x).collect();
        let many = train_many(&refs, &[&opposite, &labels, &vec![None; xs.len()], &partial], 10, &Params::default());
        assert_eq!(many[1], model);
        assert!(many[0].weights[0] < 0.0 && many[0].weights[1] > 0.0);
        assert_eq!(many[2].weights, vec![0.0; 10]);
        let alone: Vec<(&SparseVec, bool)> =
            xs.iter().enumerate().filter(|(i, _)| i % 2 == 0).map(|(_, (x, y))| (x, *y)).collect();
        let model = &many[3];
        assert!(alone.iter().all(|(x, y)| (model.score(x) > 0.5) == *y));
    }

    #[test]
    fn one_class_only_gives_the_bias_alone() {
        let x = vec1(&[(0, 1.0)]);
        let model = train(&[(&x, false), (&x, false)], 3, &Params::default());
        assert!(model.score(&x) < 0.001);
        assert_eq!(model.weights, [0.0; 3]);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-12 && sigmoid(-800.0) >= 0.0 && sigmoid(800.0) <= 1.0);
    }
}
