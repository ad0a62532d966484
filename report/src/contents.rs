//! Lay out a confirmation's opened letter and the bank's answer in force item by item, in
//! letter order, with exceptions, no-record rows and unlisted rows highlighted, then the
//! typed list of differences (`vouch_core::items::differences`).
//!
//! The contents are plaintext already checked against their signed commitments; they are
//! walked as JSON so that every item shape (form 1, form 2, 验资) renders with one table
//! builder. Every value is untrusted text and is escaped.

use super::Contents;
use crate::html::{code, header, text};
use serde_json::Value;
use std::collections::BTreeMap;
use vouch_core::documents::DocType;
use vouch_core::encoding::Hash;
use vouch_core::envelope::Envelope;
use vouch_core::items::{RequestContents, ResponseContents};

/// The items in letter order: JSON name, number, English and Chinese titles.
const ITEMS: &[(&str, &str, &str, &str)] = &[
    ("deposits", "1", "Bank deposits", "银行存款"),
    ("loans", "2", "Bank loans", "银行借款"),
    ("closed_accounts", "3", "Accounts closed in the period", "期间内注销的账户"),
    ("entrusted_loans_as_lender", "4", "Entrusted loans (as lender)", "委托贷款（委托人）"),
    ("entrusted_loans_as_borrower", "5", "Entrusted loans (as borrower)", "委托贷款（借款人）"),
    ("guarantees_given", "6(1)", "Guarantees given", "为其他单位提供的担保"),
    ("guarantees_received", "6(2)", "Guarantees received", "贵行提供的担保"),
    ("acceptance_drafts", "7", "Bank acceptance drafts", "银行承兑汇票"),
    ("discounted_notes", "8", "Discounted notes", "已贴现商业汇票"),
    ("notes_for_collection", "9", "Notes for collection", "托收的商业汇票"),
    ("letters_of_credit", "10", "Letters of credit", "信用证"),
    ("fx_contracts", "11", "FX contracts", "外汇买卖合约"),
    ("custody", "12", "Custody", "托管的证券或产权文件"),
    ("wealth_management", "13", "Wealth management products", "银行理财产品"),
    ("other", "14", "Other", "其他"),
    ("cash_pooling", "附表", "Cash pooling", "资金归集账户"),
];

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Columns of a set of rows, in first-seen order.
fn columns<'a>(rows: impl Iterator<Item = &'a Value>) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for r in rows {
        if let Value::Object(map) = r {
            for k in map.keys() {
                if !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
    }
    cols
}

fn rows_table(rows: &[Value], extra: Option<&dyn Fn(usize) -> (String, bool)>) -> String {
    let cols = columns(rows.iter());
    let mut s = String::from("<table>\n<tr><th>#</th>");
    for c in &cols {
        s.push_str(&format!("<th>{}</th>", text(c)));
    }
    if extra.is_some() {
        s.push_str("<th>Bank's answer 银行回复</th>");
    }
    s.push_str("</tr>\n");
    for (i, r) in rows.iter().enumerate() {
        let (answer, exception) = extra.map(|f| f(i)).unwrap_or_default();
        s.push_str(if exception { "<tr class=exception>" } else { "<tr>" });
        s.push_str(&format!("<td>{i}</td>"));
        for c in &cols {
            s.push_str(&format!("<td>{}</td>", text(&r.get(c).map(show).unwrap_or_default())));
        }
        if extra.is_some() {
            s.push_str(&format!("<td>{answer}</td>"));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

/// The bank's answer to request row `i` of an item: HTML, and whether it is a difference.
fn row_answer(answer: Option<&Value>, stated: Option<&Value>, i: usize) -> (String, bool) {
    let rows = answer.and_then(|a| a.get("rows")).and_then(Value::as_array);
    let found =
        rows.and_then(|rs| rs.iter().find(|r| r.get("row").and_then(Value::as_u64) == Some(i as u64)));
    let Some(a) = found else {
        return ("<span class=muted>no answer</span>".into(), false);
    };
    match a.get("answer").and_then(Value::as_str) {
        Some("agreed") => ("<span class=ok>agreed 相符</span>".into(), false),
        Some("exception") => {
            // Only the columns where the bank's row differs from the stated one.
            let bank = a.get("bank").and_then(Value::as_object).map(|m| {
                m.iter()
                    .filter(|(k, v)| stated.and_then(|r| r.get(k.as_str())) != Some(*v))
                    .map(|(k, v)| format!("{}: <b>{}</b>", text(k), text(&show(v))))
                    .collect::<Vec<_>>()
                    .join("<br>")
            });
            (
                format!(
                    "<span class=no>EXCEPTION 不符</span><br>the bank's records differ: {}<br>explanation: {}",
                    bank.unwrap_or_default(),
                    text(&a.get("explanation").map(show).unwrap_or_default())
                ),
                true,
            )
        }
        Some("no_record") => (
            format!(
                "<span class=no>NO RECORD 无此记录</span>{}",
                a.get("explanation").map(|e| format!("<br>{}", text(&show(e)))).unwrap_or_default()
            ),
            true,
        ),
        other => (format!("unknown answer {}", text(other.unwrap_or("-"))), true),
    }
}

fn item_section(number: &str, en: &str, zh: &str, request: &Value, answer: Option<&Value>) -> String {
    let state = request.get("state").and_then(Value::as_str).unwrap_or("");
    let mut s = format!("<h3>{} {} <span class=zh>{}</span></h3>\n", text(number), text(en), text(zh));
    match state {
        "rows" => {
            let rows = request.get("rows").and_then(Value::as_array).cloned().unwrap_or_default();
            let f = |i: usize| row_answer(answer, rows.get(i), i);
            s.push_str(&rows_table(&rows, answer.map(|_| &f as &dyn Fn(usize) -> (String, bool))));
        }
        "none" => s.push_str("<p>The client states it has none (无).</p>\n"),
        "requested" => match request.get("text") {
            // Item 14 states its matters as text.
            Some(t) => s.push_str(&format!("<p>Matters to confirm 函证事项: {}</p>\n", text(&show(t)))),
            None => s.push_str("<p>Left for the bank to fill (form 2).</p>\n"),
        },
        _ => {}
    }
    if let Some(a) = answer {
        match a.get("state").and_then(Value::as_str) {
            Some("filled") => {
                let rows = a.get("rows").and_then(Value::as_array).cloned().unwrap_or_default();
                s.push_str("<p>The bank's rows 银行填列:</p>\n");
                s.push_str(&rows_table(&rows, None));
            }
            Some("none") => s.push_str("<p>The bank holds nothing for this item (无).</p>\n"),
            _ => {}
        }
        if let Some(unlisted) = a.get("unlisted").and_then(Value::as_array).filter(|u| !u.is_empty()) {
            s.push_str(
                "<p class=no>EXCEPTION 不符: rows the bank holds that the client did not list 未列示项目:</p>\n",
            );
            s.push_str(
                &rows_table(unlisted, Some(&|_| (String::new(), true)))
                    .replace("<th>Bank's answer 银行回复</th>", "<th></th>"),
            );
        }
        if let Some(t) = a.get("text") {
            s.push_str(&format!("<p>The bank's statement: {}</p>\n", text(&show(t))));
        }
    } else if !state.is_empty() {
        s.push_str("<p class=muted>No answer to show for this item.</p>\n");
    }
    if let Some(c) = request.get("completeness").and_then(Value::as_str) {
        s.push_str(&format!("<p class=muted>Completeness sentence, signed verbatim: {}</p>\n", text(c)));
    }
    s
}

pub(super) fn section(
    docs: &[&(u64, Envelope)],
    contents: &BTreeMap<Hash, Contents>,
    key_given: bool,
) -> (String, usize) {
    let mut s = String::from("<h2>Contents <span class=zh>函证内容</span></h2>\n");
    let request = docs.iter().find(|(_, e)| e.doc_type() == DocType::Request);
    let answer =
        docs.iter().rev().find(|(_, e)| matches!(e.doc_type(), DocType::Response | DocType::Correction));
    let req = request.and_then(|(_, e)| contents.get(&e.id));
    let ans = answer.and_then(|(_, e)| contents.get(&e.id));
    if contents.is_empty() {
        s.push_str(if key_given {
            "<p>The key given opens none of the sealed contents.</p>\n"
        } else {
            "<p><b>Not opened.</b> The letter and the bank's answer are sealed; this report shows only \
             their commitments. Pass <code>--decryption-key</code> with a party's X25519 key to include them.</p>\n"
        });
        return (s, 0);
    }
    for (_, env) in docs {
        if let Some(c) = contents.get(&env.id) {
            s.push_str(&format!(
                "<p class=muted>{} {}: {}; checked against its signed commitment.</p>\n",
                text(env.doc_type().as_str()),
                code(&env.id.to_hex()),
                text(&c.how)
            ));
        }
    }
    let Some(req) = req else {
        s.push_str(
            "<p>The letter itself could not be opened with what was given; only the answer is shown.</p>\n",
        );
        if let Some(a) = ans {
            s.push_str(&format!(
                "<pre>{}</pre>\n",
                text(&serde_json::to_string_pretty(&a.value).unwrap_or_default())
            ));
        }
        return (s, 0);
    };
    if let Some(letter) = req.value.get("letter") {
        s.push_str("<table>\n");
        for (k, label) in [
            ("client_name", "Client 被审计单位"),
            ("client_credit_code", "Credit code 统一社会信用代码"),
            ("audit_firm_name", "Audit firm 会计师事务所"),
            ("period_audited", "Period 审计期间"),
        ] {
            s.push_str(&format!(
                "<tr><th style=\"width:14em\">{label}</th><td>{}</td></tr>\n",
                text(&letter.get(k).map(show).unwrap_or_default())
            ));
        }
        s.push_str("</table>\n");
    }
    match (answer, ans) {
        (Some((_, e)), Some(a)) => s.push_str(&format!(
            "<p>Answer in force 有效回函: {} {}, conclusion <b>{}</b>.</p>\n",
            text(e.doc_type().as_str()),
            code(&e.id.to_hex()),
            text(&a.value.get("conclusion").map(show).unwrap_or_default())
        )),
        (Some(_), None) => s.push_str("<p>The answer could not be opened with what was given.</p>\n"),
        (None, _) => s.push_str("<p>No answer yet.</p>\n"),
    }
    let answer_items = ans.and_then(|a| a.value.get("items"));
    let mut not_requested = Vec::new();
    if let Some(items) = req.value.get("items") {
        for (key, number, en, zh) in ITEMS {
            let Some(item) = items.get(*key) else { continue };
            if item.get("state").and_then(Value::as_str) == Some("not_requested") {
                not_requested.push(format!("{number} {en}"));
                continue;
            }
            s.push_str(&item_section(number, en, zh, item, answer_items.and_then(|a| a.get(*key))));
        }
    }
    if let Some(cv) = req.value.get("capital_verification") {
        let as_item = serde_json::json!({ "state": "rows", "rows": cv.get("contributions").cloned().unwrap_or_default() });
        let a = ans.and_then(|a| a.value.get("capital_verification"));
        s.push_str(&item_section("验资", "Capital contributions", "出资", &as_item, a));
    }
    if !not_requested.is_empty() {
        s.push_str(&format!(
            "<p class=muted>Not requested 未函证: {}</p>\n",
            text(&not_requested.join(", "))
        ));
    }
    // The typed comparison, as the auditor's exception list.
    let mut count = 0;
    if let Some(a) = ans {
        let typed = (
            serde_json::from_value::<RequestContents>(req.value.clone()),
            serde_json::from_value::<ResponseContents>(a.value.clone()),
        );
        if let (Ok(r), Ok(a)) = typed {
            let diffs = vouch_core::items::differences(&r, &a);
            count = diffs.len();
            s.push_str(&format!("<h3>Differences 差异汇总: {count}</h3>\n"));
            if !diffs.is_empty() {
                s.push_str("<table>\n");
                s.push_str(&header(&[
                    "Item",
                    "Row",
                    "Column",
                    "Stated 函证列示",
                    "Bank 银行记载",
                    "Explanation 说明",
                ]));
                for d in &diffs {
                    let row_text = match d.row {
                        vouch_core::items::DifferenceRow::Stated(i) => format!("row {i}"),
                        vouch_core::items::DifferenceRow::Unlisted(i) => format!("unlisted {i}"),
                    };
                    s.push_str("<tr class=exception>");
                    for cell in [
                        d.item.name().to_string(),
                        row_text,
                        d.field.clone().unwrap_or_else(|| "(whole row)".into()),
                        d.stated.clone().unwrap_or_default(),
                        d.bank.clone().unwrap_or_default(),
                        d.explanation.clone().unwrap_or_default(),
                    ] {
                        s.push_str(&format!("<td>{}</td>", text(&cell)));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</table>\n");
            }
        }
    }
    (s, count)
}
