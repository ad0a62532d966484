//! Let an auditor write a request letter in the browser: the letter's parameters and
//! every item of the standard bank confirmation (form 1: figures stated; form 2: figures
//! left blank for the bank), each not requested, stated as "none", left for the bank, or
//! with rows. Rows are added and removed without JavaScript: "add row" and "remove" are
//! submit buttons that post the whole form, which comes back re-rendered. "Prepare"
//! composes the protocol's request (`vouch_core::compose::RequestLetter`) and hands it to
//! the draft flow of `signing`, which shows it and its hash before anything is signed.
//!
//! Not here yet: the capital-verification (验资) letter and batch issuing from CSV.

use super::i18n::Lang;
use super::layout::{self, see_other};
use super::{Console, Visitor};
use crate::auth::Role;
use crate::blocking;
use crate::drafts::{keystore, prepare_waiting};
use crate::prepare::Action;
use crate::problem::Kind;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use vouch_core::items::ItemKind;

/// Most rows one item of the console's form holds (the protocol allows more; a letter
/// with more rows is made with the CLI or the API).
const FORM_ROWS_MAX: usize = 50;

/// A column: its name in the protocol, and whether it is a yes/no column.
pub(super) type Column = (&'static str, bool);

/// Every item of a form-1/form-2 letter with rows, its kind and columns (as
/// `vouch_core::items` spells them), in letter order.
pub(super) const ITEMS: &[(&str, ItemKind, &[Column])] = &[
    (
        "deposits",
        ItemKind::Deposits,
        &[
            ("account_name", false),
            ("account_number", false),
            ("currency", false),
            ("rate", false),
            ("account_type", false),
            ("balance", false),
            ("cash_pooling", true),
            ("cash_pooling_detail", false),
            ("start_date", false),
            ("end_date", false),
            ("restricted", true),
            ("restriction_detail", false),
            ("remarks", false),
        ],
    ),
    (
        "loans",
        ItemKind::Loans,
        &[
            ("borrower_name", false),
            ("account_number", false),
            ("currency", false),
            ("balance", false),
            ("loan_date", false),
            ("due_date", false),
            ("rate", false),
            ("collateral", false),
            ("remarks", false),
        ],
    ),
    (
        "closed_accounts",
        ItemKind::ClosedAccounts,
        &[("account_name", false), ("account_number", false), ("currency", false), ("closed_on", false)],
    ),
    (
        "entrusted_loans_as_lender",
        ItemKind::EntrustedLoansAsLender,
        &[
            ("account_name", false),
            ("settlement_account_number", false),
            ("borrower", false),
            ("currency", false),
            ("rate", false),
            ("balance", false),
            ("value_date", false),
            ("due_date", false),
            ("remarks", false),
        ],
    ),
    (
        "entrusted_loans_as_borrower",
        ItemKind::EntrustedLoansAsBorrower,
        &[
            ("account_name", false),
            ("settlement_account_number", false),
            ("lender", false),
            ("currency", false),
            ("rate", false),
            ("balance", false),
            ("value_date", false),
            ("due_date", false),
            ("remarks", false),
        ],
    ),
    (
        "guarantees_given",
        ItemKind::GuaranteesGiven,
        &[
            ("guaranteed_party", false),
            ("guarantee_type", false),
            ("currency", false),
            ("balance", false),
            ("due_date", false),
            ("contract_number", false),
            ("remarks", false),
        ],
    ),
    (
        "guarantees_received",
        ItemKind::GuaranteesReceived,
        &[
            ("guaranteed_party", false),
            ("guarantee_type", false),
            ("currency", false),
            ("balance", false),
            ("due_date", false),
            ("contract_number", false),
            ("remarks", false),
        ],
    ),
    (
        "acceptance_drafts",
        ItemKind::AcceptanceDrafts,
        &[
            ("draft_number", false),
            ("settlement_account_number", false),
            ("currency", false),
            ("face_amount", false),
            ("issue_date", false),
            ("due_date", false),
            ("collateral", false),
        ],
    ),
    (
        "discounted_notes",
        ItemKind::DiscountedNotes,
        &[
            ("note_number", false),
            ("acceptor_name", false),
            ("currency", false),
            ("face_amount", false),
            ("issue_date", false),
            ("due_date", false),
            ("discount_date", false),
            ("discount_rate", false),
            ("net_amount", false),
        ],
    ),
    (
        "notes_for_collection",
        ItemKind::NotesForCollection,
        &[
            ("note_number", false),
            ("acceptor_name", false),
            ("currency", false),
            ("face_amount", false),
            ("issue_date", false),
            ("due_date", false),
        ],
    ),
    (
        "letters_of_credit",
        ItemKind::LettersOfCredit,
        &[
            ("lc_number", false),
            ("beneficiary", false),
            ("currency", false),
            ("amount", false),
            ("expiry_date", false),
            ("unused_amount", false),
        ],
    ),
    (
        "fx_contracts",
        ItemKind::FxContracts,
        &[
            ("category", false),
            ("contract_number", false),
            ("bank_sells_currency", false),
            ("bank_buys_currency", false),
            ("amount", false),
            ("exchange_rate", false),
            ("settlement_date", false),
        ],
    ),
    (
        "custody",
        ItemKind::Custody,
        &[("name", false), ("code", false), ("quantity", false), ("currency", false), ("amount", false)],
    ),
    (
        "wealth_management",
        ItemKind::WealthManagement,
        &[
            ("product_name", false),
            ("product_type", false),
            ("currency", false),
            ("shares", false),
            ("net_value", false),
            ("purchase_date", false),
            ("due_date", false),
            ("restricted", true),
            ("restriction_detail", false),
        ],
    ),
    (
        "cash_pooling",
        ItemKind::CashPooling,
        &[
            ("provider_name", false),
            ("provider_account_number", false),
            ("user_name", false),
            ("user_account_number", false),
            ("currency", false),
            ("balance", false),
            ("remarks", false),
        ],
    ),
];

/// The letter's own fields, in form order.
pub(super) const LETTER_FIELDS: &[&str] = &[
    "bank",
    "client",
    "as_of",
    "letter_no",
    "response_days",
    "branch",
    "client_name",
    "client_credit_code",
    "audit_firm_name",
    "period_audited",
    "auditing_standard",
    "reply_name",
    "reply_address",
    "reply_phone",
    "reply_postcode",
    "fee_account",
    "closed_from",
    "closed_to",
];

/// The form as posted (or empty): field name to value.
pub(super) type Fields = BTreeMap<String, String>;

fn get<'f>(f: &'f Fields, k: &str) -> Option<&'f str> {
    f.get(k).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Rows an item has in the form: one more than the highest row index present, at most
/// [`FORM_ROWS_MAX`].
fn row_count(f: &Fields, item: &str) -> usize {
    let prefix = format!("r:{item}:");
    f.keys()
        .filter_map(|k| k.strip_prefix(&prefix)?.split(':').next()?.parse::<usize>().ok())
        .map(|i| i.saturating_add(1))
        .max()
        .unwrap_or(0)
        .min(FORM_ROWS_MAX)
}

/// Apply an "add row" or "remove row" button to the fields.
fn apply_op(f: &mut Fields, op: &str) {
    let mut parts = op.split(':');
    match (parts.next(), parts.next(), parts.next().and_then(|i| i.parse::<usize>().ok())) {
        (Some("add"), Some(item), None) if ITEMS.iter().any(|(n, _, _)| *n == item) => {
            let n = row_count(f, item);
            if n < FORM_ROWS_MAX {
                f.insert(format!("r:{item}:{n}:currency"), "CNY".into());
            }
            f.insert(format!("s:{item}"), "rows".into());
        }
        (Some("remove"), Some(item), Some(at)) => {
            let n = row_count(f, item);
            let prefix = format!("r:{item}:");
            let old: Vec<(String, String)> = f
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, _) in &old {
                f.remove(k);
            }
            for (k, v) in old {
                let rest = k.get(prefix.len()..).unwrap_or("");
                let Some((i, column)) = rest.split_once(':') else { continue };
                let Ok(i) = i.parse::<usize>() else { continue };
                if i == at || i >= n {
                    continue;
                }
                let i = if i > at { i - 1 } else { i };
                f.insert(format!("{prefix}{i}:{column}"), v);
            }
        }
        _ => {}
    }
}

/// The `Action::Request` the fields describe, as JSON (refused later, with every
/// problem, by the same checks as `POST /v1/drafts`).
pub(super) fn letter_json(f: &Fields) -> Result<Value, String> {
    let form = get(f, "form").unwrap_or("form1");
    if form != "form1" && form != "form2" {
        return Err(format!("form: {form:?} is not form1 or form2"));
    }
    let text = |k: &str| json!(get(f, k).unwrap_or(""));
    let mut items = Map::new();
    for (name, kind, columns) in ITEMS {
        let state = get(f, &format!("s:{name}")).unwrap_or("not_requested");
        let completeness = kind.completeness();
        let mut item = Map::new();
        match state {
            "not_requested" => {}
            "none" | "requested" => {}
            "rows" => {
                let mut rows = Vec::new();
                for i in 0..row_count(f, name) {
                    let mut row = Map::new();
                    for (column, yes_no) in *columns {
                        let Some(v) = get(f, &format!("r:{name}:{i}:{column}")) else { continue };
                        let value = if *yes_no { json!(v == "true") } else { json!(v) };
                        row.insert((*column).to_string(), value);
                    }
                    rows.push(Value::Object(row));
                }
                item.insert("rows".into(), Value::Array(rows));
            }
            other => return Err(format!("{name}: state {other:?} is not one the form offers")),
        }
        item.insert("state".into(), json!(state));
        if state != "not_requested"
            && let Some(sentence) = completeness
        {
            item.insert("completeness".into(), json!(sentence));
        }
        items.insert((*name).to_string(), Value::Object(item));
    }
    let other = match get(f, "s:other") {
        Some("requested") => json!({ "state": "requested", "text": get(f, "other_text") }),
        _ => json!({ "state": "not_requested" }),
    };
    items.insert("other".into(), other);
    let mut reply_to = Map::new();
    for (key, field) in [("name", "reply_name"), ("address", "reply_address"), ("phone", "reply_phone")] {
        reply_to.insert(key.into(), text(field));
    }
    if let Some(p) = get(f, "reply_postcode") {
        reply_to.insert("postcode".into(), json!(p));
    }
    let mut letter = Map::new();
    for field in
        ["client_name", "client_credit_code", "audit_firm_name", "period_audited", "auditing_standard"]
    {
        letter.insert(field.into(), text(field));
    }
    letter.insert("reply_to".into(), Value::Object(reply_to));
    if let Some(a) = get(f, "fee_account") {
        letter.insert("fee_account".into(), json!(a));
    }
    let mut contents = Map::new();
    contents.insert("schema".into(), json!(vouch_core::items::SCHEMA));
    contents.insert("form".into(), json!(form));
    contents.insert("letter".into(), Value::Object(letter));
    contents.insert("items".into(), Value::Object(items));
    if get(f, "s:closed_accounts").is_some_and(|s| s != "not_requested") {
        contents.insert(
            "closed_accounts_period".into(),
            json!({ "from": text("closed_from"), "to": text("closed_to") }),
        );
    }
    let mut action = Map::new();
    action.insert("action".into(), json!("request"));
    for field in ["bank", "client", "as_of", "letter_no"] {
        action.insert(field.into(), text(field));
    }
    action.insert("contents".into(), Value::Object(contents));
    if let Some(days) = get(f, "response_days") {
        let days: u32 =
            days.parse().map_err(|_| format!("response_days: {days:?} is not a number of days"))?;
        action.insert("response_days".into(), json!(days));
    }
    if let Some(branch) = get(f, "branch") {
        action.insert("branch".into(), json!(branch));
    }
    Ok(Value::Object(action))
}

fn value<'f>(f: &'f Fields, k: &str) -> &'f str {
    f.get(k).map_or("", String::as_str)
}

fn page_markup(l: Lang, f: &Fields, csrf: &str, errors: &[String]) -> Markup {
    let state_options: &[(&str, &str)] = &[
        ("not_requested", l.t("request.state_not_requested")),
        ("none", l.t("request.state_none")),
        ("requested", l.t("request.state_requested")),
        ("rows", l.t("request.state_rows")),
    ];
    html! {
        p class="lead" { (l.t("request.lead")) }
        @if !errors.is_empty() {
            div id="request-errors" class="notice error" {
                p { (l.t("request.errors")) }
                ul { @for e in errors { li { code { (e) } } } }
            }
        }
        form id="request-form" method="post" action="/requests/new" {
            input type="hidden" name="csrf" value=(csrf);
            fieldset id="letter" {
                legend { (l.t("request.letter")) }
                label { (l.t("confirmation.form")) " "
                    select name="form" {
                        option value="form1" selected[value(f, "form") != "form2"] { (l.t("request.form1")) }
                        option value="form2" selected[value(f, "form") == "form2"] { (l.t("request.form2")) }
                    }
                }
                @for field in LETTER_FIELDS {
                    label { code { (field) } " "
                        input name=(field) value=(value(f, field))
                            type=(if matches!(*field, "as_of" | "closed_from" | "closed_to") { "date" } else { "text" });
                    }
                }
            }
            @for (name, _, columns) in ITEMS {
                @let state = get(f, &format!("s:{name}")).unwrap_or("not_requested");
                @let rows = row_count(f, name);
                fieldset id={ "item-" (name) } class="item" {
                    legend { (super::respond::item_label(l, name)) }
                    label { (l.t("request.state")) " "
                        select name={ "s:" (name) } {
                            @for (v, label) in state_options {
                                option value=(v) selected[state == *v] { (label) }
                            }
                        }
                    }
                    @if rows > 0 {
                        table class="rows" {
                            thead { tr { @for (c, _) in *columns { th { code { (c) } } } th {} } }
                            tbody {
                                @for i in 0..rows {
                                    tr id={ "row-" (name) "-" (i) } {
                                        @for (c, yes_no) in *columns {
                                            @let key = format!("r:{name}:{i}:{c}");
                                            td {
                                                @if *yes_no {
                                                    select name=(key) {
                                                        option value="" {}
                                                        option value="true" selected[value(f, &key) == "true"] { (l.t("request.yes")) }
                                                        option value="false" selected[value(f, &key) == "false"] { (l.t("request.no")) }
                                                    }
                                                } @else {
                                                    input name=(key) value=(value(f, &key)) size="12";
                                                }
                                            }
                                        }
                                        td { button type="submit" name="op" value={ "remove:" (name) ":" (i) } formnovalidate { (l.t("request.remove_row")) } }
                                    }
                                }
                            }
                        }
                    }
                    button id={ "add-" (name) } type="submit" name="op" value={ "add:" (name) } formnovalidate { (l.t("request.add_row")) }
                }
            }
            fieldset id="item-other" class="item" {
                legend { (super::respond::item_label(l, "other")) }
                label { (l.t("request.state")) " "
                    select name="s:other" {
                        option value="not_requested" selected[value(f, "s:other") != "requested"] { (l.t("request.state_not_requested")) }
                        option value="requested" selected[value(f, "s:other") == "requested"] { (l.t("request.state_requested")) }
                    }
                }
                label { (l.t("request.other_text")) " " input name="other_text" value=(value(f, "other_text")) size="60"; }
            }
            p { button id="prepare-request" type="submit" name="op" value="prepare" { (l.t("request.prepare")) } }
        }
    }
}

/// The signed-in auditor's CSRF token, or the page refusing (requests and batches).
pub(super) fn auditor(v: &Visitor) -> Result<String, super::Refused> {
    let principal = v.require()?;
    if principal.role != Role::AuditFirm {
        return Err(Box::new(v.refuse(
            StatusCode::FORBIDDEN,
            "error.forbidden",
            Some("requests are made by audit firms"),
        )));
    }
    v.signed
        .as_ref()
        .map(|s| s.live.csrf.clone())
        .ok_or_else(|| Box::new(v.refuse(StatusCode::NOT_FOUND, "error.not_found", None)))
}

/// `GET /requests/new`: an empty letter.
pub(crate) async fn new(v: Visitor) -> Response {
    let csrf = match auditor(&v) {
        Ok(c) => c,
        Err(resp) => return *resp,
    };
    let mut f = Fields::new();
    f.insert("as_of".into(), String::new());
    let l = v.lang;
    layout::page(StatusCode::OK, &v.chrome(), l.t("request.title"), page_markup(l, &f, &csrf, &[]))
}

/// `POST /requests/new`: add or remove a row (the form comes back), or prepare the draft.
pub(crate) async fn post(
    State(console): State<Console>,
    v: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let csrf = match auditor(&v) {
        Ok(c) => c,
        Err(resp) => return *resp,
    };
    let pairs: Vec<(String, String)> = match super::read_form(&v, &headers, &body) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let mut f: Fields = pairs.into_iter().collect();
    if let Err(resp) = v.check_csrf(get(&f, "csrf").unwrap_or("")) {
        return *resp;
    }
    let l = v.lang;
    let op = f.remove("op").unwrap_or_default();
    let again = |f: &Fields, status: StatusCode, errors: &[String]| {
        layout::page(status, &v.chrome(), l.t("request.title"), page_markup(l, f, &csrf, errors))
    };
    if op != "prepare" {
        apply_op(&mut f, &op);
        return again(&f, StatusCode::OK, &[]);
    }
    let action =
        match letter_json(&f).and_then(|j| serde_json::from_value::<Action>(j).map_err(|e| e.to_string())) {
            Ok(a) => a,
            Err(e) => return again(&f, StatusCode::BAD_REQUEST, &[e]),
        };
    let keystore = match keystore(&console.ctx) {
        Ok(k) => k,
        Err(p) => return v.problem(&p),
    };
    let Some(principal) = v.signed.as_ref().map(|s| s.principal.clone()) else {
        return v.refuse(StatusCode::NOT_FOUND, "error.not_found", None);
    };
    let ctx = console.ctx.clone();
    match blocking(move || prepare_waiting(&ctx, keystore.as_ref(), &principal, action)).await {
        Ok(view) => see_other(&format!("/drafts/{}", view.draft_id)),
        Err(p) if matches!(p.kind, Kind::InvalidDraft | Kind::Refused) => {
            let mut errors: Vec<String> =
                p.errors.iter().map(|e| format!("{}: {}", e.field, e.detail)).collect();
            if errors.is_empty() {
                errors.push(p.detail.clone());
            }
            again(&f, StatusCode::BAD_REQUEST, &errors)
        }
        Err(p) => v.problem(&p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo letter, as the form's fields.
    fn demo_fields() -> Fields {
        let demo =
            serde_json::to_value(vouch_core::testkit::demo_request_contents().expect("demo")).expect("json");
        let mut f = Fields::new();
        for (k, v) in [
            ("form", "form1"),
            ("bank", "bank-b"),
            ("client", "b-000001"),
            ("as_of", "2026-06-30"),
            ("letter_no", "AX-2026-0300"),
            ("closed_from", "2025-01-01"),
            ("closed_to", "2025-12-31"),
        ] {
            f.insert(k.into(), v.into());
        }
        let letter = &demo["letter"];
        for k in [
            "client_name",
            "client_credit_code",
            "audit_firm_name",
            "period_audited",
            "auditing_standard",
            "fee_account",
        ] {
            f.insert(k.into(), letter[k].as_str().unwrap_or("").into());
        }
        for k in ["name", "address", "phone", "postcode"] {
            f.insert(format!("reply_{k}"), letter["reply_to"][k].as_str().unwrap_or("").into());
        }
        for (name, item) in demo["items"].as_object().expect("items") {
            let state = item["state"].as_str().expect("state");
            f.insert(format!("s:{name}"), state.into());
            if name == "other" {
                f.insert("other_text".into(), item["text"].as_str().unwrap_or("").into());
            }
            for (i, row) in item.get("rows").and_then(Value::as_array).into_iter().flatten().enumerate() {
                for (c, v) in row.as_object().expect("row") {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    f.insert(format!("r:{name}:{i}:{c}"), text);
                }
            }
        }
        f
    }

    #[test]
    fn the_demo_letter_round_trips_through_the_form() {
        let demo = vouch_core::testkit::demo_request_contents().expect("demo");
        let action = letter_json(&demo_fields()).expect("builds");
        let contents: vouch_core::items::RequestContents =
            serde_json::from_value(action["contents"].clone()).expect("parses");
        contents.validate().expect("valid");
        assert_eq!(contents, demo, "every item and column survives the form");
    }

    #[test]
    fn rows_are_added_and_removed_without_losing_the_others() {
        let mut f = Fields::new();
        apply_op(&mut f, "add:loans");
        apply_op(&mut f, "add:loans");
        apply_op(&mut f, "add:loans");
        assert_eq!(row_count(&f, "loans"), 3);
        f.insert("r:loans:0:borrower_name".into(), "A".into());
        f.insert("r:loans:2:borrower_name".into(), "C".into());
        apply_op(&mut f, "remove:loans:1");
        assert_eq!(row_count(&f, "loans"), 2);
        assert_eq!(get(&f, "r:loans:0:borrower_name"), Some("A"));
        assert_eq!(get(&f, "r:loans:1:borrower_name"), Some("C"));
        apply_op(&mut f, "add:nonsense");
        apply_op(&mut f, "remove:loans:99");
        assert_eq!(row_count(&f, "loans"), 2);
        for _ in 0..FORM_ROWS_MAX + 5 {
            apply_op(&mut f, "add:deposits");
        }
        assert_eq!(row_count(&f, "deposits"), FORM_ROWS_MAX, "bounded");
    }

    #[test]
    fn every_item_of_the_letter_is_in_the_form() {
        let items = vouch_core::items::Items::not_requested();
        let names: Vec<String> = serde_json::to_value(items)
            .expect("json")
            .as_object()
            .expect("object")
            .keys()
            .filter(|k| *k != "other")
            .cloned()
            .collect();
        let mut ours: Vec<String> = ITEMS.iter().map(|(n, _, _)| (*n).to_string()).collect();
        ours.sort();
        let mut names = names;
        names.sort();
        assert_eq!(ours, names);
    }
}
