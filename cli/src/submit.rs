//! Build, seal, sign and submit ledger documents: enrollments, requests and every answer
//! to one (`docs/CLI.md` §Documents).
//!
//! # Terminology
//!
//! - *Signer*: the org and key file that sign the envelope (`--org`, `--key`). A client
//!   signs under its bank's org id with its own key.
//! - *Recipients*: who a sealed payload's content key is wrapped for, as core's rules
//!   R-REQ-7, R-RESP-* and R-CLI-* expect (labels `org/<id>` and
//!   `client/<bank>/<client>`); the encryption keys come from the genesis (orgs) or are
//!   given on the command line (a client's, which is enrolled on the ledger).
//! - *Submit*: POST the canonical envelope to `--node URL /v1/entries`, or with `--out`
//!   only write it (offline signing; post it later with `vouch submit FILE`).
//!
//! Nothing here decides whether a document is acceptable: core validates the contents
//! before signing, and the node's state machine has the last word (a refusal is printed
//! with its rule).

use crate::args::Target;
use crate::client::{Client, ClientError};
use crate::files::{self, FileError};
use crate::genesis::GenesisFileError;
use crate::keys::{self, KeysError};
use crate::outcome::{Classify, Exit, Report};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use vouch_core::documents::Document;
use vouch_core::encoding::Hash;
use vouch_core::envelope::{Draft, Envelope, EnvelopeError, Signer};
use vouch_core::genesis::Genesis;
use vouch_core::ids::OrgId;
use vouch_core::keys::{EncryptionKey, SigningKey};
use vouch_core::limits::ENVELOPE_BYTES_MAX;
use vouch_core::seal::{self, SealError};

/// A problem answer is small; this bounds what is read of one.
const ANSWER_BYTES_MAX: usize = 64 * 1024;

/// Why a document could not be built, signed or submitted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// A key file could not be used.
    #[error(transparent)]
    Keys(#[from] KeysError),
    /// The genesis file could not be used.
    #[error(transparent)]
    GenesisFile(#[from] GenesisFileError),
    /// The node could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A file could not be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The node's chain did not verify (when reading an enrollment from it).
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainCmdError),
    /// The node would not give the confirmation's documents.
    #[error(transparent)]
    Read(#[from] crate::confirmations::ReadError),
    /// The confirmation's documents, as the node gave them, did not verify.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleCmdError),
    /// An input (flag or file) is not what the command needs.
    #[error("{what}: {detail}")]
    Input {
        /// Which input.
        what: String,
        /// What is wrong with it.
        detail: String,
    },
    /// Neither `--node` nor `--genesis` says which network to sign for.
    #[error("no genesis: pass --genesis FILE, or --node URL to fetch it")]
    NoGenesis,
    /// The genesis a node served is not valid.
    #[error("the genesis served by {url} is not valid: {detail}")]
    BadNodeGenesis {
        /// The URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// Signing failed (the key does not match the signer, or a field is out of bounds).
    #[error("cannot sign the document")]
    Sign(#[source] EnvelopeError),
    /// Sealing or opening contents failed.
    #[error("cannot seal or open the confidential contents")]
    Seal(#[source] SealError),
    /// The node refused the document.
    #[error("the node refused the document ({status} {kind}): {detail}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The problem type's slug.
        kind: String,
        /// The rule broken, if one applies.
        rule: Option<String>,
        /// The node's explanation.
        detail: String,
    },
    /// The node answered something unexpected.
    #[error("POST {url} answered HTTP {status}: {body}")]
    Unexpected {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
}

impl Classify for SubmitError {
    fn exit(&self) -> Exit {
        match self {
            SubmitError::Keys(e) => e.exit(),
            SubmitError::GenesisFile(e) => e.exit(),
            SubmitError::Client(e) => e.exit(),
            SubmitError::File(e) => e.exit(),
            SubmitError::Chain(e) => e.exit(),
            SubmitError::Read(e) => e.exit(),
            SubmitError::Bundle(e) => e.exit(),
            SubmitError::Input { .. }
            | SubmitError::NoGenesis
            | SubmitError::Sign(_)
            | SubmitError::Seal(_) => Exit::Usage,
            SubmitError::Refused { .. } => Exit::Refused,
            SubmitError::BadNodeGenesis { .. } | SubmitError::Unexpected { .. } => Exit::Io,
        }
    }

    fn hint(&self) -> String {
        match self {
            SubmitError::Keys(e) => e.hint(),
            SubmitError::GenesisFile(e) => e.hint(),
            SubmitError::Client(e) => e.hint(),
            SubmitError::File(e) => e.hint(),
            SubmitError::Chain(e) => e.hint(),
            SubmitError::Read(e) => e.hint(),
            SubmitError::Bundle(e) => e.hint(),
            SubmitError::Input { .. } => {
                "fix the named input and run the command again; nothing was signed".into()
            }
            SubmitError::NoGenesis => "pass the network's genesis.json with --genesis".into(),
            SubmitError::BadNodeGenesis { .. } => "pass the pinned genesis with --genesis instead".into(),
            SubmitError::Sign(_) => "check that --key is the signer's key enrolled for --org".into(),
            SubmitError::Seal(_) => {
                "check that the decryption key is the one the contents were sealed for".into()
            }
            SubmitError::Refused { rule: Some(rule), .. } => {
                format!("see rule {rule} in docs/PROTOCOL.md; nothing was recorded")
            }
            SubmitError::Refused { .. } => "fix the document and submit again; nothing was recorded".into(),
            SubmitError::Unexpected { .. } => "try again later or submit to another node".into(),
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            SubmitError::Keys(e) => e.details(),
            SubmitError::GenesisFile(e) => e.details(),
            SubmitError::Client(e) => e.details(),
            SubmitError::File(e) => e.details(),
            SubmitError::Chain(e) => e.details(),
            SubmitError::Read(e) => e.details(),
            SubmitError::Bundle(e) => e.details(),
            SubmitError::Input { what, .. } => serde_json::json!({ "input": what }),
            SubmitError::Refused { status, kind, rule, .. } => {
                serde_json::json!({ "status": status, "problem": kind, "rule": rule })
            }
            _ => serde_json::Value::Null,
        }
    }
}

/// An input error.
pub fn input(what: impl Into<String>, detail: impl std::fmt::Display) -> SubmitError {
    SubmitError::Input { what: what.into(), detail: detail.to_string() }
}

/// Where a signed document goes, and the network it is for.
pub struct Destination {
    /// The genesis.
    pub genesis: Genesis,
    node: Option<Client>,
    out: Option<PathBuf>,
    force: bool,
    wait: bool,
}

impl Destination {
    /// Resolve `--node`, `--genesis` and `--out`.
    pub fn new(target: &Target) -> Result<Destination, SubmitError> {
        let node = target.node.as_deref().map(Client::new).transpose()?;
        let genesis = match (&target.genesis, &node) {
            (Some(path), _) => crate::genesis::load(path)?.0,
            (None, Some(client)) => {
                let bytes = client.genesis()?;
                Genesis::from_json(&bytes).map_err(|e| SubmitError::BadNodeGenesis {
                    url: client.url_of("/v1/genesis"),
                    detail: e.to_string(),
                })?
            }
            (None, None) => return Err(SubmitError::NoGenesis),
        };
        if node.is_none() && target.out.is_none() {
            return Err(input(
                "--node / --out",
                "pass --node URL to submit, or --out FILE to write the envelope",
            ));
        }
        Ok(Destination { genesis, node, out: target.out.clone(), force: target.force, wait: !target.no_wait })
    }

    /// The node, if `--node` was given.
    pub fn node(&self) -> Option<&Client> {
        self.node.as_ref()
    }

    /// The encryption key of `org`, from genesis.
    pub fn org_recipient(&self, org: &OrgId) -> Result<(String, EncryptionKey), SubmitError> {
        vouch_core::compose::org_recipient(&self.genesis, org).map_err(|e| input("org", e))
    }

    /// The regulators, when the policy lets them read contents.
    pub fn regulator_recipients(&self) -> Vec<(String, EncryptionKey)> {
        vouch_core::compose::regulator_recipients(&self.genesis)
    }

    /// Seal `contents` for `recipients`.
    pub fn seal<T: Serialize>(
        &self,
        contents: &T,
        recipients: &[(String, EncryptionKey)],
    ) -> Result<vouch_core::seal::Sealed, SubmitError> {
        seal::seal(contents, recipients, &mut OsRng).map(|(sealed, _key)| sealed).map_err(SubmitError::Seal)
    }

    /// Sign `document` as `author` (and `checker`), then submit or write it.
    pub fn sign_and_send(
        &self,
        author: (&Signer, &SigningKey),
        checker: Option<(&Signer, &SigningKey)>,
        document: Document,
    ) -> Result<Report, SubmitError> {
        document.check_fields().map_err(|e| input("document", e))?;
        let draft = Draft {
            network: self.genesis.network.clone(),
            created_ms: now_ms(),
            author: author.0.clone(),
            checker: checker.map(|c| c.0.clone()),
            document,
        };
        let envelope = draft.sign(author.1, checker.map(|c| c.1)).map_err(SubmitError::Sign)?;
        self.send(&envelope)
    }

    /// Write and/or post a signed envelope.
    pub fn send(&self, envelope: &Envelope) -> Result<Report, SubmitError> {
        let mut report = SubmitReport {
            id: envelope.id.to_hex(),
            doc_type: envelope.doc_type().as_str(),
            status: "signed",
            out: None,
            leaf_index: None,
            height: None,
            dropped: None,
        };
        if let Some(out) = &self.out {
            files::write_public(out, &envelope.bytes, self.force)?;
            report.out = Some(out.display().to_string());
            report.status = "written";
        }
        if let Some(node) = &self.node {
            let path = if self.wait { "/v1/entries" } else { "/v1/entries?wait=false" };
            let (status, body) = node.post_json(path, &envelope.bytes, ANSWER_BYTES_MAX)?;
            let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            match status {
                200 => {
                    report.status = "committed";
                    report.leaf_index = answer.get("leaf_index").and_then(serde_json::Value::as_u64);
                    report.height = answer.get("height").and_then(serde_json::Value::as_u64);
                }
                202 => {
                    report.status = "pending";
                    report.dropped =
                        answer.get("dropped").and_then(serde_json::Value::as_str).map(str::to_string);
                }
                400 | 409 | 413 | 415 | 422 => return Err(refused(status, &answer, &body)),
                _ => {
                    return Err(SubmitError::Unexpected {
                        url: node.url_of(path),
                        status,
                        body: String::from_utf8_lossy(&body).chars().take(300).collect(),
                    });
                }
            }
        }
        Ok(report.into_report())
    }
}

/// The problem details of a refusal.
fn refused(status: u16, answer: &serde_json::Value, body: &[u8]) -> SubmitError {
    let text = |k: &str| answer.get(k).and_then(serde_json::Value::as_str).map(str::to_string);
    let kind = text("type")
        .map(|t| t.rsplit('/').next().unwrap_or_default().to_string())
        .unwrap_or_else(|| "problem".into());
    let rule = text("rule");
    let detail = text("detail")
        .or_else(|| text("title"))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
    let detail = match &rule {
        Some(rule) if !detail.contains(rule.as_str()) => format!("{rule}: {detail}"),
        _ => detail,
    };
    SubmitError::Refused { status, kind, rule, detail }
}

/// What a submitting command prints.
#[derive(Debug, Serialize)]
struct SubmitReport {
    id: String,
    #[serde(rename = "type")]
    doc_type: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    out: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leaf_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u64>,
    /// Pending, but the node dropped it from its pool after passing it on (why).
    #[serde(skip_serializing_if = "Option::is_none")]
    dropped: Option<String>,
}

impl SubmitReport {
    fn into_report(self) -> Report {
        let mut human = format!("{} {}\n", self.doc_type, self.id);
        if let Some(out) = &self.out {
            human.push_str(&format!("written to {out}\n"));
        }
        match (self.status, self.leaf_index, self.height) {
            ("committed", Some(leaf), Some(height)) => {
                human.push_str(&format!("committed at height {height}, leaf index {leaf}\n"));
            }
            ("committed", _, _) => human.push_str("committed\n"),
            ("pending", _, _) => human.push_str("accepted by the node, not committed yet\n"),
            _ => {}
        }
        if let Some(why) = &self.dropped {
            human.push_str(&format!(
                "the node dropped it from its pool after passing it to the other nodes ({why}); another node may still commit it: look it up by id before signing anew\n"
            ));
        }
        Report::new(&self, human)
    }
}

/// Unix milliseconds now (the envelope's claimed creation time).
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The signer from `--org` and `--key`.
pub fn signer(org: &str, key: &Path) -> Result<(Signer, SigningKey), SubmitError> {
    let org = OrgId::new(org).map_err(|e| input("--org", e))?;
    let key = keys::load_signing(key)?;
    Ok((Signer { org, key: key.public() }, key))
}

/// Parse a document id (64 hex digits).
pub fn parse_id(what: &str, text: &str) -> Result<Hash, SubmitError> {
    crate::genesis::parse_hash(text).map_err(|e| input(what, e))
}

/// A signed envelope read from a file (as `--out` writes it), verified for `genesis`.
pub fn read_envelope(path: &Path, genesis: &Genesis) -> Result<Envelope, SubmitError> {
    let bytes = files::read_bounded(path, "envelope file", ENVELOPE_BYTES_MAX)?;
    Envelope::decode(&bytes, &genesis.network)
        .map_err(|e| input(format!("envelope file {}", path.display()), e))
}

/// Parse TOML (or JSON) text into `T`; the error names the field and its place.
pub fn parse_toml_or_json<T: for<'de> Deserialize<'de>>(text: &str, json: bool) -> Result<T, String> {
    let result = if json {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().replace('\n', "\n    "))
    };
    result.map_err(|e| match locate_quoted(text, json, &e) {
        Some(path) => format!("field {path}: {e}"),
        None => e,
    })
}

/// Where the first quoted value of `error` occurs in the file, as a dotted path: serde
/// reports values refused inside tagged tables (an amount, a date) at the table, not at
/// the field.
fn locate_quoted(text: &str, json: bool, error: &str) -> Option<String> {
    let start = error.find('"')?;
    let rest = error.get(start + 1..)?;
    let quoted = rest.get(..rest.find('"')?)?;
    let tree: serde_json::Value = if json {
        serde_json::from_str(text).ok()?
    } else {
        serde_json::to_value(text.parse::<toml::Table>().ok()?).ok()?
    };
    find_string(&tree, quoted, String::new())
}

fn find_string(value: &serde_json::Value, wanted: &str, path: String) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s == wanted => Some(path),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            find_string(v, wanted, if path.is_empty() { k.clone() } else { format!("{path}.{k}") })
        }),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| find_string(v, wanted, format!("{path}[{i}]")))
        }
        _ => None,
    }
}

/// The report of `vouch submit FILE`, for an envelope signed offline.
pub fn submit_file(path: &Path, destination: &Destination) -> Result<Report, SubmitError> {
    let envelope = read_envelope(path, &destination.genesis)?;
    destination.send(&envelope)
}
