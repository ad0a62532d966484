//! Serve confirmations to the parties they concern: a page of them, one with its whole
//! history, and one's evidence bundle. Every endpoint here needs a token, and answers a
//! confirmation the caller may not see exactly as one that does not exist.
//!
//! # Terminology
//!
//! - *Deadline*: the date the confirmation waits on now: the last day to authorize while it
//!   awaits authorization, the answer's due date once authorized, none afterwards.
//! - *Overdue*: the deadline is before today, "today" being the node clock's civil date in
//!   the network's time zone (`docs/PROTOCOL.md` §10.1 uses block time for rules; a list
//!   uses the clock, so that a quiet ledger still shows what is late).
//! - *Cursor*: an opaque position in the ledger-ordered list of confirmations, handed out
//!   as `next_cursor` and given back as `cursor`.

use crate::auth::Principal;
use crate::extract::{Caller, NoQuery, PathParam, Query};
use crate::limits::{PAGE_ITEMS_DEFAULT, PAGE_ITEMS_MAX};
use crate::problem::{Kind, Problem};
use crate::service::Nodes;
use crate::view::{DocumentRef, View};
use crate::{Ctx, blocking, store};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vouch_core::date::Date;
use vouch_core::encoding::Hash;
use vouch_core::envelope::{Envelope, Signer};
use vouch_core::ids::OrgId;
use vouch_core::state::{KeyKind, RequestRecord, Status};

/// Parameters of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 200. Default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only confirmations where this org is the auditor or the bank.
    party: Option<String>,
    /// Only confirmations in this status.
    #[param(value_type = Option<StatusName>)]
    status: Option<String>,
    /// Only confirmations as of this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    as_of: Option<String>,
    /// `true`: only overdue ones; `false`: only the others.
    overdue: Option<bool>,
}

/// A confirmation's status, as `vouch_core::state::Status` spells it (documentation only:
/// the query is parsed with the core type itself).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusName {
    /// Sent; waiting for the client's authorization.
    AwaitingAuthorization,
    /// The client refused.
    AuthorizationRefused,
    /// The client authorized; the bank may answer.
    Authorized,
    /// The bank returned it.
    Returned,
    /// The bank answered.
    Answered,
    /// The bank declined.
    Declined,
    /// The auditor withdrew it.
    Withdrawn,
    /// The auditor accepted the answer.
    Accepted,
}

/// One confirmation, in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfirmationSummary {
    /// The confirmation's id: the request's document id (hex).
    pub id: String,
    /// The audit firm's letter number.
    pub letter_no: String,
    /// The letter's form.
    pub form: String,
    /// The requesting audit firm (org id).
    pub auditor: String,
    /// The addressed bank (org id).
    pub bank: String,
    /// The client's reference at the bank.
    pub client: String,
    /// The status.
    #[schema(value_type = StatusName)]
    pub status: String,
    /// The as-of date.
    pub as_of: String,
    /// Block time of the request, Unix milliseconds.
    pub requested_ms: u64,
    /// Last day the client may authorize.
    pub authorize_by: String,
    /// The answer's due date, once authorized.
    pub due: Option<String>,
    /// The date the confirmation waits on now (see `docs/API.md`), if any.
    pub deadline: Option<String>,
    /// Whether the deadline is past.
    pub overdue: bool,
}

/// A page of confirmations.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfirmationPage {
    /// The confirmations, in ledger order.
    pub items: Vec<ConfirmationSummary>,
    /// Give this as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Who signed a document.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignerInfo {
    /// The org the key signs for (for a client, its bank).
    pub org: String,
    /// The Ed25519 key (base64).
    pub key: String,
    /// `admin`, `person` or `client`.
    pub kind: String,
    /// A person's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// A person's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A person's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A client's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// One document of a confirmation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// Document id (hex).
    pub id: String,
    /// Document type (`request`, `authorization`, `response`, `correction`, `return`,
    /// `decline`, `withdraw`, `accept`).
    pub kind: String,
    /// Who signed it.
    pub signer: SignerInfo,
    /// Who checked it, for answers.
    pub checker: Option<SignerInfo>,
    /// Creation time the signer claims, Unix milliseconds.
    pub created_ms: u64,
    /// Time of the block that committed it, Unix milliseconds.
    pub block_time_ms: u64,
    /// Height of that block.
    pub height: u64,
    /// Leaf index in the log.
    pub leaf_index: u64,
    /// RFC 9162 leaf hash (hex), for `GET /v1/proofs/inclusion`.
    pub leaf_hash: String,
}

/// A confirmation with its whole history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfirmationDetail {
    /// What the list shows.
    #[serde(flatten)]
    pub summary: ConfirmationSummary,
    /// Last day the authorization lets the bank answer.
    pub valid_until: Option<String>,
    /// Every document, in ledger order, the request first.
    pub history: Vec<HistoryEntry>,
}

/// List confirmations.
#[utoipa::path(
    get, path = "/v1/confirmations", operation_id = "listConfirmations", tag = "confirmations",
    params(ListQuery),
    security(("bearer" = [])),
    description = "Confirmations visible to the token's org, in ledger order: a bank's are those \
        addressed to it, an audit firm's those it requested, a client's those about it, a \
        regulator's all of them.",
    responses(
        (status = 200, description = "A page", body = ConfirmationPage),
        (status = 400, description = "`invalid-parameter` or `invalid-cursor`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn list(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<ConfirmationPage>, Problem> {
    let filter = Filter::parse(&q)?;
    let limit = q.limit.unwrap_or(PAGE_ITEMS_DEFAULT);
    if !(1..=PAGE_ITEMS_MAX).contains(&limit) {
        return Err(Problem::new(
            Kind::InvalidParameter,
            format!("limit is {limit}, expected 1 to {PAGE_ITEMS_MAX}"),
        ));
    }
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        let today = Date::from_unix_ms(ledger.now_ms(), ledger.genesis().utc_offset_minutes);
        let requests = view.requests();
        let start = after.map_or(0, |a| requests.partition_point(|(leaf, _)| *leaf <= a));
        let mut items = Vec::new();
        let mut next_cursor = None;
        for (leaf, id) in requests.get(start..).unwrap_or(&[]) {
            let Some(record) = view.request(id) else { continue };
            if !caller.sees(record) || !filter.admits(record, today) {
                continue;
            }
            if items.len() == usize::try_from(limit).unwrap_or(usize::MAX) {
                // One more exists: the page ends at the previous item.
                next_cursor = items.last().map(|(l, _): &(u64, ConfirmationSummary)| encode_cursor(*l));
                break;
            }
            items.push((*leaf, summary(id, record, today)));
        }
        Ok(Json(ConfirmationPage { items: items.into_iter().map(|(_, s)| s).collect(), next_cursor }))
    })
    .await
}

/// One confirmation with its history.
#[utoipa::path(
    get, path = "/v1/confirmations/{id}", operation_id = "getConfirmation", tag = "confirmations",
    params(("id" = String, Path, description = "The request's document id (64 lowercase hex digits)")),
    security(("bearer" = [])),
    description = "The confirmation and every document of it: kind, signer, times, block height and leaf index.",
    responses(
        (status = 200, description = "The confirmation", body = ConfirmationDetail),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`no-confirmation`: none with that id that this token may see", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn detail(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    PathParam(id): PathParam<String>,
    Query(_): Query<NoQuery>,
) -> Result<Json<ConfirmationDetail>, Problem> {
    let id = parse_id(&id)?;
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        let today = Date::from_unix_ms(ledger.now_ms(), ledger.genesis().utc_offset_minutes);
        detail_of(&view, &caller, &id, today).map(Json)
    })
    .await
}

/// Confirmation `id` with its history, if `caller` may see it (else `no-confirmation`, as
/// for an unknown id); "today" (for `overdue`) is `today`. What `GET /v1/confirmations/{id}`
/// answers and the console shows.
pub fn detail_of(
    view: &View,
    caller: &Principal,
    id: &Hash,
    today: Date,
) -> Result<ConfirmationDetail, Problem> {
    let record = visible(view, caller, id)?;
    let history = view.documents_of(id).into_iter().map(|d| history_entry(view, d)).collect();
    Ok(ConfirmationDetail {
        summary: summary(id, record, today),
        valid_until: record.valid_until.map(|d| d.to_string()),
        history,
    })
}

/// A confirmation's evidence bundle.
#[utoipa::path(
    get, path = "/v1/confirmations/{id}/bundle", operation_id = "getBundle", tag = "confirmations",
    params(("id" = String, Path, description = "The request's document id (64 lowercase hex digits)")),
    security(("bearer" = [])),
    description = "The evidence bundle (`docs/PROTOCOL.md` §Evidence bundles) of the confirmation \
        against the latest cosigned checkpoint: genesis, checkpoint, and each document and signer \
        enrollment with its inclusion proof. Check it offline with `vouch_core::bundle::verify_bundle` \
        and the genesis hash. No openings: the node holds no plaintext.",
    responses(
        (status = 200, description = "The bundle (`vouch_core::bundle::Bundle`)", content_type = "application/json", body = Object),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`no-confirmation`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 409, description = "`not-checkpointed`: the latest cosigned checkpoint does not cover every document yet; retry after the next one", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn bundle(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    PathParam(id): PathParam<String>,
    Query(_): Query<NoQuery>,
) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        let json = bundle_of(&*ledger, &view, &caller, &id)?;
        let mut resp = json.into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(resp)
    })
    .await
}

/// The evidence bundle of confirmation `id` as JSON, if `caller` may see it (else
/// `no-confirmation`): what `GET /v1/confirmations/{id}/bundle` answers and the console
/// offers for download.
pub fn bundle_of(
    ledger: &dyn crate::Ledger,
    view: &View,
    caller: &Principal,
    id: &Hash,
) -> Result<Vec<u8>, Problem> {
    let id = *id;
    visible(view, caller, &id)?;
    let leaves = view.bundle_leaves(&id);
    let Some((size, note)) = ledger.latest_checkpoint().map_err(store)? else {
        return Err(Problem::new(Kind::NotCheckpointed, "no cosigned checkpoint has been stored yet"));
    };
    if let Some(last) = leaves.last()
        && *last >= size
    {
        return Err(Problem::new(
            Kind::NotCheckpointed,
            format!(
                "the latest cosigned checkpoint has {size} leaves; the bundle needs leaf {last}: retry after the next checkpoint"
            ),
        ));
    }
    let genesis = ledger.genesis();
    let mut envelopes = Vec::with_capacity(leaves.len());
    for leaf_index in &leaves {
        let bytes = ledger.leaf(*leaf_index).map_err(store)?.ok_or_else(|| {
            Problem::new(Kind::Store, format!("leaf {leaf_index} is missing from the store"))
        })?;
        let env = Envelope::decode(&bytes, &genesis.network).map_err(|e| {
            Problem::new(Kind::Store, format!("stored leaf {leaf_index} does not decode: {e}"))
        })?;
        envelopes.push((*leaf_index, env));
    }
    let entries: Vec<(u64, &Envelope)> = envelopes.iter().map(|(l, e)| (*l, e)).collect();
    let nodes = Nodes::new(ledger);
    let built = vouch_core::bundle::build_bundle(genesis, &note, &nodes, id, &entries, Vec::new());
    // A store error met while reading nodes is the real cause of a failed build.
    nodes.finish(Ok(())).map_err(store)?;
    let bundle = built.map_err(|e| Problem::new(Kind::Store, format!("cannot build the bundle: {e}")))?;
    serde_json::to_vec(&bundle).map_err(|e| Problem::new(Kind::Internal, e.to_string()))
}

/// The filters of a listing, parsed.
struct Filter {
    party: Option<OrgId>,
    status: Option<Status>,
    as_of: Option<Date>,
    overdue: Option<bool>,
}

impl Filter {
    fn parse(q: &ListQuery) -> Result<Filter, Problem> {
        let invalid = |what: &str, e: String| Problem::new(Kind::InvalidParameter, format!("{what}: {e}"));
        let party =
            q.party.as_deref().map(OrgId::new).transpose().map_err(|e| invalid("party", e.to_string()))?;
        let status = q
            .status
            .as_deref()
            .map(|s| serde_json::from_value::<Status>(serde_json::Value::String(s.to_string())))
            .transpose()
            .map_err(|e| invalid("status", e.to_string()))?;
        let as_of =
            q.as_of.as_deref().map(Date::parse).transpose().map_err(|e| invalid("as_of", e.to_string()))?;
        Ok(Filter { party, status, as_of, overdue: q.overdue })
    }

    fn admits(&self, record: &RequestRecord, today: Date) -> bool {
        self.party.as_ref().is_none_or(|p| record.auditor == *p || record.bank == *p)
            && self.status.is_none_or(|s| record.status == s)
            && self.as_of.is_none_or(|d| record.as_of == d)
            && self.overdue.is_none_or(|o| overdue(record, today) == o)
    }
}

/// The date `record` waits on now.
pub(crate) fn deadline(record: &RequestRecord) -> Option<Date> {
    match record.status {
        Status::AwaitingAuthorization => Some(record.authorize_by),
        Status::Authorized => record.due,
        _ => None,
    }
}

fn overdue(record: &RequestRecord, today: Date) -> bool {
    deadline(record).is_some_and(|d| d < today)
}

fn summary(id: &Hash, record: &RequestRecord, today: Date) -> ConfirmationSummary {
    let text = |v: serde_json::Result<serde_json::Value>| match v {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    };
    ConfirmationSummary {
        id: id.to_hex(),
        letter_no: record.letter_no.clone(),
        form: text(serde_json::to_value(record.form)),
        auditor: record.auditor.to_string(),
        bank: record.bank.to_string(),
        client: record.client.to_string(),
        status: record.status.to_string(),
        as_of: record.as_of.to_string(),
        requested_ms: record.requested_ms,
        authorize_by: record.authorize_by.to_string(),
        due: record.due.map(|d| d.to_string()),
        deadline: deadline(record).map(|d| d.to_string()),
        overdue: overdue(record, today),
    }
}

fn history_entry(view: &View, d: &DocumentRef) -> HistoryEntry {
    let kind = match serde_json::to_value(d.doc_type) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{:?}", d.doc_type),
    };
    HistoryEntry {
        id: d.id.to_hex(),
        kind,
        signer: signer_info(view, &d.author),
        checker: d.checker.as_ref().map(|c| signer_info(view, c)),
        created_ms: d.created_ms,
        block_time_ms: d.block_ms,
        height: d.height,
        leaf_index: d.leaf_index,
        leaf_hash: d.leaf_hash.to_hex(),
    }
}

pub(crate) fn signer_info(view: &View, signer: &Signer) -> SignerInfo {
    let mut info = SignerInfo {
        org: signer.org.to_string(),
        key: signer.key.to_b64(),
        kind: "unknown".into(),
        person: None,
        name: None,
        title: None,
        client: None,
    };
    match view.signer(&signer.key).map(|r| &r.kind) {
        Some(KeyKind::Admin) => info.kind = "admin".into(),
        Some(KeyKind::Person { person, name, title }) => {
            info.kind = "person".into();
            info.person = Some(person.to_string());
            info.name = Some(name.clone());
            info.title = Some(title.clone());
        }
        Some(KeyKind::Client { client }) => {
            info.kind = "client".into();
            info.client = Some(client.to_string());
        }
        None => {}
    }
    info
}

/// The record of `id` if `caller` may see it; otherwise the same 404 as for no record.
fn visible<'v>(view: &'v View, caller: &Principal, id: &Hash) -> Result<&'v RequestRecord, Problem> {
    match view.request(id) {
        Some(record) if caller.sees(record) => Ok(record),
        _ => {
            Err(Problem::new(Kind::NoConfirmation, format!("no confirmation {id} is visible to this token")))
        }
    }
}

pub(crate) fn parse_id(text: &str) -> Result<Hash, Problem> {
    Hash::from_hex(text).map_err(|e| Problem::new(Kind::InvalidParameter, format!("confirmation id: {e}")))
}

/// Cursor format, version 1: `c1.` and the base64url (no padding) of the last item's
/// request leaf index, 8 bytes big-endian.
const CURSOR_PREFIX: &str = "c1.";

fn encode_cursor(leaf_index: u64) -> String {
    format!("{CURSOR_PREFIX}{}", URL_SAFE_NO_PAD.encode(leaf_index.to_be_bytes()))
}

fn decode_cursor(text: &str) -> Result<u64, Problem> {
    let invalid =
        || Problem::new(Kind::InvalidCursor, "cursor is not one this API issued; start without a cursor");
    let body = text.strip_prefix(CURSOR_PREFIX).ok_or_else(invalid)?;
    if body.len() > 16 {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
    let bytes: [u8; 8] = bytes.try_into().map_err(|_| invalid())?;
    Ok(u64::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        for n in [0, 1, 12_345, u64::MAX] {
            assert_eq!(decode_cursor(&encode_cursor(n)).ok(), Some(n));
        }
        for bad in ["", "c1.", "c2.AAAAAAAAAAA", "c1.!!!!", "c1.AAAA", "c1.AAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
            assert_eq!(decode_cursor(bad).err().map(|p| p.kind), Some(Kind::InvalidCursor), "{bad:?}");
        }
    }

    /// The documented status names are exactly the ones the core type reads and writes:
    /// the match is exhaustive, so a new core status does not compile until it is listed.
    #[test]
    fn documented_status_names_match_the_core_type() {
        use vouch_core::state::Status as S;
        let all = [
            S::AwaitingAuthorization,
            S::AuthorizationRefused,
            S::Authorized,
            S::Returned,
            S::Answered,
            S::Declined,
            S::Withdrawn,
            S::Accepted,
        ];
        for status in all {
            let documented = match status {
                S::AwaitingAuthorization => StatusName::AwaitingAuthorization,
                S::AuthorizationRefused => StatusName::AuthorizationRefused,
                S::Authorized => StatusName::Authorized,
                S::Returned => StatusName::Returned,
                S::Answered => StatusName::Answered,
                S::Declined => StatusName::Declined,
                S::Withdrawn => StatusName::Withdrawn,
                S::Accepted => StatusName::Accepted,
            };
            let core = serde_json::to_string(&status).expect("json");
            assert_eq!(serde_json::to_string(&documented).expect("json"), core);
            assert_eq!(serde_json::from_str::<S>(&core).ok(), Some(status));
        }
    }
}
