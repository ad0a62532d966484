//! Own the signing guard: a small file, kept beside the node's key and outside its data
//! directory, recording the last (height, round, step) the key signed and what it signed.
//!
//! Before the signer returns a vote or proposal, the guard checks that it is strictly
//! after the last one (or the very same message again, which gets the same signature),
//! writes the new record and fsyncs it. A node that crashed, was restored from a backup or
//! had its data wiped therefore cannot sign a second, different message for a step it
//! already signed: the equivocation that would make an honest validator look byzantine.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use vouch_core::encoding::Hash;

use crate::consensus::signing::Sig;

/// A consensus step, in the order Tendermint takes them within a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Signing a proposal.
    Propose,
    /// Signing a prevote.
    Prevote,
    /// Signing a precommit.
    Precommit,
}

/// Why the guard refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// Signing would equivocate or go backwards.
    #[error(
        "signing guard: refusing to sign {step:?} at height {height} round {round}: this key already signed {last_step:?} at height {last_height} round {last_round}{what}"
    )]
    Refused {
        /// Requested position.
        height: u64,
        /// Requested round.
        round: i64,
        /// Requested step.
        step: Step,
        /// Last signed height.
        last_height: u64,
        /// Last signed round.
        last_round: i64,
        /// Last signed step.
        last_step: Step,
        /// Extra detail.
        what: &'static str,
    },
    /// The guard file cannot be read, parsed or written.
    #[error(
        "signing guard {path}: {reason}; next: restore the guard file or, if the key never signed, remove it"
    )]
    File {
        /// Its path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    height: u64,
    round: i64,
    step: Step,
    digest: Hash,
    sig: String,
}

/// The guard; one per signing key.
#[derive(Debug)]
pub struct Guard {
    path: PathBuf,
    last: Mutex<Option<Record>>,
    /// Set when a signature was refused for going backwards; see [`Guard::take_refused`].
    refused: std::sync::atomic::AtomicBool,
}

impl Guard {
    /// Open (or start) the guard at `path`. A present but unreadable file is an error: a
    /// guard must never silently reset.
    pub fn open(path: &Path) -> Result<Guard, GuardError> {
        let err = |reason: String| GuardError::File { path: path.to_path_buf(), reason };
        let last = match std::fs::read(path) {
            Ok(bytes) => Some(
                serde_json::from_slice::<Record>(&bytes)
                    .map_err(|e| err(format!("not a guard record: {e}")))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(err(e.to_string())),
        };
        Ok(Guard { path: path.to_path_buf(), last: Mutex::new(last), refused: Default::default() })
    }

    /// Whether a signature was refused since the last call (and clear it). The engine
    /// treats a refused signature as fatal; the node then knows that its consensus state is
    /// behind what this key signed (a write-ahead log cut, lost or restored) and follows
    /// the chain without signing until past the last signed height, instead of failing the
    /// same way at every restart.
    pub fn take_refused(&self) -> bool {
        self.refused.swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    /// The last signed height (0 if none).
    pub fn last_height(&self) -> u64 {
        self.last.lock().map(|l| l.as_ref().map_or(0, |r| r.height)).unwrap_or(0)
    }

    /// Sign at (height, round, step) with `sign`, unless that would equivocate. `digest`
    /// names what is signed; the same digest at the same position returns the stored
    /// signature without signing again.
    pub fn sign_once(
        &self,
        height: u64,
        round: i64,
        step: Step,
        digest: &Hash,
        sign: impl FnOnce() -> Sig,
    ) -> Result<Sig, GuardError> {
        let mut last = self.last.lock().map_err(|_| GuardError::File {
            path: self.path.clone(),
            reason: "guard lock poisoned by an earlier panic".into(),
        })?;
        if let Some(l) = last.as_ref() {
            let here = (height, round, step);
            let there = (l.height, l.round, l.step);
            let refused = |what| {
                self.refused.store(true, std::sync::atomic::Ordering::SeqCst);
                GuardError::Refused {
                    height,
                    round,
                    step,
                    last_height: l.height,
                    last_round: l.round,
                    last_step: l.step,
                    what,
                }
            };
            if here == there {
                if &l.digest == digest {
                    let bytes = hex::decode(&l.sig).ok().and_then(|b| <[u8; 64]>::try_from(b).ok());
                    return bytes.map(Sig).ok_or_else(|| GuardError::File {
                        path: self.path.clone(),
                        reason: "stored signature is not 64 hex bytes".into(),
                    });
                }
                return Err(refused(" (a different message)"));
            }
            if here < there {
                return Err(refused(""));
            }
        }
        let sig = sign();
        let record = Record { height, round, step, digest: *digest, sig: hex::encode(sig.0) };
        self.persist(&record)?;
        *last = Some(record);
        Ok(sig)
    }

    fn persist(&self, record: &Record) -> Result<(), GuardError> {
        if crate::canary::active(crate::canary::Canary::SkipWalFlush) {
            // The deliberate bug: the record stays in memory, never written or flushed.
            return Ok(());
        }
        let err = |reason: String| GuardError::File { path: self.path.clone(), reason };
        let bytes = serde_json::to_vec(record).map_err(|e| err(e.to_string()))?;
        crate::durable::replace_file(&self.path, &bytes).map_err(|e| err(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(b: u8) -> Sig {
        Sig([b; 64])
    }

    #[test]
    fn refuses_backwards_and_different_messages_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem.guard");
        let g = Guard::open(&path).unwrap();
        let a = Hash::sha256(b"a");
        let b = Hash::sha256(b"b");
        assert_eq!(g.sign_once(5, 0, Step::Prevote, &a, || sig(1)).unwrap(), sig(1));
        // Same message again: same signature, signer not called.
        assert_eq!(g.sign_once(5, 0, Step::Prevote, &a, || sig(9)).unwrap(), sig(1));
        // Different message at the same step: refused.
        assert!(matches!(g.sign_once(5, 0, Step::Prevote, &b, || sig(2)), Err(GuardError::Refused { .. })));
        // Earlier step or height: refused.
        assert!(g.sign_once(5, 0, Step::Propose, &b, || sig(2)).is_err());
        assert!(g.sign_once(4, 9, Step::Precommit, &b, || sig(2)).is_err());
        // Later: fine.
        assert_eq!(g.sign_once(5, 0, Step::Precommit, &b, || sig(3)).unwrap(), sig(3));
        drop(g);
        let g = Guard::open(&path).unwrap();
        assert_eq!(g.last_height(), 5);
        assert!(g.sign_once(5, 0, Step::Prevote, &a, || sig(1)).is_err());
        assert!(g.sign_once(3, 0, Step::Propose, &a, || sig(1)).is_err());
        assert_eq!(g.sign_once(6, 0, Step::Propose, &a, || sig(4)).unwrap(), sig(4));
    }

    #[test]
    fn a_corrupt_guard_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g");
        std::fs::write(&path, b"{not json").unwrap();
        let e = Guard::open(&path).unwrap_err().to_string();
        assert!(e.contains("not a guard record"), "{e}");
    }
}
