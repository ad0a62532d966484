//! Let a regulator or the node's operator ask the node to re-verify its own store:
//! `GET /v1/self-audit`. One runs at a time; it reads the whole ledger.

use crate::extract::{Caller, NoQuery, Query};
use crate::problem::{Kind, Problem};
use crate::{Ctx, blocking, store};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the self-audit found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SelfAudit {
    /// `true` if every check passed.
    pub ok: bool,
    /// Height checked up to.
    pub height: u64,
    /// Tree size checked.
    pub tree_size: u64,
    /// The recomputed root (hex), when the tree could be read.
    pub root: Option<String>,
    /// The checks that ran, in order.
    pub checks: Vec<String>,
    /// The first fault, when one was found.
    pub fault: Option<String>,
    /// How long the audit took, milliseconds.
    pub elapsed_ms: u64,
}

/// Re-verify the node's store.
#[utoipa::path(
    get, path = "/v1/self-audit", operation_id = "selfAudit", tag = "operations",
    security(("bearer" = [])),
    description = "Re-verify this node's store: the ledger invariants, every Merkle node, and \
        every block from genesis (links, certificates, signatures, state transitions, roots). \
        Answers 200 whether or not a fault was found; `ok` and `fault` say which. Needs a \
        regulator's token or an operator token.",
    responses(
        (status = 200, description = "The report", body = SelfAudit),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`forbidden`: neither a regulator's nor an operator token", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`busy` (another self-audit is running) or `store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn self_audit(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    Query(_): Query<NoQuery>,
) -> Result<Json<SelfAudit>, Problem> {
    if !caller.may_self_audit() {
        return Err(Problem::new(
            Kind::Forbidden,
            format!("token {} is neither a regulator's nor an operator token", caller.token),
        ));
    }
    let Ok(permit) = ctx.audits.clone().try_acquire_owned() else {
        return Err(Problem::new(Kind::Busy, "a self-audit is already running; retry when it ends"));
    };
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let _permit = permit;
        let started = std::time::Instant::now();
        let report = ledger.self_audit().map_err(store)?;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(ok = report.fault.is_none(), fault = ?report.fault, by = %caller.token, "self-audit");
        Ok(Json(SelfAudit {
            ok: report.fault.is_none(),
            height: report.height,
            tree_size: report.tree_size,
            root: report.root.map(|r| r.to_hex()),
            checks: report.checks,
            fault: report.fault,
            elapsed_ms,
        }))
    })
    .await
}
