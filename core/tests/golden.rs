//! The golden vectors in `tests/vectors/golden/` are what an outside verifier is written
//! against. This test fails when a byte drifts (regenerate on purpose with
//! `cargo run -p vouch-core --example vectors -- core/tests/vectors/golden`), and checks the
//! committed files on their own, as an outside verifier would.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use vouch_core::block::Block;
use vouch_core::encoding::Hash;
use vouch_core::genesis::Genesis;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/golden")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("golden file {name} missing: {e}"))
}

#[test]
fn golden_files_have_not_drifted() {
    let files = vouch_core::testkit::golden::golden_files().unwrap();
    let again = vouch_core::testkit::golden::golden_files().unwrap();
    assert_eq!(files, again, "generation is deterministic");
    for (name, bytes) in &files {
        let committed = read(name);
        assert!(
            &committed == bytes,
            "golden file {name} drifted. If the change to signed bytes is intended, regenerate with \
             `cargo run -p vouch-core --example vectors -- core/tests/vectors/golden` and log it in \
             docs/CHANGELOG-PROTOCOL.md"
        );
    }
    assert!(files.len() >= 30);
}

#[test]
fn committed_golden_files_verify_on_their_own() {
    let genesis = Genesis::decode(&read("genesis.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_slice(&read("expected.json")).unwrap();
    assert_eq!(genesis.hash().to_hex(), expected["genesis_hash"]);

    // Each document: canonical, signatures valid, id = SHA-256 of the file.
    for doc in expected["documents"].as_array().unwrap() {
        let bytes = read(doc["file"].as_str().unwrap());
        let envelope = vouch_core::envelope::Envelope::decode(&bytes, &genesis.network).unwrap();
        assert_eq!(envelope.id.to_hex(), doc["id"]);
        assert_eq!(Hash::sha256(&bytes).to_hex(), doc["id"]);
        assert_eq!(vouch_core::merkle::leaf_hash(&bytes).to_hex(), doc["leaf_hash"]);
    }

    // The chain re-verifies from genesis.
    let blocks: Vec<Block> = serde_json::from_slice(&read("blocks.json")).unwrap();
    let summary = vouch_core::verify::verify_chain(&genesis, &blocks).unwrap();
    assert_eq!(summary.tree_size, expected["checkpoint"]["size"]);
    assert_eq!(summary.root.to_b64(), expected["checkpoint"]["root"]);
    for (block, want) in blocks.iter().zip(expected["blocks"].as_array().unwrap()) {
        assert_eq!(block.header.hash().to_hex(), want["hash"]);
    }

    // Each extra document decodes, and applies to the state the chain ends in.
    let mut verifier = vouch_core::verify::ChainVerifier::new(&genesis);
    for block in &blocks {
        verifier.push(block).unwrap();
    }
    for doc in expected["extra_documents"].as_array().unwrap() {
        let bytes = read(doc["file"].as_str().unwrap());
        let envelope = vouch_core::envelope::Envelope::decode(&bytes, &genesis.network).unwrap();
        assert_eq!(envelope.id.to_hex(), doc["id"]);
        assert_eq!(envelope.doc_type().as_str(), doc["type"]);
        let mut state = verifier.state().clone();
        state.apply(&envelope, doc["applies_at_ms"].as_u64().unwrap()).unwrap();
    }

    // The checkpoint is cosigned by a quorum; the earlier one is consistent with it.
    let (checkpoint, quorum) =
        vouch_core::bundle::verify_checkpoint_note(&read("checkpoint.txt"), &genesis).unwrap();
    assert_eq!(checkpoint.checkpoint.root, summary.root);
    assert_eq!(quorum.signed_power, 4);
    let consistency: serde_json::Value = serde_json::from_slice(&read("consistency.json")).unwrap();
    let proof: Vec<Hash> = serde_json::from_value(consistency["proof"].clone()).unwrap();
    vouch_core::bundle::verify_consistency(
        &read("checkpoint-earlier.txt"),
        &read("checkpoint.txt"),
        &proof,
        &genesis,
    )
    .unwrap();

    // The bundle verifies against the pinned genesis hash alone.
    let report = vouch_core::bundle::verify_bundle(&read("bundle.json"), &genesis.hash()).unwrap();
    assert_eq!(report.request.to_hex(), expected["bundle"]["request"]);
    assert_eq!(report.openings_checked as u64, expected["bundle"]["openings"]);

    // The regulator's test key opens the request's contents.
    let key = vouch_core::keys::DecryptionKey::from_pkcs8_pem(
        std::str::from_utf8(&read("keys/regulator.x25519.pem")).unwrap(),
    )
    .unwrap();
    let request =
        vouch_core::envelope::Envelope::decode(&read("documents/04-request.json"), &genesis.network).unwrap();
    let vouch_core::documents::Document::Request(body) = &request.document else { panic!("not a request") };
    let content_key = body.contents.open_as("org/regulator", &key).unwrap();
    let opening: vouch_core::seal::Opening<vouch_core::items::RequestContents> =
        vouch_core::seal::open(&body.contents, &content_key).unwrap();
    assert_eq!(opening.contents.letter.client_name, "杭州示例科技有限公司");
}

#[test]
fn every_negative_golden_file_is_refused_with_its_rule() {
    let genesis = Genesis::decode(&read("genesis.json")).unwrap();
    let index: serde_json::Value = serde_json::from_slice(&read("negative/expected.json")).unwrap();
    let cases = index["cases"].as_array().unwrap();
    assert!(cases.len() >= 12);
    for case in cases {
        let (file, kind, rule) =
            (case["file"].as_str().unwrap(), case["kind"].as_str().unwrap(), case["rule"].as_str().unwrap());
        let bytes = read(file);
        let error = match kind {
            "envelope" => {
                vouch_core::envelope::Envelope::decode(&bytes, &genesis.network).err().map(|e| e.to_string())
            }
            "blocks" => {
                let blocks: Vec<Block> = serde_json::from_slice(&bytes).unwrap();
                vouch_core::verify::verify_chain(&genesis, &blocks).err().map(|e| e.to_string())
            }
            "bundle" => {
                vouch_core::bundle::verify_bundle(&bytes, &genesis.hash()).err().map(|e| e.to_string())
            }
            other => panic!("unknown kind {other}"),
        };
        let error = error.unwrap_or_else(|| panic!("{file} was accepted"));
        assert!(error.contains(rule), "{file}: expected {rule}, got {error}");
    }
}
