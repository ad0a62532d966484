//! Canary bugs: deliberate breaches of the node's durability rules, compiled in only with
//! the `canary` cargo feature and switched on one at a time by `VOUCH_CANARY=<name>`.
//!
//! They exist to prove that the fault campaign (`vouch-testnet chaos`) can see the bugs it
//! is meant to catch: a campaign run against a node built with a canary switched on must
//! fail (issue 7; the runs are recorded in `docs/RELIABILITY.md`). Without the feature,
//! [`active`] is a constant `false` and every canary branch is compiled out, so a release
//! build cannot carry one.

/// One deliberate bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canary {
    /// `early-ack`: every store write commits with `Durability::None`, so the node replies
    /// to the engine, acknowledges clients and reports the new height after a commit that
    /// a crash rolls back (to the last durable commit).
    EarlyAck,
    /// `cosign-early`: the validator releases its cosignature first and records the
    /// cosigned checkpoint two seconds later, instead of recording it before releasing it.
    CosignEarly,
    /// `skip-wal-flush`: the validator's write-ahead record of what it signed (the signing
    /// guard, written and flushed before a signature is released) is left in a buffer that
    /// is never flushed, so a crash loses it: after a restart the node no longer knows what
    /// it signed. (The engine's own consensus log is flushed inside Malachite, out of reach
    /// of a switch of ours; the guard is the record that stops a restarted validator from
    /// signing twice.)
    SkipWalFlush,
}

impl Canary {
    /// Every canary, by its `VOUCH_CANARY` name.
    pub const ALL: [(&'static str, Canary); 3] = [
        ("early-ack", Canary::EarlyAck),
        ("cosign-early", Canary::CosignEarly),
        ("skip-wal-flush", Canary::SkipWalFlush),
    ];
}

/// Whether `canary` is the one switched on by `VOUCH_CANARY` (read once).
#[cfg(feature = "canary")]
pub fn active(canary: Canary) -> bool {
    static ON: std::sync::OnceLock<Option<Canary>> = std::sync::OnceLock::new();
    let on = ON.get_or_init(|| {
        let name = std::env::var("VOUCH_CANARY").ok()?;
        let found = Canary::ALL.iter().find(|(n, _)| *n == name).map(|(_, c)| *c);
        match found {
            Some(_) => {
                tracing::warn!(canary = %name, "CANARY BUG SWITCHED ON: this node breaks its own rules")
            }
            None => tracing::warn!(canary = %name, "VOUCH_CANARY names no canary; none switched on"),
        }
        found
    });
    *on == Some(canary)
}

/// Whether `canary` is switched on: never, in a build without the `canary` feature.
#[cfg(not(feature = "canary"))]
pub const fn active(_canary: Canary) -> bool {
    false
}
