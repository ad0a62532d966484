//! Watch a node's cosigned checkpoints and prove each new one extends the last one seen
//! (`vouch monitor`): the check that catches a split view, where validators show
//! different histories to different readers (`docs/PROTOCOL.md` R-CKPT-9, R-COSIGN-5).
//!
//! # Terminology
//!
//! - *State file*: JSON holding the largest checkpoint this monitor verified, its size and
//!   root. Replaced atomically (temporary file, fsync, rename), so a crash leaves the old
//!   state or the new, never a torn one. Re-verified against the genesis on every read.
//! - *Round*: fetch `/v1/checkpoint`; verify its quorum against the pinned genesis; compare
//!   it with the stored one; for a larger size, fetch `/v1/proofs/consistency` and verify
//!   it; on success store the new checkpoint.
//! - *Split view*: a served checkpoint smaller than the stored one (a rollback), of the
//!   same size with another root, or larger with a proof that fails. Both notes and the
//!   proof are written to an *evidence file* beside the state file, and the run stops.
//!
//! A served checkpoint that is not cosigned by a quorum is refused (nothing is stored) but
//! is not a split view: the validators did not sign it. A node that does not answer, or
//! answers garbage, is a network error; the state is untouched and the next round retries.
//!
//! ```text
//!   stored (size m, root r)      served (size n, root s)
//!   n < m            -> split view (rollback)
//!   n = m, s = r     -> unchanged
//!   n = m, s != r    -> split view (two roots for one size)
//!   n > m = 0        -> store n (every log extends the empty one)
//!   n > m > 0        -> fetch proof m..n: verifies -> store n; fails -> split view
//! ```

use crate::client::{Client, ClientError, ConsistencyProof};
use crate::files::{self, FileError};
use crate::genesis::{self, GenesisFileError};
use crate::outcome::{Classify, Exit, Report};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use vouch_core::bundle::{BundleError, verify_checkpoint_note, verify_consistency};
use vouch_core::checkpoint::CosignedCheckpoint;
use vouch_core::encoding::Hash;
use vouch_core::genesis::Genesis;
use vouch_core::limits::NOTE_BYTES_MAX;

/// The state file format version.
const STATE_VERSION: u32 = 1;
/// A state file holds one note and a few fields.
const STATE_FILE_BYTES_MAX: usize = 2 * NOTE_BYTES_MAX + 4096;
/// Evidence files for one second are numbered up to this before giving up.
const EVIDENCE_NAMES_MAX: u32 = 100;

/// Why a monitor round failed.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The genesis file could not be used.
    #[error(transparent)]
    Genesis(#[from] GenesisFileError),
    /// The state file could not be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The state file is not one this tool wrote.
    #[error("state file {path} is not a vouch monitor state file: {detail}")]
    State {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The state file is for another network.
    #[error("state file {path} is for genesis {stored}, not the pinned {pinned}")]
    StateGenesis {
        /// The file.
        path: PathBuf,
        /// Genesis hash in the state.
        stored: Hash,
        /// Genesis hash pinned.
        pinned: Hash,
    },
    /// The checkpoint in the state file no longer verifies.
    #[error("the checkpoint stored in {path} does not verify against the pinned genesis")]
    StateCheckpoint {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<BundleError>,
    },
    /// The node could not be asked.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The served checkpoint is not a checkpoint of this network cosigned by a quorum.
    #[error("the checkpoint served at {url} is refused")]
    Refused {
        /// Where it was served.
        url: String,
        /// Why.
        #[source]
        source: Box<BundleError>,
    },
    /// A split view.
    #[error("{0}")]
    SplitView(Box<SplitView>),
}

/// Which inconsistency a split view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SplitKind {
    /// A served checkpoint smaller than the stored one.
    Rollback,
    /// Two checkpoints of one size with different roots.
    TwoRoots,
    /// A larger checkpoint whose consistency proof fails.
    ProofFails,
}

/// What a split view shows, and where its evidence went.
#[derive(Debug)]
pub struct SplitView {
    /// Where the checkpoint was served.
    url: String,
    /// Which inconsistency.
    kind: SplitKind,
    /// What is inconsistent.
    reason: String,
    /// The stored size.
    stored_size: u64,
    /// The stored root.
    stored_root: Hash,
    /// The served size.
    served_size: u64,
    /// The served root.
    served_root: Hash,
    /// Where the evidence was written, as a sentence.
    evidence: String,
    /// The evidence file, if written.
    evidence_path: Option<PathBuf>,
}

impl std::fmt::Display for SplitView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SPLIT VIEW: {}; stored checkpoint size {} root {}, served size {} root {} ({}); {}",
            self.reason,
            self.stored_size,
            self.stored_root,
            self.served_size,
            self.served_root,
            self.url,
            self.evidence
        )
    }
}

impl MonitorError {
    /// Whether a looping monitor should report this and try again next round.
    pub fn is_transient(&self) -> bool {
        matches!(self, MonitorError::Client(_) | MonitorError::Refused { .. })
    }
}

impl Classify for MonitorError {
    fn exit(&self) -> Exit {
        match self {
            MonitorError::Genesis(e) => e.exit(),
            MonitorError::File(e) => e.exit(),
            MonitorError::Client(e) => e.exit(),
            MonitorError::State { .. }
            | MonitorError::StateGenesis { .. }
            | MonitorError::StateCheckpoint { .. } => Exit::Usage,
            MonitorError::Refused { .. } | MonitorError::SplitView(_) => Exit::Refused,
        }
    }

    fn hint(&self) -> String {
        match self {
            MonitorError::Genesis(e) => e.hint(),
            MonitorError::File(e) => e.hint(),
            MonitorError::Client(e) => e.hint(),
            MonitorError::State { .. } | MonitorError::StateCheckpoint { .. } => {
                "pass the state file an earlier `vouch monitor` wrote, or a new path to start afresh".into()
            }
            MonitorError::StateGenesis { .. } => "use one state file per network".into(),
            MonitorError::Refused { .. } => {
                "the node served a checkpoint its validators did not sign; report the node, nothing was stored".into()
            }
            MonitorError::SplitView(v) => {
                let why = match v.kind {
                    SplitKind::Rollback => {
                        "a node that shows an older checkpoint after a newer one hides later entries from you \
                         (or is a stale replica)"
                    }
                    SplitKind::TwoRoots => "a quorum of validators signed two different trees of one size",
                    SplitKind::ProofFails => {
                        "a quorum of validators signed checkpoints that do not extend one another, or the node \
                         served a wrong proof"
                    }
                };
                format!(
                    "keep the evidence file and the state file: {why}. Check with another node \
                     (`vouch verify consistency OLD NEW --from URL`) and report it to the network's operators \
                     and regulator"
                )
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            MonitorError::Genesis(e) => e.details(),
            MonitorError::File(e) => e.details(),
            MonitorError::Client(e) => e.details(),
            MonitorError::State { path, .. } | MonitorError::StateCheckpoint { path, .. } => {
                serde_json::json!({ "state": path.display().to_string() })
            }
            MonitorError::StateGenesis { path, stored, pinned } => {
                serde_json::json!({ "state": path.display().to_string(), "stored": stored, "pinned": pinned })
            }
            MonitorError::Refused { url, .. } => serde_json::json!({ "url": url }),
            MonitorError::SplitView(v) => serde_json::json!({
                "split_view": true,
                "split_kind": v.kind,
                "url": v.url,
                "reason": v.reason,
                "stored": { "size": v.stored_size, "root": v.stored_root },
                "served": { "size": v.served_size, "root": v.served_root },
                "evidence": v.evidence_path.as_ref().map(|p| p.display().to_string()),
            }),
        }
    }
}

/// What the state file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    /// Format version.
    vouch_monitor: u32,
    /// The pinned network.
    network: String,
    /// Its genesis hash.
    genesis_hash: Hash,
    /// The node it was fetched from.
    source: String,
    /// Size of the stored checkpoint.
    size: u64,
    /// Its root.
    root: Hash,
    /// The cosigned checkpoint note.
    checkpoint: String,
    /// When it was verified, Unix seconds.
    verified_unix: u64,
}

/// What a split view's evidence file holds.
#[derive(Debug, Serialize)]
struct Evidence<'a> {
    kind: &'static str,
    reason: &'a str,
    detected_unix: u64,
    url: &'a str,
    network: &'a str,
    genesis_hash: Hash,
    stored_checkpoint: &'a str,
    served_checkpoint: &'a str,
    consistency_proof: Option<&'a ConsistencyProof>,
}

/// A monitor of one node for one network.
#[derive(Debug)]
pub struct Monitor {
    client: Client,
    genesis: Genesis,
    genesis_hash: Hash,
    state_path: PathBuf,
}

/// What one round found.
#[derive(Debug, Serialize)]
struct RoundReport {
    outcome: &'static str,
    url: String,
    state: String,
    size: Option<u64>,
    root: Option<Hash>,
    previous_size: Option<u64>,
    proof_hashes: Option<usize>,
    cosigners: Vec<String>,
    checked_unix: u64,
}

fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Monitor {
    /// A monitor of the node at `url`, pinned to the genesis at `genesis_path`.
    pub fn new(url: &str, genesis_path: &Path, state_path: &Path) -> Result<Monitor, MonitorError> {
        let (genesis, _) = genesis::load(genesis_path)?;
        let client = Client::new(url)?;
        Ok(Monitor { genesis_hash: genesis.hash(), genesis, client, state_path: state_path.to_path_buf() })
    }

    /// Read and re-verify the state file; `None` if it does not exist yet.
    fn load_state(&self) -> Result<Option<State>, MonitorError> {
        if !self.state_path.exists() {
            return Ok(None);
        }
        let path = &self.state_path;
        let bytes = files::read_bounded(path, "monitor state file", STATE_FILE_BYTES_MAX)?;
        let state: State = serde_json::from_slice(&bytes)
            .map_err(|e| MonitorError::State { path: path.clone(), detail: e.to_string() })?;
        if state.vouch_monitor != STATE_VERSION {
            return Err(MonitorError::State {
                path: path.clone(),
                detail: format!("version {}, expected {STATE_VERSION}", state.vouch_monitor),
            });
        }
        if state.genesis_hash != self.genesis_hash {
            return Err(MonitorError::StateGenesis {
                path: path.clone(),
                stored: state.genesis_hash,
                pinned: self.genesis_hash,
            });
        }
        let (checkpoint, _) =
            verify_checkpoint_note(state.checkpoint.as_bytes(), &self.genesis).map_err(|source| {
                MonitorError::StateCheckpoint { path: path.clone(), source: Box::new(source) }
            })?;
        if (checkpoint.checkpoint.size, checkpoint.checkpoint.root) != (state.size, state.root) {
            return Err(MonitorError::State {
                path: path.clone(),
                detail: "size and root do not match the stored checkpoint note".into(),
            });
        }
        Ok(Some(state))
    }

    /// Store `note` as the largest verified checkpoint.
    fn store(&self, note: &str, checkpoint: &CosignedCheckpoint) -> Result<(), MonitorError> {
        let state = State {
            vouch_monitor: STATE_VERSION,
            network: self.genesis.network.to_string(),
            genesis_hash: self.genesis_hash,
            source: self.client.base().to_string(),
            size: checkpoint.checkpoint.size,
            root: checkpoint.checkpoint.root,
            checkpoint: note.to_string(),
            verified_unix: now_unix(),
        };
        let mut bytes = serde_json::to_vec_pretty(&state).map_err(|e| MonitorError::State {
            path: self.state_path.clone(),
            detail: format!("cannot encode the state: {e}"),
        })?;
        bytes.push(b'\n');
        files::replace_atomically(&self.state_path, &bytes, None)?;
        // Read back what we wrote: the state must be exactly the checkpoint just verified.
        let back = self.load_state()?;
        assert!(
            back.as_ref().map(|s| (s.size, s.root)) == Some((state.size, state.root)),
            "monitor state did not read back as written"
        );
        Ok(())
    }

    /// Write the evidence of a split view and build the error that reports it.
    fn split_view(
        &self,
        kind: SplitKind,
        reason: String,
        stored: &State,
        served_note: &str,
        served: &CosignedCheckpoint,
        proof: Option<&ConsistencyProof>,
    ) -> MonitorError {
        let detected = now_unix();
        let url = self.client.checkpoint_url();
        let evidence = Evidence {
            kind: "vouch-split-view",
            reason: &reason,
            detected_unix: detected,
            url: &url,
            network: self.genesis.network.as_str(),
            genesis_hash: self.genesis_hash,
            stored_checkpoint: &stored.checkpoint,
            served_checkpoint: served_note,
            consistency_proof: proof,
        };
        let written = serde_json::to_vec_pretty(&evidence)
            .map_err(|e| format!("cannot encode evidence: {e}"))
            .and_then(|bytes| self.write_evidence(detected, &bytes));
        let (evidence, evidence_path) = match written {
            Ok(path) => {
                let what = if proof.is_some() { "both notes and the proof are" } else { "both notes are" };
                (format!("{what} in {}", path.display()), Some(path))
            }
            Err(e) => (
                format!("the evidence file could not be written ({e}); the stored note is in the state file"),
                None,
            ),
        };
        MonitorError::SplitView(Box::new(SplitView {
            url,
            kind,
            reason,
            stored_size: stored.size,
            stored_root: stored.root,
            served_size: served.checkpoint.size,
            served_root: served.checkpoint.root,
            evidence,
            evidence_path,
        }))
    }

    /// `<state>.split-view-<unix seconds>[-n].json` beside the state file, never overwritten.
    fn write_evidence(&self, detected: u64, bytes: &[u8]) -> Result<PathBuf, String> {
        let name = self.state_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for n in 0..EVIDENCE_NAMES_MAX {
            let suffix = if n == 0 { String::new() } else { format!("-{n}") };
            let path = self.state_path.with_file_name(format!("{name}.split-view-{detected}{suffix}.json"));
            match files::write_new(&path, bytes) {
                Ok(()) => return Ok(path),
                Err(FileError::Exists { .. }) => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
        Err("too many evidence files for this second".into())
    }

    /// One round: fetch, verify, compare, prove, store.
    pub fn round(&self) -> Result<Report, MonitorError> {
        let stored = self.load_state()?;
        let url = self.client.checkpoint_url();
        let mut report = RoundReport {
            outcome: "no-checkpoint",
            url: url.clone(),
            state: self.state_path.display().to_string(),
            size: None,
            root: None,
            previous_size: stored.as_ref().map(|s| s.size),
            proof_hashes: None,
            cosigners: Vec::new(),
            checked_unix: now_unix(),
        };
        let Some(note) = self.client.checkpoint()? else {
            let human = format!("{url}: the network has no checkpoint yet; nothing stored\n");
            return Ok(Report::new(&report, human));
        };
        // A note that does not even parse is the node answering garbage, not a signed claim.
        if let Err(e) = CosignedCheckpoint::parse_note(note.as_bytes()) {
            return Err(MonitorError::Client(ClientError::Malformed {
                url,
                what: "a cosigned checkpoint note",
                detail: e.to_string(),
            }));
        }
        let (served, quorum) = verify_checkpoint_note(note.as_bytes(), &self.genesis)
            .map_err(|source| MonitorError::Refused { url: url.clone(), source: Box::new(source) })?;
        let (size, root) = (served.checkpoint.size, served.checkpoint.root);
        report.size = Some(size);
        report.root = Some(root);
        report.cosigners = quorum.signers.iter().map(|s| s.name.clone()).collect();
        let power = format!("cosigned by power {} of {}", quorum.signed_power, quorum.total_power);
        let Some(stored) = stored else {
            self.store(&note, &served)?;
            report.outcome = "first";
            let human = format!(
                "first checkpoint: size {size}, root {root} ({power}); stored in {}\n\
                 later rounds prove every new checkpoint extends this one\n",
                self.state_path.display()
            );
            return Ok(Report::new(&report, human));
        };
        if size < stored.size {
            return Err(self.split_view(
                SplitKind::Rollback,
                format!(
                    "the node served size {size}, smaller than the size {} verified before (a rollback)",
                    stored.size
                ),
                &stored,
                &note,
                &served,
                None,
            ));
        }
        if size == stored.size {
            if root != stored.root {
                return Err(self.split_view(
                    SplitKind::TwoRoots,
                    format!("two cosigned checkpoints of size {size} with different roots"),
                    &stored,
                    &note,
                    &served,
                    None,
                ));
            }
            report.outcome = "unchanged";
            let human = format!("unchanged: size {size}, root {root} ({power})\n");
            return Ok(Report::new(&report, human));
        }
        if stored.size == 0 {
            // Every log extends the empty one; there is nothing to prove (R-MRK-7), and a
            // node refuses a proof from size 0.
            self.store(&note, &served)?;
            report.outcome = "advanced";
            report.proof_hashes = Some(0);
            let human = format!(
                "advanced: size 0 -> {size}, root {root} ({power}); every log extends the empty one; state updated\n"
            );
            return Ok(Report::new(&report, human));
        }
        let proof = self.client.consistency(stored.size, size)?;
        if let Err(e) =
            verify_consistency(stored.checkpoint.as_bytes(), note.as_bytes(), &proof.proof, &self.genesis)
        {
            return Err(self.split_view(
                SplitKind::ProofFails,
                format!("the consistency proof from size {} to {size} fails: {e}", stored.size),
                &stored,
                &note,
                &served,
                Some(&proof),
            ));
        }
        self.store(&note, &served)?;
        report.outcome = "advanced";
        report.proof_hashes = Some(proof.proof.len());
        let human = format!(
            "advanced: size {} -> {size}, root {root} ({power}); consistency proof of {} hashes verified; state updated\n",
            stored.size,
            proof.proof.len()
        );
        Ok(Report::new(&report, human))
    }
}
