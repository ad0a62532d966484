//! TEMPORARY stand-in for the working-day calendar (replaced by the items branch).
#![allow(missing_docs)]
use crate::date::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    pub holidays: BTreeSet<Date>,
    pub workdays: BTreeSet<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    pub year: u16,
    pub holidays: Vec<Date>,
    pub workdays: Vec<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("bad calendar")]
    Bad,
}

impl CalendarYear {
    pub fn validate(&self) -> Result<(), CalendarError> {
        Ok(())
    }
}

impl Calendar {
    pub fn is_working_day(&self, d: Date) -> bool {
        self.workdays.contains(&d) || (!d.is_weekend() && !self.holidays.contains(&d))
    }
    pub fn add_working_days(&self, start: Date, n: u32) -> Result<Date, CalendarError> {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.next();
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        Ok(d)
    }
    pub fn publish(&mut self, year: &CalendarYear) -> Result<(), CalendarError> {
        self.holidays.extend(year.holidays.iter().copied());
        self.workdays.extend(year.workdays.iter().copied());
        Ok(())
    }
}
