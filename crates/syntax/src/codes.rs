//! Every diagnostic code, in one table: its stage and what it means. The stages use these
//! constants (no code is written anywhere else), `check --format json` and the language
//! server carry them, and the tables of docs/language.md and docs/testing.md list exactly
//! these codes with exactly these words (a test compares them).
//!
//! Codes are stable: a code is never reused for another problem. E00xx syntax; E01xx–E05xx,
//! E07xx and E09xx checking (names, definitions, types, plugins as called, population
//! functions, the data in force, accounts); E08xx and W08xx plugin scripts; W01xx the
//! checker's warnings; T00xx rule-test files.

/// The part of Scoreline that reports a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading a rule file (the parser).
    Syntax,
    /// Checking a rule file: names, types, definitions, against the schema and plugins.
    Checking,
    /// Compiling, loading and calling plugin scripts.
    Plugins,
    /// Reading rule-test files.
    Tests,
}

/// One registered code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// `E0101`, `W0106`, `T0004`…
    pub id: &'static str,
    pub stage: Stage,
    /// What it means, as the docs' table says it.
    pub summary: &'static str,
}

impl Code {
    /// Whether the code is a warning's (`W…`): the others are errors.
    pub fn is_warning(&self) -> bool {
        self.id.starts_with('W')
    }
}

macro_rules! registry {
    ($($id:ident $stage:ident $summary:literal;)*) => {
        $(
            #[doc = $summary]
            pub const $id: &str = stringify!($id);
        )*
        /// Every code, in the docs' order.
        pub const ALL: &[Code] = &[$(Code {
            id: stringify!($id),
            stage: Stage::$stage,
            summary: $summary,
        },)*];
    };
}

registry! {
    E0001 Syntax "something other than what was expected (the message says what was expected, in words)";
    E0002 Syntax "unclosed string";
    E0003 Syntax "unknown character";
    E0004 Syntax "a keyword used as a name";
    E0005 Syntax "bad number (`1.2.3`, `1e5`, too large)";
    E0006 Syntax "bad duration unit (`30m`)";
    E0007 Syntax "invalid date";
    E0008 Syntax "bad escape in a string";
    E0009 Syntax "brackets nested too deeply";
    E0010 Syntax "expression nested too deeply";
    E0011 Syntax "chained comparison (`a < b < c`)";
    E0012 Syntax "`between` without `and`";
    E0013 Syntax "unclosed bracket (names the block and the line it opened on)";
    E0014 Syntax "the file is too complex to parse";
    E0015 Syntax "the `ruleset` header is not first";
    E0016 Syntax "100 syntax errors found: the rest of the file is not read";
    E0101 Checking "unknown name (suggests fields, items, and properties inside `where`)";
    E0102 Checking "unknown event type";
    E0103 Checking "unknown event property";
    E0104 Checking "unknown function";
    E0105 Checking "unknown contact field in `contact.NAME`";
    E0106 Checking "unknown plugin";
    E0107 Checking "an event type or a plugin used as a value";
    E0201 Checking "a name defined twice";
    E0202 Checking "a cycle of references (shows the cycle)";
    E0203 Checking "the schema or a `contact` block declared twice";
    E0204 Checking "a field or property declared twice";
    E0205 Checking "an event type declared twice";
    E0206 Checking "a reserved field misdeclared (`id` not `text`, a property named `at` or `type`)";
    E0207 Checking "an `each` option given twice";
    E0208 Checking "more than one `clamp` in a score";
    E0209 Checking "`clamp LO..HI` with LO > HI";
    E0210 Checking "a `max` cap that is not positive";
    E0211 Checking "a `within` or `decay` duration that is not positive";
    E0212 Checking "a `per` period that is not positive (`per 0d`)";
    E0213 Checking "`keep when` on a segment arm without `when`";
    E0214 Checking "two fields of a schema block reading the same data column (`from`)";
    E0301 Checking "arithmetic on the wrong types";
    E0302 Checking "comparing values of different types";
    E0303 Checking "not a true/false value where a condition is needed";
    E0304 Checking "`in` without a list, or a list of mixed types";
    E0305 Checking "`starts_with`/`ends_with`/`contains`/`matches` on the wrong type";
    E0306 Checking "an invalid regex, or a pattern that is not a quoted string";
    E0307 Checking "a built-in function given the wrong type";
    E0308 Checking "a built-in function given the wrong number of arguments";
    E0309 Checking "points or an expression score that is not a number";
    E0310 Checking "an aggregate's property misused (`count(T.f)`, `sum` of text…)";
    E0311 Checking "an event used as a plain value";
    E0312 Checking "`.field` on something that is not an event";
    E0313 Checking "`between` with bounds of another type";
    E0314 Checking "`??`, `if` or `coalesce` with branches of different types";
    E0315 Checking "ordering texts, bools or lists";
    E0401 Checking "plugin file not found";
    E0402 Checking "the plugin has no such function (lists what it offers)";
    E0403 Checking "a plugin function called with the wrong number of arguments";
    E0404 Checking "a plugin named like a contact field";
    E0501 Checking "a population function over a name that uses another (shows the path)";
    E0502 Checking "a population function inside another";
    E0503 Checking "`ntile` buckets not a whole-number literal ≥ 1";
    E0504 Checking "a population function inside an event filter or `each` points";
    E0701 Checking "a field the data does not have (when the rule file has no schema, found when the data is loaded)";
    E0705 Checking "a plugin function the loaded plugins lack (only for a program that loads other plugins than it checked with)";
    E0706 Checking "a list value holding something other than texts written out";
    E0801 Plugins "a plugin script does not compile (shown at the script's line and column)";
    E0802 Plugins "a plugin script fails while loading";
    E0803 Plugins "a plugin call failed (at run time; the contact's value is missing)";
    W0804 Plugins "a plugin function reads `global::NAME` of a top-level `let`, which functions cannot see (only `const` is)";
    E0901 Checking "a contact item naming an account item bare (write `account.NAME`)";
    E0902 Checking "an account item naming a contact item bare (aggregate it over `contacts`)";
    E0903 Checking "`contacts` outside an account item, or inside `contacts where`";
    E0904 Checking "`account.NAME` (or a bare name in an account item) naming no account field or item";
    E0905 Checking "`top_avg` without a whole K ≥ 1, or K given to another aggregate";
    E0906 Checking "a `contacts` aggregate of the wrong type (`sum` of text), or without a value";
    E0907 Checking "`contact.NAME` or `contact` in an account item where no contact is at hand";
    E0908 Checking "an item named like an account field";
    E0909 Checking "an account item reading a contact item that reads an account item";
    E0910 Checking "a contacts' population function reading `account.` and feeding an account item";
    W0101 Checking "a segment with no default arm";
    W0102 Checking "an arm after the default arm (never reached)";
    W0103 Checking "an arm shadowed by earlier arms (never reached)";
    W0104 Checking "thresholds that leave a gap";
    W0105 Checking "a condition made only of literals (always or never true)";
    W0106 Checking "an unused let";
    W0107 Checking "a let, score or segment named like a contact field";
    W0108 Checking "a segment compared with a label it never gives (`tier == \"hto\"`)";
    T0001 Tests "the file is not valid YAML (at the position where the YAML reader stopped), or a key is written twice in a map (at the second one)";
    T0002 Tests "a key that test files do not have (`case:` for `cases:`, `expected:` for `expect:`…), with a suggestion";
    T0003 Tests "a part with the wrong shape: no `ruleset`, `as_of` or `name`, `as_of: now`, a list where a map is needed…";
    T0004 Tests "the rule file cannot be read (the path is relative to the test file), with a suggestion from the `*.score` files of that folder";
    T0005 Tests "an expectation names no score or segment of the ruleset (`tierr`), or a `NAME_action` of a segment without actions";
    T0006 Tests "a contact without an `id`";
    T0007 Tests "a contact does not fit the schema: a field the schema does not declare, a required field missing, a wrong type, an unknown event type…";
    T0008 Tests "`fired` / `not_fired` names no clause of the ruleset";
    T0009 Tests "a case (or a contact under `expect`) with nothing expected: it would always pass, so it is an error";
    T0010 Tests "a value that is not a number, a bound or a label (`fit: \">= forty\"`)";
    T0011 Tests "`expect` names a contact (or account) that the case does not have";
    T0012 Tests "`expect` names an id that is both a contact's and an account's in the case";
}

/// The registered code `id`, if there is one.
pub fn lookup(id: &str) -> Option<&'static Code> {
    ALL.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in ALL {
            assert!(seen.insert(c.id), "{} registered twice", c.id);
            let (letter, digits) = c.id.split_at(1);
            assert!(matches!(letter, "E" | "W" | "T"), "{}", c.id);
            assert!(
                digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()),
                "{}",
                c.id
            );
            assert!(
                !c.summary.is_empty() && !c.summary.ends_with('.'),
                "{}",
                c.id
            );
        }
        assert_eq!(lookup("E0101").map(|c| c.stage), Some(Stage::Checking));
        assert_eq!(lookup("E0001").map(|c| c.stage), Some(Stage::Syntax));
        assert!(lookup(&["E", "0601"].concat()).is_none());
        assert!(lookup(W0101).is_some_and(Code::is_warning));
    }
}
