//! The results as a JUnit XML report, which CI tools show as a list of passed and failed
//! tests: one `testsuite` per test file, one `testcase` per case.

use std::fmt::Write;

use super::{details, Report, Status};

/// The report as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total_time: f64 = report
        .files
        .iter()
        .flat_map(|f| &f.cases)
        .map(|c| c.seconds)
        .sum();
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    let mut suites = String::new();
    for file in &report.files {
        let mut body = String::new();
        let (mut t, mut f, mut e) = (0, 0, 0);
        if file.cases.is_empty() && !file.errors.is_empty() {
            // The file could not be read into cases: one test case that errs.
            t += 1;
            e += 1;
            let text: String = file.errors.iter().map(|p| p.rendered.as_str()).collect();
            let first = file.errors.first().map_or("", |p| p.message.as_str());
            let _ = writeln!(
                body,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">\n      <error message=\"{}\" type=\"test file\">{}</error>\n    </testcase>",
                attr("(test file)"),
                attr(&file.file),
                attr(first),
                escape(&text)
            );
        }
        let file_errors: String = file.errors.iter().map(|p| p.rendered.as_str()).collect();
        for case in &file.cases {
            t += 1;
            let _ = write!(
                body,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                attr(&case.name),
                attr(&file.file),
                case.seconds
            );
            match case.status {
                Status::Passed => body.push_str("/>\n"),
                Status::Failed => {
                    f += 1;
                    let n: usize = case.failures.iter().map(|x| x.mismatches.len()).sum();
                    let message = if n == 1 {
                        "1 expectation not met".to_string()
                    } else {
                        format!("{n} expectations not met")
                    };
                    let _ = write!(
                        body,
                        ">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>\n",
                        attr(&message),
                        escape(&details(case))
                    );
                }
                Status::Error => {
                    e += 1;
                    let first = case.errors.first().map_or("", |p| p.message.as_str());
                    let text = format!("{file_errors}{}", details(case));
                    let _ = write!(
                        body,
                        ">\n      <error message=\"{}\" type=\"input\">{}</error>\n    </testcase>\n",
                        attr(first),
                        escape(&text)
                    );
                }
            }
        }
        let time: f64 = file.cases.iter().map(|c| c.seconds).sum();
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"{e}\" skipped=\"0\" time=\"{time:.3}\">\n{body}  </testsuite>\n",
            attr(&file.file)
        );
        tests += t;
        failures += f;
        errors += e;
    }
    let _ = write!(
        out,
        "<testsuites name=\"scoreline test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{total_time:.3}\">\n{suites}</testsuites>\n"
    );
    out
}

/// Text made safe for an XML attribute (line breaks kept as character references).
pub fn attr(text: &str) -> String {
    escape(text).replace('\n', "&#10;").replace('\r', "&#13;")
}

/// Text made safe for XML content; characters XML cannot hold are dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\r' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}e"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;e"
        );
        assert_eq!(escape("x\ny"), "x\ny");
        assert_eq!(attr("x\ny"), "x&#10;y");
    }
}
