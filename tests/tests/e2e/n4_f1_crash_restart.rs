//! Scenario 2: one validator killed with SIGKILL; the other three keep committing;
//! restarted, it catches up to the same root.

use crate::common;

use common::*;

#[test]
fn n4_f1_killed_validator_catches_up() {
    let _serial = serial();
    let (_tmp, net) = start(102);
    let mut cast = Cast::enroll(&net);
    let victim = 1;
    net.kill(victim).unwrap_or_else(|e| panic!("{e}"));
    assert!(!net.is_running(victim));
    let live: Vec<usize> = net.members().into_iter().filter(|i| *i != victim).collect();
    let live_validators: Vec<usize> = net.validators().into_iter().filter(|i| *i != victim).collect();
    let documents = cast.requests(60);
    let acks = commit_all(&net, &live_validators, &documents);
    let size = cast.ledger.verifier.tree().size() + 60;
    roots_agree(&net, &live, size);
    net.start(victim).unwrap_or_else(|e| panic!("{e}"));
    let members = net.members();
    let (agreed, _) = roots_agree(&net, &members, size);
    assert!(agreed >= size);
    // It also takes part again: more documents commit with it among the targets.
    let more = cast.requests(12);
    let acks2 = commit_all(&net, &net.validators(), &more);
    roots_agree(&net, &members, size + 12);
    one_block_per_height(&net, &members);
    acknowledged_present(&net, &members, &acks);
    acknowledged_present(&net, &members, &acks2);
}
