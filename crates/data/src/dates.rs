//! Dates as exports write them: the `date_formats` of a file (strftime, read by chrono) and
//! the `timezone` its naive times are in (an IANA name, daylight saving from chrono-tz).

use chrono::format::{parse, Item, Parsed, StrftimeItems};
use chrono::{NaiveDateTime, Offset, TimeDelta, TimeZone};
pub use chrono_tz::Tz;

use crate::dialect::BadSetting;

/// How a file's dates are written, besides ISO dates and RFC 3339: formats tried in order,
/// and the time zone of times written without an offset (UTC when none).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dates {
    /// The formats as written (`%d/%m/%Y`), for messages.
    formats: Vec<String>,
    /// The same, parsed once.
    items: Vec<Vec<Item<'static>>>,
    timezone: Option<Tz>,
}

impl Dates {
    /// Reads `date_formats` (strftime, as chrono reads it), for naive times in `timezone`
    /// (see [`parse_timezone`]). A format chrono does not know, or one without a year, is
    /// refused.
    pub fn new(formats: &[String], timezone: Option<Tz>) -> Result<Dates, BadSetting> {
        let mut items = Vec::with_capacity(formats.len());
        for f in formats {
            let parsed = StrftimeItems::new(f).parse_to_owned().map_err(|_| {
                BadSetting::new(
                    format!("`{f}` in `date_formats` is not a date format"),
                    "write formats with strftime codes, such as `%d/%m/%Y`, `%Y-%m-%d %H:%M` or `%Y-%m-%dT%H:%M:%S%.3f%z`",
                )
            })?;
            let has_date = f.contains("%Y")
                || f.contains("%y")
                || f.contains("%F")
                || f.contains("%D")
                || f.contains("%x")
                || f.contains("%s")
                || f.contains("%c")
                || f.contains("%+");
            if !has_date {
                return Err(BadSetting::new(
                    format!("`{f}` in `date_formats` has no year"),
                    "a date format needs a year (`%Y` or `%y`), such as `%d/%m/%Y`",
                ));
            }
            items.push(parsed);
        }
        Ok(Dates {
            formats: formats.to_vec(),
            items,
            timezone,
        })
    }

    /// The formats, as written.
    pub fn formats(&self) -> &[String] {
        &self.formats
    }

    /// The time zone of naive times, if not UTC.
    pub fn timezone(&self) -> Option<Tz> {
        self.timezone
    }

    /// Reads a date: ISO (`2026-11-01`, local midnight under a time zone) and RFC 3339
    /// first, then each format in order. A naive time is read in the time zone: one that a
    /// daylight-saving change repeats is the earlier instant; one that it skips is moved
    /// forward by the gap (`02:30` on a night when clocks go from 02:00 to 03:00 is `03:30`).
    pub(crate) fn parse(&self, text: &[u8]) -> Option<i64> {
        let t = text.trim_ascii();
        if t.len() == 10 && self.timezone.is_some() {
            if let Some(days) = crate::cell::parse_date_bytes(t) {
                let date = chrono::DateTime::from_timestamp_millis(days)?.date_naive();
                return self.local(date.and_hms_opt(0, 0, 0)?);
            }
        } else if let Some(ms) = crate::cell::parse_date_bytes(t) {
            return Some(ms);
        }
        let s = std::str::from_utf8(t).ok()?;
        for items in &self.items {
            let mut parsed = Parsed::new();
            if parse(&mut parsed, s, items.iter()).is_err() {
                continue;
            }
            if let Ok(instant) = parsed.to_datetime() {
                return Some(instant.timestamp_millis());
            }
            if let Ok(naive) = parsed.to_naive_datetime_with_offset(0) {
                if parsed.offset().is_none() {
                    return self.local(naive);
                }
            }
            if let Ok(date) = parsed.to_naive_date() {
                if parsed.hour_div_12().is_none() && parsed.minute().is_none() {
                    return self.local(date.and_hms_opt(0, 0, 0)?);
                }
            }
        }
        None
    }

    /// A naive time in the time zone (UTC without one), as milliseconds since the epoch.
    fn local(&self, naive: NaiveDateTime) -> Option<i64> {
        let Some(tz) = self.timezone else {
            return Some(naive.and_utc().timestamp_millis());
        };
        local_in(tz, naive)
    }
}

/// A naive time in `tz`: repeated times are the earlier instant, skipped ones are moved
/// forward by the gap (the offset in force before the change applies).
pub(crate) fn local_in(tz: Tz, naive: NaiveDateTime) -> Option<i64> {
    use chrono::LocalResult;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(d) => Some(d.timestamp_millis()),
        LocalResult::Ambiguous(a, b) => Some(a.timestamp_millis().min(b.timestamp_millis())),
        LocalResult::None => {
            // No gap lasts a day: a day before, the offset before the change is in force.
            let before = naive.checked_sub_signed(TimeDelta::days(1))?;
            let offset = tz.offset_from_utc_datetime(&before).fix();
            let utc = naive
                .checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
            Some(utc.and_utc().timestamp_millis())
        }
    }
}

/// Reads an IANA time zone name (`Europe/Paris`, `America/New_York`, `UTC`).
pub fn parse_timezone(name: &str) -> Result<Tz, BadSetting> {
    let name = name.trim();
    name.parse::<Tz>().map_err(|_| {
        let names = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
        let help = match scoreline_model::suggest::closest(name, names) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "use an IANA time zone name, such as `Europe/Paris`, `America/New_York` or `UTC`"
                    .into()
            }
        };
        BadSetting {
            message: format!("`{name}` is not a time zone Scoreline knows"),
            help,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn formats_and_time_zones() {
        let f = |v: &[&str], tz: Option<&str>| {
            let tz = tz.map(|t| parse_timezone(t).unwrap());
            Dates::new(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), tz).unwrap()
        };
        let us = f(&["%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M"], None);
        assert_eq!(
            us.parse(b"01/15/2026 10:22"),
            Some(at("2026-01-15T10:22:00Z"))
        );
        assert_eq!(
            us.parse(b"2026-01-15 10:22"),
            Some(at("2026-01-15T10:22:00Z"))
        );
        assert_eq!(us.parse(b"2026-01-15"), Some(at("2026-01-15T00:00:00Z")));
        assert_eq!(us.parse(b"13/15/2026 10:22"), None);
        assert_eq!(us.parse(b"02/30/2026 10:22"), None);
        assert_eq!(us.parse(b"01/15/2026 10:22 extra"), None);
        // Salesforce's instants: milliseconds and an offset without a colon.
        let sf = f(&["%Y-%m-%dT%H:%M:%S%.3f%z"], Some("Europe/Paris"));
        assert_eq!(
            sf.parse(b"2026-01-15T10:22:00.000+0000"),
            Some(at("2026-01-15T10:22:00Z"))
        );
        let fr = f(&["%d/%m/%Y", "%d/%m/%Y %H:%M"], Some("Europe/Paris"));
        // A date alone is local midnight; winter is UTC+1, summer UTC+2.
        assert_eq!(fr.parse(b"15/01/2026"), Some(at("2026-01-14T23:00:00Z")));
        assert_eq!(fr.parse(b"2026-01-15"), Some(at("2026-01-14T23:00:00Z")));
        assert_eq!(
            fr.parse(b"15/07/2026 10:00"),
            Some(at("2026-07-15T08:00:00Z"))
        );
        // 2026-03-29: clocks go from 02:00 to 03:00; 02:30 is skipped, moved to 03:30.
        assert_eq!(
            fr.parse(b"29/03/2026 02:30"),
            Some(at("2026-03-29T01:30:00Z"))
        );
        assert_eq!(
            fr.parse(b"29/03/2026 03:30"),
            Some(at("2026-03-29T01:30:00Z"))
        );
        // 2026-10-25: clocks go from 03:00 back to 02:00; 02:30 happens twice, the first.
        assert_eq!(
            fr.parse(b"25/10/2026 02:30"),
            Some(at("2026-10-25T00:30:00Z"))
        );
        // RFC 3339 keeps its offset whatever the time zone.
        assert_eq!(
            fr.parse(b"2026-01-15T10:00:00Z"),
            Some(at("2026-01-15T10:00:00Z"))
        );
    }

    #[test]
    fn bad_settings() {
        let e = Dates::new(&["%d/%m/%Q".into()], None).unwrap_err();
        assert_eq!(
            e.message,
            "`%d/%m/%Q` in `date_formats` is not a date format"
        );
        let e = Dates::new(&["%H:%M".into()], None).unwrap_err();
        assert_eq!(e.message, "`%H:%M` in `date_formats` has no year");
        let e = parse_timezone("Europe/Pari").unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.help.as_str()),
            (
                "`Europe/Pari` is not a time zone Scoreline knows",
                "did you mean `Europe/Paris`?"
            )
        );
        assert_eq!(parse_timezone("UTC").map(|t| t.name()), Ok("UTC"));
    }
}
