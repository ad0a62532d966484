//! Show what anyone may see, and let members sign in and out: the integrity page (the
//! latest cosigned checkpoint checked here, validators, heights), the sign-in form (the
//! API token, with a pre-session CSRF token) and sign-out.

use super::layout::{self, page, see_other};
use super::session::{self, PRESIGN_COOKIE, SESSION_COOKIE, cookie, set_cookie};
use super::{Console, Visitor, read_form};
use crate::auth::{Principal, Role, Secret};
use crate::problem::{Kind, Problem};
use crate::{blocking, store};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use maud::{Markup, html};
use std::time::Instant;

/// `GET /`: a member's home page; the integrity page for anyone else.
pub(crate) async fn home(State(console): State<Console>, v: Visitor) -> Response {
    match v.signed.as_ref().map(|s| s.principal.role) {
        Some(Role::AuditFirm) => see_other("/dashboard"),
        Some(Role::Bank | Role::Client) => see_other("/inbox"),
        Some(Role::Regulator) => see_other("/oversight"),
        None => integrity(State(console), v).await,
    }
}

/// What the integrity page shows.
struct Integrity {
    network: String,
    genesis_hash: String,
    height: u64,
    tree_size: u64,
    checkpoint: Option<CheckpointFacts>,
    validators: Vec<(String, String, u64, String)>,
    /// Misbehavior evidence this node recorded (the monitor's alerts).
    alerts: Vec<crate::Alert>,
    /// How this node sees the network, when it knows.
    health: Option<crate::Health>,
}

/// Who cosigned a checkpoint: (name, POSIX seconds) each, signed power, total power.
type Quorum = (Vec<(String, u64)>, u128, u128);

/// The latest cosigned checkpoint, as checked here.
struct CheckpointFacts {
    size: u64,
    root: String,
    /// Cosigners whose signatures verified, or why the note failed.
    verified: Result<Quorum, String>,
}

fn integrity_facts(console: &Console) -> Result<Integrity, Problem> {
    let ledger = &console.ctx.ledger;
    let genesis = ledger.genesis();
    let checkpoint = ledger.latest_checkpoint().map_err(store)?.map(|(size, note)| {
        let verified = vouch_core::bundle::verify_checkpoint_note(note.as_bytes(), genesis);
        let root = vouch_core::checkpoint::CosignedCheckpoint::parse_note(note.as_bytes())
            .map(|c| c.checkpoint.root.to_hex())
            .unwrap_or_default();
        CheckpointFacts {
            size,
            root,
            verified: verified
                .map(|(_, q)| {
                    (
                        q.signers.into_iter().map(|s| (s.name, s.timestamp)).collect(),
                        q.signed_power,
                        q.total_power,
                    )
                })
                .map_err(|e| e.to_string()),
        }
    });
    let validators = genesis
        .orgs
        .iter()
        .filter_map(|o| {
            o.validator.as_ref().map(|v| (o.id.to_string(), o.name.clone(), v.power, v.key.to_b64()))
        })
        .collect();
    Ok(Integrity {
        network: genesis.network.to_string(),
        genesis_hash: genesis.hash().to_hex(),
        height: ledger.tip().map_err(store)?,
        tree_size: ledger.tree_size().map_err(store)?,
        checkpoint,
        validators,
        alerts: ledger.evidence().map_err(store)?,
        health: ledger.health().map_err(store)?,
    })
}

/// `GET /integrity`: the public integrity page.
pub(crate) async fn integrity(State(console): State<Console>, v: Visitor) -> Response {
    let c = console.clone();
    let facts = match blocking(move || integrity_facts(&c)).await {
        Ok(f) => f,
        Err(p) => return v.problem(&p),
    };
    let l = v.lang;
    let offset = console.ctx.ledger.genesis().utc_offset_minutes;
    let body = html! {
        p class="lead" { (l.t("integrity.lead")) }
        dl id="ledger-facts" class="facts" {
            dt { (l.t("integrity.network")) } dd id="network" { code { (facts.network) } }
            dt { (l.t("integrity.genesis_hash")) } dd id="genesis-hash" { code class="hash" { (facts.genesis_hash) } }
            dt { (l.t("integrity.height")) } dd id="height" { (facts.height) }
            dt { (l.t("integrity.tree_size")) } dd id="tree-size" { (facts.tree_size) }
        }
        h2 { (l.t("integrity.checkpoint")) }
        @match &facts.checkpoint {
            None => { p id="checkpoint-none" class="notice" { (l.t("integrity.no_checkpoint")) } }
            Some(cp) => {
                dl id="checkpoint" class="facts" {
                    dt { (l.t("integrity.checkpoint_size")) } dd id="checkpoint-size" { (cp.size) }
                    dt { (l.t("integrity.checkpoint_root")) } dd id="checkpoint-root" { code class="hash" { (cp.root) } }
                }
                @match &cp.verified {
                    Ok((signers, signed, total)) => {
                        p id="checkpoint-verified" class="ok" {
                            (l.t("integrity.quorum_ok")) " (" (signed) " / " (total) ")"
                        }
                        table id="cosigners" {
                            thead { tr { th { (l.t("integrity.cosigner")) } th { (l.t("integrity.cosigned_at")) } } }
                            tbody {
                                @for (name, ts) in signers {
                                    tr { td { code { (name) } } td { (super::i18n::date_time(ts.saturating_mul(1000), offset)) } }
                                }
                            }
                        }
                    }
                    Err(e) => { p id="checkpoint-failed" class="bad" { (l.t("integrity.quorum_bad")) " " code { (e) } } }
                }
            }
        }
        h2 { (l.t("integrity.validators")) }
        table id="validators" {
            thead { tr {
                th { (l.t("integrity.org")) } th { (l.t("integrity.org_name")) }
                th { (l.t("integrity.power")) } th { (l.t("integrity.key")) }
            } }
            tbody {
                @for (id, name, power, key) in &facts.validators {
                    tr { td { code { (id) } } td { (name) } td class="num" { (power) } td { code class="hash" { (key) } } }
                }
            }
        }
        @if let Some(h) = &facts.health {
            h2 { (l.t("integrity.health")) }
            dl id="health" class="facts" {
                dt { (l.t("integrity.peers")) } dd id="health-peers" { (h.peers) }
                dt { (l.t("integrity.sync")) } dd id="health-sync" { (h.sync) }
                dt { (l.t("integrity.network_height")) } dd id="health-network-height" { (h.network_height) }
            }
            table id="progress" {
                thead { tr {
                    th { (l.t("integrity.cosigner")) } th { (l.t("integrity.cosigned_size")) }
                    th { (l.t("integrity.cosigned_at")) }
                } }
                tbody {
                    @for (name, size, at) in &h.cosigned {
                        tr { td { code { (name) } } td class="num" { (size) }
                             td { (super::i18n::date_time(at.saturating_mul(1000), offset)) } }
                    }
                }
            }
            p class="muted" { (l.t("integrity.progress_note")) }
        }
        h2 { (l.t("integrity.alerts")) }
        @if facts.alerts.is_empty() {
            p id="alerts-none" class="ok" { (l.t("integrity.alerts_none")) }
        } @else {
            p id="alerts-lead" class="bad" { (l.t("integrity.alerts_lead")) }
            table id="alerts" {
                thead { tr {
                    th { "#" } th { (l.t("integrity.height")) } th { (l.t("integrity.alert_kind")) }
                    th { (l.t("integrity.alert_culprit")) } th { (l.t("integrity.alert_record")) }
                } }
                tbody {
                    @for a in &facts.alerts {
                        tr id={ "alert-" (a.seq) } {
                            td class="num" { (a.seq) } td class="num" { (a.height) } td { code { (a.kind) } }
                            td { code class="hash" { (a.culprit.as_deref().unwrap_or("–")) } }
                            td { details { summary { (l.t("integrity.alert_show")) } pre class="record" { (a.json) } } }
                        }
                    }
                }
            }
        }
        p class="note" { (l.t("integrity.checked_here")) }
    };
    page(StatusCode::OK, &v.chrome(), l.t("integrity.title"), body)
}

/// The sign-in form: the token field and the pre-session token.
fn sign_in_markup(v: &Visitor, presign: &str, next: &str, failed: Option<&str>) -> Markup {
    let l = v.lang;
    html! {
        p class="lead" { (l.t("signin.lead")) }
        @if let Some(why) = failed {
            p id="sign-in-error" class="notice error" { (l.t("signin.failed")) " " span class="detail" { (why) } }
        }
        form id="sign-in-form" method="post" action="/sign-in" {
            input type="hidden" name="csrf" value=(presign);
            input type="hidden" name="next" value=(next);
            label for="token" { (l.t("signin.token")) }
            input id="token" name="token" type="password" autocomplete="off" required
                placeholder="vouch_…" size="72";
            p class="hint" { (l.t("signin.hint")) }
            button id="sign-in" type="submit" { (l.t("nav.sign_in")) }
        }
    }
}

/// Parameters of the sign-in page.
#[derive(serde::Deserialize)]
struct SignInQuery {
    next: Option<String>,
}

/// The sign-in page with a fresh pre-session token in a cookie and the form.
fn sign_in_page(
    console: &Console,
    v: &Visitor,
    next: &str,
    status: StatusCode,
    failed: Option<&str>,
) -> Response {
    let presign = session::random_token();
    let mut resp =
        page(status, &v.chrome(), v.lang.t("signin.title"), sign_in_markup(v, &presign, next, failed));
    let cookie = set_cookie(PRESIGN_COOKIE, &presign, console.options.secure_cookies, None);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
    resp
}

/// `GET /sign-in?next=/inbox`.
pub(crate) async fn sign_in_form(
    State(console): State<Console>,
    v: Visitor,
    uri: axum::http::Uri,
) -> Response {
    let q: SignInQuery = match super::read_query(&v, uri.query()) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let next = layout::local_path(q.next.as_deref().unwrap_or("/")).to_string();
    sign_in_page(&console, &v, &next, StatusCode::OK, None)
}

/// The sign-in form as posted.
#[derive(serde::Deserialize)]
struct SignInForm {
    #[serde(default)]
    token: String,
    /// Missing is refused as a wrong token would be (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// `POST /sign-in`: check the pre-session token, then the API token; open a session.
pub(crate) async fn sign_in(
    State(console): State<Console>,
    v: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: SignInForm = match read_form(&v, &headers, &body) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let presign = cookie(&headers, PRESIGN_COOKIE).unwrap_or("");
    if presign.is_empty() || !session::same_secret(presign, &form.csrf) {
        return v.refuse(StatusCode::FORBIDDEN, "error.csrf", None);
    }
    let next = layout::local_path(form.next.as_deref().unwrap_or("/")).to_string();
    let failed = |why: &str| sign_in_page(&console, &v, &next, StatusCode::UNAUTHORIZED, Some(why));
    let secret = match Secret::parse(form.token.trim()) {
        Ok(s) => s,
        Err(e) => return failed(&e.to_string()),
    };
    let hash = secret.hash();
    let auth = console.ctx.auth.clone();
    let record = match blocking(move || {
        auth.find(&hash).map_err(|e| Problem::new(Kind::Store, e.to_string()))
    })
    .await
    {
        Ok(Some(r)) => r,
        Ok(None) => return failed("the token is not known to this node"),
        Err(p) => return v.problem(&p),
    };
    if let Err(p) = Principal::of(&record, console.ctx.ledger.genesis()) {
        return failed(&p.detail);
    }
    let live = match console.sessions.open(hash, Instant::now()) {
        Ok(live) => live,
        Err(e) => {
            return v.refuse(StatusCode::SERVICE_UNAVAILABLE, "error.unavailable", Some(&e.to_string()));
        }
    };
    let mut resp = see_other(&next);
    let secure = console.options.secure_cookies;
    for cookie in
        [set_cookie(SESSION_COOKIE, &live.id, secure, None), set_cookie(PRESIGN_COOKIE, "", secure, Some(0))]
    {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    resp
}

/// The sign-out form as posted.
#[derive(serde::Deserialize)]
struct SignOutForm {
    /// Missing is refused as a wrong token would be (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-out`: end the session (CSRF-checked), forget the cookie.
pub(crate) async fn sign_out(
    State(console): State<Console>,
    v: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if v.signed.is_none() {
        // Nothing to end; nothing changes.
        return see_other("/");
    }
    let form: SignOutForm = match read_form(&v, &headers, &body) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let signed = match v.check_csrf(&form.csrf) {
        Ok(s) => s,
        Err(resp) => return *resp,
    };
    console.sessions.close(&signed.live.id);
    let mut resp = see_other("/");
    let cookie = set_cookie(SESSION_COOKIE, "", console.options.secure_cookies, Some(0));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
    resp
}
