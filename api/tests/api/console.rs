//! The web console over the fake ledger: sign-in and sessions, CSRF, security headers,
//! both languages, visibility (a second bank gets "not found"), escaping of free text,
//! and each page for its role.

use crate::fake::{Fake, Tokens};
use crate::{Harness, Reply};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt as _;
use vouch_api::console::ConsoleOptions;
use vouch_api::console::layout::CSP;

/// One console request with cookies, an optional form body and extra headers.
async fn send(
    router: &axum::Router,
    method: Method,
    uri: &str,
    cookies: &[(&str, &str)],
    form: Option<&str>,
    extra: &[(&str, &str)],
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if !cookies.is_empty() {
        let text: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        req = req.header(header::COOKIE, text.join("; "));
    }
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let req = req.body(form.map_or_else(Body::empty, |f| Body::from(f.to_string()))).expect("request");
    Reply::read(router.clone().oneshot(req).await.expect("infallible")).await
}

async fn get(router: &axum::Router, uri: &str, cookies: &[(&str, &str)]) -> Reply {
    send(router, Method::GET, uri, cookies, None, &[]).await
}

/// Every `Set-Cookie` of a reply.
fn set_cookies(r: &Reply) -> Vec<String> {
    r.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().expect("ascii").to_string()).collect()
}

/// The value a reply sets for cookie `name`, with the whole header line.
fn cookie_set(r: &Reply, name: &str) -> Option<(String, String)> {
    set_cookies(r).into_iter().find_map(|line| {
        let value = line.strip_prefix(&format!("{name}="))?.split(';').next()?.to_string();
        Some((value, line))
    })
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_field(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().expect("value").to_string()
}

/// Percent-encode a form value (tokens and CSRF tokens are URL-safe already).
fn form_value(v: &str) -> String {
    v.replace('%', "%25").replace('&', "%26").replace('=', "%3D").replace('+', "%2B").replace('/', "%2F")
}

/// Sign in with `token`: the session id.
async fn sign_in(router: &axum::Router, token: &str) -> String {
    let form = get(router, "/sign-in", &[]).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let (presign, _) = cookie_set(&form, "vouch_presign").expect("pre-session cookie");
    assert_eq!(csrf_field(&form.text()), presign, "double submit: the field equals the cookie");
    let body = format!("token={}&csrf={}&next=%2F", form_value(token), form_value(&presign));
    let r = send(router, Method::POST, "/sign-in", &[("vouch_presign", &presign)], Some(&body), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let (session, line) = cookie_set(&r, "vouch_session").expect("session cookie");
    assert_eq!(session.len(), 43, "32 bytes, base64url: {line}");
    session
}

fn location(r: &Reply) -> &str {
    r.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[track_caller]
fn assert_console_headers(r: &Reply, what: &str) {
    let h = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(h("content-security-policy"), CSP, "{what}");
    assert!(CSP.contains("default-src 'none'") && CSP.contains("frame-ancestors 'none'"));
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("referrer-policy"), "no-referrer", "{what}");
}

#[track_caller]
fn assert_html_page(r: &Reply, status: StatusCode, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text());
    assert_eq!(r.content_type(), "text/html; charset=utf-8", "{what}");
    assert_eq!(
        r.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{what}"
    );
    assert_console_headers(r, what);
}

/// A router over a fresh fake with the given console options.
fn with_options(options: ConsoleOptions) -> (axum::Router, Tokens, Arc<Fake>) {
    let (fake, _) = Fake::build(None);
    let fake = Arc::new(fake);
    let tokens = Tokens::issue();
    let router = vouch_api::router_with_console(fake.clone(), Arc::new(tokens.list.clone()), None, options);
    (router, tokens, fake)
}

#[tokio::test]
async fn signed_out_visitors_see_only_integrity_data() {
    let h = Harness::new();
    for path in ["/", "/integrity"] {
        let r = get(&h.router, path, &[]).await;
        assert_html_page(&r, StatusCode::OK, path);
        let text = r.text();
        assert!(text.contains("id=\"checkpoint-verified\""), "the checkpoint is checked: {text}");
        assert!(text.contains(&h.genesis_hash.to_hex()), "{text}");
        assert!(text.contains("id=\"validators\""));
        assert!(!text.contains("AX-2026"), "no confirmation is shown signed out");
    }
    for path in
        ["/dashboard", "/inbox", &format!("/confirmations/{}", h.facts.confirmation.request.id.to_hex())]
    {
        let r = get(&h.router, path, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/sign-in?next=/"), "{path}: {}", location(&r));
        assert_console_headers(&r, path);
    }
    let bundle = format!("/confirmations/{}/bundle", h.facts.confirmation.request.id.to_hex());
    assert_eq!(get(&h.router, &bundle, &[]).await.status, StatusCode::SEE_OTHER);
    let css = get(&h.router, "/assets/v1/console.css", &[]).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.content_type(), "text/css; charset=utf-8");
    assert!(css.headers[header::CACHE_CONTROL].to_str().expect("ascii").contains("max-age=31536000"));
    assert_console_headers(&css, "css");
    let missing = get(&h.router, "/no-such-page", &[]).await;
    assert_html_page(&missing, StatusCode::NOT_FOUND, "unknown page");
    // The API keeps its paths and documents.
    h.get("/v1/nothing", None).await.problem(404, "not-found");
    assert_eq!(h.get("/openapi.json", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn sign_in_opens_a_session_and_sign_out_ends_it() {
    let h = Harness::new();
    let session = sign_in(&h.router, &h.tokens.bank_a).await;
    let cookies = [("vouch_session", session.as_str())];
    let home = get(&h.router, "/", &cookies).await;
    assert_eq!(location(&home), "/inbox");
    let inbox = get(&h.router, "/inbox", &cookies).await;
    assert_html_page(&inbox, StatusCode::OK, "inbox");
    assert!(inbox.text().contains("id=\"signed-in-as\""), "{}", inbox.text());
    let csrf = csrf_field(&inbox.text());
    let out = send(&h.router, Method::POST, "/sign-out", &cookies, Some(&format!("csrf={csrf}")), &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let (cleared, line) = cookie_set(&out, "vouch_session").expect("cleared");
    assert!(cleared.is_empty() && line.contains("Max-Age=0"), "{line}");
    // The old cookie no longer opens anything.
    let after = get(&h.router, "/inbox", &cookies).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(location(&after).starts_with("/sign-in"));
}

#[tokio::test]
async fn session_cookies_have_safe_attributes() {
    let h = Harness::new();
    let form = get(&h.router, "/sign-in", &[]).await;
    let (presign, presign_line) = cookie_set(&form, "vouch_presign").expect("presign");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(presign_line.contains(part), "{presign_line}");
    }
    let body = format!("token={}&csrf={presign}", h.tokens.auditor);
    let r = send(&h.router, Method::POST, "/sign-in", &[("vouch_presign", &presign)], Some(&body), &[]).await;
    let (_, line) = cookie_set(&r, "vouch_session").expect("session");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(line.contains(part), "{line}");
    }
    assert!(!line.contains("Secure"), "not over TLS by default: {line}");
    assert!(!line.contains(&h.tokens.auditor), "the cookie is not the token");

    let (router, tokens, _) =
        with_options(ConsoleOptions { secure_cookies: true, ..ConsoleOptions::default() });
    let form = get(&router, "/sign-in", &[]).await;
    let (presign, presign_line) = cookie_set(&form, "vouch_presign").expect("presign");
    assert!(presign_line.ends_with("; Secure"), "{presign_line}");
    let body = format!("token={}&csrf={presign}", tokens.auditor);
    let r = send(&router, Method::POST, "/sign-in", &[("vouch_presign", &presign)], Some(&body), &[]).await;
    let (_, line) = cookie_set(&r, "vouch_session").expect("session");
    assert!(line.contains("; Secure"), "{line}");
}

#[tokio::test]
async fn an_idle_session_ends() {
    // Long enough that signing in and the first page fit in it on a loaded machine.
    let idle = Duration::from_millis(1500);
    let (router, tokens, _) =
        with_options(ConsoleOptions { idle_timeout: idle, ..ConsoleOptions::default() });
    let session = sign_in(&router, &tokens.bank_a).await;
    let cookies = [("vouch_session", session.as_str())];
    assert_eq!(get(&router, "/inbox", &cookies).await.status, StatusCode::OK);
    tokio::time::sleep(idle + Duration::from_millis(500)).await;
    let r = get(&router, "/inbox", &cookies).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "idle past the timeout: signed out");
    assert!(location(&r).starts_with("/sign-in"));
}

#[tokio::test]
async fn bad_tokens_and_forged_sign_ins_open_nothing() {
    let h = Harness::new();
    let form = get(&h.router, "/sign-in", &[]).await;
    let (presign, _) = cookie_set(&form, "vouch_presign").expect("presign");
    let zeros = format!("vouch_{}", "0".repeat(64));
    for token in ["nonsense", zeros.as_str(), h.tokens.revoked.as_str()] {
        let body = format!("token={token}&csrf={presign}");
        let r =
            send(&h.router, Method::POST, "/sign-in", &[("vouch_presign", &presign)], Some(&body), &[]).await;
        assert_html_page(&r, StatusCode::UNAUTHORIZED, token);
        assert!(r.text().contains("id=\"sign-in-error\""));
        assert!(cookie_set(&r, "vouch_session").is_none(), "{token}");
    }
    // Without the pre-session cookie, or with another value: a forged form.
    let body = format!("token={}&csrf={presign}", h.tokens.bank_a);
    let r = send(&h.router, Method::POST, "/sign-in", &[], Some(&body), &[]).await;
    assert_html_page(&r, StatusCode::FORBIDDEN, "no presign cookie");
    assert!(cookie_set(&r, "vouch_session").is_none());
    let r = send(&h.router, Method::POST, "/sign-in", &[("vouch_presign", "x")], Some(&body), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(cookie_set(&r, "vouch_session").is_none());
}

#[tokio::test]
async fn a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let h = Harness::new();
    let session = sign_in(&h.router, &h.tokens.bank_a).await;
    let cookies = [("vouch_session", session.as_str())];
    let other = sign_in(&h.router, &h.tokens.bank_a).await;
    let other_csrf = csrf_field(&get(&h.router, "/inbox", &[("vouch_session", &other)]).await.text());
    for body in ["", "csrf=", "csrf=wrong", &format!("csrf={other_csrf}")] {
        let r = send(&h.router, Method::POST, "/sign-out", &cookies, Some(body), &[]).await;
        assert_html_page(&r, StatusCode::FORBIDDEN, body);
        assert!(r.text().contains("id=\"error\""), "{}", r.text());
        assert!(cookie_set(&r, "vouch_session").is_none(), "{body}");
        // Still signed in: nothing changed.
        assert_eq!(get(&h.router, "/inbox", &cookies).await.status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn a_second_bank_gets_not_found_for_the_first_banks_confirmation() {
    let h = Harness::new();
    let id = h.facts.confirmation.request.id.to_hex();
    let a = sign_in(&h.router, &h.tokens.bank_a).await;
    let b = sign_in(&h.router, &h.tokens.bank_b).await;
    let page = get(&h.router, &format!("/confirmations/{id}"), &[("vouch_session", &a)]).await;
    assert_html_page(&page, StatusCode::OK, "bank-a's own");
    let text = page.text();
    assert!(text.contains("AX-2026-0001") && text.contains("id=\"timeline\""), "{text}");
    // Five documents, each proven in the latest checkpoint.
    assert_eq!(text.matches("✓").count(), 5, "{text}");
    assert!(!text.contains("✗"));
    let unknown = format!("/confirmations/{}", "ab".repeat(32));
    let other = get(&h.router, &format!("/confirmations/{id}"), &[("vouch_session", &b)]).await;
    let none = get(&h.router, &unknown, &[("vouch_session", &b)]).await;
    let junk = get(&h.router, "/confirmations/not-an-id", &[("vouch_session", &b)]).await;
    for (r, what) in [(&other, "another bank's"), (&none, "unknown"), (&junk, "malformed")] {
        assert_html_page(r, StatusCode::NOT_FOUND, what);
        assert!(!r.text().contains("AX-2026-0001"), "{what}");
    }
    // The same page but for the path itself (the language switch links back to it).
    let unknown_id = "ab".repeat(32);
    assert_eq!(
        other.text().replace(&id, "ID"),
        none.text().replace(&unknown_id, "ID"),
        "hidden and unknown look alike"
    );
    // The bundle follows the same visibility as the API's.
    let bundle = get(&h.router, &format!("/confirmations/{id}/bundle"), &[("vouch_session", &a)]).await;
    assert_eq!(bundle.status, StatusCode::OK);
    assert_eq!(bundle.content_type(), "application/json");
    assert!(bundle.headers[header::CONTENT_DISPOSITION].to_str().expect("ascii").starts_with("attachment;"));
    let api = h.get(&format!("/v1/confirmations/{id}/bundle"), Some(&h.tokens.bank_a)).await;
    assert_eq!(bundle.body, api.body, "the same bundle as the API's");
    let hidden = get(&h.router, &format!("/confirmations/{id}/bundle"), &[("vouch_session", &b)]).await;
    assert_html_page(&hidden, StatusCode::NOT_FOUND, "another bank's bundle");
    // The human-readable report: the bundle verified here, then laid out (no reading key
    // on this node: what the bundle proves without the sealed contents).
    let report = get(&h.router, &format!("/confirmations/{id}/report"), &[("vouch_session", &a)]).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text());
    assert_eq!(report.content_type(), "text/html; charset=utf-8");
    assert!(report.headers[header::CONTENT_DISPOSITION].to_str().expect("ascii").starts_with("attachment;"));
    assert_console_headers(&report, "report");
    assert!(report.text().contains("AX-2026-0001") && report.text().contains(&id), "{}", report.text());
    let hidden = get(&h.router, &format!("/confirmations/{id}/report"), &[("vouch_session", &b)]).await;
    assert_html_page(&hidden, StatusCode::NOT_FOUND, "another bank's report");
}

#[tokio::test]
async fn markup_in_free_text_shows_as_text() {
    const HOSTILE: &str = "<script>alert(\"x\")</script><b>&";
    let h = Harness::extended(|l, b| {
        let mallory =
            l.enroll("audit-x", "mallory", HOSTILE, "<img src=x onerror=alert(1)>").expect("enroll");
        l.commit().expect("commit");
        let contents = vouch_core::testkit::demo_request_contents().expect("contents");
        let as_of = vouch_core::date::Date::parse("2026-06-30").expect("date");
        l.request(
            &mallory,
            &b.client,
            HOSTILE,
            vouch_core::documents::Form::Form1,
            vouch_core::documents::Scope::WholeBank,
            as_of,
            &contents,
        )
        .expect("request");
        l.commit().expect("commit");
    });
    let auditor = sign_in(&h.router, &h.tokens.auditor).await;
    let cookies = [("vouch_session", auditor.as_str())];
    let dashboard = get(&h.router, "/dashboard", &cookies).await;
    assert_html_page(&dashboard, StatusCode::OK, "dashboard");
    let text = dashboard.text();
    assert!(text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;&amp;"), "{text}");
    assert!(!text.contains("<script>") && !text.contains("<b>&"), "{text}");
    let at = text.find("\">&lt;script&gt;").expect("the hostile letter is listed");
    let link = text.get(at - 64..at).expect("its id");
    let page = get(&h.router, &format!("/confirmations/{link}"), &cookies).await;
    let text = page.text();
    assert!(text.contains("&lt;script&gt;"), "letter number and signer name escaped: {text}");
    assert!(!text.contains("<script>") && !text.contains("<img"), "{text}");
    // Query values echoed into the filter form are escaped too.
    let echoed = get(&h.router, "/dashboard?client=%22%3E%3Cscript%3Ex%3C%2Fscript%3E", &cookies).await;
    assert!(!echoed.text().contains("<script>x"), "{}", echoed.text());
    assert!(echoed.text().contains("&quot;&gt;&lt;script&gt;x"), "{}", echoed.text());
}

#[tokio::test]
async fn pages_render_in_both_languages() {
    let h = Harness::extended(crate::worklists::scenario);
    let id = h.facts.confirmation.request.id.to_hex();
    let pages: Vec<(&str, String)> = vec![
        ("", "/".into()),
        ("", "/integrity".into()),
        ("", "/sign-in".into()),
        ("", "/no-such-page".into()),
        ("auditor", "/dashboard".into()),
        ("auditor", format!("/confirmations/{id}")),
        ("bank_b", "/inbox".into()),
        ("client_b", "/inbox".into()),
        ("bank_b", "/reminders".into()),
        ("regulator", "/oversight".into()),
    ];
    let mut sessions = std::collections::BTreeMap::new();
    sessions.insert("auditor", sign_in(&h.router, &h.tokens.auditor).await);
    sessions.insert("bank_b", sign_in(&h.router, &h.tokens.bank_b).await);
    sessions.insert("client_b", sign_in(&h.router, &h.tokens.client_b).await);
    sessions.insert("regulator", sign_in(&h.router, &h.tokens.regulator).await);
    for (who, path) in &pages {
        for (lang, marker, tag) in [("en", "Sign", "lang=\"en\""), ("zh", "账本", "lang=\"zh-Hans\"")] {
            let mut cookies = vec![("vouch_lang", lang)];
            if let Some(s) = sessions.get(who) {
                cookies.push(("vouch_session", s.as_str()));
            }
            let r = get(&h.router, path, &cookies).await;
            assert!(r.status.as_u16() < 500 && r.content_type().starts_with("text/html"), "{path} {lang}");
            let text = r.text();
            assert!(text.contains(tag), "{path} in {lang}: {text}");
            assert!(text.contains(marker), "{path} in {lang}: {text}");
        }
    }
    // Accept-Language is the default; the cookie wins over it.
    let zh =
        send(&h.router, Method::GET, "/", &[], None, &[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")]).await;
    assert!(zh.text().contains("账本完整性"), "{}", zh.text());
    let en =
        send(&h.router, Method::GET, "/", &[("vouch_lang", "en")], None, &[("accept-language", "zh-CN")])
            .await;
    assert!(en.text().contains("Ledger integrity"));
}

#[tokio::test]
async fn the_language_switch_persists_and_redirects_only_locally() {
    let h = Harness::new();
    let r = get(&h.router, "/lang?set=zh&next=%2Finbox%3Fpage%3D2", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/inbox?page=2");
    let (value, line) = cookie_set(&r, "vouch_lang").expect("language cookie");
    assert_eq!(value, "zh");
    assert!(line.contains("Max-Age="), "persists: {line}");
    for next in
        ["https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example", "%2F%5Cevil.example", "javascript%3Aalert(1)"]
    {
        let r = get(&h.router, &format!("/lang?set=en&next={next}"), &[]).await;
        assert_eq!(location(&r), "/", "{next}");
    }
    let bad = get(&h.router, "/lang?set=fr", &[]).await;
    assert_html_page(&bad, StatusCode::BAD_REQUEST, "unknown language");
    // Sign-in sends back only to local paths too.
    let form = get(&h.router, "/sign-in?next=%2F%2Fevil.example", &[]).await;
    assert!(form.text().contains("name=\"next\" value=\"/\""), "{}", form.text());
}

#[tokio::test]
async fn each_page_is_for_its_role() {
    let h = Harness::extended(crate::worklists::scenario);
    let auditor = sign_in(&h.router, &h.tokens.auditor).await;
    let bank = sign_in(&h.router, &h.tokens.bank_b).await;
    let client = sign_in(&h.router, &h.tokens.client_b).await;
    let regulator = sign_in(&h.router, &h.tokens.regulator).await;
    let s = |v: &str| vec![("vouch_session", v.to_string())];
    let check = |who: &str, path: &str, status: StatusCode, r: &Reply| {
        assert_eq!(r.status, status, "{who} {path}: {}", r.text());
    };
    for (who, session, path, status) in [
        ("auditor", &auditor, "/dashboard", StatusCode::OK),
        ("auditor", &auditor, "/inbox", StatusCode::FORBIDDEN),
        ("bank", &bank, "/inbox", StatusCode::OK),
        ("bank", &bank, "/dashboard", StatusCode::FORBIDDEN),
        ("client", &client, "/inbox", StatusCode::OK),
        ("client", &client, "/dashboard", StatusCode::FORBIDDEN),
        ("regulator", &regulator, "/dashboard", StatusCode::FORBIDDEN),
        ("regulator", &regulator, "/inbox", StatusCode::FORBIDDEN),
        ("regulator", &regulator, "/", StatusCode::SEE_OTHER),
        ("regulator", &regulator, "/oversight", StatusCode::OK),
        ("regulator", &regulator, "/self-audit", StatusCode::OK),
        ("regulator", &regulator, "/verify", StatusCode::OK),
        ("auditor", &auditor, "/oversight", StatusCode::FORBIDDEN),
        ("bank", &bank, "/oversight", StatusCode::FORBIDDEN),
        ("client", &client, "/self-audit", StatusCode::FORBIDDEN),
        ("regulator", &regulator, "/integrity", StatusCode::OK),
    ] {
        let cookies = s(session);
        let refs: Vec<(&str, &str)> = cookies.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = get(&h.router, path, &refs).await;
        check(who, path, status, &r);
        assert_console_headers(&r, path);
    }

    // The auditor's dashboard: outstanding, exceptions and late answers, by client.
    let d = get(&h.router, "/dashboard", &[("vouch_session", &auditor)]).await.text();
    for letter in ["AX-2026-0100", "AX-2026-0101", "AX-2026-0102", "AX-2026-0104"] {
        assert!(d.contains(letter), "{letter}: {d}");
    }
    assert!(!d.contains("AX-2026-0103"), "answered in agreement: nothing to do");
    assert!(d.contains("class=\"flag exceptions\"") && d.contains("class=\"flag late_answer\""), "{d}");
    assert!(d.contains("id=\"by-client\"") && d.contains("bank-b/b-000001"));
    let late = get(&h.router, "/dashboard?status=late_answer", &[("vouch_session", &auditor)]).await.text();
    assert!(late.contains("AX-2026-0104") && !late.contains("AX-2026-0101"), "{late}");
    let by_client = get(&h.router, "/dashboard?client=c-000123", &[("vouch_session", &auditor)]).await.text();
    assert!(!by_client.contains("AX-2026-0101"), "bank-b's client filtered out: {by_client}");
    let bad = get(&h.router, "/dashboard?page=0", &[("vouch_session", &auditor)]).await;
    assert_html_page(&bad, StatusCode::BAD_REQUEST, "page 0");
    let beyond = get(&h.router, "/dashboard?page=99", &[("vouch_session", &auditor)]).await;
    assert!(beyond.text().contains("id=\"empty\""));

    // The bank's inbox: soonest deadline first, overdue marked, the authorization beside.
    let inbox = get(&h.router, "/inbox", &[("vouch_session", &bank)]).await.text();
    let at = |letter: &str| inbox.find(letter).unwrap_or_else(|| panic!("{letter} listed: {inbox}"));
    assert!(at("AX-2026-0101") < at("AX-2026-0102"), "the earlier deadline first");
    assert!(inbox.contains("class=\"authorization\""), "{inbox}");
    assert!(inbox.contains("AX-2026-0100"), "awaiting the client, shown as such");
    assert!(!inbox.contains("AX-2026-0103"), "answered: not in the inbox");
    // The client's: requests awaiting its authorization only.
    let mine = get(&h.router, "/inbox", &[("vouch_session", &client)]).await.text();
    assert!(mine.contains("AX-2026-0100") && !mine.contains("AX-2026-0101"), "{mine}");
}

/// The draft page's id and hash, after posting an action form.
async fn draft_via_form(
    router: &axum::Router,
    session: &str,
    request: &str,
    fields: &str,
) -> (String, String, Reply) {
    let cookies = [("vouch_session", session)];
    let page = get(router, &format!("/confirmations/{request}"), &cookies).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let csrf = csrf_field(&page.text());
    let body = format!("csrf={csrf}&{fields}");
    let r =
        send(router, Method::POST, &format!("/confirmations/{request}/draft"), &cookies, Some(&body), &[])
            .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let at = location(&r).to_string();
    assert!(at.starts_with("/drafts/drf_"), "{at}");
    let shown = get(router, &at, &cookies).await;
    assert_html_page(&shown, StatusCode::OK, "draft");
    let text = shown.text();
    let hash =
        text.split("id=\"signing-hash\" class=\"hash\">").nth(1).expect("hash shown").get(..64).expect("hex");
    let id = at.trim_start_matches("/drafts/").split('?').next().expect("id").to_string();
    (id, hash.to_string(), shown)
}

#[tokio::test]
async fn a_client_authorizes_through_form_check_and_sign() {
    let c = crate::drafts::custodial(true);
    let router = &c.h.router;
    let request = c.awaiting.id.to_hex();
    let session = sign_in(router, &c.client).await;
    let cookies = [("vouch_session", session.as_str())];
    let page = get(router, &format!("/confirmations/{request}"), &cookies).await.text();
    assert!(page.contains("id=\"action-authorize\"") && page.contains("id=\"action-refuse\""), "{page}");
    let (draft, hash, shown) =
        draft_via_form(router, &session, &request, "action=authorize&valid_until=2026-12-31").await;
    let text = shown.text();
    assert!(
        text.contains("id=\"draft-document\"") && text.contains("2026-12-31"),
        "the document is shown: {text}"
    );
    assert!(
        text.contains("id=\"draft-body\"") && text.contains("id=\"draft-letter\""),
        "readable parts: {text}"
    );
    assert!(text.contains("1,234,567.89 CNY"), "the letter's amounts, formatted: {text}");
    // The hash shown is the API's for the same draft.
    let api = c.h.get(&format!("/v1/drafts/{draft}"), Some(&c.client)).await.json();
    assert_eq!(api["signing_bytes_sha256"], hash.as_str());
    assert_eq!(c.submitted(), 0, "nothing is signed before Sign");

    let csrf = csrf_field(&text);
    let sign = format!("/drafts/{draft}/sign");
    // Without the CSRF token, or with another hash: refused, nothing signed.
    let r = send(router, Method::POST, &sign, &cookies, Some(&format!("sha256={hash}")), &[]).await;
    assert_html_page(&r, StatusCode::FORBIDDEN, "sign without csrf");
    let wrong = "0".repeat(64);
    let r =
        send(router, Method::POST, &sign, &cookies, Some(&format!("csrf={csrf}&sha256={wrong}")), &[]).await;
    assert_html_page(&r, StatusCode::CONFLICT, "sign another hash");
    assert_eq!(c.submitted(), 0);
    // Another org's person cannot open or sign it.
    let other = sign_in(router, &c.other_org).await;
    let r = get(router, &format!("/drafts/{draft}"), &[("vouch_session", &other)]).await;
    assert_html_page(&r, StatusCode::NOT_FOUND, "someone else's draft");

    let body = format!("csrf={csrf}&sha256={hash}&back={request}");
    let r = send(router, Method::POST, &sign, &cookies, Some(&body), &[]).await;
    assert_html_page(&r, StatusCode::OK, "signed");
    assert!(r.text().contains("id=\"sign-result\""), "{}", r.text());
    assert_eq!(c.submitted(), 1, "signed and submitted once");
    // Signed drafts are gone: signing twice does nothing more.
    let again = send(router, Method::POST, &sign, &cookies, Some(&body), &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(c.submitted(), 1);
}

#[tokio::test]
async fn a_document_the_node_dropped_after_pooling_is_not_promised_to_the_next_block() {
    let c = crate::drafts::custodial(true);
    let router = &c.h.router;
    let request = c.awaiting.id.to_hex();
    let session = sign_in(router, &c.client).await;
    let cookies = [("vouch_session", session.as_str())];
    let (draft, hash, shown) =
        draft_via_form(router, &session, &request, "action=authorize&valid_until=2026-12-31").await;
    let csrf = csrf_field(&shown.text());
    let reason = "R-ST-3: key <b>k</b> is not an active key at block time";
    *c.h.fake.drop_reason.lock().expect("lock") = Some(reason.into());
    let body = format!("csrf={csrf}&sha256={hash}&back={request}");
    let r = send(router, Method::POST, &format!("/drafts/{draft}/sign"), &cookies, Some(&body), &[]).await;
    assert_html_page(&r, StatusCode::OK, "signed, then dropped");
    let text = r.text();
    assert!(text.contains("dropped it from its pool"), "{text}");
    assert!(!text.contains("it will be in the next block"), "{text}");
    assert!(
        text.contains("id=\"dropped-reason\">R-ST-3: key &lt;b&gt;k&lt;/b&gt; is not an active key"),
        "the reason, escaped: {text}"
    );
    assert_eq!(c.submitted(), 1);
}

#[tokio::test]
async fn the_bank_declines_and_the_auditor_accepts_and_withdraws() {
    let c = crate::drafts::custodial(true);
    let router = &c.h.router;
    let cases = [
        (
            &c.maker,
            c.authorized.id.to_hex(),
            "action=decline&reason=%3Cscript%3Eno%3C%2Fscript%3E",
            "decline",
        ),
        (&c.auditor, c.answered.id.to_hex(), "action=accept&note=ok", "accept"),
        (&c.auditor, c.awaiting.id.to_hex(), "action=withdraw&reason=engagement+ended", "withdraw"),
    ];
    for (i, (token, request, fields, what)) in cases.into_iter().enumerate() {
        let session = sign_in(router, token).await;
        let (draft, hash, shown) = draft_via_form(router, &session, &request, fields).await;
        assert!(!shown.text().contains("<script>no"), "free text shown as text: {}", shown.text());
        let csrf = csrf_field(&shown.text());
        let body = format!("csrf={csrf}&sha256={hash}");
        let r = send(
            router,
            Method::POST,
            &format!("/drafts/{draft}/sign"),
            &[("vouch_session", &session)],
            Some(&body),
            &[],
        )
        .await;
        assert_html_page(&r, StatusCode::OK, what);
        assert_eq!(c.submitted(), i + 1, "{what}");
    }
    // A reason is required; a missing one is refused before anything is drafted.
    let session = sign_in(router, &c.maker).await;
    let page =
        get(router, &format!("/confirmations/{}", c.authorized.id.to_hex()), &[("vouch_session", &session)])
            .await;
    let csrf = csrf_field(&page.text());
    let r = send(
        router,
        Method::POST,
        &format!("/confirmations/{}/draft", c.authorized.id.to_hex()),
        &[("vouch_session", &session)],
        Some(&format!("csrf={csrf}&action=decline&reason=")),
        &[],
    )
    .await;
    assert_html_page(&r, StatusCode::BAD_REQUEST, "no reason");
}

#[tokio::test]
async fn without_a_keystore_or_a_signer_the_console_says_so() {
    let off = crate::drafts::custodial(false);
    let request = off.awaiting.id.to_hex();
    let session = sign_in(&off.h.router, &off.client).await;
    let cookies = [("vouch_session", session.as_str())];
    let page = get(&off.h.router, &format!("/confirmations/{request}"), &cookies).await;
    let csrf = csrf_field(&page.text());
    let body = format!("csrf={csrf}&action=authorize&valid_until=2026-12-31");
    let r = send(
        &off.h.router,
        Method::POST,
        &format!("/confirmations/{request}/draft"),
        &cookies,
        Some(&body),
        &[],
    )
    .await;
    assert_html_page(&r, StatusCode::FORBIDDEN, "keystore off");
    assert!(r.text().contains("This node holds no keystore"), "{}", r.text());

    let on = crate::drafts::custodial(true);
    let request = on.authorized.id.to_hex();
    let session = sign_in(&on.h.router, &on.unbound).await;
    let cookies = [("vouch_session", session.as_str())];
    let page = get(&on.h.router, &format!("/confirmations/{request}"), &cookies).await;
    let csrf = csrf_field(&page.text());
    let body = format!("csrf={csrf}&action=decline&reason=no");
    let r = send(
        &on.h.router,
        Method::POST,
        &format!("/confirmations/{request}/draft"),
        &cookies,
        Some(&body),
        &[],
    )
    .await;
    assert_html_page(&r, StatusCode::FORBIDDEN, "unbound token");
    assert!(r.text().contains("not bound to a person"), "{}", r.text());
    assert_eq!(on.submitted(), 0);
}

/// Every distinct `a:<item>:<row>` radio group of an answer form.
fn answer_groups(form: &str) -> Vec<String> {
    let mut groups: Vec<String> = form
        .split("name=\"a:")
        .skip(1)
        .filter_map(|p| p.split('"').next())
        .map(|g| format!("a:{g}"))
        .collect();
    groups.dedup();
    groups
}

const OFFICERS: &str = "maker_name=%E9%99%88&maker_position=desk&maker_phone=1&checker_name=%E5%AD%99&checker_position=desk&checker_phone=2";

/// Post an answer form for `request` as `session` with the exception on deposits row 0,
/// sign it as maker, then as checker: the number of documents submitted after.
async fn answer_and_sign(c: &crate::drafts::Custodial, request: &str, correct: bool) -> crate::Reply {
    let router = &c.h.router;
    let maker = sign_in(router, &c.maker).await;
    let query = if correct { "?correct=1" } else { "" };
    let form =
        get(router, &format!("/confirmations/{request}/respond{query}"), &[("vouch_session", &maker)]).await;
    assert_html_page(&form, StatusCode::OK, "answer form");
    let text = form.text();
    assert!(text.contains("1,234,567.89 CNY"), "stated amounts formatted: {text}");
    let csrf = csrf_field(&text);
    let mut body = format!("csrf={csrf}&checker=sun-fuhe&{OFFICERS}");
    for group in answer_groups(&text) {
        let choice = if group == "a:deposits:0" { "exception" } else { "agreed" };
        body.push_str(&format!("&{}={choice}", form_value(&group)));
    }
    body.push_str(&format!("&{}=1234000.00", form_value("b:deposits:0:balance")));
    body.push_str(&format!("&{}=%3Cscript%3Ebad%3C%2Fscript%3E", form_value("e:deposits:0")));
    if correct {
        body.push_str("&mode=correct&reason=balance+rechecked");
    }
    let r = send(
        router,
        Method::POST,
        &format!("/confirmations/{request}/respond"),
        &[("vouch_session", &maker)],
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let draft_page = location(&r).to_string();
    let shown = get(router, &draft_page, &[("vouch_session", &maker)]).await;
    let shown_text = shown.text();
    assert!(shown_text.contains("1234000.00") && shown_text.contains("&lt;script&gt;bad"), "{shown_text}");
    assert!(shown_text.contains("1,234,000.00 CNY"), "the bank's figure, readable: {shown_text}");
    assert!(!shown_text.contains("<script>bad"));
    let hash =
        shown_text.split("id=\"signing-hash\" class=\"hash\">").nth(1).expect("hash").get(..64).expect("hex");
    let draft = draft_page.trim_start_matches("/drafts/").split('?').next().expect("id").to_string();
    let sign = format!("/drafts/{draft}/sign");
    let r = send(
        router,
        Method::POST,
        &sign,
        &[("vouch_session", &maker)],
        Some(&format!("csrf={}&sha256={hash}", csrf_field(&shown_text))),
        &[],
    )
    .await;
    assert_html_page(&r, StatusCode::OK, "maker signs");
    assert!(r.text().contains(&format!("/drafts/{draft}")), "the checker is told where: {}", r.text());
    // The checker opens the same draft and signs it.
    let checker = sign_in(router, &c.checker).await;
    let seen = get(router, &format!("/drafts/{draft}"), &[("vouch_session", &checker)]).await;
    assert!(seen.text().contains("id=\"awaiting-checker\"") && seen.text().contains(hash), "{}", seen.text());
    let body = format!("csrf={}&sha256={hash}", csrf_field(&seen.text()));
    send(router, Method::POST, &sign, &[("vouch_session", &checker)], Some(&body), &[]).await
}

#[tokio::test]
async fn a_bank_answers_item_by_item_and_corrects_with_maker_and_checker() {
    let c = crate::drafts::custodial(true);
    let authorized = c.authorized.id.to_hex();
    let page = get(
        &c.h.router,
        &format!("/confirmations/{authorized}"),
        &[("vouch_session", &sign_in(&c.h.router, &c.maker).await)],
    )
    .await;
    assert!(page.text().contains("id=\"answer-link\""), "{}", page.text());
    let r = answer_and_sign(&c, &authorized, false).await;
    assert_html_page(&r, StatusCode::OK, "checker signs the answer");
    assert_eq!(c.submitted(), 1, "the answer, with both signatures, submitted");

    let answered = c.answered.id.to_hex();
    let r = answer_and_sign(&c, &answered, true).await;
    assert_html_page(&r, StatusCode::OK, "checker signs the correction");
    assert_eq!(c.submitted(), 2);

    // Another bank's person does not get the letter: not found.
    let other = sign_in(&c.h.router, &c.other_org).await;
    let r =
        get(&c.h.router, &format!("/confirmations/{authorized}/respond"), &[("vouch_session", &other)]).await;
    assert_html_page(&r, StatusCode::NOT_FOUND, "another bank's letter");
    // A client cannot answer.
    let client = sign_in(&c.h.router, &c.client).await;
    let r = get(&c.h.router, &format!("/confirmations/{authorized}/respond"), &[("vouch_session", &client)])
        .await;
    assert_html_page(&r, StatusCode::FORBIDDEN, "a client");
}

/// The demo letter as the request form's fields, URL-encoded.
fn demo_request_form(letter_no: &str) -> String {
    let demo =
        serde_json::to_value(vouch_core::testkit::demo_request_contents().expect("demo")).expect("json");
    let mut f: Vec<(String, String)> = [
        ("form", "form1"),
        ("bank", "bank-b"),
        ("client", "b-000001"),
        ("as_of", "2026-06-30"),
        ("letter_no", letter_no),
        ("closed_from", "2025-01-01"),
        ("closed_to", "2025-12-31"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let letter = &demo["letter"];
    for k in [
        "client_name",
        "client_credit_code",
        "audit_firm_name",
        "period_audited",
        "auditing_standard",
        "fee_account",
    ] {
        f.push((k.into(), letter[k].as_str().unwrap_or("").into()));
    }
    for k in ["name", "address", "phone", "postcode"] {
        f.push((format!("reply_{k}"), letter["reply_to"][k].as_str().unwrap_or("").into()));
    }
    for (name, item) in demo["items"].as_object().expect("items") {
        f.push((format!("s:{name}"), item["state"].as_str().expect("state").into()));
        if name == "other" {
            f.push(("other_text".into(), item["text"].as_str().unwrap_or("").into()));
        }
        for (i, row) in item.get("rows").and_then(|r| r.as_array()).into_iter().flatten().enumerate() {
            for (c, v) in row.as_object().expect("row") {
                f.push((
                    format!("r:{name}:{i}:{c}"),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                ));
            }
        }
    }
    serde_urlencoded::to_string(&f).expect("encodes")
}

#[tokio::test]
async fn an_auditor_writes_a_request_adding_and_removing_rows_then_signs_it() {
    let c = crate::drafts::custodial(true);
    let router = &c.h.router;
    let auditor = sign_in(router, &c.auditor).await;
    let cookies = [("vouch_session", auditor.as_str())];
    let blank = get(router, "/requests/new", &cookies).await;
    assert_html_page(&blank, StatusCode::OK, "request form");
    let text = blank.text();
    for item in ["deposits", "loans", "guarantees_given", "wealth_management", "cash_pooling", "other"] {
        assert!(text.contains(&format!("id=\"item-{item}\"")), "{item}: {text}");
    }
    let csrf = csrf_field(&text);
    // "Add a row" posts the form and gets it back with one more row, no script needed.
    let added = send(
        router,
        Method::POST,
        "/requests/new",
        &cookies,
        Some(&format!("csrf={csrf}&op=add%3Aloans&letter_no=X-1")),
        &[],
    )
    .await;
    assert_html_page(&added, StatusCode::OK, "row added");
    assert!(
        added.text().contains("id=\"row-loans-0\"") && added.text().contains("value=\"X-1\""),
        "{}",
        added.text()
    );
    let removed = send(
        router,
        Method::POST,
        "/requests/new",
        &cookies,
        Some(&format!("csrf={csrf}&op=remove%3Aloans%3A0&s%3Aloans=rows&r%3Aloans%3A0%3Acurrency=CNY")),
        &[],
    )
    .await;
    assert!(!removed.text().contains("id=\"row-loans-0\""), "{}", removed.text());
    // An incomplete letter comes back with its problems, nothing drafted or signed.
    let bad = send(
        router,
        Method::POST,
        "/requests/new",
        &cookies,
        Some(&format!("csrf={csrf}&op=prepare&bank=bank-b")),
        &[],
    )
    .await;
    assert_html_page(&bad, StatusCode::BAD_REQUEST, "incomplete");
    assert!(bad.text().contains("id=\"request-errors\""), "{}", bad.text());
    // Without the CSRF token: refused.
    let body = format!("{}&op=prepare", demo_request_form("AX-2026-0300"));
    let r = send(router, Method::POST, "/requests/new", &cookies, Some(&body), &[]).await;
    assert_html_page(&r, StatusCode::FORBIDDEN, "no csrf");
    // The whole demo letter: drafted, shown, signed.
    let r = send(router, Method::POST, "/requests/new", &cookies, Some(&format!("csrf={csrf}&{body}")), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let shown = get(router, location(&r), &cookies).await;
    let text = shown.text();
    assert!(text.contains("AX-2026-0300") && text.contains("1234567.89"), "{text}");
    let hash =
        text.split("id=\"signing-hash\" class=\"hash\">").nth(1).expect("hash").get(..64).expect("hex");
    let draft = location(&r).trim_start_matches("/drafts/").to_string();
    let body = format!("csrf={csrf}&sha256={hash}");
    let signed =
        send(router, Method::POST, &format!("/drafts/{draft}/sign"), &cookies, Some(&body), &[]).await;
    assert_html_page(&signed, StatusCode::OK, "request signed");
    assert_eq!(c.submitted(), 1);
    // A bank does not write requests.
    let bank = sign_in(router, &c.maker).await;
    let r = get(router, "/requests/new", &[("vouch_session", &bank)]).await;
    assert_html_page(&r, StatusCode::FORBIDDEN, "bank");
}

const CSV_HEADER: &str = "bank,client,as_of,letter_no,client_name,client_credit_code,audit_firm_name,period_audited,auditing_standard,reply_name,reply_address,reply_phone,items";

fn csv_row(client: &str, letter_no: &str, items: &str) -> String {
    format!(
        "bank-b,{client},2026-06-30,{letter_no},\"乙示例有限公司\",9144030071526726XG,示例会计师事务所,2025年度,中国注册会计师审计准则,王审计,\"杭州市, 西湖区\",0571-1,{items}"
    )
}

#[tokio::test]
async fn a_batch_from_csv_is_previewed_row_by_row_before_anything_is_signed() {
    let c = crate::drafts::custodial(true);
    let router = &c.h.router;
    let auditor = sign_in(router, &c.auditor).await;
    let cookies = [("vouch_session", auditor.as_str())];
    let form = get(router, "/requests/batch", &cookies).await;
    assert_html_page(&form, StatusCode::OK, "batch form");
    let csrf = csrf_field(&form.text());
    let post = |csv: String| {
        let body =
            serde_urlencoded::to_string([("csrf", csrf.as_str()), ("csv", csv.as_str())]).expect("encodes");
        async move { send(router, Method::POST, "/requests/batch", &cookies, Some(&body), &[]).await }
    };
    // Malformed rows: each named, nothing prepared.
    let bad = format!(
        "{CSV_HEADER}\n{}\nbank-b,b-000001\n{}\n",
        csv_row("b-000001", "B-1", "deposits;<script>x</script>"),
        csv_row("b-000001", "B-3", "loans")
    );
    let r = post(bad).await;
    assert_html_page(&r, StatusCode::BAD_REQUEST, "malformed csv");
    let text = r.text();
    assert_eq!(text.matches("class=\"batch-error\"").count(), 2, "{text}");
    assert!(text.contains("&lt;script&gt;") && !text.contains("<script>x"), "{text}");
    // Well-formed but refused against the ledger (an unknown client): named too.
    let r = post(format!(
        "{CSV_HEADER}\n{}\n{}\n",
        csv_row("b-000001", "B-1", "deposits"),
        csv_row("b-404", "B-2", "loans")
    ))
    .await;
    assert_html_page(&r, StatusCode::BAD_REQUEST, "unknown client");
    assert!(r.text().contains("b-404"), "{}", r.text());
    assert_eq!(c.submitted(), 0, "nothing signed");
    // Good rows: previewed with their hashes, then signed all at once.
    let r = post(format!(
        "{CSV_HEADER}\n{}\n{}\n",
        csv_row("b-000001", "B-10", "deposits;loans;other"),
        csv_row("b-000001", "B-11", "deposits")
    ))
    .await;
    assert_html_page(&r, StatusCode::OK, "preview");
    let text = r.text();
    assert!(text.contains("id=\"batch-ok\"") && text.contains("B-10") && text.contains("B-11"), "{text}");
    assert_eq!(c.submitted(), 0, "previewing signs nothing");
    let hash = text.split("id=\"batch-hash\" class=\"hash\">").nth(1).expect("hash").get(..64).expect("hex");
    let action =
        text.split("action=\"/requests/batch/").nth(1).expect("sign form").split('"').next().expect("path");
    let sign = format!("/requests/batch/{action}");
    let wrong = send(
        router,
        Method::POST,
        &sign,
        &cookies,
        Some(&format!("csrf={csrf}&sha256={}", "0".repeat(64))),
        &[],
    )
    .await;
    assert_html_page(&wrong, StatusCode::CONFLICT, "another hash");
    assert_eq!(c.submitted(), 0);
    let r =
        send(router, Method::POST, &sign, &cookies, Some(&format!("csrf={csrf}&sha256={hash}")), &[]).await;
    assert_html_page(&r, StatusCode::OK, "signed all");
    assert_eq!(r.text().matches("class=\"batch-pending\"").count(), 2, "{}", r.text());
    assert_eq!(c.submitted(), 2);
}

#[tokio::test]
async fn a_csv_file_is_uploaded_as_multipart() {
    let c = crate::drafts::custodial(true);
    let router = &c.h.router;
    let auditor = sign_in(router, &c.auditor).await;
    let cookies = [("vouch_session", auditor.as_str())];
    let csrf = csrf_field(&get(router, "/requests/batch", &cookies).await.text());
    let csv = format!("\u{feff}{CSV_HEADER}\r\n{}\r\n", csv_row("b-000001", "F-1", "deposits;loans"));
    let boundary = "vouchtestboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"csv_file\"; filename=\"letters.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\n\r\n--{boundary}--\r\n"
    );
    let req = Request::post("/requests/batch")
        .header(header::COOKIE, format!("vouch_session={auditor}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body.clone()))
        .expect("request");
    let r = Reply::read(router.clone().oneshot(req).await.expect("infallible")).await;
    assert_html_page(&r, StatusCode::OK, "uploaded csv");
    assert!(r.text().contains("id=\"batch-ok\"") && r.text().contains("F-1"), "{}", r.text());
    // The same upload without the CSRF field is refused.
    let forged = body.replace(&csrf, "");
    let req = Request::post("/requests/batch")
        .header(header::COOKIE, format!("vouch_session={auditor}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(forged))
        .expect("request");
    let r = Reply::read(router.clone().oneshot(req).await.expect("infallible")).await;
    assert_html_page(&r, StatusCode::FORBIDDEN, "upload without csrf");
    assert_eq!(c.submitted(), 0);
}

#[tokio::test]
async fn reminders_list_what_the_api_lists() {
    let h = Harness::extended(crate::worklists::scenario);
    for token in [&h.tokens.bank_b, &h.tokens.auditor, &h.tokens.regulator] {
        let session = sign_in(&h.router, token).await;
        let page = get(&h.router, "/reminders?within_days=10", &[("vouch_session", &session)]).await;
        assert_html_page(&page, StatusCode::OK, "reminders");
        let text = page.text();
        let api = h.get("/v1/reminders?within_days=10", Some(token)).await.json();
        let letters: Vec<&str> = api["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["letter_no"].as_str().expect("no"))
            .collect();
        assert!(!letters.is_empty());
        for letter in &letters {
            assert!(text.contains(letter), "{letter}: {text}");
        }
        assert_eq!(text.matches("class=\"open\"").count(), letters.len(), "{text}");
        let bad = get(&h.router, "/reminders?within_days=999", &[("vouch_session", &session)]).await;
        assert_html_page(&bad, StatusCode::BAD_REQUEST, "out of range");
    }
}

/// A multipart form of `fields` (name, value): its content type and body.
fn multipart(fields: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "vouch-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{name}.json\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(router: &axum::Router, uri: &str, session: &str, fields: &[(&str, &[u8])]) -> Reply {
    let (content_type, body) = multipart(fields);
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, format!("vouch_session={session}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("request");
    Reply::read(router.clone().oneshot(req).await.expect("infallible")).await
}

#[tokio::test]
async fn the_regulator_sees_statistics_runs_the_self_audit_and_verifies_a_bundle() {
    let h = Harness::extended(crate::worklists::scenario);
    let regulator = sign_in(&h.router, &h.tokens.regulator).await;
    let cookies = [("vouch_session", regulator.as_str())];

    // Statistics: one row and two charts per bank of genesis, drawn as SVG here.
    let page = get(&h.router, "/oversight", &cookies).await;
    assert_html_page(&page, StatusCode::OK, "oversight");
    let text = page.text();
    for bank in ["bank-a", "bank-b"] {
        assert!(text.contains(&format!("id=\"bank-{bank}\"")), "{bank}: {text}");
        assert!(text.contains(&format!("<svg id=\"days-{bank}\"")), "{bank}: {text}");
        assert!(text.contains(&format!("<svg id=\"months-{bank}\"")), "{bank}: {text}");
    }
    let bad = get(&h.router, "/oversight?from=2026-02-01&to=2026-01-01", &cookies).await;
    assert_html_page(&bad, StatusCode::BAD_REQUEST, "from after to");
    let zh =
        get(&h.router, "/oversight", &[("vouch_session", regulator.as_str()), ("vouch_lang", "zh")]).await;
    assert!(zh.text().contains("按时回函率"), "{}", zh.text());

    // The self-audit runs only from its form.
    let form = get(&h.router, "/self-audit", &cookies).await.text();
    let csrf = csrf_field(&form);
    let refused = send(&h.router, Method::POST, "/self-audit", &cookies, Some("csrf=forged"), &[]).await;
    assert_html_page(&refused, StatusCode::FORBIDDEN, "self-audit without its CSRF token");
    let ran =
        send(&h.router, Method::POST, "/self-audit", &cookies, Some(&format!("csrf={csrf}")), &[]).await;
    assert_html_page(&ran, StatusCode::OK, "self-audit");
    assert!(ran.text().contains("id=\"audit-ok\""), "{}", ran.text());

    // A bundle downloaded from the console verifies; one byte changed does not.
    let id = h.facts.confirmation.request.id.to_hex();
    let bundle = get(&h.router, &format!("/confirmations/{id}/bundle"), &cookies).await;
    assert_eq!(bundle.status, StatusCode::OK, "{}", bundle.text());
    let ok = post_multipart(
        &h.router,
        "/verify",
        &regulator,
        &[("csrf", csrf.as_bytes()), ("bundle", &bundle.body)],
    )
    .await;
    assert_html_page(&ok, StatusCode::OK, "verify");
    assert!(
        ok.text().contains("id=\"verify-ok\"") && ok.text().contains("id=\"verify-authority\""),
        "{}",
        ok.text()
    );
    let mut forged = bundle.body.to_vec();
    let at = forged.iter().position(|b| b.is_ascii_digit()).expect("a digit");
    forged[at] = if forged[at] == b'9' { b'8' } else { forged[at] + 1 };
    let bad =
        post_multipart(&h.router, "/verify", &regulator, &[("csrf", csrf.as_bytes()), ("bundle", &forged)])
            .await;
    assert!(bad.text().contains("id=\"verify-failed\""), "{}", bad.text());
    let no_csrf = post_multipart(&h.router, "/verify", &regulator, &[("bundle", &bundle.body)]).await;
    assert_html_page(&no_csrf, StatusCode::FORBIDDEN, "verify without its CSRF token");
}

#[tokio::test]
async fn the_integrity_page_shows_the_monitors_alerts_as_text() {
    let (router, _, _) = with_options(ConsoleOptions::default());
    let page = get(&router, "/integrity", &[]).await;
    assert!(page.text().contains("id=\"alerts-none\""), "{}", page.text());

    let (mut fake, _) = Fake::build(None);
    fake.alerts = vec![vouch_api::Alert {
        seq: 0,
        height: 7,
        kind: "double-vote".into(),
        culprit: Some("<b>key</b>".into()),
        json: r#"{"validator":"<script>x</script>","height":7}"#.into(),
    }];
    let tokens = Tokens::issue();
    let router = vouch_api::router_with_console(
        Arc::new(fake),
        Arc::new(tokens.list.clone()),
        None,
        ConsoleOptions::default(),
    );
    let page = get(&router, "/integrity", &[]).await;
    assert_html_page(&page, StatusCode::OK, "alerts");
    let text = page.text();
    assert!(text.contains("id=\"alert-0\"") && text.contains("double-vote"), "{text}");
    assert!(!text.contains("id=\"alerts-none\""), "{text}");
    assert!(text.contains("&lt;script&gt;x&lt;/script&gt;") && !text.contains("<script>x"), "{text}");
    assert!(text.contains("&lt;b&gt;key&lt;/b&gt;"), "{text}");
}

#[tokio::test]
async fn a_bank_fills_in_a_form_2_letter_with_its_own_rows() {
    let c = crate::drafts::custodial(true);
    let router = &c.h.router;
    let request = c.authorized_form2.id.to_hex();
    let maker = sign_in(router, &c.maker).await;
    let form = get(router, &format!("/confirmations/{request}/respond"), &[("vouch_session", &maker)]).await;
    assert_html_page(&form, StatusCode::OK, "form-2 answer form");
    let text = form.text();
    assert!(text.contains("id=\"fill-deposits\"") && text.contains("id=\"fill-loans-2\""), "{text}");
    assert!(answer_groups(&text).is_empty(), "nothing stated to agree with: {text}");
    let csrf = csrf_field(&text);
    let mut body = format!("csrf={csrf}&checker=sun-fuhe&{OFFICERS}");
    for (k, v) in [
        ("f:deposits:0:account_name", "乙示例有限公司"),
        ("f:deposits:0:account_number", "6222000011112222"),
        ("f:deposits:0:currency", "CNY"),
        ("f:deposits:0:balance", "88000.00"),
        ("f:deposits:0:account_type", "基本存款账户"),
        ("f:deposits:0:cash_pooling", "false"),
        ("f:deposits:0:restricted", "false"),
    ] {
        body.push_str(&format!("&{}={}", form_value(k), form_value(v)));
    }
    // A yes/no answer that is neither is refused, naming the row.
    let bad = format!("{body}&{}=maybe", form_value("f:deposits:1:restricted"));
    let r = send(
        router,
        Method::POST,
        &format!("/confirmations/{request}/respond"),
        &[("vouch_session", &maker)],
        Some(&bad),
        &[],
    )
    .await;
    assert!(r.status.is_client_error() && r.text().contains("deposits row 2"), "{}", r.text());
    let r = send(
        router,
        Method::POST,
        &format!("/confirmations/{request}/respond"),
        &[("vouch_session", &maker)],
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let shown = get(router, location(&r), &[("vouch_session", &maker)]).await.text();
    // The bank's row for deposits; every other item asked is answered "none".
    assert!(shown.contains("6222000011112222") && shown.contains("filled"), "{shown}");
    let hash =
        shown.split("id=\"signing-hash\" class=\"hash\">").nth(1).expect("hash").get(..64).expect("hex");
    let draft = location(&r).trim_start_matches("/drafts/").split('?').next().expect("id").to_string();
    let sign = format!("/drafts/{draft}/sign");
    let body = format!("csrf={csrf}&sha256={hash}");
    let r = send(router, Method::POST, &sign, &[("vouch_session", &maker)], Some(&body), &[]).await;
    assert_html_page(&r, StatusCode::OK, "maker signs");
    let checker = sign_in(router, &c.checker).await;
    let seen = get(router, &format!("/drafts/{draft}"), &[("vouch_session", &checker)]).await;
    let body = format!("csrf={}&sha256={hash}", csrf_field(&seen.text()));
    let r = send(router, Method::POST, &sign, &[("vouch_session", &checker)], Some(&body), &[]).await;
    assert_html_page(&r, StatusCode::OK, "checker signs");
    assert_eq!(c.submitted(), 1, "the form-2 answer, with both signatures, submitted");
}
