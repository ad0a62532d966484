//! Authenticate API callers by operator-issued bearer tokens, and decide what each may see.
//!
//! # Terminology
//!
//! - *Token*: `vouch_` followed by 64 lowercase hex digits, the encoding of 32 random
//!   bytes. Shown once when issued; never stored.
//! - *Token hash*: `SHA-256` of the 32 bytes. The only form kept at rest; a request's
//!   token is hashed and looked up by hash, so the lookup's timing says nothing about
//!   stored secrets.
//! - *Token id*: `tok_` and the first 16 hex digits of the hash: names a token in lists
//!   and revocations without revealing anything usable.
//! - *Principal*: who a valid token speaks for: an org of genesis, a person or system
//!   name, a role (the org's role in genesis, or `client` for a token issued for one of a
//!   bank's clients), and whether it is an operator token.
//!
//! # Visibility
//!
//! A bank sees the confirmations addressed to it, an audit firm the ones it requested, a
//! client the ones about it (its bank and its client reference), a regulator all of them.
//! A confirmation the caller may not see answers exactly as one that does not exist (404
//! `no-confirmation`), so its existence is not revealed.
//!
//! Where tokens are stored is the node's business ([`Authenticator`]); decision record
//! 0009 says where and why.

use crate::problem::{Kind, Problem};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use vouch_core::encoding::Hash;
use vouch_core::genesis::{Genesis, Role as OrgRole};
use vouch_core::ids::{ClientRef, OrgId};
use vouch_core::state::RequestRecord;

/// Prefix of every token.
pub const TOKEN_PREFIX: &str = "vouch_";

/// Prefix of every token id.
pub const TOKEN_ID_PREFIX: &str = "tok_";

/// Why a token could not be issued, parsed or looked up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Not `vouch_` and 64 lowercase hex digits.
    #[error("the token is not `vouch_` followed by 64 lowercase hex digits")]
    Malformed,
    /// The token store cannot be read.
    #[error("token store: {0}")]
    Store(String),
}

/// A new token's secret: the 32 random bytes. Shown once, then dropped.
pub struct Secret([u8; 32]);

impl Secret {
    /// Draw a new secret from `rng` (the node passes the OS generator).
    pub fn generate(rng: &mut impl CryptoRngCore) -> Secret {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Secret(bytes)
    }

    /// Parse a token as a client presents it.
    pub fn parse(token: &str) -> Result<Secret, AuthError> {
        let hex_part = token.strip_prefix(TOKEN_PREFIX).ok_or(AuthError::Malformed)?;
        // `Hash::from_hex` is exactly "64 lowercase hex digits to 32 bytes".
        Hash::from_hex(hex_part).map(|h| Secret(h.0)).map_err(|_| AuthError::Malformed)
    }

    /// The token text: `vouch_<64 hex>`.
    pub fn token(&self) -> String {
        format!("{TOKEN_PREFIX}{}", hex::encode(self.0))
    }

    /// The hash kept at rest: `SHA-256(secret)`.
    pub fn hash(&self) -> Hash {
        Hash::sha256(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The id of the token whose hash is `hash`.
pub fn token_id(hash: &Hash) -> String {
    let hex = hash.to_hex();
    format!("{TOKEN_ID_PREFIX}{}", hex.get(..16).unwrap_or(&hex))
}

/// One issued token, as kept at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// `tok_` and the first 16 hex digits of `hash`.
    pub id: String,
    /// `SHA-256` of the token's 32 bytes.
    pub hash: Hash,
    /// The org it belongs to (a member of genesis).
    pub org: OrgId,
    /// The person or system it was issued to (free text, for the audit trail).
    pub name: String,
    /// For a client's token: the client's reference at the bank `org`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientRef>,
    /// An operator token may run the self-audit.
    #[serde(default)]
    pub operator: bool,
    /// When it was issued, Unix milliseconds.
    pub issued_ms: u64,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_ms: Option<u64>,
    /// The signer the node signs as for this token (custodial signing): a person id of
    /// `org`, or for a client token its client reference. None: the node signs nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
}

impl TokenRecord {
    /// The record of a new token for `org`'s `name`.
    pub fn new(
        secret: &Secret,
        org: OrgId,
        name: String,
        client: Option<ClientRef>,
        operator: bool,
        issued_ms: u64,
    ) -> TokenRecord {
        let hash = secret.hash();
        TokenRecord {
            id: token_id(&hash),
            hash,
            org,
            name,
            client,
            operator,
            issued_ms,
            revoked_ms: None,
            signer: None,
        }
    }
}

/// Looks tokens up by hash. The node reads its token file; tests keep a list.
pub trait Authenticator: Send + Sync + 'static {
    /// The record of the token whose hash is `hash`, revoked or not.
    fn find(&self, hash: &Hash) -> Result<Option<TokenRecord>, AuthError>;
}

/// Tokens held in memory.
#[derive(Debug, Clone, Default)]
pub struct TokenList(pub Vec<TokenRecord>);

impl Authenticator for TokenList {
    fn find(&self, hash: &Hash) -> Result<Option<TokenRecord>, AuthError> {
        Ok(self.0.iter().find(|t| t.hash == *hash).cloned())
    }
}

impl Authenticator for std::sync::RwLock<TokenList> {
    fn find(&self, hash: &Hash) -> Result<Option<TokenRecord>, AuthError> {
        self.read().map_err(|_| AuthError::Store("lock poisoned".into()))?.find(hash)
    }
}

/// What a caller may see, from its org's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A bank: confirmations addressed to it.
    Bank,
    /// An audit firm: confirmations it requested.
    AuditFirm,
    /// A regulator: every confirmation.
    Regulator,
    /// One client of a bank: confirmations about it.
    Client,
}

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's id.
    pub token: String,
    /// The org.
    pub org: OrgId,
    /// The person or system.
    pub name: String,
    /// The role.
    pub role: Role,
    /// For a client: its reference at the bank `org`.
    pub client: Option<ClientRef>,
    /// May run the self-audit.
    pub operator: bool,
    /// Whose keys the node signs with for this token, if any.
    pub signer: Option<String>,
}

impl Principal {
    /// The principal of `record` under `genesis`, or why it has none. Roles come from
    /// genesis at each request, so a record cannot claim more than its org is.
    pub fn of(record: &TokenRecord, genesis: &Genesis) -> Result<Principal, Problem> {
        if record.revoked_ms.is_some() {
            return Err(Problem::new(Kind::Unauthorized, format!("token {} was revoked", record.id)));
        }
        let Some(org) = genesis.org(&record.org) else {
            return Err(Problem::new(
                Kind::Unauthorized,
                format!(
                    "token {} belongs to {}, which is not a member of this network",
                    record.id, record.org
                ),
            ));
        };
        let role = match (org.role, &record.client) {
            (OrgRole::Bank, Some(_)) => Role::Client,
            (_, Some(_)) => {
                return Err(Problem::new(
                    Kind::Unauthorized,
                    format!("token {} is a client token of {}, which is not a bank", record.id, record.org),
                ));
            }
            (OrgRole::Bank, None) => Role::Bank,
            (OrgRole::AuditFirm, None) => Role::AuditFirm,
            (OrgRole::Regulator, None) => Role::Regulator,
        };
        Ok(Principal {
            token: record.id.clone(),
            org: record.org.clone(),
            name: record.name.clone(),
            role,
            client: record.client.clone(),
            operator: record.operator,
            signer: record.signer.clone(),
        })
    }

    /// Whether this caller may see the confirmation `record`.
    pub fn sees(&self, record: &RequestRecord) -> bool {
        match self.role {
            Role::Regulator => true,
            Role::Bank => record.bank == self.org,
            Role::AuditFirm => record.auditor == self.org,
            Role::Client => record.bank == self.org && self.client.as_ref() == Some(&record.client),
        }
    }

    /// Whether this caller may run the self-audit: regulators and operator tokens.
    pub fn may_self_audit(&self) -> bool {
        self.may_read_all_metadata()
    }

    /// Whether this caller may read every confirmation's metadata (whole blocks, the
    /// export): regulators, and the node's operators, who hold the ledger anyway.
    pub fn may_read_all_metadata(&self) -> bool {
        self.operator || self.role == Role::Regulator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_only_its_hash_names_it() {
        let secret = Secret([7; 32]);
        let token = secret.token();
        assert!(token.starts_with("vouch_") && token.len() == 6 + 64);
        let parsed = Secret::parse(&token).expect("parses");
        assert_eq!(parsed.hash(), secret.hash());
        assert_eq!(token_id(&secret.hash()).len(), 4 + 16);
        assert!(!token.contains(&secret.hash().to_hex()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in ["", "vouch_", "vouch_xyz", &format!("vouch_{}", "A".repeat(64)), &"0".repeat(64)] {
            assert_eq!(Secret::parse(bad).err(), Some(AuthError::Malformed), "{bad:?}");
        }
    }
}
