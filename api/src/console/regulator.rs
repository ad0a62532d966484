//! Give regulators their pages: per-bank timeliness statistics with charts drawn here as
//! SVG (the distribution of response times, and on-time and exception rates by month),
//! the node's self-audit, and the verification of an uploaded evidence bundle against
//! this node's genesis.
//!
//! The figures are the API's (`crate::oversight::statistics`, same terms and period);
//! the charts add the per-request values behind them. Charts are inline SVG with
//! presentation attributes only, so the strict Content-Security-Policy holds (no inline
//! style, no script).

use super::i18n::Lang;
use super::layout::page;
use super::{Console, Visitor, read_form, read_query};
use crate::auth::Role;
use crate::oversight::{OrgStats, Side, statistics};
use crate::problem::{Kind, Problem};
use crate::view::View;
use crate::worklist::{latest_date, parse_date};
use crate::{blocking, store};
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use maud::{Markup, html};
use std::collections::BTreeMap;
use vouch_core::date::Date;
use vouch_core::documents::Conclusion;
use vouch_core::genesis::Role as OrgRole;
use vouch_core::ids::OrgId;

/// Response-time buckets, in working days: `(label, lowest, highest)`.
const BUCKETS: [(&str, i64, i64); 8] = [
    ("0", 0, 0),
    ("1", 1, 1),
    ("2", 2, 2),
    ("3", 3, 3),
    ("4", 4, 4),
    ("5", 5, 5),
    ("6–10", 6, 10),
    ("11+", 11, i64::MAX),
];

/// One month's answers at one bank (by the date of the first answer).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Month {
    /// First answers in the month.
    pub answered: u64,
    /// Of which by the due date.
    pub on_time: u64,
    /// Of which the current answer lists differences.
    pub exceptions: u64,
}

/// The values behind one bank's charts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Series {
    /// Response time of each answered request, working days.
    pub days: Vec<i64>,
    /// By month (`YYYY-MM`) of the first answer.
    pub months: BTreeMap<String, Month>,
}

/// The chart values of each bank in `banks`, over the requests made in `[from, to]`
/// (the period of [`statistics`]).
pub(crate) fn series(view: &View, banks: &[OrgId], from: Option<Date>, to: Option<Date>) -> Vec<Series> {
    let mut by_bank: BTreeMap<&OrgId, Series> = banks.iter().map(|b| (b, Series::default())).collect();
    let state = view.state();
    for (_, id) in view.requests() {
        let Some(record) = view.request(id) else { continue };
        let day = state.date_of(record.requested_ms);
        if from.is_some_and(|f| day < f) || to.is_some_and(|t| day > t) {
            continue;
        }
        let (Some(s), Some(first)) = (by_bank.get_mut(&record.bank), record.answers.first()) else {
            continue;
        };
        let answered_on = state.date_of(first.at_ms);
        if let Some((_, authorized_ms)) = record.authorization {
            s.days.push(state.calendar.working_days_between(state.date_of(authorized_ms), answered_on));
        }
        let month = answered_on.to_string().get(..7).unwrap_or_default().to_string();
        let m = s.months.entry(month).or_default();
        m.answered += 1;
        m.on_time += u64::from(!first.late);
        m.exceptions +=
            u64::from(record.answers.last().is_some_and(|a| a.conclusion == Conclusion::Differences));
    }
    banks.iter().map(|b| by_bank.remove(b).unwrap_or_default()).collect()
}

/// How many of `days` fall in each of [`BUCKETS`].
pub(crate) fn histogram(days: &[i64]) -> [u64; BUCKETS.len()] {
    let mut counts = [0u64; BUCKETS.len()];
    for d in days {
        if let Some(i) = BUCKETS.iter().position(|(_, lo, hi)| d >= lo && d <= hi)
            && let Some(c) = counts.get_mut(i)
        {
            *c += 1;
        }
    }
    counts
}

const CHART_W: u32 = 420;
const CHART_H: u32 = 170;
const PLOT_TOP: u32 = 18;
const PLOT_BOTTOM: u32 = 140;
const BLUE: &str = "#2b6cb0";
const GREEN: &str = "#2f855a";
const ORANGE: &str = "#c05621";

/// Height in pixels of `value` on a plot whose top is `max`.
fn bar_height(value: f64, max: f64) -> u32 {
    if max <= 0.0 || !value.is_finite() {
        return 0;
    }
    let h = (value / max).clamp(0.0, 1.0) * f64::from(PLOT_BOTTOM - PLOT_TOP);
    // In [0, 122] after the clamp: the cast cannot truncate.
    h.round() as u32
}

/// A bar chart of response times: one bar per bucket, its count above it.
pub(crate) fn response_chart(l: Lang, id: &str, counts: &[u64]) -> Markup {
    let max = counts.iter().copied().max().unwrap_or(0);
    let slot = ((CHART_W - 20) / u32::try_from(counts.len().max(1)).unwrap_or(1)).min(60);
    html! {
        svg id=(id) class="chart" role="img" width=(CHART_W) height=(CHART_H)
            viewBox={ "0 0 " (CHART_W) " " (CHART_H) } xmlns="http://www.w3.org/2000/svg" {
            title { (l.t("oversight.chart_days")) }
            line x1="10" y1=(PLOT_BOTTOM) x2=(CHART_W - 10) y2=(PLOT_BOTTOM) stroke="#718096" {}
            @for (i, (count, (label, _, _))) in counts.iter().zip(BUCKETS.iter()).enumerate() {
                @let x = 10 + slot * u32::try_from(i).unwrap_or(0);
                @let h = bar_height(*count as f64, max as f64);
                rect class="bar" x=(x + 4) y=(PLOT_BOTTOM - h) width=(slot - 8) height=(h) fill=(BLUE) {
                    title { (label) ": " (count) }
                }
                text x=(x + slot / 2) y=(PLOT_BOTTOM - h - 4) text-anchor="middle" font-size="11" { (count) }
                text x=(x + slot / 2) y=(PLOT_BOTTOM + 14) text-anchor="middle" font-size="11" { (label) }
            }
            text x="10" y=(CHART_H - 2) font-size="10" fill="#4a5568" { (l.t("oversight.axis_days")) }
        }
    }
}

/// Grouped bars per month: the on-time rate and the exception rate, 0–100 %.
pub(crate) fn monthly_chart(l: Lang, id: &str, months: &BTreeMap<String, Month>) -> Markup {
    // The twelve latest months with answers.
    let shown: Vec<(&String, &Month)> =
        months.iter().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
    let slot = (CHART_W - 20) / u32::try_from(shown.len().max(1)).unwrap_or(1);
    let pct = |part: u64, whole: u64| if whole == 0 { 0.0 } else { part as f64 / whole as f64 };
    html! {
        svg id=(id) class="chart" role="img" width=(CHART_W) height=(CHART_H)
            viewBox={ "0 0 " (CHART_W) " " (CHART_H) } xmlns="http://www.w3.org/2000/svg" {
            title { (l.t("oversight.chart_months")) }
            line x1="10" y1=(PLOT_BOTTOM) x2=(CHART_W - 10) y2=(PLOT_BOTTOM) stroke="#718096" {}
            @for (i, (month, m)) in shown.iter().enumerate() {
                @let x = 10 + slot * u32::try_from(i).unwrap_or(0);
                @let w = (slot.saturating_sub(6) / 2).max(2);
                @let on_time = pct(m.on_time, m.answered);
                @let exceptions = pct(m.exceptions, m.answered);
                @let h1 = bar_height(on_time, 1.0);
                @let h2 = bar_height(exceptions, 1.0);
                rect class="bar on-time" x=(x + 3) y=(PLOT_BOTTOM - h1) width=(w) height=(h1) fill=(GREEN) {
                    title { (month) " " (l.t("oversight.on_time")) ": " (format!("{:.0}", on_time * 100.0)) "%" }
                }
                rect class="bar exceptions" x=(x + 3 + w) y=(PLOT_BOTTOM - h2) width=(w) height=(h2) fill=(ORANGE) {
                    title { (month) " " (l.t("oversight.exception_rate")) ": " (format!("{:.0}", exceptions * 100.0)) "%" }
                }
                text x=(x + slot / 2) y=(PLOT_BOTTOM + 14) text-anchor="middle" font-size="10" { (month) }
            }
            rect x="10" y="2" width="10" height="10" fill=(GREEN) {}
            text x="24" y="11" font-size="10" { (l.t("oversight.on_time")) }
            rect x="150" y="2" width="10" height="10" fill=(ORANGE) {}
            text x="164" y="11" font-size="10" { (l.t("oversight.exception_rate")) }
        }
    }
}

/// A rate as a whole percentage, or a dash.
fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_string(), |r| format!("{:.0}%", r * 100.0))
}

fn days(d: Option<i64>) -> String {
    d.map_or_else(|| "–".to_string(), |d| d.to_string())
}

/// The period of the statistics page.
#[derive(serde::Deserialize)]
struct Period {
    from: Option<String>,
    to: Option<String>,
}

/// A regulator, or a refusal page.
fn regulator_only(v: &Visitor) -> Result<(), super::Refused> {
    match v.require()?.role {
        Role::Regulator => Ok(()),
        _ => Err(Box::new(v.refuse(StatusCode::FORBIDDEN, "error.forbidden", None))),
    }
}

/// `GET /oversight?from=&to=`: per-bank figures and charts.
pub(crate) async fn oversight(State(console): State<Console>, v: Visitor, uri: Uri) -> Response {
    if let Err(resp) = regulator_only(&v) {
        return *resp;
    }
    let q: Period = match read_query(&v, uri.query()) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let banks: Vec<OrgId> = console
        .ctx
        .ledger
        .genesis()
        .orgs
        .iter()
        .filter(|o| o.role == OrgRole::Bank)
        .map(|o| o.id.clone())
        .collect();
    let ledger = console.ctx.ledger.clone();
    let (from, to) = (q.from.clone(), q.to.clone());
    let found = blocking(move || {
        let from = parse_date("from", from.as_deref().filter(|s| !s.is_empty()))?;
        let to = parse_date("to", to.as_deref().filter(|s| !s.is_empty()))?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(Problem::new(Kind::InvalidParameter, format!("from {f} is after to {t}")));
        }
        let view = ledger.view().map_err(store)?;
        let today = latest_date(&view);
        let stats = statistics(&view, Side::Bank, &banks, from, to, today);
        let series = series(&view, &banks, from, to);
        Ok((today, stats, series))
    })
    .await;
    let (today, stats, series) = match found {
        Ok(f) => f,
        Err(p) => return v.problem(&p),
    };
    let l = v.lang;
    let value = |o: &Option<String>| o.clone().unwrap_or_default();
    let body = html! {
        p class="lead" { (l.t("oversight.lead")) " " span id="ledger-date" class="date" { (today) } }
        form id="period-form" class="filters" method="get" action="/oversight" {
            label { (l.t("oversight.from")) " " input id="period-from" name="from" type="date" value=(value(&q.from)); }
            label { (l.t("oversight.to")) " " input id="period-to" name="to" type="date" value=(value(&q.to)); }
            button id="period-apply" type="submit" { (l.t("filter.apply")) }
        }
        table id="bank-stats" {
            thead { tr {
                th { (l.t("col.bank")) } th { (l.t("oversight.requests")) } th { (l.t("oversight.answered")) }
                th { (l.t("oversight.on_time")) } th { (l.t("oversight.exception_rate")) }
                th { (l.t("oversight.median_days")) } th { (l.t("oversight.p90_days")) }
                th { (l.t("oversight.past_due")) }
            } }
            tbody {
                @for s in &stats {
                    (stats_row(s))
                }
            }
        }
        @for (s, series) in stats.iter().zip(&series) {
            section class="bank-charts" id={ "charts-" (s.org) } {
                h2 { (s.org) }
                div class="charts" {
                    figure {
                        (response_chart(l, &format!("days-{}", s.org), &histogram(&series.days)))
                        figcaption { (l.t("oversight.chart_days")) }
                    }
                    figure {
                        (monthly_chart(l, &format!("months-{}", s.org), &series.months))
                        figcaption { (l.t("oversight.chart_months")) }
                    }
                }
            }
        }
        p class="muted" { (l.t("oversight.terms")) }
    };
    page(StatusCode::OK, &v.chrome(), l.t("oversight.title"), body)
}

fn stats_row(s: &OrgStats) -> Markup {
    html! {
        tr id={ "bank-" (s.org) } {
            td { code { (s.org) } }
            td class="num" { (s.requests) } td class="num" { (s.answered) }
            td class="num on-time" { (percent(s.on_time_rate)) }
            td class="num exception-rate" { (percent(s.exception_rate)) }
            td class="num" { (days(s.response_days_median)) } td class="num" { (days(s.response_days_p90)) }
            td class="num past-due" { (s.unanswered_past_due) }
        }
    }
}

/// `GET /self-audit`: what the self-audit does, and a button to run it.
pub(crate) async fn self_audit_form(v: Visitor) -> Response {
    let Some(s) = v.signed.as_ref() else {
        return match v.require() {
            Err(resp) => *resp,
            Ok(_) => v.refuse(StatusCode::FORBIDDEN, "error.forbidden", None),
        };
    };
    if !s.principal.may_self_audit() {
        return v.refuse(StatusCode::FORBIDDEN, "error.forbidden", None);
    }
    let l = v.lang;
    let body = html! {
        p class="lead" { (l.t("audit.lead")) }
        form id="self-audit-form" method="post" action="/self-audit" {
            input type="hidden" name="csrf" value=(s.live.csrf);
            button id="run-self-audit" type="submit" { (l.t("audit.run")) }
        }
    };
    page(StatusCode::OK, &v.chrome(), l.t("audit.title"), body)
}

/// The CSRF field of a form with nothing else.
#[derive(serde::Deserialize)]
struct CsrfOnly {
    csrf: String,
}

/// `POST /self-audit`: run it (one at a time) and show what it found.
pub(crate) async fn self_audit_run(
    State(console): State<Console>,
    v: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: CsrfOnly = match read_form(&v, &headers, &body) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let signed = match v.check_csrf(&form.csrf) {
        Ok(s) => s,
        Err(resp) => return *resp,
    };
    if !signed.principal.may_self_audit() {
        return v.refuse(StatusCode::FORBIDDEN, "error.forbidden", None);
    }
    let Ok(permit) = console.ctx.audits.clone().try_acquire_owned() else {
        return v.refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "error.unavailable",
            Some("a self-audit is already running"),
        );
    };
    let ledger = console.ctx.ledger.clone();
    let by = signed.principal.token.clone();
    let report = match blocking(move || {
        let _permit = permit;
        let report = ledger.self_audit().map_err(store)?;
        tracing::info!(ok = report.fault.is_none(), fault = ?report.fault, by = %by, "self-audit (console)");
        Ok(report)
    })
    .await
    {
        Ok(r) => r,
        Err(p) => return v.problem(&p),
    };
    let l = v.lang;
    let body = html! {
        @match &report.fault {
            None => p id="audit-ok" class="ok" { "✓ " (l.t("audit.ok")) },
            Some(fault) => p id="audit-fault" class="bad" { (l.t("audit.fault")) " " code { (fault) } },
        }
        dl class="facts" {
            dt { (l.t("integrity.height")) } dd id="audit-height" { (report.height) }
            dt { (l.t("integrity.tree_size")) } dd id="audit-tree-size" { (report.tree_size) }
            dt { (l.t("integrity.checkpoint_root")) }
            dd { code class="hash" { (report.root.map(|r| r.to_hex()).unwrap_or_default()) } }
        }
        h2 { (l.t("audit.checks")) }
        ol id="audit-checks" { @for c in &report.checks { li { (c) } } }
    };
    page(StatusCode::OK, &v.chrome(), l.t("audit.title"), body)
}

/// `GET /verify`: the upload form.
pub(crate) async fn verify_form(v: Visitor) -> Response {
    let Some(s) = v.signed.as_ref() else {
        return match v.require() {
            Err(resp) => *resp,
            Ok(_) => v.refuse(StatusCode::FORBIDDEN, "error.forbidden", None),
        };
    };
    let l = v.lang;
    let body = html! {
        p class="lead" { (l.t("verify.lead")) }
        form id="verify-form" method="post" action="/verify" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(s.live.csrf);
            input id="bundle-file" name="bundle" type="file" accept="application/json,.json" required;
            button id="verify-bundle" type="submit" { (l.t("verify.run")) }
        }
    };
    page(StatusCode::OK, &v.chrome(), l.t("verify.title"), body)
}

/// `POST /verify` (multipart: `csrf`, `bundle`): verify the bundle against this node's
/// genesis and say what it shows, and on whose authority.
pub(crate) async fn verify_upload(
    State(console): State<Console>,
    v: Visitor,
    mut form: Multipart,
) -> Response {
    let mut csrf = None;
    let mut bundle = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(bytes) if name == "csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
                    Ok(bytes) if name == "bundle" => bundle = Some(bytes),
                    Ok(_) => {}
                    Err(e) => {
                        return v.refuse(StatusCode::BAD_REQUEST, "error.bad_request", Some(&e.body_text()));
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return v.refuse(StatusCode::BAD_REQUEST, "error.bad_request", Some(&e.body_text())),
        }
    }
    if let Err(resp) = v.check_csrf(csrf.as_deref().unwrap_or("")) {
        return *resp;
    }
    let Some(bundle) = bundle.filter(|b| !b.is_empty()) else {
        return v.refuse(StatusCode::BAD_REQUEST, "error.bad_request", Some("no bundle file was sent"));
    };
    let genesis = console.ctx.ledger.genesis().hash();
    let l = v.lang;
    let body = match vouch_core::bundle::verify_bundle(&bundle, &genesis) {
        Ok(r) => html! {
            p id="verify-ok" class="ok" { "✓ " (l.t("verify.ok")) }
            p id="verify-authority" class="muted" { (l.t("verify.authority")) " " code class="hash" { (genesis.to_hex()) } }
            dl class="facts" {
                dt { (l.t("col.letter_no")) } dd id="verified-letter" { (r.letter_no) }
                dt { (l.t("col.auditor")) } dd { code { (r.parties.0) } }
                dt { (l.t("col.bank")) } dd { code { (r.parties.1) } }
                dt { (l.t("integrity.checkpoint_size")) } dd id="verified-size" { (r.tree_size) }
                dt { (l.t("integrity.checkpoint_root")) } dd { code class="hash" { (r.root.to_hex()) } }
                dt { (l.t("verify.cosigners")) } dd id="verified-cosigners" {
                    (r.cosigners.join(", ")) " (" (r.cosigned_power.0) " / " (r.cosigned_power.1) ")"
                }
            }
            table id="verified-timeline" {
                thead { tr { th { (l.t("col.document")) } th { (l.t("col.signer")) } th { (l.t("col.leaf")) } } }
                tbody {
                    @for e in &r.timeline {
                        tr { td { (e.doc_type.as_str()) } td { (e.signer) " · " code { (e.org) } } td class="num" { (e.leaf_index) } }
                    }
                }
            }
        },
        Err(e) => html! {
            p id="verify-failed" class="bad" { (l.t("verify.failed")) }
            p { code id="verify-error" { (e) } }
            p id="verify-authority" class="muted" { (l.t("verify.authority")) " " code class="hash" { (genesis.to_hex()) } }
        },
    };
    page(StatusCode::OK, &v.chrome(), l.t("verify.title"), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_each_day_once_in_its_bucket() {
        let counts = histogram(&[0, 1, 1, 5, 6, 10, 11, 400]);
        assert_eq!(counts, [1, 2, 0, 0, 0, 1, 2, 2]);
        assert_eq!(counts.iter().sum::<u64>(), 8);
        // A negative value (a clock before the authorization) is in no bucket.
        assert_eq!(histogram(&[-1]).iter().sum::<u64>(), 0);
    }

    #[test]
    fn bars_scale_to_the_largest_and_never_overflow() {
        assert_eq!(bar_height(0.0, 10.0), 0);
        assert_eq!(bar_height(10.0, 10.0), PLOT_BOTTOM - PLOT_TOP);
        assert_eq!(bar_height(5.0, 10.0), (PLOT_BOTTOM - PLOT_TOP) / 2);
        assert_eq!(bar_height(20.0, 10.0), PLOT_BOTTOM - PLOT_TOP);
        assert_eq!(bar_height(1.0, 0.0), 0);
        assert_eq!(bar_height(f64::NAN, 1.0), 0);
    }

    #[test]
    fn charts_are_svg_with_one_bar_per_bucket_and_month() {
        let svg = response_chart(Lang::En, "d", &histogram(&[1, 2, 2])).into_string();
        assert!(svg.starts_with("<svg id=\"d\""), "{svg}");
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), BUCKETS.len());
        assert!(!svg.contains("style="), "inline styles break the CSP: {svg}");
        let mut months = BTreeMap::new();
        months.insert("2026-01".to_string(), Month { answered: 4, on_time: 3, exceptions: 1 });
        months.insert("2026-02".to_string(), Month { answered: 0, on_time: 0, exceptions: 0 });
        let svg = monthly_chart(Lang::Zh, "m", &months).into_string();
        assert_eq!(svg.matches("class=\"bar on-time\"").count(), 2);
        assert!(svg.contains("75%"), "{svg}");
        assert!(svg.contains("25%"), "{svg}");
    }
}
