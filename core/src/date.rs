//! Calendar dates (`YYYY-MM-DD`) and block timestamps (Unix milliseconds).
//!
//! Dates carry the audit's meaning (as-of date, deadlines, holidays); they are civil dates
//! in the network's time zone, which genesis fixes as a UTC offset. A timestamp becomes a
//! date only through [`Date::from_unix_ms`] with that offset.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Why a date did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not exactly `YYYY-MM-DD` with a real day of a year from 1970 to 9999.
    #[error("invalid date {0:?}: expected YYYY-MM-DD between 1970-01-01 and 9999-12-31")]
    Invalid(String),
}

/// A civil date, `YYYY-MM-DD` in JSON, from 1970-01-01 to 9999-12-31.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

impl Date {
    /// Parse exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let invalid = || DateError::Invalid(text.chars().take(32).collect());
        let b = text.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(invalid());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let s = text.get(r).ok_or_else(invalid)?;
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return Err(invalid());
            }
            s.parse::<u32>().map_err(|_| invalid())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if y < 1970 {
            return Err(invalid());
        }
        let month = time::Month::try_from(u8::try_from(m).map_err(|_| invalid())?).map_err(|_| invalid())?;
        let day = u8::try_from(d).map_err(|_| invalid())?;
        let year = i32::try_from(y).map_err(|_| invalid())?;
        time::Date::from_calendar_date(year, month, day).map(Date).map_err(|_| invalid())
    }

    /// The civil date of `unix_ms` at `utc_offset_minutes` east of UTC.
    pub fn from_unix_ms(unix_ms: u64, utc_offset_minutes: i16) -> Date {
        let local_ms =
            i64::try_from(unix_ms).unwrap_or(i64::MAX).saturating_add(i64::from(utc_offset_minutes) * 60_000);
        let days = local_ms.div_euclid(DAY_MS);
        Date::from_days_since_epoch(days)
    }

    fn from_days_since_epoch(days: i64) -> Date {
        // Julian day of 1970-01-01 is 2440588. Clamp to the supported range.
        let julian = (2_440_588 + days).clamp(2_440_588, 5_373_484);
        let jd = i32::try_from(julian).unwrap_or(2_440_588);
        Date(time::Date::from_julian_day(jd).unwrap_or(time::Date::MIN))
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(&self) -> i64 {
        i64::from(self.0.to_julian_day()) - 2_440_588
    }

    /// The next calendar day (saturating at 9999-12-31).
    pub fn next(&self) -> Date {
        self.0.next_day().filter(|d| d.year() <= 9999).map(Date).unwrap_or(*self)
    }

    /// Saturday or Sunday.
    pub fn is_weekend(&self) -> bool {
        matches!(self.0.weekday(), time::Weekday::Saturday | time::Weekday::Sunday)
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.0.year()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), u8::from(self.0.month()), self.0.day())
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-2-29",
            "2024-02-29T00",
            "1969-12-31",
            "2024-13-01",
            "２０２４-01-01",
            "+024-01-01",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn from_unix_ms_uses_offset() {
        // 2026-11-22T16:30:00Z is 2026-11-23 00:30 in UTC+8.
        let ms = 1_795_365_000_000;
        assert_eq!(Date::from_unix_ms(ms, 0).to_string(), "2026-11-22");
        assert_eq!(Date::from_unix_ms(ms, 480).to_string(), "2026-11-23");
        assert_eq!(Date::parse("2026-11-23").unwrap().days_since_epoch(), 20_780);
        assert!(Date::parse("2026-11-21").unwrap().is_weekend());
        // Far outside the range: clamped to the last supported date, never an overflow.
        assert_eq!(Date::from_unix_ms(u64::MAX, 840).to_string(), "9999-12-31");
    }
}
