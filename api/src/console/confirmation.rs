//! Show one confirmation to the parties it concerns: its summary and timeline (every
//! document, its signer, time, block and leaf index, and whether its inclusion proof
//! verifies against the latest cosigned checkpoint, checked here with `vouch-core`), and
//! its evidence bundle to download.
//!
//! The data is [`crate::confirmations::detail_of`] and [`crate::confirmations::bundle_of`],
//! what `GET /v1/confirmations/{id}` and `…/bundle` answer, with the same visibility: an
//! id the caller may not see, or that does not parse, is the same "not found" page.

use super::i18n::{Lang, date_time};
use super::layout;
use super::worklists::status_label;
use super::{Console, Visitor};
use crate::auth::Principal;
use crate::confirmations::{ConfirmationDetail, SignerInfo, bundle_of, detail_of};
use crate::problem::{Kind, Problem};
use crate::service::Ledger;
use crate::{blocking, store};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use vouch_core::date::Date;
use vouch_core::encoding::Hash;

/// Whether one document's inclusion proof verifies against the checkpoint.
enum Proof {
    /// It verifies against the checkpoint of this size.
    Verified,
    /// The checkpoint does not cover it yet.
    NotYet,
    /// It does not verify: the node's store or checkpoint is wrong.
    Failed(String),
}

/// The checkpoint the proofs were checked against.
struct Against {
    size: u64,
    root: String,
}

fn not_found() -> Problem {
    Problem::new(Kind::NoConfirmation, "no such confirmation")
}

/// Check the latest cosigned checkpoint (quorum of genesis validators), then each
/// document's inclusion proof in it.
fn check_proofs(
    ledger: &dyn Ledger,
    detail: &ConfirmationDetail,
) -> Result<(Option<Against>, Vec<Proof>), Problem> {
    let Some((_, note)) = ledger.latest_checkpoint().map_err(store)? else {
        return Ok((None, detail.history.iter().map(|_| Proof::NotYet).collect()));
    };
    let checkpoint = match vouch_core::bundle::verify_checkpoint_note(note.as_bytes(), ledger.genesis()) {
        Ok((c, _)) => c.checkpoint,
        Err(e) => {
            let why = format!("the latest checkpoint does not verify: {e}");
            return Ok((None, detail.history.iter().map(|_| Proof::Failed(why.clone())).collect()));
        }
    };
    let mut proofs = Vec::with_capacity(detail.history.len());
    for entry in &detail.history {
        if entry.leaf_index >= checkpoint.size {
            proofs.push(Proof::NotYet);
            continue;
        }
        let leaf_hash = match Hash::from_hex(&entry.leaf_hash) {
            Ok(h) => h,
            Err(e) => {
                proofs.push(Proof::Failed(e.to_string()));
                continue;
            }
        };
        let path = ledger.inclusion_proof(entry.leaf_index, checkpoint.size).map_err(store)?;
        proofs.push(
            match vouch_core::merkle::verify_inclusion(
                &leaf_hash,
                entry.leaf_index,
                checkpoint.size,
                &path,
                &checkpoint.root,
            ) {
                Ok(()) => Proof::Verified,
                Err(e) => Proof::Failed(e.to_string()),
            },
        );
    }
    Ok((Some(Against { size: checkpoint.size, root: checkpoint.root.to_hex() }), proofs))
}

fn signer_cell(l: Lang, s: &SignerInfo) -> Markup {
    html! {
        @if let Some(name) = &s.name { (name) }
        @if let Some(title) = &s.title { " · " span class="muted" { (title) } }
        @if let Some(client) = &s.client { (l.t("signer.client")) " " (client) }
        @if s.kind == "admin" { (l.t("signer.admin")) }
        " · " code { (s.org) }
    }
}

fn kind_label(l: Lang, kind: &str) -> &'static str {
    match kind {
        "request" => l.t("doc.request"),
        "authorization" => l.t("doc.authorization"),
        "response" => l.t("doc.response"),
        "correction" => l.t("doc.correction"),
        "return" => l.t("doc.return"),
        "decline" => l.t("doc.decline"),
        "withdraw" => l.t("doc.withdraw"),
        "accept" => l.t("doc.accept"),
        _ => l.t("status.unknown"),
    }
}

/// Look up confirmation `id` for `caller`; a malformed id is as unknown as a hidden one.
fn load(
    ledger: &dyn Ledger,
    caller: &Principal,
    id: &str,
) -> Result<(ConfirmationDetail, Option<Against>, Vec<Proof>), Problem> {
    let id = Hash::from_hex(id).map_err(|_| not_found())?;
    let view = ledger.view().map_err(store)?;
    let today = Date::from_unix_ms(ledger.now_ms(), ledger.genesis().utc_offset_minutes);
    let detail = detail_of(&view, caller, &id, today)?;
    let (against, proofs) = check_proofs(ledger, &detail)?;
    Ok((detail, against, proofs))
}

/// `GET /confirmations/{id}`.
pub(crate) async fn show(State(console): State<Console>, v: Visitor, Path(id): Path<String>) -> Response {
    let caller = match v.require() {
        Ok(p) => p.clone(),
        Err(resp) => return *resp,
    };
    let ledger = console.ctx.ledger.clone();
    let (d, against, proofs) = match blocking(move || load(&*ledger, &caller, &id)).await {
        Ok(found) => found,
        Err(p) => return v.problem(&p),
    };
    let l = v.lang;
    let offset = console.ctx.ledger.genesis().utc_offset_minutes;
    let s = &d.summary;
    let body = html! {
        dl id="summary" class="facts" {
            dt { (l.t("col.letter_no")) } dd id="letter-no" { (s.letter_no) }
            dt { (l.t("col.status")) } dd id="status" { (status_label(l, &s.status)) }
            dt { (l.t("col.auditor")) } dd { code { (s.auditor) } }
            dt { (l.t("col.bank")) } dd { code { (s.bank) } }
            dt { (l.t("col.client")) } dd { code { (s.client) } }
            dt { (l.t("col.as_of")) } dd class="date" { (s.as_of) }
            dt { (l.t("confirmation.form")) } dd { (s.form) }
            dt { (l.t("confirmation.authorize_by")) } dd class="date" { (s.authorize_by) }
            @if let Some(due) = &s.due { dt { (l.t("confirmation.due")) } dd class="date" { (due) } }
            @if let Some(until) = &d.valid_until { dt { (l.t("auth.valid_until")) } dd class="date" { (until) } }
            @if s.overdue { dt { (l.t("flag.overdue")) } dd { span class="flag overdue" { (l.t("flag.overdue")) } } }
            dt { (l.t("confirmation.id")) } dd { code id="confirmation-id" class="hash" { (s.id) } }
        }
        p {
            a id="download-bundle" class="button" href={ "/confirmations/" (s.id) "/bundle" } { (l.t("confirmation.bundle")) }
            " "
            a id="download-report" class="button" href={ "/confirmations/" (s.id) "/report" } { (l.t("confirmation.report")) }
        }
        @if let Some(signed) = &v.signed {
            (super::signing::action_forms(l, &signed.principal, &s.id, &s.status, &signed.live.csrf))
        }
        h2 { (l.t("confirmation.timeline")) }
        @match &against {
            Some(a) => { p id="checked-against" class="muted" {
                (l.t("confirmation.checked_against")) " " (a.size) " · " code class="hash" { (a.root) }
            } }
            None => { p id="checked-against" class="muted" { (l.t("integrity.no_checkpoint")) } }
        }
        table id="timeline" {
            thead { tr {
                th { (l.t("col.document")) } th { (l.t("col.signer")) } th { (l.t("col.time")) }
                th { (l.t("col.block")) } th { (l.t("col.leaf")) } th { (l.t("col.proof")) }
            } }
            tbody {
                @for (entry, proof) in d.history.iter().zip(&proofs) {
                    tr id={ "doc-" (entry.leaf_index) } {
                        td { (kind_label(l, &entry.kind)) br; code class="hash short" title=(entry.id) { (entry.id.get(..16).unwrap_or(&entry.id)) "…" } }
                        td {
                            (signer_cell(l, &entry.signer))
                            @if let Some(c) = &entry.checker { br; span class="muted" { (l.t("signer.checker")) } " " (signer_cell(l, c)) }
                        }
                        td class="date" { (date_time(entry.block_time_ms, offset)) }
                        td class="num" { (entry.height) }
                        td class="num" { (entry.leaf_index) }
                        td class="proof" {
                            @match proof {
                                Proof::Verified => { span class="ok" { "✓ " (l.t("proof.verified")) } }
                                Proof::NotYet => { span class="pending" { (l.t("proof.not_yet")) } }
                                Proof::Failed(why) => { span class="bad" { "✗ " (l.t("proof.failed")) } " " code { (why) } }
                            }
                        }
                    }
                }
            }
        }
        p class="note" { (l.t("integrity.checked_here")) }
    };
    let title = format!("{} {}", l.t("confirmation.title"), s.letter_no);
    layout::page(StatusCode::OK, &v.chrome(), &title, body)
}

/// `GET /confirmations/{id}/bundle`: the evidence bundle, as a download.
pub(crate) async fn bundle(State(console): State<Console>, v: Visitor, Path(id): Path<String>) -> Response {
    let caller = match v.require() {
        Ok(p) => p.clone(),
        Err(resp) => return *resp,
    };
    let ledger = console.ctx.ledger.clone();
    let found = blocking(move || {
        let hash = Hash::from_hex(&id).map_err(|_| not_found())?;
        let view = ledger.view().map_err(store)?;
        bundle_of(&*ledger, &view, &caller, &hash).map(|json| (hash, json))
    })
    .await;
    download(&v, found, "application/json", "vouch-bundle", "json")
}

/// `GET /confirmations/{id}/report`: the human-readable report of the evidence bundle, as
/// `vouch evidence export` writes it (the `vouch-report` crate), from the bundle this node
/// serves, verified here against this node's genesis first. When the node holds the
/// signed-in person's X25519 key (custodial signing), the sealed letter and answers are
/// opened with it; otherwise the report shows what is provable without them.
pub(crate) async fn report(State(console): State<Console>, v: Visitor, Path(id): Path<String>) -> Response {
    let caller = match v.require() {
        Ok(p) => p.clone(),
        Err(resp) => return *resp,
    };
    let ctx = console.ctx.clone();
    let found = blocking(move || {
        let hash = Hash::from_hex(&id).map_err(|_| not_found())?;
        let view = ctx.ledger.view().map_err(store)?;
        let bytes = bundle_of(&*ctx.ledger, &view, &caller, &hash)?;
        let genesis = ctx.ledger.genesis().hash();
        let verified = vouch_core::bundle::verify_bundle(&bytes, &genesis)
            .map_err(|e| Problem::new(Kind::Store, format!("this node's own bundle does not verify: {e}")))?;
        let today = crate::worklist::latest_date(&view);
        let node = detail_of(&view, &caller, &hash, today).ok().map(|d| vouch_report::NodeFacts {
            node: "this node".into(),
            blocks: d.history.iter().map(|h| (h.leaf_index, (h.height, h.block_time_ms))).collect(),
            status: Some(d.summary.status.clone()),
        });
        // The signed-in person's reading key, if this node holds it.
        let decryption = match (&ctx.custody, crate::custody::holder_of(&caller)) {
            (Some(keystore), Ok(holder)) => {
                keystore.keys(&caller.org, &holder).ok().flatten().and_then(|k| k.decryption)
            }
            _ => None,
        };
        let source = format!("this node's GET /v1/confirmations/{}/bundle", hash.to_hex());
        let inputs = |decryption| vouch_report::Inputs {
            bytes: &bytes,
            source: &source,
            verified: &verified,
            decryption,
            node: node.as_ref(),
            generated_ms: ctx.ledger.now_ms(),
        };
        // A key that opens none of the contents (a party's key for another role's
        // documents) still leaves a report of what the bundle proves.
        let built = match vouch_report::build(&inputs(decryption.as_ref())) {
            Err(vouch_report::ReportError::KeyOpensNothing { .. }) => vouch_report::build(&inputs(None)),
            other => other,
        };
        built.map(|(html, _)| (hash, html)).map_err(|e| Problem::new(Kind::Store, e.to_string()))
    })
    .await;
    download(&v, found, "text/html; charset=utf-8", "vouch-report", "html")
}

/// A confirmation's file as a download named `<prefix>-<first 16 hex of its id>.<ext>`,
/// or the page for the problem met (409 when not in a cosigned checkpoint yet).
fn download<B: IntoResponse>(
    v: &Visitor,
    found: Result<(Hash, B), Problem>,
    content_type: &'static str,
    prefix: &str,
    ext: &str,
) -> Response {
    match found {
        Ok((hash, body)) => {
            let mut resp = body.into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            let name =
                format!("attachment; filename=\"{prefix}-{}.{ext}\"", hash.to_hex().get(..16).unwrap_or(""));
            if let Ok(value) = HeaderValue::from_str(&name) {
                h.insert(header::CONTENT_DISPOSITION, value);
            }
            super::layout::secure(resp)
        }
        Err(p) if p.kind == Kind::NotCheckpointed => {
            v.refuse(StatusCode::CONFLICT, "error.not_checkpointed", Some(&p.detail))
        }
        Err(p) => v.problem(&p),
    }
}
