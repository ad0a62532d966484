//! Scenario 1: four validators and the observer commit 500 documents submitted
//! round-robin to every node; every node ends with the same tree size and root, one block
//! per height, every acknowledged document in place; and each node's checkpoint verifies
//! against genesis with `vouch-core`.

use crate::common;

use common::*;

#[test]
fn n4_observer_commits_500_documents() {
    let _serial = serial();
    let (_tmp, net) = start(101);
    let mut cast = Cast::enroll(&net);
    let documents = cast.requests(500);
    let members = net.members();
    let acks = commit_all(&net, &members, &documents);
    assert_eq!(acks.len(), 500);
    let leaves: std::collections::BTreeSet<u64> = acks.iter().map(|a| a.leaf_index).collect();
    assert_eq!(leaves.len(), 500, "500 distinct leaf indices");
    let expected = cast.ledger.verifier.tree().size() + 500;
    let (size, _root) = roots_agree(&net, &members, expected);
    assert_eq!(size, expected, "tree size: 8 setup documents and 500 requests");
    one_block_per_height(&net, &members);
    acknowledged_present(&net, &members, &acks);
}

/// The checkpoint part of scenario 1: each node's checkpoint verifies against genesis with
/// `vouch-core` (more than 2/3 of the power cosigned) and matches the agreed root.
#[test]
fn n4_checkpoint_from_every_node_verifies() {
    let _serial = serial();
    let (_tmp, net) = start(110);
    let mut cast = Cast::enroll(&net);
    let documents = cast.requests(20);
    let members = net.members();
    commit_all(&net, &members, &documents);
    let (size, root) = roots_agree(&net, &members, cast.ledger.verifier.tree().size() + 20);
    let genesis = &net.demo_network().genesis;
    for i in members {
        let note = net.wait_for_checkpoint(i, size, AGREE_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
        let (checkpoint, quorum) = vouch_core::bundle::verify_checkpoint_note(note.as_bytes(), genesis)
            .unwrap_or_else(|e| panic!("checkpoint of node {i} does not verify: {e}\n{note}"));
        assert!(quorum.signed_power * 3 > quorum.total_power * 2);
        if checkpoint.checkpoint.size == size {
            assert_eq!(checkpoint.checkpoint.root.to_hex(), root, "node {i} checkpoint root");
        }
    }
}
