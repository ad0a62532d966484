//! `vouch verify consistency`: two cosigned checkpoints of the demo ledger and a proof
//! (file or node); forged checkpoints and another history are refused.

use crate::support::{Dir, FakeNode, checkpoint, dead_url, demo, flip, other_history, proof_json, vouch};
use vouch_core::testkit::{DemoNetwork, Ledger};

const OLD: u64 = 6;

fn new_size() -> u64 {
    demo().0.committed.len() as u64
}

#[test]
fn a_proof_from_a_file_or_a_node_verifies() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let l = &demo().0;
    let new = new_size();
    let old_note = dir.write("old.txt", checkpoint(l, OLD));
    let new_note = dir.write("new.txt", checkpoint(l, new));
    let proof = dir.write("proof.json", proof_json(l, OLD, new));
    let json = vouch(&[
        "verify",
        "consistency",
        &old_note,
        &new_note,
        "--proof",
        &proof,
        "--genesis",
        &genesis,
        "--json",
    ])
    .expect(0)
    .json();
    assert_eq!(json["old_size"], OLD);
    assert_eq!(json["new_size"], new);
    assert_eq!(json["new_cosigners"].as_array().unwrap().len(), 4);
    let text =
        vouch(&["verify", "consistency", &old_note, &new_note, "--proof", &proof, "--genesis", &genesis])
            .expect(0)
            .stdout;
    assert!(text.starts_with("ok: NEW extends OLD"), "{text}");

    let node = FakeNode::start();
    node.serve_proof(l, OLD, new);
    let json = vouch(&[
        "verify",
        "consistency",
        &old_note,
        &new_note,
        "--from",
        &node.url(),
        "--genesis",
        &genesis,
        "--json",
    ])
    .expect(0)
    .json();
    assert!(json["proof_source"].as_str().unwrap().contains("/v1/proofs/consistency?from=6&to="), "{json}");

    // Equal sizes need no proof.
    vouch(&["verify", "consistency", &new_note, &new_note, "--genesis", &genesis]).expect(0);
    // Different sizes do.
    let run = vouch(&["verify", "consistency", &old_note, &new_note, "--genesis", &genesis]).expect(2);
    assert!(run.stderr.contains("--proof FILE or --from URL"), "{}", run.stderr);
    // Newest first is a usage error, not a fork.
    let run =
        vouch(&["verify", "consistency", &new_note, &old_note, "--proof", &proof, "--genesis", &genesis])
            .expect(2);
    assert!(run.stderr.contains("pass the older"), "{}", run.stderr);
    // A proof for other sizes.
    let other = dir.write("other.json", proof_json(l, OLD + 1, new));
    vouch(&["verify", "consistency", &old_note, &new_note, "--proof", &other, "--genesis", &genesis])
        .expect(2);
    // No node there.
    vouch(&["verify", "consistency", &old_note, &new_note, "--from", &dead_url(), "--genesis", &genesis])
        .expect(3);
}

#[test]
fn forged_checkpoints_are_refused() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let l = &demo().0;
    let new = new_size();
    let old_note = dir.write("old.txt", checkpoint(l, OLD));
    let proof = dir.write("proof.json", proof_json(l, OLD, new));

    // The root changed after signing: the cosignatures no longer verify.
    let note = checkpoint(l, new);
    let root_at = note.match_indices('\n').nth(1).unwrap().0 + 4;
    let forged = dir.write("forged.txt", flip(&note, root_at));
    let run = vouch(&["verify", "consistency", &old_note, &forged, "--proof", &proof, "--genesis", &genesis])
        .expect(1);
    assert!(run.stderr.contains("NEW checkpoint") && run.stderr.contains("R-CKPT-8"), "{}", run.stderr);

    // Signed by validators of another network with the same names: no quorum of ours.
    let mut impostor = Ledger::new(DemoNetwork::new(99).unwrap());
    impostor.enroll("bank-a", "x", "X", "Y").unwrap();
    impostor.commit().unwrap();
    let impostor_note = dir.write("impostor.txt", checkpoint(&impostor, 1));
    let run = vouch(&[
        "verify",
        "consistency",
        &impostor_note,
        &old_note,
        "--proof",
        &proof,
        "--genesis",
        &genesis,
    ])
    .expect(1);
    assert!(run.stderr.contains("OLD checkpoint") && run.stderr.contains("R-CKPT-8"), "{}", run.stderr);
    assert!(run.stderr.contains("cosigned power 0 of 4"), "{}", run.stderr);
}

#[test]
fn another_history_is_not_consistent() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let l = &demo().0;
    let other = other_history();
    let old_note = dir.write("old.txt", checkpoint(l, OLD));
    // Both cosigned by a quorum of the same validators, but different logs.
    let new_note = dir.write("new.txt", checkpoint(other, 30));
    let proof = dir.write("proof.json", proof_json(other, OLD, 30));
    let run =
        vouch(&["verify", "consistency", &old_note, &new_note, "--proof", &proof, "--genesis", &genesis])
            .expect(1);
    assert!(run.stderr.contains("does not extend") && run.stderr.contains("R-CONS-1"), "{}", run.stderr);
    assert!(run.stderr.contains("split view"), "the hint says what it means: {}", run.stderr);
    // Same size, different roots.
    let a = dir.write("a.txt", checkpoint(l, OLD));
    let b = dir.write("b.txt", checkpoint(other, OLD));
    let run = vouch(&["verify", "consistency", &a, &b, "--genesis", &genesis]).expect(1);
    assert!(run.stderr.contains("R-CKPT-9"), "{}", run.stderr);
}
