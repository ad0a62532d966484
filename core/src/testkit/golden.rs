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
            "blocks": blocks,
            "checkpoint": { "size": size, "root": merkle::root(l.verifier.tree(), size).map_err(scenario)?.to_b64() },
            "bundle": { "request": demo.request.id, "entries": bundle.entries.len(), "openings": bundle.openings.len() },
        }))?,
    ));
    Ok(files)
}
