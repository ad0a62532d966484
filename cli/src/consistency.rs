//! Check that one cosigned checkpoint extends another (`vouch verify consistency`): both
//! cosigned by a quorum of the pinned genesis's validators (R-CKPT-8), the newer not
//! smaller (R-CKPT-9), and an RFC 9162 consistency proof between their sizes (R-CONS-1).
//!
//! # Terminology
//!
//! - *Checkpoint note*: a C2SP signed note, body `origin\nsize\nroot\n` and cosignature
//!   lines, as `/v1/checkpoint` serves it (`core/src/checkpoint.rs`).
//! - *Consistency proof*: hashes proving the tree of the older size is a prefix of the
//!   tree of the newer one; as a file or an answer, `{"from": M, "to": N, "proof": [hex…]}`.

use crate::client::{Client, ClientError, ConsistencyProof};
use crate::files::{self, FileError};
use crate::genesis::{self, GenesisFileError};
use crate::outcome::{Classify, Exit, Report};
use serde::Serialize;
use std::path::{Path, PathBuf};
use vouch_core::bundle::{BundleError, verify_checkpoint_note, verify_consistency};
use vouch_core::checkpoint::{CheckpointError, CosignedCheckpoint};
use vouch_core::encoding::Hash;
use vouch_core::genesis::Genesis;
use vouch_core::limits::NOTE_BYTES_MAX;

/// A proof file is a few kilobytes at most.
const PROOF_FILE_BYTES_MAX: usize = 64 * 1024;

/// Why `verify consistency` failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsistencyCmdError {
    /// A file could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The genesis file could not be used.
    #[error(transparent)]
    Genesis(#[from] GenesisFileError),
    /// The proof could not be fetched.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A file is not a checkpoint note.
    #[error("{which} {path} is not a cosigned checkpoint note")]
    NotANote {
        /// `OLD` or `NEW`.
        which: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: CheckpointError,
    },
    /// A checkpoint fails verification.
    #[error("{which} checkpoint {path} is refused")]
    Checkpoint {
        /// `old` or `new`.
        which: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<BundleError>,
    },
    /// The checkpoints were given newest first.
    #[error("OLD checkpoint has size {old}, larger than NEW's {new}")]
    Order {
        /// Size of OLD.
        old: u64,
        /// Size of NEW.
        new: u64,
    },
    /// The proof file is not a proof.
    #[error("proof file {path} is not a consistency proof: {detail}")]
    ProofFile {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The proof is for other sizes than the checkpoints'.
    #[error("the proof is for sizes {from} to {to}, the checkpoints have sizes {old} and {new}")]
    ProofSizes {
        /// Proof's from.
        from: u64,
        /// Proof's to.
        to: u64,
        /// OLD's size.
        old: u64,
        /// NEW's size.
        new: u64,
    },
    /// Sizes differ and no proof source was given.
    #[error("the checkpoints have sizes {old} and {new}: a consistency proof is needed")]
    NoProof {
        /// OLD's size.
        old: u64,
        /// NEW's size.
        new: u64,
    },
    /// NEW does not extend OLD.
    #[error("NEW (size {new}) does not extend OLD (size {old})")]
    Inconsistent {
        /// OLD's size.
        old: u64,
        /// NEW's size.
        new: u64,
        /// Why.
        #[source]
        source: Box<BundleError>,
    },
}

impl Classify for ConsistencyCmdError {
    fn exit(&self) -> Exit {
        match self {
            ConsistencyCmdError::File(e) => e.exit(),
            ConsistencyCmdError::Genesis(e) => e.exit(),
            ConsistencyCmdError::Client(e) => e.exit(),
            ConsistencyCmdError::NotANote { .. }
            | ConsistencyCmdError::Order { .. }
            | ConsistencyCmdError::ProofFile { .. }
            | ConsistencyCmdError::ProofSizes { .. }
            | ConsistencyCmdError::NoProof { .. } => Exit::Usage,
            ConsistencyCmdError::Checkpoint { .. } | ConsistencyCmdError::Inconsistent { .. } => {
                Exit::Refused
            }
        }
    }

    fn hint(&self) -> String {
        match self {
            ConsistencyCmdError::File(e) => e.hint(),
            ConsistencyCmdError::Genesis(e) => e.hint(),
            ConsistencyCmdError::Client(e) => e.hint(),
            ConsistencyCmdError::NotANote { .. } => {
                "pass checkpoint notes as a node serves them at /v1/checkpoint (origin, size, root, blank line, cosignatures)"
                    .into()
            }
            ConsistencyCmdError::Checkpoint { .. } => {
                "this note is not a checkpoint of the pinned network signed by a quorum; do not rely on it"
                    .into()
            }
            ConsistencyCmdError::Order { .. } => "pass the older (smaller) checkpoint first".into(),
            ConsistencyCmdError::ProofFile { .. } | ConsistencyCmdError::ProofSizes { .. } => {
                "pass the proof between these two sizes, or --from URL to fetch it from a node".into()
            }
            ConsistencyCmdError::NoProof { .. } => "pass --proof FILE or --from URL".into(),
            ConsistencyCmdError::Inconsistent { .. } => {
                "validators signed two histories that do not extend one \
                 another (a split view): keep both notes and the proof as evidence and report them"
                    .into()
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            ConsistencyCmdError::File(e) => e.details(),
            ConsistencyCmdError::Genesis(e) => e.details(),
            ConsistencyCmdError::Client(e) => e.details(),
            ConsistencyCmdError::NotANote { which, path, .. }
            | ConsistencyCmdError::Checkpoint { which, path, .. } => {
                serde_json::json!({ "checkpoint": which, "path": path.display().to_string() })
            }
            ConsistencyCmdError::ProofFile { path, .. } => {
                serde_json::json!({ "path": path.display().to_string() })
            }
            ConsistencyCmdError::Order { old, new }
            | ConsistencyCmdError::NoProof { old, new }
            | ConsistencyCmdError::Inconsistent { old, new, .. } => {
                serde_json::json!({ "old": old, "new": new })
            }
            ConsistencyCmdError::ProofSizes { from, to, old, new } => {
                serde_json::json!({ "from": from, "to": to, "old": old, "new": new })
            }
        }
    }
}

/// Where the proof comes from.
#[derive(Debug, Clone)]
pub enum ProofSource {
    /// `--proof FILE`.
    File(PathBuf),
    /// `--from URL`.
    Url(String),
    /// Neither (only for equal sizes).
    None,
}

/// Read a checkpoint note and verify its quorum.
fn read_checkpoint(
    which: &'static str,
    path: &Path,
    genesis: &Genesis,
) -> Result<(String, CosignedCheckpoint, Vec<String>), ConsistencyCmdError> {
    let note = files::read_text(path, "checkpoint note", NOTE_BYTES_MAX)?;
    CosignedCheckpoint::parse_note(note.as_bytes()).map_err(|source| ConsistencyCmdError::NotANote {
        which,
        path: path.to_path_buf(),
        source,
    })?;
    let (checkpoint, quorum) = verify_checkpoint_note(note.as_bytes(), genesis).map_err(|source| {
        ConsistencyCmdError::Checkpoint { which, path: path.to_path_buf(), source: Box::new(source) }
    })?;
    Ok((note, checkpoint, quorum.signers.into_iter().map(|s| s.name).collect()))
}

/// Read a proof file.
pub fn read_proof_file(path: &Path) -> Result<ConsistencyProof, ConsistencyCmdError> {
    let bytes = files::read_bounded(path, "proof file", PROOF_FILE_BYTES_MAX)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ConsistencyCmdError::ProofFile { path: path.to_path_buf(), detail: e.to_string() })
}

#[derive(Debug, Serialize)]
struct ConsistencyReport {
    network: String,
    old_size: u64,
    old_root: Hash,
    old_cosigners: Vec<String>,
    new_size: u64,
    new_root: Hash,
    new_cosigners: Vec<String>,
    proof_hashes: usize,
    proof_source: String,
}

/// `vouch verify consistency`.
pub fn verify(
    old_path: &Path,
    new_path: &Path,
    proof_source: &ProofSource,
    genesis_path: &Path,
) -> Result<Report, ConsistencyCmdError> {
    let (genesis, _) = genesis::load(genesis_path)?;
    let (old_note, old, old_cosigners) = read_checkpoint("OLD", old_path, &genesis)?;
    let (new_note, new, new_cosigners) = read_checkpoint("NEW", new_path, &genesis)?;
    let (old_size, new_size) = (old.checkpoint.size, new.checkpoint.size);
    if old_size > new_size {
        return Err(ConsistencyCmdError::Order { old: old_size, new: new_size });
    }
    let (proof, described) = match proof_source {
        ProofSource::File(path) => (read_proof_file(path)?, path.display().to_string()),
        ProofSource::Url(url) => {
            let client = Client::new(url)?;
            let proof = if old_size == new_size {
                ConsistencyProof { from: old_size, to: new_size, proof: Vec::new() }
            } else {
                client.consistency(old_size, new_size)?
            };
            (proof, format!("{}/v1/proofs/consistency?from={old_size}&to={new_size}", client.base()))
        }
        ProofSource::None if old_size == new_size => {
            (ConsistencyProof { from: old_size, to: new_size, proof: Vec::new() }, "none needed".to_string())
        }
        ProofSource::None => return Err(ConsistencyCmdError::NoProof { old: old_size, new: new_size }),
    };
    if (proof.from, proof.to) != (old_size, new_size) {
        return Err(ConsistencyCmdError::ProofSizes {
            from: proof.from,
            to: proof.to,
            old: old_size,
            new: new_size,
        });
    }
    verify_consistency(old_note.as_bytes(), new_note.as_bytes(), &proof.proof, &genesis).map_err(
        |source| ConsistencyCmdError::Inconsistent { old: old_size, new: new_size, source: Box::new(source) },
    )?;
    let report = ConsistencyReport {
        network: genesis.network.to_string(),
        old_size,
        old_root: old.checkpoint.root,
        old_cosigners,
        new_size,
        new_root: new.checkpoint.root,
        new_cosigners,
        proof_hashes: proof.proof.len(),
        proof_source: described,
    };
    let human = format!(
        "ok: NEW extends OLD\nnetwork: {}\nOLD:     size {}, root {}\n         cosigned by {}\nNEW:     size {}, root {}\n         cosigned by {}\nproof:   {} hashes ({})\n",
        report.network,
        report.old_size,
        report.old_root,
        report.old_cosigners.join(", "),
        report.new_size,
        report.new_root,
        report.new_cosigners.join(", "),
        report.proof_hashes,
        report.proof_source,
    );
    Ok(Report::new(&report, human))
}
