//! `make train-triage`: trains the triage model from triage/corpus.jsonl's
//! training split, writes triage/model.json, and writes the held-out
//! evaluation between the markers of docs/triage.md. Deterministic: the
//! same corpus gives the same model.

use std::path::PathBuf;

use support::domain::triage::{Model, TrainingParams, evaluate, load_corpus, train};

const BEGIN: &str = "<!-- evaluation: written by make train-triage -->";
const END: &str = "<!-- end of evaluation -->";

fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = load_corpus(&std::fs::read_to_string(root.join("triage/corpus.jsonl"))?)?;
    let (train_split, test_split): (Vec<_>, Vec<_>) =
        corpus.into_iter().partition(|e| e.split == "train");
    let started = std::time::Instant::now();
    let model = train(&train_split, &TrainingParams::default(), |line| {
        eprintln!("{line}")
    })?;
    eprintln!("trained in {:.1} s", started.elapsed().as_secs_f64());
    let json = model.to_json();
    std::fs::write(root.join("triage/model.json"), &json)?;
    // Evaluate the file as written, as the service will load it.
    let loaded = Model::from_json(&json)?;
    let evaluation = evaluate(&loaded, &test_split);
    eprintln!(
        "held-out: intent macro F1 {:.3}, accuracy {:.3}; urgency {:.3}; sentiment {:.3}; model {} KiB",
        evaluation.intent.macro_f1,
        evaluation.intent.accuracy,
        evaluation.urgency.accuracy,
        evaluation.sentiment.accuracy,
        json.len() / 1024
    );
    let doc_path = root.join("../../docs/triage.md");
    let doc = std::fs::read_to_string(&doc_path)?;
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        anyhow::bail!("docs/triage.md lacks the evaluation markers");
    };
    let updated = format!(
        "{}{BEGIN}\n\n{}{}",
        &doc[..b],
        evaluation.markdown(),
        &doc[e..]
    );
    std::fs::write(&doc_path, updated)?;
    eprintln!("wrote triage/model.json and docs/triage.md");
    Ok(())
}
