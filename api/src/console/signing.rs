//! Sign through the console where the node signs for the signed-in person (custodial
//! signing, [`crate::drafts`]): a form makes a draft, a page shows exactly what will be
//! signed (the readable document and the SHA-256 of the bytes to sign), and "Sign" posts
//! that hash back with the CSRF token. Every step calls the functions behind
//! `POST /v1/drafts` and `POST /v1/drafts/{id}/sign`, so the console signs nothing the API
//! would not.
//!
//! Actions offered here: the client authorizes or refuses; the bank answers item by item
//! or corrects (`respond`), or declines with a reason; the auditor accepts an answer or
//! withdraws a request. A node without a
//! keystore, or a token bound to no signer, is said so plainly.

use super::i18n::{Lang, amount, date_time};
use super::layout::{self, see_other};
use super::{Console, Visitor, read_form};
use crate::auth::{Principal, Role};
use crate::drafts::{DraftView, SignOutcome, draft_view, keystore, prepare_waiting, sign_as};
use crate::prepare::Action;
use crate::problem::{Kind, Problem};
use crate::{SubmitOptions, Submitted, blocking};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Map, Value};
use vouch_core::date::Date;
use vouch_core::encoding::Hash;

/// The action forms the confirmation page offers `caller` for a confirmation in `status`.
pub(crate) fn action_forms(l: Lang, caller: &Principal, id: &str, status: &str, csrf: &str) -> Markup {
    let form = |action: &'static str, button: &'static str, fields: Markup| {
        html! {
            form id={ "action-" (action) } class="action" method="post" action={ "/confirmations/" (id) "/draft" } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="action" value=(action);
                (fields)
                button id={ "draft-" (action) } type="submit" { (button) }
            }
        }
    };
    let reason = |name: &'static str| {
        html! { label { (l.t("signing.reason")) " " input name=(name) required maxlength="2000" size="48"; } }
    };
    let forms: Vec<Markup> = match (caller.role, status) {
        (Role::Client, "awaiting_authorization") => vec![
            form(
                "authorize",
                l.t("signing.authorize"),
                html! { label { (l.t("auth.valid_until")) " " input name="valid_until" type="date" required; } },
            ),
            form("refuse", l.t("signing.refuse"), reason("reason")),
        ],
        (Role::Bank, "authorized") => vec![
            html! { p { a id="answer-link" class="button" href={ "/confirmations/" (id) "/respond" } { (l.t("respond.title")) } } },
            form("decline", l.t("signing.decline"), reason("reason")),
        ],
        (Role::Bank, "answered") => vec![html! {
            p { a id="correct-link" class="button" href={ "/confirmations/" (id) "/respond?correct=1" } { (l.t("respond.title_correct")) } }
        }],
        (Role::AuditFirm, "answered") => vec![form(
            "accept",
            l.t("signing.accept"),
            html! { label { (l.t("signing.note")) " " input name="note" maxlength="2000" size="48"; } },
        )],
        (Role::AuditFirm, "awaiting_authorization" | "authorized") => {
            vec![form("withdraw", l.t("signing.withdraw"), reason("reason"))]
        }
        _ => Vec::new(),
    };
    html! {
        @if !forms.is_empty() {
            section id="actions" {
                h2 { (l.t("signing.actions")) }
                p class="muted" { (l.t("signing.two_steps")) }
                @for f in forms { (f) }
            }
        }
    }
}

/// An action form as posted.
#[derive(serde::Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    action: String,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

fn invalid(detail: impl Into<String>) -> Problem {
    Problem::new(Kind::InvalidDraft, detail)
}

/// The action a form asks for, about request `request`.
fn action_of(form: &ActionForm, request: Hash) -> Result<Action, Problem> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let reason = || text(&form.reason).ok_or_else(|| invalid("reason: give a reason"));
    Ok(match form.action.as_str() {
        "authorize" => {
            let date = text(&form.valid_until).ok_or_else(|| invalid("valid_until: give a date"))?;
            let valid_until = Date::parse(&date).map_err(|e| invalid(format!("valid_until: {e}")))?;
            Action::Authorize { request, valid_until }
        }
        "refuse" => Action::Refuse { request, reason: reason()? },
        "decline" => Action::Decline { request, reason: reason()? },
        "withdraw" => Action::Withdraw { request, reason: reason()? },
        "accept" => Action::Accept { request, response: None, note: text(&form.note) },
        other => return Err(invalid(format!("action {other:?} is not offered here"))),
    })
}

/// `POST /confirmations/{id}/draft`: make the draft, then show it.
pub(crate) async fn draft(
    State(console): State<Console>,
    v: Visitor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = v.require() {
        return *resp;
    }
    let form: ActionForm = match read_form(&v, &headers, &body) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let signed = match v.check_csrf(&form.csrf) {
        Ok(s) => s,
        Err(resp) => return *resp,
    };
    let Ok(request) = Hash::from_hex(&id) else {
        return v.refuse(StatusCode::NOT_FOUND, "error.not_found", None);
    };
    let keystore = match keystore(&console.ctx) {
        Ok(k) => k,
        Err(p) => return v.problem(&p),
    };
    let action = match action_of(&form, request) {
        Ok(a) => a,
        Err(p) => return v.problem(&p),
    };
    let ctx = console.ctx.clone();
    let principal = signed.principal.clone();
    match blocking(move || prepare_waiting(&ctx, keystore.as_ref(), &principal, action)).await {
        Ok(view) => see_other(&format!("/drafts/{}?back={}", view.draft_id, id)),
        Err(p) => v.problem(&p),
    }
}

/// Parameters of the draft page.
#[derive(serde::Deserialize)]
struct DraftQuery {
    back: Option<String>,
}

/// The confirmation to link back to, if `back` names one.
fn back_of(back: Option<&str>) -> Option<String> {
    back.and_then(|b| Hash::from_hex(b).ok()).map(|h| h.to_hex())
}

/// Whether `key` names a money column, shown with its row's currency.
fn is_amount(key: &str) -> bool {
    key == "balance" || key.ends_with("amount") || key == "net_value"
}

/// A JSON value for reading: objects as definition lists, lists of objects as tables,
/// amounts grouped and with their currency, yes/no for booleans. Every string is text
/// (escaped), whatever it holds.
fn readable(l: Lang, value: &Value) -> Markup {
    html! {
        @match value {
            Value::Object(map) => {
                dl class="facts" {
                    @for (k, v) in map {
                        dt { code { (k) } }
                        dd {
                            @if let (Some(text), true) = (v.as_str(), is_amount(k) && !currency_of(map).is_empty()) {
                                (amount(text, currency_of(map)))
                            } @else {
                                (readable(l, v))
                            }
                        }
                    }
                }
            }
            Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
                @let columns = columns_of(items);
                table class="readable" {
                    thead { tr { th { "#" } @for c in &columns { th { code { (c) } } } } }
                    tbody {
                        @for (i, item) in items.iter().enumerate() {
                            @let map = item.as_object();
                            tr {
                                td class="num" { (i + 1) }
                                @for c in &columns {
                                    td {
                                        @match map.and_then(|m| m.get(c.as_str())) {
                                            Some(Value::String(text)) if is_amount(c) && map.is_some_and(|m| !currency_of(m).is_empty()) => {
                                                (amount(text, map.map_or("", currency_of)))
                                            }
                                            Some(v) => { (readable(l, v)) }
                                            None => {}
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Value::Array(items) => {
                @for (i, item) in items.iter().enumerate() {
                    @if i > 0 { ", " }
                    (readable(l, item))
                }
            }
            Value::String(text) => { (text) }
            Value::Bool(true) => { (l.t("request.yes")) }
            Value::Bool(false) => { (l.t("request.no")) }
            Value::Number(n) => { (n) }
            Value::Null => { "—" }
        }
    }
}

/// A row's currency, if it has one.
fn currency_of(map: &Map<String, Value>) -> &str {
    map.get("currency").and_then(Value::as_str).unwrap_or("")
}

/// Every key of a list of objects, in first-seen order.
fn columns_of(items: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        for k in item.as_object().into_iter().flat_map(|m| m.keys()) {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    columns
}

fn document_markup(l: Lang, d: &DraftView, offset: i16) -> Markup {
    let doc = &d.document;
    let field = |k: &str| doc.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    let pretty = serde_json::to_string_pretty(doc).unwrap_or_default();
    html! {
        dl id="draft-facts" class="facts" {
            dt { (l.t("signing.action")) } dd id="draft-action" { (d.action) }
            @if let Some(t) = field("type") { dt { (l.t("col.document")) } dd id="draft-type" { (t) } }
            @if let Some(ms) = doc.get("created_ms").and_then(|v| v.as_u64()) {
                dt { (l.t("signing.created")) } dd { (date_time(ms, offset)) }
            }
            dt { (l.t("signing.signers")) } dd id="draft-signers" { (d.signers.join(", ")) }
            dt { (l.t("signing.expires")) } dd { (date_time(d.expires_ms, offset)) }
        }
        h2 { (l.t("signing.document")) }
        @for (part, title) in [("body", l.t("signing.part_body")), ("contents", l.t("signing.part_contents")), ("letter", l.t("signing.part_letter"))] {
            @if let Some(value) = doc.get(part) {
                section id={ "draft-" (part) } class="readable" {
                    h3 { (title) }
                    (readable(l, value))
                }
            }
        }
        details {
            summary { (l.t("signing.exact_json")) }
            pre id="draft-document" class="document" { (pretty) }
        }
        h2 { (l.t("signing.hash")) }
        p { code id="signing-hash" class="hash" { (d.signing_bytes_sha256) } }
    }
}

/// `GET /drafts/{id}`: what will be signed, and the "Sign" button.
pub(crate) async fn show(
    State(console): State<Console>,
    v: Visitor,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let (principal, csrf) = match (&v.signed, v.require()) {
        (Some(s), Ok(_)) => (s.principal.clone(), s.live.csrf.clone()),
        (_, Err(resp)) => return *resp,
        (None, Ok(_)) => return v.refuse(StatusCode::NOT_FOUND, "error.not_found", None),
    };
    let q: DraftQuery = match super::read_query(&v, uri.query()) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let back = back_of(q.back.as_deref());
    let ctx = console.ctx.clone();
    let draft = match blocking(move || draft_view(&ctx, &principal, &id)).await {
        Ok(d) => d,
        Err(p) => return v.problem(&p),
    };
    let l = v.lang;
    let offset = console.ctx.ledger.genesis().utc_offset_minutes;
    let body = html! {
        p class="lead" { (l.t("signing.lead")) }
        @if draft.status == "awaiting_checker" {
            p id="awaiting-checker" class="notice" { (l.t("signing.awaiting_checker")) }
        }
        (document_markup(l, &draft, offset))
        form id="sign-form" method="post" action={ "/drafts/" (draft.draft_id) "/sign" } {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="sha256" value=(draft.signing_bytes_sha256);
            @if let Some(b) = &back { input type="hidden" name="back" value=(b); }
            button id="sign" type="submit" { (l.t("signing.sign")) }
            " "
            @if let Some(b) = &back { a id="cancel" href={ "/confirmations/" (b) } { (l.t("signing.cancel")) } }
        }
    };
    layout::page(StatusCode::OK, &v.chrome(), l.t("signing.title"), body)
}

/// The sign form as posted.
#[derive(serde::Deserialize)]
struct SignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    back: Option<String>,
}

/// `POST /drafts/{id}/sign`: sign with the hash shown, submit, say what happened.
pub(crate) async fn sign(
    State(console): State<Console>,
    v: Visitor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = v.require() {
        return *resp;
    }
    let form: SignForm = match read_form(&v, &headers, &body) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let signed = match v.check_csrf(&form.csrf) {
        Ok(s) => s,
        Err(resp) => return *resp,
    };
    let keystore = match keystore(&console.ctx) {
        Ok(k) => k,
        Err(p) => return v.problem(&p),
    };
    let options = SubmitOptions { wait: true, forwarded: false };
    let outcome = sign_as(&console.ctx, keystore, &signed.principal, &id, &form.sha256, options).await;
    let back = back_of(form.back.as_deref());
    let l = v.lang;
    let body = match outcome {
        Err(p) => return v.problem(&p),
        Ok(SignOutcome::AwaitingChecker(d)) => html! {
            p id="sign-result" class="notice" { (l.t("signing.signed_awaiting_checker")) }
            p { (l.t("signing.checker_opens")) " " code id="checker-link" { "/drafts/" (d.draft_id) } }
        },
        Ok(SignOutcome::Submitted(_, Err(e))) => {
            let p = match e {
                crate::SubmitError::Refused { detail, .. } => Problem::new(Kind::Refused, detail),
                crate::SubmitError::Invalid { detail, .. } => Problem::new(Kind::InvalidEnvelope, detail),
                crate::SubmitError::MempoolFull(d) => Problem::new(Kind::MempoolFull, d),
                crate::SubmitError::Store(d) => Problem::new(Kind::Store, d),
            };
            return v.problem(&p);
        }
        Ok(SignOutcome::Submitted(doc, Ok(Submitted::Committed { leaf_index, height, .. }))) => html! {
            p id="sign-result" class="ok" { (l.t("signing.committed")) }
            dl class="facts" {
                dt { (l.t("confirmation.id")) } dd { code id="document-id" class="hash" { (doc.to_hex()) } }
                dt { (l.t("col.block")) } dd id="document-height" { (height) }
                dt { (l.t("col.leaf")) } dd id="document-leaf" { (leaf_index) }
            }
        },
        Ok(SignOutcome::Submitted(doc, Ok(Submitted::Pending { dropped: Some(reason), .. }))) => html! {
            p id="sign-result" class="notice" { (l.t("signing.dropped")) }
            p { code id="document-id" class="hash" { (doc.to_hex()) } }
            p { (l.t("signing.dropped_reason")) " " code id="dropped-reason" { (reason) } }
        },
        Ok(SignOutcome::Submitted(doc, Ok(Submitted::Pending { dropped: None, .. }))) => html! {
            p id="sign-result" class="pending" { (l.t("signing.pending")) }
            p { code id="document-id" class="hash" { (doc.to_hex()) } }
        },
    };
    let body = html! {
        (body)
        @if let Some(b) = &back { p { a id="back" href={ "/confirmations/" (b) } { (l.t("signing.back")) } } }
    };
    layout::page(StatusCode::OK, &v.chrome(), l.t("signing.done_title"), body)
}
