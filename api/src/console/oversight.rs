//! Show a regulator how banks answer: per-bank figures over the period (requests,
//! answered on time or late, unanswered past due, returned, refused, exception rate,
//! response times) from [`crate::oversight::statistics`], the function behind
//! `GET /v1/oversight/banks`, with bar charts drawn as SVG on the server (no script, no
//! image fetched; presentation attributes only, so the strict CSP holds).

use super::i18n::Lang;
use super::layout::page;
use super::{Console, Visitor, read_query};
use crate::auth::Role;
use crate::oversight::{OrgStats, Side, statistics};
use crate::problem::{Kind, Problem};
use crate::worklist::{latest_date, parse_date};
use crate::{blocking, store};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use maud::{Markup, html};
use vouch_core::date::Date;
use vouch_core::genesis::Role as OrgRole;
use vouch_core::ids::OrgId;

/// Months the on-time chart covers, ending with the ledger date's month.
const MONTHS_SHOWN: usize = 12;

/// Parameters of the page.
#[derive(serde::Deserialize)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// A horizontal bar chart of `bars` (label, value in 0..=1 or absent), as SVG.
fn bar_chart(id: &str, title: &str, bars: &[(String, Option<f64>)]) -> Markup {
    const ROW: usize = 22;
    const LABEL: usize = 150;
    const WIDTH: usize = 300;
    let height = bars.len() * ROW + 10;
    html! {
        figure class="chart" {
            figcaption { (title) }
            svg id=(id) xmlns="http://www.w3.org/2000/svg" width=(LABEL + WIDTH + 60) height=(height)
                role="img" aria-label=(title) {
                @for (i, (label, value)) in bars.iter().enumerate() {
                    @let y = i * ROW + 5;
                    text x="0" y=(y + 15) font-size="12" fill="#1d2330" { (label) }
                    rect x=(LABEL) y=(y) width=(WIDTH) height="16" fill="#f3f5f9" {}
                    @if let Some(v) = value {
                        @let w = (v.clamp(0.0, 1.0) * WIDTH as f64).round() as usize;
                        rect class="bar" x=(LABEL) y=(y) width=(w) height="16" fill="#1a4fb5" {}
                        text x=(LABEL + WIDTH + 6) y=(y + 13) font-size="12" fill="#1d2330" { (format!("{:.0}%", v * 100.0)) }
                    } @else {
                        text x=(LABEL + WIDTH + 6) y=(y + 13) font-size="12" fill="#5b6475" { "—" }
                    }
                }
            }
        }
    }
}

/// The first day of the month `months_back` months before `date`'s month.
fn month_start(date: Date, months_back: usize) -> Option<Date> {
    let text = date.to_string();
    let year: i64 = text.get(0..4)?.parse().ok()?;
    let month: i64 = text.get(5..7)?.parse().ok()?;
    let index = year * 12 + (month - 1) - i64::try_from(months_back).ok()?;
    Date::parse(&format!("{:04}-{:02}-01", index.div_euclid(12), index.rem_euclid(12) + 1)).ok()
}

/// The day before `date`.
fn day_before(date: Date) -> Option<Date> {
    let days = date.days_since_epoch() - 1;
    let ms = u64::try_from(days).ok()?.checked_mul(86_400_000)?;
    Some(Date::from_unix_ms(ms, 0))
}

struct Oversight {
    today: Date,
    banks: Vec<OrgStats>,
    /// (month `YYYY-MM`, on-time rate over every bank).
    months: Vec<(String, Option<f64>)>,
}

/// `GET /oversight`: per-bank statistics and charts, for regulators.
pub(crate) async fn page_of(State(console): State<Console>, v: Visitor, uri: Uri) -> Response {
    let caller = match v.require() {
        Ok(p) => p.clone(),
        Err(resp) => return *resp,
    };
    if caller.role != Role::Regulator {
        return v.refuse(StatusCode::FORBIDDEN, "error.forbidden", Some("oversight is for regulators"));
    }
    let q: PeriodQuery = match read_query(&v, uri.query()) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let dates = parse_date("from", q.from.as_deref().filter(|s| !s.is_empty()))
        .and_then(|f| parse_date("to", q.to.as_deref().filter(|s| !s.is_empty())).map(|t| (f, t)));
    let (from, to) = match dates {
        Ok((Some(f), Some(t))) if f > t => {
            return v.problem(&Problem::new(Kind::InvalidParameter, format!("from {f} is after to {t}")));
        }
        Ok(d) => d,
        Err(p) => return v.problem(&p),
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
    let found = blocking(move || {
        let view = ledger.view().map_err(store)?;
        let today = latest_date(&view);
        let stats = statistics(&view, Side::Bank, &banks, from, to, today);
        let mut months = Vec::new();
        for back in (0..MONTHS_SHOWN).rev() {
            let Some(start) = month_start(today, back) else { continue };
            let end = match back.checked_sub(1) {
                None => Some(today),
                Some(later) => month_start(today, later).and_then(day_before),
            };
            let month = statistics(&view, Side::Bank, &banks, Some(start), end, today);
            let answered: u64 = month.iter().map(|s| s.answered).sum();
            let on_time: u64 = month.iter().map(|s| s.answered_within_deadline).sum();
            let rate = (answered > 0).then(|| on_time as f64 / answered as f64);
            months.push((start.to_string().get(..7).unwrap_or("").to_string(), rate));
        }
        Ok(Oversight { today, banks: stats, months })
    })
    .await;
    let data = match found {
        Ok(d) => d,
        Err(p) => return v.problem(&p),
    };
    let l = v.lang;
    page(
        StatusCode::OK,
        &v.chrome(),
        l.t("oversight.title"),
        body(l, &data, q.from.as_deref(), q.to.as_deref()),
    )
}

fn body(l: Lang, d: &Oversight, from: Option<&str>, to: Option<&str>) -> Markup {
    let rate = |r: Option<f64>| r.map_or_else(|| "—".to_string(), |v| format!("{:.0}%", v * 100.0));
    let days = |d: Option<i64>| d.map_or_else(|| "—".to_string(), |v| v.to_string());
    html! {
        p class="lead" { (l.t("oversight.lead")) " " span id="today" class="date" { (d.today) } }
        form id="period-form" class="filters" method="get" action="/oversight" {
            label { (l.t("oversight.from")) " " input name="from" type="date" value=(from.unwrap_or("")); }
            label { (l.t("oversight.to")) " " input name="to" type="date" value=(to.unwrap_or("")); }
            button type="submit" { (l.t("filter.apply")) }
        }
        table id="bank-stats" {
            thead { tr {
                th { (l.t("col.bank")) } th { (l.t("oversight.requests")) } th { (l.t("oversight.answered")) }
                th { (l.t("oversight.on_time")) } th { (l.t("flag.late_answer")) } th { (l.t("oversight.past_due")) }
                th { (l.t("status.returned")) } th { (l.t("status.authorization_refused")) }
                th { (l.t("oversight.exception_rate")) } th { (l.t("oversight.median_days")) } th { (l.t("oversight.p90_days")) }
            } }
            tbody {
                @for s in &d.banks {
                    tr id={ "bank-" (s.org) } {
                        td { code { (s.org) } } td class="num" { (s.requests) } td class="num" { (s.answered) }
                        td class="num" { (rate(s.on_time_rate)) } td class="num" { (s.answered_late) }
                        td class="num" { (s.unanswered_past_due) } td class="num" { (s.returned) }
                        td class="num" { (s.authorizations_refused) } td class="num" { (rate(s.exception_rate)) }
                        td class="num" { (days(s.response_days_median)) } td class="num" { (days(s.response_days_p90)) }
                    }
                }
            }
        }
        (bar_chart("chart-on-time", l.t("oversight.chart_on_time"),
            &d.banks.iter().map(|s| (s.org.clone(), s.on_time_rate)).collect::<Vec<_>>()))
        (bar_chart("chart-exceptions", l.t("oversight.chart_exceptions"),
            &d.banks.iter().map(|s| (s.org.clone(), s.exception_rate)).collect::<Vec<_>>()))
        (bar_chart("chart-months", l.t("oversight.chart_months"), &d.months))
        p class="note" { (l.t("integrity.checked_here")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_step_back_across_years() {
        let d = Date::parse("2026-02-17").expect("date");
        assert_eq!(month_start(d, 0).map(|d| d.to_string()), Some("2026-02-01".into()));
        assert_eq!(month_start(d, 2).map(|d| d.to_string()), Some("2025-12-01".into()));
        assert_eq!(month_start(d, 14).map(|d| d.to_string()), Some("2024-12-01".into()));
        assert_eq!(
            day_before(Date::parse("2026-03-01").expect("date")).map(|d| d.to_string()),
            Some("2026-02-28".into())
        );
    }
}
