//! Run a local Vouch testnet: a demo network of real `vouchd` processes on 127.0.0.1,
//! driven over HTTP. Used by the `vouch-testnet` binary and by the end-to-end tests.
//!
//! # Design
//!
//! - [`layout`]: what a testnet directory holds (genesis, per-node key, config, data, log)
//!   and how it is generated from a seed; [`layout::Manifest`] records ports and peer ids
//!   so a later invocation (`status`, `down`, `demo`) finds the same network.
//! - [`config`]: the `node.toml` written for each node (mirrors `vouch-node`'s schema).
//! - [`peer`]: the libp2p peer id of a node key. [`ports`]: free local ports.
//! - [`process`]: finding `vouchd`, starting it, signals, pid files.
//! - [`client`]: the HTTP contract of `vouchd` as blocking calls.
//! - [`net`]: [`net::Testnet`], a running network with the helpers tests use
//!   (`kill`, `start`, `status`, `submit`, `wait_until`, log tails); dropping it kills every
//!   process it started unless told to keep them.
//! - [`demo`] and [`load`]: the scripted demo and the load generator; [`wave`]: submitting
//!   documents round-robin and awaiting their commits.
//! - [`actors`]: named faulty actors (a twin of a validator, an outsider).
//! - [`chaos`]: `chaos`, a seeded fault campaign through link proxies, with checkers.
//! - [`proofbench`]: `bench-proofs`, a one-validator ledger of a million entries written
//!   straight into a store, served by `vouchd` and loaded with `wrk`.
//!
//! Everything derives from a seed; the keys are public test keys (see
//! `vouch_core::testkit`): never use them for anything real.

pub mod actors;
pub mod chaos;
pub mod client;
pub mod config;
pub mod demo;
pub mod layout;
pub mod load;
pub mod logins;
pub mod net;
pub mod peer;
pub mod ports;
pub mod process;
pub mod proofbench;
pub mod wave;

pub use net::{Testnet, wait_until};
