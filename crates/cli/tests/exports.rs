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
