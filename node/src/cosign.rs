//! Own checkpoint cosigning: a validator cosigns the C2SP checkpoint of its log after
//! each committed block, only if it is consistent with the last checkpoint it cosigned
//! (which it records durably *before* releasing the cosignature), sends it to the other
//! nodes, and every node gathers cosignatures until validators holding more than 2/3 of
//! the voting power have cosigned one size; that note is stored and served.
//!
//! A cosignature by a validator over a root that differs from this node's root at the
//! same size is proof of a split view: it is kept as evidence.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use vouch_core::checkpoint::{Checkpoint, Cosignature, CosignedCheckpoint, cosign_checkpoint, verify_quorum};
use vouch_core::encoding::Hash;
use vouch_core::genesis::Genesis;
use vouch_core::keys::{PublicKey, SigningKey};

use crate::store::Store;

/// Why cosigning or gathering failed.
#[derive(Debug, thiserror::Error)]
pub enum CosignError {
    /// Cosigning would contradict an earlier cosignature.
    #[error("cosigner: refusing to cosign size {size}: {reason}")]
    Inconsistent {
        /// Requested size.
        size: u64,
        /// Why.
        reason: String,
    },
    /// The cosigner state file cannot be read or written.
    #[error("cosigner state {path}: {reason}")]
    File {
        /// Path.
        path: PathBuf,
        /// Reason.
        reason: String,
    },
    /// Reading the log failed.
    #[error("cosigner: {0}")]
    Store(String),
    /// The checkpoint or note is malformed.
    #[error("cosigner: {0}")]
    Checkpoint(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Last {
    size: u64,
    root: Hash,
}

/// A validator's cosigner, with its durable "largest checkpoint cosigned" record.
pub struct Cosigner {
    key: SigningKey,
    name: String,
    origin: String,
    path: PathBuf,
    last: Mutex<Option<Last>>,
}

impl Cosigner {
    /// The cosigner of `name` for `origin`, with its state at `path` (beside the key).
    pub fn open(key: SigningKey, name: String, origin: String, path: &Path) -> Result<Cosigner, CosignError> {
        let last = match std::fs::read(path) {
            Ok(b) => Some(serde_json::from_slice::<Last>(&b).map_err(|e| CosignError::File {
                path: path.to_path_buf(),
                reason: format!(
                    "not a cosigner record: {e}; restore it (never delete it while the key is in use)"
                ),
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(CosignError::File { path: path.to_path_buf(), reason: e.to_string() }),
        };
        Ok(Cosigner { key, name, origin, path: path.to_path_buf(), last: Mutex::new(last) })
    }

    /// Cosign the checkpoint (size, root) of this node's log at `timestamp` (seconds), if
    /// it extends the last one cosigned: same size needs the same root; a larger size needs
    /// a consistency proof from the store that verifies. The record is fsynced first.
    pub fn cosign(
        &self,
        store: &Store,
        size: u64,
        root: Hash,
        timestamp: u64,
    ) -> Result<String, CosignError> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = last.as_ref() {
            if size < l.size {
                return Err(CosignError::Inconsistent {
                    size,
                    reason: format!("already cosigned the larger size {}", l.size),
                });
            }
            if size == l.size && root != l.root {
                return Err(CosignError::Inconsistent {
                    size,
                    reason: "already cosigned a different root at this size".into(),
                });
            }
            if size > l.size && l.size > 0 {
                let proof =
                    store.consistency_proof(l.size, size).map_err(|e| CosignError::Store(e.to_string()))?;
                vouch_core::merkle::verify_consistency(l.size, size, &proof, &l.root, &root).map_err(
                    |e| CosignError::Inconsistent {
                        size,
                        reason: format!("not consistent with size {}: {e}", l.size),
                    },
                )?;
            }
        }
        let checkpoint =
            Checkpoint::new(&self.origin, size, root).map_err(|e| CosignError::Checkpoint(e.to_string()))?;
        let record = Last { size, root };
        if crate::canary::active(crate::canary::Canary::CosignEarly) {
            let (path, late) = (self.path.clone(), record.clone());
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(2));
                let _ = persist(&path, &late);
            });
        } else {
            persist(&self.path, &record)?;
        }
        *last = Some(record);
        let cos = cosign_checkpoint(&checkpoint, &self.name, &self.key, timestamp)
            .map_err(|e| CosignError::Checkpoint(e.to_string()))?;
        CosignedCheckpoint { checkpoint, cosignatures: vec![cos], other_signatures: Vec::new() }
            .to_note()
            .map_err(|e| CosignError::Checkpoint(e.to_string()))
    }
}

fn persist(path: &Path, record: &Last) -> Result<(), CosignError> {
    let bytes = serde_json::to_vec(record).map_err(|e| CosignError::Checkpoint(e.to_string()))?;
    crate::durable::replace_file(path, &bytes)
        .map_err(|e| CosignError::File { path: path.to_path_buf(), reason: e.to_string() })
}

/// What became of a received cosignature.
#[derive(Debug)]
pub enum Gathered {
    /// Counted (or already known); `Some(note)` when this size now has a quorum note.
    Counted(Option<(u64, String)>),
    /// For a size this node has not reached yet; kept for later.
    Ahead,
    /// Proof of a split view: the validator cosigned another root at a size this node has.
    Conflict {
        /// Cosigner name.
        name: String,
        /// The offending note.
        note: String,
        /// This node's root at that size.
        ours: Hash,
    },
}

/// Gathers cosignatures per size until a quorum.
pub struct Collector {
    origin: String,
    validators: Vec<(String, PublicKey, u64)>,
    by_size: Mutex<BTreeMap<u64, BTreeMap<String, Cosignature>>>,
    ahead: Mutex<BTreeMap<String, String>>,
    /// Per cosigner: the largest tree size seen cosigned by it, and when it signed.
    latest: Mutex<BTreeMap<String, (u64, u64)>>,
}

impl Collector {
    /// For the validators of `genesis`.
    pub fn new(genesis: &Genesis) -> Collector {
        Collector {
            origin: genesis.network.to_string(),
            validators: genesis.validators().into_iter().map(|v| (v.name, v.key, v.power)).collect(),
            by_size: Mutex::new(BTreeMap::new()),
            ahead: Mutex::new(BTreeMap::new()),
            latest: Mutex::new(BTreeMap::new()),
        }
    }

    /// Take a note carrying one or more cosignatures, checked against this node's log.
    pub fn add(&self, store: &Store, note: &str) -> Result<Gathered, CosignError> {
        let parsed = CosignedCheckpoint::parse_note(note.as_bytes())
            .map_err(|e| CosignError::Checkpoint(e.to_string()))?;
        if parsed.checkpoint.origin != self.origin {
            return Err(CosignError::Checkpoint(format!(
                "origin {:?} is not this network",
                parsed.checkpoint.origin
            )));
        }
        // Each line by a validator must verify against the note's own checkpoint.
        let mut names = Vec::new();
        for c in &parsed.cosignatures {
            let Some(v) = self.validators.iter().find(|(n, _, _)| n == &c.name) else { continue };
            let single = CosignedCheckpoint {
                checkpoint: parsed.checkpoint.clone(),
                cosignatures: vec![c.clone()],
                other_signatures: Vec::new(),
            };
            verify_quorum(&single, &[(v.0.as_str(), v.1, 1)])
                .map_err(|e| CosignError::Checkpoint(e.to_string()))?;
            names.push(c.name.clone());
        }
        if names.is_empty() {
            return Err(CosignError::Checkpoint("no cosignature by a validator of this network".into()));
        }
        let size = parsed.checkpoint.size;
        {
            // Each validator's progress as its verified cosignatures show it.
            let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
            for c in parsed.cosignatures.iter().filter(|c| names.contains(&c.name)) {
                let seen = latest.entry(c.name.clone()).or_insert((size, c.timestamp));
                if size > seen.0 {
                    *seen = (size, c.timestamp);
                }
            }
        }
        let tree = store.tree_size().map_err(|e| CosignError::Store(e.to_string()))?;
        if size > tree {
            let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
            for n in &names {
                ahead.insert(n.clone(), note.to_string());
            }
            return Ok(Gathered::Ahead);
        }
        let ours = store.root(size).map_err(|e| CosignError::Store(e.to_string()))?;
        if ours != parsed.checkpoint.root {
            let name = names.first().cloned().unwrap_or_default();
            return Ok(Gathered::Conflict { name, note: note.to_string(), ours });
        }
        let mut by_size = self.by_size.lock().unwrap_or_else(|p| p.into_inner());
        let entry = by_size.entry(size).or_default();
        for c in parsed.cosignatures.iter().filter(|c| names.contains(&c.name)) {
            entry.entry(c.name.clone()).or_insert_with(|| c.clone());
        }
        let cosignatures: Vec<Cosignature> = entry.values().cloned().collect();
        let power: u128 = self
            .validators
            .iter()
            .filter(|(n, _, _)| entry.contains_key(n))
            .map(|(_, _, p)| u128::from(*p))
            .sum();
        let total: u128 = self.validators.iter().map(|(_, _, p)| u128::from(*p)).sum();
        // Keep memory bounded: only the newest sizes matter.
        while by_size.len() > 64 {
            let Some(k) = by_size.keys().next().copied() else { break };
            by_size.remove(&k);
        }
        if power * 3 > total * 2 {
            let note = CosignedCheckpoint {
                checkpoint: parsed.checkpoint,
                cosignatures,
                other_signatures: Vec::new(),
            }
            .to_note()
            .map_err(|e| CosignError::Checkpoint(e.to_string()))?;
            return Ok(Gathered::Counted(Some((size, note))));
        }
        Ok(Gathered::Counted(None))
    }

    /// Per validator (cosigner name): the largest tree size this node has seen it cosign,
    /// and the time it signed (POSIX seconds). Validators not heard from are absent.
    pub fn latest(&self) -> BTreeMap<String, (u64, u64)> {
        self.latest.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Notes kept because they were ahead of this node; call after each commit.
    pub fn take_ahead(&self) -> Vec<String> {
        let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *ahead).into_values().collect()
    }
}

/// Take a cosignature note into `shared`: count it, store a quorum note, keep evidence of
/// a split view. Returns what happened.
pub fn gather(shared: &crate::shared::Shared, note: &str) -> Result<Gathered, CosignError> {
    let g = shared.collector.add(&shared.store, note)?;
    match &g {
        Gathered::Counted(Some((size, quorum))) => {
            shared.store.put_checkpoint(*size, quorum).map_err(|e| CosignError::Store(e.to_string()))?;
        }
        Gathered::Conflict { name, note, ours } => {
            tracing::warn!(cosigner = %name, "a validator cosigned a checkpoint that conflicts with this node's log");
            let json =
                serde_json::json!({"cosigner": name, "note": note, "our_root": ours.to_hex()}).to_string();
            let height = shared.snapshot().height;
            shared
                .store
                .put_evidence(height, "conflicting-checkpoint", &json)
                .map_err(|e| CosignError::Store(e.to_string()))?;
            shared.metrics.evidence.inc();
            let count = shared.store.evidence().map(|e| e.len() as u64).unwrap_or(0);
            shared.update(|s| s.evidence = count);
        }
        _ => {}
    }
    Ok(g)
}
