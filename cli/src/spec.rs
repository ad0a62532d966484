//! Read a genesis spec: the TOML file people write to describe a new network, turned into
//! the `Genesis` document (`core/src/genesis.rs`) that `vouch genesis create` writes.
//!
//! # Terminology
//!
//! - *Spec*: the TOML file. It mirrors the genesis JSON field for field, except that the
//!   genesis time may be written as an RFC 3339 date-time (`time`) instead of Unix
//!   milliseconds (`genesis_ms`), calendar dates may be TOML dates, and the protocol version
//!   defaults to the one this tool implements.
//! - Keys are base64 of the 32 raw bytes, as `vouch keys show` prints them.
//!
//! ```toml
//! network = "vouch.example/demo"
//! time = 2026-11-23T09:00:00+08:00
//! utc_offset_minutes = 480
//!
//! [policy]
//! regulator_reads_contents = true
//! client_authorization_required = true
//! authorization_window_days = 10
//! response_days_default = 10
//!
//! [[orgs]]
//! id = "bank-a"
//! name = "Demo Bank A"
//! role = "bank"                 # bank | audit_firm | regulator
//! admin_key = "<base64>"
//! encryption_key = "<base64>"   # X25519
//! validator = { key = "<base64>", power = 1 }   # or: node_key = "<base64>"
//!
//! [[calendar]]
//! year = 2026
//! holidays = [2026-01-01, 2026-01-02]
//! workdays = [2026-01-04]
//! ```
//!
//! Every rule is checked by `Genesis::validate` afterwards (R-GEN-*); this module only
//! reports which field of the spec could not be read.

use crate::civil::{self, TimeError};
use serde::Deserialize;
use vouch_core::calendar::CalendarYear;
use vouch_core::date::Date;
use vouch_core::encoding::b64_decode_array;
use vouch_core::genesis::{Genesis, Org, PROTOCOL_VERSION, Policy, Role, ValidatorInfo};
use vouch_core::ids::{NetworkId, OrgId};
use vouch_core::keys::{EncryptionKey, PublicKey};

/// Why a spec could not be turned into a genesis document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// Not TOML, or not the shape of a spec (a missing, unknown or mistyped field).
    #[error("not a genesis spec: {0}")]
    Toml(String),
    /// One field could not be read.
    #[error("{field}: {detail}")]
    Field {
        /// Where, e.g. `orgs[1] (bank-a).admin_key`.
        field: String,
        /// What was wrong.
        detail: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    protocol: Option<u32>,
    network: String,
    time: Option<toml::Value>,
    genesis_ms: Option<u64>,
    utc_offset_minutes: i16,
    policy: Policy,
    orgs: Vec<OrgSpec>,
    #[serde(default)]
    calendar: Vec<CalendarSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgSpec {
    id: String,
    name: String,
    role: Role,
    admin_key: String,
    encryption_key: String,
    validator: Option<ValidatorSpec>,
    node_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidatorSpec {
    key: String,
    power: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSpec {
    year: u16,
    #[serde(default)]
    holidays: Vec<toml::Value>,
    #[serde(default)]
    workdays: Vec<toml::Value>,
}

fn field(field: impl Into<String>, detail: impl ToString) -> SpecError {
    SpecError::Field { field: field.into(), detail: detail.to_string() }
}

fn public_key(name: &str, text: &str) -> Result<PublicKey, SpecError> {
    PublicKey::from_b64(text.trim())
        .map_err(|e| field(name, format!("not an Ed25519 public key in base64: {e}")))
}

fn encryption_key(name: &str, text: &str) -> Result<EncryptionKey, SpecError> {
    let bytes = b64_decode_array::<32>(text.trim())
        .map_err(|e| field(name, format!("not an X25519 public key in base64: {e}")))?;
    EncryptionKey::from_bytes(bytes).map_err(|e| field(name, e))
}

fn date(name: &str, value: &toml::Value) -> Result<Date, SpecError> {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        other => {
            return Err(field(
                name,
                format!("expected a date such as 2026-01-01, got a {}", other.type_str()),
            ));
        }
    };
    Date::parse(&text).map_err(|e| field(name, e))
}

fn genesis_ms(time: Option<&toml::Value>, ms: Option<u64>) -> Result<u64, SpecError> {
    match (time, ms) {
        (Some(_), Some(_)) => Err(field("time", "give either time or genesis_ms, not both")),
        (None, None) => {
            Err(field("time", "missing: give time (e.g. 2026-11-23T09:00:00+08:00) or genesis_ms"))
        }
        (None, Some(ms)) => Ok(ms),
        (Some(toml::Value::Datetime(d)), None) => {
            civil::parse_datetime(&d.to_string()).map_err(|e: TimeError| field("time", e))
        }
        (Some(toml::Value::String(s)), None) => civil::parse_datetime(s).map_err(|e| field("time", e)),
        (Some(other), None) => {
            Err(field("time", format!("expected a date-time with an offset, got a {}", other.type_str())))
        }
    }
}

/// Parse spec text into a genesis document. The result is not validated: call
/// `Genesis::validate`, which names the broken rule.
pub fn parse(text: &str) -> Result<Genesis, SpecError> {
    let spec: Spec = toml::from_str(text).map_err(|e| SpecError::Toml(e.to_string().trim().to_string()))?;
    let network = NetworkId::new(&spec.network).map_err(|e| field("network", e))?;
    let genesis_ms = genesis_ms(spec.time.as_ref(), spec.genesis_ms)?;
    let mut orgs = Vec::with_capacity(spec.orgs.len());
    for (i, o) in spec.orgs.iter().enumerate() {
        let at = |name: &str| format!("orgs[{i}] ({}).{name}", o.id);
        let id = OrgId::new(&o.id).map_err(|e| field(at("id"), e))?;
        let validator = match &o.validator {
            Some(v) => Some(ValidatorInfo { key: public_key(&at("validator.key"), &v.key)?, power: v.power }),
            None => None,
        };
        let node_key = match &o.node_key {
            Some(k) => Some(public_key(&at("node_key"), k)?),
            None => None,
        };
        orgs.push(Org {
            id,
            name: o.name.clone(),
            role: o.role,
            admin_key: public_key(&at("admin_key"), &o.admin_key)?,
            encryption_key: encryption_key(&at("encryption_key"), &o.encryption_key)?,
            validator,
            node_key,
        });
    }
    let mut calendar = Vec::with_capacity(spec.calendar.len());
    for (i, c) in spec.calendar.iter().enumerate() {
        let dates = |name: &str, values: &[toml::Value]| -> Result<Vec<Date>, SpecError> {
            values
                .iter()
                .enumerate()
                .map(|(j, v)| date(&format!("calendar[{i}] ({}).{name}[{j}]", c.year), v))
                .collect()
        };
        calendar.push(CalendarYear {
            year: c.year,
            holidays: dates("holidays", &c.holidays)?,
            workdays: dates("workdays", &c.workdays)?,
        });
    }
    Ok(Genesis {
        protocol: spec.protocol.unwrap_or(PROTOCOL_VERSION),
        network,
        genesis_ms,
        utc_offset_minutes: spec.utc_offset_minutes,
        orgs,
        policy: spec.policy,
        calendar,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named() {
        let base = r#"
            network = "vouch.example/t"
            time = 2026-11-23T09:00:00+08:00
            utc_offset_minutes = 480
            [policy]
            regulator_reads_contents = false
            client_authorization_required = true
            authorization_window_days = 10
            response_days_default = 10
            [[orgs]]
            id = "bank-a"
            name = "A"
            role = "bank"
            admin_key = "not base64"
            encryption_key = "AAAA"
        "#;
        match parse(base) {
            Err(SpecError::Field { field, .. }) => assert_eq!(field, "orgs[0] (bank-a).admin_key"),
            other => panic!("{other:?}"),
        }
        match parse("network = 3") {
            Err(SpecError::Toml(_)) => {}
            other => panic!("{other:?}"),
        }
        let both = base.replace("utc_offset_minutes", "genesis_ms = 1\nutc_offset_minutes");
        match parse(&both) {
            Err(SpecError::Field { field, .. }) => assert_eq!(field, "time"),
            other => panic!("{other:?}"),
        }
    }
}
