//! The API against an in-memory ledger built from `vouch_core::testkit`: no processes, no
//! sockets; each request goes through the router as a `tower::Service`.

mod bad_input;
mod banks;
mod confirmations;
mod console;
mod drafts;
mod fake;
mod integrity;
mod lookup;
mod openapi;
mod oversight;
mod worklists;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use fake::{Facts, Fake, Tokens};
use http_body_util::BodyExt as _;
use std::sync::Arc;
use tower::ServiceExt as _;

/// A router over a fresh fake, with its facts and tokens.
pub struct Harness {
    pub router: axum::Router,
    pub facts: Facts,
    pub tokens: Tokens,
    pub genesis_hash: vouch_core::encoding::Hash,
    pub fake: Arc<Fake>,
}

impl Harness {
    #[allow(clippy::new_without_default)] // built per test, never defaulted
    pub fn new() -> Harness {
        Harness::with(|f| f)
    }

    /// A harness whose fake is changed by `edit` before it is served.
    pub fn with(edit: impl FnOnce(Fake) -> Fake) -> Harness {
        Harness::build(None, edit)
    }

    pub fn build(checkpoints: Option<Vec<u64>>, edit: impl FnOnce(Fake) -> Fake) -> Harness {
        let (fake, facts) = Fake::build(checkpoints);
        Harness::serve(edit(fake), facts)
    }

    /// A harness whose ledger is the fake's plus what `extend` adds.
    pub fn extended(extend: impl FnOnce(&mut vouch_core::testkit::Ledger, &fake::BankB)) -> Harness {
        let (fake, facts) = Fake::build_extended(None, extend);
        Harness::serve(fake, facts)
    }

    fn serve(fake: Fake, facts: Facts) -> Harness {
        let fake = Arc::new(fake);
        let tokens = Tokens::issue();
        let router = vouch_api::router(fake.clone(), Arc::new(tokens.list.clone()));
        Harness { router, genesis_hash: fake.genesis_hash(), facts, tokens, fake }
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> Reply {
        self.send(Method::GET, uri, token, None, Body::empty()).await
    }

    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Body,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let req = req.body(body).expect("request");
        Reply::read(self.router.clone().oneshot(req).await.expect("infallible")).await
    }
}

/// An answer, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    async fn read(resp: axum::response::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.expect("body").to_bytes().to_vec();
        Reply { status, headers, body }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Assert this is a problem of `status` and `slug`; returns its body.
    #[track_caller]
    pub fn problem(&self, status: u16, slug: &str) -> serde_json::Value {
        assert_eq!(self.status.as_u16(), status, "status; body: {}", self.text());
        assert_eq!(self.content_type(), "application/problem+json", "body: {}", self.text());
        let body = self.json();
        assert_eq!(body["type"], format!("https://vouch.example/problems/{slug}"), "body: {body}");
        assert_eq!(body["status"], status, "body: {body}");
        assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "body: {body}");
        assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()), "body: {body}");
        body
    }

    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.text());
        self
    }
}

/// Parse hex hashes.
pub fn hashes(values: &serde_json::Value) -> Vec<vouch_core::encoding::Hash> {
    values
        .as_array()
        .expect("array")
        .iter()
        .map(|v| vouch_core::encoding::Hash::from_hex(v.as_str().expect("string")).expect("hash"))
        .collect()
}
