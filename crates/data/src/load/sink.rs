//! Where the readers put what they find wrong: problems, skipped rows and warnings.

use crate::fxhash::FxHashSet;
use crate::problem::{DataProblem, SkippedRow};

use super::cells::At;

/// Problems, skipped rows and warnings of one chunk of one file. Lines are relative to the
/// chunk until the orchestrator shifts them.
pub(crate) struct Sink<'a> {
    pub(crate) file: &'a str,
    pub(crate) skip: bool,
    pub(crate) problems: Vec<DataProblem>,
    pub(crate) skipped: Vec<SkippedRow>,
    pub(crate) warnings: Vec<DataProblem>,
    warned: FxHashSet<String>,
    row: Vec<DataProblem>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(file: &'a str, skip: bool) -> Self {
        Sink {
            file,
            skip,
            problems: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            warned: FxHashSet::default(),
            row: Vec::new(),
        }
    }

    /// Notes a problem of the current row.
    pub(crate) fn add(&mut self, at: At, (message, help): (String, Option<String>)) {
        self.row.push(at.problem(self.file, message, help));
    }

    /// Whether the current row has a problem so far.
    pub(crate) fn row_has_problems(&self) -> bool {
        !self.row.is_empty()
    }

    /// The current row's problems, as one reason.
    pub(crate) fn row_reason(&self) -> String {
        let messages: Vec<&str> = self.row.iter().map(|p| p.message.as_str()).collect();
        messages.join("; ")
    }

    /// Ends the current row. Returns whether it is kept: always without skip-bad-rows (the
    /// problems make the load fail anyway), only when it has no problem with it.
    pub(crate) fn finish_row(&mut self, line: u32, raw: impl FnOnce() -> String) -> bool {
        if self.row.is_empty() {
            return true;
        }
        if self.skip {
            let reason = self.row_reason();
            self.skip_row(line, reason, raw());
            self.row.clear();
            false
        } else {
            self.problems.append(&mut self.row);
            true
        }
    }

    /// Forgets the current row's problems (its record is skipped for another reason).
    pub(crate) fn drop_row(&mut self) {
        self.row.clear();
    }

    /// Sets a row aside.
    pub(crate) fn skip_row(&mut self, line: u32, reason: String, raw: String) {
        self.skipped.push(SkippedRow {
            file: self.file.to_string(),
            line,
            record: None,
            reason,
            raw,
        });
    }

    /// A problem that concerns the whole file.
    pub(crate) fn fatal(&mut self, at: At, message: String, help: Option<String>) {
        self.problems.push(at.problem(self.file, message, help));
    }

    /// A warning, once per `key` in this chunk.
    pub(crate) fn warn(&mut self, key: &str, at: At, message: String, help: Option<String>) {
        if self.warned.insert(key.to_string()) {
            self.warnings.push(at.problem(self.file, message, help));
        }
    }

    /// Whether a warning with this `key` was given in this chunk.
    pub(crate) fn warned(&self, key: &str) -> bool {
        self.warned.contains(key)
    }

    /// Adds `base` to every line (chunk-relative lines become file lines).
    /// Names the CSV column of each problem from the file's `header` (nothing for other
    /// files). A message that starts by naming the field read from that same column
    /// (``field `employees`: …``) no longer needs to: the position says it.
    pub(crate) fn name_columns(&mut self, header: Option<&[String]>) {
        let Some(header) = header else { return };
        for p in self.problems.iter_mut().chain(self.warnings.iter_mut()) {
            let (Some(c), Some(_)) = (p.column, p.line) else {
                continue;
            };
            let Some(name) = header.get(c as usize - 1).filter(|n| !n.is_empty()) else {
                p.column_name = Some(String::new());
                continue;
            };
            let prefix = format!("field `{name}`: ");
            if let Some(rest) = p.message.strip_prefix(&prefix) {
                p.message = rest.to_string();
            }
            p.column_name = Some(name.clone());
        }
    }

    pub(crate) fn shift(&mut self, base: u32) {
        if base == 0 {
            return;
        }
        for p in self.problems.iter_mut().chain(self.warnings.iter_mut()) {
            if let Some(l) = &mut p.line {
                *l += base;
            }
        }
        for s in &mut self.skipped {
            if s.line > 0 {
                s.line += base;
            }
        }
    }
}

/// The message and help for a required field that is missing.
pub(crate) fn missing_field(
    field: &str,
    ty: &str,
    event: Option<&str>,
) -> (String, Option<String>) {
    match event {
        Some(e) => (
            format!("field `{field}` of event `{e}` is missing"),
            Some(format!(
                "the schema requires it; declare it `{field}: {ty}?` to allow missing values"
            )),
        ),
        None => (
            format!("field `{field}` is missing"),
            Some(format!(
                "the schema requires it; declare it `{field}: {ty}?` to allow missing values"
            )),
        ),
    }
}

impl Sink<'_> {
    /// Takes the current row's problems away (to read a nested record).
    pub(crate) fn take_row(&mut self) -> Vec<DataProblem> {
        std::mem::take(&mut self.row)
    }

    /// Puts back problems taken with [`Sink::take_row`].
    pub(crate) fn restore_row(&mut self, mut row: Vec<DataProblem>) {
        row.append(&mut self.row);
        self.row = row;
    }
}
