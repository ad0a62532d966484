//! Bad input of every kind gets a 4xx problem, never a 500 and never a plain-text answer.

use crate::Harness;
use axum::body::Body;
use axum::http::{Method, header};
use vouch_api::limits::ENTRY_BODY_BYTES_MAX;

async fn post(h: &Harness, content_type: Option<&str>, body: impl Into<Body>) -> crate::Reply {
    h.send(Method::POST, "/v1/entries", None, content_type, body.into()).await
}

#[tokio::test]
async fn bad_bodies_are_problems() {
    let h = Harness::new();
    let json = Some("application/json");
    post(&h, json, "{not json").await.problem(400, "invalid-envelope");
    post(&h, json, "").await.problem(400, "invalid-envelope");
    post(&h, json, "[]").await.problem(400, "invalid-envelope");
    post(&h, json, vec![0xff, 0xfe, 0x00]).await.problem(400, "invalid-envelope");
    // A committed envelope with one more member: unknown fields are refused.
    let env = &h.facts.confirmation.request;
    let mut value: serde_json::Value = serde_json::from_slice(&env.bytes).expect("json");
    value.as_object_mut().expect("object").insert("extra".into(), serde_json::json!(1));
    let bytes = vouch_core::canonical::to_canonical(&value);
    post(&h, json, bytes).await.problem(400, "invalid-envelope");
    // Not canonical (whitespace): refused, as the node always did.
    let spaced =
        serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(&env.bytes).expect("json"))
            .expect("pretty");
    post(&h, json, spaced).await.problem(400, "invalid-envelope");
}

#[tokio::test]
async fn wrong_or_missing_content_type_is_415() {
    let h = Harness::new();
    let bytes = h.facts.confirmation.request.bytes.clone();
    for ct in [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/jsonx"), None]
    {
        post(&h, ct, bytes.clone()).await.problem(415, "unsupported-media-type");
    }
}

#[tokio::test]
async fn huge_bodies_are_413() {
    let h = Harness::new();
    let json = Some("application/json");
    let huge = vec![b' '; ENTRY_BODY_BYTES_MAX + 1];
    post(&h, json, huge.clone()).await.problem(413, "body-too-large");
    // Without a Content-Length (a streamed body), the limit holds while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        huge.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let stream = Body::from_stream(futures_util::stream::iter(chunks));
    post(&h, json, stream).await.problem(413, "body-too-large");
    // A lying Content-Length larger than the limit is refused before reading.
    let req = axum::http::Request::post("/v1/entries")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "999999999999")
        .body(Body::from("{}"))
        .expect("request");
    use tower::ServiceExt as _;
    let resp = h.router.clone().oneshot(req).await.expect("infallible");
    assert_eq!(resp.status().as_u16(), 413);
    // Exactly at the limit is read (and then refused as an envelope, not as a size).
    post(&h, json, vec![b' '; ENTRY_BODY_BYTES_MAX]).await.problem(400, "invalid-envelope");
}

#[tokio::test]
async fn bad_pagination_and_filters_are_400() {
    let h = Harness::new();
    let t = Some(h.tokens.regulator.as_str());
    for q in [
        "limit=0",
        "limit=201",
        "limit=10000",
        "limit=-1",
        "limit=abc",
        "limit=99999999999999999999",
        "limit=1&limit=2",
        "status=bogus",
        "status=Accepted",
        "as_of=2025-13-45",
        "as_of=2025-02-30",
        "as_of=1969-12-31",
        "as_of=10000-01-01",
        "as_of=yesterday",
        "overdue=maybe",
        "party=",
        "party=Bank%20A",
        "unknown=1",
        "limit=5&bogus=",
    ] {
        h.get(&format!("/v1/confirmations?{q}"), t).await.problem(400, "invalid-parameter");
    }
    for cursor in ["garbage", "c1.", "c1.%21%21", "c2.AAAAAAAAAAA", "c1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]
    {
        h.get(&format!("/v1/confirmations?cursor={cursor}"), t).await.problem(400, "invalid-cursor");
    }
    let long = "a".repeat(3000);
    h.get(&format!("/v1/confirmations?party={long}"), t).await.problem(400, "invalid-parameter");
}

#[tokio::test]
async fn unknown_parameters_are_refused_everywhere() {
    let h = Harness::new();
    let id = h.facts.confirmation.request.id;
    let lh = vouch_core::merkle::leaf_hash(&h.facts.confirmation.request.bytes);
    let t = Some(h.tokens.regulator.as_str());
    for uri in [
        "/v1/genesis?x=1".to_string(),
        "/v1/checkpoint?size=3".to_string(),
        "/v1/checkpoints/3?x=1".to_string(),
        format!("/v1/proofs/inclusion?leaf_hash={lh}&index=0"),
        format!("/v1/proofs/inclusion?leaf_hash={lh}&tree_size=1&tree_size=2"),
        "/v1/proofs/consistency?from=1&to=2&x=1".to_string(),
        "/v1/headers/1?full=true".to_string(),
        "/v1/export?height=1".to_string(),
        format!("/v1/confirmations/{id}?x=1"),
        format!("/v1/confirmations/{id}/bundle?openings=true"),
        "/v1/self-audit?deep=true".to_string(),
    ] {
        h.get(&uri, t).await.problem(400, "invalid-parameter");
    }
    h.send(Method::POST, "/v1/entries?wait=sometimes", None, Some("application/json"), Body::from("{}"))
        .await
        .problem(400, "invalid-parameter");
    h.send(Method::POST, "/v1/entries?sync=1", None, Some("application/json"), Body::from("{}"))
        .await
        .problem(400, "invalid-parameter");
}

#[tokio::test]
async fn bad_paths_and_parameters_are_400() {
    let h = Harness::new();
    let t = Some(h.tokens.regulator.as_str());
    for uri in [
        "/v1/headers/abc",
        "/v1/headers/18446744073709551616",
        "/v1/checkpoints/-3",
        "/v1/checkpoints/1.5",
        "/v1/proofs/inclusion",
        "/v1/proofs/inclusion?leaf_hash=zz",
        "/v1/proofs/inclusion?leaf_hash=ABCDEF",
        "/v1/proofs/inclusion?leaf_hash=0000000000000000000000000000000000000000000000000000000000000000&tree_size=x",
        "/v1/proofs/consistency",
        "/v1/proofs/consistency?from=a&to=b",
        "/v1/export?from=-1",
        "/v1/export?to=1e3",
        "/v1/confirmations/not-a-hash",
        "/v1/confirmations/ABCDEF0000000000000000000000000000000000000000000000000000000000",
        "/v1/confirmations/xyz/bundle",
    ] {
        h.get(uri, t).await.problem(400, "invalid-parameter");
    }
}

#[tokio::test]
async fn bad_authorization_headers_are_401() {
    let h = Harness::new();
    for value in [
        "Basic dXNlcjpwYXNz".to_string(),
        "Bearer".to_string(),
        "Bearer ".to_string(),
        format!("Bearer {}", "x".repeat(400)),
        format!("Token {}", h.tokens.bank_a),
        format!("Bearer {} extra", h.tokens.bank_a),
    ] {
        let req = axum::http::Request::get("/v1/confirmations")
            .header(header::AUTHORIZATION, value.as_str())
            .body(Body::empty())
            .expect("request");
        use tower::ServiceExt as _;
        let resp = h.router.clone().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status().as_u16(), 401, "{value:.40}");
    }
    // Two Authorization headers are ambiguous: refused.
    let req = axum::http::Request::get("/v1/confirmations")
        .header(header::AUTHORIZATION, format!("Bearer {}", h.tokens.bank_a))
        .header(header::AUTHORIZATION, format!("Bearer {}", h.tokens.regulator))
        .body(Body::empty())
        .expect("request");
    use tower::ServiceExt as _;
    let resp = h.router.clone().oneshot(req).await.expect("infallible");
    assert_eq!(resp.status().as_u16(), 401);
    // Lower-case scheme is fine (RFC 9110 §11.1: case-insensitive).
    let req = axum::http::Request::get("/v1/confirmations")
        .header(header::AUTHORIZATION, format!("bearer {}", h.tokens.bank_a))
        .body(Body::empty())
        .expect("request");
    let resp = h.router.clone().oneshot(req).await.expect("infallible");
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let h = Harness::new();
    h.get("/v1/nothing", None).await.problem(404, "not-found");
    // `/` is the web console's; the API's own paths answer problems.
    h.get("/v1", None).await.problem(404, "not-found");
    h.get("/v1/confirmations/a/b/c", None).await.problem(404, "not-found");
    h.send(Method::DELETE, "/v1/genesis", None, None, Body::empty()).await.problem(405, "method-not-allowed");
    h.send(Method::GET, "/v1/entries", None, None, Body::empty()).await.problem(405, "method-not-allowed");
    h.send(Method::POST, "/v1/checkpoint", None, Some("application/json"), Body::from("{}"))
        .await
        .problem(405, "method-not-allowed");
}

/// A sweep of odd requests: whatever the answer, it is not a 5xx, and every 4xx is a
/// problem document.
#[tokio::test]
async fn nothing_odd_is_a_500() {
    let h = Harness::new();
    let tokens = [None, Some(h.tokens.bank_a.as_str()), Some(h.tokens.regulator.as_str()), Some("vouch_00")];
    let paths = [
        "/v1/genesis",
        "/v1/checkpoint",
        "/v1/checkpoints/0",
        "/v1/checkpoints/18446744073709551615",
        "/v1/proofs/inclusion?leaf_hash=&tree_size=0",
        "/v1/proofs/inclusion?tree_size=18446744073709551615&leaf_hash=0000000000000000000000000000000000000000000000000000000000000000",
        "/v1/proofs/consistency?from=18446744073709551615&to=18446744073709551615",
        "/v1/proofs/consistency?from=1&to=1",
        "/v1/headers/18446744073709551615",
        "/v1/export?from=18446744073709551615&to=18446744073709551615",
        "/v1/export?from=1&to=0",
        "/v1/confirmations?limit=200&cursor=c1.__________8",
        "/v1/confirmations?as_of=9999-12-31&overdue=true",
        "/v1/confirmations/%00",
        "/v1/confirmations/%ZZ",
        "/v1/self-audit",
        "/openapi.json?x=1",
        "/docs/../../etc/passwd",
        "/v1/genesis/",
        "//v1//genesis",
    ];
    for token in tokens {
        for path in paths {
            let r = h.get(path, token).await;
            assert!(r.status.as_u16() < 500, "{path} with {token:?}: {} {}", r.status, r.text());
            if r.status.is_client_error() {
                assert_eq!(r.content_type(), "application/problem+json", "{path}: {}", r.text());
            }
        }
    }
}

/// A body that breaks off after its first bytes, as a client that disconnects mid-way
/// sends it.
fn broken_body() -> Body {
    let parts: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
        Ok(axum::body::Bytes::from_static(b"token=abc&csrf=")),
        Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "peer went away")),
    ];
    Body::from_stream(futures_util::stream::iter(parts))
}

#[tokio::test]
async fn refusals_axum_makes_itself_are_named_too() {
    // Found by the bad-input burst (tests/tests/e2e/bad_input_burst.rs): axum answered a
    // body cut short with plain text, and a method no route serves with an empty 405.
    let h = Harness::new();
    let form = Some("application/x-www-form-urlencoded");
    let page = h.send(Method::POST, "/sign-in", None, form, broken_body()).await;
    assert_eq!(page.status.as_u16(), 400, "{}", page.text());
    assert!(page.content_type().starts_with("text/html"), "{}", page.content_type());
    assert!(page.text().contains("Failed to buffer the request body"), "{}", page.text());
    let odd = Method::from_bytes(b"GE").expect("method");
    let page = h.send(odd.clone(), "/sign-in", None, None, Body::empty()).await;
    assert_eq!(page.status.as_u16(), 405, "{}", page.text());
    assert!(page.content_type().starts_with("text/html"), "{}", page.content_type());
    h.send(odd, "/v1/checkpoint", None, None, Body::empty()).await.problem(405, "method-not-allowed");
}
