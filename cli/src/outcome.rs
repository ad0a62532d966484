//! Turn a command's result into what the user sees and the exit code scripts test.
//!
//! # Terminology
//!
//! - *Exit code*: `0` ok; `1` verification failed or refused (the input was read and is
//!   wrong: a bad signature, a broken rule, a split view); `2` usage or input error (a
//!   missing file, a file that is not what the command reads, a bad flag); `3` network or
//!   I/O error (a node did not answer, a file could not be written). Stable: scripts
//!   depend on them, and `docs/CLI.md` lists them.
//! - *Failure*: the error at the edge, with its exit code, its whole cause chain, the next
//!   step to suggest, and details (rule, height, leaf) for `--json`.
//! - *Report*: what a command that succeeded prints, as text for people and as JSON.
//!
//! Library modules return their own `thiserror` enums and classify them with
//! [`Classify`]; this module is the only place they become `anyhow` errors.

use serde::Serialize;
use serde_json::Value;

/// The exit codes, documented in `--help` and `docs/CLI.md`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  ok
  1  verification failed or refused (the input was read and is wrong; the message names the rule)
  2  usage or input error (missing or unreadable file, not the kind of file expected, bad flag)
  3  network or I/O error (a node did not answer as expected, a file could not be written)";

/// What kind of failure, as the exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exit {
    /// 0: everything checked out.
    Ok,
    /// 1: verification failed or the input was refused.
    Refused,
    /// 2: usage or input error.
    Usage,
    /// 3: network or I/O error.
    Io,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Refused => 1,
            Exit::Usage => 2,
            Exit::Io => 3,
        }
    }
}

/// How a module's error maps to an exit code and a next step.
pub trait Classify: std::error::Error + Send + Sync + 'static {
    /// The exit code this error calls for.
    fn exit(&self) -> Exit;
    /// What the user can do next, one sentence.
    fn hint(&self) -> String;
    /// Where the fault is (height, leaf index, entry, file), for `--json`.
    fn details(&self) -> Value {
        Value::Null
    }
}

/// A command's failure, ready to print.
#[derive(Debug)]
pub struct Failure {
    /// Exit code.
    pub exit: Exit,
    /// The error and its causes.
    pub error: anyhow::Error,
    /// The next step.
    pub hint: String,
    /// Location details for `--json`.
    pub details: Value,
}

impl<E: Classify> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure { exit: error.exit(), hint: error.hint(), details: error.details(), error: error.into() }
    }
}

impl Failure {
    /// Each message in the cause chain, outermost first.
    pub fn messages(&self) -> Vec<String> {
        self.error.chain().map(|e| e.to_string()).collect()
    }

    /// The first rule id (`R-BLK-2`) named anywhere in the chain.
    pub fn rule(&self) -> Option<String> {
        self.messages().iter().find_map(|m| rule_id(m))
    }

    /// The text printed on stderr.
    pub fn human(&self) -> String {
        let mut messages = self.messages().into_iter();
        let mut out = format!("error: {}\n", messages.next().unwrap_or_default());
        for cause in messages {
            out.push_str(&format!("  caused by: {cause}\n"));
        }
        out.push_str(&format!("hint: {}\n", self.hint));
        out
    }

    /// The object printed on stdout with `--json`.
    pub fn json(&self) -> Value {
        serde_json::json!({
            "ok": false,
            "exit_code": self.exit.code(),
            "kind": self.exit,
            "error": self.messages().join(": "),
            "rule": self.rule(),
            "hint": self.hint,
            "details": self.details,
        })
    }
}

/// The first `R-<LETTERS>-<DIGITS>` token in `text`.
pub fn rule_id(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(offset) = text.get(start..).and_then(|t| t.find("R-")) {
        let at = start + offset;
        let after_letters = at + 2 + bytes.iter().skip(at + 2).take_while(|b| b.is_ascii_uppercase()).count();
        let digits = bytes.iter().skip(after_letters + 1).take_while(|b| b.is_ascii_digit()).count();
        let boundary_before = at == 0 || !bytes.get(at - 1).is_some_and(|b| b.is_ascii_alphanumeric());
        if boundary_before && after_letters > at + 2 && bytes.get(after_letters) == Some(&b'-') && digits > 0
        {
            return text.get(at..after_letters + 1 + digits).map(str::to_string);
        }
        start = at + 2;
    }
    None
}

/// What a successful command prints.
#[derive(Debug, Clone)]
pub struct Report {
    /// For `--json` (an object; `"ok": true` is added when printed).
    pub json: Value,
    /// For people.
    pub human: String,
}

impl Report {
    /// A report from a serializable value and its text.
    pub fn new<T: Serialize>(value: &T, human: String) -> Report {
        let json = serde_json::to_value(value).unwrap_or_else(
            |e| serde_json::json!({ "report_error": format!("cannot encode the report: {e}") }),
        );
        Report { json, human }
    }

    /// The JSON object with `"ok": true`.
    pub fn json_ok(&self) -> Value {
        let mut value = self.json.clone();
        if let Value::Object(map) = &mut value {
            map.insert("ok".into(), Value::Bool(true));
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_found_at_word_boundaries() {
        assert_eq!(rule_id("block 3: R-BLK-2: prev is x"), Some("R-BLK-2".into()));
        assert_eq!(rule_id("R-GEN-13: org"), Some("R-GEN-13".into()));
        assert_eq!(rule_id("XR-BLK-2"), None);
        assert_eq!(rule_id("R-: R-X- R-BUN-"), None);
        assert_eq!(rule_id("no rule here"), None);
        assert_eq!(rule_id("first R-, then (R-CKPT-8)"), Some("R-CKPT-8".into()));
    }

    #[test]
    fn exit_codes_are_stable() {
        assert_eq!([Exit::Ok, Exit::Refused, Exit::Usage, Exit::Io].map(Exit::code), [0, 1, 2, 3]);
    }
}
