//! `scoreline init [--template NAME | --from CRM] DIR`: a new project from one of the example
//! rulesets, or from the sample export of a CRM (`samples/`).
//! The templates are built into the binary, so `init` works wherever scoreline is installed.
//! They are copies, inside this crate (`templates/`, so that its package holds them), of the
//! repository's `rulesets/`, `samples/` and `plugins/`, which stay the originals; a test checks that the
//! copies are the same.

use scoreline_runner::failure::Message;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use scoreline_syntax::ast::Item;

use crate::args::InitArgs;
use crate::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

/// The project templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// B2B lead scoring: profile fit, engagement with decay, hot / warm / cold tiers.
    B2bLeads,
    /// B2B account scoring: people's lead scores, companies' buying-group scores and tiers,
    /// leads routed by their company.
    B2bAccounts,
    /// E-commerce RFM: recency, frequency and monetary quintiles, named RFM segments.
    EcommerceRfm,
    /// Subscription churn: churn and payment risk, retention actions.
    SubscriptionChurn,
}

/// A file of a template: its path in the new project and its text.
type TemplateFile = (&'static str, &'static str);

/// A file of `templates/`, by its path in the repository (`templates/` mirrors it).
macro_rules! repo_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $path))
    };
}

const B2B_LEADS: &[TemplateFile] = &[
    ("leads.score", repo_file!("rulesets/b2b-leads/leads.score")),
    (
        "scoreline.yaml",
        repo_file!("rulesets/b2b-leads/scoreline.yaml"),
    ),
    (
        "data/contacts.csv",
        repo_file!("rulesets/b2b-leads/data/contacts.csv"),
    ),
    (
        "data/events.csv",
        repo_file!("rulesets/b2b-leads/data/events.csv"),
    ),
    (
        "data/closed_won.csv",
        repo_file!("rulesets/b2b-leads/data/closed_won.csv"),
    ),
    (
        "data/problems/contacts.csv",
        repo_file!("rulesets/b2b-leads/data/problems/contacts.csv"),
    ),
    (
        "data/problems/events.csv",
        repo_file!("rulesets/b2b-leads/data/problems/events.csv"),
    ),
    (
        "tests/leads.test.yaml",
        repo_file!("rulesets/b2b-leads/tests/leads.test.yaml"),
    ),
];

const B2B_ACCOUNTS: &[TemplateFile] = &[
    (
        "accounts.score",
        repo_file!("rulesets/b2b-accounts/accounts.score"),
    ),
    (
        "scoreline.yaml",
        repo_file!("rulesets/b2b-accounts/scoreline.yaml"),
    ),
    (
        "data/accounts.csv",
        repo_file!("rulesets/b2b-accounts/data/accounts.csv"),
    ),
    (
        "data/contacts.csv",
        repo_file!("rulesets/b2b-accounts/data/contacts.csv"),
    ),
    (
        "data/events.csv",
        repo_file!("rulesets/b2b-accounts/data/events.csv"),
    ),
    (
        "tests/accounts.test.yaml",
        repo_file!("rulesets/b2b-accounts/tests/accounts.test.yaml"),
    ),
];

const ECOMMERCE_RFM: &[TemplateFile] = &[
    ("rfm.score", repo_file!("rulesets/ecommerce-rfm/rfm.score")),
    (
        "scoreline.yaml",
        repo_file!("rulesets/ecommerce-rfm/scoreline.yaml"),
    ),
    (
        "data/contacts.csv",
        repo_file!("rulesets/ecommerce-rfm/data/contacts.csv"),
    ),
    (
        "data/events.csv",
        repo_file!("rulesets/ecommerce-rfm/data/events.csv"),
    ),
    (
        "tests/rfm.test.yaml",
        repo_file!("rulesets/ecommerce-rfm/tests/rfm.test.yaml"),
    ),
];

const SUBSCRIPTION_CHURN: &[TemplateFile] = &[
    (
        "churn.score",
        repo_file!("rulesets/subscription-churn/churn.score"),
    ),
    (
        "scoreline.yaml",
        repo_file!("rulesets/subscription-churn/scoreline.yaml"),
    ),
    (
        "data/contacts.csv",
        repo_file!("rulesets/subscription-churn/data/contacts.csv"),
    ),
    (
        "data/events.csv",
        repo_file!("rulesets/subscription-churn/data/events.csv"),
    ),
    (
        "tests/churn.test.yaml",
        repo_file!("rulesets/subscription-churn/tests/churn.test.yaml"),
    ),
];

/// The CRMs whose exports `init --from` starts a project for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Crm {
    /// A HubSpot contacts export and its activities (`preset: hubspot`).
    Hubspot,
    /// A Salesforce leads export and its tasks (`preset: salesforce`).
    Salesforce,
}

const HUBSPOT: &[TemplateFile] = &[
    ("leads.score", repo_file!("samples/hubspot/leads.score")),
    (
        "scoreline.yaml",
        repo_file!("samples/hubspot/scoreline.yaml"),
    ),
    (
        "data/contacts.csv",
        repo_file!("samples/hubspot/data/contacts.csv"),
    ),
    (
        "data/activities.csv",
        repo_file!("samples/hubspot/data/activities.csv"),
    ),
    (
        "tests/leads.test.yaml",
        repo_file!("samples/hubspot/tests/leads.test.yaml"),
    ),
];

const SALESFORCE: &[TemplateFile] = &[
    ("leads.score", repo_file!("samples/salesforce/leads.score")),
    (
        "scoreline.yaml",
        repo_file!("samples/salesforce/scoreline.yaml"),
    ),
    (
        "data/leads.csv",
        repo_file!("samples/salesforce/data/leads.csv"),
    ),
    (
        "data/tasks.csv",
        repo_file!("samples/salesforce/data/tasks.csv"),
    ),
    (
        "tests/leads.test.yaml",
        repo_file!("samples/salesforce/tests/leads.test.yaml"),
    ),
];

impl Crm {
    fn name(self) -> &'static str {
        match self {
            Crm::Hubspot => "hubspot",
            Crm::Salesforce => "salesforce",
        }
    }

    /// The sample project (`samples/NAME/`): a schema mapping the export's standard
    /// columns, `preset: NAME`, sample exports with the real header names, rule tests.
    fn files(self) -> &'static [TemplateFile] {
        match self {
            Crm::Hubspot => HUBSPOT,
            Crm::Salesforce => SALESFORCE,
        }
    }
}

/// The example plugins, by file name: a template's rule file may declare any of them.
const PLUGINS: &[TemplateFile] = &[
    ("email_domain.rhai", repo_file!("plugins/email_domain.rhai")),
    (
        "event_history.rhai",
        repo_file!("plugins/event_history.rhai"),
    ),
    ("job_title.rhai", repo_file!("plugins/job_title.rhai")),
];

impl Template {
    fn name(self) -> &'static str {
        match self {
            Template::B2bLeads => "b2b-leads",
            Template::B2bAccounts => "b2b-accounts",
            Template::EcommerceRfm => "ecommerce-rfm",
            Template::SubscriptionChurn => "subscription-churn",
        }
    }

    fn files(self) -> &'static [TemplateFile] {
        match self {
            Template::B2bLeads => B2B_LEADS,
            Template::B2bAccounts => B2B_ACCOUNTS,
            Template::EcommerceRfm => ECOMMERCE_RFM,
            Template::SubscriptionChurn => SUBSCRIPTION_CHURN,
        }
    }
}

/// The files of a template as they go into the new project: rule files declare their
/// plugins as `plugins/NAME.rhai`, and those plugins come along.
fn project_files(template: Template) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut plugins: Vec<&str> = Vec::new();
    for (path, text) in template.files() {
        if !path.ends_with(".score") {
            out.push((path.to_string(), text.to_string()));
            continue;
        }
        let source = std::sync::Arc::new(scoreline_syntax::SourceFile::new(*path, *text));
        let ast = scoreline_syntax::parse(&source)
            .map_err(|_| format!("the template's rule file `{path}` does not parse"))?;
        // Rewrite each plugin path, from the end so that earlier spans stay valid.
        let mut rewritten = text.to_string();
        let mut decls: Vec<_> = ast
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Plugin(p) => Some(p),
                _ => None,
            })
            .collect();
        decls.sort_by_key(|p| std::cmp::Reverse(p.path.span.start));
        for p in decls {
            let file = Path::new(&p.path.value)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Some((name, _)) = PLUGINS.iter().find(|(n, _)| *n == file) else {
                return Err(format!(
                    "the template needs a plugin `{file}` that is not built in"
                ));
            };
            rewritten.replace_range(p.path.span.range(), &format!("\"plugins/{name}\""));
            if !plugins.contains(name) {
                plugins.push(name);
            }
        }
        out.push((path.to_string(), rewritten));
    }
    for name in plugins {
        if let Some((_, text)) = PLUGINS.iter().find(|(n, _)| *n == name) {
            out.push((format!("plugins/{name}"), text.to_string()));
        }
    }
    Ok(out)
}

/// Runs `scoreline init`.
pub fn run(args: InitArgs) -> u8 {
    let dir = args.dir;
    if dir.exists() && !dir.is_dir() {
        crate::render::error(
            &Message::new(format!("`{}` is a file, not a folder", dir.display()))
                .help("name a new folder for the project"),
        );
        return EXIT_USAGE;
    }
    let files = match args.from {
        Some(crm) => crm
            .files()
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect(),
        None => match project_files(args.template) {
            Ok(f) => f,
            Err(message) => {
                crate::render::error(&Message::new(message.to_string()));
                return EXIT_ERRORS;
            }
        },
    };
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|(p, _)| dir.join(p))
        .filter(|p| p.exists())
        .collect();
    if let Some(first) = existing.first() {
        let more = match existing.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        crate::render::error(&Message::new(format!("`{}` already exists{more}; nothing was written", first.display())).help("`init` never overwrites a file: choose a new folder, or move the existing files away"));
        return EXIT_USAGE;
    }
    for (path, text) in &files {
        let target = dir.join(path);
        let written = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(&target, text));
        if let Err(e) = written {
            crate::render::error(&Message::new(format!(
                "cannot write `{}`: {}",
                target.display(),
                scoreline_runner::sources::io_reason(&e)
            )));
            return EXIT_ERRORS;
        }
    }
    let listed: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let origin = match args.from {
        Some(crm) => format!("the {} export sample", crm.name()),
        None => format!("the {} template", args.template.name()),
    };
    outln!(
        "created `{}` from {origin}: {}",
        dir.display(),
        listed.join(", ")
    );
    outln!();
    outln!("next steps:");
    outln!("  cd {}", shell_word(&dir));
    outln!("  scoreline run      # score the sample data into out/scores.csv");
    outln!("  scoreline test     # run the test cases in tests/");
    EXIT_OK
}

/// A path as typed in a shell (quoted when it has spaces or quotes).
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_alphanumeric() || "-_./".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_paths_point_into_the_project() {
        let files = project_files(Template::B2bLeads).unwrap();
        let rules = &files.iter().find(|(p, _)| p == "leads.score").unwrap().1;
        assert!(rules.contains("plugin mailbox = \"plugins/email_domain.rhai\""));
        assert!(!rules.contains("../../plugins"));
        assert!(files.iter().any(|(p, _)| p == "plugins/email_domain.rhai"));
        for t in [Template::EcommerceRfm, Template::SubscriptionChurn] {
            assert!(project_files(t).is_ok());
        }
    }

    /// Every file under `dir`, as paths relative to `root` with `/` between parts.
    fn files_under(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files_under(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }

    /// `templates/` holds copies of repository files (so that the crate's package has them):
    /// each must be the same as its original, and each must be one that `init` embeds.
    #[test]
    fn templates_are_the_same_as_the_repository_files() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let templates = crate_dir.join("templates");
        let repo = crate_dir.join("../..");
        let mut copies = Vec::new();
        files_under(&templates, &templates, &mut copies);
        copies.sort();
        let embedded = B2B_LEADS.len()
            + B2B_ACCOUNTS.len()
            + ECOMMERCE_RFM.len()
            + SUBSCRIPTION_CHURN.len()
            + HUBSPOT.len()
            + SALESFORCE.len();
        assert_eq!(
            copies.len(),
            embedded + PLUGINS.len(),
            "templates/ holds a file that `init` does not embed: {copies:?}"
        );
        for copy in &copies {
            let original = std::fs::read(repo.join(copy)).unwrap_or_else(|e| {
                panic!("`{copy}` is in templates/ but not in the repository: {e}")
            });
            let copied = std::fs::read(templates.join(copy)).unwrap();
            assert!(
                copied == original,
                "crates/cli/templates/{copy} differs from {copy}: copy the repository's file over it \
                 (`cp {copy} crates/cli/templates/{copy}`)"
            );
        }
    }
}
