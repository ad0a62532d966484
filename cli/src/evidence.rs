//! Export a confirmation's evidence for the audit working papers (`vouch evidence export`,
//! `vouch evidence report`): the bundle, verified offline against the pinned genesis, and
//! a human-readable HTML report of what was verified.
//!
//! A bundle that fails verification gets no report: the command exits 1 naming the rule
//! and the entry, and writes nothing. The bundle file written is the exact bytes received,
//! so its SHA-256 (printed in the report) identifies what was verified.

use crate::bundle::{self, BundleCmdError, Pinned};
use crate::confirmations::{self, ReadError};
use crate::files::{self, FileError};
use crate::keys::KeysError;
use crate::outcome::{Classify, Exit, Report};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use vouch_core::encoding::Hash;
use vouch_core::limits::BUNDLE_BYTES_MAX;
use vouch_report::{self as report, NodeFacts, ReportError};

/// Why an evidence command failed.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The id is not a document id.
    #[error("{0:?} is not a request id (64 lowercase hex digits)")]
    Id(String),
    /// The bundle could not be read or fails verification.
    #[error(transparent)]
    Bundle(#[from] BundleCmdError),
    /// The node could not be asked, or refused.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The decryption key could not be read.
    #[error(transparent)]
    Keys(#[from] KeysError),
    /// A file could not be written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The report could not be made.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The node's bundle verifies but is about another confirmation.
    #[error("the node answered a bundle for request {got}, not {expected}")]
    OtherRequest {
        /// The request asked for.
        expected: Hash,
        /// The request in the bundle.
        got: Hash,
    },
    /// The output directory cannot be made.
    #[error("cannot create the output directory {path}")]
    OutDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Classify for EvidenceError {
    fn exit(&self) -> Exit {
        match self {
            EvidenceError::Id(_) => Exit::Usage,
            EvidenceError::Bundle(e) => e.exit(),
            EvidenceError::Read(e) => e.exit(),
            EvidenceError::Keys(e) => e.exit(),
            EvidenceError::File(e) => e.exit(),
            EvidenceError::Report(ReportError::KeyOpensNothing { .. }) => Exit::Usage,
            EvidenceError::Report(ReportError::Reread(_)) => Exit::Refused,
            EvidenceError::OtherRequest { .. } => Exit::Refused,
            EvidenceError::OutDir { .. } => Exit::Io,
        }
    }

    fn hint(&self) -> String {
        match self {
            EvidenceError::Id(_) => "pass the request's document id, as `vouch list` shows it".into(),
            EvidenceError::Bundle(e) => e.hint(),
            EvidenceError::Read(e) => e.hint(),
            EvidenceError::Keys(e) => e.hint(),
            EvidenceError::File(FileError::Exists { .. }) => {
                "pass --force to replace it, or --out another place".into()
            }
            EvidenceError::File(e) => e.hint(),
            EvidenceError::Report(ReportError::KeyOpensNothing { .. }) => {
                "pass the X25519 private key of a party the contents were sealed to (the audit firm's or \
                 the bank's org key, the client's key, or a regulator's), or leave --decryption-key out"
                    .into()
            }
            EvidenceError::Report(ReportError::Reread(_)) => {
                "this is a bug in vouch: report it with the bundle file".into()
            }
            EvidenceError::OtherRequest { .. } => {
                "do not use this bundle; ask the node operator why it answers another confirmation".into()
            }
            EvidenceError::OutDir { .. } => "check --out and that you may write there".into(),
        }
    }

    fn details(&self) -> Value {
        match self {
            EvidenceError::Bundle(e) => e.details(),
            EvidenceError::Read(e) => e.details(),
            EvidenceError::Keys(e) => e.details(),
            EvidenceError::File(e) => e.details(),
            EvidenceError::OutDir { path, .. } => serde_json::json!({ "path": path.display().to_string() }),
            _ => Value::Null,
        }
    }
}

/// What `export` and `report` print.
#[derive(Debug, Serialize)]
struct Written {
    #[serde(flatten)]
    summary: report::Summary,
    bundle_file: Option<String>,
    report_file: String,
    genesis_hash: Hash,
    /// Why block heights are missing, when the node's detail could not be read.
    node_facts_note: Option<String>,
}

fn human(w: &Written) -> String {
    let mut out = format!(
        "ok: bundle verified against pinned genesis {}\n\
         request:    {} (letter {})\n\
         status:     {} (as the bundle's documents show)\n\
         documents:  {}\n\
         bundle:     sha256 {}\n",
        w.genesis_hash,
        w.summary.request,
        w.summary.letter_no,
        w.summary.status,
        w.summary.documents,
        w.summary.bundle_sha256,
    );
    if let Some(b) = &w.bundle_file {
        out.push_str(&format!("wrote:      {b}\n"));
    }
    out.push_str(&format!("wrote:      {}\n", w.report_file));
    if w.summary.opened.is_empty() {
        out.push_str("contents:   sealed, not opened (pass --decryption-key to include them)\n");
    } else {
        for o in &w.summary.opened {
            out.push_str(&format!("contents:   {} {}\n", o.document, o.how));
        }
        out.push_str(&format!("differences: {}\n", w.summary.differences));
    }
    if let Some(note) = &w.node_facts_note {
        out.push_str(&format!("note:       {note}\n"));
    }
    out
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Block heights and the status the node reports in `GET /v1/confirmations/{id}`.
fn node_facts(node: &str, token: &str, id: &Hash) -> Result<NodeFacts, ReadError> {
    let detail = confirmations::detail(node, token, &id.to_hex())?;
    let mut facts = NodeFacts {
        node: node.to_string(),
        status: detail.get("status").and_then(Value::as_str).map(str::to_string),
        ..NodeFacts::default()
    };
    for h in detail.get("history").and_then(Value::as_array).into_iter().flatten() {
        let field = |k: &str| h.get(k).and_then(Value::as_u64);
        if let (Some(leaf), Some(height), Some(ms)) =
            (field("leaf_index"), field("height"), field("block_time_ms"))
        {
            facts.blocks.insert(leaf, (height, ms));
        }
    }
    Ok(facts)
}

/// What `export` and `report` share.
pub struct Common<'a> {
    /// The pinned genesis.
    pub pinned: &'a Pinned,
    /// A party's X25519 key file.
    pub decryption_key: Option<&'a Path>,
    /// Replace existing files.
    pub force: bool,
}

/// `vouch evidence export`.
pub fn export(
    id: &str,
    node: &str,
    token: &str,
    out_dir: &Path,
    wait: std::time::Duration,
    common: &Common<'_>,
) -> Result<Report, EvidenceError> {
    let id = Hash::from_hex(id).map_err(|_| EvidenceError::Id(id.to_string()))?;
    let pinned = common.pinned.hash()?;
    let decryption = common.decryption_key.map(crate::keys::load_decryption).transpose()?;
    let (url, bytes) = crate::fetch::bundle_bytes(node, token, &id, wait)?;
    let verified = bundle::check(&bytes, Path::new(&url), &pinned)?;
    if verified.request != id {
        return Err(EvidenceError::OtherRequest { expected: id, got: verified.request });
    }
    // Heights are a convenience the bundle does not carry; their absence does not make
    // the evidence weaker, so a failure here is reported, not fatal.
    let (facts, note) = match node_facts(node, token, &id) {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(format!("block heights not shown: {e}"))),
    };
    let (html, summary) = report::build(&report::Inputs {
        bytes: &bytes,
        source: &url,
        verified: &verified,
        decryption: decryption.as_ref(),
        node: facts.as_ref(),
        generated_ms: now_ms(),
    })?;
    std::fs::create_dir_all(out_dir)
        .map_err(|source| EvidenceError::OutDir { path: out_dir.to_path_buf(), source })?;
    let bundle_path = out_dir.join(format!("{id}.bundle.json"));
    let report_path = out_dir.join(format!("{id}.report.html"));
    files::write_public(&bundle_path, &bytes, common.force)?;
    files::write_public(&report_path, html.as_bytes(), common.force)?;
    let written = Written {
        summary,
        bundle_file: Some(bundle_path.display().to_string()),
        report_file: report_path.display().to_string(),
        genesis_hash: pinned,
        node_facts_note: note,
    };
    let text = human(&written);
    Ok(Report::new(&written, text))
}

/// `vouch evidence report`: the report of a saved bundle, offline.
pub fn report(file: &Path, out: Option<&Path>, common: &Common<'_>) -> Result<Report, EvidenceError> {
    let pinned = common.pinned.hash()?;
    let decryption = common.decryption_key.map(crate::keys::load_decryption).transpose()?;
    let bytes = files::read_bounded(file, "bundle", BUNDLE_BYTES_MAX).map_err(BundleCmdError::from)?;
    let verified = bundle::check(&bytes, file, &pinned)?;
    let (html, summary) = report::build(&report::Inputs {
        bytes: &bytes,
        source: &file.display().to_string(),
        verified: &verified,
        decryption: decryption.as_ref(),
        node: None,
        generated_ms: now_ms(),
    })?;
    let report_path = match out {
        Some(p) => p.to_path_buf(),
        None => file.with_file_name(format!("{}.report.html", verified.request)),
    };
    files::write_public(&report_path, html.as_bytes(), common.force)?;
    let written = Written {
        summary,
        bundle_file: None,
        report_file: report_path.display().to_string(),
        genesis_hash: pinned,
        node_facts_note: None,
    };
    let text = human(&written);
    Ok(Report::new(&written, text))
}
