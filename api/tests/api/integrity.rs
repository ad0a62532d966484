//! The integrity endpoints, without credentials: every answer checks with vouch-core.

use crate::{Harness, hashes};
use vouch_core::block::Block;
use vouch_core::bundle::{verify_checkpoint_note, verify_consistency as verify_checkpoints};
use vouch_core::checkpoint::CosignedCheckpoint;
use vouch_core::encoding::Hash;
use vouch_core::merkle::{leaf_hash, verify_consistency, verify_inclusion};

fn root_of(note: &str) -> (u64, Hash) {
    let parsed = CosignedCheckpoint::parse_note(note.as_bytes()).expect("note parses");
    (parsed.checkpoint.size, parsed.checkpoint.root)
}

#[tokio::test]
async fn genesis_is_the_canonical_document() {
    let h = Harness::new();
    let r = h.get("/v1/genesis", None).await;
    r.ok();
    assert_eq!(r.content_type(), "application/json");
    assert_eq!(r.body, h.fake.demo.net.genesis.to_canonical());
    let parsed = vouch_core::genesis::Genesis::decode(&r.body).expect("a valid genesis");
    assert_eq!(parsed.hash(), h.genesis_hash);
}

#[tokio::test]
async fn checkpoints_are_cosigned_notes() {
    let h = Harness::new();
    let latest = h.get("/v1/checkpoint", None).await;
    latest.ok();
    assert!(latest.content_type().starts_with("text/plain"));
    let genesis = &h.fake.demo.net.genesis;
    let (cp, quorum) = verify_checkpoint_note(&latest.body, genesis).expect("a quorum cosigned it");
    assert!(quorum.signed_power * 3 > quorum.total_power * 2);
    let sizes = &h.facts.checkpoint_sizes;
    assert_eq!(Some(&cp.checkpoint.size), sizes.last());
    for size in sizes {
        let r = h.get(&format!("/v1/checkpoints/{size}"), None).await;
        r.ok();
        assert_eq!(root_of(&r.text()).0, *size);
    }
    h.get("/v1/checkpoints/4", None).await.problem(404, "no-checkpoint");
    h.get("/v1/checkpoints/four", None).await.problem(400, "invalid-parameter");
}

#[tokio::test]
async fn no_checkpoint_yet_is_a_404_problem() {
    let h = Harness::build(Some(Vec::new()), |f| f);
    h.get("/v1/checkpoint", None).await.problem(404, "no-checkpoint");
    let lh = leaf_hash(&h.facts.confirmation.request.bytes).to_hex();
    h.get(&format!("/v1/proofs/inclusion?leaf_hash={lh}"), None).await.problem(404, "no-checkpoint");
}

#[tokio::test]
async fn inclusion_proofs_verify_against_the_checkpoint() {
    let h = Harness::new();
    let latest = h.get("/v1/checkpoint", None).await.text();
    let (size, root) = root_of(&latest);
    let c = &h.facts.confirmation;
    for env in
        [&c.request, &c.authorization, &c.response, &c.correction, &c.acceptance, &h.facts.bank_b_request]
    {
        let lh = leaf_hash(&env.bytes);
        let r = h.get(&format!("/v1/proofs/inclusion?leaf_hash={lh}"), None).await;
        r.ok();
        let body = r.json();
        assert_eq!(body["tree_size"], size, "defaults to the latest checkpoint");
        assert_eq!(body["leaf_hash"], lh.to_hex());
        let index = body["leaf_index"].as_u64().expect("index");
        verify_inclusion(&lh, index, size, &hashes(&body["proof"]), &root).expect("proof verifies");
    }
    // An explicit, earlier tree.
    let early = h.fake.demo.committed.first().expect("leaf 0");
    let lh = leaf_hash(&early.bytes);
    let (small, small_root) = root_of(h.fake.checkpoints.first_key_value().expect("early").1);
    let r = h.get(&format!("/v1/proofs/inclusion?leaf_hash={lh}&tree_size={small}"), None).await;
    r.ok();
    let body = r.json();
    verify_inclusion(&lh, 0, small, &hashes(&body["proof"]), &small_root).expect("early proof verifies");
    // A leaf outside the tree asked for, a tree beyond the log, a leaf not in the log.
    let late = leaf_hash(&c.acceptance.bytes);
    h.get(&format!("/v1/proofs/inclusion?leaf_hash={late}&tree_size={small}"), None)
        .await
        .problem(404, "beyond-tree");
    h.get(&format!("/v1/proofs/inclusion?leaf_hash={late}&tree_size={}", size + 1), None)
        .await
        .problem(404, "beyond-tree");
    h.get(&format!("/v1/proofs/inclusion?leaf_hash={}", Hash::sha256(b"nothing")), None)
        .await
        .problem(404, "no-leaf");
}

#[tokio::test]
async fn consistency_proofs_verify_between_checkpoints() {
    let h = Harness::new();
    let (old_size, old_note) =
        h.fake.checkpoints.first_key_value().map(|(s, n)| (*s, n.clone())).expect("old");
    let (new_size, new_note) =
        h.fake.checkpoints.last_key_value().map(|(s, n)| (*s, n.clone())).expect("new");
    let r = h.get(&format!("/v1/proofs/consistency?from={old_size}&to={new_size}"), None).await;
    r.ok();
    let body = r.json();
    assert_eq!((body["from"].as_u64(), body["to"].as_u64()), (Some(old_size), Some(new_size)));
    let proof = hashes(&body["proof"]);
    let (_, old_root) = root_of(&old_note);
    let (_, new_root) = root_of(&new_note);
    verify_consistency(old_size, new_size, &proof, &old_root, &new_root).expect("merkle consistency");
    verify_checkpoints(old_note.as_bytes(), new_note.as_bytes(), &proof, &h.fake.demo.net.genesis)
        .expect("checkpoint consistency");
    // Every pair of sizes, against roots computed independently.
    let tree = h.fake.demo.verifier.tree();
    for from in 1..=new_size {
        for to in from..=new_size {
            let r = h.get(&format!("/v1/proofs/consistency?from={from}&to={to}"), None).await;
            r.ok();
            let proof = hashes(&r.json()["proof"]);
            let (r1, r2) = (
                vouch_core::merkle::root(tree, from).expect("r1"),
                vouch_core::merkle::root(tree, to).expect("r2"),
            );
            if from == to {
                assert!(proof.is_empty());
            } else {
                verify_consistency(from, to, &proof, &r1, &r2)
                    .unwrap_or_else(|e| panic!("{from}..{to}: {e}"));
            }
        }
    }
    h.get("/v1/proofs/consistency?from=0&to=3", None).await.problem(400, "invalid-parameter");
    h.get("/v1/proofs/consistency?from=4&to=3", None).await.problem(400, "invalid-parameter");
    h.get(&format!("/v1/proofs/consistency?from=1&to={}", new_size + 1), None)
        .await
        .problem(404, "beyond-tree");
    h.get("/v1/proofs/consistency?from=1", None).await.problem(400, "invalid-parameter");
}

#[tokio::test]
async fn headers_carry_the_certificate_and_no_documents() {
    let h = Harness::new();
    let tip = h.fake.demo.blocks.len() as u64;
    for block in &h.fake.demo.blocks {
        let height = block.header.height;
        let r = h.get(&format!("/v1/headers/{height}"), None).await;
        r.ok();
        let body = r.json();
        let keys: Vec<_> = body.as_object().expect("object").keys().cloned().collect();
        assert_eq!(keys, ["certificate", "header"]);
        let header: vouch_core::block::Header =
            serde_json::from_value(body["header"].clone()).expect("header");
        assert_eq!(header, block.header);
        let cert: vouch_core::block::Certificate =
            serde_json::from_value(body["certificate"].clone()).expect("certificate");
        assert_eq!(cert, block.certificate);
    }
    h.get("/v1/headers/0", None).await.problem(404, "no-block");
    h.get(&format!("/v1/headers/{}", tip + 1), None).await.problem(404, "no-block");
    h.get("/v1/headers/-1", None).await.problem(400, "invalid-parameter");
}

#[tokio::test]
async fn export_streams_the_chain_as_canonical_ndjson() {
    let h = Harness::new();
    let r = h.get("/v1/export", Some(&h.tokens.regulator)).await;
    r.ok();
    assert_eq!(r.content_type(), "application/x-ndjson");
    let text = r.text();
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), h.fake.demo.blocks.len());
    let mut blocks = Vec::new();
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).expect("json line");
        assert_eq!(vouch_core::canonical::to_canonical(&value), line.as_bytes(), "canonical");
        blocks.push(Block::from_json(line.as_bytes()).expect("block"));
    }
    let summary =
        vouch_core::verify::verify_chain(&h.fake.demo.net.genesis, &blocks).expect("chain verifies");
    assert_eq!(summary.tree_size, h.fake.demo.verifier.tree().size());

    let r = h.get("/v1/export?from=2&to=3", Some(&h.tokens.regulator)).await;
    r.ok();
    let heights: Vec<u64> =
        r.text().lines().map(|l| Block::from_json(l.as_bytes()).expect("block").header.height).collect();
    assert_eq!(heights, [2, 3]);
    let tip = blocks.len();
    h.get(&format!("/v1/export?to={}", tip + 1), Some(&h.tokens.regulator)).await.problem(404, "no-block");
    h.get("/v1/export?from=0", Some(&h.tokens.regulator)).await.problem(400, "invalid-parameter");
    h.get("/v1/export?from=3&to=2", Some(&h.tokens.regulator)).await.problem(400, "invalid-parameter");
    // More blocks than one read step, from the middle to the end.
    let r = h.get(&format!("/v1/export?from=2&to={tip}"), Some(&h.tokens.regulator)).await;
    r.ok();
    assert_eq!(r.text().lines().count(), tip - 1);
}
