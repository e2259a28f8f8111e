//! TF-IDF features of a message: word unigrams and bigrams (what is asked)
//! and character trigrams inside words (so "recieved", "theeres" and
//! "cancell" still land near their spelling). Anything with a digit is one
//! token: order and tracking numbers say "an order is named", not which.

use std::collections::{BTreeMap, HashMap};

use ndarray::Array2;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Features {
    /// The terms kept from the training split, in column order.
    pub vocabulary: Vec<String>,
    /// Smoothed inverse document frequency per column.
    pub idf: Vec<f64>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// The terms of one message, with repeats.
pub fn terms(text: &str) -> Vec<String> {
    let lowered = text.to_lowercase();
    let words: Vec<String> = lowered
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.replace('\'', ""))
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_digit()) {
                "<num>".to_string()
            } else {
                w
            }
        })
        .collect();
    let mut out = Vec::with_capacity(words.len() * 6);
    for w in &words {
        out.push(format!("w:{w}"));
        if w != "<num>" && w.chars().count() >= 3 {
            let padded: Vec<char> = format!(" {w} ").chars().collect();
            for tri in padded.windows(3) {
                out.push(format!("c:{}", tri.iter().collect::<String>()));
            }
        }
    }
    for pair in words.windows(2) {
        out.push(format!("b:{} {}", pair[0], pair[1]));
    }
    out
}

impl Features {
    /// The vocabulary of `texts`: terms in at least `min_df` messages, the
    /// `max_terms` most frequent (ties by term, so training is repeatable).
    pub fn fit<S: AsRef<str>>(texts: &[S], min_df: usize, max_terms: usize) -> Features {
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        for text in texts {
            let mut seen: Vec<String> = terms(text.as_ref());
            seen.sort();
            seen.dedup();
            for t in seen {
                *df.entry(t).or_default() += 1;
            }
        }
        let mut kept: Vec<(String, usize)> = df.into_iter().filter(|(_, n)| *n >= min_df).collect();
        kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        kept.truncate(max_terms);
        kept.sort();
        let n = texts.len() as f64;
        let idf = kept
            .iter()
            .map(|(_, d)| ((1.0 + n) / (1.0 + *d as f64)).ln() + 1.0)
            .collect();
        let mut features = Features {
            vocabulary: kept.into_iter().map(|(t, _)| t).collect(),
            idf,
            index: HashMap::new(),
        };
        features.index();
        features
    }

    /// Builds the term → column lookup (after deserialising).
    pub(super) fn index(&mut self) {
        self.index = self
            .vocabulary
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i))
            .collect();
    }

    pub fn len(&self) -> usize {
        self.vocabulary.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vocabulary.is_empty()
    }

    /// One L2-normalised row per message: sublinear term frequency × idf.
    pub fn matrix<S: AsRef<str>>(&self, texts: &[S]) -> Array2<f64> {
        let mut x = Array2::<f64>::zeros((texts.len(), self.len()));
        for (row, text) in texts.iter().enumerate() {
            let mut counts: HashMap<usize, u32> = HashMap::new();
            for t in terms(text.as_ref()) {
                if let Some(&col) = self.index.get(&t) {
                    *counts.entry(col).or_default() += 1;
                }
            }
            let mut norm = 0.0;
            for (&col, &tf) in &counts {
                let w = (1.0 + f64::from(tf).ln()) * self.idf[col];
                x[[row, col]] = w;
                norm += w * w;
            }
            if norm > 0.0 {
                let norm = norm.sqrt();
                for &col in counts.keys() {
                    x[[row, col]] /= norm;
                }
            }
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_one_token_and_words_have_trigrams() {
        let t = terms("Where's order 302-1234567-7654321?");
        assert!(t.contains(&"w:wheres".to_string()));
        assert!(t.contains(&"w:<num>".to_string()));
        assert!(t.contains(&"b:order <num>".to_string()));
        assert!(t.contains(&"c: or".to_string()));
        assert!(!t.iter().any(|x| x.contains("302")));
    }

    #[test]
    fn rows_are_unit_length_and_unknown_words_are_ignored() {
        let f = Features::fit(&["cancel my order", "cancel it please", "my order"], 2, 100);
        let x = f.matrix(&["cancel my order", "zzz qqq"]);
        let norm: f64 = x.row(0).iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-9);
        assert!(x.row(1).iter().all(|v| *v == 0.0));
    }
}
