//! Show each bank's published rules for confirmations (`GET /v1/banks`,
//! `GET /v1/banks/{org}`): the forms it answers, the scopes it accepts, its working days,
//! fee and contact, as its latest `bank_rules` document states them (`docs/PROTOCOL.md`
//! §7.14), so that auditors read them before they send.
//!
//! Rules are public to every member: any valid token reads them. A bank that has published
//! none is listed with `rules` absent, so that an auditor sees the gap rather than nothing.

use crate::extract::{Caller, PathParam};
use crate::problem::{Kind, Problem};
use crate::view::View;
use crate::worklist::latest_date;
use crate::{Ctx, blocking, store};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vouch_core::genesis::{Genesis, Role as OrgRole};
use vouch_core::ids::OrgId;

/// Who signed a bank's rules, and where they are on the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RulesSource {
    /// The `bank_rules` document id (hex).
    pub document: String,
    /// Its leaf index.
    pub leaf_index: Option<u64>,
    /// The block that committed it.
    pub height: Option<u64>,
    /// That block's time, Unix milliseconds: the rules are in force from then.
    pub published_ms: u64,
    /// The signer's person id at the bank, when the key is a person's.
    pub person: Option<String>,
    /// The signer's key (base64).
    pub key: String,
}

/// One bank and its rules in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BankEntry {
    /// The bank's org id.
    pub org: String,
    /// Its name in genesis.
    pub name: String,
    /// The rules (`vouch_core::documents::BankRules`: `forms`, `whole_bank`, `branches`,
    /// `response_days`, `fee`, `contact`, `notes`); absent when the bank has published none.
    #[schema(value_type = Option<Object>)]
    pub rules: Option<serde_json::Value>,
    /// Where the rules come from; absent with `rules`.
    pub source: Option<RulesSource>,
}

/// Every bank of the network.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BankList {
    /// The latest block's date.
    pub ledger_date: String,
    /// One entry per bank of genesis, by org id.
    pub banks: Vec<BankEntry>,
}

/// Every bank with its published rules.
#[utoipa::path(
    get, path = "/v1/banks", operation_id = "listBanks", tag = "banks",
    security(("bearer" = [])),
    description = "Every bank of the network with the rules it published last (`bank_rules`, \
        `docs/PROTOCOL.md` §7.14): forms answered, scopes accepted, working days to answer, fee, \
        contact. Read them before sending a request. Any member's token.",
    responses(
        (status = 200, description = "The banks", body = BankList),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn list(State(ctx): State<Ctx>, Caller(_caller): Caller) -> Result<Json<BankList>, Problem> {
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        let genesis = ledger.genesis();
        let banks = genesis
            .orgs
            .iter()
            .filter(|o| o.role == OrgRole::Bank)
            .filter_map(|o| entry(&view, genesis, &o.id))
            .collect();
        Ok(Json(BankList { ledger_date: latest_date(&view).to_string(), banks }))
    })
    .await
}

/// One bank with its published rules.
#[utoipa::path(
    get, path = "/v1/banks/{org}", operation_id = "getBank", tag = "banks",
    params(("org" = String, Path, description = "The bank's org id")),
    security(("bearer" = [])),
    description = "One bank with the rules it published last; `rules` is absent if it has published \
        none. Any member's token.",
    responses(
        (status = 200, description = "The bank", body = BankEntry),
        (status = 400, description = "`invalid-parameter`: not an org id", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`not-found`: no bank of this network has that id", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn one(
    State(ctx): State<Ctx>,
    Caller(_caller): Caller,
    PathParam(org): PathParam<String>,
) -> Result<Json<BankEntry>, Problem> {
    let org = OrgId::new(&org).map_err(|e| Problem::new(Kind::InvalidParameter, format!("org: {e}")))?;
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        entry(&view, ledger.genesis(), &org).map(Json).ok_or_else(|| {
            Problem::new(
                Kind::NotFound,
                format!("{org} is not a bank of this network: GET /v1/banks lists the banks"),
            )
        })
    })
    .await
}

/// The entry of bank `org`, or `None` if genesis has no bank of that id.
pub fn entry(view: &View, genesis: &Genesis, org: &OrgId) -> Option<BankEntry> {
    let member = genesis.org(org).filter(|o| o.role == OrgRole::Bank)?;
    let record = view.state().bank_rules.get(org);
    let source = record.map(|r| {
        let at = view.leaf_of(&r.id).and_then(|leaf| view.document(leaf));
        let person = match view.signer(&r.author).map(|k| &k.kind) {
            Some(vouch_core::state::KeyKind::Person { person, .. }) => Some(person.to_string()),
            _ => None,
        };
        RulesSource {
            document: r.id.to_hex(),
            leaf_index: at.map(|d| d.leaf_index),
            height: at.map(|d| d.height),
            published_ms: r.published_ms,
            person,
            key: r.author.to_b64(),
        }
    });
    Some(BankEntry {
        org: org.to_string(),
        name: member.name.clone(),
        rules: record.and_then(|r| serde_json::to_value(&r.rules).ok()),
        source,
    })
}
