//! Name the keys a node holds for the people and clients of its orgs (custodial signing),
//! and which of them a token may make the node sign with.
//!
//! # Terminology
//!
//! - *Holder*: whose keys: a person of an org ([`Holder::Person`]) or a client enrolled at
//!   a bank ([`Holder::Client`], under the bank's org id, as clients sign).
//! - *Bound signer*: the token record's `signer`; a token makes the node sign only as
//!   that holder of its own org, and a token without one makes it sign nothing.
//!
//! Where and how the keys are kept (encrypted at rest) is the node's business
//! ([`Keystore`]); decision record 0013 says how and why.

use crate::auth::Principal;
use crate::problem::{Kind, Problem};
use vouch_core::ids::{ClientRef, OrgId, PersonId};
use vouch_core::keys::{DecryptionKey, SigningKey};

/// Whose keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    /// A person enrolled at the org.
    Person(PersonId),
    /// A client enrolled at the bank.
    Client(ClientRef),
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Person(p) => write!(f, "person {p}"),
            Holder::Client(c) => write!(f, "client {c}"),
        }
    }
}

/// One holder's keys, decrypted.
#[derive(Debug, Clone)]
pub struct HeldKeys {
    /// The Ed25519 key the holder signs with (enrolled on the ledger).
    pub signing: SigningKey,
    /// The X25519 key the holder reads sealed contents with: a client's own, or for a bank's
    /// person the bank's (to open letters the client's authorization passed to it).
    pub decryption: Option<DecryptionKey>,
}

/// Why the keystore could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeystoreError {
    /// The keystore cannot be read or does not decrypt; the text says what to do.
    #[error("{0}")]
    Store(String),
}

/// The keys a node holds.
pub trait Keystore: Send + Sync + 'static {
    /// The keys of `holder` at `org`, if held.
    fn keys(&self, org: &OrgId, holder: &Holder) -> Result<Option<HeldKeys>, KeystoreError>;
}

/// Keys held in memory (tests).
#[derive(Debug, Clone, Default)]
pub struct KeyList(pub Vec<(OrgId, Holder, HeldKeys)>);

impl Keystore for KeyList {
    fn keys(&self, org: &OrgId, holder: &Holder) -> Result<Option<HeldKeys>, KeystoreError> {
        Ok(self.0.iter().find(|(o, h, _)| o == org && h == holder).map(|(_, _, k)| k.clone()))
    }
}

/// The holder a token is bound to: a client token's signer must be its own client; any
/// other token's is a person of its org. 403 `no-signer` when unbound.
pub fn holder_of(principal: &Principal) -> Result<Holder, Problem> {
    let Some(signer) = &principal.signer else {
        return Err(Problem::new(
            Kind::NoSigner,
            format!(
                "token {} is not bound to a signer; issue one with `vouchd token issue --signer PERSON` to sign through the node",
                principal.token
            ),
        ));
    };
    match &principal.client {
        Some(client) if client.as_str() == signer => Ok(Holder::Client(client.clone())),
        Some(client) => Err(Problem::new(
            Kind::NoSigner,
            format!(
                "token {} is a token of client {client} but is bound to signer {signer}",
                principal.token
            ),
        )),
        None => PersonId::new(signer).map(Holder::Person).map_err(|e| {
            Problem::new(
                Kind::NoSigner,
                format!("token {} is bound to signer {signer:?}, not a person id: {e}", principal.token),
            )
        }),
    }
}
