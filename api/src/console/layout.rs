//! Lay out every console page: the HTML shell (header, navigation by role, language
//! switch, sign-out form), the response headers every console answer carries, and the
//! error pages.

use super::i18n::Lang;
use crate::auth::{Principal, Role};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// The Content-Security-Policy of every console response: nothing but this origin's own
/// styles and scripts, no framing, forms post only here.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Path of the stylesheet (versioned: served with a year-long cache).
pub const CSS_PATH: &str = "/assets/v1/console.css";

/// Who is looking, for the page's chrome.
pub struct Chrome<'a> {
    /// The language.
    pub lang: Lang,
    /// The signed-in principal and its session's CSRF token, if signed in.
    pub signed: Option<(&'a Principal, &'a str)>,
    /// The page's own path and query, for the language switch to come back to.
    pub here: &'a str,
}

/// Add the security headers every console response carries.
pub fn secure(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

/// An HTML page: `no-store`, since pages show what one session may see.
pub fn page(status: StatusCode, chrome: &Chrome<'_>, title: &str, body: Markup) -> Response {
    let l = chrome.lang;
    let markup = html! {
        (DOCTYPE)
        html lang=(l.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (l.t("app.name")) }
                link rel="stylesheet" href=(CSS_PATH);
            }
            body {
                header id="top" {
                    a id="home" class="brand" href="/" { (l.t("app.name")) }
                    nav id="nav" { (nav(chrome)) }
                    div id="lang" {
                        @for other in Lang::ALL {
                            @if other == l {
                                span class="current" { (other.own_name()) }
                            } @else {
                                a id={ "lang-" (other.code()) } hreflang=(other.tag())
                                    href={ "/lang?set=" (other.code()) "&next=" (encode(chrome.here)) } { (other.own_name()) }
                            }
                        }
                    }
                    (who(chrome))
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
                footer { (l.t("footer.served")) }
            }
        }
    };
    let mut resp = (status, markup.into_string()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure(resp)
}

fn nav(chrome: &Chrome<'_>) -> Markup {
    let l = chrome.lang;
    html! {
        a id="nav-integrity" href="/integrity" { (l.t("nav.integrity")) }
        @if let Some((p, _)) = chrome.signed {
            @match p.role {
                Role::AuditFirm => {
                    a id="nav-dashboard" href="/dashboard" { (l.t("nav.dashboard")) }
                    a id="nav-new-request" href="/requests/new" { (l.t("nav.new_request")) }
                    a id="nav-batch" href="/requests/batch" { (l.t("nav.batch")) }
                }
                Role::Bank | Role::Client => { a id="nav-inbox" href="/inbox" { (l.t("nav.inbox")) } }
                Role::Regulator => { a id="nav-oversight" href="/oversight" { (l.t("nav.oversight")) } }
            }
            @if p.may_self_audit() { a id="nav-self-audit" href="/self-audit" { (l.t("nav.self_audit")) } }
            a id="nav-verify" href="/verify" { (l.t("nav.verify")) }
            a id="nav-reminders" href="/reminders" { (l.t("nav.reminders")) }
        }
    }
}

fn who(chrome: &Chrome<'_>) -> Markup {
    let l = chrome.lang;
    html! {
        div id="who" {
            @if let Some((p, csrf)) = chrome.signed {
                span id="signed-in-as" { (p.name) " · " (p.org) " · " (role_label(l, p.role)) }
                form id="sign-out-form" method="post" action="/sign-out" {
                    input type="hidden" name="csrf" value=(csrf);
                    button id="sign-out" type="submit" { (l.t("nav.sign_out")) }
                }
            } @else {
                a id="sign-in-link" href="/sign-in" { (l.t("nav.sign_in")) }
            }
        }
    }
}

/// A role's name.
pub fn role_label(l: Lang, role: Role) -> &'static str {
    match role {
        Role::Bank => l.t("role.bank"),
        Role::AuditFirm => l.t("role.audit_firm"),
        Role::Regulator => l.t("role.regulator"),
        Role::Client => l.t("role.client"),
    }
}

/// Percent-encode `text` for a query value.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A refusal or failure, shown as a page.
pub fn error_page(
    status: StatusCode,
    chrome: &Chrome<'_>,
    title_key: &'static str,
    detail: Option<&str>,
) -> Response {
    let l = chrome.lang;
    let body = html! {
        div id="error" class="notice error" {
            p { (match (title_key, status) {
                ("error.keystore_off", _) => l.t("error.keystore_off_text"),
                ("error.no_signer", _) => l.t("error.no_signer_text"),
                ("error.csrf", _) => l.t("error.csrf_text"),
                ("error.refused", _) => l.t("error.refused_text"),
                ("error.draft_mismatch", _) => l.t("error.draft_mismatch_text"),
                (_, StatusCode::NOT_FOUND) => l.t("error.not_found_text"),
                (_, StatusCode::FORBIDDEN) => l.t("error.forbidden_text"),
                (_, StatusCode::BAD_REQUEST) => l.t("error.bad_request_text"),
                _ => l.t("error.unavailable_text"),
            }) }
            @if let Some(d) = detail { p class="detail" { code { (d) } } }
            p { a href="/" { (l.t("error.back_home")) } }
        }
    };
    page(status, chrome, l.t(title_key), body)
}

/// A 303 to `location` (a local path), with the console's headers.
pub fn see_other(location: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure(resp)
}

/// Whether `next` is a path on this site: starts with one `/`, no scheme, host or
/// backslash, no control characters, bounded. Anything else is replaced by `/`, so a
/// link cannot send a signed-in user elsewhere (no open redirect).
pub fn local_path(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= crate::limits::CONSOLE_NEXT_BYTES_MAX
        && !next.bytes().any(|b| b.is_ascii_control() || b == b'\\' || !b.is_ascii());
    if ok { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_redirect_targets() {
        for good in ["/", "/inbox", "/confirmations/ab?x=1", "/dashboard?page=2&status=authorized"] {
            assert_eq!(local_path(good), good);
        }
        for bad in [
            "",
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "/\\/evil",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x=1",
            "inbox",
            "/é",
        ] {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("/inbox?page=2&x=a b"), "/inbox%3Fpage%3D2%26x%3Da%20b");
    }
}
