//! Issue many requests at once from CSV, for an engagement's many clients: one letter per
//! row, form 2 (the bank fills the figures), each row naming the items it requests. The
//! CSV is a file chosen in the form, or pasted (no JavaScript either way); the preview lists every
//! row's problems, from the CSV itself and from the same checks as
//! `POST /v1/drafts/batch` ([`crate::drafts::prepare_batch`]), before anything is signed;
//! "Sign all" then posts the batch's hash back with the CSRF token.
//!
//! # CSV
//!
//! A header row, then one row per letter. Columns: the request form's letter fields
//! (`bank`, `client`, `as_of`, `letter_no`, `response_days`, `branch`, `client_name`,
//! `client_credit_code`, `audit_firm_name`, `period_audited`, `auditing_standard`,
//! `reply_name`, `reply_address`, `reply_phone`, `reply_postcode`, `fee_account`,
//! `closed_from`, `closed_to`) and `items`: the requested items' names separated by `;`
//! (`deposits;loans;other`). RFC 4180 quoting.

use super::i18n::Lang;
use super::layout;
use super::request::{Fields, ITEMS, LETTER_FIELDS, auditor, letter_json};
use super::{Console, Visitor};
use crate::blocking;
use crate::drafts::{BatchSigned, BatchView, keystore, prepare_batch, sign_batch_as};
use crate::problem::{FieldProblem, Kind};
use axum::body::Bytes;
use axum::extract::{FromRequest as _, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

/// Most bytes of CSV read: 500 rows (the batch limit) of a few hundred bytes each.
pub(crate) const CSV_BYTES_MAX: usize = 256 * 1024;

/// Parse RFC 4180 CSV into records of fields; `Err` names the line of a quote left open.
pub(crate) fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                line += 1;
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record.first().is_some_and(String::is_empty)) {
                    records.push(std::mem::take(&mut record));
                }
                record.clear();
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {line}: a quoted field is not closed"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// The batch's rows as `POST /v1/drafts/batch` takes them, or every row's CSV problems.
fn rows_of(text: &str) -> Result<Vec<Value>, Vec<FieldProblem>> {
    let problem =
        |row: Option<usize>, field: &str, detail: String| FieldProblem { row, field: field.into(), detail };
    let records = parse_csv(text).map_err(|e| vec![problem(None, "csv", e)])?;
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        return Err(vec![problem(None, "csv", "no header row".into())]);
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let unknown: Vec<FieldProblem> = header
        .iter()
        .filter(|h| *h != "items" && !LETTER_FIELDS.contains(&h.as_str()))
        .map(|h| problem(None, h, format!("unknown column {h:?}")))
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in records.enumerate() {
        let row = Some(i + 1);
        if record.len() != header.len() {
            errors.push(problem(
                row,
                "row",
                format!("{} fields, the header has {}", record.len(), header.len()),
            ));
            continue;
        }
        let mut f = Fields::new();
        f.insert("form".into(), "form2".into());
        for (column, value) in header.iter().zip(record) {
            if column == "items" {
                for item in value.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    if item != "other" && !ITEMS.iter().any(|(n, _, _)| *n == item) {
                        errors.push(problem(row, "items", format!("{item:?} is not an item of the letter")));
                    }
                    f.insert(format!("s:{item}"), "requested".into());
                }
            } else {
                f.insert(column.clone(), value);
            }
        }
        match letter_json(&f) {
            Ok(Value::Object(mut action)) => {
                action.remove("action");
                rows.push(Value::Object(action));
            }
            Ok(_) => errors.push(problem(row, "row", "not a letter".into())),
            Err(e) => errors.push(problem(row, "row", e)),
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

fn form_markup(l: Lang, csrf: &str, csv: &str) -> Markup {
    html! {
        p class="lead" { (l.t("batch.lead")) }
        p class="muted" { (l.t("batch.columns")) " " code { (LETTER_FIELDS.join(",")) ",items" } }
        form id="batch-form" method="post" action="/requests/batch" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            label { (l.t("batch.file")) " " input id="csv-file" type="file" name="csv_file" accept=".csv,text/csv"; }
            p class="muted" { (l.t("batch.or_paste")) }
            textarea id="csv" name="csv" rows="12" cols="100" { (csv) }
            p { button id="preview" type="submit" { (l.t("batch.preview")) } }
        }
    }
}

fn errors_markup(l: Lang, errors: &[FieldProblem]) -> Markup {
    html! {
        div id="batch-errors" class="notice error" {
            p { (l.t("batch.errors")) }
            table {
                thead { tr { th { (l.t("batch.row")) } th { (l.t("batch.field")) } th { (l.t("batch.problem")) } } }
                tbody {
                    @for e in errors {
                        tr class="batch-error" {
                            td class="num" { @if let Some(r) = e.row { (r) } @else { "—" } }
                            td { code { (e.field) } }
                            td { (e.detail) }
                        }
                    }
                }
            }
        }
    }
}

fn preview_markup(l: Lang, csrf: &str, batch: &BatchView) -> Markup {
    html! {
        p id="batch-ok" class="ok" { (batch.drafts.len()) " " (l.t("batch.ready")) }
        table id="batch-rows" {
            thead { tr { th { (l.t("batch.row")) } th { (l.t("signing.document")) } th { (l.t("signing.hash")) } } }
            tbody {
                @for (i, d) in batch.drafts.iter().enumerate() {
                    tr {
                        td class="num" { (i + 1) }
                        td { pre class="document" { (serde_json::to_string_pretty(&d.document).unwrap_or_default()) } }
                        td { code class="hash" { (d.signing_bytes_sha256) } }
                    }
                }
            }
        }
        p { (l.t("batch.hash")) " " code id="batch-hash" class="hash" { (batch.batch_sha256) } }
        form id="batch-sign-form" method="post" action={ "/requests/batch/" (batch.batch_id) "/sign" } {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="sha256" value=(batch.batch_sha256);
            button id="sign-all" type="submit" { (l.t("batch.sign_all")) }
        }
    }
}

/// `GET /requests/batch`: the CSV form.
pub(crate) async fn form(v: Visitor) -> Response {
    let csrf = match auditor(&v) {
        Ok(c) => c,
        Err(resp) => return *resp,
    };
    let l = v.lang;
    layout::page(StatusCode::OK, &v.chrome(), l.t("batch.title"), form_markup(l, &csrf, ""))
}

/// The CSV form as posted.
#[derive(Default, serde::Deserialize)]
struct BatchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    csv: String,
}

/// The form as `multipart/form-data` (a file chosen: `csv_file` wins over the text area)
/// or as an urlencoded form (the text area only).
async fn read_batch_form(v: &Visitor, headers: &HeaderMap, body: Bytes) -> Result<BatchForm, Response> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|c| c.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return super::read_form(v, headers, &body).map_err(|r| *r);
    }
    let bad = |detail: String| v.refuse(StatusCode::BAD_REQUEST, "error.bad_request", Some(&detail));
    let request = axum::http::Request::builder()
        .header(header::CONTENT_TYPE, ct)
        .body(axum::body::Body::from(body))
        .map_err(|e| bad(e.to_string()))?;
    let mut multipart = Multipart::from_request(request, &()).await.map_err(|e| bad(e.body_text()))?;
    let mut form = BatchForm::default();
    let mut file = String::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| bad(e.body_text()))? {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| bad(format!("{name}: not UTF-8 text")))?;
        match name.as_str() {
            "csrf" => form.csrf = text,
            "csv" => form.csv = text,
            "csv_file" => file = text,
            _ => {}
        }
    }
    if !file.trim().is_empty() {
        // A spreadsheet's UTF-8 export may start with a byte-order mark.
        form.csv = file.trim_start_matches('\u{feff}').to_string();
    }
    Ok(form)
}

/// `POST /requests/batch`: check every row; preview the drafts, or list every problem.
pub(crate) async fn preview(
    State(console): State<Console>,
    v: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let csrf = match auditor(&v) {
        Ok(c) => c,
        Err(resp) => return *resp,
    };
    let form = match read_batch_form(&v, &headers, body).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let principal = match v.check_csrf(&form.csrf) {
        Ok(s) => s.principal.clone(),
        Err(resp) => return *resp,
    };
    let l = v.lang;
    let refused = |errors: &[FieldProblem]| {
        let body = html! { (errors_markup(l, errors)) (form_markup(l, &csrf, &form.csv)) };
        layout::page(StatusCode::BAD_REQUEST, &v.chrome(), l.t("batch.title"), body)
    };
    if form.csv.len() > CSV_BYTES_MAX {
        let e = FieldProblem {
            row: None,
            field: "csv".into(),
            detail: format!("{} bytes, at most {CSV_BYTES_MAX}", form.csv.len()),
        };
        return refused(&[e]);
    }
    let rows = match rows_of(&form.csv) {
        Ok(r) => r,
        Err(errors) => return refused(&errors),
    };
    let keystore = match keystore(&console.ctx) {
        Ok(k) => k,
        Err(p) => return v.problem(&p),
    };
    let ctx = console.ctx.clone();
    match blocking(move || prepare_batch(&ctx, keystore.as_ref(), &principal, &rows)).await {
        Ok(batch) => {
            layout::page(StatusCode::OK, &v.chrome(), l.t("batch.title"), preview_markup(l, &csrf, &batch))
        }
        Err(p) if p.kind == Kind::InvalidDraft => {
            let errors = if p.errors.is_empty() {
                vec![FieldProblem { row: None, field: "batch".into(), detail: p.detail.clone() }]
            } else {
                p.errors.clone()
            };
            refused(&errors)
        }
        Err(p) => v.problem(&p),
    }
}

/// The sign-all form as posted.
#[derive(serde::Deserialize)]
struct SignAllForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sha256: String,
}

fn signed_markup(l: Lang, signed: &BatchSigned) -> Markup {
    html! {
        table id="batch-signed" {
            thead { tr { th { (l.t("batch.row")) } th { (l.t("col.status")) } th { (l.t("confirmation.id")) } } }
            tbody {
                @for (i, r) in signed.rows.iter().enumerate() {
                    tr class={ "batch-" (r.status) } {
                        td class="num" { (i + 1) }
                        td { (r.status) @if let Some(d) = &r.detail { " " code { (d) } } }
                        td { a href={ "/confirmations/" (r.id) } { code class="hash" { (r.id) } } }
                    }
                }
            }
        }
    }
}

/// `POST /requests/batch/{id}/sign`: sign every row with the batch's hash, submit each.
pub(crate) async fn sign_all(
    State(console): State<Console>,
    v: Visitor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = auditor(&v) {
        return *resp;
    }
    let form: SignAllForm = match super::read_form(&v, &headers, &body) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let principal = match v.check_csrf(&form.csrf) {
        Ok(s) => s.principal.clone(),
        Err(resp) => return *resp,
    };
    let keystore = match keystore(&console.ctx) {
        Ok(k) => k,
        Err(p) => return v.problem(&p),
    };
    match sign_batch_as(&console.ctx, keystore, &principal, &id, &form.sha256).await {
        Ok(signed) => {
            let l = v.lang;
            layout::page(StatusCode::OK, &v.chrome(), l.t("batch.signed_title"), signed_markup(l, &signed))
        }
        Err(p) => v.problem(&p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_commas_and_newlines() {
        let text = "a,b,c\r\n1,\"two, too\",\"say \"\"hi\"\"\nthere\"\n\n3,,\n";
        let records = parse_csv(text).expect("parses");
        assert_eq!(records.len(), 3);
        assert_eq!(records[1], vec!["1", "two, too", "say \"hi\"\nthere"]);
        assert_eq!(records[2], vec!["3", "", ""]);
        assert!(parse_csv("a\n\"open").expect_err("unclosed").contains("line 2"));
    }

    #[test]
    fn bad_rows_are_each_named() {
        let text = "bank,client,letter_no,items\nbank-b,b-000001,L1,deposits\nbank-b,b-000002\nbank-b,b-3,L3,nonsense\n";
        let errors = rows_of(text).expect_err("two bad rows");
        let rows: Vec<_> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![Some(2), Some(3)], "{errors:?}");
        assert!(rows_of("bogus\nx\n").expect_err("unknown column")[0].detail.contains("bogus"));
    }
}
