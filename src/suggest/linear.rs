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
//! the regulariser at each step costs one multiplication. The two classes are weighted
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
        Params { lambda: 1e-4, epochs: 12, eta0: 0.5, seed: 1 }
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
/// features. With no positive or no negative example the model says what it saw: the
/// bias alone, far to that side.
pub fn train(examples: &[(&SparseVec, bool)], dim: usize, params: &Params) -> Model {
    let positives = examples.iter().filter(|e| e.1).count();
    let negatives = examples.len() - positives;
    if positives == 0 || negatives == 0 {
        let bias = if positives == 0 { -8.0 } else { 8.0 };
        return Model { weights: vec![0.0; dim], bias };
    }
    let pos_weight = (negatives as f64 / positives as f64).clamp(1.0, MAX_CLASS_WEIGHT);
    let mut v = vec![0.0f64; dim];
    let mut scale = 1.0f64;
    let mut bias = 0.0f64;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = SplitMix::new(params.seed);
    let mut t = 0.0f64;
    for _ in 0..params.epochs {
        rng.shuffle(&mut order);
        for &k in &order {
            let (x, y) = examples[k];
            let eta = params.eta0 / (1.0 + params.eta0 * params.lambda * t);
            t += 1.0;
            let z: f64 =
                x.index.iter().zip(&x.value).map(|(&i, &xv)| v[i as usize] * xv as f64).sum::<f64>() * scale + bias;
            let (target, weight) = if y { (1.0, pos_weight) } else { (0.0, 1.0) };
            let gradient = weight * (sigmoid(z) - target);
            scale *= 1.0 - eta * params.lambda;
            if scale < 1e-9 {
                v.iter_mut().for_each(|w| *w *= scale);
                scale = 1.0;
            }
            let step = eta * gradient / scale;
            for (&i, &xv) in x.index.iter().zip(&x.value) {
                v[i as usize] -= step * xv as f64;
            }
            bias -= eta * gradient;
        }
    }
    Model { weights: v.iter().map(|w| (w * scale) as f32).collect(), bias: bias as f32 }
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
