//! Oversight statistics over the fake plus the bank-b scenario of `worklists`, with
//! figures worked out by hand from the scenario's dates:
//!
//! - bank-a (the demo): five requests — AX-2026-0001 authorized Tue 2026-11-24 and
//!   answered Thu 2026-11-26 (2 working days, on time; its correction lists
//!   differences), AX-2026-0002 refused, AX-2026-0003 returned (`fee_not_paid`),
//!   AX-2026-0004 withdrawn, AX-2026-0005 declined.
//! - bank-b: AX-2026-0100 awaits authorization; AX-2026-0101 (authorized Mon 11-30, due
//!   Mon 12-14) and AX-2026-0102 (authorized Thu 12-03, due Thu 12-17) unanswered;
//!   AX-2026-0103 authorized 11-30, answered Fri 12-04 (Dec 1–4: 4 working days);
//!   AX-2026-0104 authorized 11-30, answered Thu 12-24 with differences, late (Dec 1–4,
//!   7–11, 14–18, 21–24: 18 working days). Today is 2026-12-24.
//! - audit-x sent all ten.

use crate::Harness;
use crate::worklists::scenario;
use serde_json::json;

fn org<'a>(body: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    body["orgs"].as_array().expect("orgs").iter().find(|o| o["org"] == id).expect("org")
}

#[tokio::test]
async fn bank_statistics_match_the_hand_count() {
    let h = Harness::extended(scenario);
    let r = h.get("/v1/oversight/banks", Some(&h.tokens.regulator)).await;
    r.ok();
    let body = r.json();
    assert_eq!(body["ledger_date"], "2026-12-24", "{body}");
    assert_eq!(body["orgs"].as_array().expect("orgs").len(), 2, "every bank of genesis: {body}");
    let b = org(&body, "bank-b");
    let expected_b = json!({
        "org": "bank-b", "requests": 5, "awaiting_authorization": 1, "authorized": 4,
        "authorizations_refused": 0, "answered": 2, "answered_within_deadline": 1,
        "answered_late": 1, "unanswered_past_due": 2, "unanswered_open": 0, "returned": 0,
        "returned_by_reason": {}, "declined": 0, "withdrawn": 0, "answered_with_exceptions": 1,
        "exception_rate": 0.5, "on_time_rate": 0.5, "response_days_median": 4,
        "response_days_p90": 18,
    });
    assert_eq!(*b, expected_b, "{body}");
    let a = org(&body, "bank-a");
    let expected_a = json!({
        "org": "bank-a", "requests": 5, "awaiting_authorization": 0, "authorized": 3,
        "authorizations_refused": 1, "answered": 1, "answered_within_deadline": 1,
        "answered_late": 0, "unanswered_past_due": 0, "unanswered_open": 0, "returned": 1,
        "returned_by_reason": {"fee_not_paid": 1}, "declined": 1, "withdrawn": 1,
        "answered_with_exceptions": 1, "exception_rate": 1.0, "on_time_rate": 1.0,
        "response_days_median": 2, "response_days_p90": 2,
    });
    assert_eq!(*a, expected_a, "{body}");
}

#[tokio::test]
async fn audit_firm_statistics_match_the_hand_count() {
    let h = Harness::extended(scenario);
    let body = h.get("/v1/oversight/audit-firms", Some(&h.tokens.regulator)).await.json();
    let x = org(&body, "audit-x");
    assert_eq!(x["requests"], 10, "{body}");
    assert_eq!(x["answered"], 3);
    assert_eq!(x["answered_within_deadline"], 2);
    assert_eq!(x["answered_late"], 1);
    assert_eq!(x["unanswered_past_due"], 2);
    assert_eq!(x["returned_by_reason"], json!({"fee_not_paid": 1}));
    assert_eq!(x["authorizations_refused"], 1);
    assert_eq!(x["answered_with_exceptions"], 2);
    // Response times 2, 4, 18: nearest ranks ceil(1.5) = 2 and ceil(2.7) = 3.
    assert_eq!(x["response_days_median"], 4);
    assert_eq!(x["response_days_p90"], 18);
    let rate = x["exception_rate"].as_f64().expect("rate");
    assert!((rate - 2.0 / 3.0).abs() < 1e-12, "{rate}");
}

#[tokio::test]
async fn the_period_is_on_request_dates() {
    let h = Harness::extended(scenario);
    // Nothing was requested in 2027.
    let later = h.get("/v1/oversight/banks?from=2027-01-01", Some(&h.tokens.regulator)).await.json();
    for o in later["orgs"].as_array().expect("orgs") {
        assert_eq!(o["requests"], 0, "{later}");
        assert!(o["exception_rate"].is_null() && o["response_days_median"].is_null(), "{later}");
    }
    // The demo's first two requests (AX-2026-0001 and -0002) were made on Monday
    // 2026-11-23, the genesis day; every other request later.
    let first =
        h.get("/v1/oversight/banks?from=2026-11-01&to=2026-11-23", Some(&h.tokens.regulator)).await.json();
    let a = org(&first, "bank-a");
    assert_eq!(
        (&a["requests"], &a["answered"], &a["authorizations_refused"]),
        (&json!(2), &json!(1), &json!(1))
    );
    assert_eq!(a["returned"], 0, "{first}");
    assert_eq!(org(&first, "bank-b")["requests"], 0, "{first}");
    h.get("/v1/oversight/banks?from=2026-12-02&to=2026-12-01", Some(&h.tokens.regulator))
        .await
        .problem(400, "invalid-parameter");
    h.get("/v1/oversight/banks?from=2026-02-30", Some(&h.tokens.regulator))
        .await
        .problem(400, "invalid-parameter");
}

#[tokio::test]
async fn only_regulators_see_statistics() {
    let h = Harness::new();
    for token in [&h.tokens.bank_a, &h.tokens.auditor, &h.tokens.client, &h.tokens.operator] {
        h.get("/v1/oversight/banks", Some(token)).await.problem(403, "forbidden");
        h.get("/v1/oversight/audit-firms", Some(token)).await.problem(403, "forbidden");
    }
    h.get("/v1/oversight/banks", None).await.problem(401, "unauthorized");
}

#[test]
fn the_pure_function_gives_the_same_figures() {
    let (fake, _) = crate::fake::Fake::build_extended(None, scenario);
    let view = &fake.view;
    let today = vouch_core::date::Date::parse("2026-12-24").expect("date");
    let banks = [vouch_core::ids::OrgId::new("bank-b").expect("org")];
    let stats =
        vouch_api::oversight::statistics(view, vouch_api::oversight::Side::Bank, &banks, None, None, today);
    assert_eq!(stats.len(), 1);
    assert_eq!((stats[0].requests, stats[0].answered_late, stats[0].unanswered_past_due), (5, 1, 2));
    // On 2026-12-15 AX-2026-0102 (due 12-17) was still open.
    let earlier = vouch_core::date::Date::parse("2026-12-15").expect("date");
    let stats =
        vouch_api::oversight::statistics(view, vouch_api::oversight::Side::Bank, &banks, None, None, earlier);
    assert_eq!((stats[0].unanswered_past_due, stats[0].unanswered_open), (1, 1));
}
