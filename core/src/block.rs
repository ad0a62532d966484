//! Define blocks: headers, commit certificates, validator sets, and precommit signatures.
//!
//! # Terminology
//!
//! - *Header*: height, previous header hash (the genesis hash for height 1), block time,
//!   proposer, number of documents, the Merkle tree size and root after the block, and the
//!   validator set hash. Its hash is `SHA-256("vouch-v1/block-header\n" || JCS(header))`.
//! - *Precommit*: a validator's vote for a header in a consensus round. Its signature is
//!   over `"vouch-v1/precommit\n" || JCS({"header","height","network","round"})`.
//! - *Commit certificate*: precommit signatures for one header and round from validators
//!   holding more than 2/3 of the voting power.
//! - *Block*: header, certificate and the documents' canonical envelopes, in ledger order.
//!
//! See `docs/PROTOCOL.md` §Blocks.

use crate::canonical;
use crate::domain::{BLOCK_HEADER_HASH, PRECOMMIT_VOTE, VALIDATOR_SET_HASH};
use crate::encoding::Hash;
use crate::ids::NetworkId;
use crate::keys::{PublicKey, Signature, SigningKey};
use crate::limits::VALIDATORS_MAX;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A validator as blocks and checkpoints see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validator {
    /// C2SP cosigner name, `<network>/<org id>`.
    pub name: String,
    /// Consensus key.
    pub key: PublicKey,
    /// Voting power.
    pub power: u64,
}

/// `SHA-256("vouch-v1/validator-set\n" || JCS(validators sorted by key))`.
pub fn validator_set_hash(validators: &[Validator]) -> Hash {
    let mut sorted: Vec<&Validator> = validators.iter().collect();
    sorted.sort_by_key(|v| v.key);
    Hash::sha256(&VALIDATOR_SET_HASH.prefix(&canonical::to_canonical(&sorted)))
}

/// Total voting power (validated ≤ 2^53 by genesis).
pub fn total_power(validators: &[Validator]) -> u64 {
    validators.iter().fold(0u64, |acc, v| acc.saturating_add(v.power))
}

/// Whether `signed` is more than 2/3 of `total`.
pub fn is_quorum(signed: u64, total: u64) -> bool {
    u128::from(signed) * 3 > u128::from(total) * 2
}

/// A block header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Network id.
    pub network: NetworkId,
    /// Height, from 1.
    pub height: u64,
    /// Hash of the previous header; the genesis hash for height 1.
    pub prev: Hash,
    /// Block time, Unix milliseconds; strictly increasing.
    pub time_ms: u64,
    /// The proposer's consensus key.
    pub proposer: PublicKey,
    /// Number of documents in the block.
    pub documents: u64,
    /// Merkle tree size after the block.
    pub tree_size: u64,
    /// Merkle root after the block.
    pub root: Hash,
    /// Hash of the validator set that certifies this block.
    pub validators: Hash,
}

impl Header {
    /// `SHA-256("vouch-v1/block-header\n" || JCS(header))`.
    pub fn hash(&self) -> Hash {
        Hash::sha256(&BLOCK_HEADER_HASH.prefix(&canonical::to_canonical(self)))
    }
}

/// One validator's precommit signature in a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitSignature {
    /// The validator's consensus key.
    pub validator: PublicKey,
    /// Its precommit signature.
    pub sig: Signature,
}

/// Precommit signatures for one header in one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Consensus round that decided the block.
    pub round: u32,
    /// Signatures, one per validator.
    pub signatures: Vec<CommitSignature>,
}

/// A block: header, certificate and documents (canonical envelopes as JSON objects).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// The header.
    pub header: Header,
    /// The commit certificate.
    pub certificate: Certificate,
    /// The documents, in ledger order. Each is an envelope object; its canonical bytes
    /// are the Merkle leaf.
    pub documents: Vec<serde_json::Value>,
}

impl Block {
    /// Parse one block from JSON (any spelling), refusing input over
    /// `limits::BLOCK_JSON_BYTES_MAX` before parsing. The block is not verified: use
    /// `verify::ChainVerifier`.
    pub fn from_json(bytes: &[u8]) -> Result<Block, crate::canonical::CanonicalError> {
        crate::canonical::from_json("block", bytes, crate::limits::BLOCK_JSON_BYTES_MAX)
    }
}

#[derive(Serialize)]
struct Precommit<'a> {
    header: Hash,
    height: u64,
    network: &'a NetworkId,
    round: u32,
}

/// The JCS message a precommit signature covers (after the [`PRECOMMIT_VOTE`] domain).
pub fn precommit_bytes(network: &NetworkId, height: u64, round: u32, header: &Hash) -> Vec<u8> {
    canonical::to_canonical(&Precommit { header: *header, height, network, round })
}

/// Sign a precommit for `header` at `height` and `round`.
pub fn sign_precommit(
    key: &SigningKey,
    network: &NetworkId,
    height: u64,
    round: u32,
    header: &Hash,
) -> Signature {
    key.sign(PRECOMMIT_VOTE, &precommit_bytes(network, height, round, header))
}

/// Check a precommit signature with `verify_strict`.
pub fn verify_precommit(
    key: &PublicKey,
    network: &NetworkId,
    height: u64,
    round: u32,
    header: &Hash,
    sig: &Signature,
) -> bool {
    key.verify(PRECOMMIT_VOTE, &precommit_bytes(network, height, round, header), sig).is_ok()
}

/// Sign a consensus message other than a precommit for a block (a proposal, a prevote, a
/// precommit for nil): `"vouch-v1/consensus-message\n" || message`, where `message` is the
/// JCS of the message object defined in `docs/PROTOCOL.md` §Consensus messages.
pub fn sign_consensus_message(key: &SigningKey, message: &[u8]) -> Signature {
    key.sign(crate::domain::CONSENSUS_MESSAGE, message)
}

/// Check a consensus-message signature with `verify_strict`.
pub fn verify_consensus_message(key: &PublicKey, message: &[u8], sig: &Signature) -> bool {
    key.verify(crate::domain::CONSENSUS_MESSAGE, message, sig).is_ok()
}

/// Sign a peer binding (a node's p2p identity bound to its consensus key):
/// `"vouch-v1/peer-binding\n" || binding`.
pub fn sign_peer_binding(key: &SigningKey, binding: &[u8]) -> Signature {
    key.sign(crate::domain::PEER_BINDING, binding)
}

/// Check a peer-binding signature with `verify_strict`.
pub fn verify_peer_binding(key: &PublicKey, binding: &[u8], sig: &Signature) -> bool {
    key.verify(crate::domain::PEER_BINDING, binding, sig).is_ok()
}

/// Why a commit certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// More signatures than validators exist.
    #[error("R-CERT-1: {got} signatures, at most {max}")]
    TooMany {
        /// Count.
        got: usize,
        /// Limit.
        max: usize,
    },
    /// A signer is not in the validator set.
    #[error("R-CERT-2: signature {index} is by {key}, not a validator")]
    NotValidator {
        /// Position in the certificate.
        index: usize,
        /// The key (base64).
        key: String,
    },
    /// A validator signed twice.
    #[error("R-CERT-3: validator {key} signed twice")]
    Duplicate {
        /// The key (base64).
        key: String,
    },
    /// A signature does not verify.
    #[error("R-CERT-4: signature {index} by {key} does not verify for this header and round")]
    BadSignature {
        /// Position.
        index: usize,
        /// The key (base64).
        key: String,
    },
    /// Not enough voting power.
    #[error("R-CERT-5: signed power {signed} of {total} is not more than 2/3")]
    NoQuorum {
        /// Power that signed.
        signed: u64,
        /// Total power.
        total: u64,
    },
}

/// Check a certificate for `header` against `validators`. Returns the signed power.
pub fn verify_certificate(
    header: &Header,
    certificate: &Certificate,
    validators: &[Validator],
) -> Result<u64, CertificateError> {
    let max = validators.len().min(VALIDATORS_MAX);
    if certificate.signatures.len() > max {
        return Err(CertificateError::TooMany { got: certificate.signatures.len(), max });
    }
    let hash = header.hash();
    let mut seen = BTreeSet::new();
    let mut signed: u64 = 0;
    for (index, cs) in certificate.signatures.iter().enumerate() {
        let key = cs.validator.to_b64();
        let Some(v) = validators.iter().find(|v| v.key == cs.validator) else {
            return Err(CertificateError::NotValidator { index, key });
        };
        if !seen.insert(cs.validator) {
            return Err(CertificateError::Duplicate { key });
        }
        if !verify_precommit(&cs.validator, &header.network, header.height, certificate.round, &hash, &cs.sig)
        {
            return Err(CertificateError::BadSignature { index, key });
        }
        signed = signed.saturating_add(v.power);
    }
    let total = total_power(validators);
    if !is_quorum(signed, total) {
        return Err(CertificateError::NoQuorum { signed, total });
    }
    Ok(signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(n: usize) -> (Vec<SigningKey>, Vec<Validator>) {
        let keys: Vec<SigningKey> = (0..n).map(|i| SigningKey::from_seed(&[i as u8 + 1; 32])).collect();
        let vals = keys
            .iter()
            .enumerate()
            .map(|(i, k)| Validator { name: format!("net/v{i}"), key: k.public(), power: 10 })
            .collect();
        (keys, vals)
    }

    fn header(vals: &[Validator]) -> Header {
        Header {
            network: NetworkId::new("net").unwrap(),
            height: 1,
            prev: Hash::ZERO,
            time_ms: 1,
            proposer: vals[0].key,
            documents: 0,
            tree_size: 0,
            root: crate::encoding::Hash::sha256(b""),
            validators: validator_set_hash(vals),
        }
    }

    fn certify(keys: &[SigningKey], h: &Header, round: u32) -> Certificate {
        Certificate {
            round,
            signatures: keys
                .iter()
                .map(|k| CommitSignature {
                    validator: k.public(),
                    sig: sign_precommit(k, &h.network, h.height, round, &h.hash()),
                })
                .collect(),
        }
    }

    #[test]
    fn quorum_is_strictly_more_than_two_thirds() {
        let (keys, vals) = set(4);
        let h = header(&vals);
        assert_eq!(verify_certificate(&h, &certify(&keys[..3], &h, 0), &vals), Ok(30));
        assert_eq!(
            verify_certificate(&h, &certify(&keys[..2], &h, 0), &vals),
            Err(CertificateError::NoQuorum { signed: 20, total: 40 })
        );
        // 3 of 3 equal validators minus one: 2/3 exactly is not enough.
        let (keys3, vals3) = set(3);
        let h3 = header(&vals3);
        assert!(matches!(
            verify_certificate(&h3, &certify(&keys3[..2], &h3, 0), &vals3),
            Err(CertificateError::NoQuorum { .. })
        ));
        assert!(!is_quorum(2, 3));
        assert!(is_quorum(3, 4));
    }

    #[test]
    fn certificate_refusals() {
        let (keys, vals) = set(4);
        let h = header(&vals);
        let mut dup = certify(&keys[..3], &h, 0);
        dup.signatures.push(dup.signatures[0].clone());
        assert!(matches!(verify_certificate(&h, &dup, &vals), Err(CertificateError::Duplicate { .. })));
        let wrong_round = Certificate { round: 1, ..certify(&keys[..3], &h, 0) };
        assert!(matches!(
            verify_certificate(&h, &wrong_round, &vals),
            Err(CertificateError::BadSignature { .. })
        ));
        let outsider = SigningKey::from_seed(&[99; 32]);
        let mut c = certify(&keys[..3], &h, 0);
        c.signatures[0].validator = outsider.public();
        assert!(matches!(verify_certificate(&h, &c, &vals), Err(CertificateError::NotValidator { .. })));
        let mut other = h.clone();
        other.time_ms = 2;
        assert!(matches!(
            verify_certificate(&other, &certify(&keys[..3], &h, 0), &vals),
            Err(CertificateError::BadSignature { .. })
        ));
    }
}
