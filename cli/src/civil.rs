//! Show and read times the way people write them: Unix milliseconds as RFC 3339 UTC, and
//! RFC 3339 date-times (with an offset) as Unix milliseconds.
//!
//! Dates go through `vouch_core::date::Date`, the calendar the protocol itself uses, so a
//! time shown here names the same day the ledger's deadlines count.

use vouch_core::date::Date;

/// `2026-11-23T01:00:00Z`: the report's formatting, so the terminal and the report agree.
pub use vouch_report::format_ms;

/// Why a date-time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not an RFC 3339 date-time with an offset.
    #[error(
        "{0:?} is not a date-time with an offset such as 2026-11-23T09:00:00+08:00 or 2026-11-23T01:00:00Z"
    )]
    Shape(String),
    /// Before 1970 or too far ahead.
    #[error("{0:?} is outside 1970-01-01 to 9999-12-31")]
    Range(String),
}

/// Unix milliseconds of an RFC 3339 date-time with an offset (TOML offset date-time).
pub fn parse_datetime(text: &str) -> Result<u64, TimeError> {
    let shape = || TimeError::Shape(text.chars().take(64).collect());
    let value: toml::value::Datetime = text.parse().map_err(|_| shape())?;
    let (Some(date), Some(time), Some(offset)) = (value.date, value.time, value.offset) else {
        return Err(shape());
    };
    let day = Date::parse(&format!("{:04}-{:02}-{:02}", date.year, date.month, date.day))
        .map_err(|_| TimeError::Range(text.chars().take(64).collect()))?;
    let offset_minutes: i64 = match offset {
        toml::value::Offset::Z => 0,
        toml::value::Offset::Custom { minutes } => i64::from(minutes),
    };
    let local_ms = day.days_since_epoch() * 86_400_000
        + i64::from(time.hour) * 3_600_000
        + i64::from(time.minute) * 60_000
        + i64::from(time.second) * 1000
        + i64::from(time.nanosecond / 1_000_000);
    u64::try_from(local_ms - offset_minutes * 60_000)
        .map_err(|_| TimeError::Range(text.chars().take(64).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let demo = vouch_core::testkit::DEMO_GENESIS_MS;
        assert_eq!(format_ms(demo), "2026-11-23T01:00:00Z");
        assert_eq!(parse_datetime("2026-11-23T01:00:00Z"), Ok(demo));
        assert_eq!(parse_datetime("2026-11-23T09:00:00+08:00"), Ok(demo));
        assert_eq!(parse_datetime("2026-11-23T09:00:00.250+08:00"), Ok(demo + 250));
        assert_eq!(format_ms(demo + 250), "2026-11-23T01:00:00.250Z");
        assert_eq!(format_ms(0), "1970-01-01T00:00:00Z");
        assert!(matches!(parse_datetime("2026-11-23T09:00:00"), Err(TimeError::Shape(_))));
        assert!(matches!(parse_datetime("2026-11-23"), Err(TimeError::Shape(_))));
        assert!(matches!(parse_datetime("1969-12-31T23:00:00Z"), Err(TimeError::Range(_))));
        assert!(matches!(parse_datetime("1970-01-01T00:00:00+01:00"), Err(TimeError::Range(_))));
    }
}
