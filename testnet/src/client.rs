//! Call a `vouchd` node's HTTP API, blocking.
//!
//! The contract (`docs/API.md`, `docs/NODE.md`): `POST /v1/entries` with an envelope's
//! canonical bytes answers 200 with `{leaf_index, height, leaf_hash}` once committed, 202
//! `{status: "pending", leaf_hash}` if not committed within the node's wait, 4xx
//! `application/problem+json` naming the broken rule when refused, 503 when the mempool is
//! full. `GET /v1/status`, `/v1/checkpoint`, `/v1/blocks/<height>`, `/healthz`.

use serde::Deserialize;
use std::time::Duration;
use vouch_core::block::Block;

/// Longest a status, block or checkpoint call waits.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest a submit waits: the node's commit wait plus slack.
pub const SUBMIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Most bytes read from one answer (a block's JSON is at most 32 MiB).
const ANSWER_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// Why a call did not get an answer of the expected shape.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer: connection refused, timeout, reset.
    #[error("{url}: no answer ({reason}); next: check the node is running and read its node.log")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// An answer the contract does not allow.
    #[error("{url}: unexpected answer {status}: {body}")]
    Unexpected {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The body (clipped).
        body: String,
    },
}

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Status {
    /// The node's moniker.
    pub moniker: String,
    /// Last committed height (0 before the first block).
    pub height: u64,
    /// Merkle tree size after that block.
    pub tree_size: u64,
    /// Merkle root (hex).
    pub root: String,
    /// Connected peers.
    pub peers: u64,
    /// Whether the node votes.
    pub validator: bool,
    /// `synced` or `catching_up`.
    pub sync: String,
    /// Documents waiting in the mempool.
    pub mempool: u64,
    /// Equivocation evidence recorded, when the node reports it.
    #[serde(default)]
    pub evidence: Option<u64>,
}

/// A committed document (200 from `POST /v1/entries`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Committed {
    /// Its leaf index in the log.
    pub leaf_index: u64,
    /// The block height that committed it.
    pub height: u64,
    /// Its leaf hash (hex).
    pub leaf_hash: String,
}

/// An RFC 9457 problem (a refusal).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Problem {
    /// Problem type (the rule id or a URI).
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Short title.
    #[serde(default)]
    pub title: String,
    /// HTTP status.
    #[serde(default)]
    pub status: u16,
    /// What was wrong.
    #[serde(default)]
    pub detail: String,
    /// The rule broken, such as `R-RESP-3`.
    #[serde(default)]
    pub rule: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.rule.as_deref().unwrap_or("(no rule)"), self.detail)
    }
}

/// What `POST /v1/entries` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// 200: committed.
    Committed(Committed),
    /// 202: accepted, not yet committed; the leaf hash to look for.
    Pending {
        /// Leaf hash (hex).
        leaf_hash: String,
        /// Why the node dropped it from its pool after passing it on, if it did.
        dropped: Option<String>,
    },
    /// 4xx: refused.
    Refused(Problem),
    /// 503: the mempool is full; try later.
    Busy(String),
}

/// A node's HTTP API.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    read: ureq::Agent,
    submit: ureq::Agent,
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_idle_connections_per_host(64)
        .build()
        .into()
}

fn clip(text: &str) -> String {
    text.chars().take(500).collect()
}

impl Client {
    /// A client of the node at `base` (`http://127.0.0.1:<port>`), sending `token` (an
    /// API token of that node) with every read.
    pub fn new(base: &str, token: Option<String>) -> Client {
        Client {
            base: base.trim_end_matches('/').to_string(),
            token,
            read: agent(READ_TIMEOUT),
            submit: agent(SUBMIT_TIMEOUT),
        }
    }

    /// The same client with submissions given up after `timeout` (the chaos load wants
    /// an answer or an "unknown" well before the default minute).
    pub fn with_submit_timeout(mut self, timeout: Duration) -> Client {
        self.submit = agent(timeout);
        self
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn get(&self, path: &str) -> Result<(u16, Vec<u8>), ClientError> {
        let url = format!("{}{path}", self.base);
        let transport = |e: ureq::Error| ClientError::Transport { url: url.clone(), reason: e.to_string() };
        let mut request = self.read.get(&url);
        if let Some(token) = &self.token {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let mut response = request.call().map_err(transport)?;
        let status = response.status().as_u16();
        let body =
            response.body_mut().with_config().limit(ANSWER_BYTES_MAX).read_to_vec().map_err(transport)?;
        Ok((status, body))
    }

    fn expect_ok(&self, path: &str, status: u16, body: &[u8]) -> Result<(), ClientError> {
        if status == 200 {
            return Ok(());
        }
        Err(ClientError::Unexpected {
            url: format!("{}{path}", self.base),
            status,
            body: clip(&String::from_utf8_lossy(body)),
        })
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        status: u16,
        body: &[u8],
    ) -> Result<T, ClientError> {
        serde_json::from_slice(body).map_err(|e| ClientError::Unexpected {
            url: format!("{}{path}", self.base),
            status,
            body: format!("{e}: {}", clip(&String::from_utf8_lossy(body))),
        })
    }

    /// POST `body` (JSON) to `path` with this client's token; the status and body, whatever
    /// they are.
    pub fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<(u16, serde_json::Value), ClientError> {
        let url = format!("{}{path}", self.base);
        let transport = |e: ureq::Error| ClientError::Transport { url: url.clone(), reason: e.to_string() };
        let mut request = self.submit.post(&url).header("content-type", "application/json");
        if let Some(token) = &self.token {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let mut response = request.send(body.to_string().as_bytes()).map_err(transport)?;
        let status = response.status().as_u16();
        let bytes =
            response.body_mut().with_config().limit(ANSWER_BYTES_MAX).read_to_vec().map_err(transport)?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)))
    }

    /// GET `path` with this client's token; the status and JSON body.
    pub fn get_json(&self, path: &str) -> Result<(u16, serde_json::Value), ClientError> {
        let (status, bytes) = self.get(path)?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)))
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<Status, ClientError> {
        let path = "/v1/status";
        let (status, body) = self.get(path)?;
        self.expect_ok(path, status, &body)?;
        self.json(path, status, &body)
    }

    /// `GET /healthz`: whether it answers 200.
    pub fn healthy(&self) -> bool {
        matches!(self.get("/healthz"), Ok((200, _)))
    }

    /// `GET /v1/evidence`: the misbehavior evidence the node keeps, as JSON.
    pub fn evidence(&self) -> Result<serde_json::Value, ClientError> {
        let path = "/v1/evidence";
        let (status, body) = self.get(path)?;
        self.expect_ok(path, status, &body)?;
        self.json(path, status, &body)
    }

    /// `GET /v1/checkpoint`: the cosigned checkpoint note.
    pub fn checkpoint(&self) -> Result<String, ClientError> {
        let path = "/v1/checkpoint";
        let (status, body) = self.get(path)?;
        self.expect_ok(path, status, &body)?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// `GET /v1/export?from=<height>&to=<height>` (needs the node's operator token): the
    /// block, or `None` if the node has no such height.
    pub fn block(&self, height: u64) -> Result<Option<Block>, ClientError> {
        let path = format!("/v1/export?from={height}&to={height}");
        let (status, body) = self.get(&path)?;
        if status == 404 {
            return Ok(None);
        }
        self.expect_ok(&path, status, &body)?;
        Block::from_json(&body).map(Some).map_err(|e| ClientError::Unexpected {
            url: format!("{}{path}", self.base),
            status,
            body: format!("not a block: {e}"),
        })
    }

    /// `GET /v1/export?from=<from>&to=<to>` (needs the node's operator token): blocks
    /// `from..=to` in order, or `None` if the node has no block at `to`.
    pub fn blocks(&self, from: u64, to: u64) -> Result<Option<Vec<Block>>, ClientError> {
        let path = format!("/v1/export?from={from}&to={to}");
        let (status, body) = self.get(&path)?;
        if status == 404 {
            return Ok(None);
        }
        self.expect_ok(&path, status, &body)?;
        let not_blocks =
            |why: String| ClientError::Unexpected { url: format!("{}{path}", self.base), status, body: why };
        let blocks = body
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| Block::from_json(line).map_err(|e| not_blocks(format!("not a block: {e}"))))
            .collect::<Result<Vec<Block>, ClientError>>()?;
        let wanted = to.checked_sub(from).map_or(0, |d| d.saturating_add(1));
        if u64::try_from(blocks.len()).ok() != Some(wanted) {
            return Err(not_blocks(format!(
                "{} blocks for {wanted} heights (export cut short?)",
                blocks.len()
            )));
        }
        Ok(Some(blocks))
    }

    /// `GET /v1/headers/<height>`: the block header and its certificate as JSON, or
    /// `None` if the node has no block at that height.
    pub fn header(&self, height: u64) -> Result<Option<serde_json::Value>, ClientError> {
        let path = format!("/v1/headers/{height}");
        let (status, body) = self.get(&path)?;
        if status == 404 {
            return Ok(None);
        }
        self.expect_ok(&path, status, &body)?;
        self.json(&path, status, &body).map(Some)
    }

    /// `GET /metrics`: the Prometheus text.
    pub fn metrics(&self) -> Result<String, ClientError> {
        let path = "/metrics";
        let (status, body) = self.get(path)?;
        self.expect_ok(path, status, &body)?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// `POST /v1/entries` with `bytes` (an envelope's canonical bytes, or anything a test
    /// wants refused).
    pub fn submit(&self, bytes: &[u8]) -> Result<Submitted, ClientError> {
        let path = "/v1/entries";
        let url = format!("{}{path}", self.base);
        let transport = |e: ureq::Error| ClientError::Transport { url: url.clone(), reason: e.to_string() };
        let mut response = self
            .submit
            .post(&url)
            .header("content-type", "application/json")
            .send(bytes)
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body =
            response.body_mut().with_config().limit(ANSWER_BYTES_MAX).read_to_vec().map_err(transport)?;
        match status {
            200 => Ok(Submitted::Committed(self.json(path, status, &body)?)),
            202 => {
                #[derive(Deserialize)]
                struct Pending {
                    leaf_hash: String,
                    #[serde(default)]
                    dropped: Option<String>,
                }
                let p: Pending = self.json(path, status, &body)?;
                Ok(Submitted::Pending { leaf_hash: p.leaf_hash, dropped: p.dropped })
            }
            503 => Ok(Submitted::Busy(clip(&String::from_utf8_lossy(&body)))),
            400..=499 => {
                let problem = serde_json::from_slice::<Problem>(&body).unwrap_or_else(|_| Problem {
                    type_: String::new(),
                    title: String::new(),
                    status,
                    detail: clip(&String::from_utf8_lossy(&body)),
                    rule: None,
                });
                Ok(Submitted::Refused(Problem { status, ..problem }))
            }
            _ => Err(ClientError::Unexpected { url, status, body: clip(&String::from_utf8_lossy(&body)) }),
        }
    }
}

/// The leaf hash of a document's canonical bytes (RFC 9162), hex.
pub fn leaf_hash(bytes: &[u8]) -> String {
    vouch_core::merkle::leaf_hash(bytes).to_hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_parses_and_names_the_rule() {
        let body = br#"{"type":"R-RESP-3","title":"refused","status":422,"detail":"no authorization","rule":"R-RESP-3"}"#;
        let p: Problem = serde_json::from_slice(body).expect("problem");
        assert_eq!(p.rule.as_deref(), Some("R-RESP-3"));
        assert_eq!(p.to_string(), "422 R-RESP-3: no authorization");
    }

    #[test]
    fn status_without_evidence_parses() {
        let body = br#"{"moniker":"bank-a","height":3,"tree_size":7,"root":"ab","peers":4,"validator":true,"sync":"synced","mempool":0,"extra":1}"#;
        let s: Status = serde_json::from_slice(body).expect("status");
        assert_eq!((s.height, s.tree_size, s.evidence), (3, 7, None));
    }

    #[test]
    fn unreachable_node_is_a_transport_error() {
        let port = crate::ports::free_ports(1).expect("port").first().copied().unwrap_or(1);
        let c = Client::new(&format!("http://127.0.0.1:{port}"), None);
        assert!(matches!(c.status(), Err(ClientError::Transport { .. })));
        assert!(!c.healthy());
    }

    #[test]
    fn leaf_hash_is_rfc9162() {
        let expected = vouch_core::encoding::Hash::sha256_parts(&[&[0u8], b"abc"]);
        assert_eq!(leaf_hash(b"abc"), expected.to_hex());
    }
}
