//! Fetch what a node serves over HTTP or HTTPS: status, blocks, the block export,
//! cosigned checkpoints, consistency proofs and genesis (`docs/NODE.md`).
//!
//! # Terminology
//!
//! - *Base URL*: `http://host:port` or `https://host[:port]` of a node (HTTPS when the node
//!   is behind a TLS proxy, `docs/NODE.md` "TLS"); paths below are appended to it.
//! - *Roots*: HTTPS servers are checked against Mozilla's root certificates (webpki-roots),
//!   or, when `VOUCH_CA_CERT` names a PEM file, against the certificates in that file only
//!   (a member network's own certificate authority).
//! - Nothing fetched is trusted: callers verify every byte against the pinned genesis.
//!   This module only bounds what it reads (each answer by the protocol limit of what it
//!   holds) and reports which URL failed and how.
//!
//! Endpoints used:
//!
//! | path | answer |
//! |---|---|
//! | `GET /v1/status` | JSON with `height`, `tree_size`, `root`, `genesis_hash` |
//! | `GET /v1/blocks/{h}` | one canonical block (404 past the tip) |
//! | `GET /v1/export?from=M&to=N` | NDJSON, one block per line (404 if not served) |
//! | `GET /v1/checkpoint` | the latest cosigned checkpoint note |
//! | `GET /v1/proofs/consistency?from=M&to=N` | `{"from","to","proof":[hex…]}` |

use crate::files::{self, Line};
use crate::outcome::{Classify, Exit};
use serde::Deserialize;
use std::io::BufReader;
use std::time::Duration;
use vouch_core::encoding::Hash;
use vouch_core::limits::{BLOCK_JSON_BYTES_MAX, NOTE_BYTES_MAX, PROOF_HASHES_MAX};

/// A status or proof answer is small; this bounds what is read of one.
const SMALL_ANSWER_BYTES_MAX: usize = 256 * 1024;
/// Time to connect to a node.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a node may take to start answering.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// Time a node may stall in the middle of an answer (exports stream for long).
const READ_STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Bodies quoted in errors are clipped to this many characters.
const QUOTE_CHARS_MAX: usize = 300;

/// Why a node could not be asked, or answered something unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The URL is not one this client can use.
    #[error("{url:?} is not a usable node URL: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// Why.
        reason: String,
    },
    /// No answer: connection refused, timeout, reset.
    #[error("GET {url} failed: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What the HTTP client said.
        reason: String,
    },
    /// An HTTP status other than the expected one.
    #[error("GET {url} answered HTTP {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The answer is not what the endpoint serves.
    #[error("GET {url} answered something that is not {what}: {detail}")]
    Malformed {
        /// The URL.
        url: String,
        /// What was expected.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl Classify for ClientError {
    fn exit(&self) -> Exit {
        match self {
            ClientError::Url { .. } => Exit::Usage,
            ClientError::Transport { .. } | ClientError::Status { .. } | ClientError::Malformed { .. } => {
                Exit::Io
            }
        }
    }

    fn hint(&self) -> String {
        match self {
            ClientError::Url { .. } => {
                "give the node's base URL, such as http://127.0.0.1:8080 or https://vouch.bank-a.example, \
                 and if VOUCH_CA_CERT is set, a readable PEM file of CA certificates"
                    .into()
            }
            ClientError::Transport { .. } => {
                "check the URL and that the node is running and reachable, then try again".into()
            }
            ClientError::Status { status: 404, .. } => {
                "the node does not serve this; check the URL, or that the node runs the public API".into()
            }
            ClientError::Status { .. } => {
                "the node refused the request; try again later or ask another node".into()
            }
            ClientError::Malformed { .. } => {
                "the node answered garbage; try again, or ask another node and compare".into()
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            ClientError::Url { url, .. }
            | ClientError::Transport { url, .. }
            | ClientError::Malformed { url, .. } => {
                serde_json::json!({ "url": url })
            }
            ClientError::Status { url, status, .. } => serde_json::json!({ "url": url, "status": status }),
        }
    }
}

/// What `/v1/status` says (the fields this tool uses).
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    /// Last committed height.
    pub height: u64,
    /// Merkle tree size after it.
    #[serde(default)]
    pub tree_size: Option<u64>,
    /// Merkle root after it (hex).
    #[serde(default)]
    pub root: Option<String>,
    /// Hash of the node's genesis (hex).
    pub genesis_hash: String,
}

/// A consistency proof as served and as stored in files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The smaller tree size.
    pub from: u64,
    /// The larger tree size.
    pub to: u64,
    /// The proof hashes.
    pub proof: Vec<Hash>,
}

/// A node's public HTTP interface.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
    /// Sent with every GET when set: whole blocks (the export) need a regulator's or an
    /// operator token.
    token: Option<String>,
}

/// The variable naming a PEM file of the only certificate authorities HTTPS nodes may use.
pub const CA_CERT_ENV: &str = "VOUCH_CA_CERT";

/// The certificates of the PEM file at `path`, or why there are none.
fn ca_roots(path: &std::path::Path) -> Result<ureq::tls::RootCerts, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(format!("not PEM: {e}")),
        }
    }
    if certs.is_empty() {
        return Err("holds no CERTIFICATE block".into());
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&certs))
}

/// Whether `text` looks like a URL rather than a file path.
pub fn is_url(text: &str) -> bool {
    text.starts_with("http://") || text.starts_with("https://")
}

fn clip(text: &str) -> String {
    let clipped: String = text.chars().take(QUOTE_CHARS_MAX).collect();
    if clipped.len() < text.len() { format!("{clipped}…") } else { clipped }
}

impl Client {
    /// A client of the node at `base` (`http://host:port`).
    pub fn new(base: &str) -> Result<Client, ClientError> {
        let base = base.trim().trim_end_matches('/');
        let url_error = |reason: &str| ClientError::Url { url: base.to_string(), reason: reason.to_string() };
        let Some(rest) = base.strip_prefix("http://").or_else(|| base.strip_prefix("https://")) else {
            return Err(url_error("expected a URL starting with http:// or https://"));
        };
        if rest.is_empty() || rest.contains(['?', '#', ' ']) {
            return Err(url_error("expected http://host:port or https://host[:port] with no query"));
        }
        let roots = match std::env::var_os(CA_CERT_ENV) {
            None => ureq::tls::RootCerts::WebPki,
            Some(path) => ca_roots(std::path::Path::new(&path)).map_err(|reason| ClientError::Url {
                url: base.to_string(),
                reason: format!("{CA_CERT_ENV}={}: {reason}", std::path::Path::new(&path).display()),
            })?,
        };
        let agent = ureq::Agent::config_builder()
            .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(RESPONSE_TIMEOUT))
            .timeout_per_read(Some(READ_STALL_TIMEOUT))
            .http_status_as_error(false)
            .user_agent(concat!("vouch-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client { base: base.to_string(), agent, token: None })
    }

    /// This client, sending `token` (an API token of the node) with its reads.
    pub fn with_token(mut self, token: Option<String>) -> Client {
        self.token = token;
        self
    }

    fn get_request(&self, url: &str) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let request = self.agent.get(url);
        match &self.token {
            Some(token) => request.header("Authorization", &format!("Bearer {token}")),
            None => request,
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`; the status and up to `max` bytes of body.
    fn get(&self, path: &str, max: usize) -> Result<(u16, Vec<u8>), ClientError> {
        let url = self.url(path);
        let transport = |e: ureq::Error| ClientError::Transport { url: url.clone(), reason: e.to_string() };
        let mut response = self.get_request(&url).call().map_err(transport)?;
        let status = response.status().as_u16();
        let limit = u64::try_from(max).unwrap_or(u64::MAX);
        let body = response.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => ClientError::Malformed {
                url: url.clone(),
                what: "an answer of bounded size",
                detail: format!("more than {max} bytes"),
            },
            other => transport(other),
        })?;
        Ok((status, body))
    }

    fn expect_200(&self, path: &str, status: u16, body: &[u8]) -> Result<(), ClientError> {
        if status == 200 {
            return Ok(());
        }
        Err(ClientError::Status { url: self.url(path), status, body: clip(&String::from_utf8_lossy(body)) })
    }

    /// POST `body` as JSON to `path`; the status and up to `max` bytes of the answer.
    pub fn post_json(&self, path: &str, body: &[u8], max: usize) -> Result<(u16, Vec<u8>), ClientError> {
        let url = self.url(path);
        let transport = |e: ureq::Error| ClientError::Transport { url: url.clone(), reason: e.to_string() };
        let mut response =
            self.agent.post(&url).header("Content-Type", "application/json").send(body).map_err(transport)?;
        let status = response.status().as_u16();
        let limit = u64::try_from(max).unwrap_or(u64::MAX);
        let answer = response.body_mut().with_config().limit(limit).read_to_vec().map_err(transport)?;
        Ok((status, answer))
    }

    /// GET `path` with a bearer token; the status and up to `max` bytes of body.
    pub fn get_with_token(&self, path: &str, token: &str, max: usize) -> Result<(u16, Vec<u8>), ClientError> {
        let url = self.url(path);
        let transport = |e: ureq::Error| ClientError::Transport { url: url.clone(), reason: e.to_string() };
        let mut response = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .map_err(transport)?;
        let status = response.status().as_u16();
        let limit = u64::try_from(max).unwrap_or(u64::MAX);
        let body = response.body_mut().with_config().limit(limit).read_to_vec().map_err(transport)?;
        Ok((status, body))
    }

    /// `GET /v1/genesis`: the raw bytes.
    pub fn genesis(&self) -> Result<Vec<u8>, ClientError> {
        let path = "/v1/genesis";
        let (status, body) = self.get(path, vouch_core::limits::GENESIS_BYTES_MAX)?;
        self.expect_200(path, status, &body)?;
        Ok(body)
    }

    /// The URL of `path` on this node.
    pub fn url_of(&self, path: &str) -> String {
        self.url(path)
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<Status, ClientError> {
        let path = "/v1/status";
        let (status, body) = self.get(path, SMALL_ANSWER_BYTES_MAX)?;
        self.expect_200(path, status, &body)?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Malformed {
            url: self.url(path),
            what: "a node status (JSON with height and genesis_hash)",
            detail: e.to_string(),
        })
    }

    /// `GET /v1/blocks/{height}`: the raw bytes, or `None` on 404.
    pub fn block(&self, height: u64) -> Result<Option<Vec<u8>>, ClientError> {
        let path = format!("/v1/blocks/{height}");
        let (status, body) = self.get(&path, BLOCK_JSON_BYTES_MAX)?;
        if status == 404 {
            return Ok(None);
        }
        self.expect_200(&path, status, &body)?;
        Ok(Some(body))
    }

    /// The URL of one block.
    pub fn block_url(&self, height: u64) -> String {
        self.url(&format!("/v1/blocks/{height}"))
    }

    /// `GET /v1/export?from=M&to=N`: a stream of lines, or `None` if the node does not
    /// serve exports (404 for the endpoint).
    pub fn export(&self, from: u64, to: u64) -> Result<Option<ExportStream>, ClientError> {
        let path = format!("/v1/export?from={from}&to={to}");
        let url = self.url(&path);
        let transport = |e: ureq::Error| ClientError::Transport { url: url.clone(), reason: e.to_string() };
        let response = self.get_request(&url).call().map_err(transport)?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            return Err(ClientError::Status {
                url,
                status,
                body: "the export (whole blocks) needs a regulator's or an operator token of this node: pass --token or set VOUCH_TOKEN".into(),
            });
        }
        if status == 404 || status == 405 || status == 501 {
            return Ok(None);
        }
        if status != 200 {
            let mut response = response;
            let body = response
                .body_mut()
                .with_config()
                .limit(u64::try_from(SMALL_ANSWER_BYTES_MAX).unwrap_or(u64::MAX))
                .read_to_vec()
                .unwrap_or_default();
            return Err(ClientError::Status { url, status, body: clip(&String::from_utf8_lossy(&body)) });
        }
        let reader = BufReader::new(response.into_body().into_reader());
        Ok(Some(ExportStream { url, reader: Box::new(reader), buf: Vec::new() }))
    }

    /// `GET /v1/checkpoint`: the latest cosigned checkpoint note, or `None` on 404 (the
    /// network has none yet).
    pub fn checkpoint(&self) -> Result<Option<String>, ClientError> {
        let path = "/v1/checkpoint";
        let (status, body) = self.get(path, NOTE_BYTES_MAX)?;
        if status == 404 {
            return Ok(None);
        }
        self.expect_200(path, status, &body)?;
        String::from_utf8(body).map(Some).map_err(|_| ClientError::Malformed {
            url: self.url(path),
            what: "a checkpoint note",
            detail: "not UTF-8".into(),
        })
    }

    /// The URL of the latest checkpoint.
    pub fn checkpoint_url(&self) -> String {
        self.url("/v1/checkpoint")
    }

    /// `GET /v1/proofs/consistency?from=M&to=N`, checked to be for those sizes.
    pub fn consistency(&self, from: u64, to: u64) -> Result<ConsistencyProof, ClientError> {
        let path = format!("/v1/proofs/consistency?from={from}&to={to}");
        let (status, body) = self.get(&path, SMALL_ANSWER_BYTES_MAX)?;
        self.expect_200(&path, status, &body)?;
        let malformed = |detail: String| ClientError::Malformed {
            url: self.url(&path),
            what: "a consistency proof {\"from\",\"to\",\"proof\"}",
            detail,
        };
        let proof: ConsistencyProof = serde_json::from_slice(&body).map_err(|e| malformed(e.to_string()))?;
        if (proof.from, proof.to) != (from, to) {
            return Err(malformed(format!(
                "it is for sizes {} to {}, not {from} to {to}",
                proof.from, proof.to
            )));
        }
        // A consistency proof has at most two hashes per level of the larger tree.
        if proof.proof.len() > 2 * PROOF_HASHES_MAX {
            return Err(malformed(format!("{} hashes, at most {}", proof.proof.len(), 2 * PROOF_HASHES_MAX)));
        }
        Ok(proof)
    }
}

/// An NDJSON export being read, one bounded line at a time.
pub struct ExportStream {
    url: String,
    reader: Box<dyn std::io::BufRead>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for ExportStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportStream").field("url", &self.url).finish_non_exhaustive()
    }
}

impl ExportStream {
    /// The URL streamed.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next non-empty line, or `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        loop {
            let read = files::read_line_bounded(&mut self.reader, &mut self.buf, BLOCK_JSON_BYTES_MAX)
                .map_err(|e| ClientError::Transport { url: self.url.clone(), reason: e.to_string() })?;
            match read {
                Line::End => return Ok(None),
                Line::TooLong => {
                    return Err(ClientError::Malformed {
                        url: self.url.clone(),
                        what: "an NDJSON block export",
                        detail: format!("a line longer than {BLOCK_JSON_BYTES_MAX} bytes"),
                    });
                }
                // The export ends every line with a newline; a last line without one means
                // the node closed the connection mid-way (its store failed): not a block.
                Line::Unterminated => {
                    return Err(ClientError::Transport {
                        url: self.url.clone(),
                        reason:
                            "the answer ended in the middle of a line (the node closed the connection early)"
                                .into(),
                    });
                }
                Line::Read if self.buf.iter().all(u8::is_ascii_whitespace) => continue,
                Line::Read => return Ok(Some(std::mem::take(&mut self.buf))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(Client::new("http://127.0.0.1:8080/").is_ok());
        assert_eq!(
            Client::new("http://127.0.0.1:8080/").map(|c| c.base().to_string()),
            Ok("http://127.0.0.1:8080".into())
        );
        assert!(Client::new("https://node.example").is_ok());
        assert!(matches!(Client::new("ftp://node.example"), Err(ClientError::Url { .. })));
        assert!(matches!(Client::new("node.example:8080"), Err(ClientError::Url { .. })));
        assert!(matches!(Client::new("http://"), Err(ClientError::Url { .. })));
        assert!(is_url("http://x") && !is_url("export.ndjson"));
    }

    #[test]
    fn a_ca_file_without_certificates_is_named() {
        let dir = std::env::temp_dir().join(format!("vouch-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        assert_eq!(ca_roots(&empty).err().unwrap(), "holds no CERTIFICATE block");
        assert!(ca_roots(&dir.join("missing.pem")).err().unwrap().starts_with("cannot read it"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
