//! Verify an evidence bundle offline (`vouch verify bundle`): one confirmation's signed
//! documents, each proven included under a checkpoint cosigned by a quorum of the pinned
//! network's validators (`docs/PROTOCOL.md` §Evidence bundles, R-BUN-1 to R-BUN-9).
//!
//! # Terminology
//!
//! - *Pinned genesis hash*: the hash the verifier trusts, published out of band; given
//!   directly (`--genesis-hash`) or as the genesis file it is computed from (`--genesis`).
//! - *Entry*: one proven document in the bundle, at a *leaf index* of the ledger.
//!
//! The checking is `vouch_core::bundle::verify_bundle`; this module reads the file, says
//! what was proven, and on failure where the fault is.

use crate::civil;
use crate::files::{self, FileError};
use crate::genesis::{self, GenesisFileError};
use crate::outcome::{Classify, Exit, Report};
use serde::Serialize;
use std::path::{Path, PathBuf};
use vouch_core::bundle::{BundleError, verify_bundle};
use vouch_core::encoding::Hash;
use vouch_core::limits::BUNDLE_BYTES_MAX;

/// Why `verify bundle` failed.
#[derive(Debug, thiserror::Error)]
pub enum BundleCmdError {
    /// The bundle file could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The genesis file could not be used.
    #[error(transparent)]
    Genesis(#[from] GenesisFileError),
    /// The file is not JSON.
    #[error("bundle {path} is not JSON: {detail}")]
    NotJson {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        detail: String,
    },
    /// The bundle fails verification.
    #[error("bundle {path} fails verification")]
    Refused {
        /// The file.
        path: PathBuf,
        /// The first fault.
        #[source]
        source: Box<BundleError>,
    },
}

impl Classify for BundleCmdError {
    fn exit(&self) -> Exit {
        match self {
            BundleCmdError::File(e) => e.exit(),
            BundleCmdError::Genesis(e) => e.exit(),
            BundleCmdError::NotJson { .. } => Exit::Usage,
            BundleCmdError::Refused { .. } => Exit::Refused,
        }
    }

    fn hint(&self) -> String {
        match self {
            BundleCmdError::File(e) => e.hint(),
            BundleCmdError::Genesis(e) => e.hint(),
            BundleCmdError::NotJson { .. } => "pass the evidence bundle (.json) the auditor or the API gave you".into(),
            BundleCmdError::Refused { source, .. } if matches!(**source, BundleError::Genesis(_)) => {
                "the bundle is for another network than the one you pinned; check the genesis hash you were given"
                    .into()
            }
            BundleCmdError::Refused { .. } => {
                "do not rely on this confirmation; ask the auditor for the bundle again and report the fault".into()
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            BundleCmdError::File(e) => e.details(),
            BundleCmdError::Genesis(e) => e.details(),
            BundleCmdError::NotJson { path, .. } => serde_json::json!({ "path": path.display().to_string() }),
            BundleCmdError::Refused { path, source } => {
                let (entry, leaf_index) = match &**source {
                    BundleError::Envelope { index, .. }
                    | BundleError::Order { index, .. }
                    | BundleError::Signer { index, .. } => (Some(*index), None),
                    BundleError::Inclusion { index, leaf_index, .. } => (Some(*index), Some(*leaf_index)),
                    _ => (None, None),
                };
                serde_json::json!({
                    "path": path.display().to_string(),
                    "entry": entry,
                    "leaf_index": leaf_index,
                })
            }
        }
    }
}

/// The trusted genesis, as a hash or a file.
#[derive(Debug, Clone)]
pub enum Pinned {
    /// `--genesis-hash`.
    Hash(Hash),
    /// `--genesis`.
    File(PathBuf),
}

#[derive(Debug, Serialize)]
struct DocumentRow {
    leaf_index: u64,
    id: Hash,
    doc_type: String,
    org: String,
    signer: String,
    checker: Option<String>,
    created_ms: u64,
    created: String,
}

#[derive(Debug, Serialize)]
struct BundleReport {
    file: String,
    network: String,
    genesis_hash: Hash,
    checkpoint_size: u64,
    checkpoint_root: Hash,
    cosigned_power: u128,
    total_power: u128,
    cosigners: Vec<String>,
    request: Hash,
    letter_no: String,
    auditor: String,
    bank: String,
    documents: Vec<DocumentRow>,
    openings_checked: usize,
}

impl Pinned {
    /// The pinned hash (read from the genesis file if one was given).
    pub fn hash(&self) -> Result<Hash, BundleCmdError> {
        Ok(match self {
            Pinned::Hash(h) => *h,
            Pinned::File(g) => genesis::load(g)?.0.hash(),
        })
    }
}

/// Verify bundle bytes read from `path` (a file, or the URL they were fetched from).
pub fn check(
    bytes: &[u8],
    path: &Path,
    pinned: &Hash,
) -> Result<vouch_core::bundle::BundleReport, BundleCmdError> {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(BundleCmdError::NotJson { path: path.to_path_buf(), detail: e.to_string() });
    }
    verify_bundle(bytes, pinned)
        .map_err(|source| BundleCmdError::Refused { path: path.to_path_buf(), source: Box::new(source) })
}

/// `vouch verify bundle`.
pub fn verify(path: &Path, pinned: &Pinned) -> Result<Report, BundleCmdError> {
    let pinned_hash = pinned.hash()?;
    let bytes = files::read_bounded(path, "bundle", BUNDLE_BYTES_MAX)?;
    let r = check(&bytes, path, &pinned_hash)?;
    let report = BundleReport {
        file: path.display().to_string(),
        network: r.network.clone(),
        genesis_hash: r.genesis,
        checkpoint_size: r.tree_size,
        checkpoint_root: r.root,
        cosigned_power: r.cosigned_power.0,
        total_power: r.cosigned_power.1,
        cosigners: r.cosigners.clone(),
        request: r.request,
        letter_no: r.letter_no.clone(),
        auditor: r.parties.0.to_string(),
        bank: r.parties.1.to_string(),
        documents: r
            .timeline
            .iter()
            .map(|t| DocumentRow {
                leaf_index: t.leaf_index,
                id: t.id,
                doc_type: t.doc_type.as_str().to_string(),
                org: t.org.to_string(),
                signer: t.signer.clone(),
                checker: t.checker.clone(),
                created_ms: t.created_ms,
                created: civil::format_ms(t.created_ms),
            })
            .collect(),
        openings_checked: r.openings_checked,
    };
    let mut human = format!(
        "ok: bundle verified against pinned genesis {}\n\
         network:     {}\n\
         request:     {} (letter {})\n\
         auditor:     {}\n\
         bank:        {}\n\
         checkpoint:  size {}, root {}\n\
         cosigned by: {} (power {} of {})\n\
         \n\
         documents (signer times as the signers claim them, UTC):\n",
        report.genesis_hash,
        report.network,
        report.request,
        report.letter_no,
        report.auditor,
        report.bank,
        report.checkpoint_size,
        report.checkpoint_root,
        report.cosigners.join(", "),
        report.cosigned_power,
        report.total_power,
    );
    for d in &report.documents {
        human.push_str(&format!(
            "  leaf {:<6} {:<14} {}  {} — {}{}\n",
            d.leaf_index,
            d.doc_type,
            d.created,
            d.org,
            d.signer,
            d.checker.as_ref().map(|c| format!(", checked by {c}")).unwrap_or_default()
        ));
    }
    human.push_str(&format!("\nopenings checked against their commitments: {}\n", report.openings_checked));
    Ok(Report::new(&report, human))
}
