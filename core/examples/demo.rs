//! Build a small ledger of audit confirmations and verify it offline, the way a regulator
//! would: `cargo run --release -p vouch-core --example demo`.
//!
//! The ledger is made in memory with the testkit's fixed demo keys (a network of two banks,
//! an audit firm and a regulator, each running a validator). Then, using only public data,
//! the demo re-verifies the whole chain, checks one confirmation's evidence bundle against
//! the pinned genesis hash, proves that an earlier checkpoint is extended by the latest, and
//! shows that a forged answer is caught.

use vouch_core::bundle::{verify_bundle, verify_consistency};
use vouch_core::state::Status;
use vouch_core::testkit::{demo_ledger, golden::checkpoint_at};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (ledger, demo) = demo_ledger(1)?;
    let genesis = &ledger.net.genesis;
    println!("Vouch demo — network {} (genesis {})", genesis.network, genesis.hash());
    for org in &genesis.orgs {
        println!("  member {:<10} {:?} {}", org.id.as_str(), org.role, org.name);
    }

    println!("\nThe ledger: {} blocks, {} documents", ledger.blocks.len(), ledger.committed.len());
    for (leaf, env) in ledger.committed.iter().enumerate() {
        println!(
            "  leaf {leaf:>2}  {:<14} by {:<9} {}",
            env.doc_type().as_str(),
            env.author.org.as_str(),
            env.id
        );
    }

    println!("\n1. Re-verify the whole chain from genesis (links, certificates, signatures, rules, roots)");
    let summary = vouch_core::verify::verify_chain(genesis, &ledger.blocks)?;
    println!("   ok: height {}, {} documents, root {}", summary.height, summary.tree_size, summary.root);

    let record = ledger.verifier.state().request(&demo.request.id).ok_or("request missing")?;
    println!(
        "\n2. Confirmation {} (letter {}): {} — {} answers, due {}, answered late: {}",
        demo.request.id,
        record.letter_no,
        record.status,
        record.answers.len(),
        record.due.map(|d| d.to_string()).unwrap_or_default(),
        record.answers.iter().any(|a| a.late)
    );
    assert_eq!(record.status, Status::Accepted);

    println!("\n3. Verify its evidence bundle offline, trusting only the genesis hash");
    let bundle = ledger.bundle(demo.request.id, true)?;
    let bytes = serde_json::to_vec_pretty(&bundle)?;
    let report = verify_bundle(&bytes, &genesis.hash())?;
    println!(
        "   ok: {} documents proven against checkpoint size {} cosigned by {} of {} voting power ({})",
        report.timeline.len(),
        report.tree_size,
        report.cosigned_power.0,
        report.cosigned_power.1,
        report.cosigners.join(", ")
    );
    for t in &report.timeline {
        let checker = t.checker.as_ref().map(|c| format!(", checked by {c}")).unwrap_or_default();
        println!(
            "   leaf {:>2} {:<14} {} ({}){}",
            t.leaf_index,
            t.doc_type.as_str(),
            t.signer,
            t.org.as_str(),
            checker
        );
    }
    println!("   {} sealed payloads opened and matched to their commitments", report.openings_checked);

    println!("\n4. Prove history was not rewritten: an earlier checkpoint is extended by the latest");
    let size1 = ledger.blocks.get(2).map(|b| b.header.tree_size).unwrap_or(1);
    let size2 = ledger.verifier.tree().size();
    let now = ledger.now_ms / 1000;
    let older = checkpoint_at(&ledger, size1, now - 86_400)?;
    let newer = checkpoint_at(&ledger, size2, now)?;
    let proof = ledger.verifier.tree().consistency_proof(size1, size2)?;
    verify_consistency(older.as_bytes(), newer.as_bytes(), &proof, genesis)?;
    println!("   ok: size {size1} -> {size2}, proof of {} hashes", proof.len());

    println!("\n5. A forged answer is caught");
    let mut forged: serde_json::Value = serde_json::from_slice(&bytes)?;
    if let Some(entries) = forged["entries"].as_array_mut() {
        for entry in entries.iter_mut() {
            if entry["envelope"]["type"] == "correction" {
                entry["envelope"]["body"]["conclusion"] = "matches".into();
            }
        }
    }
    match verify_bundle(&serde_json::to_vec(&forged)?, &genesis.hash()) {
        Ok(_) => return Err("a forged bundle verified".into()),
        Err(e) => println!("   refused: {e}"),
    }
    println!("\nAll checks passed.");
    Ok(())
}
