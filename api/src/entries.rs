//! Take signed documents: `POST /v1/entries`. The envelope's signatures are its
//! authorization, so no token is needed; the ledger's state machine decides.

use crate::Ctx;
use crate::extract::{JsonBytes, Query};
use crate::limits::ENTRY_BODY_BYTES_MAX;
use crate::problem::{Kind, Problem};
use crate::service::{SubmitError, SubmitOptions, Submitted};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Header marking a document forwarded by another node (not forwarded again).
pub const FORWARDED: &str = "vouch-forwarded";

/// Parameters of a submission.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// `false` to answer 202 as soon as the document is pooled. Default `true`: wait for
    /// the commit, up to the node's `http.commit_wait_ms`.
    wait: Option<bool>,
}

/// A committed document.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Committed {
    /// The document id (SHA-256 of the canonical envelope, hex): what later documents
    /// about it name.
    pub id: String,
    /// Its leaf index.
    pub leaf_index: u64,
    /// The height of the block that committed it.
    pub height: u64,
    /// Its RFC 9162 leaf hash (hex).
    pub leaf_hash: String,
}

/// A pooled document, not committed yet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Pending {
    /// Always `pending`.
    #[schema(example = "pending")]
    pub status: String,
    /// The document id (SHA-256 of the canonical envelope, hex).
    pub id: String,
    /// Its RFC 9162 leaf hash (hex): look for it with `GET /v1/proofs/inclusion`.
    pub leaf_hash: String,
    /// Present when this node dropped the document from its pool after it had passed it
    /// to the other nodes: why (the rule first). Another node may still commit it, so it
    /// is not a refusal: look for it by its leaf hash before signing it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
}

/// Submit one signed document.
#[utoipa::path(
    post, path = "/v1/entries", operation_id = "submitEntry", tag = "entries",
    params(SubmitQuery),
    request_body(content = Object, content_type = "application/json",
        description = "One envelope in its canonical form (RFC 8785), as signed."),
    description = "Submit one canonical envelope. Its signatures authorize it; no token is needed. \
        A document already committed answers 200 as the first time (a replay adds nothing).",
    responses(
        (status = 200, description = "Committed", body = Committed),
        (status = 202, description = "Pooled, not committed within the node's wait (or at once with `wait=false`); with `dropped` when this node dropped it from its pool after passing it on (another node may still commit it)", body = Pending),
        (status = 400, description = "`invalid-envelope` or `invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 413, description = "`body-too-large`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 415, description = "`unsupported-media-type`: not `application/json`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 422, description = "`refused`: the state machine refuses it; `rule` names the rule", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`mempool-full` (retry later) or `store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn submit(
    State(ctx): State<Ctx>,
    Query(q): Query<SubmitQuery>,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes<ENTRY_BODY_BYTES_MAX>,
) -> Result<Response, Problem> {
    let options = SubmitOptions { wait: q.wait.unwrap_or(true), forwarded: headers.contains_key(FORWARDED) };
    // Only a valid envelope is taken, and a valid envelope is canonical: its id is the
    // hash of the bytes as received.
    let id = vouch_core::encoding::Hash::sha256(&body);
    submission(id, ctx.ledger.submit(body, options).await)
}

impl SubmitQuery {
    /// The options of a submission made for the caller (never forwarded).
    pub(crate) fn options(&self) -> SubmitOptions {
        SubmitOptions { wait: self.wait.unwrap_or(true), forwarded: false }
    }
}

/// The answer to a submission: 200 committed, 202 pending, or its problem.
pub(crate) fn submission(
    id: vouch_core::encoding::Hash,
    result: Result<Submitted, SubmitError>,
) -> Result<Response, Problem> {
    let id = id.to_hex();
    match result {
        Ok(Submitted::Committed { leaf_index, height, leaf_hash }) => {
            Ok((StatusCode::OK, Json(Committed { id, leaf_index, height, leaf_hash: leaf_hash.to_hex() }))
                .into_response())
        }
        Ok(Submitted::Pending { leaf_hash, dropped }) => Ok((
            StatusCode::ACCEPTED,
            Json(Pending { status: "pending".into(), id, leaf_hash: leaf_hash.to_hex(), dropped }),
        )
            .into_response()),
        Err(SubmitError::Invalid { detail, rule }) => {
            Err(Problem::new(Kind::InvalidEnvelope, detail).with_rule(rule))
        }
        Err(SubmitError::Refused { detail, rule }) => {
            Err(Problem::new(Kind::Refused, detail).with_rule(rule))
        }
        Err(SubmitError::MempoolFull(detail)) => Err(Problem::new(Kind::MempoolFull, detail)),
        Err(SubmitError::Store(detail)) => Err(Problem::new(Kind::Store, detail)),
    }
}
