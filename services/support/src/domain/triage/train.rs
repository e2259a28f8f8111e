//! Training from the labeled corpus: the vocabulary and three heads, each
//! head's regularisation and the intent's confidence threshold chosen by
//! cross-validation on the training split only, grouped by phrasing (as
//! the held-out split is), so the held-out figures stay honest.

use std::collections::BTreeSet;

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2, Axis};
use serde::Deserialize;

use super::{Features, Head, MODEL_FORMAT, Model};

/// One labeled message of `triage/corpus.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    pub text: String,
    pub intent: String,
    pub urgency: String,
    pub sentiment: String,
    pub phrasing: String,
    pub split: String,
}

/// The corpus, one JSON object per line; an error names the line.
pub fn load_corpus(jsonl: &str) -> anyhow::Result<Vec<Example>> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| anyhow::anyhow!("corpus line {}: {e}", i + 1))
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct TrainingParams {
    pub min_df: usize,
    pub max_terms: usize,
    /// L2 strengths tried per head.
    pub alphas: Vec<f64>,
    pub folds: usize,
    pub max_iterations: u64,
    /// The intent threshold is the lowest confidence at which the
    /// cross-validated predictions above it are at least this precise.
    pub target_precision: f64,
}

impl Default for TrainingParams {
    fn default() -> Self {
        TrainingParams {
            min_df: 2,
            max_terms: 3000,
            alphas: vec![0.03, 0.1, 0.3, 1.0],
            folds: 5,
            max_iterations: 200,
            target_precision: 0.9,
        }
    }
}

type Label = fn(&Example) -> &str;
/// Per row: the predicted label and its probability.
type Predictions = Vec<(String, f64)>;

fn fit(x: &Array2<f64>, y: &[&str], alpha: f64, iterations: u64) -> anyhow::Result<Head> {
    let targets: Array1<String> = y.iter().map(|s| s.to_string()).collect();
    let dataset = Dataset::new(x.clone(), targets);
    let regression = MultiLogisticRegression::default()
        .alpha(alpha)
        .max_iterations(iterations)
        .fit(&dataset)?;
    Ok(Head { alpha, regression })
}

/// Out-of-fold probabilities of the true class' argmax: per training row,
/// (predicted label, its probability), from a model that never saw the
/// row's phrasing.
fn out_of_fold(
    x: &Array2<f64>,
    y: &[&str],
    fold_of: &[usize],
    folds: usize,
    alpha: f64,
    iterations: u64,
) -> anyhow::Result<Predictions> {
    let mut out = vec![(String::new(), 0.0); y.len()];
    for k in 0..folds {
        let train: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] != k).collect();
        let held: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] == k).collect();
        let head = fit(
            &x.select(Axis(0), &train),
            &train.iter().map(|&i| y[i]).collect::<Vec<_>>(),
            alpha,
            iterations,
        )?;
        let p = head.probabilities(&x.select(Axis(0), &held));
        for (r, &i) in held.iter().enumerate() {
            let row = p.row(r);
            let (best, prob) = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .expect("classes");
            out[i] = (head.classes()[best].clone(), *prob);
        }
    }
    Ok(out)
}

fn macro_f1(truth: &[&str], predicted: &[(String, f64)]) -> f64 {
    let classes: BTreeSet<&str> = truth.iter().copied().collect();
    let f1s: Vec<f64> = classes
        .iter()
        .map(|c| {
            let tp = truth
                .iter()
                .zip(predicted)
                .filter(|(t, p)| *t == c && p.0 == *c)
                .count() as f64;
            let fp = truth
                .iter()
                .zip(predicted)
                .filter(|(t, p)| *t != c && p.0 == *c)
                .count() as f64;
            let fn_ = truth
                .iter()
                .zip(predicted)
                .filter(|(t, p)| *t == c && p.0 != *c)
                .count() as f64;
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (2.0 * tp + fp + fn_)
            }
        })
        .collect();
    f1s.iter().sum::<f64>() / f1s.len() as f64
}

/// The lowest threshold (in steps of 0.05) whose accepted predictions are
/// at least `target` precise; 1.0 (always a person) if none is.
fn threshold_for(truth: &[&str], predicted: &[(String, f64)], target: f64) -> f64 {
    (0..20)
        .map(|i| f64::from(i) * 0.05)
        .find(|t| {
            let accepted: Vec<bool> = truth
                .iter()
                .zip(predicted)
                .filter(|(_, p)| p.1 >= *t)
                .map(|(truth, p)| p.0 == *truth)
                .collect();
            !accepted.is_empty()
                && accepted.iter().filter(|ok| **ok).count() as f64 / accepted.len() as f64
                    >= target
        })
        .unwrap_or(1.0)
}

/// Trains the model on `examples` (the training split). `log` hears what
/// cross-validation found.
pub fn train(
    examples: &[Example],
    params: &TrainingParams,
    mut log: impl FnMut(String),
) -> anyhow::Result<Model> {
    anyhow::ensure!(!examples.is_empty(), "no training examples");
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let features = Features::fit(&texts, params.min_df, params.max_terms);
    let x = features.matrix(&texts);
    // Folds by phrasing, assigned round-robin in name order (repeatable).
    let phrasings: Vec<&str> = examples
        .iter()
        .map(|e| e.phrasing.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let fold_of: Vec<usize> = examples
        .iter()
        .map(|e| {
            phrasings
                .binary_search(&e.phrasing.as_str())
                .expect("listed")
                % params.folds
        })
        .collect();
    log(format!(
        "{} examples, {} phrasings, {} terms, {} folds by phrasing",
        examples.len(),
        phrasings.len(),
        features.len(),
        params.folds
    ));

    let mut heads = Vec::new();
    let mut intent_threshold = 1.0;
    let labels: [(&str, Label); 3] = [
        ("intent", |e| e.intent.as_str()),
        ("urgency", |e| e.urgency.as_str()),
        ("sentiment", |e| e.sentiment.as_str()),
    ];
    for (name, label) in labels {
        let y: Vec<&str> = examples.iter().map(label).collect();
        let mut best: Option<(f64, f64, Predictions)> = None;
        for &alpha in &params.alphas {
            let predicted =
                out_of_fold(&x, &y, &fold_of, params.folds, alpha, params.max_iterations)?;
            let score = macro_f1(&y, &predicted);
            log(format!(
                "{name}: alpha {alpha}: cross-validated macro F1 {score:.3}"
            ));
            if best.as_ref().is_none_or(|b| score > b.1) {
                best = Some((alpha, score, predicted));
            }
        }
        let (alpha, _, predicted) = best.expect("at least one alpha");
        if name == "intent" {
            intent_threshold = threshold_for(&y, &predicted, params.target_precision);
            log(format!(
                "intent threshold {intent_threshold:.2} (cross-validated precision ≥ {})",
                params.target_precision
            ));
        }
        heads.push(fit(&x, &y, alpha, params.max_iterations)?);
    }
    let sentiment = heads.pop().expect("three heads");
    let urgency = heads.pop().expect("three heads");
    let intent = heads.pop().expect("three heads");
    Ok(Model {
        format: MODEL_FORMAT,
        features,
        intent,
        urgency,
        sentiment,
        intent_threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_is_the_lowest_that_reaches_the_precision() {
        let truth = ["a", "a", "b", "b"];
        let predicted = vec![
            ("a".to_string(), 0.95),
            ("b".to_string(), 0.40),
            ("b".to_string(), 0.80),
            ("b".to_string(), 0.35),
        ];
        // At 0.40 one of three accepted is wrong; from 0.45 on none is.
        assert!((threshold_for(&truth, &predicted, 0.9) - 0.45).abs() < 1e-9);
        assert_eq!(threshold_for(&truth, &predicted, 0.7), 0.0);
    }

    #[test]
    fn macro_f1_averages_classes() {
        let truth = ["a", "a", "b", "b"];
        let perfect: Vec<(String, f64)> = truth.iter().map(|t| (t.to_string(), 1.0)).collect();
        assert_eq!(macro_f1(&truth, &perfect), 1.0);
        let all_a: Vec<(String, f64)> = truth.iter().map(|_| ("a".to_string(), 1.0)).collect();
        // a: tp 2, fp 2 -> F1 2/3; b: 0.
        assert!((macro_f1(&truth, &all_a) - 1.0 / 3.0).abs() < 1e-12);
    }
}
