//! `POST /v1/lookup`: committed documents, altered ones, forged ones, and what each caller
//! may learn.

use crate::{Harness, Reply};
use axum::body::Body;
use axum::http::Method;
use vouch_core::documents::{Decline, Document};
use vouch_core::envelope::{Draft, Envelope, Signer};
use vouch_core::keys::SigningKey;
use vouch_core::merkle::leaf_hash;

async fn lookup(h: &Harness, token: &str, body: Vec<u8>) -> Reply {
    h.send(Method::POST, "/v1/lookup", Some(token), Some("application/json"), Body::from(body)).await
}

async fn found(h: &Harness, token: &str, body: Vec<u8>) -> serde_json::Value {
    let r = lookup(h, token, body).await;
    r.ok();
    r.json()
}

fn hash_body(name: &str, hex: String) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ name: hex })).expect("json")
}

/// A decline of bank-a's confirmation signed by a key bank-a never enrolled.
fn forged(h: &Harness) -> Envelope {
    let key = SigningKey::from_seed(&[42; 32]);
    Draft {
        network: h.fake.demo.net.genesis.network.clone(),
        created_ms: h.fake.now_ms,
        author: Signer { org: vouch_core::ids::OrgId::new("bank-a").expect("org"), key: key.public() },
        checker: None,
        document: Document::Decline(Decline {
            request: h.facts.confirmation.request.id,
            reason: "伪造 / forged".into(),
        }),
    }
    .sign(&key, None)
    .expect("sign")
}

#[tokio::test]
async fn a_committed_answer_is_on_the_ledger_with_its_signers_and_request() {
    let h = Harness::new();
    let c = &h.facts.confirmation;
    let body = found(&h, &h.tokens.regulator, c.response.bytes.clone()).await;
    assert_eq!(body["verdict"], "on-ledger", "{body}");
    assert_eq!(body["on_ledger"], true);
    assert_eq!(body["restricted"], false);
    assert_eq!(body["kind"], "response");
    assert_eq!(body["document_id"], c.response.id.to_hex());
    assert_eq!(body["leaf_hash"], leaf_hash(&c.response.bytes).to_hex());
    assert_eq!(body["request"], c.request.id.to_hex());
    assert_eq!(body["request_on_ledger"], true);
    assert_eq!(body["signer_org"], "bank-a");
    assert_eq!(body["signer"]["person"], "li-jingban", "{body}");
    assert_eq!(body["checker"]["person"], "zhang-fuhe", "{body}");
    assert_eq!(body["signers_enrolled"], true);
    let leaf = body["leaf_index"].as_u64().expect("leaf index");
    assert_eq!(h.fake.demo.committed[leaf as usize].id, c.response.id);
    assert!(body["height"].as_u64().is_some() && body["block_time_ms"].as_u64().is_some(), "{body}");
    // Pretty-printed JSON of the same envelope is the same document.
    let value: serde_json::Value = serde_json::from_slice(&c.response.bytes).expect("json");
    let pretty = serde_json::to_vec_pretty(&value).expect("json");
    assert_eq!(found(&h, &h.tokens.auditor, pretty).await["verdict"], "on-ledger");
}

#[tokio::test]
async fn one_altered_byte_is_never_on_the_ledger() {
    let h = Harness::new();
    let bytes = &h.facts.confirmation.response.bytes;
    // Change one digit of the claimed creation time: still a well-formed envelope.
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    let at = text.find("\"created_ms\":").expect("created_ms") + "\"created_ms\":".len();
    let mut altered = bytes.clone();
    altered[at + 1] = if altered[at + 1] == b'9' { b'8' } else { altered[at + 1] + 1 };
    assert_eq!(altered.iter().zip(bytes).filter(|(a, b)| a != b).count(), 1);
    for token in [&h.tokens.regulator, &h.tokens.bank_a, &h.tokens.bank_b] {
        let body = found(&h, token, altered.clone()).await;
        assert_eq!(body["verdict"], "signature-invalid", "{body}");
        assert_eq!(body["on_ledger"], false);
    }
    // A byte of a signature instead.
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    let sig = text.find("\"sig\":\"").expect("sig") + "\"sig\":\"".len();
    let mut altered = bytes.clone();
    altered[sig] = if altered[sig] == b'A' { b'B' } else { b'A' };
    let body = found(&h, &h.tokens.regulator, altered).await;
    assert!(["signature-invalid", "not-on-ledger"].contains(&body["verdict"].as_str().expect("v")), "{body}");
    assert_eq!(body["on_ledger"], false);
}

#[tokio::test]
async fn a_reply_signed_by_a_key_the_bank_never_enrolled_is_caught() {
    let h = Harness::new();
    let envelope = forged(&h);
    let body = found(&h, &h.tokens.regulator, envelope.bytes.clone()).await;
    assert_eq!(body["verdict"], "signer-not-enrolled", "{body}");
    assert_eq!(body["on_ledger"], false);
    assert_eq!(body["signers_enrolled"], false);
    assert_eq!(body["signer"]["kind"], "unknown");
    assert_eq!(body["request"], h.facts.confirmation.request.id.to_hex());
    // A party that cannot see bank-a's confirmation learns the verdict and the org only.
    let hidden = found(&h, &h.tokens.bank_b, envelope.bytes.clone()).await;
    assert_eq!(hidden["restricted"], true, "{hidden}");
    assert_eq!(hidden["signer_org"], "bank-a");
    for key in ["signer", "request", "document_id", "leaf_index", "kind"] {
        assert!(hidden.get(key).is_none_or(serde_json::Value::is_null), "{key}: {hidden}");
    }
    // A well-signed document by an enrolled key that was never committed.
    let unsent = {
        let maker = h.fake.demo.org("bank-a").expect("org").admin.clone();
        Draft {
            network: h.fake.demo.net.genesis.network.clone(),
            created_ms: h.fake.now_ms,
            author: Signer { org: vouch_core::ids::OrgId::new("bank-a").expect("org"), key: maker.public() },
            checker: None,
            document: Document::Decline(Decline {
                request: h.facts.confirmation.request.id,
                reason: "never sent".into(),
            }),
        }
        .sign(&maker, None)
        .expect("sign")
    };
    let body = found(&h, &h.tokens.auditor, unsent.bytes.clone()).await;
    assert_eq!(body["verdict"], "not-on-ledger", "{body}");
    assert_eq!(body["signers_enrolled"], true, "{body}");
    assert_eq!(body["signer"]["kind"], "admin");
}

#[tokio::test]
async fn hashes_are_looked_up_and_another_partys_document_says_little() {
    let h = Harness::new();
    let c = &h.facts.confirmation;
    let by_id = found(&h, &h.tokens.auditor, hash_body("document_hash", c.request.id.to_hex())).await;
    assert_eq!(by_id["verdict"], "on-ledger", "{by_id}");
    assert_eq!(by_id["kind"], "request");
    assert_eq!(by_id["request"], c.request.id.to_hex());
    assert_eq!(by_id["signer"]["person"], "wang-shenji", "{by_id}");
    let leaf = leaf_hash(&c.acceptance.bytes).to_hex();
    let by_leaf = found(&h, &h.tokens.bank_a, hash_body("leaf_hash", leaf)).await;
    assert_eq!(by_leaf["verdict"], "on-ledger", "{by_leaf}");
    assert_eq!(by_leaf["kind"], "accept");
    // bank-b: yes, on the ledger, signed for audit-x; nothing else.
    let hidden = found(&h, &h.tokens.bank_b, hash_body("document_hash", c.request.id.to_hex())).await;
    assert_eq!(hidden["verdict"], "on-ledger");
    assert_eq!(hidden["on_ledger"], true);
    assert_eq!(hidden["restricted"], true);
    assert_eq!(hidden["signer_org"], "audit-x");
    assert!(hidden.get("signer").is_none() && hidden["request"].is_null(), "{hidden}");
    // The same for a client that is not this confirmation's.
    let other = found(&h, &h.tokens.other_client, hash_body("document_hash", c.request.id.to_hex())).await;
    assert_eq!(other["restricted"], true, "{other}");
    // Unknown hashes.
    let none = vouch_core::encoding::Hash::sha256(b"nothing").to_hex();
    for name in ["document_hash", "leaf_hash"] {
        let body = found(&h, &h.tokens.regulator, hash_body(name, none.clone())).await;
        assert_eq!(body["verdict"], "not-on-ledger", "{body}");
        assert_eq!(body["on_ledger"], false);
    }
}

#[tokio::test]
async fn bad_lookups_are_4xx_problems() {
    let h = Harness::new();
    let t = &h.tokens.regulator;
    lookup(&h, t, b"not json".to_vec()).await.problem(400, "invalid-parameter");
    lookup(&h, t, b"[1, 2]".to_vec()).await.problem(400, "invalid-parameter");
    lookup(&h, t, hash_body("document_hash", "xyz".into())).await.problem(400, "invalid-parameter");
    lookup(&h, t, br#"{"document_hash": 7}"#.to_vec()).await.problem(400, "invalid-parameter");
    let both = br#"{"document_hash": "00", "leaf_hash": "00"}"#.to_vec();
    lookup(&h, t, both).await.problem(400, "invalid-parameter");
    lookup(&h, t, br#"{"v": 1, "type": "decline"}"#.to_vec()).await.problem(400, "invalid-envelope");
    lookup(&h, t, b"{}".to_vec()).await.problem(400, "invalid-envelope");
    h.send(Method::POST, "/v1/lookup", Some(t), Some("text/plain"), Body::from("{}"))
        .await
        .problem(415, "unsupported-media-type");
    h.send(Method::POST, "/v1/lookup", None, Some("application/json"), Body::from("{}"))
        .await
        .problem(401, "unauthorized");
    let big = vec![b' '; vouch_api::limits::LOOKUP_BODY_BYTES_MAX + 1];
    lookup(&h, t, big).await.problem(413, "body-too-large");
    h.send(Method::POST, "/v1/lookup?x=1", Some(t), Some("application/json"), Body::from("{}"))
        .await
        .problem(400, "invalid-parameter");
}
