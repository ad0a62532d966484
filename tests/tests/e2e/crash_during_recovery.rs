//! Scenario 7: crash during recovery: `kill -9` a validator, restart it, `kill -9` it
//! again within 2 s, restart: no committed document lost, roots agree, and no node holds
//! equivocation evidence against it (status field `evidence` stays 0).

use crate::common;

use common::*;
use std::time::Duration;

#[test]
fn kill9_during_recovery_loses_nothing_and_equivocates_never() {
    let _serial = serial();
    let (_tmp, net) = start(108);
    let mut cast = Cast::enroll(&net);
    let validators = net.validators();
    let victim = 2;
    let mut acks = commit_all(&net, &validators, &cast.requests(40));
    net.kill(victim).unwrap_or_else(|e| panic!("{e}"));
    let others: Vec<usize> = validators.iter().copied().filter(|i| *i != victim).collect();
    acks.extend(commit_all(&net, &others, &cast.requests(40)));
    net.start(victim).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(1_200));
    net.kill(victim).unwrap_or_else(|e| panic!("{e}"));
    acks.extend(commit_all(&net, &others, &cast.requests(20)));
    net.start(victim).unwrap_or_else(|e| panic!("{e}"));
    let members = net.members();
    let size = cast.ledger.verifier.tree().size() + 100;
    roots_agree(&net, &members, size);
    // The restarted validator votes again: commits need it once another is paused.
    net.pause(1).unwrap_or_else(|e| panic!("{e}"));
    acks.extend(commit_all(&net, &[0, 3], &cast.requests(10)));
    net.resume(1).unwrap_or_else(|e| panic!("{e}"));
    roots_agree(&net, &members, size + 10);
    acknowledged_present(&net, &members, &acks);
    one_block_per_height(&net, &members);
    for i in members {
        let s = net.status(i).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.evidence,
            Some(0),
            "{}: equivocation evidence after a crash in recovery\n{}",
            s.moniker,
            net.logs(15)
        );
    }
}
