//! Banks' published rules: every member reads them; a bank with none shows the gap; the
//! latest `bank_rules` a bank published is the one shown, with where it is on the ledger.

use crate::Harness;
use vouch_core::documents::Document;

#[tokio::test]
async fn every_bank_is_listed_and_published_rules_are_shown_with_their_source() {
    let h = Harness::extended(|ledger, b| {
        let rules = vouch_core::testkit::demo_bank_rules().expect("rules");
        let first = vouch_core::documents::BankRules { response_days: 15, ..rules.clone() };
        ledger
            .submit((&b.officer.signer(), &b.officer.key), None, Document::BankRules(first))
            .expect("submit");
        ledger.commit().expect("commit");
        ledger
            .submit((&b.officer.signer(), &b.officer.key), None, Document::BankRules(rules))
            .expect("submit");
        ledger.commit().expect("commit");
    });
    for token in [&h.tokens.auditor, &h.tokens.bank_a, &h.tokens.client, &h.tokens.regulator] {
        let r = h.get("/v1/banks", Some(token)).await;
        r.ok();
        let body = r.json();
        let banks = body["banks"].as_array().expect("banks");
        assert_eq!(banks.len(), 2, "both banks of genesis: {body}");
        let a = banks.iter().find(|b| b["org"] == "bank-a").expect("bank-a");
        assert!(a["rules"].is_null() && a["source"].is_null(), "bank-a published nothing: {a}");
        let b = banks.iter().find(|b| b["org"] == "bank-b").expect("bank-b");
        assert_eq!(b["rules"]["response_days"], 10, "the later version is in force: {b}");
        assert_eq!(b["rules"]["forms"], serde_json::json!(["form1", "form2", "capital_verification"]));
        assert_eq!(b["rules"]["fee"]["amount"], "100.00");
        assert_eq!(b["source"]["person"], "chen-guiyuan");
        assert!(b["source"]["leaf_index"].is_u64() && b["source"]["height"].is_u64(), "{b}");
    }
    let one = h.get("/v1/banks/bank-b", Some(&h.tokens.auditor)).await;
    one.ok();
    assert_eq!(one.json()["rules"]["contact"]["name"], "函证中心 / Confirmation Centre");
}

#[tokio::test]
async fn rules_need_a_token_and_a_bank_id() {
    let h = Harness::new();
    h.get("/v1/banks", None).await.problem(401, "unauthorized");
    h.get("/v1/banks", Some(&h.tokens.revoked)).await.problem(401, "unauthorized");
    h.get("/v1/banks/audit-x", Some(&h.tokens.auditor)).await.problem(404, "not-found");
    h.get("/v1/banks/nobody", Some(&h.tokens.auditor)).await.problem(404, "not-found");
    h.get("/v1/banks/Bad%20Id", Some(&h.tokens.auditor)).await.problem(400, "invalid-parameter");
}
