//! Load, inspect, check and create genesis documents: the file every member pins by hash
//! before trusting anything else (`docs/PROTOCOL.md` §Genesis).
//!
//! # Terminology
//!
//! - *Genesis hash*: `SHA-256("vouch-v1/genesis\n" || JCS(genesis))`, 64 lowercase hex
//!   digits; the same whatever the file's spelling, since it is over the canonical form.
//! - *Canonical*: the file's bytes are exactly the RFC 8785 form (what nodes serve and
//!   `vouch genesis create` writes). A hand-edited file need not be.
//! - *Quorum power*: the least voting power that is more than two thirds of the total;
//!   a commit certificate or a checkpoint needs at least this much.

use crate::civil;
use crate::files::{self, FileError};
use crate::outcome::{Classify, Exit, Report};
use crate::spec::{self, SpecError};
use serde::Serialize;
use std::path::{Path, PathBuf};
use vouch_core::encoding::Hash;
use vouch_core::genesis::{Genesis, GenesisError, Policy, Role};
use vouch_core::limits::GENESIS_BYTES_MAX;

/// Why a genesis file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GenesisFileError {
    /// The file could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is not JSON.
    #[error("genesis file {path} is not JSON: {detail}")]
    NotJson {
        /// The path.
        path: PathBuf,
        /// What the parser said.
        detail: String,
    },
    /// The file is JSON but not a valid genesis document.
    #[error("genesis file {path} is not a valid genesis document")]
    Invalid {
        /// The path.
        path: PathBuf,
        /// The rule broken.
        #[source]
        source: GenesisError,
    },
}

impl Classify for GenesisFileError {
    fn exit(&self) -> Exit {
        match self {
            GenesisFileError::File(e) => e.exit(),
            // As an input to another command, a broken genesis is the wrong file.
            GenesisFileError::NotJson { .. } | GenesisFileError::Invalid { .. } => Exit::Usage,
        }
    }

    fn hint(&self) -> String {
        match self {
            GenesisFileError::File(e) => e.hint(),
            GenesisFileError::NotJson { .. } => {
                "pass the network's genesis.json (a node serves it at /v1/genesis)".into()
            }
            GenesisFileError::Invalid { path, .. } => {
                format!("run `vouch genesis check {}` for the rule it breaks", path.display())
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            GenesisFileError::File(e) => e.details(),
            GenesisFileError::NotJson { path, .. } | GenesisFileError::Invalid { path, .. } => {
                serde_json::json!({ "path": path.display().to_string() })
            }
        }
    }
}

/// Read and validate a genesis file (any JSON spelling). Also returns whether its bytes
/// are canonical.
pub fn load(path: &Path) -> Result<(Genesis, bool), GenesisFileError> {
    let bytes = files::read_bounded(path, "genesis file", GENESIS_BYTES_MAX)?;
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        return Err(GenesisFileError::NotJson { path: path.to_path_buf(), detail: e.to_string() });
    }
    let genesis = Genesis::from_json(&bytes)
        .map_err(|source| GenesisFileError::Invalid { path: path.to_path_buf(), source })?;
    let canonical = genesis.to_canonical() == bytes;
    Ok((genesis, canonical))
}

/// Why a genesis command failed.
#[derive(Debug, thiserror::Error)]
pub enum GenesisCmdError {
    /// The genesis file could not be read.
    #[error(transparent)]
    Load(GenesisFileError),
    /// The document breaks a genesis rule.
    #[error("genesis {what} breaks a rule")]
    Broken {
        /// The file or spec.
        what: String,
        /// The rule broken.
        #[source]
        source: GenesisError,
    },
    /// The hash is not the expected one.
    #[error("genesis hash is {got}, expected {expected}")]
    HashMismatch {
        /// Hash of the file.
        got: Hash,
        /// Hash given with --hash.
        expected: Hash,
    },
    /// The spec could not be read.
    #[error("cannot read genesis spec {path}")]
    Spec {
        /// The spec file.
        path: PathBuf,
        /// What was wrong.
        #[source]
        source: SpecError,
    },
    /// A file could not be read or written.
    #[error(transparent)]
    File(#[from] FileError),
}

impl Classify for GenesisCmdError {
    fn exit(&self) -> Exit {
        match self {
            GenesisCmdError::Load(e) => e.exit(),
            GenesisCmdError::Broken { .. } | GenesisCmdError::HashMismatch { .. } => Exit::Refused,
            GenesisCmdError::Spec { .. } => Exit::Usage,
            GenesisCmdError::File(e) => e.exit(),
        }
    }

    fn hint(&self) -> String {
        match self {
            GenesisCmdError::Load(e) => e.hint(),
            GenesisCmdError::Broken { .. } => {
                "fix the field the rule names (docs/PROTOCOL.md §Genesis lists every R-GEN rule)".into()
            }
            GenesisCmdError::HashMismatch { .. } => "this is not the genesis you pinned: do not use it; \
                 get the network's genesis.json again and compare its hash with the one published out of band"
                .into(),
            GenesisCmdError::Spec { .. } => {
                "fix the spec; docs/CLI.md shows a complete one, and `vouch keys show FILE` prints keys in base64"
                    .into()
            }
            GenesisCmdError::File(e) => e.hint(),
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            GenesisCmdError::Load(e) => e.details(),
            GenesisCmdError::File(e) => e.details(),
            GenesisCmdError::Broken { what, .. } => serde_json::json!({ "file": what }),
            GenesisCmdError::HashMismatch { got, expected } => {
                serde_json::json!({ "got": got, "expected": expected })
            }
            GenesisCmdError::Spec { path, source } => {
                let field = match source {
                    SpecError::Field { field, .. } => Some(field.clone()),
                    SpecError::Toml(_) => None,
                };
                serde_json::json!({ "path": path.display().to_string(), "field": field })
            }
        }
    }
}

/// Load for `inspect` and `check`, where a broken document is the finding (exit 1).
fn load_for_check(path: &Path) -> Result<(Genesis, bool), GenesisCmdError> {
    load(path).map_err(|e| match e {
        GenesisFileError::Invalid { path, source } => {
            GenesisCmdError::Broken { what: path.display().to_string(), source }
        }
        other => GenesisCmdError::Load(other),
    })
}

#[derive(Debug, Serialize)]
struct OrgRow {
    id: String,
    name: String,
    role: Role,
    admin_key: String,
    encryption_key: String,
    validator_key: Option<String>,
    validator_power: Option<u64>,
    node_key: Option<String>,
}

#[derive(Debug, Serialize)]
struct ValidatorRow {
    name: String,
    key: String,
    power: u64,
}

#[derive(Debug, Serialize)]
struct CalendarRow {
    year: u16,
    holidays: usize,
    workdays: usize,
}

#[derive(Debug, Serialize)]
struct InspectReport {
    file: String,
    hash: Hash,
    canonical: bool,
    protocol: u32,
    network: String,
    genesis_ms: u64,
    genesis_time: String,
    utc_offset_minutes: i16,
    orgs: Vec<OrgRow>,
    validators: Vec<ValidatorRow>,
    total_power: u64,
    quorum_power: u64,
    policy: Policy,
    calendar: Vec<CalendarRow>,
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Bank => "bank",
        Role::AuditFirm => "audit_firm",
        Role::Regulator => "regulator",
    }
}

/// The least power that is more than two thirds of `total`.
fn quorum_power(total: u64) -> u64 {
    let least = u128::from(total) * 2 / 3 + 1;
    u64::try_from(least).unwrap_or(u64::MAX)
}

/// `vouch genesis inspect`.
pub fn inspect(path: &Path) -> Result<Report, GenesisCmdError> {
    let (genesis, canonical) = load_for_check(path)?;
    let validators: Vec<ValidatorRow> = genesis
        .validators()
        .into_iter()
        .map(|v| ValidatorRow { name: v.name, key: v.key.to_b64(), power: v.power })
        .collect();
    let total_power = validators.iter().fold(0u64, |acc, v| acc.saturating_add(v.power));
    let report = InspectReport {
        file: path.display().to_string(),
        hash: genesis.hash(),
        canonical,
        protocol: genesis.protocol,
        network: genesis.network.to_string(),
        genesis_ms: genesis.genesis_ms,
        genesis_time: civil::format_ms(genesis.genesis_ms),
        utc_offset_minutes: genesis.utc_offset_minutes,
        orgs: genesis
            .orgs
            .iter()
            .map(|o| OrgRow {
                id: o.id.to_string(),
                name: o.name.clone(),
                role: o.role,
                admin_key: o.admin_key.to_b64(),
                encryption_key: o.encryption_key.to_b64(),
                validator_key: o.validator.as_ref().map(|v| v.key.to_b64()),
                validator_power: o.validator.as_ref().map(|v| v.power),
                node_key: o.node_key.map(|k| k.to_b64()),
            })
            .collect(),
        validators,
        total_power,
        quorum_power: quorum_power(total_power),
        policy: genesis.policy.clone(),
        calendar: genesis
            .calendar
            .iter()
            .map(|c| CalendarRow { year: c.year, holidays: c.holidays.len(), workdays: c.workdays.len() })
            .collect(),
    };
    let human = inspect_text(&report);
    Ok(Report::new(&report, human))
}

fn inspect_text(r: &InspectReport) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("network:     {}", r.network));
    line(format!("hash:        {}", r.hash));
    line(format!("protocol:    {}", r.protocol));
    line(format!("time:        {} ({} ms)", r.genesis_time, r.genesis_ms));
    line(format!("utc offset:  {:+} minutes", r.utc_offset_minutes));
    line(format!(
        "canonical:   {}",
        if r.canonical { "yes" } else { "no (the hash is over the canonical form all the same)" }
    ));
    line(String::new());
    line(format!("organizations ({}):", r.orgs.len()));
    for o in &r.orgs {
        let node = match (&o.validator_power, &o.node_key) {
            (Some(p), _) => format!("validator, power {p}"),
            (None, Some(_)) => "observer node".to_string(),
            (None, None) => "no node".to_string(),
        };
        line(format!("  {:<20} {:<11} {}  ({node})", o.id, role_name(o.role), o.name));
        line(format!("  {:<20} admin key {}", "", o.admin_key));
        line(format!("  {:<20} encryption key {}", "", o.encryption_key));
        if let Some(k) = &o.node_key {
            line(format!("  {:<20} node key {k}", ""));
        }
    }
    line(String::new());
    line(format!(
        "validators ({}, total power {}, quorum needs power >= {}):",
        r.validators.len(),
        r.total_power,
        r.quorum_power
    ));
    for v in &r.validators {
        line(format!("  {:<40} power {:<4} key {}", v.name, v.power, v.key));
    }
    line(String::new());
    line("policy:".into());
    let p = &r.policy;
    line(format!("  regulator_reads_contents       {}", p.regulator_reads_contents));
    line(format!("  client_authorization_required  {}", p.client_authorization_required));
    line(format!("  authorization_window_days      {}", p.authorization_window_days));
    line(format!("  response_days_default          {}", p.response_days_default));
    if !r.calendar.is_empty() {
        line(String::new());
        line("calendar:".into());
        for c in &r.calendar {
            line(format!("  {}: {} holidays, {} adjusted working days", c.year, c.holidays, c.workdays));
        }
    }
    out
}

#[derive(Debug, Serialize)]
struct CheckReport {
    file: String,
    valid: bool,
    hash: Hash,
    canonical: bool,
    network: String,
    expected_hash: Option<Hash>,
}

/// `vouch genesis check`.
pub fn check(path: &Path, expected: Option<Hash>) -> Result<Report, GenesisCmdError> {
    let (genesis, canonical) = load_for_check(path)?;
    let hash = genesis.hash();
    if let Some(expected) = expected
        && expected != hash
    {
        return Err(GenesisCmdError::HashMismatch { got: hash, expected });
    }
    let report = CheckReport {
        file: path.display().to_string(),
        valid: true,
        hash,
        canonical,
        network: genesis.network.to_string(),
        expected_hash: expected,
    };
    let mut human =
        format!("ok: {} is a valid genesis for network {}\nhash: {hash}\n", report.file, report.network);
    if expected.is_some() {
        human.push_str("the hash matches the one given with --hash\n");
    }
    if !canonical {
        human.push_str(
            "note: the file is not in canonical form (RFC 8785); the hash is over the canonical form\n",
        );
    }
    Ok(Report::new(&report, human))
}

#[derive(Debug, Serialize)]
struct CreateReport {
    spec: String,
    file: String,
    hash: Hash,
    network: String,
    orgs: usize,
    validators: usize,
}

/// `vouch genesis create`.
pub fn create(spec_path: &Path, out: &Path, force: bool) -> Result<Report, GenesisCmdError> {
    let text = files::read_text(spec_path, "genesis spec", GENESIS_BYTES_MAX)?;
    let genesis = spec::parse(&text)
        .map_err(|source| GenesisCmdError::Spec { path: spec_path.to_path_buf(), source })?;
    genesis.validate().map_err(|source| GenesisCmdError::Broken {
        what: format!("from spec {}", spec_path.display()),
        source,
    })?;
    let bytes = genesis.to_canonical();
    // What we write must read back as the same document: a failure here is our bug.
    assert!(Genesis::decode(&bytes).as_ref() == Ok(&genesis), "canonical genesis does not read back");
    files::write_public(out, &bytes, force)?;
    let report = CreateReport {
        spec: spec_path.display().to_string(),
        file: out.display().to_string(),
        hash: genesis.hash(),
        network: genesis.network.to_string(),
        orgs: genesis.orgs.len(),
        validators: genesis.validators().len(),
    };
    let human = format!(
        "wrote {} (canonical JSON)\nnetwork: {}\nhash:    {}\n{} organizations, {} validators\n\
         publish the hash out of band: members pin it before joining\n",
        report.file, report.network, report.hash, report.orgs, report.validators
    );
    Ok(Report::new(&report, human))
}

/// Parse a genesis hash given on the command line (lowercase or uppercase hex).
pub fn parse_hash(text: &str) -> Result<Hash, String> {
    Hash::from_hex(&text.trim().to_ascii_lowercase())
        .map_err(|_| format!("{text:?} is not a SHA-256 hash (64 hex digits)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_power_is_more_than_two_thirds() {
        assert_eq!(quorum_power(4), 3);
        assert_eq!(quorum_power(3), 3);
        assert_eq!(quorum_power(1), 1);
        assert_eq!(quorum_power(6), 5);
        assert_eq!(quorum_power(7), 5);
    }
}
