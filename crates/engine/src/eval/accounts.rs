//! Accounts (LANGUAGE.md §13): the account items are a plan of their own, evaluated over the
//! accounts after a first pass over the contacts has computed the contact values they read;
//! contact items then read their account's values.

use scoreline_model::{AsOf, Contact, Dataset, Events, Schema, Value, NO_ACCOUNT};
use scoreline_plugins::capture_log;

use super::interp::{events_until, NO_EVENT};
use super::population::{PartitionStatistics, Statistics};
use super::value::Val;
use super::{map_chunks, EvalOptions, Evaluation, Scratch, CHUNK};
use crate::plan::node::{AccountLevel, MemberCol};
use crate::plan::Plan;

/// What one level's expressions read of the other level.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Levels<'l> {
    /// For contact items: each contact's account (or [`NO_ACCOUNT`]), the accounts' fields, and
    /// the account items contact items read, `kept_width` per account.
    pub of_contact: &'l [u32],
    pub account_rows: &'l [Contact],
    pub kept: &'l [Value],
    pub kept_width: usize,
    /// For account items: the contact values they read (`member_width` per contact), each
    /// account's contacts (`members[member_start[a]..member_start[a + 1]]`), and the contact of
    /// each of the accounts' events.
    pub member_table: &'l [Value],
    pub member_width: usize,
    pub member_start: &'l [u32],
    pub members: &'l [u32],
    pub event_contact: &'l [u32],
    /// The contacts (their ids name them in explanations).
    pub contacts: &'l [Contact],
}

impl Levels<'static> {
    /// Nothing of another level: a file without accounts.
    pub const NONE: Levels<'static> = Levels {
        of_contact: &[],
        account_rows: &[],
        kept: &[],
        kept_width: 0,
        member_table: &[],
        member_width: 0,
        member_start: &[],
        members: &[],
        event_contact: &[],
        contacts: &[],
    };
}

impl<'l> Levels<'l> {
    /// Contact `contact`'s account, if it has one.
    #[inline]
    pub fn account_of(&self, contact: usize) -> Option<usize> {
        match self.of_contact.get(contact) {
            Some(&a) if a != NO_ACCOUNT => Some(a as usize),
            _ => None,
        }
    }

    /// The contacts of account `account`.
    #[inline]
    pub fn members_of(&self, account: usize) -> &'l [u32] {
        match (
            self.member_start.get(account),
            self.member_start.get(account + 1),
        ) {
            (Some(&a), Some(&b)) => &self.members[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Member column `col` of contact `contact`.
    #[inline]
    pub fn member_value(&self, contact: usize, col: usize) -> &'l Value {
        static MISSING: Value = Value::Missing;
        self.member_table
            .get(contact * self.member_width + col)
            .unwrap_or(&MISSING)
    }

    /// The contact of account event `e`.
    #[inline]
    pub fn event_contact(&self, e: u32) -> Option<usize> {
        if e == NO_EVENT {
            return None;
        }
        self.event_contact.get(e as usize).map(|&c| c as usize)
    }
}

/// An evaluation value as a data value (an event or a list computed on the way: missing).
pub(crate) fn to_value(v: &Val<'_>) -> Value {
    match v {
        Val::Missing | Val::Event(_) => Value::Missing,
        Val::Num(n) => Value::Number(*n),
        Val::Bool(b) => Value::Bool(*b),
        Val::Date(d) => Value::Date(*d),
        Val::Str(s) => Value::Text(std::sync::Arc::from(*s)),
        Val::Owned(s) => Value::Text(std::sync::Arc::from(&**s)),
        Val::List(l) => Value::List(std::sync::Arc::from(*l)),
    }
}

/// The account level evaluated: what contact items read of it, the accounts' output, and what
/// an account's explanation needs.
pub(crate) struct AccountRun {
    pub member_table: Vec<Value>,
    pub member_start: Vec<u32>,
    pub members: Vec<u32>,
    /// The accounts as a data set: the account fields as records, their contacts' events.
    pub data: Dataset,
    pub event_contact: Vec<u32>,
    pub evaluation: Evaluation,
    /// The account items contact items read, `kept_width` per account.
    pub kept: Vec<Value>,
    pub kept_width: usize,
    /// The width of `member_table`.
    pub member_width: usize,
}

impl AccountRun {
    /// What account items read (their contacts' values).
    pub fn account_levels<'l>(&'l self, width: usize, data: &'l Dataset) -> Levels<'l> {
        Levels {
            contacts: &data.contacts,
            member_table: &self.member_table,
            member_width: width,
            member_start: &self.member_start,
            members: &self.members,
            event_contact: &self.event_contact,
            ..Levels::NONE
        }
    }
}

/// What contact items read of their accounts.
pub(crate) fn contact_levels<'l>(data: &'l Dataset, run: Option<&'l AccountRun>) -> Levels<'l> {
    Levels {
        of_contact: &data.accounts.of_contact,
        account_rows: &data.accounts.rows,
        kept: run.map_or(&[][..], |r| &r.kept),
        kept_width: run.map_or(0, |r| r.kept_width),
        // The contact values the first pass computed: the contact pass reuses them.
        member_table: run.map_or(&[][..], |r| &r.member_table),
        member_width: run.map_or(0, |r| r.member_width),
        ..Levels::NONE
    }
}

/// The accounts as a data set: one record per account (its fields), each account's events
/// those of its contacts, sorted by time (ties in contacts-file order, then input order).
fn account_dataset(
    data: &Dataset,
    level: &AccountLevel,
    members: (&[u32], &[u32]),
) -> (Dataset, Vec<u32>) {
    let (start, list) = members;
    let schema = Schema {
        contact: if data.schema.account.is_empty() {
            level.plan_schema_fields()
        } else {
            data.schema.account.clone()
        },
        events: data.schema.events.clone(),
        account: Vec::new(),
    };
    let accounts = data.accounts.rows.len();
    let mut events = Events {
        contact_start: vec![0; accounts + 1],
        ..Events::default()
    };
    let mut event_contact = Vec::new();
    if level.uses_events {
        let ev = &data.events;
        let mut wanted = vec![level.event_types.is_none(); data.schema.events.len()];
        for &t in level.event_types.iter().flatten() {
            if let Some(w) = wanted.get_mut(t as usize) {
                *w = true;
            }
        }
        let mut order: Vec<(i64, u32, u32)> = Vec::new();
        for a in 0..accounts {
            order.clear();
            for &c in &list[start[a] as usize..start[a + 1] as usize] {
                for e in ev.of_contact(c as usize) {
                    if wanted.get(ev.type_id[e] as usize).copied().unwrap_or(false) {
                        order.push((ev.at[e], c, e as u32));
                    }
                }
            }
            // Stable: same-instant events keep contacts-file order, then input order.
            order.sort_by_key(|&(at, _, _)| at);
            for &(at, c, e) in &order {
                let e = e as usize;
                events.type_id.push(ev.type_id[e]);
                events.at.push(at);
                events.prop_start.push(events.props.len() as u32);
                events.props.extend_from_slice(ev.props(e));
                event_contact.push(c);
            }
            events.contact_start[a + 1] = events.at.len() as u32;
        }
    }
    let dataset = Dataset {
        schema,
        contacts: data.accounts.rows.clone(),
        events,
        accounts: Default::default(),
    };
    (dataset, event_contact)
}

impl AccountLevel {
    /// The record fields of accounts when the data declares none: the id.
    fn plan_schema_fields(&self) -> Vec<scoreline_model::FieldSpec> {
        vec![scoreline_model::FieldSpec {
            name: "id".into(),
            ty: scoreline_model::FieldType::Text,
            optional: false,
            column: None,
        }]
    }
}

impl Plan {
    /// [`Plan::account_run`], with the contacts' population statistics computed first when the
    /// contact values account items read need them.
    pub(crate) fn prepare_accounts(
        &self,
        data: &Dataset,
        as_of: AsOf,
        options: EvalOptions,
    ) -> Option<AccountRun> {
        let level = self.account.as_deref()?;
        let stats = level
            .pre_uses_population
            .then(|| self.population_pass(data, as_of.millis(), options.pool, &Levels::NONE));
        let all = stats.as_ref().map(|s| s.summary().clone());
        self.account_run(data, as_of, options, stats.as_ref().zip(all.as_ref()))
    }

    /// Evaluates the account items over `data`'s accounts; `population` is the contacts' (for
    /// contact items the account items read that rank contacts).
    pub(crate) fn account_run<'a>(
        &'a self,
        data: &'a Dataset,
        as_of: AsOf,
        options: EvalOptions,
        population: Option<(&PartitionStatistics, &Statistics)>,
    ) -> Option<AccountRun> {
        let level = self.account.as_deref()?;
        let n = data.contacts.len();
        let width = level.members.len();
        let (member_start, members) = data.accounts.members();
        let mut member_table = vec![Value::Missing; n * width];
        if width > 0 && n > 0 {
            let view = population.and_then(|(own, all)| self.population_view(own, all));
            // What account items read of contacts never reads accounts (the checker's E0909).
            let work = |scratch: &mut Scratch<'a>, (chunk, out): (usize, &mut [Value])| {
                // The contact pass prints and reports what these items do; here it is silent.
                let ((), _log) = capture_log(|| {
                    for (i, row) in out.chunks_exact_mut(width).enumerate() {
                        let contact = chunk * CHUNK + i;
                        let events = events_until(data, contact, as_of.millis());
                        self.run_steps(
                            &level.pre_steps,
                            data,
                            (as_of.millis(), options.previous),
                            view.as_ref(),
                            contact,
                            events,
                            scratch,
                            None,
                            &Levels::NONE,
                        );
                        scratch.plugin_errors.borrow_mut().current.clear();
                        let fields = &data.contacts[contact].fields;
                        for (value, col) in row.iter_mut().zip(&level.members) {
                            *value = match *col {
                                MemberCol::Field(f) => {
                                    fields.get(f as usize).cloned().unwrap_or_default()
                                }
                                MemberCol::Slot(s) => scratch
                                    .slots
                                    .get(s as usize)
                                    .map_or(Value::Missing, to_value),
                            };
                        }
                    }
                });
            };
            map_chunks(
                &mut member_table,
                CHUNK * width,
                options.pool,
                || Scratch::<'a>::new(self),
                work,
            );
        }
        let (adata, event_contact) = account_dataset(data, level, (&member_start, &members));
        let levels = Levels {
            member_table: &member_table,
            member_width: width,
            member_start: &member_start,
            members: &members,
            event_contact: &event_contact,
            contacts: &data.contacts,
            ..Levels::NONE
        };
        let plan = &level.plan;
        let own = plan.population_pass(&adata, as_of.millis(), options.pool, &levels);
        let all = own.summary().clone();
        let (mut evaluation, _, kept) = plan.run(
            &adata,
            as_of.millis(),
            (&own, &all),
            options,
            &[],
            &levels,
            &level.kept,
        );
        if !own.log.lines.is_empty() || own.log.dropped > 0 {
            let mut log = own.log.clone();
            log.append(scoreline_plugins::CapturedLog {
                lines: std::mem::take(&mut evaluation.plugin_log),
                dropped: 0,
            });
            evaluation.plugin_log = log.into_lines();
        }
        Some(AccountRun {
            member_table,
            member_start,
            members,
            data: adata,
            event_contact,
            evaluation,
            kept,
            kept_width: level.kept.len(),
            member_width: width,
        })
    }
}
