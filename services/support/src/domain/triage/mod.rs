//! Triage: every new ticket's intent, urgency and sentiment, each with a
//! confidence, from a multinomial logistic regression (linfa) over TF-IDF
//! features of the message. The model is trained in the repo from
//! `triage/corpus.jsonl` (`make train-triage`, [`train`]) and shipped as
//! `triage/model.json`; classifying is a dot product, no network call.
//! Below the model's confidence threshold the intent is "needs a person"
//! rather than a guess.

mod evaluate;
mod features;
mod train;

use linfa_logistic::MultiFittedLogisticRegression;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

pub use evaluate::{ClassScores, Evaluation, HeadEvaluation, ReliabilityBin, evaluate};
pub use features::Features;
pub use train::{Example, TrainingParams, load_corpus, train};

/// The intents a ticket is classified into (the corpus' labels).
pub const INTENTS: [&str; 9] = [
    "where_is_my_order",
    "return_request",
    "damaged_item",
    "wrong_item",
    "cancel_order",
    "change_address",
    "billing_question",
    "product_question",
    "other",
];
pub const URGENCIES: [&str; 3] = ["low", "normal", "high"];
pub const SENTIMENTS: [&str; 3] = ["negative", "neutral", "positive"];

/// The model shipped with the service (what `make train-triage` wrote).
pub const SHIPPED_MODEL: &str = include_str!("../../../triage/model.json");

/// One classifier over the shared features.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Head {
    /// L2 regularisation it was trained with (chosen by grouped
    /// cross-validation on the training split).
    pub alpha: f64,
    pub regression: MultiFittedLogisticRegression<f64, String>,
}

impl Head {
    /// Class probabilities per row of `x`, in `classes()` order.
    fn probabilities(&self, x: &Array2<f64>) -> Array2<f64> {
        self.regression.predict_probabilities(x)
    }

    fn classes(&self) -> &[String] {
        self.regression.classes()
    }
}

/// The trained triage model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// Bumped when the feature extraction changes (an old file is refused).
    pub format: u32,
    pub features: Features,
    pub intent: Head,
    pub urgency: Head,
    pub sentiment: Head,
    /// An intent below this confidence is left to a person.
    pub intent_threshold: f64,
}

pub const MODEL_FORMAT: u32 = 1;

/// A label and how sure the model is of it (its probability).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub label: String,
    pub confidence: f64,
}

/// What triage says about one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Triage {
    /// The most likely intent, whether or not it clears the threshold.
    pub intent: Scored,
    /// Every intent, most likely first (a message may ask two things).
    pub intents: Vec<Scored>,
    pub urgency: Scored,
    pub sentiment: Scored,
    /// The intent's confidence is below the model's threshold: a person
    /// decides, nothing is suggested or auto-replied on its strength.
    pub needs_person: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the triage model does not parse: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("the triage model has format {found}, this build reads {MODEL_FORMAT}")]
    Format { found: u32 },
    #[error("the triage model's {head} head has {found} features, the vocabulary {expected}")]
    Shape {
        head: &'static str,
        found: usize,
        expected: usize,
    },
}

impl Model {
    pub fn from_json(json: &str) -> Result<Model, ModelError> {
        let mut model: Model = serde_json::from_str(json)?;
        if model.format != MODEL_FORMAT {
            return Err(ModelError::Format {
                found: model.format,
            });
        }
        let expected = model.features.len();
        for (head, h) in [
            ("intent", &model.intent),
            ("urgency", &model.urgency),
            ("sentiment", &model.sentiment),
        ] {
            let found = h.regression.params().nrows();
            if found != expected {
                return Err(ModelError::Shape {
                    head,
                    found,
                    expected,
                });
            }
        }
        model.features.index();
        Ok(model)
    }

    pub fn shipped() -> Result<Model, ModelError> {
        Model::from_json(SHIPPED_MODEL)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model serialises")
    }

    /// Classifies many messages at once (one matrix product per head).
    pub fn classify_all<S: AsRef<str>>(&self, texts: &[S]) -> Vec<Triage> {
        let x = self.features.matrix(texts);
        let intents = self.intent.probabilities(&x);
        let urgencies = self.urgency.probabilities(&x);
        let sentiments = self.sentiment.probabilities(&x);
        (0..texts.len())
            .map(|i| {
                let intents_ranked = ranked(self.intent.classes(), intents.row(i).iter().copied());
                let intent = intents_ranked[0].clone();
                let urgency =
                    ranked(self.urgency.classes(), urgencies.row(i).iter().copied()).swap_remove(0);
                let sentiment = ranked(self.sentiment.classes(), sentiments.row(i).iter().copied())
                    .swap_remove(0);
                Triage {
                    needs_person: intent.confidence < self.intent_threshold,
                    intent,
                    intents: intents_ranked,
                    urgency,
                    sentiment,
                }
            })
            .collect()
    }

    pub fn classify(&self, text: &str) -> Triage {
        self.classify_all(&[text]).swap_remove(0)
    }
}

/// Labels with their probabilities, most likely first (ties by label).
fn ranked(classes: &[String], probabilities: impl Iterator<Item = f64>) -> Vec<Scored> {
    let mut scored: Vec<Scored> = classes
        .iter()
        .zip(probabilities)
        .map(|(label, confidence)| Scored {
            label: label.clone(),
            confidence,
        })
        .collect();
    scored.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then_with(|| a.label.cmp(&b.label))
    });
    scored
}

/// The shipped model, parsed once per process (it is compiled in, and a test
/// checks it parses: a failure here is a build that must not ship).
pub fn model() -> &'static Model {
    static MODEL: std::sync::LazyLock<Model> =
        std::sync::LazyLock::new(|| Model::shipped().expect("the shipped triage model parses"));
    &MODEL
}
