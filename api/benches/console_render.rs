//! Server-side render time of the console's bank inbox and auditor dashboard with 10,000
//! confirmations in the ledger (issue 6's target: p99 under 50 ms, paginated).
//!
//! The ledger is the API tests' in-memory fake (`tests/api/fake.rs`, the same `Ledger`
//! implementation the console tests use) extended with `CONFIRMATIONS` requests from one
//! audit firm to one bank, over 50 clients: 70 % authorized, 30 % answered (every third
//! answer with differences). Each timed request goes through the whole console router
//! (session lookup, visibility, the worklist over the view, maud rendering, headers), in
//! process: what a request costs the node, without the network.
//!
//! ```text
//! cargo bench -p vouch-api --bench console_render
//! ```

#[path = "../tests/api/fake.rs"]
#[allow(dead_code)]
mod fake;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt as _;
use vouch_api::console::ConsoleOptions;
use vouch_core::date::Date;
use vouch_core::documents::{Conclusion, Form, Scope};
use vouch_core::testkit;

const CONFIRMATIONS: usize = 10_000;
const CLIENTS: usize = 50;
const BLOCK: usize = 500;
const ITERATIONS: usize = 200;

fn main() {
    let started = Instant::now();
    let (fake, _) = fake::Fake::build_extended(None, |l, b| {
        let checker = l.enroll("bank-b", "bench-checker", "压测复核", "函证中心复核").expect("enroll");
        l.commit().expect("commit");
        let identity = vouch_core::items::ClientIdentity {
            name: "压测客户有限公司".into(),
            credit_code: "9144030071526726XG".into(),
        };
        let clients: Vec<testkit::Client> = (0..CLIENTS)
            .map(|i| l.enroll_client(&b.officer, &format!("bench-{i:03}"), &identity).expect("client"))
            .collect();
        l.commit().expect("commit");
        let contents = testkit::demo_request_contents().expect("contents");
        let answer = testkit::demo_response_contents().expect("contents");
        let as_of = Date::parse("2026-06-30").expect("date");
        let valid_until = Date::parse("2027-12-31").expect("date");
        let mut requests = Vec::with_capacity(CONFIRMATIONS);
        for i in 0..CONFIRMATIONS {
            let client = &clients[i % CLIENTS];
            let no = format!("BX-{i:05}");
            requests.push(
                l.request(&b.auditor, client, &no, Form::Form1, Scope::WholeBank, as_of, &contents)
                    .expect("request"),
            );
            if (i + 1) % BLOCK == 0 {
                l.commit().expect("commit");
            }
        }
        l.commit().expect("commit");
        l.advance_ms(86_400_000);
        for (n, (i, r)) in requests.iter().enumerate().filter(|(i, _)| i % 10 < 7).enumerate() {
            l.authorize(&clients[i % CLIENTS], r, valid_until).expect("authorize");
            if (n + 1) % BLOCK == 0 {
                l.commit().expect("commit");
            }
        }
        l.commit().expect("commit");
        l.advance_ms(2 * 86_400_000);
        for (n, (i, r)) in requests.iter().enumerate().filter(|(i, _)| i % 10 < 3).enumerate() {
            let conclusion = if i % 3 == 0 { Conclusion::Differences } else { Conclusion::Matches };
            l.respond(&b.officer, &checker, r, conclusion, &answer, None).expect("respond");
            if (n + 1) % BLOCK == 0 {
                l.commit().expect("commit");
            }
        }
        l.commit().expect("commit");
    });
    let documents = fake.demo.verifier.tree().size();
    eprintln!(
        "built {CONFIRMATIONS} confirmations ({documents} documents) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let tokens = fake::Tokens::issue();
    let router = vouch_api::router_with_console(
        Arc::new(fake),
        Arc::new(tokens.list.clone()),
        None,
        ConsoleOptions::default(),
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let bank = sign_in(&router, &tokens.bank_b).await;
        let auditor = sign_in(&router, &tokens.auditor).await;
        println!("| page | session | p50 ms | p99 ms | max ms | bytes |");
        println!("|---|---|---|---|---|---|");
        for (path, who, session) in [
            ("/inbox", "bank-b", &bank),
            ("/inbox?page=100", "bank-b", &bank),
            ("/dashboard", "audit-x", &auditor),
            ("/dashboard?page=150", "audit-x", &auditor),
            ("/dashboard?status=exceptions", "audit-x", &auditor),
            ("/dashboard?client=bank-b%2Fbench-007", "audit-x", &auditor),
        ] {
            let (times, bytes) = time(&router, path, session).await;
            println!(
                "| `{path}` | {who} | {:.2} | {:.2} | {:.2} | {bytes} |",
                ms(percentile(&times, 50)),
                ms(percentile(&times, 99)),
                ms(times.last().copied().unwrap_or_default())
            );
        }
    });
}

/// `ITERATIONS` renders of `path`, sorted; and the page's size.
async fn time(router: &axum::Router, path: &str, session: &str) -> (Vec<Duration>, usize) {
    let mut times = Vec::with_capacity(ITERATIONS);
    let mut bytes = 0;
    // One untimed render first (allocator, caches).
    let _ = get(router, path, session).await;
    for _ in 0..ITERATIONS {
        let t = Instant::now();
        let (status, body) = get(router, path, session).await;
        times.push(t.elapsed());
        assert_eq!(status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&body));
        bytes = body.len();
    }
    times.sort_unstable();
    (times, bytes)
}

async fn get(router: &axum::Router, path: &str, session: &str) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .uri(path)
        .header(header::COOKIE, format!("vouch_session={session}"))
        .body(Body::empty())
        .expect("request");
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes().to_vec();
    (status, body)
}

/// Sign in with `token` the way a browser does; the session id.
async fn sign_in(router: &axum::Router, token: &str) -> String {
    let form = router
        .clone()
        .oneshot(Request::builder().uri("/sign-in").body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let presign = cookie(&form, "vouch_presign").expect("pre-session cookie");
    let body = format!("token={token}&csrf={presign}&next=%2F");
    let req = Request::builder()
        .method(Method::POST)
        .uri("/sign-in")
        .header(header::COOKIE, format!("vouch_presign={presign}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    let resp = router.clone().oneshot(req).await.expect("infallible");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "sign-in refused");
    cookie(&resp, "vouch_session").expect("session cookie")
}

fn cookie(resp: &axum::response::Response, name: &str) -> Option<String> {
    resp.headers().get_all(header::SET_COOKIE).iter().find_map(|v| {
        let line = v.to_str().ok()?;
        Some(line.strip_prefix(&format!("{name}="))?.split(';').next()?.to_string())
    })
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
