//! Evaluation on labeled messages (the held-out split): per class
//! precision, recall and F1, the confusion matrix, and calibration (do
//! messages classified with confidence 0.8 come out right 80 % of the
//! time?). `make train-triage` writes it to docs/triage.md.

use std::fmt::Write;

use serde::Serialize;

use super::{Example, Model};

#[derive(Debug, Clone, Serialize)]
pub struct ClassScores {
    pub class: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// Predictions whose confidence fell in [lower, upper).
#[derive(Debug, Clone, Serialize)]
pub struct ReliabilityBin {
    pub lower: f64,
    pub upper: f64,
    pub count: usize,
    pub mean_confidence: f64,
    pub accuracy: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeadEvaluation {
    pub head: String,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub classes: Vec<ClassScores>,
    /// confusion[truth][predicted], in `classes` order.
    pub confusion: Vec<Vec<usize>>,
    pub reliability: Vec<ReliabilityBin>,
    /// Expected calibration error over the bins.
    pub ece: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub messages: usize,
    pub intent: HeadEvaluation,
    pub urgency: HeadEvaluation,
    pub sentiment: HeadEvaluation,
    pub intent_threshold: f64,
    /// Share of messages whose intent clears the threshold (the rest go to
    /// a person), and how often those are right.
    pub coverage: f64,
    pub accuracy_above_threshold: f64,
}

fn head(name: &str, classes: &[String], pairs: &[(&str, &str, f64)]) -> HeadEvaluation {
    let at = |c: &str| classes.iter().position(|k| k == c);
    let n = classes.len();
    let mut confusion = vec![vec![0usize; n]; n];
    for (truth, predicted, _) in pairs {
        if let (Some(t), Some(p)) = (at(truth), at(predicted)) {
            confusion[t][p] += 1;
        }
    }
    let scores: Vec<ClassScores> = (0..n)
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = (0..n).map(|t| confusion[t][c]).sum();
            let support: usize = confusion[c].iter().sum();
            let precision = if predicted == 0 {
                0.0
            } else {
                tp / predicted as f64
            };
            let recall = if support == 0 {
                0.0
            } else {
                tp / support as f64
            };
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassScores {
                class: classes[c].clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let correct = pairs.iter().filter(|(t, p, _)| t == p).count();
    let mut reliability = Vec::new();
    let mut ece = 0.0;
    for b in 0..10 {
        let lower = f64::from(b) / 10.0;
        let upper = f64::from(b + 1) / 10.0;
        let inside: Vec<&(&str, &str, f64)> = pairs
            .iter()
            .filter(|(_, _, c)| *c >= lower && (*c < upper || (b == 9 && *c <= 1.0)))
            .collect();
        if inside.is_empty() {
            continue;
        }
        let mean_confidence = inside.iter().map(|p| p.2).sum::<f64>() / inside.len() as f64;
        let accuracy =
            inside.iter().filter(|(t, p, _)| t == p).count() as f64 / inside.len() as f64;
        ece += (inside.len() as f64 / pairs.len() as f64) * (accuracy - mean_confidence).abs();
        reliability.push(ReliabilityBin {
            lower,
            upper,
            count: inside.len(),
            mean_confidence,
            accuracy,
        });
    }
    HeadEvaluation {
        head: name.to_string(),
        accuracy: correct as f64 / pairs.len().max(1) as f64,
        macro_f1: scores.iter().map(|s| s.f1).sum::<f64>() / n.max(1) as f64,
        classes: scores,
        confusion,
        reliability,
        ece,
    }
}

/// Scores `model` on `examples`.
pub fn evaluate(model: &Model, examples: &[Example]) -> Evaluation {
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let triage = model.classify_all(&texts);
    let pairs = |truth: fn(&Example) -> &str, pick: fn(&super::Triage) -> &super::Scored| {
        examples
            .iter()
            .zip(&triage)
            .map(|(e, t)| (truth(e), pick(t).label.as_str(), pick(t).confidence))
            .collect::<Vec<_>>()
    };
    let intent_pairs = pairs(|e| &e.intent, |t| &t.intent);
    let accepted: Vec<&(&str, &str, f64)> = intent_pairs
        .iter()
        .filter(|p| p.2 >= model.intent_threshold)
        .collect();
    Evaluation {
        messages: examples.len(),
        intent: head("intent", model.intent.classes(), &intent_pairs),
        urgency: head(
            "urgency",
            model.urgency.classes(),
            &pairs(|e| &e.urgency, |t| &t.urgency),
        ),
        sentiment: head(
            "sentiment",
            model.sentiment.classes(),
            &pairs(|e| &e.sentiment, |t| &t.sentiment),
        ),
        intent_threshold: model.intent_threshold,
        coverage: accepted.len() as f64 / intent_pairs.len().max(1) as f64,
        accuracy_above_threshold: accepted.iter().filter(|(t, p, _)| t == p).count() as f64
            / accepted.len().max(1) as f64,
    }
}

impl HeadEvaluation {
    fn markdown(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "### {}\n\nAccuracy **{:.3}**, macro F1 **{:.3}**, expected calibration error {:.3}.\n",
            self.head, self.accuracy, self.macro_f1, self.ece
        );
        let _ = writeln!(
            out,
            "| class | precision | recall | F1 | messages |\n|---|---|---|---|---|"
        );
        for c in &self.classes {
            let _ = writeln!(
                out,
                "| {} | {:.3} | {:.3} | {:.3} | {} |",
                c.class, c.precision, c.recall, c.f1, c.support
            );
        }
        let _ = writeln!(out, "\nConfusion (rows: true class, columns: predicted):\n");
        let _ = write!(out, "| true \\ predicted |");
        for c in &self.classes {
            let _ = write!(out, " {} |", c.class);
        }
        let _ = writeln!(out, "\n|---|{}", "---|".repeat(self.classes.len()));
        for (c, row) in self.classes.iter().zip(&self.confusion) {
            let _ = write!(out, "| {} |", c.class);
            for n in row {
                let _ = write!(out, " {n} |");
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(
            out,
            "\nCalibration (predictions by confidence):\n\n| confidence | messages | mean confidence | accuracy |\n|---|---|---|---|"
        );
        for b in &self.reliability {
            let _ = writeln!(
                out,
                "| {:.1}–{:.1} | {} | {:.3} | {:.3} |",
                b.lower, b.upper, b.count, b.mean_confidence, b.accuracy
            );
        }
        let _ = writeln!(out);
    }
}

impl Evaluation {
    /// The evaluation as the Markdown section docs/triage.md carries.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Held-out split: {} messages. Intent threshold {:.2}: {:.1} % of messages clear it \
             and are right {:.1} % of the time; the rest say \"needs a person\".\n",
            self.messages,
            self.intent_threshold,
            self.coverage * 100.0,
            self.accuracy_above_threshold * 100.0
        );
        self.intent.markdown(&mut out);
        self.urgency.markdown(&mut out);
        self.sentiment.markdown(&mut out);
        out
    }
}
