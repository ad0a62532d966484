//! Count working days against the network's published holiday calendar.
//!
//! A bank must reply within 10 working days of receiving a compliant letter
//! (CONFIRMATIONS.md §2.5); a client's authorisation lapses after 10 working days. Both
//! clocks skip weekends and public holidays but count adjusted working days (调休), the
//! Saturdays and Sundays the State Council declares working days to bridge a holiday.
//! The network publishes one [`CalendarYear`] document per year on the ledger; the node
//! folds them into a [`Calendar`] (`docs/PROTOCOL.md` §9).
//!
//! # Terminology
//!
//! - *Weekend*: Saturday or Sunday.
//! - *Holiday*: a date listed in `holidays`; not a working day unless also listed in
//!   `workdays` (which [`CalendarYear::validate`] forbids).
//! - *Adjusted working day* (调休上班日): a weekend date listed in `workdays`.
//! - *Working day*: an adjusted working day, or a weekday that is not a holiday (R-CAL-6).
//! - *The n-th working day after d*: counting starts the day after `d`; `d` itself never
//!   counts, whether or not it is a working day.

use crate::date::Date;
use crate::limits;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Why a calendar document or a working-day computation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The year is outside the range dates support.
    #[error("R-CAL-1: calendar year {got} is out of range: expected 1970 to 9999")]
    Year {
        /// The year seen.
        got: u16,
    },
    /// A listed date belongs to another year.
    #[error("R-CAL-2: {list} date {date} is not in calendar year {year}")]
    WrongYear {
        /// `holidays` or `workdays`.
        list: &'static str,
        /// The date seen.
        date: Date,
        /// The document's year.
        year: u16,
    },
    /// A list is not strictly ascending (unsorted or duplicated).
    #[error("R-CAL-3: {list} is not strictly ascending: {date} follows {previous}")]
    NotAscending {
        /// `holidays` or `workdays`.
        list: &'static str,
        /// The date out of order.
        date: Date,
        /// The date before it.
        previous: Date,
    },
    /// A date is listed both as a holiday and as an adjusted working day.
    #[error("R-CAL-4: {date} is listed both as a holiday and as a working day: expected one list")]
    BothLists {
        /// The date seen.
        date: Date,
    },
    /// An adjusted working day falls on a weekday (weekdays are working days already).
    #[error("R-CAL-5: workdays date {date} is a weekday: expected a Saturday or Sunday")]
    WorkdayNotWeekend {
        /// The date seen.
        date: Date,
    },
    /// A list is longer than the limit.
    #[error("R-CAL-7: {list} has {got} dates, over the limit of {max}")]
    TooManyDates {
        /// `holidays` or `workdays`.
        list: &'static str,
        /// Dates seen.
        got: usize,
        /// `limits::CALENDAR_DATES_MAX`.
        max: usize,
    },
    /// A deadline longer than the protocol allows.
    #[error("R-CAL-8: deadline of {got} working days is over the limit of {max}")]
    TooManyWorkingDays {
        /// Working days asked for.
        got: u32,
        /// `limits::RESPONSE_DAYS_MAX`.
        max: u32,
    },
    /// No such working day within the scan bound (a calendar of nothing but holidays).
    #[error(
        "R-CAL-8: found only {found} of {wanted} working days after {start} within {scanned} calendar days"
    )]
    NoWorkingDay {
        /// The start date.
        start: Date,
        /// Working days asked for.
        wanted: u32,
        /// Working days found.
        found: u32,
        /// Calendar days scanned (`limits::CALENDAR_SCAN_DAYS_MAX`, or up to 9999-12-31).
        scanned: u32,
    },
}

/// The body of the calendar document the network publishes for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    /// The Gregorian year every date belongs to.
    pub year: u16,
    /// Public holidays (法定节假日及调休放假日), strictly ascending. Weekend dates may be
    /// listed (harmless: they are not working days anyway).
    pub holidays: Vec<Date>,
    /// Adjusted working days (调休上班日), strictly ascending, each a Saturday or Sunday.
    pub workdays: Vec<Date>,
}

impl CalendarYear {
    /// Check rules R-CAL-1 to R-CAL-5 and R-CAL-7.
    pub fn validate(&self) -> Result<(), CalendarError> {
        if !(1970..=9999).contains(&self.year) {
            return Err(CalendarError::Year { got: self.year });
        }
        for (list, dates) in [("holidays", &self.holidays), ("workdays", &self.workdays)] {
            if dates.len() > limits::CALENDAR_DATES_MAX {
                return Err(CalendarError::TooManyDates {
                    list,
                    got: dates.len(),
                    max: limits::CALENDAR_DATES_MAX,
                });
            }
            let mut previous: Option<Date> = None;
            for &date in dates {
                if date.year() != i32::from(self.year) {
                    return Err(CalendarError::WrongYear { list, date, year: self.year });
                }
                if let Some(previous) = previous.filter(|p| *p >= date) {
                    return Err(CalendarError::NotAscending { list, date, previous });
                }
                previous = Some(date);
            }
        }
        for &date in &self.workdays {
            if self.holidays.binary_search(&date).is_ok() {
                return Err(CalendarError::BothLists { date });
            }
            if !date.is_weekend() {
                return Err(CalendarError::WorkdayNotWeekend { date });
            }
        }
        Ok(())
    }
}

/// Every published year's holidays and adjusted working days, merged.
///
/// Years never published count weekdays only, so a missing document shortens no
/// deadline below the weekday rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// Holidays of every published year.
    pub holidays: BTreeSet<Date>,
    /// Adjusted working days of every published year.
    pub workdays: BTreeSet<Date>,
}

impl Calendar {
    /// An empty calendar: weekdays are working days.
    pub fn new() -> Calendar {
        Calendar::default()
    }

    /// Validate `doc` and replace that year's entries with it (R-CAL-9).
    pub fn publish(&mut self, doc: &CalendarYear) -> Result<(), CalendarError> {
        doc.validate()?;
        let year = i32::from(doc.year);
        self.holidays.retain(|d| d.year() != year);
        self.workdays.retain(|d| d.year() != year);
        self.holidays.extend(doc.holidays.iter().copied());
        self.workdays.extend(doc.workdays.iter().copied());
        Ok(())
    }

    /// R-CAL-6: an adjusted working day, or a weekday that is not a holiday.
    pub fn is_working_day(&self, d: Date) -> bool {
        self.workdays.contains(&d) || (!d.is_weekend() && !self.holidays.contains(&d))
    }

    /// The `n`-th working day strictly after `start`; `start` itself for `n = 0` (R-CAL-8).
    ///
    /// Refuses `n` over `limits::RESPONSE_DAYS_MAX`, and gives up with
    /// [`CalendarError::NoWorkingDay`] after `limits::CALENDAR_SCAN_DAYS_MAX` calendar days
    /// (or at 9999-12-31) rather than loop on a calendar of nothing but holidays.
    pub fn add_working_days(&self, start: Date, n: u32) -> Result<Date, CalendarError> {
        if n > limits::RESPONSE_DAYS_MAX {
            return Err(CalendarError::TooManyWorkingDays { got: n, max: limits::RESPONSE_DAYS_MAX });
        }
        let mut day = start;
        let mut found = 0u32;
        let mut scanned = 0u32;
        while found < n {
            let next = day.next();
            if next == day || scanned >= limits::CALENDAR_SCAN_DAYS_MAX {
                return Err(CalendarError::NoWorkingDay { start, wanted: n, found, scanned });
            }
            day = next;
            scanned += 1;
            if self.is_working_day(day) {
                found += 1;
            }
        }
        Ok(day)
    }

    /// Working days in `(from, to]`; negative (minus those in `(to, from]`) if `to < from`.
    ///
    /// Computed in closed form (weekdays by arithmetic, then the listed dates in range),
    /// so it is exact and bounded for any two dates.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        // Weekdays among day numbers below `x`, counted from a Monday: 1970-01-01
        // (day 0) was a Thursday, so day `x` has weekday `(x + 3) mod 7` (Monday = 0).
        let weekdays_below = |x: i64| {
            let y = x + 3;
            5 * y.div_euclid(7) + y.rem_euclid(7).min(5)
        };
        let weekdays =
            weekdays_below(to.days_since_epoch() + 1) - weekdays_below(from.days_since_epoch() + 1);
        let in_range = |set: &BTreeSet<Date>| {
            set.range((std::ops::Bound::Excluded(from), std::ops::Bound::Included(to)))
                .copied()
                .collect::<Vec<_>>()
        };
        let lost = in_range(&self.holidays)
            .into_iter()
            .filter(|d| !d.is_weekend() && !self.workdays.contains(d))
            .count();
        let gained = in_range(&self.workdays).into_iter().filter(|d| d.is_weekend()).count();
        weekdays - i64::try_from(lost).unwrap_or(i64::MAX) + i64::try_from(gained).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn range(from: &str, to: &str) -> Vec<Date> {
        let mut out = vec![];
        let mut day = d(from);
        while day <= d(to) {
            out.push(day);
            day = day.next();
        }
        out
    }

    /// TEST DATA: China's 2026 public-holiday schedule as recalled from the State Council
    /// notice (国办发明电, November 2025). Realistic, but not an authoritative copy: the
    /// network publishes the official calendar on the ledger.
    fn china_2026() -> CalendarYear {
        let mut holidays = vec![];
        for (from, to) in [
            ("2026-01-01", "2026-01-03"), // 元旦
            ("2026-02-15", "2026-02-23"), // 春节
            ("2026-04-04", "2026-04-06"), // 清明节
            ("2026-05-01", "2026-05-05"), // 劳动节
            ("2026-06-19", "2026-06-21"), // 端午节
            ("2026-09-25", "2026-09-27"), // 中秋节
            ("2026-10-01", "2026-10-07"), // 国庆节
        ] {
            holidays.extend(range(from, to));
        }
        let workdays = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
            .map(d)
            .to_vec();
        CalendarYear { year: 2026, holidays, workdays }
    }

    fn calendar() -> Calendar {
        let mut c = Calendar::new();
        c.publish(&china_2026()).unwrap();
        c
    }

    #[test]
    fn working_day_rule() {
        let c = calendar();
        assert!(c.is_working_day(d("2026-02-14")), "adjusted Saturday");
        assert!(!c.is_working_day(d("2026-02-16")), "Spring Festival Monday");
        assert!(!c.is_working_day(d("2026-02-21")), "plain Saturday inside the break");
        assert!(c.is_working_day(d("2026-02-24")), "Tuesday after the break");
        assert!(!c.is_working_day(d("2026-03-01")), "Sunday");
    }

    #[test]
    fn ten_working_days_across_spring_festival() {
        let c = calendar();
        // Received Thursday 2026-02-12. Working days: Fri 13, Sat 14 (adjusted), then the
        // break 15–23, then Tue 24, Wed 25, Thu 26, Fri 27, Sat 28 (adjusted), Mon 2, Tue 3
        // and Wed 4 March.
        assert_eq!(c.add_working_days(d("2026-02-12"), 10).unwrap(), d("2026-03-04"));
        assert_eq!(c.add_working_days(d("2026-02-12"), 0).unwrap(), d("2026-02-12"));
        assert_eq!(c.add_working_days(d("2026-02-12"), 2).unwrap(), d("2026-02-14"));
        assert_eq!(c.add_working_days(d("2026-02-12"), 3).unwrap(), d("2026-02-24"));
        // Without the calendar the same deadline is 2026-02-26.
        assert_eq!(Calendar::new().add_working_days(d("2026-02-12"), 10).unwrap(), d("2026-02-26"));
    }

    #[test]
    fn between_matches_counting() {
        let c = calendar();
        assert_eq!(c.working_days_between(d("2026-02-12"), d("2026-03-04")), 10);
        assert_eq!(c.working_days_between(d("2026-03-04"), d("2026-02-12")), -10);
        assert_eq!(c.working_days_between(d("2026-02-12"), d("2026-02-12")), 0);
        let all = range("2025-12-20", "2027-01-10");
        for (i, from) in all.iter().enumerate().step_by(13) {
            for to in all.iter().skip(i).step_by(7) {
                let counted = range(&from.next().to_string(), &to.to_string())
                    .into_iter()
                    .filter(|x| *x > *from && c.is_working_day(*x))
                    .count();
                assert_eq!(c.working_days_between(*from, *to), counted as i64, "{from} {to}");
            }
        }
        let year = c.working_days_between(d("2025-12-31"), d("2026-12-31"));
        let counted = range("2026-01-01", "2026-12-31").into_iter().filter(|x| c.is_working_day(*x)).count();
        assert_eq!(year, counted as i64);
    }

    #[test]
    fn bounded_on_all_holidays() {
        let mut c = Calendar::new();
        for year in [2026u16, 2027, 2028, 2029] {
            let first = d(&format!("{year}-01-01"));
            let holidays = range(&first.to_string(), &format!("{year}-12-31"));
            c.publish(&CalendarYear {
                year,
                holidays: holidays[..holidays.len().min(400)].to_vec(),
                workdays: vec![],
            })
            .unwrap();
        }
        assert!(matches!(
            c.add_working_days(d("2026-01-01"), 10),
            Err(CalendarError::NoWorkingDay { found: 0, .. })
        ));
        assert!(matches!(
            Calendar::new().add_working_days(d("2026-01-01"), limits::RESPONSE_DAYS_MAX + 1),
            Err(CalendarError::TooManyWorkingDays { .. })
        ));
        assert!(Calendar::new().add_working_days(d("2026-01-01"), limits::RESPONSE_DAYS_MAX).is_ok());
        assert!(matches!(
            Calendar::new().add_working_days(d("9999-12-30"), 5),
            Err(CalendarError::NoWorkingDay { .. })
        ));
    }

    #[test]
    fn publish_replaces_year() {
        let mut c = calendar();
        c.publish(&CalendarYear { year: 2026, holidays: vec![d("2026-03-02")], workdays: vec![] }).unwrap();
        assert!(c.is_working_day(d("2026-02-16")));
        assert!(!c.is_working_day(d("2026-03-02")));
        assert!(!c.is_working_day(d("2026-02-14")));
    }

    #[test]
    fn validate_refusals() {
        let ok = china_2026();
        assert_eq!(ok.validate(), Ok(()));
        let mut bad = ok.clone();
        bad.year = 1969;
        assert!(matches!(bad.validate(), Err(CalendarError::Year { .. })));
        let mut bad = ok.clone();
        bad.holidays.push(d("2027-01-01"));
        assert!(matches!(bad.validate(), Err(CalendarError::WrongYear { .. })));
        let mut bad = ok.clone();
        bad.holidays.swap(0, 1);
        assert!(matches!(bad.validate(), Err(CalendarError::NotAscending { .. })));
        let mut bad = ok.clone();
        bad.workdays.insert(1, d("2026-01-04"));
        assert!(matches!(bad.validate(), Err(CalendarError::NotAscending { .. })));
        let mut bad = ok.clone();
        bad.workdays = vec![d("2026-02-21")];
        assert!(matches!(bad.validate(), Err(CalendarError::BothLists { .. })));
        let mut bad = ok.clone();
        bad.workdays = vec![d("2026-02-13")];
        assert!(matches!(bad.validate(), Err(CalendarError::WorkdayNotWeekend { .. })));
        let mut bad = ok.clone();
        bad.holidays = range("2026-01-01", "2026-12-31");
        bad.holidays.extend(range("2026-01-01", "2026-02-28"));
        assert!(matches!(bad.validate(), Err(CalendarError::TooManyDates { .. })));
        let mut c = Calendar::new();
        assert!(c.publish(&bad).is_err());
        assert_eq!(c, Calendar::new(), "a refused document changes nothing");
    }

    #[test]
    fn serde_shape() {
        let doc =
            CalendarYear { year: 2026, holidays: vec![d("2026-01-01")], workdays: vec![d("2026-01-04")] };
        let bytes = crate::canonical::to_canonical(&doc);
        assert_eq!(bytes, br#"{"holidays":["2026-01-01"],"workdays":["2026-01-04"],"year":2026}"#);
        assert_eq!(
            crate::canonical::from_canonical::<CalendarYear>("calendar", &bytes, 1 << 16).unwrap(),
            doc
        );
        assert!(
            serde_json::from_str::<CalendarYear>(r#"{"holidays":[],"workdays":[],"year":2026,"x":1}"#)
                .is_err()
        );
    }
}
