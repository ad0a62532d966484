//! Produce the golden vectors in `core/tests/vectors/golden/`: a small demo ledger with fixed
//! keys, its blocks, documents, checkpoints, a consistency proof and an evidence bundle,
//! with their expected hashes. An outside verifier is written against these files;
//! `core/tests/golden.rs` fails when a byte drifts, and
//! `cargo run -p vouch-core --example vectors` regenerates them on purpose.

use super::{Ledger, TestkitError, demo_ledger};
use crate::checkpoint::{Checkpoint, CosignedCheckpoint, cosign_checkpoint};
use crate::merkle;
use serde_json::json;

/// The seed of the golden ledger.
pub const GOLDEN_SEED: u64 = 2026;

fn scenario(e: impl std::fmt::Display) -> TestkitError {
    TestkitError::Scenario(e.to_string())
}

/// A checkpoint of the first `size` leaves, cosigned by every validator at `timestamp`.
pub fn checkpoint_at(l: &Ledger, size: u64, timestamp: u64) -> Result<String, TestkitError> {
    let root = merkle::root(l.verifier.tree(), size).map_err(scenario)?;
    let checkpoint = Checkpoint::new(l.net.genesis.network.as_str(), size, root).map_err(scenario)?;
    let mut cosignatures = Vec::new();
    for (org, secrets) in &l.net.orgs {
        if let Some(key) = &secrets.validator {
            let name = l.net.genesis.cosigner_name(org);
            cosignatures.push(cosign_checkpoint(&checkpoint, &name, key, timestamp).map_err(scenario)?);
        }
    }
    CosignedCheckpoint { checkpoint, cosignatures, other_signatures: Vec::new() }.to_note().map_err(scenario)
}

fn pretty(value: &impl serde::Serialize) -> Result<Vec<u8>, TestkitError> {
    let mut out = serde_json::to_vec_pretty(value).map_err(scenario)?;
    out.push(b'\n');
    Ok(out)
}

/// Every golden file as (path relative to the vectors directory, bytes).
pub fn golden_files() -> Result<Vec<(String, Vec<u8>)>, TestkitError> {
    let (l, demo) = demo_ledger(GOLDEN_SEED)?;
    let genesis = &l.net.genesis;
    let mut files = Vec::new();
    files.push(("genesis.json".to_string(), genesis.to_canonical()));

    let mut documents = Vec::new();
    for (index, envelope) in l.committed.iter().enumerate() {
        let name = format!("documents/{index:02}-{}.json", envelope.doc_type().as_str());
        files.push((name.clone(), envelope.bytes.clone()));
        documents.push(json!({
            "file": name,
            "leaf_index": index,
            "type": envelope.doc_type().as_str(),
            "id": envelope.id,
            "leaf_hash": merkle::leaf_hash(&envelope.bytes),
            "signing_bytes_sha256": crate::encoding::Hash::sha256(
                &crate::envelope::Draft {
                    network: envelope.network.clone(),
                    created_ms: envelope.created_ms,
                    author: envelope.author.clone(),
                    checker: envelope.checker.clone(),
                    document: envelope.document.clone(),
                }
                .signing_bytes()
            ),
        }));
    }

    // A document type the chain does not hold, signed on top of it: bank-a's published rules.
    let rules = crate::envelope::Draft {
        network: genesis.network.clone(),
        created_ms: l.now_ms,
        author: demo.maker.signer(),
        checker: None,
        document: crate::documents::Document::BankRules(super::demo_bank_rules()?),
    }
    .sign(&demo.maker.key, None)
    .map_err(scenario)?;
    files.push(("documents/extra-bank_rules.json".to_string(), rules.bytes.clone()));
    let extra = vec![json!({
        "file": "documents/extra-bank_rules.json",
        "type": "bank_rules",
        "id": rules.id,
        "applies_at_ms": l.now_ms + 1000,
        "note": "not in blocks.json; applies to the state after the last golden block, at the given block time",
    })];

    files.push(("blocks.json".to_string(), pretty(&l.blocks)?));
    let blocks: Vec<_> = l
        .blocks
        .iter()
        .map(|b| {
            json!({
                "height": b.header.height,
                "hash": b.header.hash(),
                "documents": b.header.documents,
                "tree_size": b.header.tree_size,
                "root": b.header.root,
            })
        })
        .collect();

    let size = l.verifier.tree().size();
    let timestamp = l.now_ms / 1000;
    let checkpoint = checkpoint_at(&l, size, timestamp)?;
    files.push(("checkpoint.txt".to_string(), checkpoint.clone().into_bytes()));
    // An earlier checkpoint (after block 3) and the proof that the latest extends it.
    let earlier_size = l.blocks.get(2).map(|b| b.header.tree_size).unwrap_or(1);
    let earlier = checkpoint_at(&l, earlier_size, timestamp.saturating_sub(86_400))?;
    files.push(("checkpoint-earlier.txt".to_string(), earlier.into_bytes()));
    let proof = merkle::consistency_proof(l.verifier.tree(), earlier_size, size).map_err(scenario)?;
    files.push((
        "consistency.json".to_string(),
        pretty(&json!({
            "older": "checkpoint-earlier.txt",
            "newer": "checkpoint.txt",
            "size1": earlier_size,
            "size2": size,
            "proof": proof,
        }))?,
    ));

    let bundle = l.bundle(demo.request.id, true)?;
    // The bundle's own checkpoint is made at the ledger's current time too; use the golden one.
    let bundle = crate::bundle::Bundle { checkpoint: checkpoint.clone(), ..bundle };
    files.push(("bundle.json".to_string(), pretty(&bundle)?));

    let regulator = l.org("regulator")?;
    files.push((
        "keys/regulator.x25519.pem".to_string(),
        regulator.decryption.to_pkcs8_pem().as_bytes().to_vec(),
    ));
    let auditor = l.org("audit-x")?;
    files
        .push(("keys/audit-x.x25519.pem".to_string(), auditor.decryption.to_pkcs8_pem().as_bytes().to_vec()));

    files.push((
        "expected.json".to_string(),
        pretty(&json!({
            "seed": GOLDEN_SEED,
            "network": genesis.network,
            "genesis_hash": genesis.hash(),
            "validator_set_hash": crate::block::validator_set_hash(&genesis.validators()),
            "documents": documents,
            "extra_documents": extra,
            "blocks": blocks,
            "checkpoint": { "size": size, "root": merkle::root(l.verifier.tree(), size).map_err(scenario)?.to_b64() },
            "bundle": { "request": demo.request.id, "entries": bundle.entries.len(), "openings": bundle.openings.len() },
        }))?,
    ));
    negative_files(&l, &bundle, &mut files)?;
    Ok(files)
}

/// Inputs a verifier MUST refuse, each with the rule it breaks: `negative/NN-name.json`
/// plus `negative/expected.json`. Made by changing one thing in a golden file.
// JSON indexing on the golden ledger's fixed shapes: a panic here would be a bug in this
// generator, caught by `core/tests/golden.rs`, never a reaction to outside input.
#[allow(clippy::indexing_slicing)]
fn negative_files(
    l: &Ledger,
    bundle: &crate::bundle::Bundle,
    files: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), TestkitError> {
    use serde_json::Value;
    let request = l.committed.get(4).ok_or_else(|| scenario("golden ledger too short"))?;
    let response = l.committed.get(8).ok_or_else(|| scenario("golden ledger too short"))?;
    let parse = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).map_err(scenario);
    let canonical = |v: &Value| crate::canonical::to_canonical(v);
    let mut cases: Vec<(&str, &str, &str, Vec<u8>)> = Vec::new();

    let mut v = parse(&request.bytes)?;
    v["body"]["letter_no"] = json!("AX-2026-9999");
    cases.push(("envelope-body-changed-after-signing", "envelope", "R-ENV-7", canonical(&v)));

    let mut bytes = request.bytes.clone();
    bytes.splice(1..1, *b" ");
    cases.push(("envelope-not-canonical", "envelope", "R-ENV-1/2", bytes));

    let mut v = parse(&request.bytes)?;
    v["body"]["priority"] = json!("urgent");
    cases.push(("envelope-unknown-body-field", "envelope", "R-ENV-5", canonical(&v)));

    let mut v = parse(&request.bytes)?;
    v["v"] = json!(2);
    cases.push(("envelope-future-version", "envelope", "R-ENV-3", canonical(&v)));

    let mut v = parse(&request.bytes)?;
    v["network"] = json!("vouch.example/other");
    cases.push(("envelope-other-network", "envelope", "R-ENV-4", canonical(&v)));

    let mut v = parse(&response.bytes)?;
    if let Some(o) = v.as_object_mut() {
        o.remove("checker");
        o.remove("checker_sig");
    }
    cases.push(("envelope-response-without-checker", "envelope", "R-ENV-6", canonical(&v)));

    let mut v = parse(&request.bytes)?;
    v["created_ms"] = json!(9_007_199_254_740_993u64);
    cases.push(("envelope-integer-over-2-53", "envelope", "R-ENV-", canonical(&v)));

    let mut blocks = serde_json::to_value(&l.blocks).map_err(scenario)?;
    blocks[3]["header"]["prev"] = json!(crate::encoding::Hash::ZERO);
    cases.push(("blocks-broken-link", "blocks", "R-BLK-2", pretty(&blocks)?));

    let mut blocks = serde_json::to_value(&l.blocks).map_err(scenario)?;
    if let Some(sigs) = blocks[5]["certificate"]["signatures"].as_array_mut() {
        sigs.truncate(2);
    }
    cases.push(("blocks-certificate-without-quorum", "blocks", "R-BLK-8", pretty(&blocks)?));

    let mut blocks = serde_json::to_value(&l.blocks).map_err(scenario)?;
    blocks[2]["documents"][0]["body"]["letter_no"] = json!("AX-2026-9999");
    cases.push(("blocks-tampered-document", "blocks", "R-BLK-9", pretty(&blocks)?));

    let mut b = serde_json::to_value(bundle).map_err(scenario)?;
    if let Some(first) = b["entries"][0]["proof"].get_mut(0) {
        *first = json!(crate::encoding::Hash::ZERO);
    }
    cases.push(("bundle-bad-inclusion-proof", "bundle", "R-BUN-5", pretty(&b)?));

    let mut b = serde_json::to_value(bundle).map_err(scenario)?;
    if let Some(entries) = b["entries"].as_array_mut() {
        entries.retain(|e| e["envelope"]["type"] != "enroll");
    }
    cases.push(("bundle-signer-not-proven", "bundle", "R-BUN-7", pretty(&b)?));

    let mut b = serde_json::to_value(bundle).map_err(scenario)?;
    if let Some(openings) = b["openings"].as_array_mut() {
        for o in openings.iter_mut() {
            if o["opening"]["contents"].get("letter").is_some() {
                o["opening"]["contents"]["letter"]["client_name"] = json!("另一家公司");
            }
        }
    }
    cases.push(("bundle-opening-does-not-match", "bundle", "R-BUN-9", pretty(&b)?));

    let mut b = serde_json::to_value(bundle).map_err(scenario)?;
    let note = b["checkpoint"].as_str().unwrap_or_default().to_string();
    let kept: Vec<&str> = note.lines().collect();
    let cut = kept.get(..kept.len().saturating_sub(2)).unwrap_or(&[]).join("\n") + "\n";
    b["checkpoint"] = json!(cut);
    cases.push(("bundle-checkpoint-without-quorum", "bundle", "R-BUN-3", pretty(&b)?));

    let mut index = Vec::new();
    for (n, (name, kind, rule, bytes)) in cases.into_iter().enumerate() {
        let file = format!("negative/{n:02}-{name}.json");
        index.push(json!({ "file": file, "kind": kind, "rule": rule }));
        files.push((file, bytes));
    }
    files.push((
        "negative/expected.json".to_string(),
        pretty(&json!({
            "about": "Each file MUST be refused; `rule` is the rule id (or its prefix) the refusal names. \
                      `kind` says how to check it: `envelope` as a canonical envelope of the golden \
                      network, `blocks` as the chain from golden genesis.json, `bundle` against the \
                      golden genesis hash.",
            "cases": index,
        }))?,
    ));
    Ok(())
}
