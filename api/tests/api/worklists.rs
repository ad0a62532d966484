//! Inboxes, reminders and control sheets, over the fake plus a bank-b scenario:
//!
//! - `AX-2026-0100` awaits the client's authorization (the fake's own);
//! - `AX-2026-0101` authorized on day 1, never answered;
//! - `AX-2026-0102` authorized on day 4, never answered;
//! - `AX-2026-0103` authorized on day 1, answered (agrees) on day 5;
//! - `AX-2026-0104` authorized on day 1, answered with exceptions on day 25 (late).
//!
//! Day 0 is the scenario's first block; each step is one commit.

use crate::Harness;
use crate::fake::BankB;
use vouch_core::date::Date;
use vouch_core::documents::{Conclusion, Form, Scope};
use vouch_core::testkit;

const DAY_MS: u64 = 86_400_000;

/// The scenario above.
pub fn scenario(l: &mut testkit::Ledger, b: &BankB) {
    let checker = l.enroll("bank-b", "sun-fuhe", "孙复核", "函证中心复核").expect("enroll");
    l.commit().expect("commit");
    let contents = testkit::demo_request_contents().expect("contents");
    let as_of = Date::parse("2026-06-30").expect("date");
    let valid_until = Date::parse("2027-12-31").expect("date");
    let request = |l: &mut testkit::Ledger, no: &str| {
        l.request(&b.auditor, &b.client, no, Form::Form1, Scope::WholeBank, as_of, &contents)
            .expect("request")
    };
    let r1 = request(l, "AX-2026-0101");
    let r2 = request(l, "AX-2026-0102");
    let r3 = request(l, "AX-2026-0103");
    let r4 = request(l, "AX-2026-0104");
    l.commit().expect("commit");
    l.advance_ms(DAY_MS);
    for r in [&r1, &r3, &r4] {
        l.authorize(&b.client, r, valid_until).expect("authorize");
    }
    l.commit().expect("commit");
    l.advance_ms(3 * DAY_MS);
    l.authorize(&b.client, &r2, valid_until).expect("authorize");
    l.commit().expect("commit");
    l.advance_ms(DAY_MS);
    let answer = testkit::demo_response_contents().expect("contents");
    l.respond(&b.officer, &checker, &r3, Conclusion::Matches, &answer, None).expect("respond");
    l.commit().expect("commit");
    l.advance_ms(20 * DAY_MS);
    l.respond(&b.officer, &checker, &r4, Conclusion::Differences, &answer, None).expect("respond");
    l.commit().expect("commit");
}

fn harness() -> Harness {
    Harness::extended(scenario)
}

fn letters(body: &serde_json::Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["letter_no"].as_str().expect("letter_no").to_string())
        .collect()
}

fn item<'a>(body: &'a serde_json::Value, letter: &str) -> &'a serde_json::Value {
    body["items"].as_array().expect("items").iter().find(|i| i["letter_no"] == letter).expect("item")
}

#[tokio::test]
async fn a_banks_inbox_lists_its_authorized_unanswered_requests_soonest_due_first() {
    let h = harness();
    let r = h.get("/v1/inbox", Some(&h.tokens.bank_b)).await;
    r.ok();
    let body = r.json();
    assert_eq!(body["role"], "bank");
    assert_eq!(letters(&body, "items"), ["AX-2026-0101", "AX-2026-0102"], "{body}");
    let first = item(&body, "AX-2026-0101");
    assert_eq!(first["deadline_kind"], "answer");
    // Today is the last block's date, 25 days after the scenario began: both are late.
    assert_eq!(first["overdue"], true, "{body}");
    assert!(first["working_days_left"].as_i64().expect("left") < 0, "{body}");
    // bank-a has no authorized, unanswered request; nothing of bank-b's shows there.
    let a = h.get("/v1/inbox", Some(&h.tokens.bank_a)).await.json();
    assert!(a["items"].as_array().expect("items").is_empty(), "{a}");
}

#[tokio::test]
async fn working_days_left_count_from_the_given_date() {
    let h = harness();
    let body = h.get("/v1/inbox", Some(&h.tokens.bank_b)).await.json();
    let due = item(&body, "AX-2026-0101")["deadline"].as_str().expect("due").to_string();
    // On the due date: 0 left, not overdue.
    let on = h.get(&format!("/v1/inbox?as_of_date={due}"), Some(&h.tokens.bank_b)).await.json();
    assert_eq!(on["today"], due.as_str());
    assert_eq!(item(&on, "AX-2026-0101")["working_days_left"], 0, "{on}");
    assert_eq!(item(&on, "AX-2026-0101")["overdue"], false, "{on}");
    // AX-2026-0101 was authorized on Monday 2026-11-30, so its answer is due ten working
    // days later, Monday 2026-12-14 (no holiday in between). From Friday 2026-12-04 that
    // leaves 7, 8, 9, 10, 11 and 14 December: 6 working days.
    assert_eq!(due, "2026-12-14");
    let due_date = Date::parse(&due).expect("date");
    let days = due_date.days_since_epoch();
    let before = date_of_days(days - 10);
    assert_eq!(before.to_string(), "2026-12-04");
    let early = h.get(&format!("/v1/inbox?as_of_date={before}"), Some(&h.tokens.bank_b)).await.json();
    let left = item(&early, "AX-2026-0101")["working_days_left"].as_i64().expect("left");
    assert_eq!(left, 6, "{early}");
    assert_eq!(item(&early, "AX-2026-0101")["overdue"], false);
    // The day after the due date: one working day late.
    let late = h.get("/v1/inbox?as_of_date=2026-12-15", Some(&h.tokens.bank_b)).await.json();
    assert_eq!(item(&late, "AX-2026-0101")["working_days_left"], -1, "{late}");
    assert_eq!(item(&late, "AX-2026-0101")["overdue"], true);
    h.get("/v1/inbox?as_of_date=2026-13-01", Some(&h.tokens.bank_b)).await.problem(400, "invalid-parameter");
    h.get("/v1/inbox?today=2026-01-01", Some(&h.tokens.bank_b)).await.problem(400, "invalid-parameter");
}

fn date_of_days(days: i64) -> Date {
    Date::from_unix_ms(u64::try_from(days).expect("after 1970") * DAY_MS, 0)
}

#[tokio::test]
async fn an_auditors_inbox_has_outstanding_exceptions_and_late_answers() {
    let h = harness();
    let body = h.get("/v1/inbox", Some(&h.tokens.auditor)).await.json();
    assert_eq!(body["role"], "audit_firm");
    let listed = letters(&body, "items");
    for letter in ["AX-2026-0100", "AX-2026-0101", "AX-2026-0102", "AX-2026-0104", "AX-2026-0001"] {
        assert!(listed.contains(&letter.to_string()), "{letter} in {listed:?}");
    }
    // Answered and agreed on time: nothing to do.
    assert!(!listed.contains(&"AX-2026-0103".to_string()), "{listed:?}");
    assert_eq!(item(&body, "AX-2026-0104")["reasons"], serde_json::json!(["exceptions", "late_answer"]));
    assert_eq!(item(&body, "AX-2026-0101")["reasons"], serde_json::json!(["outstanding"]));
}

#[tokio::test]
async fn a_clients_inbox_has_what_awaits_its_authorization_and_a_regulator_has_none() {
    let h = harness();
    let body = h.get("/v1/inbox", Some(&h.tokens.client)).await.json();
    assert_eq!(body["role"], "client");
    assert!(body["items"].as_array().expect("items").is_empty(), "bank-a's client has none: {body}");
    let b = h.get("/v1/inbox", Some(&h.tokens.client_b)).await.json();
    assert_eq!(letters(&b, "items"), ["AX-2026-0100"], "{b}");
    assert_eq!(item(&b, "AX-2026-0100")["deadline_kind"], "authorization");
    let r = h.get("/v1/inbox", Some(&h.tokens.regulator)).await;
    r.problem(403, "forbidden");
    h.get("/v1/inbox", None).await.problem(401, "unauthorized");
}

#[tokio::test]
async fn reminders_list_deadlines_within_n_working_days_or_passed() {
    let h = harness();
    let body = h.get("/v1/reminders?within_days=0", Some(&h.tokens.bank_b)).await.json();
    // Passed: the two unanswered ones, and the authorization AX-2026-0100 awaits (10 days).
    let listed = letters(&body, "items");
    assert_eq!(listed.len(), 3, "{body}");
    for letter in ["AX-2026-0100", "AX-2026-0101", "AX-2026-0102"] {
        assert!(listed.contains(&letter.to_string()), "{letter} in {listed:?}");
    }
    assert_eq!(item(&body, "AX-2026-0100")["deadline_kind"], "authorization");
    // Long before any deadline, none is within 0 days, all within 60.
    let early =
        h.get("/v1/reminders?within_days=0&as_of_date=2026-01-05", Some(&h.tokens.bank_b)).await.json();
    assert!(early["items"].as_array().expect("items").is_empty(), "{early}");
    // bank-a's only open deadlines are none; a regulator sees bank-b's too.
    let reg = h.get("/v1/reminders?within_days=0", Some(&h.tokens.regulator)).await.json();
    assert_eq!(letters(&reg, "items").len(), 3, "{reg}");
    let a = h.get("/v1/reminders?within_days=60", Some(&h.tokens.bank_a)).await.json();
    assert!(a["items"].as_array().expect("items").is_empty(), "{a}");
    h.get("/v1/reminders?within_days=61", Some(&h.tokens.bank_b)).await.problem(400, "invalid-parameter");
    h.get("/v1/reminders?within_days=-1", Some(&h.tokens.bank_b)).await.problem(400, "invalid-parameter");
}

#[tokio::test]
async fn a_control_sheet_counts_every_outcome() {
    let h = harness();
    let body = h.get("/v1/engagements/control-sheet", Some(&h.tokens.auditor)).await.json();
    assert_eq!(body["auditor"], "audit-x");
    let c = &body["counts"];
    // The demo: accepted with exceptions, refused, returned, withdrawn, declined; bank-b:
    // one awaiting authorization, two unanswered, one agreed, one with exceptions.
    assert_eq!(c["sent"], 10, "{body}");
    assert_eq!(c["answered_agreed"], 1, "{body}");
    assert_eq!(c["answered_with_exceptions"], 2, "{body}");
    assert_eq!(c["accepted"], 1, "{body}");
    assert_eq!(c["not_answered"], 3, "{body}");
    assert_eq!(c["returned"], 1, "{body}");
    assert_eq!(c["authorization_refused"], 1, "{body}");
    assert_eq!(c["declined"], 1, "{body}");
    assert_eq!(c["withdrawn"], 1, "{body}");
    assert_eq!(body["rows"].as_array().expect("rows").len(), 10);
    let returned = body["rows"].as_array().expect("rows").iter().find(|r| r["letter_no"] == "AX-2026-0003");
    assert_eq!(returned.expect("row")["return_reason"], "fee_not_paid");
    // One engagement: the client and the period end.
    let one = h
        .get("/v1/engagements/control-sheet?client=b-000001&as_of=2026-06-30", Some(&h.tokens.auditor))
        .await
        .json();
    assert_eq!(one["counts"]["sent"], 5, "{one}");
    assert_eq!(one["clients"], serde_json::json!(["b-000001"]));
    // An engagement whose client banks at both: one reference per bank.
    let both = h
        .get("/v1/engagements/control-sheet?client=bank-a/c-000123,bank-b/b-000001", Some(&h.tokens.auditor))
        .await
        .json();
    assert_eq!(both["counts"]["sent"], 10, "{both}");
    // The reference at the wrong bank matches nothing.
    let wrong =
        h.get("/v1/engagements/control-sheet?client=bank-a/b-000001", Some(&h.tokens.auditor)).await.json();
    assert_eq!(wrong["counts"]["sent"], 0, "{wrong}");
    let reg = h.get("/v1/engagements/control-sheet?auditor=audit-x", Some(&h.tokens.regulator)).await.json();
    assert_eq!(reg["counts"], body["counts"]);
}

#[tokio::test]
async fn control_sheets_are_for_the_firm_itself_and_regulators() {
    let h = harness();
    h.get("/v1/engagements/control-sheet", Some(&h.tokens.bank_a)).await.problem(403, "forbidden");
    h.get("/v1/engagements/control-sheet", Some(&h.tokens.client)).await.problem(403, "forbidden");
    h.get("/v1/engagements/control-sheet?auditor=audit-y", Some(&h.tokens.auditor))
        .await
        .problem(403, "forbidden");
    h.get("/v1/engagements/control-sheet?as_of=yesterday", Some(&h.tokens.auditor))
        .await
        .problem(400, "invalid-parameter");
    for bad in ["", "a/b/c", "Bank/c-1", "c-1,,c-2"] {
        h.get(&format!("/v1/engagements/control-sheet?client={bad}"), Some(&h.tokens.auditor))
            .await
            .problem(400, "invalid-parameter");
    }
    let many = vec!["c-1"; 51].join(",");
    h.get(&format!("/v1/engagements/control-sheet?client={many}"), Some(&h.tokens.auditor))
        .await
        .problem(400, "invalid-parameter");
    h.get("/v1/engagements/control-sheet?auditor=Not%20An%20Org", Some(&h.tokens.regulator))
        .await
        .problem(400, "invalid-parameter");
}
