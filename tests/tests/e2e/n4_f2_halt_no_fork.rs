//! Scenario 3 (and issue 7's scripted "two of four stopped for a minute"): two of four
//! validators stopped for a minute: nothing is committed and nothing forks (the live
//! validators' heights stay put while their rounds time out again and again); restarted,
//! the network resumes and commits what was submitted meanwhile.

use crate::common;

use common::*;
use std::time::{Duration, Instant};
use vouch_testnet::client::Submitted;
use vouch_testnet::wave::await_leaf;

/// How long the two stay stopped.
const HALT: Duration = Duration::from_secs(60);

#[test]
fn n4_f2_halts_without_forking_and_resumes() {
    let _serial = serial();
    let (_tmp, net) = start(103);
    let mut cast = Cast::enroll(&net);
    let stopped = [2usize, 3];
    let halted = Instant::now();
    for i in stopped {
        net.stop(i, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    }
    let live = [0usize, 1];
    // A block already in flight may still land: let it settle, then watch.
    std::thread::sleep(Duration::from_secs(3));
    let before: Vec<u64> =
        live.iter().map(|i| net.status(*i).unwrap_or_else(|e| panic!("{e}")).height).collect();
    let documents = cast.requests(2);
    let mut pending = Vec::new();
    for (k, d) in documents.iter().enumerate() {
        let node = live[k % live.len()];
        match net.submit(node, d).unwrap_or_else(|e| panic!("{e}")) {
            Submitted::Committed(c) => {
                panic!("committed with half the power stopped: {c:?}\n{}", net.logs(15))
            }
            Submitted::Refused(p) => panic!("a valid document was refused: {p}"),
            Submitted::Pending { leaf_hash, .. } => pending.push(leaf_hash),
            Submitted::Busy(b) => panic!("mempool full on an idle network: {b}"),
        }
    }
    std::thread::sleep(HALT.saturating_sub(halted.elapsed()).max(Duration::from_secs(5)));
    let after: Vec<u64> =
        live.iter().map(|i| net.status(*i).unwrap_or_else(|e| panic!("{e}")).height).collect();
    assert_eq!(before, after, "heights moved without a quorum\n{}", net.logs(15));
    one_block_per_height(&net, &live);
    for i in stopped {
        net.start(i).unwrap_or_else(|e| panic!("{e}"));
    }
    let members = net.members();
    let top = after.iter().copied().max().unwrap_or(0);
    net.wait_for_height(&members, top + 1, START_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + COMMIT_TIMEOUT;
    for leaf in &pending {
        let client = net.client(0).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            await_leaf(client, leaf, 0, deadline).is_some(),
            "document {leaf} accepted during the halt was not committed after it\n{}",
            net.logs(15)
        );
    }
    roots_agree(&net, &members, cast.ledger.verifier.tree().size() + 2);
    one_block_per_height(&net, &members);
}
