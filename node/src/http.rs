//! Own the node's HTTP server: the API of the `vouch-api` crate (served over this node by
//! the `api` module) merged with the node-internal routes kept here: cosignatures from
//! other validators, the status, raw blocks, misbehavior evidence, health and metrics.
//! Errors are RFC 9457 problem details, as in the API.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, info, warn};

use crate::config::Config;
use crate::shared::Shared;

/// Header marking a document forwarded by another node (not forwarded again).
pub(crate) const FORWARDED: &str = vouch_api::entries::FORWARDED;
/// Largest request body accepted by the node-internal routes (a cosigned note is far
/// smaller; the bound is the one the node always had).
const BODY_MAX: usize = vouch_core::limits::ENVELOPE_BYTES_MAX + 1024;

#[derive(Clone)]
struct Ctx {
    shared: Arc<Shared>,
}

/// The client nodes use to talk to each other over HTTP.
pub use peer_client::Client as PeerClient;

/// Send `body` to `path` on every peer, in the background. Best effort.
pub fn broadcast(shared: &Shared, path: &str, body: Bytes) {
    for peer in shared.http_peers.iter() {
        let url = format!("{}{path}", peer.trim_end_matches('/'));
        let client = shared.client.clone();
        let body = body.clone();
        tokio::spawn(async move {
            if let Err(e) = client.post(&url, FORWARDED, body).await {
                debug!(%url, error = %e, "sending to a peer failed");
            }
        });
    }
}

/// Serve until the task is aborted.
pub async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>, cfg: Config) {
    let ledger =
        Arc::new(crate::api::NodeLedger::new(shared.clone(), Duration::from_millis(cfg.http.commit_wait_ms)));
    let tokens = Arc::new(crate::tokens::TokenFile::in_data_dir(&cfg.data_dir));
    // Build the API's view of the ledger now, rather than on the first request.
    let warm = ledger.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = vouch_api::Ledger::view(&*warm) {
            warn!(error = %e, "cannot index the ledger for the API; API reads will fail until it can");
        }
    });
    let ctx = Ctx { shared };
    let node = Router::new()
        .route("/v1/cosignatures", post(cosignature))
        .route("/v1/status", get(status))
        .route("/v1/evidence", get(evidence))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_MAX))
        .route(
            crate::forward::PATH,
            post(peer_entries).layer(axum::extract::DefaultBodyLimit::max(crate::forward::BATCH_BODY_MAX)),
        )
        .layer(axum::middleware::from_fn(vouch_api::named_refusals))
        .with_state(ctx);
    // Opening the keystore derives its key (Argon2id): off the async threads.
    let keystore_cfg = cfg.clone();
    let custody = tokio::task::spawn_blocking(move || keystore(&keystore_cfg)).await.unwrap_or_else(|e| {
        warn!(error = %e, "opening the keystore failed; custodial signing is off");
        None
    });
    let console = cfg.console.options();
    let app = node.merge(vouch_api::router_with_console(ledger, tokens, custody, console));
    if let Err(e) = axum::serve(listener, app).await {
        warn!(error = %e, "HTTP server stopped");
    }
}

/// The keystore, when the operator gave a passphrase; otherwise custodial signing is off
/// (and the draft endpoints say so). A passphrase that does not open an existing keystore
/// is logged now and answered as a `store` problem at each draft.
fn keystore(cfg: &Config) -> Option<Arc<dyn vouch_api::Keystore>> {
    use crate::keystore::{Keystore, passphrase};
    let passphrase = match passphrase(cfg.keystore_passphrase_file.as_deref()) {
        Ok(Some(p)) => p,
        Ok(None) => {
            info!("no keystore passphrase: custodial signing (POST /v1/drafts) is off");
            return None;
        }
        Err(e) => {
            warn!(error = %e, "custodial signing is off");
            return None;
        }
    };
    match Keystore::in_data_dir(&cfg.data_dir, passphrase) {
        Ok(ks) => {
            match ks.list() {
                Ok(held) => {
                    info!(keys = held.len(), path = %ks.path().display(), "keystore open: custodial signing is on")
                }
                Err(e) => warn!(error = %e, "the keystore does not open; drafts will fail until it does"),
            }
            Some(Arc::new(ks))
        }
        Err(e) => {
            warn!(error = %e, "custodial signing is off");
            None
        }
    }
}

/// An RFC 9457 problem.
fn problem(status: StatusCode, slug: &str, title: &str, detail: String, rule: Option<String>) -> Response {
    let mut body = json!({
        "type": format!("https://vouch.example/problems/{slug}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(rule) = rule
        && let Some(o) = body.as_object_mut()
    {
        o.insert("rule".into(), json!(rule));
    }
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    resp
}

async fn cosignature(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let Ok(note) = std::str::from_utf8(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid-note",
            "Not a signed note",
            "the body is not UTF-8".into(),
            None,
        );
    };
    match crate::cosign::gather(&ctx.shared, note) {
        Ok(crate::cosign::Gathered::Counted(_)) => (StatusCode::OK, "counted\n").into_response(),
        Ok(crate::cosign::Gathered::Ahead) => {
            (StatusCode::ACCEPTED, "kept until this node reaches that size\n").into_response()
        }
        Ok(crate::cosign::Gathered::Conflict { .. }) => problem(
            StatusCode::CONFLICT,
            "conflicting-checkpoint",
            "The cosignature conflicts with this node's log",
            "the cosigned root differs from this node's root at that size; kept as evidence".into(),
            None,
        ),
        Err(e) => problem(
            StatusCode::BAD_REQUEST,
            "invalid-cosignature",
            "The cosignature was refused",
            e.to_string(),
            None,
        ),
    }
}

/// A batch of documents forwarded by another node (`forward`): each is admitted as a
/// submission would be, and none is forwarded again. The answer counts what became of
/// them; the sender only logs a failed request.
async fn peer_entries(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let shared = ctx.shared.clone();
    // Decoding verifies every signature: off the async threads.
    match tokio::task::spawn_blocking(move || crate::api::admit_batch(&shared, &body)).await {
        Ok(tally) => axum::Json(tally).into_response(),
        Err(e) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The batch could not be admitted",
            e.to_string(),
            None,
        ),
    }
}

async fn status(State(ctx): State<Ctx>) -> Response {
    let s = ctx.shared.snapshot();
    let g = &ctx.shared.genesis;
    let validators: Vec<_> = g
        .validators()
        .into_iter()
        .map(|v| json!({"name": v.name, "key": v.key.to_b64(), "power": v.power}))
        .collect();
    axum::Json(json!({
        "moniker": ctx.shared.moniker,
        "network": g.network.to_string(),
        "genesis_hash": ctx.shared.genesis_hash.to_hex(),
        "node_key": ctx.shared.node_key,
        "validator": ctx.shared.validator,
        "height": s.height,
        "round": s.round,
        "tree_size": s.tree_size,
        "root": s.root,
        "peers": s.peers.len(),
        "peer_ids": s.peers,
        "sync": s.sync,
        "network_height": s.network_height,
        "mempool": ctx.shared.mempool.len(),
        "evidence": s.evidence,
        "validators": validators,
    }))
    .into_response()
}

async fn evidence(State(ctx): State<Ctx>) -> Response {
    match ctx.shared.store.evidence() {
        Ok(list) => axum::Json(json!(
            list.iter()
                .map(|e| {
                    // Records are JSON objects; an unreadable one is shown as its text.
                    let body = serde_json::from_str::<serde_json::Value>(&e.json)
                        .unwrap_or_else(|_| serde_json::Value::String(e.json.clone()));
                    json!({"seq": e.seq, "height": e.height, "kind": e.kind, "evidence": body})
                })
                .collect::<Vec<_>>()
        ))
        .into_response(),
        Err(e) => {
            problem(StatusCode::SERVICE_UNAVAILABLE, "store", "The store cannot be read", e.to_string(), None)
        }
    }
}

async fn metrics() -> Response {
    let mut r = crate::metrics::Metrics::export().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

/// A tiny HTTP/1.1 client for forwarding documents to peer nodes, on hyper (already a
/// dependency through axum) rather than a full client crate.
pub mod peer_client {
    use axum::body::Bytes;
    use http_body_util::Full;
    use hyper_util::client::legacy::Client as HyperClient;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;

    #[derive(Clone)]
    pub struct Client(HyperClient<HttpConnector, Full<Bytes>>);

    impl Client {
        #[allow(clippy::new_without_default)]
        pub fn new() -> Client {
            Client(HyperClient::builder(TokioExecutor::new()).build_http())
        }

        pub async fn post(&self, url: &str, marker: &'static str, body: Bytes) -> Result<(), String> {
            let req = hyper::Request::post(url)
                .header("content-type", "application/json")
                .header(marker, "1")
                .body(Full::new(body))
                .map_err(|e| e.to_string())?;
            let resp = tokio::time::timeout(std::time::Duration::from_secs(5), self.0.request(req))
                .await
                .map_err(|_| "timed out".to_string())?
                .map_err(|e| e.to_string())?;
            if resp.status().is_success() || resp.status().as_u16() == 422 {
                Ok(())
            } else {
                Err(format!("status {}", resp.status()))
            }
        }
    }
}
