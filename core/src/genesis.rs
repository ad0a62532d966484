//! Define a network's genesis document: its id, members, validators and policy.
//!
//! # Terminology
//!
//! - *Member* (organization): a bank, an audit firm or a regulator. Each has an *admin key*
//!   (Ed25519) that enrolls and revokes its people's signing keys on the ledger, and an
//!   *encryption key* (X25519) that sealed contents are wrapped to.
//! - *Validator*: a member that runs a voting node, with a consensus key and voting power.
//! - *Policy*: network-wide rules the state machine enforces (whether the regulator can
//!   read contents, whether a bank needs the client's authorization, default deadlines).
//!
//! Genesis is not signed: every member checks its hash out of band before joining. Its
//! hash, `SHA-256("vouch-v1/genesis\n" || JCS(genesis))`, pins the network in evidence bundles.
//! See `docs/PROTOCOL.md` §Genesis.

use crate::calendar::{Calendar, CalendarYear};
use crate::canonical::{self, CanonicalError};
use crate::domain::GENESIS_HASH;
use crate::encoding::Hash;
use crate::ids::{NetworkId, OrgId};
use crate::keys::{EncryptionKey, PublicKey};
use crate::limits::{
    GENESIS_BYTES_MAX, JSON_INTEGER_MAX, ORGS_MAX, RESPONSE_DAYS_MAX, TEXT_SHORT_BYTES_MAX, VALIDATORS_MAX,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The protocol version this crate implements.
pub const PROTOCOL_VERSION: u32 = 1;

/// Why a genesis document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// Not a genesis document of the expected shape (too large, not JSON, a missing,
    /// unknown or mistyped field, or not canonical where canonical form is required).
    #[error("R-GEN-11: {0}")]
    Decode(#[from] CanonicalError),
    /// The genesis time does not fit in 2^53 milliseconds.
    #[error("R-GEN-12: genesis_ms {0} exceeds 2^53")]
    Time(u64),
    /// A protocol version this software does not implement.
    #[error(
        "R-GEN-1: genesis protocol version {got} is not supported (this software implements {expected}); upgrade to join this network"
    )]
    Version {
        /// Version found.
        got: u32,
        /// Version implemented.
        expected: u32,
    },
    /// Two members share an id.
    #[error("R-GEN-2: organization id {0} appears twice")]
    DuplicateOrg(OrgId),
    /// A key is used twice (as admin, validator or encryption key).
    #[error("R-GEN-3: key {0} is used more than once")]
    DuplicateKey(String),
    /// No validators, too many, zero power, or total power too large.
    #[error("R-GEN-4: validator set invalid: {0}")]
    Validators(String),
    /// Too many members, or none.
    #[error("R-GEN-5: {got} organizations, expected 1 to {max}")]
    OrgCount {
        /// Members listed.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A text field is empty or over its limit.
    #[error("R-GEN-6: {field} must be 1 to {max} bytes")]
    Text {
        /// The field.
        field: String,
        /// The limit.
        max: usize,
    },
    /// A policy value out of range.
    #[error("R-GEN-7: policy {field} = {got} is out of range 1..={max}")]
    Policy {
        /// The field.
        field: &'static str,
        /// Value found.
        got: u32,
        /// The limit.
        max: u32,
    },
    /// The UTC offset is not a real time zone offset.
    #[error("R-GEN-8: utc_offset_minutes {0} is outside -720..=840")]
    Offset(i16),
    /// A calendar year is invalid or listed twice.
    #[error("R-GEN-9: calendar: {0}")]
    Calendar(String),
    /// An org lists both a validator and a separate node key.
    #[error(
        "R-GEN-13: organization {0} has both a validator and a node_key; a validator's node uses its consensus key"
    )]
    NodeKey(OrgId),
    /// The regulator-reads policy is on but no regulator is a member.
    #[error("R-GEN-10: policy regulator_reads_contents is true but no member has role regulator")]
    NoRegulator,
}

/// A later protocol version may add fields this one refuses as unknown: report the version
/// (R-GEN-1, "upgrade") rather than the shape when the version is what differs.
fn version_or(bytes: &[u8], error: CanonicalError) -> GenesisError {
    #[derive(Deserialize)]
    struct Peek {
        protocol: u32,
    }
    match serde_json::from_slice::<Peek>(bytes) {
        Ok(p) if bytes.len() <= GENESIS_BYTES_MAX && p.protocol != PROTOCOL_VERSION => {
            GenesisError::Version { got: p.protocol, expected: PROTOCOL_VERSION }
        }
        _ => GenesisError::Decode(error),
    }
}

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A bank (confirming party).
    Bank,
    /// An audit firm (requester).
    AuditFirm,
    /// A regulator (overseer).
    Regulator,
}

/// A validator's consensus key and voting power.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorInfo {
    /// Ed25519 consensus key (signs votes and checkpoint cosignatures).
    pub key: PublicKey,
    /// Voting power, 1 to 2^53 in total over all validators.
    pub power: u64,
}

/// A member organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    /// Stable id, e.g. `bank-icbc-sh`.
    pub id: OrgId,
    /// Legal name, e.g. `中国工商银行上海市分行`.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Admin key: enrolls and revokes the org's people.
    pub admin_key: PublicKey,
    /// X25519 key that sealed contents are wrapped to.
    pub encryption_key: EncryptionKey,
    /// Present if the org runs a validator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<ValidatorInfo>,
    /// Ed25519 key of a non-voting node (an observer) the org runs: its p2p identity.
    /// A validator's node uses its consensus key instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_key: Option<PublicKey>,
}

/// Network-wide rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Regulators are recipients of every request's and response's contents.
    pub regulator_reads_contents: bool,
    /// A bank may read and answer a request only after the client's authorization.
    pub client_authorization_required: bool,
    /// Working days the client has to authorize a request before it lapses.
    pub authorization_window_days: u32,
    /// Default working days a bank has to answer after authorization.
    pub response_days_default: u32,
}

/// The genesis document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Protocol version (1).
    pub protocol: u32,
    /// Network id; also the checkpoint origin.
    pub network: NetworkId,
    /// Time of genesis, Unix milliseconds; block 1's time must not be earlier.
    pub genesis_ms: u64,
    /// Offset of the network's civil time zone east of UTC, in minutes (China: 480).
    pub utc_offset_minutes: i16,
    /// Members.
    pub orgs: Vec<Org>,
    /// Rules.
    pub policy: Policy,
    /// Initial working-day calendar, one entry per year.
    pub calendar: Vec<CalendarYear>,
}

impl Genesis {
    /// Parse canonical bytes and validate.
    pub fn decode(bytes: &[u8]) -> Result<Genesis, GenesisError> {
        let genesis: Genesis = canonical::from_canonical("genesis", bytes, GENESIS_BYTES_MAX)
            .map_err(|e| version_or(bytes, e))?;
        genesis.validate()?;
        Ok(genesis)
    }

    /// Parse JSON in any spelling (a file someone edited) and validate.
    pub fn from_json(bytes: &[u8]) -> Result<Genesis, GenesisError> {
        let genesis: Genesis =
            canonical::from_json("genesis", bytes, GENESIS_BYTES_MAX).map_err(|e| version_or(bytes, e))?;
        genesis.validate()?;
        Ok(genesis)
    }

    /// Canonical bytes.
    pub fn to_canonical(&self) -> Vec<u8> {
        canonical::to_canonical(self)
    }

    /// `SHA-256("vouch-v1/genesis\n" || JCS(genesis))`.
    pub fn hash(&self) -> Hash {
        Hash::sha256(&GENESIS_HASH.prefix(&self.to_canonical()))
    }

    /// Check every rule R-GEN-*.
    pub fn validate(&self) -> Result<(), GenesisError> {
        if self.protocol != PROTOCOL_VERSION {
            return Err(GenesisError::Version { got: self.protocol, expected: PROTOCOL_VERSION });
        }
        if self.orgs.is_empty() || self.orgs.len() > ORGS_MAX {
            return Err(GenesisError::OrgCount { got: self.orgs.len(), max: ORGS_MAX });
        }
        if !(-720..=840).contains(&self.utc_offset_minutes) {
            return Err(GenesisError::Offset(self.utc_offset_minutes));
        }
        if self.genesis_ms > JSON_INTEGER_MAX {
            return Err(GenesisError::Time(self.genesis_ms));
        }
        let mut ids = BTreeSet::new();
        let mut keys = BTreeSet::new();
        let mut validators = 0usize;
        let mut power: u64 = 0;
        for org in &self.orgs {
            if !ids.insert(&org.id) {
                return Err(GenesisError::DuplicateOrg(org.id.clone()));
            }
            if org.name.is_empty() || org.name.len() > TEXT_SHORT_BYTES_MAX {
                return Err(GenesisError::Text {
                    field: format!("orgs[{}].name", org.id),
                    max: TEXT_SHORT_BYTES_MAX,
                });
            }
            let mut all = vec![org.admin_key.to_bytes(), org.encryption_key.to_bytes()];
            if let Some(k) = &org.node_key {
                if org.validator.is_some() {
                    return Err(GenesisError::NodeKey(org.id.clone()));
                }
                all.push(k.to_bytes());
            }
            if let Some(v) = &org.validator {
                all.push(v.key.to_bytes());
                if v.power == 0 {
                    return Err(GenesisError::Validators(format!("{} has voting power 0", org.id)));
                }
                validators += 1;
                power = power.saturating_add(v.power);
            }
            for k in all {
                if !keys.insert(k) {
                    return Err(GenesisError::DuplicateKey(crate::encoding::b64_encode(&k)));
                }
            }
        }
        if validators == 0 || validators > VALIDATORS_MAX {
            return Err(GenesisError::Validators(format!(
                "{validators} validators, expected 1 to {VALIDATORS_MAX}"
            )));
        }
        if power > JSON_INTEGER_MAX {
            return Err(GenesisError::Validators(format!("total power {power} exceeds 2^53")));
        }
        let p = &self.policy;
        for (field, got) in [
            ("authorization_window_days", p.authorization_window_days),
            ("response_days_default", p.response_days_default),
        ] {
            if got == 0 || got > RESPONSE_DAYS_MAX {
                return Err(GenesisError::Policy { field, got, max: RESPONSE_DAYS_MAX });
            }
        }
        if p.regulator_reads_contents && !self.orgs.iter().any(|o| o.role == Role::Regulator) {
            return Err(GenesisError::NoRegulator);
        }
        let mut years = BTreeSet::new();
        for year in &self.calendar {
            year.validate().map_err(|e| GenesisError::Calendar(e.to_string()))?;
            if !years.insert(year.year) {
                return Err(GenesisError::Calendar(format!("year {} listed twice", year.year)));
            }
        }
        Ok(())
    }

    /// The member with this id.
    pub fn org(&self, id: &OrgId) -> Option<&Org> {
        self.orgs.iter().find(|o| &o.id == id)
    }

    /// The initial calendar. Years were validated by [`Genesis::validate`]; one that
    /// still fails to publish is left out rather than half-applied.
    pub fn initial_calendar(&self) -> Calendar {
        let mut calendar = Calendar::default();
        for year in &self.calendar {
            let _ = calendar.publish(year);
        }
        calendar
    }

    /// The validator set: (cosigner name, key, power), in genesis order.
    pub fn validators(&self) -> Vec<crate::block::Validator> {
        self.orgs
            .iter()
            .filter_map(|o| {
                o.validator.as_ref().map(|v| crate::block::Validator {
                    name: self.cosigner_name(&o.id),
                    key: v.key,
                    power: v.power,
                })
            })
            .collect()
    }

    /// Every key a node of this network may use as its p2p identity: validators' consensus
    /// keys and observers' node keys, with the org that runs each node.
    pub fn node_keys(&self) -> Vec<(&OrgId, PublicKey, bool)> {
        self.orgs
            .iter()
            .filter_map(|o| match (&o.validator, &o.node_key) {
                (Some(v), _) => Some((&o.id, v.key, true)),
                (None, Some(k)) => Some((&o.id, *k, false)),
                (None, None) => None,
            })
            .collect()
    }

    /// The C2SP cosigner name of a validator: `<network>/<org id>`.
    pub fn cosigner_name(&self, org: &OrgId) -> String {
        format!("{}/{}", self.network, org)
    }

    /// Members by id.
    pub fn orgs_by_id(&self) -> BTreeMap<&OrgId, &Org> {
        self.orgs.iter().map(|o| (&o.id, o)).collect()
    }
}
