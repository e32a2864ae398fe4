//! CRM exports read as they are, through the binary: cases as data. Each folder of
//! `tests/exports/cases` is a project (`scoreline.yaml`, a rule file, data files as a CRM
//! exports them); `scoreline run` is run in it (with the arguments of its `args` file, if it
//! has one) and what it prints, with its exit code, is the case's snapshot.

mod common;
use common::{scoreline, stderr, stdout};

#[test]
fn export_cases() {
    insta::glob!("exports/cases/*/scoreline.yaml", |path| {
        let dir = path.parent().unwrap();
        let args = match std::fs::read_to_string(dir.join("args")) {
            Ok(text) => text.split_whitespace().map(str::to_string).collect(),
            Err(_) => vec!["run".to_string()],
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = scoreline(&args, dir);
        insta::assert_snapshot!(format!(
            "$ scoreline {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            args.join(" "),
            out.status.code().unwrap_or(-1),
            stdout(&out),
            without_times(&stderr(&out))
        ));
        assert!(
            !dir.join("out").exists(),
            "{}: a case writes to its standard output only",
            dir.display()
        );
    });
}

/// The summary line without its timings (`in 4 ms (scoring 1 ms)`), which vary.
fn without_times(text: &str) -> String {
    text.lines()
        .map(|line| match line.rfind(" in ") {
            Some(i) if line.starts_with("scored ") && line.ends_with(" ms)") => {
                format!("{} in [time]\n", &line[..i])
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

/// `init --from CRM` writes the repository's sample (`samples/CRM`), which scores and tests
/// green: the rows each CRM's sample gives, by its own id column.
#[test]
fn crm_samples_score_and_test_green_from_init() {
    let expected = [
        (
            "hubspot",
            "Record ID,fit,engagement,tier,tier_action\n51201,40,51.85,hot,Call within a day\n51202,15,0.25,cold,\n51203,-10,0,cold,\n51204,40,25.39,hot,Call within a day\n51205,40,31.37,hot,Call within a day\n",
        ),
        (
            "salesforce",
            "Lead ID,fit,engagement,tier,tier_action\n00Q5g000001AbCdEAK,50,42.84,hot,Call within a day\n00Q5g000001AbCeEAK,15,0,cold,\n00Q5g000001AbCfEAK,40,4.22,warm,Nurture\n00Q5g000001AbCgEAK,-10,0,cold,\n",
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (crm, scores) in expected {
        let out = scoreline(&["init", "--from", crm, crm], tmp.path());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with(&format!(
                "created `{crm}` from the {crm} export sample: leads.score, scoreline.yaml"
            )),
            "{}",
            stdout(&out)
        );
        let dir = tmp.path().join(crm);
        // The project is the repository's sample, file for file.
        let sample = common::repo().join("samples").join(crm);
        for file in ["leads.score", "scoreline.yaml", "tests/leads.test.yaml"] {
            assert_eq!(
                std::fs::read_to_string(dir.join(file)).unwrap(),
                std::fs::read_to_string(sample.join(file)).unwrap(),
                "{crm}/{file}"
            );
        }
        let out = scoreline(&["run"], &dir);
        assert_eq!(out.status.code(), Some(0), "{crm}: {}", stderr(&out));
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
        assert_eq!(
            std::fs::read_to_string(dir.join("out/scores.csv")).unwrap(),
            scores,
            "{crm}"
        );
        let out = scoreline(&["test"], &dir);
        assert_eq!(out.status.code(), Some(0), "{crm}: {}", stdout(&out));
        assert!(
            stdout(&out).contains("3 passed, 0 failed"),
            "{}",
            stdout(&out)
        );
    }
}
