//! `vouchd`: a Vouch ledger node. Consensus with Malachite over libp2p, storage on redb,
//! the HTTP API (the `vouch-api` crate, served by `api`), metrics and logs. The protocol
//! itself lives in `vouch-core`.

#[cfg(test)]
mod alloc_probe;
pub mod api;
pub mod app;
pub mod canary;
pub mod config;
pub mod consensus;
pub mod cosign;
pub mod durable;
pub mod evidence;
pub mod faults;
pub mod forward;
pub mod guard;
pub mod http;
pub mod keystore;
pub mod mempool;
pub mod metrics;
pub mod node;
pub mod resume;
pub mod shared;
pub mod store;
pub mod tokens;
pub mod wal;
