//! Authenticated reads, visibility, bundles, the self-audit and submission.

use crate::{Harness, hashes};
use axum::body::Body;
use axum::http::Method;
use vouch_core::documents::{Document, Enroll};
use vouch_core::envelope::{Draft, Envelope, Signer};
use vouch_core::keys::SigningKey;
use vouch_core::merkle::{leaf_hash, verify_inclusion};

async fn ids(h: &Harness, query: &str, token: &str) -> Vec<String> {
    let r = h.get(&format!("/v1/confirmations{query}"), Some(token)).await;
    r.ok();
    let body = r.json();
    assert!(body["next_cursor"].is_null(), "one page: {body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn party_data_needs_a_valid_token() {
    let h = Harness::new();
    let id = h.facts.confirmation.request.id;
    for uri in [
        "/v1/confirmations".to_string(),
        format!("/v1/confirmations/{id}"),
        format!("/v1/confirmations/{id}/bundle"),
        "/v1/self-audit".to_string(),
        "/v1/export".to_string(),
    ] {
        let r = h.get(&uri, None).await;
        r.problem(401, "unauthorized");
        assert!(r.headers.get("www-authenticate").is_some(), "{uri}");
        h.get(&uri, Some(&h.tokens.revoked)).await.problem(401, "unauthorized");
        let unknown = format!("vouch_{}", "ab".repeat(32));
        h.get(&uri, Some(&unknown)).await.problem(401, "unauthorized");
        h.get(&uri, Some("not-a-token")).await.problem(401, "unauthorized");
    }
    // The integrity endpoints need nothing.
    h.get("/v1/genesis", None).await.ok();
    h.get("/v1/checkpoint", None).await.ok();
    h.get("/v1/headers/1", None).await.ok();
    // Whole blocks carry every party's metadata: regulators and operators only.
    for token in [&h.tokens.bank_a, &h.tokens.auditor, &h.tokens.client] {
        h.get("/v1/export", Some(token)).await.problem(403, "forbidden");
    }
    h.get("/v1/export", Some(&h.tokens.regulator)).await.ok();
    h.get("/v1/export", Some(&h.tokens.operator)).await.ok();
}

#[tokio::test]
async fn a_revoked_token_is_refused_and_says_so() {
    let h = Harness::new();
    let body = h.get("/v1/confirmations", Some(&h.tokens.revoked)).await.problem(401, "unauthorized");
    assert!(body["detail"].as_str().expect("detail").contains("revoked"), "{body}");
}

#[tokio::test]
async fn each_party_sees_only_its_own() {
    let h = Harness::new();
    let t = &h.tokens;
    let bank_a = ids(&h, "", &t.bank_a).await;
    let bank_b = ids(&h, "", &t.bank_b).await;
    let auditor = ids(&h, "", &t.auditor).await;
    let regulator = ids(&h, "", &t.regulator).await;
    let client = ids(&h, "", &t.client).await;
    let other_client = ids(&h, "", &t.other_client).await;
    assert_eq!(bank_a.len(), 5, "the demo's five requests to bank-a");
    assert_eq!(bank_b, [h.facts.bank_b_request.id.to_hex()]);
    assert_eq!(auditor.len(), 6, "audit-x requested all six");
    assert_eq!(regulator, auditor, "a regulator sees everything, in ledger order");
    assert_eq!(client, bank_a, "every bank-a request is about client c-000123");
    assert!(other_client.is_empty());
    assert!(!bank_a.contains(&bank_b[0]));
}

#[tokio::test]
async fn another_partys_confirmation_is_indistinguishable_from_none() {
    let h = Harness::new();
    let a = h.facts.confirmation.request.id;
    let b = h.facts.bank_b_request.id;
    // bank-b asks for bank-a's confirmation, and for one that does not exist.
    let hidden = h
        .get(&format!("/v1/confirmations/{a}"), Some(&h.tokens.bank_b))
        .await
        .problem(404, "no-confirmation");
    let missing = vouch_core::encoding::Hash::sha256(b"no such request");
    let absent = h
        .get(&format!("/v1/confirmations/{missing}"), Some(&h.tokens.bank_b))
        .await
        .problem(404, "no-confirmation");
    assert_eq!(hidden["title"], absent["title"]);
    assert_eq!(
        hidden["detail"].as_str().expect("d").replace(&a.to_hex(), "ID"),
        absent["detail"].as_str().expect("d").replace(&missing.to_hex(), "ID")
    );
    h.get(&format!("/v1/confirmations/{a}/bundle"), Some(&h.tokens.bank_b))
        .await
        .problem(404, "no-confirmation");
    h.get(&format!("/v1/confirmations/{b}"), Some(&h.tokens.bank_a)).await.problem(404, "no-confirmation");
    h.get(&format!("/v1/confirmations/{a}"), Some(&h.tokens.other_client))
        .await
        .problem(404, "no-confirmation");
    // The ones who may see it do.
    for token in [&h.tokens.bank_a, &h.tokens.auditor, &h.tokens.regulator, &h.tokens.client] {
        h.get(&format!("/v1/confirmations/{a}"), Some(token)).await.ok();
    }
    h.get(&format!("/v1/confirmations/{b}"), Some(&h.tokens.bank_b)).await.ok();
}

#[tokio::test]
async fn a_confirmation_shows_its_whole_history() {
    let h = Harness::new();
    let c = &h.facts.confirmation;
    let r = h.get(&format!("/v1/confirmations/{}", c.request.id), Some(&h.tokens.auditor)).await;
    r.ok();
    let body = r.json();
    assert_eq!(body["id"], c.request.id.to_hex());
    assert_eq!(body["status"], "accepted");
    assert_eq!(body["auditor"], "audit-x");
    assert_eq!(body["bank"], "bank-a");
    assert_eq!(body["client"], "c-000123");
    assert_eq!(body["as_of"], "2025-12-31");
    assert_eq!(body["letter_no"], "AX-2026-0001");
    assert!(body["deadline"].is_null() && body["overdue"] == false);
    let history = body["history"].as_array().expect("history");
    let kinds: Vec<_> = history.iter().map(|e| e["kind"].as_str().expect("kind")).collect();
    assert_eq!(kinds, ["request", "authorization", "response", "correction", "accept"]);
    let ids: Vec<_> = history.iter().map(|e| e["id"].as_str().expect("id").to_string()).collect();
    let expected: Vec<_> = [&c.request, &c.authorization, &c.response, &c.correction, &c.acceptance]
        .iter()
        .map(|e| e.id.to_hex())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(history[0]["signer"]["kind"], "person");
    assert_eq!(history[0]["signer"]["name"], "王审计");
    assert_eq!(history[1]["signer"]["kind"], "client");
    assert_eq!(history[1]["signer"]["client"], "c-000123");
    assert_eq!(history[2]["signer"]["person"], "li-jingban");
    assert_eq!(history[2]["checker"]["person"], "zhang-fuhe");
    // Heights, leaf indexes and leaf hashes are where the log has them.
    let (size, root) = {
        let note = h.get("/v1/checkpoint", None).await.text();
        let cp = vouch_core::checkpoint::CosignedCheckpoint::parse_note(note.as_bytes()).expect("note");
        (cp.checkpoint.size, cp.checkpoint.root)
    };
    let mut last = None;
    for (entry, env) in
        history.iter().zip([&c.request, &c.authorization, &c.response, &c.correction, &c.acceptance])
    {
        let index = entry["leaf_index"].as_u64().expect("leaf index");
        assert!(last < Some(index), "ledger order");
        last = Some(index);
        assert_eq!(h.fake.demo.committed[index as usize].id, env.id);
        let height = entry["height"].as_u64().expect("height");
        let block = &h.fake.demo.blocks[height as usize - 1];
        assert!(block.header.tree_size > index && block.header.tree_size - block.header.documents <= index);
        assert_eq!(entry["block_time_ms"], block.header.time_ms);
        assert_eq!(entry["created_ms"], env.created_ms);
        let lh = leaf_hash(&env.bytes);
        assert_eq!(entry["leaf_hash"], lh.to_hex());
        let proof = h.get(&format!("/v1/proofs/inclusion?leaf_hash={lh}"), None).await.json();
        verify_inclusion(&lh, index, size, &hashes(&proof["proof"]), &root)
            .expect("history entry is in the log");
    }
}

#[tokio::test]
async fn pages_follow_the_cursor_to_the_end() {
    let h = Harness::new();
    let all = ids(&h, "", &h.tokens.regulator).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &cursor {
            Some(c) => format!("?limit=4&cursor={c}"),
            None => "?limit=4".to_string(),
        };
        let body = h.get(&format!("/v1/confirmations{q}"), Some(&h.tokens.regulator)).await.json();
        let items = body["items"].as_array().expect("items");
        assert!(items.len() <= 4);
        seen.extend(items.iter().map(|i| i["id"].as_str().expect("id").to_string()));
        pages += 1;
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 10, "the cursor must move");
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, all);
    // A page of exactly the remaining items has no next cursor.
    let body = h.get("/v1/confirmations?limit=6", Some(&h.tokens.regulator)).await.json();
    assert_eq!(body["items"].as_array().map(Vec::len), Some(6));
    assert!(body["next_cursor"].is_null());
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let h = Harness::new();
    let t = &h.tokens;
    assert_eq!(ids(&h, "?status=accepted", &t.regulator).await, [h.facts.confirmation.request.id.to_hex()]);
    assert_eq!(ids(&h, "?as_of=2025-12-31", &t.regulator).await.len(), 5);
    assert_eq!(ids(&h, "?as_of=2026-06-30", &t.regulator).await, [h.facts.bank_b_request.id.to_hex()]);
    assert_eq!(ids(&h, "?as_of=2024-01-01", &t.regulator).await.len(), 0);
    assert_eq!(ids(&h, "?party=bank-b", &t.regulator).await, [h.facts.bank_b_request.id.to_hex()]);
    assert_eq!(ids(&h, "?party=bank-b", &t.bank_a).await.len(), 0, "a filter never widens visibility");
    assert_eq!(ids(&h, "?party=audit-x", &t.bank_a).await.len(), 5);
    // Only the bank-b request still awaits authorization, long past its window.
    let overdue = h.get("/v1/confirmations?overdue=true", Some(&t.regulator)).await.json();
    let items = overdue["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "awaiting_authorization");
    assert_eq!(items[0]["overdue"], true);
    assert_eq!(items[0]["deadline"], items[0]["authorize_by"]);
    assert_eq!(ids(&h, "?overdue=false", &t.regulator).await.len(), 5);
    assert_eq!(ids(&h, "?status=declined&party=bank-a&as_of=2025-12-31", &t.regulator).await.len(), 1);
}

#[tokio::test]
async fn a_bundle_verifies_offline() {
    let h = Harness::new();
    let id = h.facts.confirmation.request.id;
    for token in [&h.tokens.bank_a, &h.tokens.auditor, &h.tokens.regulator, &h.tokens.client] {
        let r = h.get(&format!("/v1/confirmations/{id}/bundle"), Some(token)).await;
        r.ok();
        assert_eq!(r.content_type(), "application/json");
        let report = vouch_core::bundle::verify_bundle(&r.body, &h.genesis_hash).expect("bundle verifies");
        assert_eq!(report.request, id);
        assert_eq!(report.timeline.len(), 5);
        assert_eq!(report.letter_no, "AX-2026-0001");
    }
    // bank-b's own confirmation too (its signers were enrolled later in the log).
    let b = h.facts.bank_b_request.id;
    let r = h.get(&format!("/v1/confirmations/{b}/bundle"), Some(&h.tokens.bank_b)).await;
    r.ok();
    vouch_core::bundle::verify_bundle(&r.body, &h.genesis_hash).expect("bank-b bundle verifies");
}

#[tokio::test]
async fn a_bundle_waits_for_a_checkpoint_that_covers_it() {
    let h = Harness::build(Some(vec![3]), |f| f);
    let id = h.facts.confirmation.request.id;
    h.get(&format!("/v1/confirmations/{id}/bundle"), Some(&h.tokens.bank_a))
        .await
        .problem(409, "not-checkpointed");
    let h = Harness::build(Some(Vec::new()), |f| f);
    h.get(&format!("/v1/confirmations/{id}/bundle"), Some(&h.tokens.bank_a))
        .await
        .problem(409, "not-checkpointed");
}

#[tokio::test]
async fn self_audit_is_for_regulators_and_operators() {
    let h = Harness::new();
    for token in [&h.tokens.regulator, &h.tokens.operator] {
        let r = h.get("/v1/self-audit", Some(token)).await;
        r.ok();
        let body = r.json();
        assert_eq!(body["ok"], true);
        assert!(body["fault"].is_null());
        assert_eq!(body["tree_size"], h.fake.demo.verifier.tree().size());
    }
    for token in [&h.tokens.bank_a, &h.tokens.auditor, &h.tokens.client] {
        h.get("/v1/self-audit", Some(token)).await.problem(403, "forbidden");
    }
    let h = Harness::with(|mut f| {
        f.fault = Some("ledger store is inconsistent: leaf 3 is missing".into());
        f
    });
    let body = h.get("/v1/self-audit", Some(&h.tokens.regulator)).await.json();
    assert_eq!(body["ok"], false);
    assert!(body["fault"].as_str().expect("fault").contains("leaf 3"));
}

fn signed(h: &Harness, org: &str, document: Document) -> Envelope {
    let secrets = h.fake.demo.org(org).expect("org");
    let signer = Signer { org: vouch_core::ids::OrgId::new(org).expect("org"), key: secrets.admin.public() };
    Draft {
        network: h.fake.demo.net.genesis.network.clone(),
        created_ms: h.fake.now_ms,
        author: signer,
        checker: None,
        document,
    }
    .sign(&secrets.admin, None)
    .expect("sign")
}

fn enroll(person: &str) -> Document {
    Document::Enroll(Enroll {
        person: vouch_core::ids::PersonId::new(person).expect("person"),
        name: "新员工".into(),
        title: "经办".into(),
        key: SigningKey::from_seed(&[9; 32]).public(),
    })
}

#[tokio::test]
async fn entries_keep_the_nodes_contract() {
    let h = Harness::new();
    let post = |bytes: Vec<u8>| {
        h.send(Method::POST, "/v1/entries", None, Some("application/json"), Body::from(bytes))
    };
    // Committed before: 200 with where it is.
    let acceptance = &h.facts.confirmation.acceptance;
    let r = post(acceptance.bytes.clone()).await;
    r.ok();
    let body = r.json();
    assert_eq!(body["leaf_hash"], leaf_hash(&acceptance.bytes).to_hex());
    assert_eq!(h.fake.demo.committed[body["leaf_index"].as_u64().expect("i") as usize].id, acceptance.id);
    // New and valid: 202 pending.
    let new = signed(&h, "bank-b", enroll("new-person"));
    let r = post(new.bytes.clone()).await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.text());
    assert_eq!(r.json()["status"], "pending");
    assert_eq!(r.json()["leaf_hash"], leaf_hash(&new.bytes).to_hex());
    // Refused by the state machine: 422 naming the rule.
    let again = signed(&h, "bank-b", enroll("chen-guiyuan"));
    let body = post(again.bytes.clone()).await.problem(422, "refused");
    assert!(body["rule"].as_str().is_some_and(|r| r.starts_with("R-")), "{body}");
    // `charset` is allowed on the content type.
    let r = h
        .send(
            Method::POST,
            "/v1/entries?wait=false",
            None,
            Some("application/json; charset=utf-8"),
            Body::from(new.bytes),
        )
        .await;
    assert_eq!(r.status.as_u16(), 202);
}
