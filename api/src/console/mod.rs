//! Serve the web console: server-rendered HTML pages for auditors, banks, clients and
//! regulators, on the same origin as the API and over the same functions the API's
//! handlers call (never HTTP to itself).
//!
//! # Design
//!
//! - [`session`]: sign-in sessions in memory (cookie `vouch_session`), their CSRF tokens,
//!   idle timeout, a bound on their number;
//! - [`i18n`] and its catalogue: English and Simplified Chinese, dates and amounts;
//! - [`layout`]: the page shell, the security headers every answer carries, error pages,
//!   the local-path check that keeps redirects on this site;
//! - `public`: the integrity page anyone may see, sign-in and sign-out;
//! - `worklists`: the auditor's dashboard, the bank's and the client's inbox, reminders;
//! - `confirmation`: one confirmation's timeline, with each document's inclusion proof
//!   checked here against the latest cosigned checkpoint, and its evidence bundle;
//! - `signing`: custodial signing in the browser: form, then the exact document and its
//!   hash, then "Sign" (the API's drafts); `respond`: the bank's item-by-item answer
//!   and its correction, into the same flow; `request`: the auditor's letter, every
//!   item of the standard form, rows added and removed without JavaScript; `batch`: many
//!   requests from a CSV file (or pasted), every row's problems shown before anything is signed.
//! - `regulator`: per-bank statistics with SVG charts, the self-audit, and the
//!   verification of an uploaded evidence bundle.
//!
//! Visibility is the API's: a session speaks for the token it was opened with, whose
//! principal is looked up again at every request ([`crate::auth::Principal::sees`]); a
//! confirmation the caller may not see is "not found", like an unknown id.
//!
//! Pages are rendered with maud (compiled templates, escaped by default), so a
//! document's free text shows as text. The one stylesheet is embedded in the binary;
//! nothing is loaded from elsewhere, and the Content-Security-Policy says so.

mod batch;
mod catalogue;
mod confirmation;
pub mod i18n;
pub mod layout;
mod public;
mod regulator;
mod request;
mod respond;
pub mod session;
mod signing;
mod worklists;

use crate::auth::{AuthError, Principal};
use crate::limits::CONSOLE_FORM_BYTES_MAX;
use crate::problem::{Kind, Problem};
use crate::{Ctx, blocking};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use i18n::Lang;
use layout::{Chrome, error_page, secure};
use serde::de::DeserializeOwned;
use session::{Live, SESSION_COOKIE, Sessions, cookie};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the node serves the console (`[console]` in the node's configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleOptions {
    /// Mark cookies `Secure`: set when the console is reached over TLS (directly or
    /// through a terminating proxy).
    pub secure_cookies: bool,
    /// A session unused this long is signed out.
    pub idle_timeout: Duration,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions { secure_cookies: false, idle_timeout: Duration::from_secs(30 * 60) }
    }
}

/// What every console handler reads.
#[derive(Clone)]
pub(crate) struct Console {
    ctx: Ctx,
    sessions: Arc<Sessions>,
    options: ConsoleOptions,
}

/// The console's routes, with their state. Merged beside the API by
/// [`crate::router_with_console`]; none is under `/v1`.
pub(crate) fn router(ctx: Ctx, options: ConsoleOptions) -> Router {
    let console = Console { ctx, sessions: Arc::new(Sessions::new(options.idle_timeout)), options };
    Router::new()
        .route("/", get(public::home))
        .route("/integrity", get(public::integrity))
        .route("/sign-in", get(public::sign_in_form).post(public::sign_in))
        .route("/sign-out", post(public::sign_out))
        .route("/lang", get(switch_language))
        .route("/dashboard", get(worklists::dashboard))
        .route("/inbox", get(worklists::inbox))
        .route("/reminders", get(worklists::reminders))
        .route("/confirmations/{id}", get(confirmation::show))
        .route("/confirmations/{id}/bundle", get(confirmation::bundle))
        .route("/confirmations/{id}/report", get(confirmation::report))
        .route("/confirmations/{id}/draft", post(signing::draft))
        .route("/confirmations/{id}/respond", get(respond::form).post(respond::submit))
        .route("/requests/new", get(request::new).post(request::post))
        .route(
            "/requests/batch",
            get(batch::form)
                .post(batch::preview)
                // The CSV and the multipart framing around it.
                .layer(DefaultBodyLimit::max(batch::CSV_BYTES_MAX + 16 * 1024)),
        )
        .route("/requests/batch/{id}/sign", post(batch::sign_all))
        .route("/drafts/{id}", get(signing::show))
        .route("/drafts/{id}/sign", post(signing::sign))
        .route("/oversight", get(regulator::oversight))
        .route("/self-audit", get(regulator::self_audit_form).post(regulator::self_audit_run))
        .route(
            "/verify",
            get(regulator::verify_form)
                .post(regulator::verify_upload)
                .layer(DefaultBodyLimit::max(vouch_core::limits::BUNDLE_BYTES_MAX + CONSOLE_FORM_BYTES_MAX)),
        )
        .route("/assets/v1/{name}", get(asset))
        .layer(DefaultBodyLimit::max(CONSOLE_FORM_BYTES_MAX))
        .with_state(console)
}

/// Whether `path` is the console's to answer when no route matches (else the API's
/// problem fallback answers): anything not under `/v1`, `/docs` or `/openapi`.
pub(crate) fn owns_path(path: &str) -> bool {
    !(path == "/v1"
        || path.starts_with("/v1/")
        || path.starts_with("//")
        || path.starts_with("/docs")
        || path.starts_with("/openapi"))
}

/// The language a request's headers ask the console for.
pub(crate) fn language(headers: &HeaderMap) -> Lang {
    Lang::of(headers)
}

/// The console's "not found" page for a path no route serves.
pub(crate) fn not_found(headers: &HeaderMap, here: &str) -> Response {
    let chrome = Chrome { lang: Lang::of(headers), signed: None, here: layout::local_path(here) };
    error_page(StatusCode::NOT_FOUND, &chrome, "error.not_found", None)
}

/// The console's page for a refusal axum made before any console handler ran (see
/// [`crate::named_refusals`]), saying what axum said, in the visitor's language `lang`
/// ([`language`] of the request).
pub(crate) fn refusal_page(lang: Lang, here: &str, status: StatusCode, detail: &str) -> Response {
    let chrome = Chrome { lang, signed: None, here: layout::local_path(here) };
    let key = if status == StatusCode::NOT_FOUND { "error.not_found" } else { "error.bad_request" };
    error_page(status, &chrome, key, Some(detail))
}

/// A page answered instead of the one asked for (sign-in redirect, refusal), boxed: a
/// `Response` is large, and the happy path should not carry its size.
pub(crate) type Refused = Box<Response>;

/// A signed-in principal and its session.
pub(crate) struct Signed {
    principal: Principal,
    live: Live,
}

/// Who is asking: language, the page's path, the session if one is live.
pub(crate) struct Visitor {
    lang: Lang,
    here: String,
    signed: Option<Signed>,
}

impl Visitor {
    fn chrome(&self) -> Chrome<'_> {
        Chrome {
            lang: self.lang,
            signed: self.signed.as_ref().map(|s| (&s.principal, s.live.csrf.as_str())),
            here: &self.here,
        }
    }

    /// The signed-in principal, or a redirect to sign-in that comes back here.
    fn require(&self) -> Result<&Principal, Refused> {
        match &self.signed {
            Some(s) => Ok(&s.principal),
            None => {
                Err(Box::new(layout::see_other(&format!("/sign-in?next={}", layout::encode(&self.here)))))
            }
        }
    }

    /// A page refusing this visitor.
    fn refuse(&self, status: StatusCode, title_key: &'static str, detail: Option<&str>) -> Response {
        error_page(status, &self.chrome(), title_key, detail)
    }

    /// The page for a problem met while answering.
    fn problem(&self, p: &Problem) -> Response {
        let detail = Some(p.detail.as_str());
        match p.kind {
            // Not visible and unknown look the same, as in the API.
            Kind::NoConfirmation => self.refuse(StatusCode::NOT_FOUND, "error.not_found", None),
            Kind::NoDraft => self.refuse(StatusCode::NOT_FOUND, "error.not_found", detail),
            Kind::InvalidParameter | Kind::InvalidDraft => {
                self.refuse(StatusCode::BAD_REQUEST, "error.bad_request", detail)
            }
            Kind::Forbidden => self.refuse(StatusCode::FORBIDDEN, "error.forbidden", detail),
            Kind::KeystoreOff => self.refuse(StatusCode::FORBIDDEN, "error.keystore_off", None),
            Kind::NoSigner => self.refuse(StatusCode::FORBIDDEN, "error.no_signer", detail),
            Kind::DraftMismatch => self.refuse(StatusCode::CONFLICT, "error.draft_mismatch", detail),
            Kind::Refused | Kind::InvalidEnvelope => {
                self.refuse(StatusCode::UNPROCESSABLE_ENTITY, "error.refused", detail)
            }
            _ => self.refuse(StatusCode::SERVICE_UNAVAILABLE, "error.unavailable", detail),
        }
    }

    /// Check a POST form's CSRF token against the session's, in constant time.
    fn check_csrf(&self, sent: &str) -> Result<&Signed, Refused> {
        match &self.signed {
            Some(s) if session::same_secret(&s.live.csrf, sent) => Ok(s),
            _ => Err(Box::new(self.refuse(StatusCode::FORBIDDEN, "error.csrf", None))),
        }
    }
}

impl FromRequestParts<Console> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        let lang = Lang::of(&parts.headers);
        let here = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let here = layout::local_path(here).to_string();
        let live =
            cookie(&parts.headers, SESSION_COOKIE).and_then(|id| console.sessions.touch(id, Instant::now()));
        let signed = match live {
            Some(live) => principal_of(console, &live).await.map(|principal| Signed { principal, live }),
            None => None,
        };
        Ok(Visitor { lang, here, signed })
    }
}

/// The principal of the token a session was opened with, if it is still valid.
async fn principal_of(console: &Console, live: &Live) -> Option<Principal> {
    let auth = console.ctx.auth.clone();
    let hash = live.token_hash;
    let found =
        blocking(move || auth.find(&hash).map_err(|e: AuthError| Problem::new(Kind::Store, e.to_string())))
            .await;
    match found {
        Ok(Some(record)) => Principal::of(&record, console.ctx.ledger.genesis()).ok(),
        Ok(None) | Err(_) => None,
    }
}

/// Parse a POST body as an HTML form (`application/x-www-form-urlencoded`).
fn read_form<T: DeserializeOwned>(v: &Visitor, headers: &HeaderMap, body: &[u8]) -> Result<T, Refused> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|c| c.to_str().ok()).unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(Box::new(v.refuse(
            StatusCode::BAD_REQUEST,
            "error.bad_request",
            Some("expected an HTML form"),
        )));
    }
    serde_urlencoded::from_bytes(body)
        .map_err(|e| Box::new(v.refuse(StatusCode::BAD_REQUEST, "error.bad_request", Some(&e.to_string()))))
}

/// Parse the query string leniently into `T`; a bad value is a 400 page.
fn read_query<T: DeserializeOwned>(v: &Visitor, parts: Option<&str>) -> Result<T, Refused> {
    crate::extract::parse_query(parts.unwrap_or("")).map_err(|p| Box::new(v.problem(&p)))
}

/// Parameters of the language switch.
#[derive(serde::Deserialize)]
struct SwitchQuery {
    set: Option<String>,
    next: Option<String>,
}

/// `GET /lang?set=zh&next=/inbox`: remember the language for a year, go back.
async fn switch_language(State(console): State<Console>, v: Visitor, uri: axum::http::Uri) -> Response {
    let q: SwitchQuery = match read_query(&v, uri.query()) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let Some(lang) = q.set.as_deref().and_then(Lang::parse) else {
        return v.refuse(StatusCode::BAD_REQUEST, "error.bad_request", Some("set: expected en or zh"));
    };
    let mut resp = layout::see_other(layout::local_path(q.next.as_deref().unwrap_or("/")));
    let cookie = session::set_cookie(
        session::LANG_COOKIE,
        lang.code(),
        console.options.secure_cookies,
        Some(365 * 24 * 3600),
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
    resp
}

/// The embedded stylesheet.
const CSS: &str = include_str!("assets/console.css");

/// `GET /assets/v1/{name}`: embedded assets, cached for a year (the path is versioned).
async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match name.as_str() {
        "console.css" => {
            let mut resp = CSS.into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
            secure(resp)
        }
        _ => not_found(&headers, "/"),
    }
}
