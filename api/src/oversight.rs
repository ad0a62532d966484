//! Give regulators per-bank and per-audit-firm statistics of confirmations
//! (`GET /v1/oversight/banks`, `GET /v1/oversight/audit-firms`): pure functions over the
//! [`View`], and their handlers.
//!
//! # Terminology
//!
//! - *Period*: the requests whose block date (in the network's time zone) is within
//!   `[from, to]`, both inclusive; either bound may be left open.
//! - *Today*: the date of the latest committed block (never the wall clock).
//! - *Answered within deadline* / *late*: by the ledger's own `late` flag on the **first**
//!   answer (a correction does not make an answer late or on time after the fact).
//! - *Unanswered past due*: authorized, not answered, and the due date is before today.
//! - *Response time*: working days in `(authorization date, first answer date]` under the
//!   ledger's calendar, per answered request. The *median* and *90th percentile* are
//!   nearest-rank: the `ceil(p/100 × n)`-th smallest value, so always one of the values
//!   (for `[2, 4]` the median is 2).
//! - *Exception rate*: answered requests whose current answer lists differences, over the
//!   answered requests.

use crate::auth::Role;
use crate::extract::{Caller, Query};
use crate::problem::{Kind, Problem};
use crate::view::View;
use crate::worklist::{latest_date, parse_date, reason_name};
use crate::{Ctx, blocking, store};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use vouch_core::date::Date;
use vouch_core::documents::Conclusion;
use vouch_core::genesis::Role as OrgRole;
use vouch_core::ids::OrgId;
use vouch_core::state::{RequestRecord, Status};

/// Parameters of the statistics.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First request date counted (`YYYY-MM-DD`, inclusive). Default: no lower bound.
    #[param(format = Date)]
    from: Option<String>,
    /// Last request date counted (`YYYY-MM-DD`, inclusive). Default: no upper bound.
    #[param(format = Date)]
    to: Option<String>,
}

/// Which side of a confirmation an org is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The addressed bank: requests received.
    Bank,
    /// The requesting audit firm: requests sent.
    AuditFirm,
}

/// One org's figures over the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrgStats {
    /// The org.
    pub org: String,
    /// Requests received (a bank) or sent (an audit firm) in the period.
    pub requests: u64,
    /// Still awaiting the client's authorization.
    pub awaiting_authorization: u64,
    /// Authorized by the client (whatever happened next).
    pub authorized: u64,
    /// The client refused to authorize.
    pub authorizations_refused: u64,
    /// Answered at least once.
    pub answered: u64,
    /// The first answer came by the due date.
    pub answered_within_deadline: u64,
    /// The first answer came after the due date.
    pub answered_late: u64,
    /// Authorized, unanswered, due date before today.
    pub unanswered_past_due: u64,
    /// Authorized, unanswered, still within the due date.
    pub unanswered_open: u64,
    /// Returned by the bank.
    pub returned: u64,
    /// Returned, by the bank's coded reason (`fee_not_paid`, …).
    pub returned_by_reason: BTreeMap<String, u64>,
    /// Declined by the bank.
    pub declined: u64,
    /// Withdrawn by the auditor.
    pub withdrawn: u64,
    /// Answered, with the current answer listing differences.
    pub answered_with_exceptions: u64,
    /// `answered_with_exceptions / answered`; absent when nothing was answered.
    pub exception_rate: Option<f64>,
    /// `answered_within_deadline / answered`; absent when nothing was answered.
    pub on_time_rate: Option<f64>,
    /// Median response time, working days (nearest rank); absent when nothing was answered.
    pub response_days_median: Option<i64>,
    /// 90th-percentile response time, working days (nearest rank).
    pub response_days_p90: Option<i64>,
}

/// Statistics of every org of one role.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OversightReport {
    /// The period's first date, if bounded.
    pub from: Option<String>,
    /// The period's last date, if bounded.
    pub to: Option<String>,
    /// The latest block's date: "past due" is judged against it.
    pub ledger_date: String,
    /// One entry per org of the role in genesis, by org id, including those with no request.
    pub orgs: Vec<OrgStats>,
}

/// Per-bank statistics.
#[utoipa::path(
    get, path = "/v1/oversight/banks", operation_id = "getBankStatistics", tag = "oversight",
    params(PeriodQuery),
    security(("bearer" = [])),
    description = "For each bank of the network, over the requests made in the period: requests \
        received, answered within the deadline or late, unanswered past due, returned (by reason), \
        authorizations refused, exception rate, and median and 90th-percentile response time in \
        working days (authorization to first answer). Regulators only.",
    responses(
        (status = 200, description = "The statistics", body = OversightReport),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`forbidden`: not a regulator's token", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn banks(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<OversightReport>, Problem> {
    serve(ctx, caller.role, q, Side::Bank).await
}

/// Per-audit-firm statistics.
#[utoipa::path(
    get, path = "/v1/oversight/audit-firms", operation_id = "getAuditFirmStatistics", tag = "oversight",
    params(PeriodQuery),
    security(("bearer" = [])),
    description = "The same figures as `/v1/oversight/banks`, for each audit firm over the requests \
        it sent in the period. Regulators only.",
    responses(
        (status = 200, description = "The statistics", body = OversightReport),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`forbidden`: not a regulator's token", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn audit_firms(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<OversightReport>, Problem> {
    serve(ctx, caller.role, q, Side::AuditFirm).await
}

async fn serve(ctx: Ctx, role: Role, q: PeriodQuery, side: Side) -> Result<Json<OversightReport>, Problem> {
    if role != Role::Regulator {
        return Err(Problem::new(Kind::Forbidden, "oversight statistics are for regulators' tokens"));
    }
    let from = parse_date("from", q.from.as_deref())?;
    let to = parse_date("to", q.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Problem::new(Kind::InvalidParameter, format!("from {f} is after to {t}")));
    }
    let wanted = match side {
        Side::Bank => OrgRole::Bank,
        Side::AuditFirm => OrgRole::AuditFirm,
    };
    let orgs: Vec<OrgId> =
        ctx.ledger.genesis().orgs.iter().filter(|o| o.role == wanted).map(|o| o.id.clone()).collect();
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        let today = latest_date(&view);
        Ok(Json(OversightReport {
            from: from.map(|d| d.to_string()),
            to: to.map(|d| d.to_string()),
            ledger_date: today.to_string(),
            orgs: statistics(&view, side, &orgs, from, to, today),
        }))
    })
    .await
}

/// The figures of each of `orgs` (on `side`) over the requests made in `[from, to]`,
/// judged as of `today`, in the order of `orgs`.
pub fn statistics(
    view: &View,
    side: Side,
    orgs: &[OrgId],
    from: Option<Date>,
    to: Option<Date>,
    today: Date,
) -> Vec<OrgStats> {
    let mut by_org: BTreeMap<&OrgId, (OrgStats, Vec<i64>)> = orgs
        .iter()
        .map(|o| (o, (OrgStats { org: o.to_string(), ..OrgStats::default() }, Vec::new())))
        .collect();
    let state = view.state();
    for (_, id) in view.requests() {
        let Some(record) = view.request(id) else { continue };
        let day = state.date_of(record.requested_ms);
        if from.is_some_and(|f| day < f) || to.is_some_and(|t| day > t) {
            continue;
        }
        let org = match side {
            Side::Bank => &record.bank,
            Side::AuditFirm => &record.auditor,
        };
        let Some((stats, days)) = by_org.get_mut(org) else { continue };
        count(view, id, record, today, stats, days);
    }
    orgs.iter()
        .filter_map(|o| by_org.remove(o))
        .map(|(mut stats, mut days)| {
            days.sort_unstable();
            stats.response_days_median = percentile(&days, 50);
            stats.response_days_p90 = percentile(&days, 90);
            stats.exception_rate = ratio(stats.answered_with_exceptions, stats.answered);
            stats.on_time_rate = ratio(stats.answered_within_deadline, stats.answered);
            stats
        })
        .collect()
}

/// Add one request to `stats`, and its response time to `days`.
fn count(
    view: &View,
    id: &vouch_core::encoding::Hash,
    record: &RequestRecord,
    today: Date,
    stats: &mut OrgStats,
    days: &mut Vec<i64>,
) {
    let state = view.state();
    stats.requests += 1;
    match record.status {
        Status::AwaitingAuthorization => stats.awaiting_authorization += 1,
        Status::AuthorizationRefused => stats.authorizations_refused += 1,
        Status::Returned => {
            stats.returned += 1;
            let reason = view.return_reason(id).map_or_else(|| "unknown".to_string(), reason_name);
            *stats.returned_by_reason.entry(reason).or_default() += 1;
        }
        Status::Declined => stats.declined += 1,
        Status::Withdrawn => stats.withdrawn += 1,
        Status::Authorized => {
            if record.due.is_some_and(|due| due < today) {
                stats.unanswered_past_due += 1;
            } else {
                stats.unanswered_open += 1;
            }
        }
        Status::Answered | Status::Accepted => {}
    }
    if record.status != Status::AuthorizationRefused && record.authorization.is_some() {
        stats.authorized += 1;
    }
    if let Some(first) = record.answers.first() {
        stats.answered += 1;
        if first.late {
            stats.answered_late += 1;
        } else {
            stats.answered_within_deadline += 1;
        }
        if record.answers.last().is_some_and(|a| a.conclusion == Conclusion::Differences) {
            stats.answered_with_exceptions += 1;
        }
        if let Some((_, authorized_ms)) = record.authorization {
            let start = state.date_of(authorized_ms);
            days.push(state.calendar.working_days_between(start, state.date_of(first.at_ms)));
        }
    }
}

/// The nearest-rank `p`-th percentile of `sorted` (ascending): its `ceil(p/100 × n)`-th
/// value; none for no values.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let p = usize::try_from(p.min(100)).unwrap_or(100);
    let rank = (p * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    // Counts are far below 2^53: exact as f64.
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[7], 90), Some(7));
        // n = 2: ranks ceil(1.0) = 1 and ceil(1.8) = 2.
        assert_eq!(percentile(&[4, 18], 50), Some(4));
        assert_eq!(percentile(&[4, 18], 90), Some(18));
        // n = 3: ranks ceil(1.5) = 2 and ceil(2.7) = 3.
        assert_eq!(percentile(&[2, 4, 18], 50), Some(4));
        assert_eq!(percentile(&[2, 4, 18], 90), Some(18));
        // n = 10: ranks 5 and 9.
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&ten, 50), Some(5));
        assert_eq!(percentile(&ten, 90), Some(9));
        // n = 11: ranks ceil(5.5) = 6 and ceil(9.9) = 10.
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(percentile(&eleven, 50), Some(6));
        assert_eq!(percentile(&eleven, 90), Some(10));
        assert_eq!(percentile(&[-3, 0], 50), Some(-3));
    }

    #[test]
    fn ratios_need_a_denominator() {
        assert_eq!(ratio(1, 0), None);
        assert_eq!(ratio(1, 2), Some(0.5));
        assert_eq!(ratio(0, 3), Some(0.0));
    }
}
