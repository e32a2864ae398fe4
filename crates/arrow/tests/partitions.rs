//! Scoring Arrow batches gives what `run` gives from the files, in one partition or several
//! (population functions merged across them), and bad batches get clear errors.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use scoreline_arrow::{merge_statistics, output_schema, RulesetSource, Scorer};
use scoreline_data::{load, LoadOptions, LoadRequest};
use scoreline_model::AsOf;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn as_of() -> AsOf {
    AsOf::from_millis(scoreline_data::parse_date("2026-11-01").unwrap())
}

/// A CSV file as a batch of text columns, as a CSV export lands in Arrow (empty cells are
/// empty texts, which the loader reads as a CSV's empty cells).
fn csv_batch(path: &Path) -> RecordBatch {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut builders: Vec<StringBuilder> = headers.iter().map(|_| StringBuilder::new()).collect();
    for row in reader.records() {
        let row = row.unwrap();
        for (b, cell) in builders.iter_mut().zip(row.iter()) {
            b.append_value(cell);
        }
    }
    let fields: Vec<Field> = headers
        .iter()
        .map(|h| Field::new(h, DataType::Utf8, true))
        .collect();
    let arrays: Vec<ArrayRef> = builders
        .into_iter()
        .map(|mut b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// What `run` writes for the example, cell by cell: the files read by the loader, the plugins
/// by the runner, the whole population scored in one go.
fn expected(ruleset: &str, rule_file: &str) -> Vec<Vec<String>> {
    let dir = repo().join("rulesets").join(ruleset);
    let path = dir.join(rule_file);
    let text = std::fs::read_to_string(&path).unwrap();
    let file = Arc::new(scoreline_syntax::SourceFile::new(
        path.display().to_string(),
        text,
    ));
    let plugins = scoreline_runner::sources::PluginFiles::new(&path, Default::default());
    let ruleset = scoreline_engine::Ruleset::check(file, &plugins).unwrap();
    let loaded = load(&LoadRequest {
        contacts: dir.join("data/contacts.csv"),
        events: vec![dir.join("data/events.csv")],
        accounts: None,
        options: LoadOptions {
            schema: ruleset.schema(),
            ..LoadOptions::default()
        },
    })
    .unwrap();
    let plan = ruleset.compile(&loaded.dataset.schema).unwrap();
    let evaluation = plan.score(&loaded.dataset, as_of(), Default::default());
    evaluation
        .rows()
        .map(|row| {
            row.iter()
                .map(|v| match v {
                    scoreline_model::Value::Number(n) => scoreline_data::format_number(*n),
                    scoreline_model::Value::Text(t) => t.to_string(),
                    scoreline_model::Value::Missing => String::new(),
                    other => panic!("an output cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// A batch's rows as text, scores formatted as `run` writes them.
fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            out.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| {
                        if c.is_null(r) {
                            String::new()
                        } else if let Some(f) = c.as_any().downcast_ref::<Float64Array>() {
                            scoreline_data::format_number(f.value(r))
                        } else {
                            c.as_any()
                                .downcast_ref::<StringArray>()
                                .unwrap()
                                .value(r)
                                .to_string()
                        }
                    })
                    .collect(),
            );
        }
    }
    out
}

/// Scores the example's files cut into `parts` partitions (contacts in order; each contact's
/// events with it), with statistics merged across them.
fn score_in_parts(ruleset: &str, rule_file: &str, parts: usize) -> Vec<Vec<String>> {
    let dir = repo().join("rulesets").join(ruleset);
    let source = RulesetSource::read(&dir.join(rule_file)).unwrap();
    // The source travels as JSON, as to an executor.
    let source = RulesetSource::from_json(&source.to_json()).unwrap();
    let scorer = Scorer::new(&source).unwrap();
    let contacts = csv_batch(&dir.join("data/contacts.csv"));
    let events = csv_batch(&dir.join("data/events.csv"));
    let ids = contacts
        .column_by_name("id")
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap()
        .clone();
    let event_ids = events
        .column_by_name("contact_id")
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap()
        .clone();
    let n = contacts.num_rows();
    let size = n.div_ceil(parts);
    let mut partitions = Vec::new();
    for p in 0..parts {
        let range = (p * size).min(n)..((p + 1) * size).min(n);
        let part_contacts = contacts.slice(range.start, range.len());
        let members: std::collections::HashSet<&str> =
            range.clone().map(|i| ids.value(i)).collect();
        let keep = BooleanArray::from(
            (0..event_ids.len())
                .map(|i| members.contains(event_ids.value(i)))
                .collect::<Vec<_>>(),
        );
        let part_events = filter(&events, &keep);
        partitions.push(
            scorer
                .partition(&[part_contacts], &[part_events], "id", as_of())
                .unwrap(),
        );
    }
    let stats: Vec<_> = partitions
        .iter()
        .map(|p| {
            let s = p.statistics().unwrap();
            scoreline_arrow::statistics_from_json(&scoreline_arrow::statistics_to_json(&s)).unwrap()
        })
        .collect();
    let all = merge_statistics(&stats);
    let batches: Vec<RecordBatch> = partitions.iter().map(|p| p.score(&all).unwrap()).collect();
    for b in &batches {
        assert_eq!(b.schema(), output_schema(&scorer, "id"));
    }
    rows(&batches)
}

fn filter(batch: &RecordBatch, keep: &BooleanArray) -> RecordBatch {
    let rows: Vec<usize> = (0..keep.len()).filter(|&i| keep.value(i)).collect();
    let arrays: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| {
            let s = c.as_any().downcast_ref::<StringArray>().unwrap();
            Arc::new(StringArray::from(
                rows.iter()
                    .map(|&i| (!s.is_null(i)).then(|| s.value(i)))
                    .collect::<Vec<_>>(),
            )) as ArrayRef
        })
        .collect();
    RecordBatch::try_new(batch.schema(), arrays).unwrap()
}

#[test]
fn batches_score_as_the_files_do_in_any_number_of_partitions() {
    for (ruleset, file) in [
        ("ecommerce-rfm", "rfm.score"),
        ("b2b-leads", "leads.score"),
        ("subscription-churn", "churn.score"),
    ] {
        let want = expected(ruleset, file);
        assert!(want.len() > 50, "{ruleset}");
        for parts in [1, 2, 5] {
            assert_eq!(
                score_in_parts(ruleset, file, parts),
                want,
                "{ruleset} in {parts} partitions"
            );
        }
    }
}

#[test]
fn partitions_scored_alone_would_rank_against_themselves_only() {
    // The check above would catch a merge that does nothing: scored alone, each of 5
    // partitions ranks its contacts among its own, and RFM's quintiles come out different.
    let dir = repo().join("rulesets/ecommerce-rfm");
    let scorer = Scorer::new(&RulesetSource::read(&dir.join("rfm.score")).unwrap()).unwrap();
    let contacts = csv_batch(&dir.join("data/contacts.csv"));
    let events = csv_batch(&dir.join("data/events.csv"));
    let whole = scorer
        .partition(
            std::slice::from_ref(&contacts),
            std::slice::from_ref(&events),
            "id",
            as_of(),
        )
        .unwrap();
    let first_half = contacts.slice(0, contacts.num_rows() / 2);
    let ids: std::collections::HashSet<String> = rows(std::slice::from_ref(&first_half))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let event_ids = events.column_by_name("contact_id").unwrap();
    let event_ids = event_ids.as_any().downcast_ref::<StringArray>().unwrap();
    let keep = BooleanArray::from(
        (0..event_ids.len())
            .map(|i| ids.contains(event_ids.value(i)))
            .collect::<Vec<_>>(),
    );
    let half = scorer
        .partition(&[first_half], &[filter(&events, &keep)], "id", as_of())
        .unwrap();
    let merged = rows(&[half.score(&whole.statistics().unwrap()).unwrap()]);
    let alone = rows(&[half.score_alone().unwrap()]);
    let want: Vec<Vec<String>> = expected("ecommerce-rfm", "rfm.score")
        .into_iter()
        .take(merged.len())
        .collect();
    assert_eq!(merged, want);
    assert_ne!(alone, want);
}

fn rules(dir: &Path, text: &str) -> RulesetSource {
    let path = dir.join("rules.score");
    std::fs::write(&path, text).unwrap();
    RulesetSource::read(&path).unwrap()
}

const TYPED_RULES: &str = r#"
schema {
  contact { id: text, employees: number?, vip: bool, signed_up: date, tags: list, country: text? }
  event visit { page: text }
}
score fit {
  rule "big" when employees >= 100 => +10
  rule "vip" when vip => +5
  rule "new" when signed_up > 2026-01-01 => +1
  rule "tagged" when "b2b" in tags => +2
  rule "french" when country == "FR" => +3
  each visit where page starts_with "/pricing" => +1.255 max 10
}
segment tier { "hot" when fit >= 15 => "Call" "cold" }
"#;

#[test]
fn typed_arrow_columns_are_read_as_their_types() {
    use arrow_array::builder::{ListBuilder, StringDictionaryBuilder};
    use arrow_array::types::Int32Type;
    use arrow_array::{Date32Array, Int64Array, TimestampMicrosecondArray};
    let dir = tempfile::tempdir().unwrap();
    let scorer = Scorer::new(&rules(dir.path(), TYPED_RULES)).unwrap();
    let mut tags = ListBuilder::new(StringBuilder::new());
    tags.values().append_value("b2b");
    tags.append(true);
    tags.append(true); // an empty list
    let mut country = StringDictionaryBuilder::<Int32Type>::new();
    country.append_value("FR");
    country.append_null();
    let contacts = RecordBatch::try_from_iter(vec![
        (
            "id",
            Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
        ),
        (
            "employees",
            Arc::new(Int64Array::from(vec![Some(250), None])) as ArrayRef,
        ),
        (
            "vip",
            Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
        ),
        // 2026-03-01 and 2025-03-01, as days since 1970.
        (
            "signed_up",
            Arc::new(Date32Array::from(vec![20513, 20148])) as ArrayRef,
        ),
        ("tags", Arc::new(tags.finish()) as ArrayRef),
        ("country", Arc::new(country.finish()) as ArrayRef),
    ])
    .unwrap();
    let at = scoreline_data::parse_date("2026-10-01T10:00:00Z").unwrap() * 1000;
    let events = RecordBatch::try_from_iter(vec![
        (
            "contact_id",
            Arc::new(StringArray::from(vec!["a", "a", "b"])) as ArrayRef,
        ),
        (
            "type",
            Arc::new(StringArray::from(vec!["visit", "visit", "visit"])) as ArrayRef,
        ),
        (
            "at",
            Arc::new(TimestampMicrosecondArray::from(vec![at, at, at]).with_timezone("UTC"))
                as ArrayRef,
        ),
        (
            "page",
            Arc::new(StringArray::from(vec!["/pricing", "/pricing/x", "/blog"])) as ArrayRef,
        ),
    ])
    .unwrap();
    let out = scorer
        .partition(&[contacts], &[events], "id", as_of())
        .unwrap()
        .score_alone()
        .unwrap();
    assert_eq!(
        rows(&[out]),
        vec![
            // 10 + 5 + 1 + 2 + 3 + 2 × 1.255 = 23.51
            vec!["a".to_string(), "23.51".into(), "hot".into(), "Call".into()],
            vec!["b".to_string(), "0".into(), "cold".into(), String::new()],
        ]
    );
}

#[test]
fn bad_input_gets_clear_errors() {
    use arrow_array::Int64Array;
    let dir = tempfile::tempdir().unwrap();
    // A rule file with errors: check's diagnostics.
    let err = Scorer::new(&rules(
        dir.path(),
        "schema { contact { id: text, employees: number } }\nscore fit { rule when emploees > 1 => +1 }\n",
    ))
    .err()
    .unwrap();
    let text = err.to_string();
    assert!(
        text.contains("unknown name `emploees`") && text.contains("rules.score:2:"),
        "{text}"
    );
    // Accounts need every contact of an account together: refused, never partial.
    let err = Scorer::new(&rules(
        dir.path(),
        "schema { contact { id: text, account_id: text? } }\naccount score team = count(contacts)\n",
    ))
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("scores accounts") && err.to_string().contains("scoreline run"),
        "{err}"
    );
    // A plugin that is not there: named with the path it was looked for at.
    let err = Scorer::new(&rules(
        dir.path(),
        "plugin p = \"missing.rhai\"\nscore fit { rule when p.f(1) => +1 }\n",
    ))
    .err()
    .unwrap();
    assert!(err.to_string().contains("missing.rhai"), "{err}");

    let scorer = Scorer::new(&rules(dir.path(), TYPED_RULES)).unwrap();
    // A value that does not fit: the record, its id and the column.
    let contacts = RecordBatch::try_from_iter(vec![
        (
            "id",
            Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
        ),
        (
            "employees",
            Arc::new(StringArray::from(vec!["12", "lots"])) as ArrayRef,
        ),
        (
            "vip",
            Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
        ),
        (
            "signed_up",
            Arc::new(StringArray::from(vec!["2026-01-02", "2026-01-03"])) as ArrayRef,
        ),
        (
            "tags",
            Arc::new(StringArray::from(vec!["", "x;y"])) as ArrayRef,
        ),
    ])
    .unwrap();
    let err = scorer
        .partition(std::slice::from_ref(&contacts), &[], "id", as_of())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("record 2 (`b`)") && err.contains("employees") && err.contains("lots"),
        "{err}"
    );
    // A required column that is absent.
    let without_vip = contacts.project(&[0, 3, 4]).unwrap();
    let err = scorer
        .partition(&[without_vip], &[], "id", as_of())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("vip"), "{err}");
    // An Arrow type with no meaning here.
    let odd = RecordBatch::try_from_iter(vec![(
        "id",
        Arc::new(arrow_array::BinaryArray::from(vec![b"a".as_ref()])) as ArrayRef,
    )])
    .unwrap();
    let err = scorer
        .partition(&[odd], &[], "id", as_of())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("column `id`") && err.contains("Binary"),
        "{err}"
    );
    // An event of a contact that is not in the partition.
    let one = contacts.slice(0, 1);
    let events = RecordBatch::try_from_iter(vec![
        (
            "contact_id",
            Arc::new(StringArray::from(vec!["zz"])) as ArrayRef,
        ),
        (
            "type",
            Arc::new(StringArray::from(vec!["visit"])) as ArrayRef,
        ),
        ("at", Arc::new(Int64Array::from(vec![0])) as ArrayRef),
        ("page", Arc::new(StringArray::from(vec!["/"])) as ArrayRef),
    ])
    .unwrap();
    let one = RecordBatch::try_new(one.schema(), {
        let mut c = one.columns().to_vec();
        c[1] = Arc::new(StringArray::from(vec!["12"]));
        c
    })
    .unwrap();
    let err = scorer
        .partition(&[one], &[events], "id", as_of())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("zz"), "{err}");
}

fn same_data(a: &scoreline_model::Dataset, b: &scoreline_model::Dataset, what: &str) {
    assert_eq!(a.contacts, b.contacts, "{what}: contacts");
    assert_eq!(
        a.events.contact_start, b.events.contact_start,
        "{what}: events per contact"
    );
    assert_eq!(a.events.type_id, b.events.type_id, "{what}: event types");
    assert_eq!(a.events.at, b.events.at, "{what}: event times");
    assert_eq!(
        a.events.prop_start, b.events.prop_start,
        "{what}: properties"
    );
    assert_eq!(a.events.props, b.events.props, "{what}: properties");
}

#[test]
fn the_columnar_path_reads_what_the_loader_reads() {
    for (ruleset, file) in [
        ("ecommerce-rfm", "rfm.score"),
        ("b2b-leads", "leads.score"),
        ("subscription-churn", "churn.score"),
    ] {
        let dir = repo().join("rulesets").join(ruleset);
        let scorer = Scorer::new(&RulesetSource::read(&dir.join(file)).unwrap()).unwrap();
        let contacts = [csv_batch(&dir.join("data/contacts.csv"))];
        let events = [csv_batch(&dir.join("data/events.csv"))];
        let fast = scorer.partition(&contacts, &events, "id", as_of()).unwrap();
        assert!(
            fast.read_by_columns(),
            "{ruleset}: the columnar path was taken"
        );
        let slow = scorer
            .partition_through_records(&contacts, &events, "id", as_of())
            .unwrap();
        assert!(!slow.read_by_columns());
        same_data(fast.dataset(), slow.dataset(), ruleset);
    }
    // Blanks around texts, an empty list, a list with blanks, dates as text and as Arrow
    // dates, numbers as text and as integers, a boolean as text.
    let dir = tempfile::tempdir().unwrap();
    let scorer = Scorer::new(&rules(dir.path(), TYPED_RULES)).unwrap();
    let contacts = RecordBatch::try_from_iter(vec![
        (
            "id",
            Arc::new(StringArray::from(vec![" a ", "b", "c"])) as ArrayRef,
        ),
        (
            "employees",
            Arc::new(StringArray::from(vec![Some(" 12 "), None, Some("")])) as ArrayRef,
        ),
        (
            "vip",
            Arc::new(StringArray::from(vec!["true", "FALSE", " yes "])) as ArrayRef,
        ),
        (
            "signed_up",
            Arc::new(StringArray::from(vec![
                "2026-01-02",
                "2026-01-03T10:00:00Z",
                "2025-12-31",
            ])) as ArrayRef,
        ),
        (
            "tags",
            Arc::new(StringArray::from(vec!["", " x ; y ;", "b2b"])) as ArrayRef,
        ),
        (
            "country",
            Arc::new(StringArray::from(vec![Some(" FR"), None, Some("")])) as ArrayRef,
        ),
    ])
    .unwrap();
    let events = RecordBatch::try_from_iter(vec![
        (
            "contact_id",
            Arc::new(StringArray::from(vec!["b", " a ", "a"])) as ArrayRef,
        ),
        (
            "type",
            Arc::new(StringArray::from(vec!["visit", "visit", "visit"])) as ArrayRef,
        ),
        (
            "at",
            Arc::new(StringArray::from(vec![
                "2026-10-01T10:00:00Z",
                "2026-10-02",
                "2026-09-01T00:00:00.5Z",
            ])) as ArrayRef,
        ),
        (
            "page",
            Arc::new(StringArray::from(vec!["/pricing", " /pricing ", "/x"])) as ArrayRef,
        ),
    ])
    .unwrap();
    let contacts = [contacts];
    let events = [events];
    let slow = scorer
        .partition_through_records(&contacts, &events, "id", as_of())
        .unwrap();
    let fast = scorer.partition(&contacts, &events, "id", as_of()).unwrap();
    assert!(fast.read_by_columns());
    same_data(fast.dataset(), slow.dataset(), "edge cases");
    // A value the columnar path is unsure of: the loader's own error.
    let bad = RecordBatch::try_new(
        contacts[0].schema(),
        contacts[0]
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 1 {
                    Arc::new(StringArray::from(vec![Some("12"), Some("1 2 3"), None])) as ArrayRef
                } else {
                    c.clone()
                }
            })
            .collect(),
    )
    .unwrap();
    let fast = scorer
        .partition(std::slice::from_ref(&bad), &events, "id", as_of())
        .err()
        .unwrap();
    let slow = scorer
        .partition_through_records(&[bad], &events, "id", as_of())
        .err()
        .unwrap();
    assert_eq!(fast.to_string(), slow.to_string());
    assert!(fast.to_string().contains("record 2 (`b`)"), "{fast}");
}

/// Many contacts and events in many batches, read column by column in parallel jobs: the
/// same data set as the loader's, whatever the number of threads (the jobs cut batches and
/// contact groups at places that do not depend on the threads).
#[test]
fn the_columnar_path_gives_the_same_data_on_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let scorer = Scorer::new(&rules(dir.path(), TYPED_RULES)).unwrap();
    let n = 40_000usize;
    let contact_batch = |from: usize, to: usize| {
        let ids: Vec<String> = (from..to).map(|i| format!("c{i}")).collect();
        let employees: Vec<Option<String>> = (from..to)
            .map(|i| (i % 3 != 0).then(|| (i % 500).to_string()))
            .collect();
        let vip: Vec<&str> = (from..to)
            .map(|i| if i % 7 == 0 { "true" } else { "false" })
            .collect();
        let signed: Vec<String> = (from..to)
            .map(|i| format!("2025-{:02}-{:02}", i % 12 + 1, i % 28 + 1))
            .collect();
        let tags: Vec<&str> = (from..to)
            .map(|i| if i % 5 == 0 { "b2b;x" } else { "" })
            .collect();
        let country: Vec<Option<&str>> = (from..to).map(|i| (i % 4 != 0).then_some("FR")).collect();
        RecordBatch::try_from_iter(vec![
            ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
            (
                "employees",
                Arc::new(StringArray::from(employees)) as ArrayRef,
            ),
            ("vip", Arc::new(StringArray::from(vip)) as ArrayRef),
            ("signed_up", Arc::new(StringArray::from(signed)) as ArrayRef),
            ("tags", Arc::new(StringArray::from(tags)) as ArrayRef),
            ("country", Arc::new(StringArray::from(country)) as ArrayRef),
        ])
        .unwrap()
    };
    // Events out of order: contacts spread over the file, times going back and forth, and
    // several events of one contact at the same instant (they keep their input order).
    let m = 3 * n;
    let event_batch = |from: usize, to: usize| {
        let contact: Vec<String> = (from..to).map(|e| format!("c{}", (e * 7919) % n)).collect();
        let kind: Vec<&str> = (from..to).map(|_| "visit").collect();
        let at: Vec<String> = (from..to)
            .map(|e| format!("2026-{:02}-{:02}T10:00:00Z", (e / 11) % 9 + 1, e % 3 + 1))
            .collect();
        let page: Vec<String> = (from..to)
            .map(|e| {
                if e % 2 == 0 {
                    format!("/pricing/{e}")
                } else {
                    format!("/blog/{e}")
                }
            })
            .collect();
        RecordBatch::try_from_iter(vec![
            (
                "contact_id",
                Arc::new(StringArray::from(contact)) as ArrayRef,
            ),
            ("type", Arc::new(StringArray::from(kind)) as ArrayRef),
            ("at", Arc::new(StringArray::from(at)) as ArrayRef),
            ("page", Arc::new(StringArray::from(page)) as ArrayRef),
        ])
        .unwrap()
    };
    // Uneven batches: one large (more than one job), then small ones.
    let cuts = |total: usize| {
        let mut out = vec![(0, total / 2)];
        let mut at = total / 2;
        while at < total {
            out.push((at, (at + 997).min(total)));
            at += 997;
        }
        out
    };
    let contacts: Vec<RecordBatch> = cuts(n)
        .into_iter()
        .map(|(a, b)| contact_batch(a, b))
        .collect();
    let events: Vec<RecordBatch> = cuts(m)
        .into_iter()
        .map(|(a, b)| event_batch(a, b))
        .collect();
    let slow = scorer
        .partition_through_records(&contacts, &events, "id", as_of())
        .unwrap();
    for threads in [1, 2, 4] {
        let fast = scorer
            .partition_on(&contacts, &events, "id", as_of(), threads)
            .unwrap();
        assert!(
            fast.read_by_columns(),
            "{threads} threads: the columnar path was taken"
        );
        same_data(
            fast.dataset(),
            slow.dataset(),
            &format!("{threads} threads"),
        );
        assert_eq!(
            rows(&[fast.score_alone().unwrap()]),
            rows(&[slow.score_alone().unwrap()]),
            "{threads} threads: scores"
        );
    }
}
