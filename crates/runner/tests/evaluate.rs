//! `scoreline evaluate`'s metrics against hand-computed cases, one folder per case in
//! `tests/metrics/`: `scores.csv` (an id, then one column per score or segment),
//! `outcomes.csv` (`id,outcome`: true, false or empty), an optional `baseline.csv` (the
//! scores as of the baseline, for PSI), an optional `case.yaml` (`bins`, and the segments
//! with their labels in arm order) and `expected.json` (the metrics, and in `undefined` the
//! null metrics that must come with a reason, as `METRIC of NAME`). Every case also checks
//! the gains and ROC curve: from (0, 0) to (1, 1), monotone, its area equal to the AUC.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use scoreline_runner::evaluate::metrics::{self, Inputs, ScoreColumn, SegmentColumn};
use serde_json::Value;

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Case {
    bins: Option<usize>,
    #[serde(default)]
    segments: BTreeMap<String, Vec<String>>,
}

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/metrics");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/metrics exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// The header and the rows of a CSV file.
fn table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn number(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| cell.parse().expect("a number or an empty cell"))
}

/// The score columns of a table, in column order (every column but the id and `segments`).
fn score_columns(path: &Path, case: &Case, ids: &[String]) -> Vec<ScoreColumn> {
    let (header, rows) = table(path);
    let by_id: BTreeMap<&str, &Vec<String>> = rows.iter().map(|r| (r[0].as_str(), r)).collect();
    header
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, h)| !case.segments.contains_key(*h))
        .map(|(c, h)| ScoreColumn {
            name: h.clone(),
            values: ids
                .iter()
                .map(|id| by_id.get(id.as_str()).and_then(|r| number(&r[c])))
                .collect(),
        })
        .collect()
}

fn run_case(dir: &Path) -> Result<(), String> {
    let case: Case = match std::fs::read_to_string(dir.join("case.yaml")) {
        Ok(text) => serde_yaml::from_str(&text).map_err(|e| format!("case.yaml: {e}"))?,
        Err(_) => Case::default(),
    };
    let (_, outcome_rows) = table(&dir.join("outcomes.csv"));
    let ids: Vec<String> = outcome_rows.iter().map(|r| r[0].clone()).collect();
    let outcomes: Vec<Option<bool>> = outcome_rows
        .iter()
        .map(|r| match r[1].as_str() {
            "true" => Some(true),
            "false" => Some(false),
            "" => None,
            other => panic!("outcome `{other}`"),
        })
        .collect();
    let scores = score_columns(&dir.join("scores.csv"), &case, &ids);
    let baseline = dir
        .join("baseline.csv")
        .exists()
        .then(|| score_columns(&dir.join("baseline.csv"), &case, &ids));
    let (header, rows) = table(&dir.join("scores.csv"));
    let segments: Vec<SegmentColumn> = case
        .segments
        .iter()
        .map(|(name, labels)| {
            let c = header
                .iter()
                .position(|h| h == name)
                .expect("a segment column");
            SegmentColumn {
                name: name.clone(),
                labels: labels.clone(),
                of_contact: ids
                    .iter()
                    .map(|id| {
                        let row = rows.iter().find(|r| &r[0] == id)?;
                        labels.iter().position(|l| *l == row[c])
                    })
                    .collect(),
            }
        })
        .collect();
    let m = metrics::compute(&Inputs {
        outcomes: &outcomes,
        scores: &scores,
        baseline: baseline.as_deref(),
        segments: &segments,
        bins: case.bins.unwrap_or(10),
    });
    let mut expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("expected.json: {e}"))?;
    let undefined = expected
        .as_object_mut()
        .and_then(|o| o.remove("undefined"))
        .unwrap_or(Value::Array(Vec::new()));
    let actual = serde_json::to_value(&m).unwrap();
    let mut diffs = Vec::new();
    compare("", &expected, &actual, &mut diffs);
    let notes: Vec<Value> = m
        .scores
        .iter()
        .flat_map(|s| s.notes.iter())
        .chain(&m.notes)
        .map(|n| {
            assert!(!n.reason.is_empty());
            Value::String(format!("{} of {}", n.metric, n.of))
        })
        .collect();
    // The gains and ROC curve: from (0, 0) to (1, 1), never going back, empty for one class.
    for score in &m.scores {
        let one_class = score.positives == 0 || score.positives == score.present;
        let c = &score.curve;
        if one_class {
            if !c.is_empty() {
                diffs.push(format!("{}: a curve with one class", score.name));
            }
            continue;
        }
        let (first, last) = (c[0], c[c.len() - 1]);
        let monotone = c
            .windows(2)
            .all(|w| w[0].share <= w[1].share && w[0].tpr <= w[1].tpr && w[0].fpr <= w[1].fpr);
        if (first.share, first.tpr, first.fpr) != (0.0, 0.0, 0.0)
            || (last.share, last.tpr, last.fpr) != (1.0, 1.0, 1.0)
            || !monotone
        {
            diffs.push(format!("{}: curve {c:?}", score.name));
        }
        // The area under the ROC curve (trapezoids: a tie is a diagonal step) is the AUC.
        let area: f64 = c
            .windows(2)
            .map(|w| (w[1].fpr - w[0].fpr) * (w[0].tpr + w[1].tpr) / 2.0)
            .sum();
        if score.auc.is_none_or(|auc| (auc - area).abs() > 1e-12) {
            diffs.push(format!(
                "{}: area under the curve {area}, AUC {:?}",
                score.name, score.auc
            ));
        }
    }
    if Value::Array(notes.clone()) != undefined {
        diffs.push(format!("undefined: expected {undefined}, got {notes:?}"));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\nactual:\n{}",
            diffs.join("\n"),
            serde_json::to_string_pretty(&actual).unwrap()
        ))
    }
}

/// Structural equality, numbers within 1e-12.
fn compare(path: &str, expected: &Value, actual: &Value, diffs: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            if (e - a).abs() > 1e-12 {
                diffs.push(format!("{path}: expected {e}, got {a}"));
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            let ek: Vec<&String> = e.keys().collect();
            let ak: Vec<&String> = a.keys().collect();
            if ek != ak {
                diffs.push(format!("{path}: expected keys {ek:?}, got {ak:?}"));
                return;
            }
            for (k, v) in e {
                compare(&format!("{path}.{k}"), v, &a[k], diffs);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                diffs.push(format!(
                    "{path}: expected {} items, got {}",
                    e.len(),
                    a.len()
                ));
                return;
            }
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), e, a, diffs);
            }
        }
        (e, a) if e == a => {}
        (e, a) => diffs.push(format!("{path}: expected {e}, got {a}")),
    }
}

#[test]
fn metrics_match_the_hand_computed_cases() {
    let cases = cases();
    assert!(cases.len() >= 5, "the cases are found");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|dir| {
            run_case(dir)
                .err()
                .map(|e| format!("case {}:\n{e}", dir.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
