//! Tell each party what waits on it: inboxes (`GET /v1/inbox`), reminders
//! (`GET /v1/reminders`) and an engagement's control sheet
//! (`GET /v1/engagements/control-sheet`). Pure functions over the [`View`], and their
//! handlers.
//!
//! # Terminology
//!
//! - *Today*: the `as_of_date` query parameter, or else the civil date, in the network's
//!   time zone, of the latest committed block. Never the wall clock: the same ledger and
//!   the same parameters give the same answer on every node, at any time.
//! - *Deadline*: the last day to authorize while a confirmation awaits authorization
//!   (kind `authorization`), the answer's due date once authorized (kind `answer`).
//! - *Working days left*: working days in `(today, deadline]` under the ledger's
//!   calendar, negative (minus those in `(deadline, today]`) once it has passed; 0 on the
//!   deadline itself. *Overdue*: the deadline is before today.
//! - *Outcome*: where a confirmation ended, for the control sheet: `answered_agreed`,
//!   `answered_with_exceptions` (the current answer lists differences), `not_answered`,
//!   `returned`, `authorization_refused`, `declined`, `withdrawn`.

use crate::auth::{Principal, Role};
use crate::extract::{Caller, Query};
use crate::limits::{
    CONTROL_SHEET_CLIENTS_MAX, REMINDER_DAYS_DEFAULT, REMINDER_DAYS_MAX, WORKLIST_ITEMS_MAX,
};
use crate::problem::{Kind, Problem};
use crate::view::View;
use crate::{Ctx, blocking, store};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vouch_core::date::Date;
use vouch_core::documents::Conclusion;
use vouch_core::encoding::Hash;
use vouch_core::ids::{ClientRef, OrgId};
use vouch_core::state::{RequestRecord, Status};

/// Parameters of an inbox.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Today (`YYYY-MM-DD`). Default: the latest block's date in the network's time zone.
    #[param(format = Date)]
    as_of_date: Option<String>,
}

/// Parameters of the reminders.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RemindersQuery {
    /// Deadlines at most this many working days after today, 0 to 60. Default 3.
    #[param(minimum = 0, maximum = 60)]
    within_days: Option<u32>,
    /// Today (`YYYY-MM-DD`). Default: the latest block's date in the network's time zone.
    #[param(format = Date)]
    as_of_date: Option<String>,
}

/// One confirmation that waits on someone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkItem {
    /// The confirmation's id (hex).
    pub id: String,
    /// The audit firm's letter number.
    pub letter_no: String,
    /// The requesting audit firm.
    pub auditor: String,
    /// The addressed bank.
    pub bank: String,
    /// The client's reference at the bank.
    pub client: String,
    /// The status.
    #[schema(value_type = crate::confirmations::StatusName)]
    pub status: String,
    /// The as-of date.
    pub as_of: String,
    /// Block time of the request, Unix milliseconds.
    pub requested_ms: u64,
    /// `authorization` or `answer`: what the deadline is for; absent once neither is due.
    pub deadline_kind: Option<String>,
    /// The deadline, if one runs.
    pub deadline: Option<String>,
    /// Working days from today to the deadline (negative once past).
    pub working_days_left: Option<i64>,
    /// The deadline is before today.
    pub overdue: bool,
    /// Why it is listed, for an auditor's inbox: `outstanding`, `exceptions`, `late_answer`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// A list of confirmations that wait on someone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkList {
    /// The date the list was computed for.
    pub today: String,
    /// The caller's role (`bank`, `audit_firm`, `client`, `regulator`).
    pub role: String,
    /// The items, soonest deadline first (no deadline last), then in ledger order.
    pub items: Vec<WorkItem>,
    /// More items matched than the list holds (at most 1000); the first ones are listed.
    pub truncated: bool,
}

/// The caller's inbox.
#[utoipa::path(
    get, path = "/v1/inbox", operation_id = "getInbox", tag = "worklists",
    params(InboxQuery),
    security(("bearer" = [])),
    description = "What waits on the caller's org. A bank: the requests addressed to it that are \
        authorized and not answered, soonest due first. An audit firm: its outstanding requests \
        (awaiting authorization or an answer) and the answered ones with exceptions or a late \
        answer. A client: the requests about it that await its authorization. Regulators have no \
        inbox (403). `working_days_left` and `overdue` are as of `today`.",
    responses(
        (status = 200, description = "The inbox", body = WorkList),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`forbidden`: a regulator's token", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn inbox(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    Query(q): Query<InboxQuery>,
) -> Result<Json<WorkList>, Problem> {
    if caller.role == Role::Regulator {
        return Err(Problem::new(
            Kind::Forbidden,
            "a regulator has no inbox; use GET /v1/reminders or GET /v1/oversight/banks",
        ));
    }
    let as_of = parse_date("as_of_date", q.as_of_date.as_deref())?;
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        let today = as_of.unwrap_or_else(|| latest_date(&view));
        Ok(Json(inbox_of(&view, &caller, today)))
    })
    .await
}

/// Deadlines coming up or passed.
#[utoipa::path(
    get, path = "/v1/reminders", operation_id = "getReminders", tag = "worklists",
    params(RemindersQuery),
    security(("bearer" = [])),
    description = "The confirmations visible to the token whose deadline (to authorize, or to \
        answer) is at most `within_days` working days after `today`, or has passed; soonest first.",
    responses(
        (status = 200, description = "The reminders", body = WorkList),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn reminders(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    Query(q): Query<RemindersQuery>,
) -> Result<Json<WorkList>, Problem> {
    let within = q.within_days.unwrap_or(REMINDER_DAYS_DEFAULT);
    if within > REMINDER_DAYS_MAX {
        return Err(Problem::new(
            Kind::InvalidParameter,
            format!("within_days is {within}, expected 0 to {REMINDER_DAYS_MAX}"),
        ));
    }
    let as_of = parse_date("as_of_date", q.as_of_date.as_deref())?;
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        let today = as_of.unwrap_or_else(|| latest_date(&view));
        Ok(Json(reminders_of(&view, &caller, today, within)))
    })
    .await
}

/// The latest block's civil date in the network's time zone.
pub fn latest_date(view: &View) -> Date {
    view.state().date_of(view.time_ms())
}

/// An optional date parameter, or a 400 naming it.
pub(crate) fn parse_date(name: &str, text: Option<&str>) -> Result<Option<Date>, Problem> {
    text.map(Date::parse)
        .transpose()
        .map_err(|e| Problem::new(Kind::InvalidParameter, format!("{name}: {e}")))
}

/// What the deadline of `record` is for, and the date.
fn deadline_of(record: &RequestRecord) -> Option<(&'static str, Date)> {
    match record.status {
        Status::AwaitingAuthorization => Some(("authorization", record.authorize_by)),
        Status::Authorized => record.due.map(|d| ("answer", d)),
        _ => None,
    }
}

/// The row of `record` as of `today`.
pub fn work_item(view: &View, id: &Hash, record: &RequestRecord, today: Date) -> WorkItem {
    let deadline = deadline_of(record);
    let left = deadline.map(|(_, d)| view.state().calendar.working_days_between(today, d));
    WorkItem {
        id: id.to_hex(),
        letter_no: record.letter_no.clone(),
        auditor: record.auditor.to_string(),
        bank: record.bank.to_string(),
        client: record.client.to_string(),
        status: record.status.to_string(),
        as_of: record.as_of.to_string(),
        requested_ms: record.requested_ms,
        deadline_kind: deadline.map(|(k, _)| k.to_string()),
        deadline: deadline.map(|(_, d)| d.to_string()),
        working_days_left: left,
        overdue: deadline.is_some_and(|(_, d)| d < today),
        reasons: Vec::new(),
    }
}

/// Sort soonest deadline first (none last), ledger order within a day; cap the length.
fn finish(mut rows: Vec<(Option<String>, u64, WorkItem)>, role: Role, today: Date) -> WorkList {
    sort_rows(&mut rows);
    let truncated = rows.len() > WORKLIST_ITEMS_MAX;
    rows.truncate(WORKLIST_ITEMS_MAX);
    WorkList {
        today: today.to_string(),
        role: role_name(role).to_string(),
        items: rows.into_iter().map(|(_, _, item)| item).collect(),
        truncated,
    }
}

/// Soonest deadline first (none last), ledger order within a day.
pub fn sort_rows(rows: &mut [(Option<String>, u64, WorkItem)]) {
    // Dates as `YYYY-MM-DD` sort as text; `None` sorts after every date via the flag.
    // A work item is a few hundred bytes and a sort moves elements O(n log n) times, so
    // sort a permutation of indices and apply it with n swaps.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    {
        let key = |i: usize| rows.get(i).map(|r| (r.0.is_none(), r.0.as_deref(), r.1));
        order.sort_unstable_by(|a, b| key(*a).cmp(&key(*b)));
    }
    // Position i takes the row first at `order[i]`; rows before i have already been
    // swapped away, so follow the permutation to where that row is now.
    for i in 0..order.len() {
        let mut from = order.get(i).copied().unwrap_or(i);
        while from < i {
            from = order.get(from).copied().unwrap_or(i);
        }
        rows.swap(i, from);
    }
}

/// The role as the API spells it.
pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Bank => "bank",
        Role::AuditFirm => "audit_firm",
        Role::Regulator => "regulator",
        Role::Client => "client",
    }
}

/// Why an auditor's inbox lists `record`, if it does.
fn auditor_reasons(record: &RequestRecord) -> Vec<String> {
    let mut reasons = Vec::new();
    if matches!(record.status, Status::AwaitingAuthorization | Status::Authorized) {
        reasons.push("outstanding".to_string());
    }
    if matches!(record.status, Status::Answered | Status::Accepted) {
        if record.answers.last().is_some_and(|a| a.conclusion == Conclusion::Differences) {
            reasons.push("exceptions".to_string());
        }
        if record.answers.iter().any(|a| a.late) {
            reasons.push("late_answer".to_string());
        }
    }
    reasons
}

/// The inbox of `caller` as of `today` (see [`inbox`]). A regulator's is empty.
pub fn inbox_of(view: &View, caller: &Principal, today: Date) -> WorkList {
    finish(inbox_rows(view, caller, today), caller.role, today)
}

/// Every item of `caller`'s inbox as of `today`, soonest deadline first, uncapped: the
/// console pages through it; the API caps it ([`inbox_of`]).
pub fn inbox_items(view: &View, caller: &Principal, today: Date) -> Vec<WorkItem> {
    let mut rows = inbox_rows(view, caller, today);
    sort_rows(&mut rows);
    rows.into_iter().map(|(_, _, item)| item).collect()
}

/// The inbox's rows, unsorted: (deadline, request leaf index, item).
fn inbox_rows(view: &View, caller: &Principal, today: Date) -> Vec<(Option<String>, u64, WorkItem)> {
    let mut rows = Vec::new();
    for (leaf, id) in view.requests() {
        let Some(record) = view.request(id) else { continue };
        if !caller.sees(record) {
            continue;
        }
        let reasons = match caller.role {
            Role::Bank if record.status == Status::Authorized => Vec::new(),
            Role::Client if record.status == Status::AwaitingAuthorization => Vec::new(),
            Role::AuditFirm => {
                let reasons = auditor_reasons(record);
                if reasons.is_empty() {
                    continue;
                }
                reasons
            }
            _ => continue,
        };
        let mut item = work_item(view, id, record, today);
        item.reasons = reasons;
        rows.push((item.deadline.clone(), *leaf, item));
    }
    rows
}

/// The reminders of `caller`: visible confirmations whose deadline is at most `within`
/// working days after `today`, or passed.
pub fn reminders_of(view: &View, caller: &Principal, today: Date, within: u32) -> WorkList {
    let mut rows = Vec::new();
    for (leaf, id) in view.requests() {
        let Some(record) = view.request(id) else { continue };
        if !caller.sees(record) {
            continue;
        }
        let item = work_item(view, id, record, today);
        if item.working_days_left.is_some_and(|left| left <= i64::from(within)) {
            rows.push((item.deadline.clone(), *leaf, item));
        }
    }
    finish(rows, caller.role, today)
}

/// Parameters of a control sheet.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ControlSheetQuery {
    /// The audit firm (org id). An audit firm's token may name only itself (the default);
    /// a regulator's may name any, or none for all.
    auditor: Option<String>,
    /// Only confirmations about these clients: a comma-separated list of client references,
    /// each alone (`c-000123`: at any bank) or with its bank (`bank-a/c-000123`). The
    /// ledger knows a client only by each bank's reference (its identity is sealed), so an
    /// engagement spanning several banks names one reference per bank. At most 50.
    client: Option<String>,
    /// Only confirmations as of this date (`YYYY-MM-DD`): one engagement's period end.
    #[param(format = Date)]
    as_of: Option<String>,
}

/// Counts of a control sheet. `sent` is the sum of every other count but `accepted`
/// (which is part of the answered ones).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ControlCounts {
    /// Requests sent.
    pub sent: u64,
    /// Answered: the current answer agrees.
    pub answered_agreed: u64,
    /// Answered: the current answer lists exceptions.
    pub answered_with_exceptions: u64,
    /// Of the answered, accepted by the auditor.
    pub accepted: u64,
    /// Awaiting authorization or an answer.
    pub not_answered: u64,
    /// Returned by the bank.
    pub returned: u64,
    /// The client refused to authorize.
    pub authorization_refused: u64,
    /// The bank declined to answer.
    pub declined: u64,
    /// Withdrawn by the auditor.
    pub withdrawn: u64,
}

/// One row of a control sheet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ControlRow {
    /// The confirmation's id (hex).
    pub id: String,
    /// The audit firm's letter number.
    pub letter_no: String,
    /// The requesting audit firm.
    pub auditor: String,
    /// The addressed bank.
    pub bank: String,
    /// The client's reference at the bank.
    pub client: String,
    /// The as-of date.
    pub as_of: String,
    /// The status.
    #[schema(value_type = crate::confirmations::StatusName)]
    pub status: String,
    /// Where it ended (see `docs/API.md`).
    pub outcome: String,
    /// Block date of the request.
    pub sent: String,
    /// Block date of the first answer.
    pub first_answered: Option<String>,
    /// Answers (response and corrections) on the ledger.
    pub answers: u64,
    /// Any answer came after its deadline.
    pub late: bool,
    /// The bank's coded return reason, for a returned one.
    pub return_reason: Option<String>,
    /// The accepted answer's document id, if accepted.
    pub accepted: Option<String>,
}

/// An engagement's confirmation control sheet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ControlSheet {
    /// The audit firm, if one was named or implied.
    pub auditor: Option<String>,
    /// The client filter, as given: `bank/ref` or `ref` (empty: all).
    pub clients: Vec<String>,
    /// The as-of filter, if any.
    pub as_of: Option<String>,
    /// The date of the latest block: the sheet is as of it.
    pub ledger_date: String,
    /// The counts.
    pub counts: ControlCounts,
    /// Every confirmation counted, in ledger order (at most 1000; see `truncated`).
    pub rows: Vec<ControlRow>,
    /// More rows were counted than listed.
    pub truncated: bool,
}

/// An engagement's control sheet.
#[utoipa::path(
    get, path = "/v1/engagements/control-sheet", operation_id = "getControlSheet", tag = "worklists",
    params(ControlSheetQuery),
    security(("bearer" = [])),
    description = "What an audit manager files in the working papers: every confirmation the firm \
        sent (for a client, as of a date), counted by outcome — answered (agreed / with \
        exceptions), not answered, returned, authorization refused, declined, withdrawn — with a \
        row each. Audit firms (their own) and regulators only.",
    responses(
        (status = 200, description = "The control sheet", body = ControlSheet),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`forbidden`: a bank's or client's token, or another firm's sheet", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn control_sheet(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    Query(q): Query<ControlSheetQuery>,
) -> Result<Json<ControlSheet>, Problem> {
    let invalid = |what: &str, e: String| Problem::new(Kind::InvalidParameter, format!("{what}: {e}"));
    let auditor =
        q.auditor.as_deref().map(OrgId::new).transpose().map_err(|e| invalid("auditor", e.to_string()))?;
    let clients = q.client.as_deref().map(parse_clients).transpose()?.unwrap_or_default();
    let as_of = parse_date("as_of", q.as_of.as_deref())?;
    let auditor = match caller.role {
        Role::Regulator => auditor,
        Role::AuditFirm => match auditor {
            Some(a) if a != caller.org => {
                return Err(Problem::new(
                    Kind::Forbidden,
                    format!(
                        "an audit firm's token sees its own control sheet only: asked for {a}, token is {}",
                        caller.org
                    ),
                ));
            }
            _ => Some(caller.org.clone()),
        },
        Role::Bank | Role::Client => {
            return Err(Problem::new(
                Kind::Forbidden,
                "control sheets are for audit firms and regulators; a bank or client uses GET /v1/inbox",
            ));
        }
    };
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        Ok(Json(control_sheet_of(&view, auditor.as_ref(), &clients, as_of)))
    })
    .await
}

/// One client of a control sheet's filter: its reference, and its bank if named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFilter {
    /// The bank, if named (`bank-a/c-000123`).
    pub bank: Option<OrgId>,
    /// The bank's reference for the client.
    pub client: ClientRef,
}

impl ClientFilter {
    fn admits(&self, record: &RequestRecord) -> bool {
        record.client == self.client && self.bank.as_ref().is_none_or(|b| record.bank == *b)
    }
}

impl std::fmt::Display for ClientFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.bank {
            Some(bank) => write!(f, "{bank}/{}", self.client),
            None => write!(f, "{}", self.client),
        }
    }
}

/// Parse `client`: comma-separated `ref` or `bank/ref`, at most [`CONTROL_SHEET_CLIENTS_MAX`].
fn parse_clients(text: &str) -> Result<Vec<ClientFilter>, Problem> {
    let invalid = |e: String| Problem::new(Kind::InvalidParameter, format!("client: {e}"));
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() > CONTROL_SHEET_CLIENTS_MAX {
        return Err(invalid(format!("{} clients, at most {CONTROL_SHEET_CLIENTS_MAX}", parts.len())));
    }
    parts
        .into_iter()
        .map(|part| {
            let (bank, client) = match part.split_once('/') {
                Some((bank, client)) => (Some(OrgId::new(bank).map_err(|e| invalid(e.to_string()))?), client),
                None => (None, part),
            };
            let client = ClientRef::new(client).map_err(|e| invalid(e.to_string()))?;
            Ok(ClientFilter { bank, client })
        })
        .collect()
}

/// The outcome of `record` (see the module's terminology).
pub fn outcome(record: &RequestRecord) -> &'static str {
    match record.status {
        Status::AwaitingAuthorization | Status::Authorized => "not_answered",
        Status::AuthorizationRefused => "authorization_refused",
        Status::Returned => "returned",
        Status::Declined => "declined",
        Status::Withdrawn => "withdrawn",
        Status::Answered | Status::Accepted => {
            if record.answers.last().is_some_and(|a| a.conclusion == Conclusion::Differences) {
                "answered_with_exceptions"
            } else {
                "answered_agreed"
            }
        }
    }
}

/// The control sheet of the confirmations matching the filters (`None`, or no clients,
/// matches all).
pub fn control_sheet_of(
    view: &View,
    auditor: Option<&OrgId>,
    clients: &[ClientFilter],
    as_of: Option<Date>,
) -> ControlSheet {
    let mut counts = ControlCounts::default();
    let mut rows = Vec::new();
    let mut truncated = false;
    for (_, id) in view.requests() {
        let Some(record) = view.request(id) else { continue };
        if auditor.is_some_and(|a| record.auditor != *a)
            || (!clients.is_empty() && !clients.iter().any(|c| c.admits(record)))
            || as_of.is_some_and(|d| record.as_of != d)
        {
            continue;
        }
        let outcome = outcome(record);
        counts.sent += 1;
        let slot = match outcome {
            "answered_agreed" => &mut counts.answered_agreed,
            "answered_with_exceptions" => &mut counts.answered_with_exceptions,
            "not_answered" => &mut counts.not_answered,
            "returned" => &mut counts.returned,
            "authorization_refused" => &mut counts.authorization_refused,
            "declined" => &mut counts.declined,
            _ => &mut counts.withdrawn,
        };
        *slot += 1;
        if record.status == Status::Accepted {
            counts.accepted += 1;
        }
        if rows.len() == WORKLIST_ITEMS_MAX {
            truncated = true;
            continue;
        }
        let state = view.state();
        rows.push(ControlRow {
            id: id.to_hex(),
            letter_no: record.letter_no.clone(),
            auditor: record.auditor.to_string(),
            bank: record.bank.to_string(),
            client: record.client.to_string(),
            as_of: record.as_of.to_string(),
            status: record.status.to_string(),
            outcome: outcome.to_string(),
            sent: state.date_of(record.requested_ms).to_string(),
            first_answered: record.answers.first().map(|a| state.date_of(a.at_ms).to_string()),
            answers: u64::try_from(record.answers.len()).unwrap_or(u64::MAX),
            late: record.answers.iter().any(|a| a.late),
            return_reason: view.return_reason(id).map(reason_name),
            accepted: record.accepted.map(|h| h.to_hex()),
        });
    }
    ControlSheet {
        auditor: auditor.map(ToString::to_string),
        clients: clients.iter().map(ToString::to_string).collect(),
        as_of: as_of.map(|d| d.to_string()),
        ledger_date: latest_date(view).to_string(),
        counts,
        rows,
        truncated,
    }
}

/// A return reason as the protocol spells it (`format_noncompliant`, …).
pub(crate) fn reason_name(reason: vouch_core::documents::ReturnReason) -> String {
    match serde_json::to_value(reason) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{reason:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: u64) -> WorkItem {
        WorkItem {
            id: id.to_string(),
            letter_no: String::new(),
            auditor: String::new(),
            bank: String::new(),
            client: String::new(),
            status: String::new(),
            as_of: String::new(),
            requested_ms: 0,
            deadline_kind: None,
            deadline: None,
            working_days_left: None,
            overdue: false,
            reasons: Vec::new(),
        }
    }

    #[test]
    fn rows_sort_by_deadline_then_ledger_order_with_none_last() {
        // A small LCG: the same rows on every run, many shapes.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for n in [0usize, 1, 2, 3, 7, 50, 333] {
            let mut rows: Vec<(Option<String>, u64, WorkItem)> = (0..n as u64)
                .map(|leaf| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    let deadline = match (x >> 33) % 6 {
                        0 => None,
                        d => Some(format!("2026-0{d}-1{}", (x >> 40) % 3)),
                    };
                    (deadline, (x >> 20) % 1000 + leaf * 1000, item(leaf))
                })
                .collect();
            let mut expected: Vec<(Option<String>, u64, String)> =
                rows.iter().map(|(d, l, i)| (d.clone(), *l, i.id.clone())).collect();
            expected.sort_by(|a, b| (a.0.is_none(), &a.0, a.1).cmp(&(b.0.is_none(), &b.0, b.1)));
            sort_rows(&mut rows);
            let got: Vec<(Option<String>, u64, String)> =
                rows.iter().map(|(d, l, i)| (d.clone(), *l, i.id.clone())).collect();
            assert_eq!(got, expected, "{n} rows");
        }
    }
}
