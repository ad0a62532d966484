//! Vouch's verifiable core: everything a regulator needs to check the ledger offline.
//!
//! This crate is pure: no I/O, no async, no clock, no global randomness. Time comes in
//! as an argument (block time), randomness as a `CryptoRngCore` argument. Every byte
//! that is hashed or signed is produced here and specified in `docs/PROTOCOL.md`.
//!
//! # Design
//!
//! The parts, from the bottom up:
//!
//! - [`limits`]: every size bound, with its reason.
//! - [`encoding`], [`canonical`], [`ids`], [`date`], [`money`]: hex/base64 fields, RFC 8785
//!   canonical JSON, identifiers, dates and decimal amounts. Signed objects travel in their
//!   canonical form only, so the bytes received are the bytes hashed.
//! - [`keys`], [`domain`]: Ed25519 (`verify_strict`) and X25519 keys in PKCS#8 v1 PEM, and
//!   one domain-separation constant per signing purpose.
//! - [`seal`]: salted commitments and HPKE (RFC 9180) sealing of confidential contents.
//! - [`merkle`]: the RFC 9162 Merkle log, inclusion and consistency proofs.
//! - [`note`], [`checkpoint`]: C2SP signed notes, tlog-checkpoints and tlog-cosignatures.
//! - [`genesis`], [`envelope`], [`documents`]: the network and the signed documents' clear
//!   parts; [`items`], [`calendar`]: the sealed contents of letters and answers, and the
//!   working-day calendar.
//! - [`state`]: the confirmation state machine, `State::apply(envelope, block_time)`.
//! - [`block`]: block headers, commit certificates and validator sets.
//! - [`verify`]: `verify_chain` over blocks from genesis.
//! - [`bundle`]: evidence bundles, `verify_bundle`, and checkpoint consistency.
//! - [`testkit`]: deterministic demo networks and ledgers (tests, examples, golden vectors);
//!   never used to verify anything.
//!
//! The split follows what a verifier must trust: an outside implementer can check each
//! layer against `docs/PROTOCOL.md` and the vectors in `core/tests/vectors/` on its own.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod block;
pub mod bundle;
pub mod calendar;
pub mod canonical;
pub mod checkpoint;
pub mod compose;
pub mod date;
pub mod documents;
pub mod domain;
pub mod encoding;
pub mod envelope;
pub mod genesis;
pub mod ids;
pub mod items;
pub mod keys;
pub mod limits;
pub mod merkle;
pub mod money;
pub mod note;
pub mod seal;
pub mod state;
pub mod testkit;
pub mod verify;
