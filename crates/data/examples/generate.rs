//! Writes a seeded benchmark data set: `contacts.csv` and `events.csv` (about 10 events per
//! contact) matching the B2B schema of the language reference.
//!
//! `cargo run --release -p scoreline-data --example generate -- --contacts 100000 --seed 1 --out DIR [--realistic]`
//!
//! With `--realistic` the files look like a real CRM export, which is harder to parse: more
//! columns than the rules read (names, company, lead source), sparse
//! property columns in the events (page title, referrer, campaign, e-mail subject; most cells
//! empty), long urls with query strings, quoted cells holding commas and doubled quotes (job
//! titles, page titles), about 4 % webmail addresses with upper-case domains, time stamps with
//! milliseconds, and 1 % of the events arriving late: written at the end of the file, out of
//! contact and time order.
//!
//! The same seed gives the same bytes. No dependency: a splitmix64 generator is inlined.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use scoreline_data::{format_date, parse_date};

/// splitmix64: small, fast and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of `items`, by weight.
    fn pick<'a>(&mut self, items: &[(&'a str, u32)]) -> &'a str {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (item, w) in items {
            if r < *w {
                return item;
            }
            r -= w;
        }
        items[0].0
    }
}

const INDUSTRIES: &[(&str, u32)] = &[
    ("SaaS", 22),
    ("Retail", 15),
    ("Fintech", 10),
    ("Manufacturing", 12),
    ("Healthcare", 9),
    ("Education", 8),
    ("Media", 7),
    ("Logistics", 7),
    ("Public sector", 5),
    ("Consulting", 5),
];
const ROLES: &[(&str, u32)] = &[
    ("CEO", 6),
    ("CMO", 5),
    ("VP Marketing", 5),
    ("Head of Growth", 5),
    ("Marketing Director", 7),
    ("Sales Director", 5),
    ("Marketing Manager", 18),
    ("Product Manager", 10),
    ("Analyst", 12),
    ("Developer", 12),
    ("Intern", 8),
    ("Student", 7),
];
const COUNTRIES: &[(&str, u32)] = &[
    ("FR", 30),
    ("US", 20),
    ("DE", 10),
    ("GB", 10),
    ("ES", 7),
    ("IT", 6),
    ("BE", 5),
    ("NL", 4),
    ("CA", 4),
    ("CH", 4),
];
const FREE_MAIL: &[(&str, u32)] = &[
    ("gmail.com", 50),
    ("yahoo.fr", 15),
    ("hotmail.com", 15),
    ("outlook.com", 15),
    ("orange.fr", 5),
];
const TAGS: &[&str] = &[
    "newsletter",
    "webinar",
    "vip",
    "partner",
    "trial",
    "event_2026",
];
const FIRST: &[&str] = &[
    "ana", "bob", "carla", "david", "emma", "farid", "gina", "hugo", "ines", "jules", "karim",
    "lea", "marc", "nina", "omar", "paula", "quentin", "rose", "sami", "tara",
];
const LAST: &[&str] = &[
    "martin", "bernard", "dubois", "smith", "jones", "muller", "garcia", "rossi", "leroy",
    "moreau", "fischer", "lopez", "brown", "petit", "weber",
];
const EVENTS: &[(&str, u32)] = &[
    ("page_view", 52),
    ("email_open", 20),
    ("email_click", 9),
    ("form_submit", 6),
    ("order", 9),
    ("demo_request", 2),
    ("unsubscribe", 2),
];
const PAGES: &[(&str, u32)] = &[
    ("/pricing", 14),
    ("/", 16),
    ("/product", 12),
    ("/customers", 6),
    ("/about", 5),
    ("/docs/getting-started", 7),
    ("/blog/", 40),
];
const SLUGS: &[&str] = &[
    "lead-scoring-101",
    "rfm-segmentation",
    "churn-signals",
    "b2b-funnel",
    "email-deliverability",
    "marketing-automation",
    "sales-handoff",
];
const FORMS: &[(&str, u32)] = &[
    ("whitepaper", 35),
    ("newsletter", 30),
    ("contact", 20),
    ("webinar", 15),
];

struct Args {
    contacts: u64,
    seed: u64,
    out: PathBuf,
    realistic: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        contacts: 10_000,
        seed: 1,
        out: PathBuf::from("bench-data"),
        realistic: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--contacts" => {
                args.contacts = value()?
                    .replace('_', "")
                    .parse()
                    .map_err(|_| "`--contacts` takes a number".to_string())?
            }
            "--seed" => {
                args.seed = value()?
                    .parse()
                    .map_err(|_| "`--seed` takes a number".to_string())?
            }
            "--out" => args.out = PathBuf::from(value()?),
            "--realistic" => args.realistic = true,
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    Ok(args)
}

fn generate(args: &Args) -> std::io::Result<(u64, u64)> {
    std::fs::create_dir_all(&args.out)?;
    let mut contacts =
        BufWriter::with_capacity(1 << 20, File::create(args.out.join("contacts.csv"))?);
    let mut events = BufWriter::with_capacity(1 << 20, File::create(args.out.join("events.csv"))?);
    writeln!(
        contacts,
        "id,email,industry,role,employees,country,tags,created_at"
    )?;
    writeln!(events, "contact_id,type,at,url,form,amount")?;
    let mut rng = Rng(args.seed);
    const DAY: i64 = 86_400_000;
    let end = parse_date("2026-11-01").unwrap_or_default();
    let start = end - 730 * DAY;
    let mut n_events = 0u64;
    for i in 0..args.contacts {
        let first = FIRST[rng.below(FIRST.len() as u64) as usize];
        let last = LAST[rng.below(LAST.len() as u64) as usize];
        let industry = rng.pick(INDUSTRIES);
        let domain = if rng.below(100) < 30 {
            rng.pick(FREE_MAIL).to_string()
        } else {
            format!("{}{}.com", last, rng.below(5000))
        };
        let employees = if rng.below(100) < 20 {
            String::new()
        } else {
            // Log-uniform from 1 to 20,000.
            ((20_000f64).powf(rng.unit()).floor() as u64).to_string()
        };
        let mut tags = Vec::new();
        for tag in TAGS {
            if rng.below(100) < 15 {
                tags.push(*tag);
            }
        }
        let created = start + (rng.unit() * 700.0 * DAY as f64) as i64;
        writeln!(
            contacts,
            "c{i},{first}.{last}{}@{domain},{industry},{},{employees},{},{},{}",
            i % 1000,
            rng.pick(ROLES),
            rng.pick(COUNTRIES),
            tags.join(";"),
            &format_date(created - created % DAY)[..10],
        )?;
        // Engagement varies a lot between contacts: exponential, about 10 on average.
        let count = (-(1.0 - rng.unit()).ln() * 10.5).floor().min(200.0) as u64;
        for _ in 0..count {
            let at = created + (rng.unit() * (end - created) as f64) as i64;
            let at = format_date(at - at % 1000);
            let kind = rng.pick(EVENTS);
            match kind {
                "page_view" => {
                    let page = rng.pick(PAGES);
                    if page == "/blog/" {
                        let slug = SLUGS[rng.below(SLUGS.len() as u64) as usize];
                        writeln!(events, "c{i},page_view,{at},/blog/{slug},,")?;
                    } else {
                        writeln!(events, "c{i},page_view,{at},{page},,")?;
                    }
                }
                "form_submit" => writeln!(events, "c{i},form_submit,{at},,{},", rng.pick(FORMS))?,
                "order" => {
                    let cents = (20.0 * (250.0f64).powf(rng.unit()) * 100.0).round() as u64;
                    writeln!(
                        events,
                        "c{i},order,{at},,,{}.{:02}",
                        cents / 100,
                        cents % 100
                    )?;
                }
                other => writeln!(events, "c{i},{other},{at},,,")?,
            }
            n_events += 1;
        }
    }
    contacts.flush()?;
    events.flush()?;
    Ok((args.contacts, n_events))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\nusage: generate --contacts N --seed S --out DIR [--realistic]");
            return ExitCode::from(2);
        }
    };
    let result = if args.realistic {
        realistic::generate(&args)
    } else {
        generate(&args)
    };
    match result {
        Ok((c, e)) => {
            println!(
                "wrote {c} contacts and {e} events to {}",
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write to `{}`: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

/// The CRM-export-like data set (`--realistic`).
mod realistic {
    use super::*;

    const TITLES: &[(&str, u32)] = &[
        ("CEO", 4),
        ("\"Director, Marketing\"", 6),
        ("\"VP, Sales & Partnerships\"", 3),
        ("CMO", 3),
        ("Head of Growth", 4),
        ("\"Manager, Demand Generation\"", 9),
        ("Marketing Manager", 12),
        ("\"Product Manager, \"\"Core\"\" team\"", 4),
        ("Analyst", 10),
        ("\"Developer, Backend\"", 9),
        ("Software Engineer", 8),
        ("Intern", 6),
        ("Student", 5),
        ("", 6),
    ];
    const WEBMAIL: &[&str] = &["GMAIL.COM", "Yahoo.fr", "HOTMAIL.COM", "Outlook.com"];
    const SOURCES: &[(&str, u32)] = &[
        ("Organic Search", 30),
        ("Paid Search", 20),
        ("Social Media", 12),
        ("Direct Traffic", 15),
        ("Referrals", 8),
        ("Offline Sources", 5),
        ("", 10),
    ];
    const CAMPAIGNS: &[&str] = &[
        "q4_2026_abm_emea_saas_decision_makers",
        "webinar-lead-scoring-masterclass-nov",
        "retargeting_pricing_visitors_30d",
        "brand_search_exact",
    ];
    const TITLES_PAGE: &[&str] = &[
        "\"Pricing, plans and FAQ | Acme\"",
        "\"Lead scoring 101: points, decay, and hand-off\"",
        "Acme | Home",
        "\"Customers, case studies and \"\"wins\"\"\"",
    ];
    const SUBJECTS: &[&str] = &[
        "\"Your guide to RFM, churn and more\"",
        "November newsletter",
        "\"Last chance: webinar, Thursday 3pm\"",
    ];

    fn url(rng: &mut Rng) -> String {
        let page = rng.pick(PAGES);
        let path = if page == "/blog/" {
            format!("/blog/{}", SLUGS[rng.below(SLUGS.len() as u64) as usize])
        } else {
            page.to_string()
        };
        if rng.below(100) < 12 {
            let campaign = CAMPAIGNS[rng.below(CAMPAIGNS.len() as u64) as usize];
            format!(
                "{path}?utm_source=linkedin&utm_medium=paid_social&utm_campaign={campaign}&utm_content=carousel_v{}&gclid=Cj0KCQiA{:016x}",
                rng.below(9),
                rng.next()
            )
        } else {
            path
        }
    }

    pub(super) fn generate(args: &Args) -> std::io::Result<(u64, u64)> {
        std::fs::create_dir_all(&args.out)?;
        let mut contacts =
            BufWriter::with_capacity(1 << 20, File::create(args.out.join("contacts.csv"))?);
        let mut events =
            BufWriter::with_capacity(1 << 20, File::create(args.out.join("events.csv"))?);
        writeln!(
            contacts,
            "id,email,first_name,last_name,role,company,industry,employees,country,lead_source,tags,created_at"
        )?;
        writeln!(
            events,
            "contact_id,type,at,url,page_title,referrer,form,amount,currency,campaign,email_subject"
        )?;
        let mut rng = Rng(args.seed);
        const DAY: i64 = 86_400_000;
        let end = parse_date("2026-11-01").unwrap_or_default();
        let start = end - 730 * DAY;
        let mut n_events = 0u64;
        let mut late: Vec<String> = Vec::new();
        for i in 0..args.contacts {
            let first = FIRST[rng.below(FIRST.len() as u64) as usize];
            let last = LAST[rng.below(LAST.len() as u64) as usize];
            let industry = rng.pick(INDUSTRIES);
            let company = format!("{}{}", last, rng.below(5000));
            let domain = match rng.below(100) {
                0..=3 => WEBMAIL[rng.below(WEBMAIL.len() as u64) as usize].to_string(),
                4..=29 => rng.pick(FREE_MAIL).to_string(),
                _ => format!("{company}.com"),
            };
            let employees = if rng.below(100) < 20 {
                String::new()
            } else {
                ((20_000f64).powf(rng.unit()).floor() as u64).to_string()
            };
            let mut tags = Vec::new();
            for tag in TAGS {
                if rng.below(100) < 15 {
                    tags.push(*tag);
                }
            }
            let created = start + (rng.unit() * 700.0 * DAY as f64) as i64;
            writeln!(
                contacts,
                "c{i},{first}.{last}{}@{domain},{first},{last},{},\"{company}, Inc.\",{industry},{employees},{},{},{},{}",
                i % 1000,
                rng.pick(TITLES),
                rng.pick(COUNTRIES),
                rng.pick(SOURCES),
                tags.join(";"),
                &format_date(created - created % DAY)[..10],
            )?;
            let count = (-(1.0 - rng.unit()).ln() * 10.5).floor().min(200.0) as u64;
            for _ in 0..count {
                let at = created + (rng.unit() * (end - created) as f64) as i64;
                let stamp = format_date(at);
                // `2026-01-15T10:22:00Z` → `2026-01-15T10:22:00.123Z`
                let at = format!("{}.{:03}Z", &stamp[..19], at.rem_euclid(1000));
                let kind = rng.pick(EVENTS);
                let line = match kind {
                    "page_view" => {
                        let u = url(&mut rng);
                        let title = if rng.below(100) < 10 {
                            TITLES_PAGE[rng.below(TITLES_PAGE.len() as u64) as usize]
                        } else {
                            ""
                        };
                        let referrer = if rng.below(100) < 5 {
                            "https://www.google.com/"
                        } else {
                            ""
                        };
                        format!("c{i},page_view,{at},{u},{title},{referrer},,,,,")
                    }
                    "form_submit" => format!("c{i},form_submit,{at},,,,{},,,,", rng.pick(FORMS)),
                    "order" => {
                        let cents = (20.0 * (250.0f64).powf(rng.unit()) * 100.0).round() as u64;
                        format!(
                            "c{i},order,{at},,,,,{}.{:02},EUR,,",
                            cents / 100,
                            cents % 100
                        )
                    }
                    "email_open" | "email_click" if rng.below(100) < 15 => {
                        let subject = SUBJECTS[rng.below(SUBJECTS.len() as u64) as usize];
                        let campaign = CAMPAIGNS[rng.below(CAMPAIGNS.len() as u64) as usize];
                        format!("c{i},{kind},{at},,,,,,,{campaign},{subject}")
                    }
                    other => format!("c{i},{other},{at},,,,,,,,"),
                };
                if rng.below(100) == 0 {
                    late.push(line);
                } else {
                    writeln!(events, "{line}")?;
                }
                n_events += 1;
            }
        }
        // Late arrivals: shuffled, then appended after every contact's events.
        for k in (1..late.len()).rev() {
            let j = rng.below(k as u64 + 1) as usize;
            late.swap(k, j);
        }
        for line in &late {
            writeln!(events, "{line}")?;
        }
        contacts.flush()?;
        events.flush()?;
        Ok((args.contacts, n_events))
    }
}
