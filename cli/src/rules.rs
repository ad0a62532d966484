//! A bank's published rules (`docs/PROTOCOL.md` §7.14): `vouch rules publish` signs and
//! sends a `bank_rules` document from a TOML or JSON file, and `vouch banks` prints every
//! bank's rules in force, which auditors read before they send.
//!
//! The file is the document body (`forms`, `whole_bank`, `branches`, `response_days`,
//! `fee`, `contact`, `notes`; see `docs/examples/bank-rules.toml`). Forms and branches may
//! be written in any order: they are put in the order the protocol requires before signing,
//! and every rule the ledger would enforce is checked first, so a bad file is refused here
//! with the rule named, not by the network.

use crate::confirmations::{self, ReadError, text};
use crate::outcome::Report;
use crate::submit::{Destination, SubmitError, input, signer};
use serde_json::Value;
use std::path::Path;
use vouch_core::documents::{BankRules, Document};

/// Read, order and check a rules file.
pub fn parse(text: &str, json: bool) -> Result<BankRules, String> {
    let mut rules: BankRules = crate::submit::parse_toml_or_json(text, json)?;
    rules.forms.sort();
    let forms = rules.forms.len();
    rules.forms.dedup();
    if rules.forms.len() != forms {
        return Err("forms: a form is listed twice".into());
    }
    rules.branches.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    if let Some(twice) = rules.branches.windows(2).find_map(|w| match w {
        [a, b] if a == b => Some(a.clone()),
        _ => None,
    }) {
        return Err(format!("branches: {twice:?} is listed twice"));
    }
    let document = Document::BankRules(rules);
    document.check_fields().map_err(|e| e.to_string())?;
    let Document::BankRules(rules) = document else {
        return Err("internal: not a bank_rules document".into());
    };
    vouch_core::state::check_rules(&rules).map_err(|e| e.to_string())?;
    Ok(rules)
}

/// `vouch rules publish`.
pub fn publish(path: &Path, org: &str, key: &Path, dest: &Destination) -> Result<Report, SubmitError> {
    let (author, signing) = signer(org, key)?;
    let text = crate::files::read_text(path, "rules file", vouch_core::limits::ENVELOPE_BYTES_MAX)?;
    let json = path.extension().is_some_and(|e| e == "json");
    let rules = parse(&text, json).map_err(|e| input(format!("rules file {}", path.display()), e))?;
    dest.sign_and_send((&author, &signing), None, Document::BankRules(rules))
}

/// `vouch banks [ORG]`.
pub fn banks(node: &str, token: &str, org: Option<&str>) -> Result<Report, ReadError> {
    let answer = match org {
        Some(org) => {
            let one = confirmations::get(node, &format!("/v1/banks/{}", confirmations::escape(org)), token)?;
            serde_json::json!({ "banks": [one] })
        }
        None => confirmations::get(node, "/v1/banks", token)?,
    };
    let mut human = String::new();
    for bank in answer.get("banks").and_then(Value::as_array).into_iter().flatten() {
        human.push_str(&describe(bank));
        human.push('\n');
    }
    let json = match org {
        Some(_) => answer.get("banks").and_then(|b| b.get(0)).cloned().unwrap_or(Value::Null),
        None => answer,
    };
    Ok(Report { json, human: human.trim_end().to_string() + "\n" })
}

/// One bank, as lines a person reads.
fn describe(bank: &Value) -> String {
    let mut out = format!("{} ({})\n", text(bank, "name"), text(bank, "org"));
    let Some(rules) = bank.get("rules").filter(|r| !r.is_null()) else {
        out.push_str("  no rules published: ask the bank before sending\n");
        return out;
    };
    let list = |key: &str| -> String {
        let items: Vec<String> = rules
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect();
        if items.is_empty() { "-".into() } else { items.join(", ") }
    };
    let whole = rules.get("whole_bank").and_then(Value::as_bool).unwrap_or(false);
    out.push_str(&format!("  forms:          {}\n", list("forms")));
    out.push_str(&format!(
        "  scopes:         {}{}\n",
        if whole { "whole bank" } else { "not the whole bank" },
        match list("branches").as_str() {
            "-" => String::new(),
            branches => format!("; branches: {branches}"),
        }
    ));
    out.push_str(&format!("  answers within: {} working days\n", text(rules, "response_days")));
    match rules.get("fee").filter(|f| !f.is_null()) {
        Some(fee) => {
            out.push_str(&format!(
                "  fee:            {} {} per letter",
                text(fee, "amount"),
                text(fee, "currency")
            ));
            if fee.get("note").is_some_and(|n| !n.is_null()) {
                out.push_str(&format!(" ({})", text(fee, "note")));
            }
            out.push('\n');
        }
        None => out.push_str("  fee:            none\n"),
    }
    if let Some(contact) = rules.get("contact") {
        let mut parts = vec![text(contact, "name"), text(contact, "phone")];
        for key in ["email", "address"] {
            if contact.get(key).is_some_and(|v| !v.is_null()) {
                parts.push(text(contact, key));
            }
        }
        out.push_str(&format!("  contact:        {}\n", parts.join(", ")));
    }
    if rules.get("notes").is_some_and(|n| !n.is_null()) {
        out.push_str(&format!("  notes:          {}\n", text(rules, "notes")));
    }
    if let Some(source) = bank.get("source").filter(|s| !s.is_null()) {
        out.push_str(&format!(
            "  published:      block {} by {} (document {})\n",
            text(source, "height"),
            text(source, "person"),
            text(source, "document")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
forms = ["form2", "form1"]
whole_bank = true
branches = ["杭州西湖支行", "上海分行营业部"]
response_days = 10
notes = "第14项由总行集中回复"

[fee]
amount = "100.00"
currency = "CNY"

[contact]
name = "函证中心"
phone = "+86 571 0000 0000"
"#;

    #[test]
    fn a_rules_file_is_put_in_protocol_order_and_checked() {
        let rules = parse(FILE, false).unwrap();
        assert_eq!(rules.forms, vec![vouch_core::documents::Form::Form1, vouch_core::documents::Form::Form2]);
        assert_eq!(rules.branches, vec!["上海分行营业部".to_string(), "杭州西湖支行".to_string()]);
        vouch_core::state::check_rules(&rules).unwrap();
    }

    #[test]
    fn bad_rules_files_are_refused_with_the_reason() {
        let twice = FILE.replace(r#"["form2", "form1"]"#, r#"["form1", "form1"]"#);
        assert!(parse(&twice, false).unwrap_err().contains("listed twice"));
        let no_scope = FILE
            .replace("whole_bank = true", "whole_bank = false")
            .replace(r#"branches = ["杭州西湖支行", "上海分行营业部"]"#, "branches = []");
        assert!(parse(&no_scope, false).unwrap_err().starts_with("R-RULES-2"));
        let zero = FILE.replace("response_days = 10", "response_days = 0");
        assert!(parse(&zero, false).unwrap_err().contains("response_days is 0"));
        let unknown = format!("{FILE}\nsurprise = 1\n");
        assert!(parse(&unknown, false).unwrap_err().contains("surprise"));
        let empty_phone = FILE.replace(r#"phone = "+86 571 0000 0000""#, r#"phone = """#);
        assert!(parse(&empty_phone, false).unwrap_err().starts_with("R-DOC-1"));
    }

    #[test]
    fn the_documented_example_file_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/examples/bank-rules.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let rules = parse(&text, false).unwrap();
        assert_eq!(rules.forms.len(), 3);
    }

    #[test]
    fn a_bank_without_rules_says_so() {
        let bank = serde_json::json!({"org": "bank-b", "name": "B", "rules": null, "source": null});
        assert!(describe(&bank).contains("no rules published"));
    }
}
