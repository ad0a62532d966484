//! Let a bank answer a letter item by item in the browser, or correct its answer: on a
//! form-1 letter each stated row is agreed, an exception (the bank's figures and an
//! explanation) or no record; on a form-2 letter (figures left blank) the bank fills in its
//! rows for each item asked, or none ("无"). The letter is opened with the keys the node holds for the signed-in person
//! ([`crate::drafts::open_letter_as`], as a draft would), the answer is composed into the
//! protocol's `ResponseContents`, and the draft flow of `signing` shows it and its hash
//! before the maker signs; the checker then signs the same draft.
//!
//! Not here yet: rows the client did not list (`unlisted`) and capital verification
//! letters (answered with the CLI or `POST /v1/drafts`).

use super::i18n::{Lang, amount};
use super::layout::{self, see_other};
use super::{Console, Visitor};
use crate::auth::Role;
use crate::blocking;
use crate::drafts::{keystore, open_letter_as, prepare_waiting};
use crate::prepare::Action;
use crate::problem::{Kind, Problem};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use vouch_core::encoding::Hash;
use vouch_core::ids::PersonId;
use vouch_core::items::ResponseContents;

/// An item's name, translated.
pub(crate) fn item_label(l: Lang, item: &str) -> &'static str {
    match item {
        "deposits" => l.t("item.deposits"),
        "loans" => l.t("item.loans"),
        "closed_accounts" => l.t("item.closed_accounts"),
        "entrusted_loans_as_lender" => l.t("item.entrusted_loans_as_lender"),
        "entrusted_loans_as_borrower" => l.t("item.entrusted_loans_as_borrower"),
        "guarantees_given" => l.t("item.guarantees_given"),
        "guarantees_received" => l.t("item.guarantees_received"),
        "acceptance_drafts" => l.t("item.acceptance_drafts"),
        "discounted_notes" => l.t("item.discounted_notes"),
        "notes_for_collection" => l.t("item.notes_for_collection"),
        "letters_of_credit" => l.t("item.letters_of_credit"),
        "fx_contracts" => l.t("item.fx_contracts"),
        "custody" => l.t("item.custody"),
        "wealth_management" => l.t("item.wealth_management"),
        "other" => l.t("item.other"),
        "cash_pooling" => l.t("item.cash_pooling"),
        _ => l.t("status.unknown"),
    }
}

/// A stated value for reading: amounts with their currency formatted, the rest as text.
fn show_value(row: &Map<String, Value>, column: &str, value: &Value) -> String {
    let currency = row.get("currency").and_then(Value::as_str).unwrap_or("");
    match value {
        Value::String(s) if !currency.is_empty() && (column == "balance" || column.ends_with("amount")) => {
            amount(s, currency)
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value an input holds, for a column whose stated value is `stated`.
fn input_value(stated: &Value) -> String {
    match stated {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Blank rows a form-2 item offers the bank (rows left empty are ignored).
const FILLED_ROWS: usize = 3;

/// The columns of item `name` (as the request form has them): name, yes/no.
fn columns(name: &str) -> &'static [(&'static str, bool)] {
    super::request::ITEMS.iter().find(|(n, _, _)| *n == name).map_or(&[], |(_, _, c)| *c)
}

/// The rows the bank filled in for form-2 item `name` (`f:{name}:{i}:{column}`), empty
/// rows skipped; yes/no columns as booleans.
fn filled_rows(name: &str, f: &BTreeMap<String, String>) -> Result<Vec<Value>, String> {
    let mut rows = Vec::new();
    for i in 0..FILLED_ROWS {
        let mut row = Map::new();
        for (column, yes_no) in columns(name) {
            let Some(v) =
                f.get(&format!("f:{name}:{i}:{column}")).map(|v| v.trim()).filter(|v| !v.is_empty())
            else {
                continue;
            };
            let value = match (*yes_no, v) {
                (true, "true") => json!(true),
                (true, "false") => json!(false),
                (true, other) => {
                    return Err(format!("{name} row {}: {column} is {other:?}, not yes or no", i + 1));
                }
                (false, text) => json!(text),
            };
            row.insert((*column).to_string(), value);
        }
        // A row of only yes/no answers left at their default says nothing: skip it.
        if row.iter().any(|(c, _)| !columns(name).iter().any(|(n, yes_no)| n == c && *yes_no)) {
            rows.push(Value::Object(row));
        }
    }
    Ok(rows)
}

/// The bank's answer, from the form's fields, to `letter` (the opened request as JSON).
fn build_answer(letter: &Value, f: &BTreeMap<String, String>) -> Result<Value, String> {
    let get = |k: &str| f.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let form2 = match letter.get("form").and_then(Value::as_str) {
        Some("form1") => false,
        Some("form2") => true,
        _ => {
            return Err(
                "only form-1 and form-2 letters are answered in the console; use the CLI or POST /v1/drafts"
                    .into(),
            );
        }
    };
    let items = letter.get("items").and_then(Value::as_object).ok_or("the letter lists no items")?;
    let mut out = Map::new();
    let mut differences = false;
    for (name, item) in items {
        let state = item.get("state").and_then(Value::as_str).unwrap_or("");
        if name == "other" {
            if state == "requested" {
                out.insert(name.clone(), json!({ "text": get("other").unwrap_or("无") }));
            }
            continue;
        }
        match state {
            "not_requested" => {}
            "requested" if form2 => {
                let rows = filled_rows(name, f)?;
                if rows.is_empty() {
                    out.insert(name.clone(), json!({ "state": "none" }));
                } else {
                    out.insert(name.clone(), json!({ "state": "filled", "rows": rows }));
                }
            }
            "none" => {
                out.insert(name.clone(), json!({ "state": "checked" }));
            }
            "rows" => {
                let mut answers = Vec::new();
                let rows = item.get("rows").and_then(Value::as_array).cloned().unwrap_or_default();
                for (i, row) in rows.iter().enumerate() {
                    let key = format!("{name}:{i}");
                    let explanation = get(&format!("e:{key}"));
                    match get(&format!("a:{key}")) {
                        Some("agreed") => answers.push(json!({ "answer": "agreed", "row": i })),
                        Some("no_record") => {
                            differences = true;
                            let mut a = Map::new();
                            a.insert("answer".into(), json!("no_record"));
                            a.insert("row".into(), json!(i));
                            if let Some(e) = explanation {
                                a.insert("explanation".into(), json!(e));
                            }
                            answers.push(Value::Object(a));
                        }
                        Some("exception") => {
                            differences = true;
                            let explanation = explanation
                                .ok_or(format!("{name} row {}: an exception needs an explanation", i + 1))?;
                            let mut bank = Map::new();
                            for (column, stated) in row.as_object().into_iter().flatten() {
                                let given = get(&format!("b:{key}:{column}"));
                                let value = match (stated, given) {
                                    (_, None) => stated.clone(),
                                    (Value::Bool(_), Some(g)) => json!(g == "true"),
                                    (Value::Number(_), Some(g)) => serde_json::from_str::<Value>(g)
                                        .ok()
                                        .filter(Value::is_number)
                                        .ok_or(format!("{name} row {}: {column} is not a number", i + 1))?,
                                    (_, Some(g)) => json!(g),
                                };
                                bank.insert(column.clone(), value);
                            }
                            answers.push(json!({ "answer": "exception", "row": i, "bank": bank, "explanation": explanation }));
                        }
                        _ => {
                            return Err(format!(
                                "{name} row {}: choose agreed, exception or no record",
                                i + 1
                            ));
                        }
                    }
                }
                out.insert(name.clone(), json!({ "state": "checked", "rows": answers }));
            }
            other => {
                return Err(format!("item {name} is in state {other:?}, which the console does not answer"));
            }
        }
    }
    let officer = |who: &str| {
        json!({
            "name": get(&format!("{who}_name")).unwrap_or(""),
            "position": get(&format!("{who}_position")).unwrap_or(""),
            "phone": get(&format!("{who}_phone")).unwrap_or(""),
        })
    };
    Ok(json!({
        "schema": letter.get("schema").cloned().unwrap_or(Value::Null),
        "conclusion": if differences { "differences" } else { "matches" },
        "items": out,
        "maker": officer("maker"),
        "checker": officer("checker"),
    }))
}

fn rows_markup(l: Lang, name: &str, rows: &[Value]) -> Markup {
    html! {
        @for (i, row) in rows.iter().enumerate() {
            @let key = format!("{name}:{i}");
            @let cols = row.as_object().cloned().unwrap_or_default();
            fieldset id={ "row-" (name) "-" (i) } class="row-answer" {
                legend { (item_label(l, name)) " #" (i + 1) }
                table class="stated" {
                    thead { tr { th { (l.t("respond.column")) } th { (l.t("respond.stated")) } th { (l.t("respond.bank_value")) } } }
                    tbody {
                        @for (column, value) in &cols {
                            tr {
                                td { code { (column) } }
                                td { (show_value(&cols, column, value)) }
                                td { input name={ "b:" (key) ":" (column) } value=(input_value(value)); }
                            }
                        }
                    }
                }
                label { input type="radio" name={ "a:" (key) } value="agreed" checked; " " (l.t("respond.agreed")) }
                label { input type="radio" name={ "a:" (key) } value="exception"; " " (l.t("respond.exception")) }
                label { input type="radio" name={ "a:" (key) } value="no_record"; " " (l.t("respond.no_record")) }
                label { (l.t("respond.explanation")) " " input name={ "e:" (key) } maxlength="2000" size="60"; }
            }
        }
    }
}

/// Blank rows for the bank to fill for form-2 item `name`.
fn filled_markup(l: Lang, name: &str) -> Markup {
    html! {
        table class="rows" id={ "fill-" (name) } {
            thead { tr { @for (c, _) in columns(name) { th { code { (c) } } } } }
            tbody {
                @for i in 0..FILLED_ROWS {
                    tr id={ "fill-" (name) "-" (i) } {
                        @for (c, yes_no) in columns(name) {
                            @let key = format!("f:{name}:{i}:{c}");
                            td {
                                @if *yes_no {
                                    select name=(key) {
                                        option value="" {}
                                        option value="true" { (l.t("request.yes")) }
                                        option value="false" { (l.t("request.no")) }
                                    }
                                } @else {
                                    input name=(key) size="12";
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn form_markup(l: Lang, id: &str, letter: &Value, correct: bool, csrf: &str) -> Markup {
    let items = letter.get("items").and_then(Value::as_object).cloned().unwrap_or_default();
    let officer = |who: &'static str, label: &'static str| {
        html! {
            fieldset id={ "officer-" (who) } {
                legend { (label) }
                label { (l.t("respond.name")) " " input name={ (who) "_name" } required maxlength="200"; }
                label { (l.t("respond.position")) " " input name={ (who) "_position" } required maxlength="200"; }
                label { (l.t("respond.phone")) " " input name={ (who) "_phone" } required maxlength="100"; }
            }
        }
    };
    html! {
        p class="lead" { (l.t("respond.lead")) }
        form id="respond-form" method="post" action={ "/confirmations/" (id) "/respond" } {
            input type="hidden" name="csrf" value=(csrf);
            @if correct {
                input type="hidden" name="mode" value="correct";
                label { (l.t("respond.correct_reason")) " " input name="reason" required maxlength="2000" size="60"; }
            }
            @for (name, item) in &items {
                @let state = item.get("state").and_then(Value::as_str).unwrap_or("");
                @if name == "other" && state == "requested" {
                    h2 { (item_label(l, name)) }
                    p { (item.get("text").and_then(Value::as_str).unwrap_or("")) }
                    label { (l.t("respond.other")) " " input name="other" value="无" maxlength="2000" size="60"; }
                } @else if state == "rows" {
                    h2 { (item_label(l, name)) }
                    (rows_markup(l, name, item.get("rows").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])))
                } @else if state == "requested" {
                    h2 { (item_label(l, name)) }
                    p class="muted" { (l.t("respond.fill_rows")) }
                    (filled_markup(l, name))
                } @else if state == "none" {
                    h2 { (item_label(l, name)) }
                    p class="muted" { (l.t("respond.stated_none")) }
                }
            }
            h2 { (l.t("respond.officers")) }
            (officer("maker", l.t("respond.maker")))
            (officer("checker", l.t("respond.checker")))
            label { (l.t("respond.checker_id")) " " input id="checker" name="checker" required maxlength="64"; }
            p { button id="prepare-answer" type="submit" { (l.t("respond.prepare")) } }
        }
    }
}

/// Parameters of the answer form.
#[derive(serde::Deserialize)]
struct RespondQuery {
    correct: Option<String>,
}

/// Open the letter of `id` as the signed-in bank person, or the page saying why not.
async fn letter_of(console: &Console, v: &Visitor, id: &str) -> Result<(Hash, Value), Response> {
    let principal = v.require().map_err(|r| *r)?.clone();
    if principal.role != Role::Bank {
        return Err(v.refuse(StatusCode::FORBIDDEN, "error.forbidden", Some("answers are for banks")));
    }
    let Ok(request) = Hash::from_hex(id) else {
        return Err(v.refuse(StatusCode::NOT_FOUND, "error.not_found", None));
    };
    let keystore = keystore(&console.ctx).map_err(|p| v.problem(&p))?;
    let ctx = console.ctx.clone();
    let opened = blocking(move || open_letter_as(&ctx, keystore.as_ref(), &principal, &request)).await;
    match opened {
        Ok(Some(letter)) => Ok((request, serde_json::to_value(letter).unwrap_or(Value::Null))),
        Ok(None) => Err(v.refuse(
            StatusCode::CONFLICT,
            "error.bad_request",
            Some("the client's authorization gave this bank no letter to answer item by item"),
        )),
        // An unseen request is as unknown here as on its page.
        Err(p) if p.kind == Kind::InvalidDraft => {
            Err(v.refuse(StatusCode::NOT_FOUND, "error.not_found", None))
        }
        Err(p) => Err(v.problem(&p)),
    }
}

/// `GET /confirmations/{id}/respond[?correct=1]`: the item-by-item answer form.
pub(crate) async fn form(
    State(console): State<Console>,
    v: Visitor,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let q: RespondQuery = match super::read_query(&v, uri.query()) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let (_, letter) = match letter_of(&console, &v, &id).await {
        Ok(found) => found,
        Err(resp) => return resp,
    };
    let Some(csrf) = v.signed.as_ref().map(|s| s.live.csrf.clone()) else {
        return v.refuse(StatusCode::NOT_FOUND, "error.not_found", None);
    };
    let correct = q.correct.is_some();
    let l = v.lang;
    let title = if correct { l.t("respond.title_correct") } else { l.t("respond.title") };
    layout::page(StatusCode::OK, &v.chrome(), title, form_markup(l, &id, &letter, correct, &csrf))
}

/// `POST /confirmations/{id}/respond`: compose the answer, draft it, show the draft.
pub(crate) async fn submit(
    State(console): State<Console>,
    v: Visitor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs: Vec<(String, String)> = match super::read_form(&v, &headers, &body) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let fields: BTreeMap<String, String> = pairs.into_iter().collect();
    let signed = match v.check_csrf(fields.get("csrf").map_or("", String::as_str)) {
        Ok(s) => s.principal.clone(),
        Err(resp) => return *resp,
    };
    let (request, letter) = match letter_of(&console, &v, &id).await {
        Ok(found) => found,
        Err(resp) => return resp,
    };
    let bad = |detail: String| v.problem(&Problem::new(Kind::InvalidDraft, detail));
    let answer = match build_answer(&letter, &fields) {
        Ok(a) => a,
        Err(e) => return bad(e),
    };
    let contents: ResponseContents = match serde_json::from_value(answer) {
        Ok(c) => c,
        Err(e) => return bad(format!("the answer: {e}")),
    };
    let checker = match PersonId::new(fields.get("checker").map_or("", |c| c.trim())) {
        Ok(c) => c,
        Err(e) => return bad(format!("checker: {e}")),
    };
    let action = if fields.get("mode").map(String::as_str) == Some("correct") {
        let reason = fields.get("reason").map(|r| r.trim().to_string()).unwrap_or_default();
        if reason.is_empty() {
            return bad("reason: say why the answer changes".into());
        }
        Action::Correct { request, checker, supersedes: None, reason, contents }
    } else {
        Action::Respond { request, checker, contents }
    };
    let keystore = match keystore(&console.ctx) {
        Ok(k) => k,
        Err(p) => return v.problem(&p),
    };
    let ctx = console.ctx.clone();
    match blocking(move || prepare_waiting(&ctx, keystore.as_ref(), &signed, action)).await {
        Ok(view) => see_other(&format!("/drafts/{}?back={}", view.draft_id, id)),
        Err(p) => v.problem(&p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> Value {
        serde_json::to_value(vouch_core::testkit::demo_request_contents().expect("demo")).expect("json")
    }

    fn officers() -> BTreeMap<String, String> {
        ["maker", "checker"]
            .iter()
            .flat_map(|w| {
                [("name", "李"), ("position", "函证中心"), ("phone", "0571")]
                    .map(|(k, v)| (format!("{w}_{k}"), v.to_string()))
            })
            .collect()
    }

    #[test]
    fn an_all_agreed_form_is_a_matching_answer_that_parses() {
        let letter = letter();
        let mut f = officers();
        for (name, item) in letter["items"].as_object().expect("items") {
            for i in 0..item.get("rows").and_then(Value::as_array).map_or(0, Vec::len) {
                f.insert(format!("a:{name}:{i}"), "agreed".into());
            }
        }
        let answer = build_answer(&letter, &f).expect("builds");
        assert_eq!(answer["conclusion"], "matches");
        let parsed: ResponseContents = serde_json::from_value(answer).expect("a ResponseContents");
        parsed.validate().expect("valid");
    }

    #[test]
    fn an_exception_takes_the_banks_figures_and_needs_an_explanation() {
        let letter = letter();
        let mut f = officers();
        for (name, item) in letter["items"].as_object().expect("items") {
            for i in 0..item.get("rows").and_then(Value::as_array).map_or(0, Vec::len) {
                f.insert(format!("a:{name}:{i}"), "agreed".into());
            }
        }
        f.insert("a:deposits:0".into(), "exception".into());
        f.insert("b:deposits:0:balance".into(), "1234000.00".into());
        assert!(build_answer(&letter, &f).expect_err("no explanation").contains("explanation"));
        f.insert("e:deposits:0".into(), "<b>余额不符</b>".into());
        let answer = build_answer(&letter, &f).expect("builds");
        assert_eq!(answer["conclusion"], "differences");
        let row = &answer["items"]["deposits"]["rows"][0];
        assert_eq!(row["bank"]["balance"], "1234000.00");
        assert_eq!(row["bank"]["cash_pooling"], false, "other columns as stated, types kept");
        let parsed: ResponseContents = serde_json::from_value(answer).expect("parses");
        parsed.validate().expect("valid");
        f.remove("a:loans:0");
        assert!(build_answer(&letter, &f).expect_err("unanswered row").contains("loans row 1"));
    }
}
