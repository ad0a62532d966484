//! Custodial signing: drafts shown then signed with the token's bound key, maker and
//! checker, refusals before signing, and batches checked whole before anything is prepared.

use crate::Harness;
use crate::fake::{Fake, Tokens};
use axum::body::Body;
use axum::http::Method;
use std::sync::Arc;
use vouch_api::auth::{Secret, TokenRecord};
use vouch_api::custody::{HeldKeys, Holder, KeyList};
use vouch_core::date::Date;
use vouch_core::documents::{Form, Scope};
use vouch_core::envelope::Envelope;
use vouch_core::ids::{ClientRef, OrgId, PersonId};
use vouch_core::keys::SigningKey;
use vouch_core::testkit::{demo_request_contents, demo_response_contents};

/// A harness whose node holds keys, with bank-b requests in three states.
pub struct Custodial {
    pub h: Harness,
    pub maker: String,
    pub checker: String,
    pub auditor: String,
    pub client: String,
    pub unbound: String,
    pub other_org: String,
    /// Awaiting authorization.
    pub awaiting: Envelope,
    /// Authorized, not answered.
    pub authorized: Envelope,
    /// Answered.
    pub answered: Envelope,
    /// A form-2 letter (figures left blank), authorized, not answered.
    pub authorized_form2: Envelope,
}

fn org(id: &str) -> OrgId {
    OrgId::new(id).expect("org")
}

fn person(id: &str) -> Holder {
    Holder::Person(PersonId::new(id).expect("person"))
}

pub fn custodial(with_keystore: bool) -> Custodial {
    let until = Date::parse("2026-12-31").expect("date");
    let as_of = Date::parse("2026-06-30").expect("date");
    let mut extra = None;
    let (mut fake, facts) = Fake::build_extended(None, |demo, b| {
        let checker = demo.enroll("bank-b", "sun-fuhe", "孙复核", "函证复核").expect("enroll");
        demo.commit().expect("commit");
        let contents = demo_request_contents().expect("contents");
        let authorized = demo
            .request(&b.auditor, &b.client, "AX-2026-0101", Form::Form1, Scope::WholeBank, as_of, &contents)
            .expect("request");
        let answered = demo
            .request(&b.auditor, &b.client, "AX-2026-0102", Form::Form1, Scope::WholeBank, as_of, &contents)
            .expect("request");
        // The same letter as form 2: every item asked (with rows or "none") left for the
        // bank to fill.
        let mut blank = serde_json::to_value(&contents).expect("contents");
        blank["form"] = serde_json::json!("form2");
        for item in blank["items"].as_object_mut().expect("items").values_mut() {
            if item["state"] == "rows" || item["state"] == "none" {
                let completeness = item.get("completeness").cloned();
                *item = serde_json::json!({ "state": "requested" });
                if let Some(c) = completeness {
                    item["completeness"] = c;
                }
            }
        }
        let blank: vouch_core::items::RequestContents = serde_json::from_value(blank).expect("form 2");
        let form2 = demo
            .request(&b.auditor, &b.client, "AX-2026-0109", Form::Form2, Scope::WholeBank, as_of, &blank)
            .expect("request");
        demo.commit().expect("commit");
        demo.authorize(&b.client, &authorized, until).expect("authorize");
        demo.authorize(&b.client, &answered, until).expect("authorize");
        demo.authorize(&b.client, &form2, until).expect("authorize");
        demo.commit().expect("commit");
        let answer = demo_response_contents().expect("answer");
        demo.respond(&b.officer, &checker, &answered, answer.conclusion, &answer, None).expect("respond");
        demo.commit().expect("commit");
        extra = Some((
            checker,
            b.officer.clone(),
            b.auditor.clone(),
            b.client.clone(),
            authorized,
            answered,
            form2,
        ));
    });
    let (checker, officer, auditor, client, authorized, answered, authorized_form2) =
        extra.expect("extended");
    // The clock just after the last block: every window is still open.
    fake.now_ms = fake.demo.now_ms;
    let bank_b = fake.demo.org("bank-b").expect("bank-b").decryption.clone();
    let audit_x = fake.demo.org("audit-x").expect("audit-x").decryption.clone();
    let keys = KeyList(vec![
        (
            org("bank-b"),
            person("chen-guiyuan"),
            HeldKeys { signing: officer.key.clone(), decryption: Some(bank_b.clone()) },
        ),
        (
            org("bank-b"),
            person("sun-fuhe"),
            HeldKeys { signing: checker.key.clone(), decryption: Some(bank_b) },
        ),
        (
            org("audit-x"),
            person("zhao-shenji"),
            HeldKeys { signing: auditor.key.clone(), decryption: Some(audit_x) },
        ),
        (
            org("bank-b"),
            Holder::Client(client.client.clone()),
            HeldKeys { signing: client.key.clone(), decryption: Some(client.decryption.clone()) },
        ),
        (
            org("bank-a"),
            person("li-other"),
            HeldKeys { signing: SigningKey::from_seed(&[9; 32]), decryption: None },
        ),
    ]);
    let mut tokens = Tokens::issue();
    let mut bound = |o: &str, client: Option<&str>, signer: Option<&str>| {
        let secret = Secret::generate(&mut rand_core::OsRng);
        let mut record = TokenRecord::new(
            &secret,
            org(o),
            "custody test".into(),
            client.map(|c| ClientRef::new(c).expect("client")),
            false,
            1,
        );
        record.signer = signer.map(str::to_string);
        tokens.list.0.push(record);
        secret.token()
    };
    let maker = bound("bank-b", None, Some("chen-guiyuan"));
    let checker_token = bound("bank-b", None, Some("sun-fuhe"));
    let auditor_token = bound("audit-x", None, Some("zhao-shenji"));
    let client_token = bound("bank-b", Some("b-000001"), Some("b-000001"));
    let unbound = bound("bank-b", None, None);
    let other_org = bound("bank-a", None, Some("li-other"));
    let fake = Arc::new(fake);
    let custody: Option<Arc<dyn vouch_api::Keystore>> =
        if with_keystore { Some(Arc::new(keys)) } else { None };
    let router = vouch_api::router_with_custody(fake.clone(), Arc::new(tokens.list.clone()), custody);
    let awaiting = facts.bank_b_request.clone();
    let h = Harness { router, genesis_hash: fake.genesis_hash(), facts, tokens, fake };
    Custodial {
        h,
        maker,
        checker: checker_token,
        auditor: auditor_token,
        client: client_token,
        unbound,
        other_org,
        awaiting,
        authorized,
        answered,
        authorized_form2,
    }
}

impl Custodial {
    async fn post(&self, uri: &str, token: &str, body: serde_json::Value) -> crate::Reply {
        self.h
            .send(Method::POST, uri, Some(token), Some("application/json"), Body::from(body.to_string()))
            .await
    }

    /// Draft `body` as `token`: 201 and the draft.
    async fn draft(&self, token: &str, body: serde_json::Value) -> serde_json::Value {
        let r = self.post("/v1/drafts", token, body).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text());
        r.json()
    }

    async fn sign(&self, token: &str, draft: &serde_json::Value) -> crate::Reply {
        let id = draft["draft_id"].as_str().expect("id");
        self.post(
            &format!("/v1/drafts/{id}/sign"),
            token,
            serde_json::json!({"sha256": draft["signing_bytes_sha256"]}),
        )
        .await
    }

    pub fn submitted(&self) -> usize {
        self.h.fake.submitted.lock().expect("lock").len()
    }
}

/// The fake pools what the state machine accepts (202) and refuses the rest.
#[track_caller]
fn pooled(r: &crate::Reply) {
    assert_eq!(r.status.as_u16(), 202, "{}", r.text());
    assert_eq!(r.json()["status"], "pending", "{}", r.text());
}

#[tokio::test]
async fn each_single_signer_action_drafts_signs_and_is_accepted() {
    let c = custodial(true);
    let letter = serde_json::json!({
        "action": "request", "bank": "bank-b", "client": "b-000001", "as_of": "2026-06-30",
        "letter_no": "AX-2026-0200", "contents": demo_request_contents().expect("contents"),
    });
    let awaiting = c.awaiting.id.to_hex();
    let authorized = c.authorized.id.to_hex();
    let answered = c.answered.id.to_hex();
    let cases = [
        (&c.auditor, letter, "request"),
        (
            &c.client,
            serde_json::json!({"action": "authorize", "request": awaiting, "valid_until": "2026-12-31"}),
            "authorization",
        ),
        (
            &c.client,
            serde_json::json!({"action": "refuse", "request": awaiting, "reason": "no mandate"}),
            "authorization",
        ),
        (
            &c.maker,
            serde_json::json!({"action": "return", "request": authorized, "reason": "fee_not_paid"}),
            "return",
        ),
        (
            &c.maker,
            serde_json::json!({"action": "decline", "request": authorized, "reason": "closed"}),
            "decline",
        ),
        (
            &c.auditor,
            serde_json::json!({"action": "withdraw", "request": awaiting, "reason": "scope changed"}),
            "withdraw",
        ),
        (&c.auditor, serde_json::json!({"action": "accept", "request": answered}), "accept"),
    ];
    for (n, (token, body, doc_type)) in cases.into_iter().enumerate() {
        let action = body["action"].clone();
        let d = c.draft(token, body).await;
        assert_eq!(d["action"], action);
        assert_eq!(d["document"]["type"], doc_type, "{d}");
        assert_eq!(d["status"], "awaiting_signature");
        assert_eq!(d["signing_bytes_sha256"].as_str().expect("hash").len(), 64);
        let r = c.sign(token, &d).await;
        pooled(&r);
        assert_eq!(c.submitted(), n + 1, "{action}");
        let last = c.h.fake.submitted.lock().expect("lock").last().map(|h| h.to_hex());
        assert_eq!(r.json()["id"].as_str(), last.as_deref(), "the answer names the signed document");
        // Signed once: the draft is gone.
        c.sign(token, &d).await.problem(404, "no-draft");
    }
}

#[tokio::test]
async fn drafts_show_the_plaintext_the_signer_vouches_for() {
    let c = custodial(true);
    let contents = demo_request_contents().expect("contents");
    let d = c
        .draft(
            &c.auditor,
            serde_json::json!({"action": "request", "bank": "bank-b", "client": "b-000001", "as_of": "2026-06-30",
                "letter_no": "AX-2026-0201", "contents": contents}),
        )
        .await;
    assert_eq!(d["document"]["contents"], serde_json::to_value(&contents).expect("json"));
    assert!(d["document"]["body"]["contents"]["ciphertext"].is_string(), "sealed in the body: {d}");
    let awaiting = c.awaiting.id.to_hex();
    let d = c
        .draft(
            &c.client,
            serde_json::json!({"action": "authorize", "request": awaiting, "valid_until": "2026-12-31"}),
        )
        .await;
    assert_eq!(
        d["document"]["letter"],
        serde_json::to_value(&contents).expect("json"),
        "the client sees what it authorizes"
    );
}

#[tokio::test]
async fn a_response_needs_the_maker_then_the_checker() {
    let c = custodial(true);
    let answer = demo_response_contents().expect("answer");
    let body = serde_json::json!({"action": "respond", "request": c.authorized.id.to_hex(), "checker": "sun-fuhe",
        "contents": answer});
    let d = c.draft(&c.maker, body).await;
    assert_eq!(d["document"]["type"], "response");
    assert_eq!(d["signers"], serde_json::json!(["person chen-guiyuan", "person sun-fuhe"]));
    assert!(d["document"]["letter"].is_object(), "the letter, opened with the bank's key: {d}");
    // The checker cannot sign first.
    c.sign(&c.checker, &d).await.problem(403, "no-signer");
    let r = c.sign(&c.maker, &d).await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.text());
    assert_eq!(r.json()["status"], "awaiting_checker");
    assert_eq!(c.submitted(), 0, "nothing submitted before the checker signs");
    // The maker cannot sign twice; the checker reads the draft, then co-signs.
    c.sign(&c.maker, &d).await.problem(403, "no-signer");
    let id = d["draft_id"].as_str().expect("id");
    let shown = c.h.get(&format!("/v1/drafts/{id}"), Some(&c.checker)).await;
    shown.ok();
    assert_eq!(shown.json()["signing_bytes_sha256"], d["signing_bytes_sha256"]);
    pooled(&c.sign(&c.checker, &d).await);
    assert_eq!(c.submitted(), 1);
    // A correction of the answered request, likewise.
    let body = serde_json::json!({"action": "correct", "request": c.answered.id.to_hex(), "checker": "sun-fuhe",
        "reason": "typo in a balance", "contents": demo_response_contents().expect("answer")});
    let d = c.draft(&c.maker, body).await;
    assert_eq!(d["document"]["type"], "correction");
    assert_eq!(c.sign(&c.maker, &d).await.status.as_u16(), 202);
    pooled(&c.sign(&c.checker, &d).await);
    assert_eq!(c.submitted(), 2);
}

#[tokio::test]
async fn the_maker_cannot_be_its_own_checker() {
    let c = custodial(true);
    let body = serde_json::json!({"action": "respond", "request": c.authorized.id.to_hex(), "checker": "chen-guiyuan",
        "contents": demo_response_contents().expect("answer")});
    let p = c.post("/v1/drafts", &c.maker, body).await.problem(400, "invalid-draft");
    assert_eq!(p["errors"][0]["field"], "checker", "{p}");
}

#[tokio::test]
async fn a_wrong_hash_is_refused_and_nothing_is_signed() {
    let c = custodial(true);
    let d = c
        .draft(
            &c.auditor,
            serde_json::json!({"action": "withdraw", "request": c.awaiting.id.to_hex(), "reason": "x"}),
        )
        .await;
    let mut other = d.clone();
    other["signing_bytes_sha256"] = serde_json::json!("00".repeat(32));
    c.sign(&c.auditor, &other).await.problem(409, "draft-mismatch");
    other["signing_bytes_sha256"] = serde_json::json!("not hex");
    c.sign(&c.auditor, &other).await.problem(409, "draft-mismatch");
    assert_eq!(c.submitted(), 0);
    pooled(&c.sign(&c.auditor, &d).await);
}

#[tokio::test]
async fn tokens_without_a_signer_or_of_another_org_cannot_sign() {
    let c = custodial(true);
    let body =
        serde_json::json!({"action": "decline", "request": c.authorized.id.to_hex(), "reason": "closed"});
    let p = c.post("/v1/drafts", &c.unbound, body.clone()).await.problem(403, "no-signer");
    assert!(p["detail"].as_str().expect("detail").contains("--signer"), "{p}");
    let d = c.draft(&c.maker, body).await;
    c.sign(&c.unbound, &d).await.problem(403, "no-signer");
    // Another org's token, bound and held, does not even see the draft.
    c.sign(&c.other_org, &d).await.problem(404, "no-draft");
    let id = d["draft_id"].as_str().expect("id");
    c.h.get(&format!("/v1/drafts/{id}"), Some(&c.other_org)).await.problem(404, "no-draft");
    // A person of the same bank who is not a signer of this draft cannot sign it either.
    c.sign(&c.checker, &d).await.problem(404, "no-draft");
    // Another org's signer cannot even draft about a request it may not see.
    c.post(
        "/v1/drafts",
        &c.other_org,
        serde_json::json!({"action": "decline", "request": c.authorized.id.to_hex(), "reason": "x"}),
    )
    .await
    .problem(400, "invalid-draft");
    assert_eq!(c.submitted(), 0);
}

#[tokio::test]
async fn the_state_machine_refuses_before_anyone_signs() {
    let c = custodial(true);
    // Accepting a request that has no answer: refused, with the field named.
    let p = c
        .post(
            "/v1/drafts",
            &c.auditor,
            serde_json::json!({"action": "accept", "request": c.authorized.id.to_hex()}),
        )
        .await
        .problem(400, "invalid-draft");
    assert_eq!(p["errors"][0]["field"], "request");
    // Answering a request not yet authorized: the rule is named.
    let p = c
        .post(
            "/v1/drafts",
            &c.maker,
            serde_json::json!({"action": "respond", "request": c.awaiting.id.to_hex(), "checker": "sun-fuhe",
                "contents": demo_response_contents().expect("answer")}),
        )
        .await
        .problem(422, "refused");
    assert!(p["rule"].as_str().is_some_and(|r| r.starts_with("R-RESP")), "{p}");
    // A withdrawal signed by a bank: wrong signer, refused by rule.
    let p = c
        .post(
            "/v1/drafts",
            &c.maker,
            serde_json::json!({"action": "withdraw", "request": c.awaiting.id.to_hex(), "reason": "x"}),
        )
        .await
        .problem(422, "refused");
    assert!(p["rule"].is_string(), "{p}");
    // Unknown fields and actions are named.
    let p = c
        .post("/v1/drafts", &c.maker, serde_json::json!({"action": "shred", "request": "x"}))
        .await
        .problem(400, "invalid-draft");
    assert!(p["detail"].as_str().expect("detail").contains("shred"), "{p}");
    let body = serde_json::json!({"action": "decline", "request": c.authorized.id.to_hex(), "reason": "x", "extra": 1});
    let p = c.post("/v1/drafts", &c.maker, body).await.problem(400, "invalid-draft");
    assert_eq!(p["errors"][0]["field"], "extra", "{p}");
}

#[tokio::test]
async fn unknown_and_expired_drafts_are_not_found() {
    let c = custodial(true);
    let unknown = serde_json::json!({"draft_id": "drf_00", "signing_bytes_sha256": "00".repeat(32)});
    c.sign(&c.maker, &unknown).await.problem(404, "no-draft");
    let d = c
        .draft(
            &c.auditor,
            serde_json::json!({"action": "withdraw", "request": c.awaiting.id.to_hex(), "reason": "x"}),
        )
        .await;
    let expires = d["expires_ms"].as_u64().expect("expires");
    assert_eq!(expires, c.h.fake.now_ms + vouch_api::drafts::DRAFT_TTL_MS);
    // The node's clock reaches the expiry: the draft is gone, and nothing was signed.
    c.h.fake.skew_ms.store(vouch_api::drafts::DRAFT_TTL_MS, std::sync::atomic::Ordering::SeqCst);
    let p = c.sign(&c.auditor, &d).await.problem(404, "no-draft");
    assert!(p["detail"].as_str().expect("detail").contains("expired"), "{p}");
    assert_eq!(c.submitted(), 0);
}

#[tokio::test]
async fn without_a_keystore_the_endpoints_say_so() {
    let c = custodial(false);
    let p = c
        .post(
            "/v1/drafts",
            &c.maker,
            serde_json::json!({"action": "decline", "request": c.authorized.id.to_hex(), "reason": "x"}),
        )
        .await
        .problem(403, "keystore-off");
    assert!(p["detail"].as_str().expect("detail").contains("VOUCH_KEYSTORE_PASSPHRASE"), "{p}");
    c.h.get("/v1/drafts/drf_00", Some(&c.maker)).await.problem(403, "keystore-off");
}

fn row(letter_no: &str) -> serde_json::Value {
    serde_json::json!({"bank": "bank-b", "client": "b-000001", "as_of": "2026-06-30", "letter_no": letter_no,
        "contents": demo_request_contents().expect("contents")})
}

#[tokio::test]
async fn a_batch_with_bad_rows_lists_every_problem_and_prepares_nothing() {
    let c = custodial(true);
    let mut bad_bank = row("AX-B-2");
    bad_bank["bank"] = "audit-x".into();
    let mut bad_client = row("AX-B-3");
    bad_client["client"] = "b-999999".into();
    let mut bad_days = row("AX-B-4");
    bad_days["response_days"] = 0.into();
    let mut unknown_field = row("AX-B-5");
    unknown_field["colour"] = "red".into();
    let rows = vec![row("AX-B-1"), bad_bank, bad_client, bad_days, unknown_field, row("AX-B-1")];
    let p = c
        .post("/v1/drafts/batch", &c.auditor, serde_json::json!({"rows": rows}))
        .await
        .problem(400, "invalid-draft");
    let got: Vec<(u64, String)> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["row"].as_u64().expect("row"), e["field"].as_str().expect("field").to_string()))
        .collect();
    let want: Vec<(u64, String)> =
        [(2, "bank"), (3, "client"), (4, "response_days"), (5, "colour"), (6, "letter_no")]
            .iter()
            .map(|(r, f)| (*r, f.to_string()))
            .collect();
    for w in &want {
        assert!(got.contains(w), "missing {w:?} in {got:?}");
    }
    assert!(!got.iter().any(|(r, _)| *r == 1), "row 1 is fine: {got:?}");
    // A letter number already on the ledger is caught against the state, row named.
    let p = c
        .post(
            "/v1/drafts/batch",
            &c.auditor,
            serde_json::json!({"rows": [row("AX-B-7"), row("AX-2026-0101")]}),
        )
        .await
        .problem(400, "invalid-draft");
    assert_eq!(p["errors"].as_array().expect("errors").len(), 1, "{p}");
    assert_eq!(p["errors"][0]["row"], 2, "{p}");
    assert_eq!(c.submitted(), 0);
}

#[tokio::test]
async fn a_good_batch_is_prepared_and_signed_at_once() {
    let c = custodial(true);
    let rows = vec![row("AX-B-10"), row("AX-B-11"), row("AX-B-12")];
    let r = c.post("/v1/drafts/batch", &c.auditor, serde_json::json!({"rows": rows})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    let batch = r.json();
    assert_eq!(batch["drafts"].as_array().expect("drafts").len(), 3);
    let id = batch["batch_id"].as_str().expect("id");
    let wrong = c
        .post(
            &format!("/v1/drafts/batch/{id}/sign"),
            &c.auditor,
            serde_json::json!({"sha256": "00".repeat(32)}),
        )
        .await;
    wrong.problem(409, "draft-mismatch");
    // Only the batch's author may sign it.
    c.post(
        &format!("/v1/drafts/batch/{id}/sign"),
        &c.maker,
        serde_json::json!({"sha256": batch["batch_sha256"]}),
    )
    .await
    .problem(404, "no-draft");
    let r = c
        .post(
            &format!("/v1/drafts/batch/{id}/sign"),
            &c.auditor,
            serde_json::json!({"sha256": batch["batch_sha256"]}),
        )
        .await;
    r.ok();
    let signed = r.json();
    let statuses: Vec<&str> = signed["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["pending", "pending", "pending"], "{signed}");
    assert_eq!(c.submitted(), 3);
}
