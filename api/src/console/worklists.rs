//! Show each party what waits on it, a page at a time: the auditor's dashboard
//! (outstanding confirmations by client, status and deadline, exceptions and late answers
//! flagged), the bank's inbox (soonest deadline first, overdue marked, the client's
//! authorization beside each) and the client's requests awaiting its authorization.
//!
//! Rows come from [`crate::worklist`], the functions behind `GET /v1/inbox`, so the
//! console and the API list the same things; "today" is the latest block's date there too.

use super::i18n::Lang;
use super::layout::{encode, page};
use super::{Console, Visitor, read_query};
use crate::auth::{Principal, Role};
use crate::limits::CONSOLE_PAGE_ROWS;
use crate::problem::{Kind, Problem};
use crate::view::View;
use crate::worklist::{WorkItem, inbox_items, latest_date, sort_rows, work_item};
use crate::{blocking, store};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use maud::{Markup, html};
use std::collections::BTreeMap;
use vouch_core::date::Date;
use vouch_core::state::Status;

/// A status's name, translated.
pub(crate) fn status_label(l: Lang, status: &str) -> &'static str {
    match status {
        "awaiting_authorization" => l.t("status.awaiting_authorization"),
        "authorization_refused" => l.t("status.authorization_refused"),
        "authorized" => l.t("status.authorized"),
        "returned" => l.t("status.returned"),
        "answered" => l.t("status.answered"),
        "declined" => l.t("status.declined"),
        "withdrawn" => l.t("status.withdrawn"),
        "accepted" => l.t("status.accepted"),
        _ => l.t("status.unknown"),
    }
}

fn reason_label(l: Lang, reason: &str) -> &'static str {
    match reason {
        "outstanding" => l.t("flag.outstanding"),
        "exceptions" => l.t("flag.exceptions"),
        "late_answer" => l.t("flag.late_answer"),
        _ => l.t("status.unknown"),
    }
}

/// A page number from the query: 1 if absent.
fn page_number(text: Option<&str>) -> Result<usize, Problem> {
    match text {
        None | Some("") => Ok(1),
        Some(t) => {
            t.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                Problem::new(Kind::InvalidParameter, format!("page: {t:?} is not a page number"))
            })
        }
    }
}

/// One page of `items`, and how many pages there are.
fn paginate<T>(items: Vec<T>, page: usize) -> (Vec<T>, usize) {
    let pages = items.len().div_ceil(CONSOLE_PAGE_ROWS).max(1);
    let start = page.saturating_sub(1).saturating_mul(CONSOLE_PAGE_ROWS);
    (items.into_iter().skip(start).take(CONSOLE_PAGE_ROWS).collect(), pages)
}

/// Previous and next links, keeping the other parameters (`base` ends with `?` or `&`).
fn pager(l: Lang, base: &str, page: usize, pages: usize) -> Markup {
    html! {
        nav id="pager" class="pager" {
            @if page > 1 { a id="page-prev" href={ (base) "page=" (page - 1) } { (l.t("page.prev")) } }
            span id="page-of" { (l.t("page.page")) " " (page) " / " (pages) }
            @if page < pages { a id="page-next" href={ (base) "page=" (page + 1) } { (l.t("page.next")) } }
        }
    }
}

fn deadline_cell(l: Lang, item: &WorkItem) -> Markup {
    html! {
        @if let Some(d) = &item.deadline {
            span class="date" { (d) }
            " "
            span class="muted" {
                @match item.deadline_kind.as_deref() {
                    Some("authorization") => { (l.t("deadline.authorization")) }
                    _ => { (l.t("deadline.answer")) }
                }
            }
            @if item.overdue { " " span class="flag overdue" { (l.t("flag.overdue")) } }
            @else if let Some(left) = item.working_days_left { " " span class="muted" { "(" (left) " " (l.t("deadline.days_left")) ")" } }
        } @else {
            span class="muted" { "—" }
        }
    }
}

/// Parameters of the dashboard.
#[derive(serde::Deserialize)]
struct DashboardQuery {
    /// `ref` or `bank/ref`.
    client: Option<String>,
    status: Option<String>,
    /// Deadlines on or before this date.
    due_before: Option<String>,
    page: Option<String>,
}

/// One client's line of the dashboard's summary.
#[derive(Default)]
struct ClientCounts {
    outstanding: usize,
    exceptions: usize,
    late: usize,
    overdue: usize,
}

struct Dashboard {
    today: Date,
    by_client: BTreeMap<String, ClientCounts>,
    rows: Vec<WorkItem>,
    pages: usize,
    matched: usize,
}

fn dashboard_data(
    view: &View,
    caller: &Principal,
    q: &DashboardQuery,
    page: usize,
) -> Result<Dashboard, Problem> {
    let due_before =
        crate::worklist::parse_date("due_before", q.due_before.as_deref().filter(|s| !s.is_empty()))?;
    let today = latest_date(view);
    let items = inbox_items(view, caller, today);
    let mut by_client: BTreeMap<String, ClientCounts> = BTreeMap::new();
    for item in &items {
        let c = by_client.entry(format!("{}/{}", item.bank, item.client)).or_default();
        for reason in &item.reasons {
            match reason.as_str() {
                "outstanding" => c.outstanding += 1,
                "exceptions" => c.exceptions += 1,
                _ => c.late += 1,
            }
        }
        if item.overdue {
            c.overdue += 1;
        }
    }
    let client = q.client.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let matched: Vec<WorkItem> = items
        .into_iter()
        .filter(|i| {
            client.is_none_or(|c| c == i.client || c == format!("{}/{}", i.bank, i.client))
                && status.is_none_or(|s| s == i.status || i.reasons.iter().any(|r| r == s))
                && due_before
                    .is_none_or(|d| i.deadline.as_deref().is_some_and(|x| x <= d.to_string().as_str()))
        })
        .collect();
    let count = matched.len();
    let (rows, pages) = paginate(matched, page);
    Ok(Dashboard { today, by_client, rows, pages, matched: count })
}

/// `GET /dashboard`: the auditor's outstanding confirmations.
pub(crate) async fn dashboard(State(console): State<Console>, v: Visitor, uri: Uri) -> Response {
    let caller = match v.require() {
        Ok(p) => p.clone(),
        Err(resp) => return *resp,
    };
    if caller.role != Role::AuditFirm {
        return v.refuse(StatusCode::FORBIDDEN, "error.forbidden", Some("the dashboard is for audit firms"));
    }
    let q: DashboardQuery = match read_query(&v, uri.query()) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let page_no = match page_number(q.page.as_deref()) {
        Ok(n) => n,
        Err(p) => return v.problem(&p),
    };
    let ledger = console.ctx.ledger.clone();
    let (data, q) = match blocking(move || {
        let view = ledger.view().map_err(store)?;
        dashboard_data(&view, &caller, &q, page_no).map(|d| (d, q))
    })
    .await
    {
        Ok(d) => d,
        Err(p) => return v.problem(&p),
    };
    let l = v.lang;
    let value = |o: &Option<String>| o.clone().unwrap_or_default();
    let base = format!(
        "/dashboard?client={}&status={}&due_before={}&",
        encode(&value(&q.client)),
        encode(&value(&q.status)),
        encode(&value(&q.due_before))
    );
    let body = html! {
        p class="lead" { (l.t("dashboard.lead")) " " span id="today" class="date" { (data.today) } }
        h2 { (l.t("dashboard.by_client")) }
        table id="by-client" {
            thead { tr {
                th { (l.t("col.client")) } th { (l.t("flag.outstanding")) } th { (l.t("flag.overdue")) }
                th { (l.t("flag.exceptions")) } th { (l.t("flag.late_answer")) }
            } }
            tbody {
                @for (client, c) in &data.by_client {
                    tr {
                        td { a href={ "/dashboard?client=" (encode(client)) } { (client) } }
                        td class="num" { (c.outstanding) } td class="num" { (c.overdue) }
                        td class="num" { (c.exceptions) } td class="num" { (c.late) }
                    }
                }
            }
        }
        h2 { (l.t("dashboard.list")) }
        form id="filter-form" class="filters" method="get" action="/dashboard" {
            label { (l.t("col.client")) " " input id="filter-client" name="client" value=(value(&q.client)) placeholder="bank/ref"; }
            label { (l.t("col.status")) " "
                select id="filter-status" name="status" {
                    option value="" { (l.t("filter.any")) }
                    @for s in ["outstanding", "exceptions", "late_answer"] {
                        option value=(s) selected[q.status.as_deref() == Some(s)] { (reason_label(l, s)) }
                    }
                    @for s in ["awaiting_authorization", "authorized", "answered", "accepted"] {
                        option value=(s) selected[q.status.as_deref() == Some(s)] { (status_label(l, s)) }
                    }
                }
            }
            label { (l.t("filter.due_before")) " " input id="filter-due-before" name="due_before" type="date" value=(value(&q.due_before)); }
            button id="filter-apply" type="submit" { (l.t("filter.apply")) }
        }
        p id="matched" class="muted" { (data.matched) " " (l.t("list.matched")) }
        (item_table(l, &data.rows, true))
        (pager(l, &base, page_no, data.pages))
    };
    page(StatusCode::OK, &v.chrome(), l.t("dashboard.title"), body)
}

fn item_table(l: Lang, rows: &[WorkItem], auditor: bool) -> Markup {
    html! {
        table id="items" {
            thead { tr {
                th { (l.t("col.letter_no")) }
                @if auditor { th { (l.t("col.bank")) } } @else { th { (l.t("col.auditor")) } }
                th { (l.t("col.client")) } th { (l.t("col.as_of")) } th { (l.t("col.status")) }
                th { (l.t("col.deadline")) } th { (l.t("col.flags")) }
            } }
            tbody {
                @for i in rows {
                    tr id={ "row-" (i.id) } class=[i.overdue.then_some("overdue")] {
                        td { a class="open" href={ "/confirmations/" (i.id) } { (i.letter_no) } }
                        @if auditor { td { (i.bank) } } @else { td { (i.auditor) } }
                        td { (i.client) } td class="date" { (i.as_of) } td { (status_label(l, &i.status)) }
                        td { (deadline_cell(l, i)) }
                        td { @for r in &i.reasons { span class={ "flag " (r) } { (reason_label(l, r)) } " " } }
                    }
                }
            }
        }
        @if rows.is_empty() { p id="empty" class="muted" { (l.t("list.empty")) } }
    }
}

/// A bank's open confirmations: awaiting the client's authorization, or authorized and
/// waiting for the answer; soonest deadline first.
fn bank_rows(view: &View, caller: &Principal, today: Date) -> Vec<(WorkItem, Option<String>)> {
    let mut rows = Vec::new();
    let mut valid_until = BTreeMap::new();
    for (leaf, id) in view.requests() {
        let Some(record) = view.request(id) else { continue };
        if !caller.sees(record)
            || !matches!(record.status, Status::AwaitingAuthorization | Status::Authorized)
        {
            continue;
        }
        let item = work_item(view, id, record, today);
        valid_until.insert(item.id.clone(), record.valid_until.map(|d| d.to_string()));
        rows.push((item.deadline.clone(), *leaf, item));
    }
    sort_rows(&mut rows);
    rows.into_iter()
        .map(|(_, _, item)| {
            let until = valid_until.remove(&item.id).flatten();
            (item, until)
        })
        .collect()
}

/// Parameters of an inbox.
#[derive(serde::Deserialize)]
struct InboxQuery {
    page: Option<String>,
}

/// `GET /inbox`: the bank's inbox, or the client's requests awaiting authorization.
pub(crate) async fn inbox(State(console): State<Console>, v: Visitor, uri: Uri) -> Response {
    let caller = match v.require() {
        Ok(p) => p.clone(),
        Err(resp) => return *resp,
    };
    if !matches!(caller.role, Role::Bank | Role::Client) {
        return v.refuse(
            StatusCode::FORBIDDEN,
            "error.forbidden",
            Some("the inbox is for banks and their clients"),
        );
    }
    let q: InboxQuery = match read_query(&v, uri.query()) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let page_no = match page_number(q.page.as_deref()) {
        Ok(n) => n,
        Err(p) => return v.problem(&p),
    };
    let ledger = console.ctx.ledger.clone();
    let role = caller.role;
    let found = blocking(move || {
        let view = ledger.view().map_err(store)?;
        let today = latest_date(&view);
        let rows = match caller.role {
            Role::Bank => bank_rows(&view, &caller, today),
            _ => inbox_items(&view, &caller, today).into_iter().map(|i| (i, None)).collect(),
        };
        let count = rows.len();
        let (rows, pages) = paginate(rows, page_no);
        Ok((today, rows, pages, count))
    })
    .await;
    let (today, rows, pages, count) = match found {
        Ok(f) => f,
        Err(p) => return v.problem(&p),
    };
    let l = v.lang;
    let body = html! {
        p class="lead" {
            @if role == Role::Bank { (l.t("inbox.lead_bank")) } @else { (l.t("inbox.lead_client")) }
            " " span id="today" class="date" { (today) }
        }
        p id="matched" class="muted" { (count) " " (l.t("list.matched")) }
        table id="items" {
            thead { tr {
                th { (l.t("col.letter_no")) } th { (l.t("col.auditor")) } th { (l.t("col.client")) }
                th { (l.t("col.as_of")) } th { (l.t("col.deadline")) }
                @if role == Role::Bank { th { (l.t("col.authorization")) } }
            } }
            tbody {
                @for (i, valid_until) in &rows {
                    tr id={ "row-" (i.id) } class=[i.overdue.then_some("overdue")] {
                        td { a class="open" href={ "/confirmations/" (i.id) } { (i.letter_no) } }
                        td { (i.auditor) } td { (i.client) } td class="date" { (i.as_of) }
                        td { (deadline_cell(l, i)) }
                        @if role == Role::Bank {
                            td class="authorization" {
                                @if i.status == "authorized" {
                                    span class="ok" { (l.t("auth.authorized")) }
                                    @if let Some(d) = valid_until { " " span class="muted" { (l.t("auth.valid_until")) " " (d) } }
                                } @else {
                                    span class="pending" { (l.t("auth.awaiting")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if rows.is_empty() { p id="empty" class="muted" { (l.t("list.empty")) } }
        (pager(l, "/inbox?", page_no, pages))
    };
    let title = if role == Role::Bank { l.t("inbox.title_bank") } else { l.t("inbox.title_client") };
    page(StatusCode::OK, &v.chrome(), title, body)
}

/// Parameters of the reminders page.
#[derive(serde::Deserialize)]
struct RemindersQuery {
    within_days: Option<String>,
    page: Option<String>,
}

/// `GET /reminders`: the visible confirmations whose deadline is within `within_days`
/// working days, or passed ([`crate::worklist::reminders_of`], as `GET /v1/reminders`).
pub(crate) async fn reminders(State(console): State<Console>, v: Visitor, uri: Uri) -> Response {
    use crate::limits::{REMINDER_DAYS_DEFAULT, REMINDER_DAYS_MAX};
    let caller = match v.require() {
        Ok(p) => p.clone(),
        Err(resp) => return *resp,
    };
    let q: RemindersQuery = match read_query(&v, uri.query()) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let within = match q.within_days.as_deref().filter(|s| !s.is_empty()) {
        None => REMINDER_DAYS_DEFAULT,
        Some(t) => match t.parse::<u32>().ok().filter(|d| *d <= REMINDER_DAYS_MAX) {
            Some(d) => d,
            None => {
                let p = Problem::new(
                    Kind::InvalidParameter,
                    format!("within_days: {t:?} is not 0 to {REMINDER_DAYS_MAX}"),
                );
                return v.problem(&p);
            }
        },
    };
    let page_no = match page_number(q.page.as_deref()) {
        Ok(n) => n,
        Err(p) => return v.problem(&p),
    };
    let ledger = console.ctx.ledger.clone();
    let role = caller.role;
    let found = blocking(move || {
        let view = ledger.view().map_err(store)?;
        let today = latest_date(&view);
        let list = crate::worklist::reminders_of(&view, &caller, today, within);
        let count = list.items.len();
        let (rows, pages) = paginate(list.items, page_no);
        Ok((today, rows, pages, count, list.truncated))
    })
    .await;
    let (today, rows, pages, count, truncated) = match found {
        Ok(f) => f,
        Err(p) => return v.problem(&p),
    };
    let l = v.lang;
    let body = html! {
        p class="lead" { (l.t("reminders.lead")) " " span id="today" class="date" { (today) } }
        form id="reminders-form" class="filters" method="get" action="/reminders" {
            label { (l.t("reminders.within")) " "
                input id="within-days" name="within_days" type="number" min="0" max=(REMINDER_DAYS_MAX) value=(within);
            }
            button type="submit" { (l.t("filter.apply")) }
        }
        p id="matched" class="muted" { (count) " " (l.t("list.matched")) @if truncated { " +" } }
        (item_table(l, &rows, role != Role::Bank && role != Role::Client))
        (pager(l, &format!("/reminders?within_days={within}&"), page_no, pages))
    };
    page(StatusCode::OK, &v.chrome(), l.t("reminders.title"), body)
}
