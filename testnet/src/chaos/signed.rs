//! Hold each validator's signing guard to what it was seen to sign.
//!
//! A validator writes and flushes its guard (`key.pem.guard`, beside its key: the last
//! height, round and step it signed) before it releases a signature; that record is what
//! keeps a restarted validator from signing a second, different vote for a step it already
//! signed (`docs/NODE.md`). So whenever the campaign kills a validator, the guard left on
//! disk must already cover the latest precommit of that validator that any node holds in a
//! commit certificate: a precommit in a certificate was released, and the process is dead,
//! so it was released before the kill. A guard behind it means the node released a
//! signature before its record was durable — what the `skip-wal-flush` canary does.
//!
//! Certificates are read from the highest running node's last few blocks right after the
//! kill, before any restart, so this is a sample of what the validator released, never
//! more than it released.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use vouch_core::block::Block;
use vouch_core::keys::PublicKey;

use super::check::Verdict;

/// A validator's guard, in its node directory (beside `key.pem`, as `vouchd` keeps it).
pub const GUARD_RECORD: &str = "key.pem.guard";

/// How many of the highest node's last blocks are read after each kill.
pub const BLOCKS_READ: u64 = 8;

/// A signing position: (height, round, step), steps ranked as the guard orders them
/// (propose 0, prevote 1, precommit 2).
pub type Position = (u64, i64, u8);

const PRECOMMIT: u8 = 2;

/// What the checks found.
#[derive(Debug, Default)]
pub struct Signings {
    problems: Mutex<BTreeSet<String>>,
    checked: AtomicU64,
    unread: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The latest (height, round) at which `key`'s precommit is in one of `blocks`'
/// certificates.
pub fn latest_precommit(key: &PublicKey, blocks: &[Block]) -> Option<(u64, i64)> {
    blocks
        .iter()
        .filter(|b| b.certificate.signatures.iter().any(|s| s.validator == *key))
        .map(|b| (b.header.height, i64::from(b.certificate.round)))
        .max()
}

/// The position a guard file records (`None`: no file, so nothing recorded).
pub fn guard_position(path: &Path) -> Result<Option<Position>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a guard record: {e}", path.display()))?;
    let height = v.get("height").and_then(serde_json::Value::as_u64);
    let round = v.get("round").and_then(serde_json::Value::as_i64);
    let step = match v.get("step").and_then(serde_json::Value::as_str) {
        Some("propose") => Some(0),
        Some("prevote") => Some(1),
        Some("precommit") => Some(PRECOMMIT),
        _ => None,
    };
    match (height, round, step) {
        (Some(h), Some(r), Some(s)) => Ok(Some((h, r, s))),
        _ => Err(format!("{}: not a guard record: {}", path.display(), String::from_utf8_lossy(&bytes))),
    }
}

impl Signings {
    /// After `name` (consensus key `key`) was killed: its guard at `path` must cover its
    /// latest precommit in `blocks`.
    pub fn check_guard(&self, name: &str, key: &PublicKey, path: &Path, blocks: &[Block]) {
        let Some((height, round)) = latest_precommit(key, blocks) else { return };
        self.checked.fetch_add(1, Ordering::Relaxed);
        let problem = match guard_position(path) {
            Ok(Some(at)) if at >= (height, round, PRECOMMIT) => return,
            Ok(Some((h, r, s))) => format!("a record of step {s} at height {h} round {r}"),
            Ok(None) => "no record".to_string(),
            Err(e) => e,
        };
        lock(&self.problems).insert(format!(
            "{name}'s precommit at height {height} round {round} is in a commit certificate, but when it was killed {} held {problem}: it released a signature before recording it",
            path.display()
        ));
    }

    /// A kill after which no certificates could be read (counted, not a failure: the
    /// check is a sample).
    pub fn unread(&self) {
        self.unread.fetch_add(1, Ordering::Relaxed);
    }

    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        let problems: Vec<String> = lock(&self.problems).iter().cloned().collect();
        Verdict::from_problems(
            "signing",
            format!(
                "{} guards read after a kill held the validator's latest precommit seen in a certificate ({} kills with no certificate read)",
                self.checked.load(Ordering::Relaxed),
                self.unread.load(Ordering::Relaxed)
            ),
            &problems,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_core::block::{Certificate, CommitSignature, Header};
    use vouch_core::keys::SigningKey;

    fn block(height: u64, round: u32, signers: &[&SigningKey]) -> Block {
        let header = Header {
            height,
            ..vouch_core::testkit::demo_ledger(1).expect("demo").0.blocks[0].header.clone()
        };
        let signatures = signers
            .iter()
            .map(|k| CommitSignature { validator: k.public(), sig: vouch_core::keys::Signature([0; 64]) })
            .collect();
        Block { header, certificate: Certificate { round, signatures }, documents: Vec::new() }
    }

    fn guard(dir: &Path, height: u64, round: i64, step: &str) -> std::path::PathBuf {
        let path = dir.join(GUARD_RECORD);
        let record =
            serde_json::json!({"height": height, "round": round, "step": step, "digest": "00", "sig": "00"});
        std::fs::write(&path, record.to_string()).expect("write");
        path
    }

    #[test]
    fn the_latest_precommit_is_the_highest_certificate_that_holds_the_key() {
        let (a, b) = (SigningKey::from_seed(&[1; 32]), SigningKey::from_seed(&[2; 32]));
        let blocks = vec![block(7, 0, &[&a, &b]), block(8, 2, &[&a]), block(9, 0, &[&b])];
        assert_eq!(latest_precommit(&a.public(), &blocks), Some((8, 2)));
        assert_eq!(latest_precommit(&b.public(), &blocks), Some((9, 0)));
        assert_eq!(latest_precommit(&SigningKey::from_seed(&[3; 32]).public(), &blocks), None);
    }

    #[test]
    fn a_guard_at_or_past_the_precommit_passes_and_one_behind_or_missing_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = SigningKey::from_seed(&[1; 32]);
        let blocks = vec![block(8, 1, &[&a])];
        let s = Signings::default();
        s.check_guard("bank-a", &a.public(), &guard(dir.path(), 8, 1, "precommit"), &blocks);
        s.check_guard("bank-a", &a.public(), &guard(dir.path(), 9, 0, "propose"), &blocks);
        assert!(s.verdict().passed, "{}", s.verdict().detail);

        for (h, r, step) in [(8, 1, "prevote"), (8, 0, "precommit"), (7, 5, "precommit")] {
            let s = Signings::default();
            s.check_guard("bank-a", &a.public(), &guard(dir.path(), h, r, step), &blocks);
            let v = s.verdict();
            assert!(!v.passed, "{h}/{r}/{step} is behind the precommit at 8/1");
            assert!(v.detail.contains("released a signature before recording it"), "{}", v.detail);
        }
        let s = Signings::default();
        s.check_guard("bank-a", &a.public(), &dir.path().join("absent"), &blocks);
        assert!(!s.verdict().passed, "no guard at all is behind");

        let s = Signings::default();
        std::fs::write(dir.path().join("junk"), b"{not json").expect("write");
        s.check_guard("bank-a", &a.public(), &dir.path().join("junk"), &blocks);
        assert!(!s.verdict().passed, "an unreadable guard is not a record");
    }

    #[test]
    fn a_validator_in_no_certificate_is_not_judged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (SigningKey::from_seed(&[1; 32]), SigningKey::from_seed(&[2; 32]));
        let s = Signings::default();
        s.check_guard("bank-a", &a.public(), &dir.path().join("absent"), &[block(3, 0, &[&b])]);
        s.unread();
        let v = s.verdict();
        assert!(v.passed, "{}", v.detail);
        assert!(v.detail.starts_with("0 guards read") && v.detail.contains("1 kills"), "{}", v.detail);
    }
}
