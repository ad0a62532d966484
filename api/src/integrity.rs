//! Serve what anyone needs to check the log without credentials: the genesis, cosigned
//! checkpoints, inclusion and consistency proofs (RFC 9162), and block headers with their
//! commit certificates; and, to regulators and the node's operators only, the whole chain
//! as NDJSON (blocks carry every confirmation's parties and dates in clear).
//!
//! Every proof answered here verifies with `vouch_core::merkle::verify_inclusion` and
//! `verify_consistency` against the roots of the checkpoints this node serves.

use crate::extract::{Caller, NoQuery, PathParam, Query};
use crate::limits::EXPORT_BLOCKS_PER_STEP;
use crate::problem::{Kind, Problem};
use crate::{Ctx, blocking, store};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use vouch_core::encoding::Hash;

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";
const NDJSON: &str = "application/x-ndjson";

fn with_type(mut r: Response, content_type: &'static str) -> Response {
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The genesis document.
#[utoipa::path(
    get, path = "/v1/genesis", operation_id = "getGenesis", tag = "integrity",
    description = "The network's genesis document in its canonical form (RFC 8785): the \
        bytes whose hash is the genesis hash, and the public keys every proof is checked against.",
    responses(
        (status = 200, description = "Canonical genesis JSON", content_type = "application/json", body = Object),
    )
)]
pub async fn genesis(State(ctx): State<Ctx>, Query(_): Query<NoQuery>) -> Response {
    with_type(ctx.ledger.genesis().to_canonical().into_response(), JSON)
}

/// The latest cosigned checkpoint.
#[utoipa::path(
    get, path = "/v1/checkpoint", operation_id = "getCheckpoint", tag = "integrity",
    description = "The stored checkpoint note with the largest tree size, cosigned by validators \
        holding more than 2/3 of the voting power (C2SP signed note, tlog-checkpoint body).",
    responses(
        (status = 200, description = "The signed note", content_type = "text/plain", body = String),
        (status = 404, description = "`no-checkpoint`: none yet", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn checkpoint(State(ctx): State<Ctx>, Query(_): Query<NoQuery>) -> Result<Response, Problem> {
    let ledger = ctx.ledger.clone();
    match blocking(move || ledger.latest_checkpoint().map_err(store)).await? {
        Some((_, note)) => Ok(with_type(note.into_response(), TEXT)),
        None => Err(Problem::new(
            Kind::NoCheckpoint,
            "no checkpoint cosigned by more than 2/3 of the voting power has been stored yet",
        )),
    }
}

/// The cosigned checkpoint stored at one size.
#[utoipa::path(
    get, path = "/v1/checkpoints/{size}", operation_id = "getCheckpointAt", tag = "integrity",
    params(("size" = u64, Path, description = "Tree size of the checkpoint")),
    responses(
        (status = 200, description = "The signed note stored for that size", content_type = "text/plain", body = String),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`no-checkpoint`: none stored at that size", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn checkpoint_at(
    State(ctx): State<Ctx>,
    PathParam(size): PathParam<u64>,
    Query(_): Query<NoQuery>,
) -> Result<Response, Problem> {
    let ledger = ctx.ledger.clone();
    match blocking(move || ledger.checkpoint(size).map_err(store)).await? {
        Some(note) => Ok(with_type(note.into_response(), TEXT)),
        None => Err(Problem::new(
            Kind::NoCheckpoint,
            format!("no cosigned checkpoint is stored for tree size {size}"),
        )),
    }
}

/// Parameters of an inclusion proof.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// RFC 9162 leaf hash of the document, `SHA-256(0x00 || leaf)`, 64 lowercase hex digits.
    #[param(pattern = "^[0-9a-f]{64}$")]
    leaf_hash: String,
    /// Size of the tree to prove inclusion in. Default: the latest cosigned checkpoint's.
    tree_size: Option<u64>,
}

/// An RFC 9162 inclusion proof.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InclusionProof {
    /// The leaf's index.
    pub leaf_index: u64,
    /// The tree the proof is for.
    pub tree_size: u64,
    /// The leaf hash (hex).
    pub leaf_hash: String,
    /// Sibling hashes, nearest the leaf first (hex).
    pub proof: Vec<String>,
}

/// Prove that a leaf is in the log.
#[utoipa::path(
    get, path = "/v1/proofs/inclusion", operation_id = "getInclusionProof", tag = "integrity",
    params(InclusionQuery),
    description = "An RFC 9162 inclusion proof of the leaf with this hash in the tree of `tree_size` \
        leaves; check it with `vouch_core::merkle::verify_inclusion` against that checkpoint's root.",
    responses(
        (status = 200, description = "The proof", body = InclusionProof),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`no-leaf`, `no-checkpoint` (no default size yet) or `beyond-tree` (the tree is larger than the log, or the leaf is not in it)", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn inclusion(
    State(ctx): State<Ctx>,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<InclusionProof>, Problem> {
    let leaf_hash = Hash::from_hex(&q.leaf_hash)
        .map_err(|e| Problem::new(Kind::InvalidParameter, format!("leaf_hash: {e}")))?;
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let tree_size = match q.tree_size {
            Some(size) => size,
            None => latest_checkpoint_size(&*ledger)?,
        };
        let Some((leaf_index, _)) = ledger.leaf_by_hash(&leaf_hash).map_err(store)? else {
            return Err(Problem::new(Kind::NoLeaf, format!("no leaf of this log has hash {leaf_hash}")));
        };
        check_tree_size(&*ledger, tree_size)?;
        if leaf_index >= tree_size {
            return Err(Problem::new(
                Kind::BeyondTree,
                format!("leaf {leaf_hash} is at index {leaf_index}, outside a tree of {tree_size} leaves"),
            ));
        }
        let proof = ledger.inclusion_proof(leaf_index, tree_size).map_err(store)?;
        Ok(Json(InclusionProof {
            leaf_index,
            tree_size,
            leaf_hash: leaf_hash.to_hex(),
            proof: proof.iter().map(Hash::to_hex).collect(),
        }))
    })
    .await
}

/// Parameters of a consistency proof.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree size, at least 1.
    #[param(minimum = 1)]
    from: u64,
    /// The newer tree size, at least `from`, at most the log's size.
    to: u64,
}

/// An RFC 9162 consistency proof.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyProof {
    /// The older tree size.
    pub from: u64,
    /// The newer tree size.
    pub to: u64,
    /// The proof's hashes (hex); empty when `from == to`.
    pub proof: Vec<String>,
}

/// Prove that one tree extends another.
#[utoipa::path(
    get, path = "/v1/proofs/consistency", operation_id = "getConsistencyProof", tag = "integrity",
    params(ConsistencyQuery),
    description = "An RFC 9162 consistency proof from the tree of `from` leaves to the tree of `to` \
        leaves; check it with `vouch_core::merkle::verify_consistency` against the two checkpoints' roots.",
    responses(
        (status = 200, description = "The proof", body = ConsistencyProof),
        (status = 400, description = "`invalid-parameter` (`from` is 0 or above `to`)", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`beyond-tree`: `to` is larger than the log", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn consistency(
    State(ctx): State<Ctx>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<ConsistencyProof>, Problem> {
    if q.from == 0 {
        return Err(Problem::new(
            Kind::InvalidParameter,
            "from is 0: every log extends the empty tree, so there is nothing to prove (R-MRK-7)",
        ));
    }
    if q.from > q.to {
        return Err(Problem::new(
            Kind::InvalidParameter,
            format!("from {} is larger than to {}", q.from, q.to),
        ));
    }
    let ledger = ctx.ledger.clone();
    blocking(move || {
        check_tree_size(&*ledger, q.to)?;
        let proof = if q.from == q.to {
            Vec::new()
        } else {
            ledger.consistency_proof(q.from, q.to).map_err(store)?
        };
        Ok(Json(ConsistencyProof { from: q.from, to: q.to, proof: proof.iter().map(Hash::to_hex).collect() }))
    })
    .await
}

/// A block header and the certificate that commits it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertifiedHeader {
    /// The header (`vouch_core::block::Header`).
    #[schema(value_type = Object)]
    pub header: serde_json::Value,
    /// Its commit certificate (`vouch_core::block::Certificate`).
    #[schema(value_type = Object)]
    pub certificate: serde_json::Value,
}

/// A block header with its commit certificate.
#[utoipa::path(
    get, path = "/v1/headers/{height}", operation_id = "getHeader", tag = "integrity",
    params(("height" = u64, Path, description = "Block height, from 1")),
    description = "The header and commit certificate of the block at `height`, without its documents.",
    responses(
        (status = 200, description = "Header and certificate", body = CertifiedHeader),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`no-block`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn header_at(
    State(ctx): State<Ctx>,
    PathParam(height): PathParam<u64>,
    Query(_): Query<NoQuery>,
) -> Result<Json<CertifiedHeader>, Problem> {
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let Some(json) = ledger.block_json(height).map_err(store)? else {
            return Err(Problem::new(Kind::NoBlock, format!("no block at height {height}")));
        };
        let block = vouch_core::block::Block::from_json(&json)
            .map_err(|e| Problem::new(Kind::Store, format!("stored block {height} does not decode: {e}")))?;
        let value = |v: Result<serde_json::Value, serde_json::Error>| {
            v.map_err(|e| Problem::new(Kind::Internal, format!("block {height}: {e}")))
        };
        Ok(Json(CertifiedHeader {
            header: value(serde_json::to_value(&block.header))?,
            certificate: value(serde_json::to_value(&block.certificate))?,
        }))
    })
    .await
}

/// Parameters of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// First height, at least 1. Default 1.
    #[param(minimum = 1)]
    from: Option<u64>,
    /// Last height, at most the tip. Default: the tip when the request arrives.
    to: Option<u64>,
}

/// Stream blocks as NDJSON.
#[utoipa::path(
    get, path = "/v1/export", operation_id = "exportBlocks", tag = "integrity",
    params(ExportQuery),
    security(("bearer" = [])),
    description = "Blocks `from` to `to`, one per line, each the canonical JSON (RFC 8785) of a \
        `vouch_core::block::Block` followed by `\\n`. `vouch verify chain` reads this and checks every \
        block from genesis. The stream is cut short (the connection closes without the last \
        newline) only if the store fails mid-way. Blocks hold every confirmation's parties, \
        dates and statuses in clear (contents stay sealed), so this needs a regulator's token \
        or an operator token; anyone can check headers, checkpoints and proofs without one.",
    responses(
        (status = 200, description = "NDJSON, one block per line", content_type = "application/x-ndjson", body = String),
        (status = 400, description = "`invalid-parameter` (`from` is 0 or above `to`)", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`forbidden`: neither a regulator's nor an operator token", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`no-block`: `to` is above the tip", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn export(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    Query(q): Query<ExportQuery>,
) -> Result<Response, Problem> {
    if !caller.may_read_all_metadata() {
        return Err(Problem::new(
            Kind::Forbidden,
            format!(
                "token {} is neither a regulator's nor an operator token; blocks carry every party's metadata",
                caller.token
            ),
        ));
    }
    let ledger = ctx.ledger.clone();
    let tip = blocking(move || ledger.tip().map_err(store)).await?;
    let from = q.from.unwrap_or(1);
    if from == 0 {
        return Err(Problem::new(Kind::InvalidParameter, "from is 0: heights start at 1"));
    }
    let to = q.to.unwrap_or(tip);
    if to > tip {
        return Err(Problem::new(Kind::NoBlock, format!("to {to} is above the tip, height {tip}")));
    }
    // Both defaulted on an empty ledger: nothing to send. Otherwise from must not pass to.
    if from > to && (q.from.is_some() || q.to.is_some() || tip > 0) {
        return Err(Problem::new(Kind::InvalidParameter, format!("from {from} is larger than to {to}")));
    }
    let ledger = ctx.ledger.clone();
    let stream = futures_util::stream::unfold(Some(from), move |next| {
        let ledger = ledger.clone();
        async move {
            let start = next?;
            if start > to {
                return None;
            }
            let end = start.saturating_add(EXPORT_BLOCKS_PER_STEP - 1).min(to);
            let chunk = tokio::task::spawn_blocking(move || export_chunk(&ledger, start, end)).await;
            let chunk = match chunk {
                Ok(Ok(bytes)) => Ok(axum::body::Bytes::from(bytes)),
                Ok(Err(e)) => Err(e),
                Err(e) => Err(std::io::Error::other(format!("export task failed: {e}"))),
            };
            let next = if chunk.is_ok() { end.checked_add(1) } else { None };
            if let Err(e) = &chunk {
                tracing::warn!(error = %e, from = start, to = end, "export cut short");
            }
            Some((chunk, next))
        }
    });
    Ok(with_type(Body::from_stream(stream).into_response(), NDJSON))
}

/// Canonical JSON lines of blocks `start..=end`.
fn export_chunk(ledger: &Arc<dyn crate::Ledger>, start: u64, end: u64) -> Result<Vec<u8>, std::io::Error> {
    let mut out = Vec::new();
    for height in start..=end {
        let json = ledger
            .block_json(height)
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .ok_or_else(|| std::io::Error::other(format!("block {height} is missing from the store")))?;
        let value: serde_json::Value = serde_json::from_slice(&json)
            .map_err(|e| std::io::Error::other(format!("stored block {height} is not JSON: {e}")))?;
        vouch_core::canonical::append_canonical(&mut out, &value);
        out.push(b'\n');
    }
    Ok(out)
}

/// The size of the latest cosigned checkpoint: the default tree for proofs.
fn latest_checkpoint_size(ledger: &dyn crate::Ledger) -> Result<u64, Problem> {
    match ledger.latest_checkpoint().map_err(store)? {
        Some((size, _)) => Ok(size),
        None => Err(Problem::new(
            Kind::NoCheckpoint,
            "no cosigned checkpoint yet, so there is no default tree_size; give tree_size",
        )),
    }
}

/// `tree_size` must be at most the log's size.
fn check_tree_size(ledger: &dyn crate::Ledger, tree_size: u64) -> Result<(), Problem> {
    let size = ledger.tree_size().map_err(store)?;
    if tree_size > size {
        return Err(Problem::new(
            Kind::BeyondTree,
            format!("tree size {tree_size} is larger than this node's log ({size} leaves)"),
        ));
    }
    Ok(())
}
