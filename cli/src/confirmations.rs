//! Read confirmations from a node's token-protected API (`GET /v1/confirmations`,
//! `GET /v1/confirmations/{id}`) and print them as tables.
//!
//! What a node says here is a convenience view, not evidence: verify a confirmation with
//! its bundle (`vouch verify bundle`).

use crate::client::{Client, ClientError};
use crate::outcome::{Classify, Exit, Report};
use serde_json::Value;

/// A listing is at most 200 summaries; a history is bounded by the documents of one request.
const ANSWER_BYTES_MAX: usize = 4 * 1024 * 1024;

/// Why confirmations could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The node could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The node refused the question (token, parameter, unknown id).
    #[error("GET {url} answered HTTP {status}: {detail}")]
    Refused {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The problem's detail.
        detail: String,
    },
    /// The answer is not JSON.
    #[error("GET {url} answered something that is not JSON: {detail}")]
    Malformed {
        /// The URL.
        url: String,
        /// What the parser said.
        detail: String,
    },
}

impl Classify for ReadError {
    fn exit(&self) -> Exit {
        match self {
            ReadError::Client(e) => e.exit(),
            ReadError::Refused { status: 400 | 401 | 403 | 404, .. } => Exit::Usage,
            ReadError::Refused { .. } | ReadError::Malformed { .. } => Exit::Io,
        }
    }

    fn hint(&self) -> String {
        match self {
            ReadError::Client(e) => e.hint(),
            ReadError::Refused { status: 401 | 403, .. } => {
                "check --token (or VOUCH_TOKEN): the node did not accept it for this".into()
            }
            ReadError::Refused { status: 404, .. } => {
                "check the id: it must be a request's document id".into()
            }
            ReadError::Refused { status: 409, .. } => {
                "the latest cosigned checkpoint does not cover every document yet: try again after the next checkpoint".into()
            }
            ReadError::Refused { .. } => "check the parameters, or try again later".into(),
            ReadError::Malformed { .. } => "try again, or ask another node".into(),
        }
    }

    fn details(&self) -> Value {
        match self {
            ReadError::Client(e) => e.details(),
            ReadError::Refused { url, status, .. } => serde_json::json!({ "url": url, "status": status }),
            ReadError::Malformed { url, .. } => serde_json::json!({ "url": url }),
        }
    }
}

pub(crate) fn get(node: &str, path: &str, token: &str) -> Result<Value, ReadError> {
    let (url, body) = get_bytes(node, path, token, ANSWER_BYTES_MAX)?;
    serde_json::from_slice(&body).map_err(|e| ReadError::Malformed { url, detail: e.to_string() })
}

/// GET `path` with the token: the URL and the body of a 200 answer (at most `max` bytes);
/// any other status is a [`ReadError::Refused`] quoting the problem's detail.
pub fn get_bytes(node: &str, path: &str, token: &str, max: usize) -> Result<(String, Vec<u8>), ReadError> {
    let client = Client::new(node)?;
    let url = client.url_of(path);
    let (status, body) = client.get_with_token(path, token, max)?;
    let value: Result<Value, _> = serde_json::from_slice(&body);
    if status != 200 {
        let detail = value
            .ok()
            .and_then(|v| {
                v.get("detail").or_else(|| v.get("title")).and_then(Value::as_str).map(str::to_string)
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(300).collect());
        return Err(ReadError::Refused { url, status, detail });
    }
    Ok((url, body))
}

/// `GET /v1/confirmations/{id}` as JSON.
pub fn detail(node: &str, token: &str, id: &str) -> Result<Value, ReadError> {
    get(node, &format!("/v1/confirmations/{}", escape(id)), token)
}

pub(crate) fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    }
}

/// Columns padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

/// `vouch list`.
pub fn list(
    node: &str,
    token: &str,
    party: Option<&str>,
    status: Option<&str>,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Report, ReadError> {
    let mut path = format!("/v1/confirmations?limit={limit}");
    for (key, value) in [("party", party), ("status", status), ("cursor", cursor)] {
        if let Some(value) = value {
            path.push_str(&format!("&{key}={}", escape(value)));
        }
    }
    let answer = get(node, &path, token)?;
    let items = answer.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            let overdue =
                if i.get("overdue").and_then(Value::as_bool) == Some(true) { "overdue" } else { "" };
            vec![
                text(i, "id").chars().take(12).collect(),
                text(i, "letter_no"),
                text(i, "auditor"),
                text(i, "bank"),
                text(i, "client"),
                text(i, "as_of"),
                text(i, "status"),
                text(i, "due"),
                overdue.to_string(),
            ]
        })
        .collect();
    let mut human = if rows.is_empty() {
        "no confirmations\n".to_string()
    } else {
        table(&["ID", "LETTER", "AUDITOR", "BANK", "CLIENT", "AS OF", "STATUS", "DUE", ""], &rows)
    };
    if let Some(next) = answer.get("next_cursor").and_then(Value::as_str) {
        human.push_str(&format!("more: vouch list --cursor {next}\n"));
    }
    Ok(Report { json: answer, human })
}

/// `vouch show`.
pub fn show(node: &str, token: &str, id: &str) -> Result<Report, ReadError> {
    let answer = detail(node, token, id)?;
    let mut human = String::new();
    for key in [
        "id",
        "letter_no",
        "form",
        "auditor",
        "bank",
        "client",
        "as_of",
        "status",
        "authorize_by",
        "valid_until",
        "due",
        "deadline",
        "overdue",
    ] {
        if answer.get(key).is_some_and(|v| !v.is_null()) {
            human.push_str(&format!("{:<13} {}\n", format!("{key}:"), text(&answer, key)));
        }
    }
    let history = answer.get("history").and_then(Value::as_array).cloned().unwrap_or_default();
    if !history.is_empty() {
        human.push_str("\nhistory:\n");
        let rows: Vec<Vec<String>> = history
            .iter()
            .map(|h| {
                let who = |k: &str| {
                    h.get(k).filter(|v| !v.is_null()).map(|s| {
                        let name = s
                            .get("name")
                            .or_else(|| s.get("client"))
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        format!("{} {name}", text(s, "org")).trim_end().to_string()
                    })
                };
                let signer = match (who("signer"), who("checker")) {
                    (Some(a), Some(c)) => format!("{a} / {c}"),
                    (Some(a), None) => a,
                    (None, _) => "-".into(),
                };
                vec![text(h, "height"), text(h, "leaf_index"), text(h, "kind"), signer, text(h, "id")]
            })
            .collect();
        human.push_str(&table(&["HEIGHT", "LEAF", "KIND", "SIGNED BY", "DOCUMENT"], &rows));
    }
    Ok(Report { json: answer, human })
}

/// Percent-encode what is not unreserved (RFC 3986): for a query value or a path segment.
pub(crate) fn escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
