//! Answer every failure as an RFC 9457 problem (`application/problem+json`) whose `type`
//! names the failure, one stable URI per kind.
//!
//! # Terminology
//!
//! - *Kind*: one [`Kind`] per way a request can fail. Its `type` URI is
//!   `https://vouch.example/problems/<slug>`; the slug, the status and the title never change
//!   for a kind, so a client may branch on `type` alone. The list is closed: [`Kind::ALL`],
//!   the OpenAPI document and `docs/API.md` name the same set (a test compares them).
//! - *Rule*: when a rule of `docs/PROTOCOL.md` refused the input, the problem also carries
//!   `"rule": "R-…"`. Rule ids are many and grow with the protocol, so they travel in this
//!   extension member rather than in `type` (STYLE.md §11 asks for the rule id; a client gets
//!   both: a closed set of types to branch on, and the rule to show).
//!
//! Bad input always gets a 4xx kind. The 5xx kinds are for the server's own state (the store
//! cannot be read, the mempool is full, a self-audit is already running, a task panicked).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Prefix of every problem `type`.
pub const TYPE_PREFIX: &str = "https://vouch.example/problems/";

/// Every way a request can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A query or path parameter is malformed, unknown, repeated or out of range.
    InvalidParameter,
    /// A pagination cursor that this API did not issue.
    InvalidCursor,
    /// The body is not a valid envelope of this network.
    InvalidEnvelope,
    /// The body is larger than the endpoint accepts.
    BodyTooLarge,
    /// The body's `Content-Type` is not one the endpoint accepts.
    UnsupportedMediaType,
    /// No `Authorization: Bearer` token, or one that is unknown or revoked.
    Unauthorized,
    /// The token is valid but its role may not do this.
    Forbidden,
    /// No such route.
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// No cosigned checkpoint at that size (or none yet).
    NoCheckpoint,
    /// No block at that height.
    NoBlock,
    /// No leaf with that hash.
    NoLeaf,
    /// No confirmation with that id visible to this token.
    NoConfirmation,
    /// A tree size beyond the log, or a leaf outside the tree asked for.
    BeyondTree,
    /// The confirmation's documents are not all covered by a cosigned checkpoint yet.
    NotCheckpointed,
    /// The state machine refuses the document.
    Refused,
    /// A draft's body is not a document the node can compose (every field problem is listed).
    InvalidDraft,
    /// The token is not bound to a signer whose keys the node holds, or not to the one a
    /// draft needs.
    NoSigner,
    /// No draft with that id for this token's org (never made, signed already, or expired).
    NoDraft,
    /// The hash sent with a signature is not the hash of the draft's signing bytes.
    DraftMismatch,
    /// The node holds no keystore (no passphrase given): custodial signing is off.
    KeystoreOff,
    /// The mempool is full.
    MempoolFull,
    /// The node's store cannot be read, or cannot serve this now.
    Store,
    /// A self-audit is already running.
    Busy,
    /// A bug: a task of the server failed. Never caused by input.
    Internal,
}

impl Kind {
    /// Every kind, in the order `docs/API.md` lists them.
    pub const ALL: [Kind; 25] = [
        Kind::InvalidParameter,
        Kind::InvalidCursor,
        Kind::InvalidEnvelope,
        Kind::BodyTooLarge,
        Kind::UnsupportedMediaType,
        Kind::Unauthorized,
        Kind::Forbidden,
        Kind::NotFound,
        Kind::MethodNotAllowed,
        Kind::NoCheckpoint,
        Kind::NoBlock,
        Kind::NoLeaf,
        Kind::NoConfirmation,
        Kind::BeyondTree,
        Kind::NotCheckpointed,
        Kind::Refused,
        Kind::InvalidDraft,
        Kind::NoSigner,
        Kind::NoDraft,
        Kind::DraftMismatch,
        Kind::KeystoreOff,
        Kind::MempoolFull,
        Kind::Store,
        Kind::Busy,
        Kind::Internal,
    ];

    /// The last segment of the `type` URI.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::InvalidParameter => "invalid-parameter",
            Kind::InvalidCursor => "invalid-cursor",
            Kind::InvalidEnvelope => "invalid-envelope",
            Kind::BodyTooLarge => "body-too-large",
            Kind::UnsupportedMediaType => "unsupported-media-type",
            Kind::Unauthorized => "unauthorized",
            Kind::Forbidden => "forbidden",
            Kind::NotFound => "not-found",
            Kind::MethodNotAllowed => "method-not-allowed",
            Kind::NoCheckpoint => "no-checkpoint",
            Kind::NoBlock => "no-block",
            Kind::NoLeaf => "no-leaf",
            Kind::NoConfirmation => "no-confirmation",
            Kind::BeyondTree => "beyond-tree",
            Kind::NotCheckpointed => "not-checkpointed",
            Kind::Refused => "refused",
            Kind::InvalidDraft => "invalid-draft",
            Kind::NoSigner => "no-signer",
            Kind::NoDraft => "no-draft",
            Kind::DraftMismatch => "draft-mismatch",
            Kind::KeystoreOff => "keystore-off",
            Kind::MempoolFull => "mempool-full",
            Kind::Store => "store",
            Kind::Busy => "busy",
            Kind::Internal => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            Kind::InvalidParameter | Kind::InvalidCursor | Kind::InvalidEnvelope | Kind::InvalidDraft => {
                StatusCode::BAD_REQUEST
            }
            Kind::NoSigner => StatusCode::FORBIDDEN,
            Kind::NoDraft => StatusCode::NOT_FOUND,
            Kind::DraftMismatch => StatusCode::CONFLICT,
            Kind::KeystoreOff => StatusCode::FORBIDDEN,
            Kind::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound
            | Kind::NoCheckpoint
            | Kind::NoBlock
            | Kind::NoLeaf
            | Kind::NoConfirmation
            | Kind::BeyondTree => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::NotCheckpointed => StatusCode::CONFLICT,
            Kind::Refused => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::MempoolFull | Kind::Store | Kind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The fixed, short title.
    pub fn title(self) -> &'static str {
        match self {
            Kind::InvalidParameter => "A parameter is not valid",
            Kind::InvalidCursor => "The cursor is not valid",
            Kind::InvalidEnvelope => "The envelope is not valid",
            Kind::BodyTooLarge => "The body is too large",
            Kind::UnsupportedMediaType => "The content type is not accepted",
            Kind::Unauthorized => "A valid API token is required",
            Kind::Forbidden => "This token may not do that",
            Kind::NotFound => "No such route",
            Kind::MethodNotAllowed => "Method not allowed",
            Kind::NoCheckpoint => "No such checkpoint",
            Kind::NoBlock => "No such block",
            Kind::NoLeaf => "No such leaf",
            Kind::NoConfirmation => "No such confirmation",
            Kind::BeyondTree => "Beyond the tree",
            Kind::NotCheckpointed => "Not covered by a checkpoint yet",
            Kind::Refused => "The ledger refuses this document",
            Kind::InvalidDraft => "The draft is not valid",
            Kind::NoSigner => "No signer for this token",
            Kind::NoDraft => "No such draft",
            Kind::DraftMismatch => "The hash does not match the draft",
            Kind::KeystoreOff => "Custodial signing is off",
            Kind::MempoolFull => "The mempool is full",
            Kind::Store => "The store cannot serve this",
            Kind::Busy => "Busy",
            Kind::Internal => "Internal error",
        }
    }

    /// The full `type` URI.
    pub fn type_uri(self) -> String {
        format!("{TYPE_PREFIX}{}", self.slug())
    }
}

/// An RFC 9457 problem: what failed, in terms a client can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The kind (type, status, title).
    pub kind: Kind,
    /// What exactly was wrong, with got/expected where it helps.
    pub detail: String,
    /// The protocol rule that refused the input, if one did.
    pub rule: Option<String>,
    /// Every field problem, when the input had several (a batch's rows).
    pub errors: Vec<FieldProblem>,
}

/// One field's problem in an input with many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The row (from 1), for a batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The field, dotted (`contents.items.deposits`).
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

impl Problem {
    /// A problem of `kind` with `detail`.
    pub fn new(kind: Kind, detail: impl Into<String>) -> Problem {
        Problem { kind, detail: detail.into(), rule: None, errors: Vec::new() }
    }

    /// The same problem naming the rule that refused the input.
    pub fn with_rule(mut self, rule: Option<String>) -> Problem {
        self.rule = rule;
        self
    }

    /// The same problem listing every field problem.
    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Problem {
        self.errors = errors;
        self
    }

    /// The JSON body.
    pub fn body(&self) -> ProblemBody {
        ProblemBody {
            type_: self.kind.type_uri(),
            title: self.kind.title().to_string(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            rule: self.rule.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.kind.status().as_u16(), self.kind.slug(), self.detail)
    }
}

/// The body of a problem response (RFC 9457 §3.1 members, plus `rule`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// `https://vouch.example/problems/<slug>`: one URI per kind of failure (see `docs/API.md`).
    #[serde(rename = "type")]
    #[schema(rename = "type", example = "https://vouch.example/problems/invalid-parameter")]
    pub type_: String,
    /// A fixed title for the type.
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// What was wrong with this request.
    pub detail: String,
    /// The `docs/PROTOCOL.md` rule that refused the input, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "R-RESP-3")]
    pub rule: Option<String>,
    /// `invalid-draft`: every field problem found (for a batch, every row's), so that all
    /// can be fixed at once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        if status.is_server_error() {
            tracing::warn!(problem = self.kind.slug(), detail = %self.detail, "API request failed");
        }
        // Serializing a struct of strings and integers cannot fail; fall back to a fixed
        // body rather than unwrap.
        let body = serde_json::to_vec(&self.body()).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (status, body).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        match self.kind {
            Kind::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"vouch\""));
            }
            Kind::Busy | Kind::MempoolFull => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        resp
    }
}

/// The rule id a refusal's text starts with (`R-RESP-4: ...` gives `R-RESP-4`), if any.
pub fn rule_of(text: &str) -> Option<String> {
    let head = text.split(':').next()?;
    head.starts_with("R-").then(|| head.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_types_are_uris() {
        let mut slugs: Vec<_> = Kind::ALL.iter().map(|k| k.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), Kind::ALL.len());
        assert!(Kind::ALL.iter().all(|k| k.type_uri().starts_with("https://")));
    }

    #[test]
    fn only_internal_is_500() {
        for k in Kind::ALL {
            assert_eq!(k.status() == StatusCode::INTERNAL_SERVER_ERROR, k == Kind::Internal, "{k:?}");
        }
    }

    #[test]
    fn rule_is_read_from_the_refusal() {
        assert_eq!(rule_of("R-RESP-4: late").as_deref(), Some("R-RESP-4"));
        assert_eq!(rule_of("mempool full"), None);
    }
}
