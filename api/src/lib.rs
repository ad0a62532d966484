//! Serve a Vouch node's documented HTTP API: integrity proofs for anyone, confirmations
//! for the parties they concern, and the OpenAPI 3.1 document that describes both.
//!
//! # Design
//!
//! The crate sits above the node and depends on a trait, not on it: [`Ledger`] is what a
//! node must answer (blocks, leaves, Merkle nodes, checkpoints, the committed [`View`],
//! submission, self-audit) and [`Authenticator`] looks tokens up. `vouchd` implements both
//! over its store, mempool and token file and merges [`router`] with its node-internal
//! routes; tests implement them in memory from `vouch_core::testkit`. Every policy lives
//! here, so that every implementation answers alike:
//!
//! - [`problem`]: every failure is an RFC 9457 problem with one stable `type` per kind;
//!   bad input is always a 4xx, never a 500;
//! - [`extract`]: queries (`deny_unknown_fields`), path parameters, bearer tokens and
//!   bodies (content type, size) are read into types or refused as problems;
//! - [`auth`]: tokens (only their SHA-256 at rest), principals and who sees what;
//! - [`integrity`]: genesis, checkpoints, proofs, headers with no credentials; the export (whole blocks) for regulators and operators;
//! - [`confirmations`]: lists, histories and evidence bundles; a token, and a 404 for
//!   what the token may not see;
//! - [`entries`]: `POST /v1/entries`; the envelope's signatures are its authorization;
//! - [`drafts`]: custodial signing in two steps (`POST /v1/drafts`, then `…/sign` with the
//!   hash shown), maker and checker, and batches ([`batch`]); documents composed by
//!   [`prepare`] with the keys a [`Keystore`] holds for the token's bound signer
//!   ([`custody`]);
//! - [`audit`]: `GET /v1/self-audit`;
//! - [`worklist`]: inboxes, reminders and control sheets: what waits on whom, as of a
//!   ledger date;
//! - [`lookup`]: `POST /v1/lookup`: is this document on the ledger, and who signed it;
//! - [`oversight`]: per-bank and per-audit-firm statistics, for regulators;
//! - [`banks`]: each bank's published rules (forms, scopes, fee, contact), for every member;
//! - [`view`]: the committed ledger indexed for reading, built with the same state
//!   machine validators run;
//! - [`openapi`]: the OpenAPI document, from the handlers' annotations, and Swagger UI;
//! - [`console`]: the web console (HTML pages at `/`, not under `/v1`), over the same
//!   functions as the handlers above; its routes are not API routes and are not in
//!   [`routes`].
//!
//! The route table ([`routes`]) is separate from the OpenAPI annotations on purpose: a
//! test compares the two, so a route cannot be served undocumented or documented unserved.
//!
//! Reads go through `spawn_blocking`, because a node's store blocks on disk I/O. What it
//! costs: the node keeps a [`View`] in memory (its state plus a record per document), and
//! listing scans the confirmations in ledger order, filtering each (linear in their number).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod audit;
pub mod auth;
pub mod banks;
pub mod batch;
pub mod confirmations;
pub mod console;
pub mod custody;
pub mod drafts;
pub mod entries;
pub mod extract;
pub mod integrity;
pub mod limits;
pub mod lookup;
pub mod openapi;
pub mod oversight;
pub mod prepare;
pub mod problem;
pub mod service;
pub mod view;
pub mod worklist;

pub use auth::{Authenticator, Principal, Role, TokenRecord};
pub use custody::{HeldKeys, Holder, Keystore, KeystoreError};
pub use problem::{Kind, Problem};
pub use service::{Alert, AuditReport, Health, Ledger, LedgerError, SubmitError, SubmitOptions, Submitted};
pub use view::View;

use axum::Router;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};
use std::sync::Arc;

/// What every handler reads.
#[derive(Clone)]
pub struct Ctx {
    ledger: Arc<dyn Ledger>,
    auth: Arc<dyn Authenticator>,
    audits: Arc<tokio::sync::Semaphore>,
    custody: Option<Arc<dyn Keystore>>,
    drafts: Arc<drafts::Drafts>,
}

/// The API's routes: method, path (axum syntax), handler. The one table the router is
/// built from.
fn table() -> Vec<(Method, &'static str, MethodRouter<Ctx>)> {
    vec![
        (Method::GET, "/v1/genesis", get(integrity::genesis)),
        (Method::GET, "/v1/checkpoint", get(integrity::checkpoint)),
        (Method::GET, "/v1/checkpoints/{size}", get(integrity::checkpoint_at)),
        (Method::GET, "/v1/proofs/inclusion", get(integrity::inclusion)),
        (Method::GET, "/v1/proofs/consistency", get(integrity::consistency)),
        (Method::GET, "/v1/headers/{height}", get(integrity::header_at)),
        (Method::GET, "/v1/export", get(integrity::export)),
        (Method::POST, "/v1/entries", post(entries::submit)),
        (Method::GET, "/v1/confirmations", get(confirmations::list)),
        (Method::GET, "/v1/confirmations/{id}", get(confirmations::detail)),
        (Method::GET, "/v1/confirmations/{id}/bundle", get(confirmations::bundle)),
        (Method::GET, "/v1/self-audit", get(audit::self_audit)),
        (Method::GET, "/v1/inbox", get(worklist::inbox)),
        (Method::GET, "/v1/reminders", get(worklist::reminders)),
        (Method::GET, "/v1/engagements/control-sheet", get(worklist::control_sheet)),
        (Method::GET, "/v1/oversight/banks", get(oversight::banks)),
        (Method::GET, "/v1/oversight/audit-firms", get(oversight::audit_firms)),
        (Method::POST, "/v1/lookup", post(lookup::lookup)),
        (Method::GET, "/v1/banks", get(banks::list)),
        (Method::GET, "/v1/banks/{org}", get(banks::one)),
        (Method::POST, "/v1/drafts", post(drafts::create)),
        (Method::GET, "/v1/drafts/{id}", get(drafts::show)),
        (Method::POST, "/v1/drafts/{id}/sign", post(drafts::sign)),
        (Method::POST, "/v1/drafts/batch", post(drafts::create_batch)),
        (Method::POST, "/v1/drafts/batch/{id}/sign", post(drafts::sign_batch)),
    ]
}

/// The API routes [`router`] serves, method and path, in the OpenAPI path syntax (which is
/// axum's for these). The OpenAPI document itself (`/openapi.json`) and Swagger UI
/// (`/docs`) are served beside them and not listed.
pub fn routes() -> Vec<(Method, &'static str)> {
    table().into_iter().map(|(m, p, _)| (m, p)).collect()
}

/// The API as an axum router, with the OpenAPI document at `/openapi.json` and Swagger UI
/// at `/docs`. Unknown routes and methods answer problems too. Merge it with node-internal
/// routes that set no fallback of their own.
pub fn router(ledger: Arc<dyn Ledger>, auth: Arc<dyn Authenticator>) -> Router {
    router_with_custody(ledger, auth, None)
}

/// As [`router`], signing drafts with the keys `custody` holds (`None`: custodial signing
/// is off and the draft endpoints answer `keystore-off`).
pub fn router_with_custody(
    ledger: Arc<dyn Ledger>,
    auth: Arc<dyn Authenticator>,
    custody: Option<Arc<dyn Keystore>>,
) -> Router {
    router_with_console(ledger, auth, custody, console::ConsoleOptions::default())
}

/// As [`router_with_custody`], with the web console served as `options` say.
pub fn router_with_console(
    ledger: Arc<dyn Ledger>,
    auth: Arc<dyn Authenticator>,
    custody: Option<Arc<dyn Keystore>>,
    options: console::ConsoleOptions,
) -> Router {
    let ctx = Ctx {
        ledger,
        auth,
        audits: Arc::new(tokio::sync::Semaphore::new(limits::SELF_AUDITS_CONCURRENT_MAX)),
        custody,
        drafts: Arc::new(drafts::Drafts::default()),
    };
    let mut api = Router::new();
    for (_, path, handler) in table() {
        api = api.route(path, handler);
    }
    api.route(openapi::DOCUMENT_PATH, get(openapi::document))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(ctx.clone())
        .merge(openapi::swagger_ui())
        .merge(console::router(ctx, options))
        .layer(axum::middleware::from_fn(named_refusals))
}

/// Middleware: a refusal axum answers itself, before any handler of ours runs, becomes a
/// named one. A body cut short ("Failed to buffer the request body"), a method no route
/// serves: axum answers those in plain text or with an empty body. Under the API's paths
/// they become problems (`invalid-parameter` for a body that cannot be read, as
/// `docs/API.md` says), elsewhere the console's page. Found by the bad-input burst.
/// `vouchd` layers it over its own routes too.
pub async fn named_refusals(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse as _;
    let path = request.uri().path().to_string();
    // Only a console refusal needs the request's headers (for its language): read them
    // now, since the request is gone once handled, but copy nothing.
    let lang = console::owns_path(&path).then(|| console::language(request.headers()));
    let response = next.run(request).await;
    let status = response.status();
    let plain =
        response.headers().get(header::CONTENT_TYPE).is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 2048).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let detail = match (text.trim(), status.canonical_reason()) {
        ("", Some(reason)) => reason.to_string(),
        ("", None) => format!("refused with status {}", status.as_u16()),
        (said, _) => said.to_string(),
    };
    if let Some(lang) = lang {
        return console::refusal_page(lang, &path, status, &detail);
    }
    let kind = match status {
        StatusCode::NOT_FOUND => problem::Kind::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => problem::Kind::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => problem::Kind::BodyTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => problem::Kind::UnsupportedMediaType,
        StatusCode::UNAUTHORIZED => problem::Kind::Unauthorized,
        StatusCode::FORBIDDEN => problem::Kind::Forbidden,
        s if s.is_server_error() => problem::Kind::Internal,
        _ => problem::Kind::InvalidParameter,
    };
    Problem::new(kind, format!("{} {}: {detail}", status.as_u16(), path)).into_response()
}

/// No route: a problem under the API's paths, the console's "not found" page elsewhere.
async fn not_found(headers: axum::http::HeaderMap, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if console::owns_path(uri.path()) {
        return console::not_found(&headers, uri.path());
    }
    Problem::new(problem::Kind::NotFound, format!("no route {}", uri.path())).into_response()
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> Problem {
    Problem::new(problem::Kind::MethodNotAllowed, format!("{method} is not served at {}", uri.path()))
}

/// Run `f` on the blocking pool; a panic there is a 500 `internal`, logged.
pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, Problem> + Send + 'static,
) -> Result<R, Problem> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(Problem::new(problem::Kind::Internal, format!("a request task failed: {e}"))),
    }
}

/// A ledger read that failed: 503 `store`.
pub(crate) fn store(e: LedgerError) -> Problem {
    Problem::new(problem::Kind::Store, e.to_string())
}
