//! Scenario 8: twins: two processes share one validator key (1/4 of the power). No fork
//! (every node has one block per height, the same everywhere), and the equivocation is
//! detected and reported (`evidence` > 0 on at least one honest node in bounded time).

mod common;

use common::*;
use std::time::Duration;
use vouch_testnet::actors::add_twin;

#[test]
fn n4_twins_no_fork_and_equivocation_reported() {
    let _serial = serial();
    let (_tmp, mut net) = start(109);
    let mut cast = Cast::enroll(&net);
    let twinned = 3;
    let twin = add_twin(&mut net, twinned).unwrap_or_else(|e| panic!("{e}"));
    net.start(twin).unwrap_or_else(|e| panic!("{e}"));
    let validators = net.validators();
    let honest: Vec<usize> = net.members().into_iter().filter(|i| *i != twinned).collect();
    // Load while both twins run, so both propose and vote.
    let mut acks = Vec::new();
    for _ in 0..4 {
        acks.extend(commit_all(&net, &validators, &cast.requests(25)));
    }
    let detected = vouch_testnet::wait_until(Duration::from_secs(90), Duration::from_millis(500), || {
        honest.iter().any(|i| net.status(*i).ok().and_then(|s| s.evidence).unwrap_or(0) > 0)
    });
    let everyone: Vec<usize> = (0..net.len()).collect();
    one_block_per_height(&net, &everyone);
    let size = cast.ledger.verifier.tree().size() + 100;
    roots_agree(&net, &honest, size);
    acknowledged_present(&net, &honest, &acks);
    assert!(detected, "no honest node reported the twins' equivocation within 90 s\n{}", net.logs(20));
}
